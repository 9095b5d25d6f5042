/**
 * One way to install a chart: helm.v3.Release with a pinned version and a bounded wait.
 *
 * Why Release and not helm.v4.Chart: Chart renders templates client-side and skips Helm hooks,
 * and these charts need theirs (argo-cd's redis-secret-init pre-install Job creates the Redis
 * password every Argo CD component mounts; ingress-nginx's admission webhook certgen Jobs;
 * cert-manager's startupapicheck). Release runs the real Helm install/upgrade, hooks included,
 * and `atomic` waits until the workloads are ready, so what depends on a release really finds it
 * running.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import type { PlatformConfig } from "../config/schema";
import { ChartName, chartPin } from "../versions";

/** What every platform part needs: names, config, and where its children hang. */
export interface PlatformContext {
  /** The Platform component's name; children are `${name}-<part>`. */
  name: string;
  /** The validated stack configuration. */
  config: StackConfig;
  /** The Platform component (every child's parent). */
  parent: pulumi.Resource;
  /** The gated Kubernetes provider. */
  provider: k8s.Provider;
}

/** Options for a Kubernetes child: parented and on the gated provider, plus `extra`. */
export function k8sOpts(ctx: PlatformContext, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
  return pulumi.mergeOptions(extra, { parent: ctx.parent, provider: ctx.provider });
}

export interface ReleaseSpec {
  /** Which pinned chart (components/versions.ts, overridable per stack). */
  chart: ChartName;
  /** Helm release name: fixed, so the objects it creates have predictable names. */
  releaseName: string;
  /** Namespace to install into (created by the platform, never by Helm). */
  namespace: pulumi.Input<string>;
  /** Chart values. */
  values: pulumi.Input<Record<string, unknown>>;
}

/** Declares `${ctx.name}-${part}`: a pinned, bounded Helm release on the gated provider. */
export function release(
  ctx: PlatformContext,
  part: string,
  spec: ReleaseSpec,
  extra: pulumi.CustomResourceOptions = {},
): k8s.helm.v3.Release {
  const platform: PlatformConfig = ctx.config.platform;
  const pin = chartPin(spec.chart, platform.charts);
  return new k8s.helm.v3.Release(
    `${ctx.name}-${part}`,
    {
      name: spec.releaseName,
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: { repo: pin.repo },
      namespace: spec.namespace,
      // Namespaces are declared objects (labels, protect, ordering), not a Helm side effect.
      createNamespace: false,
      values: spec.values,
      // Bounded: Helm gives up after this many seconds instead of Pulumi waiting forever.
      timeout: platform.helmTimeoutSeconds,
      // A failed install is rolled back (uninstalled), so the next `pulumi up` starts clean
      // instead of tripping over a half-installed "failed" release; implies waiting for readiness.
      atomic: true,
      cleanupOnFail: true,
      waitForJobs: true,
      // Keep a short history: enough to roll back by hand, not a growing pile of Secrets.
      maxHistory: 5,
    },
    k8sOpts(ctx, extra),
  );
}

/**
 * A namespace the platform owns. Declared (not `createNamespace`) so it is protected on protected
 * stacks and exists before the Secrets that must precede a chart (Sealed Secrets' key). Pod
 * Security: `baseline` enforced (ingress-nginx needs NET_BIND_SERVICE with privilege escalation,
 * which `restricted` forbids), `restricted` audited and warned so drift toward it is visible.
 */
export function platformNamespace(ctx: PlatformContext, part: string, namespace: string): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    `${ctx.name}-${part}-ns`,
    {
      metadata: {
        name: namespace,
        labels: {
          "platform.video/platform": "true",
          "pod-security.kubernetes.io/enforce": "baseline",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    },
    k8sOpts(ctx, { protect: ctx.config.protected }),
  );
}
