/**
 * A tenant's share of the edge (docs/edge.md, docs/tenant-contract.md): its own ListenerSet on
 * the platform Gateway, one HTTPS listener per domain, and one Certificate for those domains.
 * Both live in the edge namespace, declared by Pulumi and keyed by the tenant's name: adding a
 * tenant adds these two objects and changes nothing shared (the Gateway admits ListenerSets of
 * its own namespace, `allowedListeners`), and the private key never enters the tenant's namespace.
 *
 * The ListenerSet is also the Gateway's own lock on the tenant (the second one, after the
 * admission policies): its listeners carry exactly the tenant's host names, and admit HTTPRoutes
 * and GRPCRoutes only from the namespace labelled with this tenant (a label tenants cannot
 * change, TEN-NSL-001). A route for another tenant's host, or from another namespace, is not
 * attached even if it got past admission.
 */
import type * as k8s from "@pulumi/kubernetes";
import { CLUSTER_ISSUER, GATEWAY_API_GROUP, EDGE, PLATFORM_NAMESPACES } from "../platform/namespaces";
import type { NamedMeta } from "../platform/kube-object";
import { TENANT_LABEL } from "./contract";
import type { TenantSpec } from "./load";

type Custom<V extends string, K extends string> = k8s.apiextensions.CustomResourceArgs & {
  apiVersion: V;
  kind: K;
  metadata: NamedMeta;
};

/** Name of the tenant's Certificate in the edge namespace. */
export const certificateName = (tenant: string) => `tenant-${tenant}`;
/** Name of the Secret its certificate is stored in (edge namespace). */
export const tlsSecretName = (tenant: string) => `tenant-${tenant}-tls`;

const edgeLabels = (spec: TenantSpec) => ({ [TENANT_LABEL]: spec.name, "app.kubernetes.io/managed-by": "pulumi" });

/**
 * The tenant's ListenerSet, named like the tenant (the parentRef its routes use). Each listener
 * is named after its host, so a route may pin one with `sectionName`, and removing a domain
 * renames nothing else.
 */
export function listenerSet(spec: TenantSpec): Custom<`${typeof GATEWAY_API_GROUP}/v1`, "ListenerSet"> {
  return {
    apiVersion: `${GATEWAY_API_GROUP}/v1`,
    kind: "ListenerSet",
    metadata: { name: spec.name, namespace: PLATFORM_NAMESPACES.ingress, labels: edgeLabels(spec) },
    spec: {
      parentRef: { group: GATEWAY_API_GROUP, kind: "Gateway", name: EDGE.gateway },
      listeners: spec.domains.map((host) => ({
        name: host,
        hostname: host,
        port: 443,
        protocol: "HTTPS",
        tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: tlsSecretName(spec.name) }] },
        allowedRoutes: {
          namespaces: { from: "Selector", selector: { matchLabels: { [TENANT_LABEL]: spec.name } } },
          kinds: [
            { group: GATEWAY_API_GROUP, kind: "HTTPRoute" },
            { group: GATEWAY_API_GROUP, kind: "GRPCRoute" },
          ],
        },
      })),
    },
  };
}

/**
 * One certificate for all of the tenant's domains, from the platform's ClusterIssuer. Declared
 * here rather than requested by tenants: tenants cannot create Certificates (or Issuers), so they
 * cannot spend the platform's ACME account on hosts they do not own.
 */
export function certificate(spec: TenantSpec): Custom<"cert-manager.io/v1", "Certificate"> {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: certificateName(spec.name), namespace: PLATFORM_NAMESPACES.ingress, labels: edgeLabels(spec) },
    spec: {
      secretName: tlsSecretName(spec.name),
      dnsNames: [...spec.domains],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: CLUSTER_ISSUER },
    },
  };
}
