/**
 * How long a from-scratch `pulumi up` spends creating one resource, per resource type, as data.
 * Each entry says where its number comes from; `estimate: true` marks numbers that are reasoned
 * from the cited behaviour rather than measured by the cited source. Rules are tried in order and
 * the first match wins, so specific rules (a chart, a name) come before general ones (a type
 * family). A custom type no rule names falls to the last rule and is listed by the model as
 * "unknown type", so a new kind of resource cannot silently cost nothing.
 *
 * The durations are the create step as the engine sees it: provider call plus the provider's own
 * waiting (Hetzner actions, Helm --wait, Kubernetes await logic). Engine and backend overhead per
 * step (checkpoint writes) are not in the table; see MODEL_ASSUMPTIONS.
 */

import { MEASURED_APPLY } from "./measured";
import { MEASURED_ENGINE } from "./measured-engine";

export interface LatencyRule {
  /** Resource type token; `*` matches any run of characters (`kubernetes:*`). */
  type: string;
  /** Only resources whose logical name matches this regular expression. */
  name?: string;
  /** Only Helm releases/charts whose `chart` input matches this regular expression. */
  chart?: string;
  /** Create duration, seconds. */
  seconds: number;
  /** Where the number comes from. */
  source: string;
  /** True when the number is our estimate from the source's description, not a measurement. */
  estimate: boolean;
}

/**
 * One plain Kubernetes object's step as the engine runs it (slot time at the bench's parallelism):
 * the bench's wall time per object × its parallelism, scaled to an unloaded machine by
 * CPUs / load average (at most 1).
 */
export const ENGINE_STEP_SECONDS = Number(
  (
    MEASURED_ENGINE.secondsPerObject *
    MEASURED_ENGINE.parallel *
    Math.min(1, MEASURED_ENGINE.cpus / MEASURED_ENGINE.loadAverage)
  ).toFixed(3),
);

/** Requests one object's create costs the Kubernetes provider: dry-run apply at check/diff, the apply, and a read back. */
const REQUESTS_PER_OBJECT = 3;

const HCLOUD_API =
  "Hetzner Cloud API: create returns at once; the provider then polls the create action until it finishes (docs.hetzner.cloud, Actions)";
const K8S_PLAIN =
  "@pulumi/kubernetes 4.34 doc comments: only Deployment, ReplicaSet, StatefulSet, DaemonSet, Pod, Job, Service, Ingress and PVC have await logic; other kinds are done when the API server accepts the apply (one server-side apply round trip + engine step)";
const HELM_WAIT =
  "helm.v3.Release waits for every workload of the release to be ready unless skipAwait (@pulumi/kubernetes helm/v3/release.d.ts: skipAwait); duration = image pulls + readiness probes";

export const LATENCY: LatencyRule[] = [
  // Pulumi's own bookkeeping: components and the stack cost no provider call.
  { type: "pulumi:pulumi:Stack", seconds: 0, source: "engine bookkeeping, no provider call", estimate: false },
  { type: "platform:*", seconds: 0, source: "component resource: no provider call", estimate: false },
  {
    type: "pulumi:providers:*",
    seconds: 1,
    source: "provider plugin start + Configure (local process, no cloud call)",
    estimate: true,
  },

  // Local-only providers: keys, certificates and random values are computed in the plugin.
  { type: "tls:*", seconds: 0.2, source: "computed locally by the tls provider (no remote API)", estimate: true },
  {
    type: "random:*",
    seconds: 0.1,
    source: "computed locally by the random provider (no remote API)",
    estimate: true,
  },

  // Hetzner Cloud.
  {
    type: "hcloud:index/server:Server",
    seconds: 25,
    source:
      "alchemy.run/hetzner/compute/servers: a Hetzner Cloud server 'boots in about ten seconds'; plus the provider waiting for the create action and the private-network attach action",
    estimate: true,
  },
  {
    type: "hcloud:index/loadBalancer:LoadBalancer",
    seconds: 10,
    source: `${HCLOUD_API}; a load balancer is provisioned like a small server`,
    estimate: true,
  },
  {
    type: "hcloud:index/serverNetwork:ServerNetwork",
    seconds: 5,
    source: `${HCLOUD_API} (attach_to_network action)`,
    estimate: true,
  },
  {
    type: "hcloud:index/loadBalancer*",
    seconds: 3,
    source: `${HCLOUD_API} (load balancer service/target/network actions)`,
    estimate: true,
  },
  {
    type: "hcloud:index/networkSubnet:NetworkSubnet",
    seconds: 2,
    source: `${HCLOUD_API} (add_subnet action)`,
    estimate: true,
  },
  { type: "hcloud:index/volume*", seconds: 10, source: `${HCLOUD_API} (volume create/attach)`, estimate: true },
  {
    type: "hcloud:*",
    seconds: 1,
    source: `${HCLOUD_API}; networks, firewalls, SSH keys, placement groups, primary IPs have no long action`,
    estimate: true,
  },

  // The readiness gate: everything Kubernetes waits for the API's /readyz with the cluster CA.
  // Its duration is the k3s bootstrap that happens on the servers after they are created.
  {
    // components/platform/gate.ts: a dynamic resource named `<platform>-gate`.
    type: "pulumi-nodejs:dynamic:Resource",
    name: "(^|-)(gate|ready|readyz)$",
    seconds: 90,
    source:
      "github.com/vitobotta/hetzner-k3s README: a 3-master + 3-worker HA k3s cluster, servers and network included, comes up in 2-3 minutes; minus ~25 s server creation, the k3s install from cloud-init and the API server start take ~90 s",
    estimate: true,
  },

  // Helm releases (helm --wait semantics) and the one client-side chart, per chart.
  {
    type: "kubernetes:helm.sh/*",
    chart: "argo-cd",
    seconds: 120,
    source: `${HELM_WAIT}; argo-cd starts 6 workloads (server, repo-server, application-controller, applicationset, redis, dex) from quay.io/ghcr.io`,
    estimate: true,
  },
  {
    type: "kubernetes:helm.sh/*",
    chart: "cert-manager",
    seconds: 60,
    source: `${HELM_WAIT}; cert-manager's startupapicheck job waits for the webhook with a 1m default timeout (chart value startupapicheck.timeout; cert-manager/cert-manager#2908: webhook ready up to a minute after install)`,
    estimate: true,
  },
  {
    type: "kubernetes:helm.sh/*",
    chart: "gateway-crds-helm",
    seconds: 15,
    source:
      "helm.v4.Chart (components/platform/releases.ts crdChart): rendered client-side, each CRD applied server-side and awaited until Established; CRDs only (Gateway API standard channel and Envoy Gateway's), no workload to wait for",
    estimate: true,
  },
  {
    type: "kubernetes:helm.sh/*",
    chart: "gateway-helm",
    seconds: 60,
    source: `${HELM_WAIT}; Envoy Gateway's certgen hook job, then the controller Deployment (the Envoy proxies and their LoadBalancer Service come later, from the Gateway)`,
    estimate: true,
  },
  {
    type: "kubernetes:helm.sh/*",
    chart: "hcloud-csi",
    seconds: 45,
    source: `${HELM_WAIT}; controller Deployment + node DaemonSet`,
    estimate: true,
  },
  {
    type: "kubernetes:helm.sh/*",
    chart: "(hcloud-cloud-controller-manager|sealed-secrets)",
    seconds: 30,
    source: `${HELM_WAIT}; a single small Deployment`,
    estimate: true,
  },
  {
    type: "kubernetes:helm.sh/*",
    seconds: 60,
    source: `${HELM_WAIT}; an unnamed chart gets a typical one-minute install`,
    estimate: true,
  },
  {
    type: "kubernetes:yaml/*",
    seconds: 5,
    source: "ConfigGroup/ConfigFile: a batch of plain objects applied by the provider",
    estimate: true,
  },

  // Kubernetes objects with await logic (pods must become ready).
  {
    type: "kubernetes:apps/v1:*",
    seconds: 30,
    source: "@pulumi/kubernetes await logic: waits for the workload's pods to be ready (image pull + probes)",
    estimate: true,
  },
  {
    type: "kubernetes:batch/v1:Job",
    seconds: 30,
    source: "@pulumi/kubernetes await logic: waits for the Job to complete",
    estimate: true,
  },
  {
    type: "kubernetes:core/v1:Service",
    seconds: 2,
    source: "@pulumi/kubernetes await logic: ClusterIP services wait for endpoints (LoadBalancer services longer)",
    estimate: true,
  },
  {
    type: "kubernetes:core/v1:PersistentVolumeClaim",
    seconds: 15,
    source: "@pulumi/kubernetes await logic: waits for binding (hcloud CSI volume create)",
    estimate: true,
  },

  // Every other Kubernetes object: one engine step, from the real engine's from-scratch `up`
  // (tools/model/measured-engine.ts, written by `npm run bench:engine -- --write-model`), not from
  // kubectl's apply alone, which leaves out the engine and the provider (ENGINE_STEP_SECONDS).
  {
    type: "kubernetes:*",
    seconds: ENGINE_STEP_SECONDS,
    source:
      `${K8S_PLAIN}; measured: a from-scratch \`pulumi up\` through the real engine took ` +
      `${MEASURED_ENGINE.secondsPerObject} s of wall time per Kubernetes object ` +
      `(${MEASURED_ENGINE.objects} objects with ${MEASURED_ENGINE.tenants} tenants, ${MEASURED_ENGINE.repeats} run(s), ` +
      `npm run bench:engine, ${MEASURED_ENGINE.measuredOn}; kubectl apply --server-side of the same objects ` +
      `${(MEASURED_ENGINE.floorSecondsPerObject * 1000).toFixed(1)} ms, bench:cluster's ` +
      `${(MEASURED_APPLY.secondsPerObject * 1000).toFixed(1)} ms) at --parallel ${MEASURED_ENGINE.parallel}, so one step ` +
      `holds a slot ${MEASURED_ENGINE.parallel}× that; scaled to an unloaded machine by ` +
      `${MEASURED_ENGINE.cpus} CPUs / load ${MEASURED_ENGINE.loadAverage} (engine, provider and API server shared ` +
      "a busy 2-core machine); an upper bound, since that up's time includes the platform's serial releases; " +
      "network latency to a remote API server is not in it",
    estimate: true,
  },

  // Anything else (dynamic providers, new packages): flagged as unknown by the model.
  {
    type: "*",
    seconds: 5,
    source: "unknown type: no rule names it; add one to tools/model/latency.ts",
    estimate: true,
  },
];

/**
 * The Kubernetes provider's client-side rate limit, which caps how fast one provider creates
 * objects however high --parallel is.
 */
export const KUBE_CLIENT = {
  /** Requests per second, refilled continuously. */
  qps: 50,
  /** Requests that may go at once from a full bucket. */
  burst: 120,
  /** Requests one object's create costs: dry-run apply at check/diff, the apply, and a read back. */
  requestsPerObject: REQUESTS_PER_OBJECT,
  source:
    "pulumi/pulumi-kubernetes provider/pkg/provider/provider.go: kubeClientSettings default QPS 50 and burst 120 " +
    "(PULUMI_K8S_CLIENT_QPS / PULUMI_K8S_CLIENT_BURST); 3 requests per object is our estimate",
  estimate: true,
} as const;

/** What the model assumes beyond the table; printed with every model run. */
export const MODEL_ASSUMPTIONS = [
  "Parallelism: `pulumi up` runs at most P resource operations at once; the CLI default is 4 × GOMAXPROCS " +
    "(pulumi/pulumi pkg/cmd/pulumi/operations/up.go defaultParallel, since pulumi/pulumi#15016; PULUMI_PARALLEL or " +
    "--parallel override it). The default P = 8 is a 2-vCPU runner; the model also reports P = 16 and unbounded.",
  "Order: a resource starts when everything it depends on is done: explicit dependsOn and input dependencies " +
    "(the plan's options.dependsOn), its provider, and its parent (a custom parent must be created; a component " +
    "parent must be registered). Depending on a component means waiting for all of its descendants. Ready " +
    "resources take free slots first-come, first-served (the engine's step executor reads registrations in " +
    "arrival order); at equal ready times site and platform resources go before tenant resources, as index.ts " +
    "declares them first.",
  "Each Kubernetes provider's client is rate limited (KUBE_CLIENT below): a create waits, holding its slot, " +
    "until the client may send its requests. It only binds above ~16 concurrent one-second creates.",
  "Not modelled: per-step checkpoint writes of the state backend (grow with state size on a DIY backend), " +
    "retries. Argo CD syncing tenant apps after their Application exists (asynchronous, not awaited by pulumi up) " +
    "is not simulated: `npm run model` prints the restore measured on the real Argo CD instead (tools/model/measured.ts).",
];

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
}

const compiled = new WeakMap<LatencyRule, { type: RegExp; name?: RegExp; chart?: RegExp }>();

function matcher(rule: LatencyRule) {
  let m = compiled.get(rule);
  if (!m) {
    m = {
      type: glob(rule.type),
      name: rule.name ? new RegExp(rule.name) : undefined,
      chart: rule.chart ? new RegExp(rule.chart) : undefined,
    };
    compiled.set(rule, m);
  }
  return m;
}

/** The first rule matching a resource; the table always ends with a catch-all. */
export function latencyOf(
  r: { type: string; name: string; inputs?: Record<string, unknown> },
  table: LatencyRule[] = LATENCY,
): LatencyRule {
  for (const rule of table) {
    const m = matcher(rule);
    if (!m.type.test(r.type)) continue;
    if (m.name && !m.name.test(r.name)) continue;
    if (m.chart) {
      const chart = r.inputs?.chart;
      if (typeof chart !== "string" || !m.chart.test(chart)) continue;
    }
    return rule;
  }
  throw new Error(`no latency rule matches ${r.type} ${r.name}: the table must end with a catch-all "*" rule`);
}
