/**
 * No kubelet in the engine tests: the control plane has no nodes, so no pod ever runs, and the
 * Kubernetes provider's await logic for workloads (a Deployment's pods available, a Job complete)
 * would wait until its timeout. The stand-in is the provider's own switch for that wait: the
 * `pulumi.com/skipAwait: "true"` annotation, added by a stack transformation to the objects of
 * the kinds whose readiness is their pods' (AWAITED_ON_PODS). The provider still applies them
 * server-side and the API server still validates and stores them; only the wait is skipped.
 *
 * What it changes, and how the suite accounts for it: those objects carry one annotation the plan
 * does not declare (the comparison is planned fields ⊆ live fields, so it still holds field by
 * field), and the provider does not prove they would become ready (docs/engine-tests.md, what
 * stands in). Staging's Kubernetes layer has no such object; prod's has the cluster-autoscaler's
 * Deployment (components/platform/autoscaler.ts).
 */
import * as pulumi from "@pulumi/pulumi";

export const SKIP_AWAIT = "pulumi.com/skipAwait";

/**
 * Kinds the provider awaits through their pods (@pulumi/kubernetes 4.x await logic: Deployment,
 * ReplicaSet, StatefulSet, DaemonSet, Pod, Job). Service, Ingress and PVC waits do not depend on a
 * kubelet here: a ClusterIP Service is awaited only when it selects pods, and the platform declares
 * no Ingress or PVC.
 */
export const AWAITED_ON_PODS: readonly string[] = [
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:ReplicaSet",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
  "kubernetes:core/v1:Pod",
  "kubernetes:batch/v1:Job",
];

/** The stack transformation: `pulumi.com/skipAwait: "true"` on every object of AWAITED_ON_PODS. */
export function noKubelet(): pulumi.ResourceTransformation {
  return (args) => {
    if (!AWAITED_ON_PODS.includes(args.type)) return undefined;
    const props = args.props as Record<string, unknown>;
    const metadata = pulumi.output(props.metadata as pulumi.Input<Record<string, unknown>>).apply((md) => ({
      ...md,
      annotations: { ...((md?.annotations as Record<string, string> | undefined) ?? {}), [SKIP_AWAIT]: "true" },
    }));
    return { props: { ...props, metadata }, opts: args.opts };
  };
}
