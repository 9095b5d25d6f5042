/**
 * What the platform's charts would create that the plan's own objects, the tenants, the tests and
 * the local Argo CD depend on, since Helm releases are not installed here (no chart repository is
 * reachable). Only these; each is derived from the plan's argo-cd releases and the values it gives
 * them, and says which chart template it stands in for (tools/argocd/chart.ts).
 */
import {
  ArgoRelease,
  argocdReleases,
  chartObjects,
  chartSecrets,
  controllerServiceAccount,
  type PlannedRelease,
} from "../argocd/chart";
import { serviceAccountIdentity, type Identity } from "./identities";
import type { KubeObject } from "./objects";

/** An Argo CD instance as the plan declares it: a release of the argo-cd chart and the values it gets. */
export interface ArgocdInstance {
  release: string;
  namespace: string;
  /** The chart values (the plan must be made with `reveal: PLAN_REVEAL` for a release whose values are secret). */
  values: Record<string, unknown>;
  /** Its application controller, as the API server sees its ServiceAccount (named as the chart names it). */
  controller: Identity & { namespace: string; name: string };
}

/** Every argo-cd release of the plan and its application controller's identity. */
export function argocdInstances(resources: readonly PlannedRelease[]): ArgocdInstance[] {
  return argocdReleases(resources).map((r) => {
    const name = controllerServiceAccount(r);
    return {
      release: r.release,
      namespace: r.namespace,
      values: r.values,
      controller: { ...serviceAccountIdentity(r.namespace, name), namespace: r.namespace, name },
    };
  });
}

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
