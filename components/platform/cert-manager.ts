/** cert-manager and the Let's Encrypt ClusterIssuer every certificate of the edge comes from. */
import * as k8s from "@pulumi/kubernetes";
import type { PlatformConfig } from "../config/schema";
import { REGISTRIES } from "../versions";
import { CLUSTER_ISSUER, EDGE, GATEWAY_API_GROUP, PLATFORM_NAMESPACES } from "./namespaces";
import { k8sOpts, PlatformContext, platformNamespace, release } from "./releases";

export const ACME_SERVERS = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/** cert-manager values: CRDs from the chart, Gateway API support on, images from the pinned registry. */
export function certManagerValues(): Record<string, unknown> {
  const image = (component: string) => ({ repository: `${REGISTRIES.certManager}/jetstack/cert-manager-${component}` });
  return {
    // `crds.enabled` + `crds.keep` is what the deprecated `installCRDs: true` meant: the chart
    // installs the CRDs and a chart uninstall keeps them (and with them every Certificate).
    crds: { enabled: true, keep: true },
    // The HTTP-01 solver answers through the Gateway (an HTTPRoute per challenge), which needs
    // cert-manager's Gateway API support: `config.enableGatewayAPI` (the controller's
    // ControllerConfiguration, the chart's documented switch since 1.15).
    config: {
      apiVersion: "controller.config.cert-manager.io/v1alpha1",
      kind: "ControllerConfiguration",
      enableGatewayAPI: true,
    },
    image: image("controller"),
    webhook: { image: image("webhook") },
    cainjector: { image: image("cainjector") },
    acmesolver: { image: image("acmesolver") },
    startupapicheck: { image: image("startupapicheck") },
  };
}

/**
 * The ClusterIssuer spec: ACME account from config, HTTP-01 through the Gateway's port-80
 * listener. The solver's HTTPRoute and Service land in the Certificate's namespace, which is the
 * edge namespace for every certificate the platform declares (the only routes that listener admits).
 */
export function clusterIssuerSpec(platform: Pick<PlatformConfig, "letsEncryptEmail" | "letsEncryptServer">) {
  return {
    acme: {
      email: platform.letsEncryptEmail,
      server: ACME_SERVERS[platform.letsEncryptServer],
      privateKeySecretRef: { name: `${CLUSTER_ISSUER}-account-key` },
      // ClusterIP: cert-manager's solver Service defaults to NodePort, which opens a port on every
      // node and which tenant namespaces forbid (TEN-SVC-001), should a solver ever run in one.
      solvers: [
        {
          http01: {
            gatewayHTTPRoute: {
              parentRefs: [
                {
                  group: GATEWAY_API_GROUP,
                  kind: "Gateway",
                  name: EDGE.gateway,
                  namespace: PLATFORM_NAMESPACES.ingress,
                  sectionName: EDGE.httpListener,
                },
              ],
              serviceType: "ClusterIP",
            },
          },
        },
      ],
    },
  };
}

export interface CertManagerParts {
  namespace: k8s.core.v1.Namespace;
  release: k8s.helm.v3.Release;
  clusterIssuer: k8s.apiextensions.CustomResource;
}

export function certManager(ctx: PlatformContext, ccm: k8s.helm.v3.Release): CertManagerParts {
  const namespace = platformNamespace(ctx, "cert-manager", PLATFORM_NAMESPACES.certManager);
  const rel = release(
    ctx,
    "cert-manager",
    {
      chart: "certManager",
      releaseName: "cert-manager",
      namespace: namespace.metadata.name,
      values: certManagerValues(),
    },
    { dependsOn: [ccm] },
  );
  // One name on every site (staging's points at the ACME staging server), so tenant manifests
  // are the same everywhere. The CRD comes with the release: depend on exactly that.
  const clusterIssuer = new k8s.apiextensions.CustomResource(
    `${ctx.name}-cluster-issuer`,
    {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: CLUSTER_ISSUER },
      spec: clusterIssuerSpec(ctx.config.platform),
    },
    k8sOpts(ctx, { dependsOn: [rel] }),
  );
  return { namespace, release: rel, clusterIssuer };
}
