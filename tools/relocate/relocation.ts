/**
 * Relocation as a config change: what moving a site to another Hetzner location changes, computed
 * from two offline plans of the same stack (the committed location and the new one). The runbooks
 * (docs/runbooks/0[1-3]-*.md) and test/relocation.test.ts rely on the same rules:
 *
 * - every resource keeps its URN (nothing is renamed, added or removed);
 * - every tenant's objects are byte-identical, secrets included (compared by digest);
 * - every other difference is one of LOCATION_BOUND below, and nothing else — a new location
 *   dependency in the code fails here before it surprises an operator mid-incident.
 *
 * Pure functions over plans; tools/relocate/cli.ts plans and prints.
 */
import { formatPath, Segment } from "../diff/paths";
import type { Plan, PlannedResource } from "../plan/runtime";

/** How a location-bound input changes a resource when the location changes. */
export type Effect = "replace" | "update";

export interface LocationRule {
  /** Resource type token. */
  type: string;
  /** Input path (Pulumi property path syntax). */
  path: string;
  /** Hetzner replaces the resource (a new one in the new location), or it is updated in place. */
  effect: Effect;
  /** Why the input follows the location. */
  why: string;
}

const RELEASE = "kubernetes:helm.sh/v3:Release";

/**
 * Every input that follows `site.location`, and only those. The subnet's network zone changes only
 * when the new location is in another zone (fsn1, nbg1 and hel1 share eu-central).
 */
export const LOCATION_BOUND: readonly LocationRule[] = [
  { type: "hcloud:index/server:Server", path: "location", effect: "replace", why: "a server runs in one location" },
  {
    type: "hcloud:index/primaryIp:PrimaryIp",
    path: "location",
    effect: "replace",
    why: "a primary IP belongs to one location",
  },
  {
    type: "hcloud:index/loadBalancer:LoadBalancer",
    path: "location",
    effect: "replace",
    why: "a load balancer runs in one location (API and ingress)",
  },
  {
    type: "hcloud:index/networkSubnet:NetworkSubnet",
    path: "networkZone",
    effect: "replace",
    why: "a subnet serves one network zone; changes only across zones",
  },
  {
    type: RELEASE,
    path: "values.env.HCLOUD_LOAD_BALANCERS_LOCATION.value",
    effect: "update",
    why: "the cloud controller's default location for load balancers",
  },
  {
    type: RELEASE,
    path: "values.controller.hcloudVolumeDefaultLocation",
    effect: "update",
    why: "the CSI driver's default location for new volumes",
  },
  {
    type: "kubernetes:apps/v1:Deployment",
    // args[0] is --cloud-provider; args[1] the first node group (prod has one; a site with more
    // groups adds args[2], … here, and the relocation test says so).
    path: "spec.template.spec.containers[0].args[1]",
    effect: "update",
    why: "the cluster-autoscaler's node group flag (min:max:type:location:id): new autoscaled nodes start in the new location",
  },
  {
    type: "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
    path: 'spec.provider.kubernetes.envoyService.annotations["load-balancer.hetzner.cloud/location"]',
    effect: "update",
    why: "the edge's Envoy Service load balancer location annotation",
  },
];

/** One differing input (or option) of one resource. */
export interface Change {
  urn: string;
  type: string;
  name: string;
  /** Input path, `options.<name>` for resource options, or `secret:<path>` for a secret input. */
  path: string;
  before: unknown;
  after: unknown;
  /** The rule that explains it; undefined means unexplained. */
  rule?: LocationRule;
  /** The Tenant component the resource belongs to, if any. */
  tenant?: string;
}

export interface RelocationReport {
  /** Every difference, in URN then path order. */
  changes: Change[];
  /** Differences no rule explains (must be empty). */
  unexpected: Change[];
  /** Differences inside a tenant (must be empty). */
  tenantChanges: Change[];
  /** URNs only in the first or only in the second plan (must both be empty). */
  onlyBefore: string[];
  onlyAfter: string[];
  /** Resources the move replaces, with their protection: the destroy-first targets. */
  replaced: { urn: string; type: string; name: string; protect: boolean }[];
  /** Resources updated in place. */
  updated: { urn: string; type: string; name: string }[];
  /** The Kubernetes provider's URN (what `--exclude` names to stage an etcd restore). */
  kubernetesProvider: string | undefined;
  /** Stack outputs that differ, by path (`location`, `controlPlanes[0].publicIpv4`). */
  outputs: { path: string; before: unknown; after: unknown }[];
  /** Resources compared, and how many belong to tenants. */
  resources: number;
  tenantResources: number;
  tenants: string[];
}

const TENANT_TYPE = "platform:tenant:Tenant";

/** Paths (Pulumi syntax) where two JSON values differ; leaves only. */
export function diffPaths(
  a: unknown,
  b: unknown,
  at: Segment[] = [],
): { path: string; before: unknown; after: unknown }[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const bothObjects = a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [{ path: formatPath(at), before: a, after: b }];
  const out: { path: string; before: unknown; after: unknown }[] = [];
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  for (const k of [...new Set([...ka, ...kb])]) {
    const seg: Segment = Array.isArray(a) ? Number(k) : k;
    out.push(...diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...at, seg]));
  }
  return out;
}

/** The Tenant component (by name) a resource sits under, if any. */
function tenantOf(r: PlannedResource, byUrn: Map<string, PlannedResource>): string | undefined {
  for (let cur: PlannedResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined)
    if (cur.type === TENANT_TYPE) return cur.name;
  return undefined;
}

/** The rule that explains a change, if any. */
export function ruleFor(type: string, path: string): LocationRule | undefined {
  return LOCATION_BOUND.find((r) => r.type === type && r.path === path);
}

/**
 * Compares a plan of a stack with a plan of the same stack at another location. `sameUrn` maps
 * the second plan's URNs onto the first's (identity for an in-place move; the stack name swapped
 * for a new stack). Plans made with the same `secretDigestKey` also compare secret inputs.
 */
export function relocationReport(
  before: Plan,
  after: Plan,
  sameUrn: (urn: string) => string = (u) => u,
): RelocationReport {
  const norm = (r: PlannedResource): PlannedResource => ({
    ...r,
    urn: sameUrn(r.urn),
    parent: r.parent && sameUrn(r.parent),
    options: {
      ...r.options,
      dependsOn: r.options.dependsOn.map(sameUrn),
      provider: r.options.provider && sameUrn(r.options.provider.replace(/::[^:]+$/, "")),
    },
  });
  const a = new Map(before.resources.map((r) => [r.urn, norm(r)]));
  const b = new Map(after.resources.map((r) => [sameUrn(r.urn), norm(r)]));
  const onlyBefore = [...a.keys()].filter((u) => !b.has(u)).sort();
  const onlyAfter = [...b.keys()].filter((u) => !a.has(u)).sort();

  const changes: Change[] = [];
  for (const [urn, ra] of [...a.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const rb = b.get(urn);
    if (!rb) continue;
    const found = [
      ...diffPaths(ra.inputs, rb.inputs),
      ...diffPaths(ra.options, rb.options).map((d) => ({ ...d, path: `options.${d.path}` })),
      ...diffPaths(ra.secretDigests ?? {}, rb.secretDigests ?? {}).map((d) => ({
        ...d,
        // Digest keys are already property paths; only whether the value changed is known.
        path: `secret:${d.path.replace(/^\["(.*)"\]$/, "$1")}`,
      })),
    ];
    const tenant = tenantOf(ra, a);
    for (const d of found)
      changes.push({ urn, type: ra.type, name: ra.name, ...d, rule: ruleFor(ra.type, d.path), tenant });
  }

  const replacedUrns = new Set(changes.filter((c) => c.rule?.effect === "replace").map((c) => c.urn));
  const updatedUrns = new Set(
    changes.filter((c) => c.rule?.effect === "update" && !replacedUrns.has(c.urn)).map((c) => c.urn),
  );
  const pick = (urn: string) => a.get(urn)!;
  const tenantNames = [...a.values()]
    .filter((r) => r.type === TENANT_TYPE)
    .map((r) => r.name)
    .sort();

  return {
    changes,
    unexpected: changes.filter((c) => !c.rule),
    tenantChanges: changes.filter((c) => c.tenant !== undefined),
    onlyBefore,
    onlyAfter,
    replaced: [...replacedUrns].sort().map((u) => {
      const r = pick(u);
      return { urn: u, type: r.type, name: r.name, protect: r.options.protect };
    }),
    updated: [...updatedUrns].sort().map((u) => ({ urn: u, type: pick(u).type, name: pick(u).name })),
    kubernetesProvider: [...a.values()].find((r) => r.type === "pulumi:providers:kubernetes")?.urn,
    outputs: diffPaths(before.outputs, after.outputs),
    resources: a.size,
    tenantResources: [...a.values()].filter((r) => tenantOf(r, a) !== undefined).length,
    tenants: tenantNames,
  };
}
