/**
 * The offline plan diff as data: two plans (base ref and working tree) compared by URN, the way
 * the engine lines up old state and new registrations. Pure and synchronous, so the CLI, the PR
 * comment, the tests and the bench (change locality) all read the same answer.
 */
import type { Plan, PlannedResource } from "../plan/runtime";
import { costDelta, CostDelta } from "../cost/model";
import { coversPath, formatPath, parsePath, Segment, touches } from "./paths";
import { DISRUPTIVE_UPDATES, immutableDataPaths, replacementPaths } from "./rules";

/** The marker every secret value carries in a plan (see tools/plan/runtime.ts). */
const SECRET = "[secret]";
const UNKNOWN = "[unknown]";
const STACK_TYPE = "pulumi:pulumi:Stack";

export type Action = "create" | "update" | "replace" | "delete";

export interface InputChange {
  /** Pulumi property path of the changed input (`spec.hard.pods`). */
  path: string;
  kind: "added" | "removed" | "changed";
  /** Old and new values; absent when either side is secret (only the fact of change is told). */
  before?: unknown;
  after?: unknown;
  /** Set when the value is secret on either side. */
  secret?: boolean;
  /** The value is unknown until apply (a computed output of another resource). */
  unknown?: boolean;
  /** This change forces replacement; the rule's source. */
  replaces?: string;
  /** An in-place change that still disrupts or costs (server resize, ...). */
  note?: string;
}

export interface OptionChange {
  option: "protect" | "retainOnDelete" | "deleteBeforeReplace" | "ignoreChanges" | "replaceOnChanges";
  before: unknown;
  after: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  action: Action;
  /** URN of the top-level component it belongs to (a child of the stack), null for stack-level. */
  component: string | null;
  /** Changed inputs that take effect (update / replace). */
  changes: InputChange[];
  /** Changed inputs the resource's `ignoreChanges` masks: the engine keeps the old values. */
  ignored: string[];
  /** Why a replace is a replace (input paths, provider change or provider replacement). */
  reasons: string[];
  /** Resource options that changed (apply without touching the cloud object). */
  options: OptionChange[];
  /** The provider (URN) managing it changed; null stands for the default provider. */
  provider?: { before: string | null; after: string | null };
  /** Things a reviewer must not miss (protected deletes, downtime, dependents). */
  warnings: string[];
}

export interface ComponentSummary {
  /** URN of the top-level component, null for resources declared directly in the stack. */
  urn: string | null;
  name: string;
  type: string;
  counts: Record<Action, number>;
}

export interface PlanDiff {
  stack: string;
  counts: Record<Action, number> & { same: number };
  /** Every created, updated, replaced or deleted resource (components included, as the engine counts them). */
  resources: ResourceChange[];
  /** Unchanged resources whose only differences are masked by ignoreChanges or are option changes. */
  quiet: ResourceChange[];
  /** One entry per top-level component with at least one change, in plan order. */
  components: ComponentSummary[];
  /** Stack output keys that appear, disappear or change (values are never shown). */
  outputs: { added: string[]; removed: string[]; changed: string[] };
  /** Diff-wide caveats (e.g. the base plan carries no secret digests). */
  warnings: string[];
  cost: CostDelta;
}

const ACTION_ORDER: Action[] = ["replace", "delete", "create", "update"];

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * Structural equality. With `opaqueSecrets`, two secret markers never compare equal, so the
 * walk goes down to each secret and compares its digests instead of trusting the markers.
 */
function deepEqual(a: unknown, b: unknown, opaqueSecrets = false): boolean {
  if (opaqueSecrets && a === SECRET && b === SECRET) return false;
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return nullish(a) && nullish(b);
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i], opaqueSecrets));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k], opaqueSecrets)) return false;
    return true;
  }
  return false;
}
const nullish = (v: unknown) => v === null || v === undefined;

interface RawChange {
  path: Segment[];
  kind: InputChange["kind"];
  before?: unknown;
  after?: unknown;
  secret?: boolean;
  unknown?: boolean;
}

interface DigestState {
  /** Set when a secret pair could not be compared because a plan lacks digests. */
  missing: boolean;
}

/** Changed input paths between two input trees; secrets compared through their digests only. */
function diffInputs(
  a: unknown,
  b: unknown,
  path: Segment[],
  digests: { before?: Record<string, string>; after?: Record<string, string> },
  out: RawChange[],
  state: DigestState,
): void {
  if (nullish(a) && nullish(b)) return;
  if (a === SECRET || b === SECRET) {
    const kind = nullish(a) ? "added" : nullish(b) ? "removed" : "changed";
    if (a === SECRET && b === SECRET) {
      const key = formatPath(path);
      const da = digests.before?.[key];
      const db = digests.after?.[key];
      if (da === undefined || db === undefined) state.missing = true;
      else if (da !== db) out.push({ path, kind, secret: true });
      return;
    }
    out.push({ path, kind, secret: true });
    return;
  }
  if (deepEqual(a, b, true)) return;
  if (a === UNKNOWN || b === UNKNOWN) {
    out.push({ path, kind: "changed", unknown: true, before: a, after: b });
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      diffInputs(a[k], b[k], [...path, k], digests, out, state);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => diffInputs(x, b[i], [...path, i], digests, out, state));
    return;
  }
  if (nullish(a)) out.push({ path, kind: "added", after: b, secret: containsSecret(b) || undefined });
  else if (nullish(b)) out.push({ path, kind: "removed", before: a, secret: containsSecret(a) || undefined });
  else
    out.push({
      path,
      kind: "changed",
      before: a,
      after: b,
      secret: containsSecret(a) || containsSecret(b) || undefined,
    });
}

function containsSecret(v: unknown): boolean {
  if (v === SECRET) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (isObject(v)) return Object.values(v).some(containsSecret);
  return false;
}

function parseAll(paths: readonly string[]): Segment[][] {
  const out: Segment[][] = [];
  for (const p of paths) {
    try {
      out.push(p === "*" ? ["*"] : parsePath(p));
    } catch {
      // A malformed option path masks or forces nothing in the engine either (it errors there).
    }
  }
  return out;
}

/** `urn::id` → `urn` (a provider reference as the engine sends it). */
function providerUrn(ref: string | null): string | null {
  if (!ref) return null;
  const i = ref.lastIndexOf("::");
  return i > 0 && ref.slice(0, i).startsWith("urn:") ? ref.slice(0, i) : ref;
}

function index(p: Plan): Map<string, PlannedResource> {
  return new Map(p.resources.map((r) => [r.urn, r]));
}

/** The top-level component (a direct child of the stack) a resource sits under. */
function topComponent(urn: string, byUrn: Map<string, PlannedResource>): string | null {
  let cur = byUrn.get(urn);
  let top: string | null = null;
  while (cur && cur.type !== STACK_TYPE) {
    top = cur.urn;
    cur = cur.parent ? byUrn.get(cur.parent) : undefined;
  }
  return top;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

type ResourceIndex = Map<string, PlannedResource>;
/** A change with nothing recorded yet, for a resource and an action. */
type Blank = (r: PlannedResource, action: Action) => ResourceChange;

/** Compares the base plan with the working tree's plan. */
export function diffPlans(base: Plan, head: Plan): PlanDiff {
  const before = index(base);
  const after = index(head);
  const state: DigestState = { missing: false };
  const changes = new Map<string, ResourceChange>();
  const quiet: ResourceChange[] = [];
  const warnings: string[] = [];

  const blank: Blank = (r, action) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    action,
    component: topComponent(r.urn, after.has(r.urn) ? after : before),
    changes: [],
    ignored: [],
    reasons: [],
    options: [],
    warnings: [],
  });

  for (const r of head.resources) {
    if (r.type === STACK_TYPE) continue;
    const old = before.get(r.urn);
    if (!old) {
      changes.set(r.urn, blank(r, "create"));
      continue;
    }
    const c = updateOf(old, r, blank(r, "update"), after, state);
    if (c.changes.length || c.action === "replace" || c.provider) changes.set(r.urn, c);
    else if (c.ignored.length || c.options.length) quiet.push(c);
  }
  for (const r of base.resources) {
    if (r.type === STACK_TYPE || after.has(r.urn)) continue;
    changes.set(r.urn, blank(r, "delete"));
  }

  warnPossibleRenames(changes, after);
  const byProvider = replaceWithProviders(head, changes, blank);
  addReviewWarnings(head, changes, before, after, byProvider);
  if (state.missing)
    warnings.push(
      "a plan carries no secret digests (its code predates them, or VP_PLAN_DIGEST_KEY was unset): secret changes cannot be told apart and are not listed",
    );

  const resources = ordered(base, head, changes, before, after);
  const counts = { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
  for (const c of resources) counts[c.action]++;
  counts.same = head.resources.filter((r) => r.type !== STACK_TYPE && !changes.has(r.urn)).length;

  return {
    stack: head.stack,
    counts,
    resources,
    quiet,
    components: componentSummaries(resources, before, after),
    outputs: outputChanges(base, head),
    warnings,
    cost: costDelta(base.resources, head.resources),
  };
}

/**
 * One resource present in both plans: its input changes (each marked with what would replace it),
 * ignored paths, provider move and option changes, into `c` (an "update" until a change replaces).
 */
function updateOf(
  old: PlannedResource,
  r: PlannedResource,
  c: ResourceChange,
  after: ResourceIndex,
  state: DigestState,
): ResourceChange {
  const raw: RawChange[] = [];
  diffInputs(old.inputs, r.inputs, [], { before: old.secretDigests, after: r.secretDigests }, raw, state);

  const ignore = parseAll(r.options.ignoreChanges);
  const rules = [
    ...replacementPaths(r.type),
    ...immutableDataPaths(r.type, r.inputs, after.get(providerUrn(r.options.provider) ?? "")?.inputs),
    ...parseAll(r.options.replaceOnChanges).map((path) => ({ path, source: "replaceOnChanges option" })),
  ];
  for (const ch of raw) {
    const path = formatPath(ch.path);
    if (ignore.some((p) => coversPath(p, ch.path))) {
      c.ignored.push(path);
      continue;
    }
    const change: InputChange = { path, kind: ch.kind };
    if (ch.secret) change.secret = true;
    else {
      if (ch.before !== undefined) change.before = ch.before;
      if (ch.after !== undefined) change.after = ch.after;
    }
    if (ch.unknown) change.unknown = true;
    const rule = rules.find((x) => touches(x.path, ch.path));
    if (rule) change.replaces = rule.source;
    const disruptive = DISRUPTIVE_UPDATES.find((d) => d.type === r.type && d.path === path);
    if (disruptive && !rule) change.note = disruptive.note;
    c.changes.push(change);
  }
  if (c.changes.some((x) => x.replaces)) {
    c.action = "replace";
    c.reasons.push(...c.changes.filter((x) => x.replaces).map((x) => `${x.path} changed`));
  }
  // Moving to another provider is not a replacement by itself: since pulumi/pulumi#18509 the
  // engine asks the new provider (DiffConfig) whether the old configuration points elsewhere.
  const oldProvider = providerUrn(old.options.provider);
  const newProvider = providerUrn(r.options.provider);
  if (oldProvider !== newProvider) {
    c.provider = { before: oldProvider, after: newProvider };
    c.warnings.push(
      `moves to provider ${newProvider?.split("::").pop() ?? "default"} (from ${oldProvider?.split("::").pop() ?? "the default provider"}): ` +
        "replaced if the new provider targets another account or cluster, else recorded in state only",
    );
  }
  for (const option of ["protect", "retainOnDelete", "deleteBeforeReplace"] as const)
    if (old.options[option] !== r.options[option])
      c.options.push({ option, before: old.options[option], after: r.options[option] });
  for (const option of ["ignoreChanges", "replaceOnChanges"] as const)
    if (!sameList(old.options[option] ?? [], r.options[option] ?? []))
      c.options.push({ option, before: old.options[option], after: r.options[option] });
  return c;
}

/**
 * The plan records how many aliases a resource declares, not what they name: a created resource
 * with aliases next to a deleted one of its type may be a rename the engine will carry over.
 */
function warnPossibleRenames(changes: Map<string, ResourceChange>, after: ResourceIndex): void {
  const deletedTypes = new Set([...changes.values()].filter((c) => c.action === "delete").map((c) => c.type));
  for (const c of changes.values())
    if (c.action === "create" && (after.get(c.urn)?.options.aliases ?? 0) > 0 && deletedTypes.has(c.type))
      c.warnings.push(
        "declares aliases: if one names a deleted resource here, the engine renames instead of delete + create",
      );
}

/** A replaced provider takes every resource it manages with it. Returns the resources by provider. */
function replaceWithProviders(
  head: Plan,
  changes: Map<string, ResourceChange>,
  blank: Blank,
): Map<string, PlannedResource[]> {
  const byProvider = new Map<string, PlannedResource[]>();
  for (const r of head.resources) {
    const p = providerUrn(r.options.provider);
    if (p) byProvider.set(p, [...(byProvider.get(p) ?? []), r]);
  }
  const replacedProviders = [...changes.values()].filter(
    (c) => c.action === "replace" && c.type.startsWith("pulumi:providers:"),
  );
  for (const p of replacedProviders)
    for (const r of byProvider.get(p.urn) ?? []) {
      const c = changes.get(r.urn) ?? blank(r, "replace");
      if (c.action === "create") continue;
      c.action = "replace";
      c.reasons.push(`its provider ${p.name} is replaced`);
      changes.set(r.urn, c);
    }
  return byProvider;
}

/**
 * A protected resource deleted or replaced: `pulumi up` will refuse. A tenant's (its Tenant
 * component is gone or renamed) is lifted by the tenant file's `decommission: true` first, which
 * runbook 05 walks through; anything else by a reviewed change that lifts `protect`.
 */
function protectedWarning(action: Action, old: PlannedResource): string {
  const tenant = /::platform:tenant:Tenant::([^:]+)$/.exec(old.parent ?? "")?.[1];
  if (action === "delete" && tenant)
    return (
      `protected: \`pulumi up\` refuses to delete it while tenant ${tenant} is deployed and not decommissioned: ` +
      `set \`decommission: true\` in tenants/${tenant}.yaml and deploy that first, then remove the file ` +
      "(runbook 05, docs/runbooks/05-decommission-tenant.md)"
    );
  return "protected: `pulumi up` refuses to delete it until protect is lifted in a reviewed change";
}

/** Warnings a reviewer must see next to the change: protection, retention, downtime, fan-out. */
function addReviewWarnings(
  head: Plan,
  changes: Map<string, ResourceChange>,
  before: ResourceIndex,
  after: ResourceIndex,
  byProvider: Map<string, PlannedResource[]>,
): void {
  const dependents = new Map<string, number>();
  for (const r of head.resources) for (const d of r.options.dependsOn) dependents.set(d, (dependents.get(d) ?? 0) + 1);
  for (const c of changes.values()) {
    const old = before.get(c.urn);
    if ((c.action === "delete" || c.action === "replace") && old?.options.protect)
      c.warnings.push(protectedWarning(c.action, old));
    if (c.action === "delete" && old?.options.retainOnDelete)
      c.warnings.push("retainOnDelete: only leaves Pulumi's state; the object itself stays");
    if (c.action === "replace") {
      const now = after.get(c.urn);
      if (now?.options.deleteBeforeReplace)
        c.warnings.push("deleteBeforeReplace: the old object goes before the new one exists (downtime)");
      const n = dependents.get(c.urn) ?? 0;
      if (n) c.warnings.push(`${n} resource(s) depend on it and may update with its new ID and outputs`);
    }
    if (
      c.type === "pulumi:providers:kubernetes" &&
      c.action === "update" &&
      c.changes.some((x) => x.path === "kubeconfig")
    ) {
      const n = byProvider.get(c.urn)?.length ?? 0;
      c.warnings.push(
        `kubeconfig changed (secret): if the cluster endpoint or CA changed, the provider and all ${n} object(s) it manages are replaced`,
      );
    }
  }
}

/** By top-level component in the order the working tree declares them, then action, then URN. */
function ordered(
  base: Plan,
  head: Plan,
  changes: Map<string, ResourceChange>,
  before: ResourceIndex,
  after: ResourceIndex,
): ResourceChange[] {
  const order = new Map<string | null, number>();
  for (const r of [...head.resources, ...base.resources])
    if (r.parent && (before.get(r.parent)?.type === STACK_TYPE || after.get(r.parent)?.type === STACK_TYPE))
      if (!order.has(r.urn)) order.set(r.urn, order.size);
  const rank = (u: string | null) => (u === null ? -1 : (order.get(u) ?? order.size));
  return [...changes.values()].sort(
    (x, y) =>
      rank(x.component) - rank(y.component) ||
      ACTION_ORDER.indexOf(x.action) - ACTION_ORDER.indexOf(y.action) ||
      (x.urn < y.urn ? -1 : x.urn > y.urn ? 1 : 0),
  );
}

/** Counts per top-level component, in the order of `resources`. */
function componentSummaries(
  resources: ResourceChange[],
  before: ResourceIndex,
  after: ResourceIndex,
): ComponentSummary[] {
  const components: ComponentSummary[] = [];
  for (const c of resources) {
    let s = components.find((x) => x.urn === c.component);
    if (!s) {
      const r = c.component ? (after.get(c.component) ?? before.get(c.component)) : undefined;
      s = {
        urn: c.component,
        name: r?.name ?? "(stack)",
        type: r?.type ?? STACK_TYPE,
        counts: { create: 0, update: 0, replace: 0, delete: 0 },
      };
      components.push(s);
    }
    s.counts[c.action]++;
  }
  return components;
}

/** Stack outputs added, removed and changed. */
function outputChanges(base: Plan, head: Plan): PlanDiff["outputs"] {
  const outKeys = (o: Record<string, unknown>) => Object.keys(o ?? {});
  return {
    added: outKeys(head.outputs).filter((k) => !(k in (base.outputs ?? {}))),
    removed: outKeys(base.outputs).filter((k) => !(k in (head.outputs ?? {}))),
    changed: outKeys(head.outputs).filter(
      (k) => k in (base.outputs ?? {}) && !deepEqual(base.outputs[k], head.outputs[k]),
    ),
  };
}

/** A plan with nothing in it: the base of a stack that does not exist at the base ref yet. */
export function emptyPlan(project: string, stack: string): Plan {
  return { project, stack, resources: [], outputs: {} };
}
