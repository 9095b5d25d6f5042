/**
 * From-scratch time model: how long `pulumi up` on an empty stack takes, from the plan's
 * dependency graph and the latency table (tools/model/latency.ts). A discrete-event simulation of
 * the engine: a resource becomes ready when its dependencies are done, then takes one of P slots
 * (Pulumi's --parallel) for its create duration. Exported as plain functions so runbooks and the
 * bench state expected rebuild times from the same numbers.
 */
import type { Plan, PlannedResource } from "../plan/runtime";
import { KUBE_CLIENT, LATENCY, LatencyRule, latencyOf } from "./latency";
import { MEASURED_RESTORE } from "./measured";

/** Pulumi's default --parallel is 4 × GOMAXPROCS; 8 is a 2-vCPU runner (see MODEL_ASSUMPTIONS). */
export const DEFAULT_PARALLELISM = 8;

export const TENANT_TYPE = "platform:tenant:Tenant";

/** The minimal graph the model needs; a plan's resources satisfy it. */
export interface GraphResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  custom: boolean;
  inputs?: Record<string, unknown>;
  options: { dependsOn: string[]; provider: string | null };
}

export interface ModelOptions {
  /** Maximum concurrent resource operations (Pulumi's --parallel); Infinity for unbounded. */
  parallelism?: number;
  /** Latency rules; defaults to the table in latency.ts. */
  table?: LatencyRule[];
  /** Kubernetes client rate limit per provider; defaults to KUBE_CLIENT, null turns it off. */
  kubeClient?: { qps: number; burst: number; requestsPerObject: number } | null;
}

/** One resource on the critical path, in seconds from the start of the update. */
export interface PathStep {
  urn: string;
  type: string;
  name: string;
  /** When its dependencies were all done. */
  ready: number;
  /** When it got a slot and its create began (ready + queueing). */
  start: number;
  finish: number;
  seconds: number;
  /** The Tenant component it belongs to, if any. */
  tenant: string | null;
  source: string;
  estimate: boolean;
}

export interface ModelResult {
  /** Modeled wall time of the whole update, seconds. */
  total: number;
  parallelism: number;
  /** The chain of resources that decides `total`, first to last. */
  criticalPath: PathStep[];
  /** Seconds of the critical path spent creating tenant resources. */
  tenantSeconds: number;
  /** When the last tenant resource is done (null without tenants). */
  tenantsDone: number | null;
  /** Sum of every resource's create duration (the work P slots share). */
  workSeconds: number;
  /** Resources per latency rule source, for the printed table. */
  counts: { rule: LatencyRule; count: number }[];
  /** Custom resource types only the catch-all rule matched. */
  unknownTypes: string[];
  /** Start/finish of every resource, by URN. */
  times: Map<string, { ready: number; start: number; finish: number; done: number }>;
}

type Event = "start" | "finish" | "done";

/** Binary min-heap under a comparator. */
class Heap<T> {
  private items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(v: T): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  peek(): T {
    return this.items[0];
  }
  pop(): T {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as T;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** The part of a provider reference before `::<id>` is the provider resource's URN. */
export function providerUrn(ref: string | null): string | null {
  if (!ref) return null;
  const i = ref.lastIndexOf("::");
  return i > 0 ? ref.slice(0, i) : ref;
}

interface Prereq {
  urn: string;
  on: Event;
}

/**
 * What a resource waits for before its create can start:
 *  - every URN in dependsOn (a component: all of its descendants done),
 *  - its provider resource created,
 *  - its parent: created if custom, registered (started) if a component — the SDK sends a
 *    child's registration only once the parent's URN is known.
 */
export function prerequisites(r: GraphResource, byUrn: Map<string, GraphResource>): Prereq[] {
  const out: Prereq[] = [];
  const seen = new Set<string>();
  const add = (urn: string, on: Event) => {
    const k = `${urn}\u0000${on}`;
    if (urn === r.urn || seen.has(k) || !byUrn.has(urn)) return;
    seen.add(k);
    out.push({ urn, on });
  };
  for (const d of r.options.dependsOn) add(d, byUrn.get(d)?.custom ? "finish" : "done");
  const prov = providerUrn(r.options.provider);
  if (prov) add(prov, "finish");
  if (r.parent) add(r.parent, byUrn.get(r.parent)?.custom ? "finish" : "start");
  return out;
}

/** The Tenant component a resource sits under (itself included), or null. */
export function tenantOf(urn: string, byUrn: Map<string, GraphResource>): string | null {
  for (let u: string | null = urn; u; u = byUrn.get(u)?.parent ?? null) {
    if (byUrn.get(u)?.type === TENANT_TYPE) return u;
  }
  return null;
}

/** Each resource's latency rule, how many resources each rule covers, and custom types no rule names. */
function latencies(res: GraphResource[], table: LatencyRule[]) {
  const catchAll = table[table.length - 1];
  const rule = new Map<string, LatencyRule>();
  const counts = new Map<LatencyRule, number>();
  const unknown = new Set<string>();
  for (const r of res) {
    const l = latencyOf(r, table);
    rule.set(r.urn, l);
    counts.set(l, (counts.get(l) ?? 0) + 1);
    if (l === catchAll && r.custom) unknown.add(r.type);
  }
  return { rule, counts, unknown };
}

/**
 * Who waits for what: per resource, how many prerequisite events it still waits for; per event
 * (`<urn>\u0000<event>`), the resources it counts down; per resource, how many completions make
 * it done (itself, and for a component every child).
 */
function subscriptions(res: GraphResource[], byUrn: Map<string, GraphResource>) {
  const waiting = new Map<string, number>();
  const subs = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const r of res) {
    if (r.parent && byUrn.has(r.parent)) {
      const c = children.get(r.parent) ?? [];
      c.push(r.urn);
      children.set(r.parent, c);
    }
  }
  for (const r of res) {
    const pre = prerequisites(r, byUrn);
    waiting.set(r.urn, pre.length);
    for (const p of pre) {
      const k = `${p.urn}\u0000${p.on}`;
      const s = subs.get(k) ?? [];
      s.push(r.urn);
      subs.set(k, s);
    }
  }
  const doneWaiting = new Map<string, number>();
  for (const r of res) doneWaiting.set(r.urn, 1 + (r.custom ? 0 : (children.get(r.urn)?.length ?? 0)));
  return { waiting, subs, doneWaiting };
}

/** From the last resource to finish, follow what it waited for last. */
function criticalPath(
  times: Map<string, { ready: number; start: number; finish: number; done: number }>,
  byUrn: Map<string, GraphResource>,
  rule: Map<string, LatencyRule>,
  blocker: Map<string, Prereq>,
  lastChild: Map<string, string>,
): { total: number; path: PathStep[] } {
  let total = 0;
  let last: string | null = null;
  for (const [urn, t] of times)
    if (t.done > total || last === null) {
      total = Math.max(total, t.done);
      last = urn;
    }
  const path: PathStep[] = [];
  const visited = new Set<string>();
  let cur: string | null = last;
  // How we reached `cur`: through its completion (follow a component into its last child) or
  // through its registration (a child waiting for its component parent: follow what the
  // component itself waited for).
  let via: Event = "done";
  while (cur && !visited.has(`${cur}\u0000${via}`)) {
    visited.add(`${cur}\u0000${via}`);
    const r = byUrn.get(cur) as GraphResource;
    const t = times.get(cur) as { ready: number; start: number; finish: number; done: number };
    const l = rule.get(cur) as LatencyRule;
    if (!r.custom && via === "done" && t.done > t.finish && lastChild.has(cur)) {
      cur = lastChild.get(cur) as string;
      continue;
    }
    if (l.seconds > 0)
      path.push({
        urn: cur,
        type: r.type,
        name: r.name,
        ready: t.ready,
        start: t.start,
        finish: t.finish,
        seconds: l.seconds,
        tenant: tenantOf(cur, byUrn),
        source: l.source,
        estimate: l.estimate,
      });
    const b = blocker.get(cur);
    cur = b ? b.urn : null;
    via = b ? b.on : "done";
  }
  path.reverse();

  return { total, path };
}

/**
 * Client-side rate limit per Kubernetes provider, as a token bucket in GCRA form: each object's
 * requests advance the bucket's "theoretical arrival time" by cost/qps; a create may go once
 * that time is within the burst window of now. Returns how long a create starting now waits.
 */
function kubeThrottle(
  byUrn: Map<string, GraphResource>,
  kube: ModelOptions["kubeClient"],
): (urn: string, now: number) => number {
  const tat = new Map<string, number>();
  return (urn, now) => {
    const r = byUrn.get(urn) as GraphResource;
    if (!kube || !r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh/")) return 0;
    const prov = providerUrn(r.options.provider) ?? "default";
    const increment = kube.requestsPerObject / kube.qps;
    const tolerance = kube.burst / kube.qps - increment;
    const t = Math.max(tat.get(prov) ?? 0, now);
    tat.set(prov, t + increment);
    return Math.max(0, t - tolerance - now);
  };
}

/**
 * The event simulation: ready resources queue for one of P slots (first come, first served),
 * finishing fires events that make others ready. Returns each resource's times, what it waited
 * for last (blocker) and each component's last child to finish.
 */
function simulate(
  res: GraphResource[],
  byUrn: Map<string, GraphResource>,
  rule: Map<string, LatencyRule>,
  graph: ReturnType<typeof subscriptions>,
  P: number,
  kube: ModelOptions["kubeClient"],
) {
  const { waiting, subs, doneWaiting } = graph;
  const blocker = new Map<string, Prereq>();
  const lastChild = new Map<string, string>();

  const times = new Map<string, { ready: number; start: number; finish: number; done: number }>();
  // Running creates, by finish time.
  const running = new Heap<{ t: number; urn: string }>((a, b) => a.t < b.t || (a.t === b.t && a.urn < b.urn));
  // Ready creates waiting for a slot: first come, first served. At equal ready times, resources
  // outside tenants go first (index.ts declares site and platform before tenants, and the SDK
  // sends registrations in declaration order once their inputs resolve), then plan order.
  const order = new Map(res.map((r, i) => [r.urn, i]));
  const inTenant = new Map(res.map((r) => [r.urn, tenantOf(r.urn, byUrn) ? 1 : 0]));
  const key = (urn: string) => ({ t: times.get(urn)?.ready ?? 0, g: inTenant.get(urn) ?? 0, i: order.get(urn) ?? 0 });
  const queue = new Heap<{ t: number; g: number; i: number; urn: string }>(
    (a, b) => a.t < b.t || (a.t === b.t && (a.g < b.g || (a.g === b.g && a.i < b.i))),
  );
  let free = P;
  let now = 0;
  const throttle = kubeThrottle(byUrn, kube);
  let pending: { urn: string; on: Event }[] = [];
  let pHead = 0;

  const fire = (urn: string, on: Event) => pending.push({ urn, on });
  const drain = () => {
    while (pHead < pending.length) {
      const { urn, on } = pending[pHead++];
      const t = times.get(urn) as { ready: number; start: number; finish: number; done: number };
      if (on === "start") t.start = now;
      if (on === "finish") {
        t.finish = now;
        countDone(urn);
      }
      if (on === "done") {
        t.done = now;
        const r = byUrn.get(urn) as GraphResource;
        if (r.parent && byUrn.has(r.parent) && !byUrn.get(r.parent)?.custom) {
          lastChild.set(r.parent, urn);
          countDone(r.parent);
        }
      }
      for (const s of subs.get(`${urn}\u0000${on}`) ?? []) {
        const left = (waiting.get(s) as number) - 1;
        waiting.set(s, left);
        if (left === 0) {
          blocker.set(s, { urn, on });
          becomeReady(s);
        }
      }
    }
    pending = [];
    pHead = 0;
  };
  const countDone = (urn: string) => {
    const left = (doneWaiting.get(urn) as number) - 1;
    doneWaiting.set(urn, left);
    if (left === 0) fire(urn, "done");
  };
  const becomeReady = (urn: string) => {
    times.set(urn, { ready: now, start: NaN, finish: NaN, done: NaN });
    const seconds = (rule.get(urn) as LatencyRule).seconds;
    if (seconds === 0) {
      fire(urn, "start");
      fire(urn, "finish");
    } else queue.push({ ...key(urn), urn });
  };
  const dispatch = () => {
    while (free > 0 && queue.size) {
      const { urn } = queue.pop();
      free--;
      fire(urn, "start");
      drain();
      // A throttled create holds its slot while the client waits for its rate limiter.
      running.push({ t: now + throttle(urn, now) + (rule.get(urn) as LatencyRule).seconds, urn });
    }
  };

  for (const r of res) if (waiting.get(r.urn) === 0) becomeReady(r.urn);
  drain();
  dispatch();
  while (running.size) {
    now = running.peek().t;
    while (running.size && running.peek().t === now) {
      const { urn } = running.pop();
      free++;
      fire(urn, "finish");
    }
    drain();
    dispatch();
  }

  return { times, blocker, lastChild };
}

/**
 * Simulates a from-scratch update. Resources whose duration is 0 (components, the stack) take no
 * slot. Throws on a dependency cycle, naming the resources involved.
 */
export function modelPlan(plan: { resources: GraphResource[] }, opts: ModelOptions = {}): ModelResult {
  const P = opts.parallelism ?? DEFAULT_PARALLELISM;
  if (!(P >= 1)) throw new RangeError(`parallelism must be ≥ 1 (or Infinity), got ${P}`);
  const table = opts.table ?? LATENCY;
  const res = plan.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
  const byUrn = new Map(res.map((r) => [r.urn, r]));

  const { rule, counts, unknown } = latencies(res, table);
  const { waiting, subs, doneWaiting } = subscriptions(res, byUrn);
  const { times, blocker, lastChild } = simulate(
    res,
    byUrn,
    rule,
    { waiting, subs, doneWaiting },
    P,
    opts.kubeClient === undefined ? KUBE_CLIENT : opts.kubeClient,
  );

  if (times.size !== res.length || [...times.values()].some((t) => Number.isNaN(t.done))) {
    const stuck = res.filter((r) => !times.has(r.urn) || Number.isNaN(times.get(r.urn)?.done)).map((r) => r.urn);
    throw new Error(
      `dependency cycle: ${stuck.length} resource(s) can never start or finish, e.g.\n  ${stuck.slice(0, 5).join("\n  ")}`,
    );
  }

  const { total, path } = criticalPath(times, byUrn, rule, blocker, lastChild);

  const workSeconds = res.reduce((s, r) => s + (rule.get(r.urn) as LatencyRule).seconds, 0);
  return {
    total,
    parallelism: P,
    criticalPath: path,
    tenantSeconds: path.filter((s) => s.tenant).reduce((s, p) => s + p.seconds, 0),
    tenantsDone: res.reduce<number | null>(
      (m, r) => (tenantOf(r.urn, byUrn) ? Math.max(m ?? 0, (times.get(r.urn) as { done: number }).done) : m),
      null,
    ),
    workSeconds,
    counts: [...counts.entries()].map(([r, count]) => ({ rule: r, count })),
    unknownTypes: [...unknown].sort(),
    times,
  };
}

// ---------------------------------------------------------------------------------------------
// Graph checks

/**
 * Dependency paths from a resource under one Tenant component to a resource under another.
 * Follows dependsOn, provider and parent edges; returns one witness path per offending pair
 * (empty when tenants are independent).
 */
export function crossTenantChains(plan: { resources: GraphResource[] }): string[][] {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const tenant = new Map<string, string | null>();
  for (const r of plan.resources) tenant.set(r.urn, tenantOf(r.urn, byUrn));
  const kids = new Map<string, string[]>();
  for (const r of plan.resources)
    if (r.parent) {
      const k = kids.get(r.parent) ?? [];
      k.push(r.urn);
      kids.set(r.parent, k);
    }
  const descendants = (urn: string): string[] => {
    const out: string[] = [];
    const q = [...(kids.get(urn) ?? [])];
    for (let i = 0; i < q.length; i++) {
      out.push(q[i]);
      q.push(...(kids.get(q[i]) ?? []));
    }
    return out;
  };
  // Edges: r → what r waits for (dependsOn, provider, parent) and, for a component dependency,
  // every descendant of that component (depending on a component waits for all of them).
  const edges = (r: GraphResource): string[] => {
    const out = new Set<string>();
    for (const p of prerequisites(r, byUrn)) {
      out.add(p.urn);
      if (p.on === "done") for (const d of descendants(p.urn)) out.add(d);
    }
    return [...out];
  };
  const members = new Map<string, string[]>();
  for (const r of plan.resources) {
    const t = tenant.get(r.urn);
    if (t) members.set(t, [...(members.get(t) ?? []), r.urn]);
  }
  const found: string[][] = [];
  for (const [t, start] of members) {
    // One search from all of tenant t's resources; a path may leave t through shared resources
    // (the provider, platform objects) and must never arrive in another tenant.
    const prev = new Map<string, string | null>(start.map((u) => [u, null]));
    const q = [...start];
    const reached = new Set<string>();
    for (let i = 0; i < q.length; i++) {
      const u = q[i];
      const ut = tenant.get(u);
      if (ut && ut !== t) {
        if (!reached.has(ut)) {
          reached.add(ut);
          const chain: string[] = [];
          for (let x: string | null = u; x; x = prev.get(x) ?? null) chain.unshift(x);
          found.push(chain);
        }
        continue;
      }
      const ur = byUrn.get(u);
      if (!ur) continue;
      for (const v of edges(ur))
        if (!prev.has(v)) {
          prev.set(v, u);
          q.push(v);
        }
    }
  }
  return found;
}

/**
 * The longest dependency chain inside each tenant (sum of create durations of the tenant's own
 * resources along its longest internal path), keyed by tenant URN.
 */
export function tenantChainSeconds(
  plan: { resources: GraphResource[] },
  table: LatencyRule[] = LATENCY,
): Map<string, number> {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const memo = new Map<string, number>();
  const longest = (urn: string, t: string, stack: Set<string>): number => {
    const hit = memo.get(urn);
    if (hit !== undefined) return hit;
    if (stack.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    stack.add(urn);
    const r = byUrn.get(urn) as GraphResource;
    let best = 0;
    for (const p of prerequisites(r, byUrn))
      if (tenantOf(p.urn, byUrn) === t) best = Math.max(best, longest(p.urn, t, stack));
    stack.delete(urn);
    const v = best + latencyOf(r, table).seconds;
    memo.set(urn, v);
    return v;
  };
  const out = new Map<string, number>();
  for (const r of plan.resources) {
    const t = tenantOf(r.urn, byUrn);
    if (!t) continue;
    out.set(t, Math.max(out.get(t) ?? 0, longest(r.urn, t, new Set())));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Printing

export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  const m = Math.floor(s / 60);
  const r = s - m * 60;
  return m ? `${m}m${r.toFixed(0).padStart(2, "0")}s` : `${r.toFixed(r < 10 && r % 1 ? 1 : 0)}s`;
}

/** The critical path as a table: resource, type, ready, start, finish. */
export function renderCriticalPath(m: ModelResult): string {
  const rows = m.criticalPath.map((s) => [
    s.tenant ? `${s.name} [tenant]` : s.name,
    s.type,
    s.start > s.ready ? `${fmtSeconds(s.ready)}+${fmtSeconds(s.start - s.ready)} queued` : fmtSeconds(s.ready),
    fmtSeconds(s.start),
    fmtSeconds(s.finish),
    `${s.seconds}s${s.estimate ? "*" : ""}`,
  ]);
  const head = ["resource", "type", "ready", "start", "finish", "takes"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i >= 2 ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}

/** A one-paragraph summary for runbooks and the bench. */
export function summarize(m: ModelResult, label: string): string {
  const p = Number.isFinite(m.parallelism) ? `P=${m.parallelism}` : "unbounded parallelism";
  return (
    `${label}: modeled from-scratch \`pulumi up\` ${fmtSeconds(m.total)} with ${p}; ` +
    `critical path ${m.criticalPath.length} step(s), tenant part ${fmtSeconds(m.tenantSeconds)}; ` +
    `total create work ${fmtSeconds(m.workSeconds)}` +
    (m.unknownTypes.length ? `; UNKNOWN types (catch-all latency): ${m.unknownTypes.join(", ")}` : "")
  );
}

/** Models a plan at several parallelism levels (the default, a 4-vCPU runner, unbounded). */
export function modelLevels(
  plan: Plan | { resources: PlannedResource[] },
  levels = [DEFAULT_PARALLELISM, 16, Infinity],
) {
  return levels.map((P) => modelPlan(plan, { parallelism: P }));
}

/**
 * After the from-scratch `pulumi up`, Argo CD restores the tenants: seconds from the empty API
 * server answering to every tenant's Application Synced, for `tenants` tenants, from the restores
 * measured on the real software (tools/model/measured.ts MEASURED_RESTORE, `npm run bench:cluster
 * -- --restore`): linear through the two measured sizes nearest (beyond them, the line through the
 * two outermost). Undefined before a measurement exists.
 */
export function restoreSeconds(
  tenants: number,
  m: { points: readonly { tenants: number; seconds: number }[] } = MEASURED_RESTORE,
): number | undefined {
  const pts = [...m.points].sort((a, b) => a.tenants - b.tenants);
  if (pts.length === 0) return undefined;
  if (pts.length === 1) return pts[0].seconds;
  let i = pts.findIndex((p) => p.tenants >= tenants);
  if (i <= 0) i = i === 0 ? 1 : pts.length - 1;
  const [a, b] = [pts[i - 1], pts[i]];
  return Math.max(0, a.seconds + ((b.seconds - a.seconds) * (tenants - a.tenants)) / (b.tenants - a.tenants));
}
