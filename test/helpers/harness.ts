/**
 * Test harness: the same mock runtime as `npm run plan` (tools/plan/runtime.ts), plus helpers to
 * find resources and read their inputs. Plans are cached per (stack, tenants dir) because the
 * program is deterministic; a test that changes inputs passes its own options.
 */
import * as pulumi from "@pulumi/pulumi";
import { plan, Plan, PlanOptions, PlannedResource, readStackConfig } from "../../tools/plan/runtime";

export { plan, SECRET, placeholder, planJson, repoRoot, readStackConfig } from "../../tools/plan/runtime";
export type { Plan, PlannedResource, PlanOptions } from "../../tools/plan/runtime";

/**
 * The SDK wraps every resource and invoke promise in `debuggablePromise`, which stamps it with
 * `new Error().stack` for the leak report it prints when a program exits with promises pending.
 * Formatting those stacks was a third of the CPU of an in-process plan (profile of 8 plans,
 * 2026-11-30: 3.7 s → 2.4 s without it). The test process awaits every plan to the end, so the
 * leak report has nothing to say here: the tests plan without the stamps. Results are identical
 * (test/foundation.test.ts compares the plan CLI's JSON, which keeps them, with the harness's).
 * The plan CLI and the bench keep the SDK as it runs under `pulumi up`.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise: <T>(p: Promise<T>) => Promise<T>;
};
debuggable.debuggablePromise = (p) => p;

const cache = new Map<string, Promise<Plan>>();

/**
 * Under mutation testing (npm run test:mutation) the runner keeps modules loaded between runs and
 * switches the active mutant in place: a plan cached under another mutant (or none) would hide
 * this one. So the cache is per active mutant, and during Stryker's coverage run per test, so
 * every test that reads a plan is known to cover the code that built it.
 */
function mutationScope(): string {
  const stryker = (globalThis as { __stryker__?: { activeMutant?: string; currentTestId?: string } }).__stryker__;
  return stryker
    ? `${stryker.activeMutant ?? ""}\u0000${stryker.activeMutant ? "" : (stryker.currentTestId ?? "")}`
    : "";
}

/** Plans a committed stack with the committed (or given) tenants directory, once per run. */
export function planStack(stack: string, tenantsDir?: string): Promise<Plan> {
  const key = `${stack}\u0000${tenantsDir ?? ""}\u0000${mutationScope()}`;
  let p = cache.get(key);
  if (!p) {
    p = serial(() => plan({ stack, tenantsDir }));
    cache.set(key, p);
  }
  return p;
}

let queue: Promise<unknown> = Promise.resolve();
/** Plans run one at a time (the Pulumi runtime is process-global). */
export function serial<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

/** Plans with custom options (variants of config or tenants). */
export function planWith(opts: PlanOptions): Promise<Plan> {
  return serial(() => plan(opts));
}

/** Options of a hand-built PlannedResource: what the SDK sends when none are set, plus `o`. */
export function plannedOptions(o: Partial<PlannedResource["options"]> = {}): PlannedResource["options"] {
  return {
    protect: false,
    retainOnDelete: false,
    deleteBeforeReplace: false,
    ignoreChanges: [],
    dependsOn: [],
    provider: null,
    replaceOnChanges: [],
    aliases: 0,
    additionalSecretOutputs: [],
    deletedWith: null,
    ...o,
  };
}

/**
 * The value and secretness of an Output, once resolved (for tests that build components in a
 * planWith program and inspect their public fields). Unknown values fail loudly: the offline
 * plan runs as an update, so every value is known.
 */
export async function unwrap<T>(o: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
  const out = pulumi.output(o);
  const [value, secret, known] = await Promise.all([
    (out as unknown as { promise(): Promise<T> }).promise(),
    pulumi.isSecret(out),
    (out as unknown as { isKnown: Promise<boolean> }).isKnown,
  ]);
  if (!known) throw new Error("unwrap: the Output is unknown (not resolvable offline)");
  return { value, secret };
}

/** A committed stack file's `config:` mapping, deep-copied and changed by `mutate` (for planWith). */
export function withStackConfig(stack: string, mutate: (c: Record<string, any>) => void): Record<string, unknown> {
  const c = JSON.parse(JSON.stringify(readStackConfig(stack))) as Record<string, any>;
  mutate(c);
  return c;
}

/** Resources of a type (full token, or the short `kubernetes:Namespace` form). */
export function ofType(p: Plan, type: string): PlannedResource[] {
  return p.resources.filter((r) => r.type === type || `${r.type.split(":")[0]}:${r.type.split(":")[2]}` === type);
}

/** The one resource with this logical name (and type, if given); throws if absent or ambiguous. */
export function byName(p: Plan, name: string, type?: string): PlannedResource {
  const found = p.resources.filter((r) => r.name === name && (!type || r.type === type || r.type.endsWith(`:${type}`)));
  if (found.length !== 1)
    throw new Error(`expected one resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length}`);
  return found[0];
}

/** Reads a nested input by dotted path (`metadata.labels`). */
export function input(r: PlannedResource, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), r.inputs);
}

/** All resources below a component (by URN), excluding the component itself. */
export function descendants(p: Plan, urn: string): PlannedResource[] {
  const out: PlannedResource[] = [];
  const walk = (u: string) => {
    for (const r of p.resources)
      if (r.parent === u) {
        out.push(r);
        walk(r.urn);
      }
  };
  walk(urn);
  return out;
}

/** Runs fn expecting an InputError; returns its problems. */
export async function expectInputError(
  fn: () => Promise<unknown>,
): Promise<{ file: string; path: string; message: string }[]> {
  try {
    await fn();
  } catch (e) {
    const err = e as {
      name?: string;
      problems?: { file: string; path: string; message: string }[];
      declared?: string[];
    };
    if (err.name === "InputError" && err.problems) {
      // Nothing half-applied: an input error is raised before the program declares anything.
      if (err.declared?.length)
        throw new Error(`input error raised after resources were declared: ${err.declared.join(", ")}`);
      return err.problems;
    }
    throw e;
  }
  throw new Error("expected an InputError, but the plan succeeded");
}
