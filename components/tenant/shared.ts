/**
 * Objects the platform declares once for every tenant (issue 14), as pure manifests like
 * manifests.ts: the ClusterRole Argo CD's tenant syncs run under (bound per namespace by each
 * tenant's RoleBinding) and the PriorityClasses tenant pods may use.
 */
import type * as k8s from "@pulumi/kubernetes";
import { SYNC_VERBS, TENANT_KINDS } from "../rules/hardening";
import { TENANT_SYNC_ROLE } from "./contract";
import { TENANT_PRIORITY_CLASSES } from "../rules/workloads";
import type { NamedMeta } from "../platform/kube-object";

type Manifest<T, V extends string, K extends string> = T & { apiVersion: V; kind: K; metadata: NamedMeta };

/**
 * What a tenant's repository may write, as the RBAC the sync ServiceAccount holds: TENANT_KINDS
 * (the AppProject's allow-list, the same list) with the verbs apply, prune and diff need. Bound
 * by a RoleBinding, so in the tenant's namespace only; no aggregation, so nothing adds to it.
 */
export function syncClusterRole(): Manifest<
  k8s.types.input.rbac.v1.ClusterRole,
  "rbac.authorization.k8s.io/v1",
  "ClusterRole"
> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: TENANT_SYNC_ROLE, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    rules: rulesByGroup(TENANT_KINDS, SYNC_VERBS),
  };
}

/** One RBAC rule per API group of `kinds` (in their order), each with `verbs` on that group's resources. */
export function rulesByGroup(
  kinds: readonly { group: string; resource: string }[],
  verbs: readonly string[],
): k8s.types.input.rbac.v1.PolicyRule[] {
  const groups = [...new Set(kinds.map((k) => k.group))];
  return groups.map((g) => ({
    apiGroups: [g],
    resources: kinds.filter((k) => k.group === g).map((k) => k.resource),
    verbs: [...verbs],
  }));
}

/**
 * The PriorityClasses tenants may name (TEN-PRIO-001 denies every other, system classes
 * included). preemptionPolicy Never: a tenant's priority orders its own pods in the scheduling
 * queue and under node pressure, but never evicts another tenant's running pods. Neither is the
 * global default (that would rank every platform pod with them).
 */
export function priorityClasses(): Manifest<
  k8s.types.input.scheduling.v1.PriorityClass,
  "scheduling.k8s.io/v1",
  "PriorityClass"
>[] {
  const pc = (name: string, value: number, description: string) => ({
    apiVersion: "scheduling.k8s.io/v1" as const,
    kind: "PriorityClass" as const,
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    value,
    globalDefault: false,
    preemptionPolicy: "Never",
    description,
  });
  return [
    pc(TENANT_PRIORITY_CLASSES.standard, 0, "Tenant workloads (the same rank as pods without a class)."),
    pc(
      TENANT_PRIORITY_CLASSES.live,
      1000,
      "Tenant live ingest: ranked above the tenant's other pods, never preempting anyone's.",
    ),
  ];
}
