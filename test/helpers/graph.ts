/**
 * The plan's dependency graph: what each resource waits for before the engine creates it.
 * Edges are `options.dependsOn` (explicit dependsOn plus input dependencies) and
 * `options.provider` (a resource waits for its provider). `parent` is NOT an edge: a child of a
 * component does not wait for its siblings.
 */
import type { Plan, PlannedResource } from "../../tools/plan/runtime";

/** A provider reference is `<provider urn>::<id>`; the URN is everything before the last `::`. */
export function providerUrn(ref: string): string {
  const i = ref.lastIndexOf("::");
  return i < 0 ? ref : ref.slice(0, i);
}

/** URN → the URNs it waits for. */
export function dependencyEdges(plan: Plan): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const r of plan.resources) {
    const out = new Set(r.options.dependsOn);
    if (r.options.provider) out.add(providerUrn(r.options.provider));
    edges.set(r.urn, [...out]);
  }
  return edges;
}

/** Every URN `from` waits for, directly or transitively. */
export function upstream(plan: Plan, from: string, edges = dependencyEdges(plan)): Set<string> {
  const seen = new Set<string>();
  const stack = [...(edges.get(from) ?? [])];
  while (stack.length) {
    const u = stack.pop() as string;
    if (seen.has(u)) continue;
    seen.add(u);
    stack.push(...(edges.get(u) ?? []));
  }
  return seen;
}

/** Whether `from` waits for `to` through some chain of dependencies. */
export function hasDependencyPath(plan: Plan, from: string, to: string, edges = dependencyEdges(plan)): boolean {
  return upstream(plan, from, edges).has(to);
}

/** The resources matching `which` that do NOT wait for `target` (empty means the rule holds). */
export function notWaitingFor(plan: Plan, target: string, which: (r: PlannedResource) => boolean): PlannedResource[] {
  const edges = dependencyEdges(plan);
  return plan.resources.filter((r) => which(r) && !hasDependencyPath(plan, r.urn, target, edges));
}

/** Whether `r` sits (at any depth) below a component of type `componentType`. */
export function isBelow(plan: Plan, r: PlannedResource, componentType: string): boolean {
  const byUrn = new Map(plan.resources.map((x) => [x.urn, x]));
  for (let p = r.parent; p; p = byUrn.get(p)?.parent ?? null) if (byUrn.get(p)?.type === componentType) return true;
  return false;
}

export interface Chain {
  /** Number of dependency edges from the end resource back to the start. */
  depth: number;
  /** URNs from the end resource (first) back to the start resource (last). */
  path: string[];
}

/**
 * The longest dependency chain that ends at `from` and starts at a resource matching `to`:
 * how many "create after" steps separate them, i.e. the critical path length between e.g. the
 * first server and the last tenant resource. Undefined when no such resource waits for `from`.
 */
export function dependencyDepth(plan: Plan, from: string, to: (r: PlannedResource) => boolean): Chain | undefined {
  const edges = dependencyEdges(plan);
  const memo = new Map<string, Chain | null>();
  const onStack = new Set<string>();
  const longest = (u: string): Chain | null => {
    if (u === from) return { depth: 0, path: [u] };
    if (memo.has(u)) return memo.get(u) as Chain | null;
    if (onStack.has(u)) throw new Error(`dependency cycle through ${u}`);
    onStack.add(u);
    let best: Chain | null = null;
    for (const v of edges.get(u) ?? []) {
      const c = longest(v);
      if (c && (!best || c.depth + 1 > best.depth)) best = { depth: c.depth + 1, path: [u, ...c.path] };
    }
    onStack.delete(u);
    memo.set(u, best);
    return best;
  };
  let result: Chain | undefined;
  for (const r of plan.resources) {
    if (!to(r)) continue;
    const c = longest(r.urn);
    if (c && (!result || c.depth > result.depth)) result = c;
  }
  return result;
}

/**
 * The closing-note number: the longest chain from the first server (Hetzner servers sorted by
 * name) to any resource below a tenant component. Undefined when the plan has no server.
 */
export function serverToTenantDepth(plan: Plan): Chain | undefined {
  const servers = plan.resources
    .filter((r) => r.type === "hcloud:index/server:Server")
    .sort((a, b) => a.name.localeCompare(b.name));
  if (!servers.length) return undefined;
  return dependencyDepth(plan, servers[0].urn, (r) => isBelow(plan, r, "platform:tenant:Tenant"));
}
