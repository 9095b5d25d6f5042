/**
 * Two ways to install a pinned chart.
 *
 * `release()`: helm.v3.Release with a bounded wait, for every chart that runs workloads. Why
 * Release and not helm.v4.Chart: Chart renders templates client-side and skips Helm hooks, and
 * these charts need theirs (argo-cd's redis-secret-init pre-install Job creates the Redis password
 * every Argo CD component mounts; Envoy Gateway's certgen Job; cert-manager's startupapicheck).
 * Release runs the real Helm install/upgrade, hooks included, and `atomic` waits until the
 * workloads are ready, so what depends on a release really finds it running.
 *
 * `crdChart()`: helm.v4.Chart, for a chart that only defines API types (the Gateway API and Envoy
 * Gateway CRDs). Helm keeps every release, chart files and rendered manifest included, in one
 * Secret, and the API server caps a Secret at 1 MiB: such a bundle does not fit (below).
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
  /** Skip the chart's crds/ directory: when another release installs those CRDs (the edge's). */
  skipCrds?: boolean;
}

/**
 * The chart reference and repository options Helm takes for a pin: a classic repository is
 * named in repositoryOpts, an OCI one (Envoy Gateway's charts) goes into the chart reference
 * itself (`oci://<registry>/<path>/<chart>`, with `version`): Release's OCI support
 * (pulumi/pulumi-kubernetes#1892). It has no registry login (pulumi/pulumi-kubernetes#1914); the
 * pinned OCI charts are public, so none is needed.
 */
export function chartSource(pin: { repo: string; chart: string }): {
  chart: string;
  repositoryOpts?: { repo: string };
} {
  return pin.repo.startsWith("oci://")
    ? { chart: `${pin.repo}/${pin.chart}` }
    : { chart: pin.chart, repositoryOpts: { repo: pin.repo } };
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
      ...chartSource(pin),
      version: pin.version,
      ...(spec.skipCrds ? { skipCrds: true } : {}),
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

export interface CrdChartSpec {
  /** Which pinned chart (components/versions.ts, overridable per stack). */
  chart: ChartName;
  /** The release name the chart's templates see (`.Release.Name`); no release is stored. */
  releaseName: string;
  /** Namespace the chart's namespaced objects (if any) go to. */
  namespace: pulumi.Input<string>;
  /** Chart values. */
  values: Record<string, unknown>;
}

/**
 * Declares `${ctx.name}-${part}`: a pinned chart of API types rendered client-side and applied
 * object by object through the gated provider (helm.v4.Chart: `helm template` + server-side
 * apply, each CRD awaited until Established), which is how upstream installs its CRD chart
 * (Envoy Gateway v1.9 docs, install/install-helm.md "Installing CRDs separately":
 * `helm template … | kubectl apply --server-side`). No release Secret: a Helm release of
 * gateway-crds-helm v1.9.1 cannot be stored, its Secret would exceed the API server's 1 MiB
 * (envoyproxy/gateway#6105, open; the real engine hit it: docs/engine-tests.md). Release's
 * reasons do not apply to such a chart: it has no hooks and no workload to wait for.
 *
 * Every rendered object is a child of the Chart in the state. A CRD's deletion deletes every
 * object of its kind, so on protected stacks the Chart is protected and its children inherit it:
 * a change that would drop a CRD fails instead of emptying the site's routes.
 */
export function crdChart(
  ctx: PlatformContext,
  part: string,
  spec: CrdChartSpec,
  extra: pulumi.ComponentResourceOptions = {},
): k8s.helm.v4.Chart {
  const pin = chartPin(spec.chart, ctx.config.platform.charts);
  return new k8s.helm.v4.Chart(
    `${ctx.name}-${part}`,
    {
      name: spec.releaseName,
      ...chartSource(pin),
      version: pin.version,
      namespace: spec.namespace,
      values: spec.values,
    },
    pulumi.mergeOptions(extra, { parent: ctx.parent, provider: ctx.provider, protect: ctx.config.protected }),
  );
}

/**
 * A namespace the platform owns. Declared (not `createNamespace`) so it is protected on protected
 * stacks and exists before the Secrets that must precede a chart (Sealed Secrets' key). Pod
 * Security: `baseline` enforced (the floor every platform chart meets; Envoy's proxies listen on
 * unprivileged ports and would pass `restricted`, but not every chart here does yet),
 * `restricted` audited and warned so drift toward it is visible.
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
