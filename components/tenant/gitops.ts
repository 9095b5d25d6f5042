/**
 * What the tenant-facing Argo CD (namespaces.ts ARGOCD_INSTANCES.tenants) may do in a tenant's
 * namespace, as pure manifests (docs/tenant-isolation.md §1, TEN-ARGO-006). Its application
 * controller holds no ClusterRole and no ClusterRoleBinding: each tenant namespace binds it, by a
 * RoleBinding the tenant component creates with the namespace (names: namespaces.ts TENANT_ARGOCD),
 * to one ClusterRole that
 *   - reads the kinds its cluster cache diffs, prunes and shows (the tenant kinds, their pods and
 *     ReplicaSets; no Secrets, so a compromised instance reads no tenant's stream key), and
 *   - impersonates the ServiceAccount `argocd-sync`: in a RoleBinding's namespace only, so the
 *     tenant's own sync identity, never the platform's cluster-admin one (in `argocd`).
 * Every write of a sync runs as that impersonated identity (sync impersonation, enforced), whose
 * RBAC is the tenant kinds in the tenant's namespace (TEN-ARGO-003).
 */
import type * as k8s from "@pulumi/kubernetes";
import { TENANT_KINDS } from "../rules/hardening";
import type { NamedMeta } from "../platform/kube-object";
import { TENANT_ARGOCD } from "../platform/namespaces";
import { SYNC_SERVICE_ACCOUNT, TENANT_LABEL } from "./contract";
import { rulesByGroup } from "./shared";
import type { TenantSpec } from "./load";

/** Kinds the controller reads besides the tenant kinds: what a Deployment's or Job's tree and health show. */
const TREE_KINDS = [
  { group: "", resource: "pods" },
  { group: "apps", resource: "replicasets" },
] as const;
const READ = ["get", "list", "watch"];

type Manifest<T, V extends string, K extends string> = T & { apiVersion: V; kind: K; metadata: NamedMeta };

/** The controller's rights in one tenant namespace: read its kinds, impersonate its sync account. */
export function controllerClusterRole(): Manifest<
  k8s.types.input.rbac.v1.ClusterRole,
  "rbac.authorization.k8s.io/v1",
  "ClusterRole"
> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: TENANT_ARGOCD.controllerRole, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    rules: [
      ...rulesByGroup([...TENANT_KINDS, ...TREE_KINDS], READ),
      {
        apiGroups: [""],
        resources: ["serviceaccounts"],
        verbs: ["impersonate"],
        resourceNames: [SYNC_SERVICE_ACCOUNT],
      },
    ],
  };
}

/** Binds the tenant Argo CD's controller to TENANT_ARGOCD.controllerRole in the tenant's namespace only. */
export function controllerBinding(
  spec: Pick<TenantSpec, "name">,
): Manifest<k8s.types.input.rbac.v1.RoleBinding, "rbac.authorization.k8s.io/v1", "RoleBinding"> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: {
      name: TENANT_ARGOCD.controllerBinding,
      namespace: spec.name,
      labels: { [TENANT_LABEL]: spec.name, "app.kubernetes.io/managed-by": "pulumi" },
    },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: TENANT_ARGOCD.controllerRole },
    subjects: [
      { kind: "ServiceAccount", name: TENANT_ARGOCD.controller.name, namespace: TENANT_ARGOCD.controller.namespace },
    ],
  };
}
