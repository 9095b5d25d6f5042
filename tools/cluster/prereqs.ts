/**
 * What the platform's charts would create that the plan's own objects, the tenants and the local
 * Argo CD depend on, since Helm releases are not installed here (no chart repository is
 * reachable). Only these; each says which chart template it stands in for.
 */
import { ArgoRelease, chartObjects, chartSecrets } from "../argocd/chart";
import type { KubeObject } from "./objects";

/**
 * Chart-created objects for a plan: per argo-cd release, its namespace when the plan lacks it,
 * then what tools/argocd/chart.ts renders from the release's values (the application
 * controller's ServiceAccount, ClusterRole and Role with bindings, argocd-cm,
 * argocd-cmd-params-cm, argocd-rbac-cm, argocd-secret, argocd-redis). `store` keeps generated
 * values (the Redis password) across runs.
 */
export function chartPrerequisites(
  planned: readonly KubeObject[],
  releases: readonly ArgoRelease[],
  store: Record<string, unknown>,
): KubeObject[] {
  return releases.flatMap((r) => [
    ...(planned.some((o) => o.kind === "Namespace" && o.metadata.name === r.namespace)
      ? []
      : [{ apiVersion: "v1", kind: "Namespace", metadata: { name: r.namespace } }]),
    ...chartObjects(r, chartSecrets(r, store)),
  ]);
}
