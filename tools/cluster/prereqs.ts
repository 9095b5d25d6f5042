/**
 * What the platform's charts would create that the plan's own objects and the tenants' depend on,
 * since Helm releases are not installed here (no chart repository is reachable). Only these;
 * each says which chart template it stands in for.
 */
import { ARGOCD_CONTROLLER_SA, ARGOCD_NAMESPACE } from "./identities";
import type { KubeObject } from "./objects";

const CHART_LABELS = { "app.kubernetes.io/managed-by": "video-platform-cluster-tests" };

/**
 * The argo-cd chart's application controller account and its cluster-wide role
 * (argo-helm charts/argo-cd/templates/argocd-application-controller/clusterrole.yaml with the
 * chart's defaults: `controller.clusterAdminAccess.enabled: true`, no custom clusterRoleRules,
 * which grants every verb on every resource and non-resource URL). This is the identity Argo CD
 * applies tenant repositories as unless an AppProject names an impersonation account.
 */
export function argocdControllerObjects(): KubeObject[] {
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: ARGOCD_CONTROLLER_SA, namespace: ARGOCD_NAMESPACE, labels: CHART_LABELS },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: ARGOCD_CONTROLLER_SA, labels: CHART_LABELS },
      rules: [
        { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
        { nonResourceURLs: ["*"], verbs: ["*"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: ARGOCD_CONTROLLER_SA, labels: CHART_LABELS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ARGOCD_CONTROLLER_SA },
      subjects: [{ kind: "ServiceAccount", name: ARGOCD_CONTROLLER_SA, namespace: ARGOCD_NAMESPACE }],
    },
  ];
}

/** Chart-created objects for a plan: the Argo CD namespace when the plan lacks it, then the above. */
export function chartPrerequisites(planned: readonly KubeObject[]): KubeObject[] {
  const hasArgoNs = planned.some((o) => o.kind === "Namespace" && o.metadata.name === ARGOCD_NAMESPACE);
  return [
    ...(hasArgoNs ? [] : [{ apiVersion: "v1", kind: "Namespace", metadata: { name: ARGOCD_NAMESPACE } }]),
    ...argocdControllerObjects(),
  ];
}
