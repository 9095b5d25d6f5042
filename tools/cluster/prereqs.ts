/**
 * What the platform's charts would create that the plan's own objects, the tenants and the tests
 * depend on, since Helm releases are not installed here (no chart repository is reachable). Only
 * these; each says which chart template it stands in for, and each is derived from the plan: the
 * argo-cd releases it declares, with the values it gives them.
 */
import { argocdValues } from "../../components/platform/argocd";
import type { PlannedResource } from "../plan/runtime";
import { serviceAccountIdentity, type Identity } from "./identities";
import type { KubeObject } from "./objects";

const CHART_LABELS = { "app.kubernetes.io/managed-by": "video-platform-cluster-tests" };
const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "[secret]";

/** An Argo CD instance as the plan declares it: a release of the argo-cd chart and the values it gets. */
export interface ArgocdInstance {
  release: string;
  namespace: string;
  /** The chart values (a secret in the plan is rendered again by the program's own builder). */
  values: Record<string, unknown>;
  /** Its application controller, as the API server sees its ServiceAccount. */
  controller: Identity & { namespace: string; name: string };
}

/**
 * Values the plan hides (they carry the admin password hash): the program's builder for that
 * release with placeholders for the secrets, which play no part in what the chart's RBAC becomes.
 */
const SECRET_VALUES: Readonly<Record<string, () => Record<string, unknown>>> = {
  argocd: () => argocdValues({ domain: "argocd.cluster-tests.invalid", adminPasswordBcrypt: "x", webhookSecret: "x" }),
};

/** Every argo-cd release of the plan (argo-helm's chart names its controller `<release>-application-controller`). */
export function argocdInstances(resources: readonly PlannedResource[]): ArgocdInstance[] {
  return resources
    .filter((r) => r.type === RELEASE && r.inputs.chart === "argo-cd")
    .map((r) => {
      const release = String(r.inputs.name);
      const namespace = String(r.inputs.namespace);
      const hidden = r.inputs.values === SECRET;
      const builder = SECRET_VALUES[release];
      if (hidden && !builder)
        throw new Error(`argo-cd release ${release}: its values are secret and no builder renders them`);
      const values = (hidden ? builder() : r.inputs.values) as Record<string, unknown>;
      const name = `${release}-application-controller`;
      return {
        release,
        namespace,
        values,
        controller: { ...serviceAccountIdentity(namespace, name), namespace, name },
      };
    });
}

/**
 * The argo-cd chart's application controller account and its cluster-wide role, as argo-helm
 * charts/argo-cd/templates/argocd-application-controller/{serviceaccount,clusterrole,
 * clusterrolebinding}.yaml render them (chart 10.1.1): the ClusterRole and its binding only with
 * `createClusterRoles` (default true), its rules `controller.clusterRoleRules.rules` when enabled,
 * else `*` on `*` and every non-resource URL.
 */
export function argocdControllerObjects(instance: ArgocdInstance): KubeObject[] {
  const v = instance.values as {
    createClusterRoles?: boolean;
    controller?: { clusterRoleRules?: { enabled?: boolean; rules?: unknown[] } };
  };
  const { name, namespace } = instance.controller;
  const account: KubeObject = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace, labels: CHART_LABELS },
  };
  if (v.createClusterRoles === false) return [account];
  const custom = v.controller?.clusterRoleRules;
  const rules = custom?.enabled
    ? custom.rules
    : [
        { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
        { nonResourceURLs: ["*"], verbs: ["*"] },
      ];
  return [
    account,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name, labels: CHART_LABELS },
      rules,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name, labels: CHART_LABELS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  ];
}

/** Chart-created objects for a plan: every argo-cd release's controller account and cluster-wide role. */
export function chartPrerequisites(resources: readonly PlannedResource[]): KubeObject[] {
  return argocdInstances(resources).flatMap(argocdControllerObjects);
}
