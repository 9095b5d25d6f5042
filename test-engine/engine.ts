/**
 * What every engine test step shares: the suite's engine (one stack, one datastore, one backend
 * under build/engine/), the offline plan it is compared with, reads of the live objects, and the
 * one list of warnings the engine may print. The expectations are written out in the tests.
 */
import { strict as assert } from "node:assert";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { discover } from "../tools/cluster/apply";
import { collectionPath, KubeClient } from "../tools/cluster/client";
import { isKubeObject, type KubeObject } from "../tools/cluster/objects";
import { plannedInChild } from "../tools/engine/planned";
import { Engine, ENGINE_DIR, EngineRun, prepareEngine, recorder } from "../tools/engine/workspace";
import type { Plan, PlannedResource } from "../tools/plan/runtime";
import { repoRoot } from "../tools/plan/runtime";

/** The suite's stack: staging's file, run protected (prod's `protected: true`) so `protect` is real. */
export const STACK = process.env.VP_ENGINE_STACK ?? "staging";
export const OVERRIDES = { protected: true } as const;
/** The suite's tenants directory: a copy of tenants/ the onboarding and decommission steps edit. */
export const TENANTS = join(ENGINE_DIR, "tenants");
/** The fixture tenant onboarded and decommissioned (never a committed tenant). */
export const FIXTURE = join(__dirname, "..", "..", "test-engine", "fixtures", "engine-onboard.yaml");

let engine: Engine | undefined;

/** The suite's engine, prepared once (control plane, project, stack config). */
export async function suiteEngine(): Promise<Engine> {
  if (!engine) {
    rmSync(TENANTS, { recursive: true, force: true });
    mkdirSync(TENANTS, { recursive: true });
    for (const f of readdirSync(join(repoRoot, "tenants")).filter((f) => f.endsWith(".yaml")))
      cpSync(join(repoRoot, "tenants", f), join(TENANTS, f));
    engine = await prepareEngine({ stack: STACK, tenants: TENANTS, overrides: OVERRIDES });
  }
  return engine;
}

/** The product's offline plan (index.ts, mock runtime) of the suite's stack and tenants as they are now. */
export function suitePlan(): Plan {
  return plannedInChild(
    {
      stack: STACK,
      tenantsDir: TENANTS,
      overrides: Object.fromEntries(Object.entries(OVERRIDES).map(([k, v]) => [k, { value: v }])),
    },
    join(ENGINE_DIR, "plan.json"),
  );
}

/** The plan's Kubernetes objects (chart releases excluded: their stand-in charts hold CRDs only). */
export function plannedObjects(p: Plan): PlannedResource[] {
  return p.resources.filter(isKubeObject);
}

export function client(e: Engine): KubeClient {
  return new KubeClient({
    server: e.cluster.server,
    ca: e.cluster.pki.ca,
    crt: e.cluster.pki.admin.crt,
    key: e.cluster.pki.admin.key,
  });
}

/** The live object for a planned manifest (status 404 → undefined). */
export async function live(c: KubeClient, o: Record<string, unknown>): Promise<KubeObject | undefined> {
  const kinds = await discover(c);
  const md = o.metadata as { name: string; namespace?: string };
  const k = kinds.get(`${String(o.apiVersion)}/${String(o.kind)}`);
  if (!k) return undefined;
  const path = `${collectionPath(String(o.apiVersion), k.plural, k.namespaced ? md.namespace : undefined)}/${md.name}`;
  const res = await c.request("GET", path);
  return res.status === 200 ? (res.body as unknown as KubeObject) : undefined;
}

/**
 * A planned object as the API server stores it: a Secret's `stringData` is write-only, merged into
 * `data` base64-encoded (core/v1 Secret: "stringData ... is never output when reading from the
 * API"). Masked secret values stay masked.
 */
export function asStored(planned: Record<string, unknown>): Record<string, unknown> {
  const stringData = planned.stringData as Record<string, unknown> | undefined;
  if (planned.kind !== "Secret" || !stringData || typeof stringData !== "object") return planned;
  const { stringData: _written, ...rest } = planned;
  const data = { ...((planned.data as Record<string, unknown> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(stringData))
    data[k] = typeof v === "string" && v !== "[secret]" ? Buffer.from(v, "utf8").toString("base64") : v;
  return { ...rest, data };
}

/**
 * Paths where `planned` (secrets masked as "[secret]" skipped) differs from `actual`. A planned
 * zero value (false, 0, "") the live object lacks is equal: the API server serializes Go's
 * `omitempty` fields without their zero value (PriorityClass `globalDefault: false`), and an absent
 * field decodes to that zero value; a field that keeps it (a pointer) comes back written out.
 */
export function fieldDiffs(planned: unknown, actual: unknown, path = ""): string[] {
  if (planned === "[secret]") return [];
  if (actual === undefined && (planned === false || planned === 0 || planned === "")) return [];
  if (Array.isArray(planned)) {
    if (!Array.isArray(actual) || actual.length !== planned.length) return [`${path} (${JSON.stringify(actual)})`];
    return planned.flatMap((x, i) => fieldDiffs(x, actual[i], `${path}[${i}]`));
  }
  if (planned && typeof planned === "object") {
    if (!actual || typeof actual !== "object") return [`${path} (${JSON.stringify(actual)})`];
    return Object.entries(planned).flatMap(([k, v]) =>
      fieldDiffs(v, (actual as Record<string, unknown>)[k], `${path}.${k}`),
    );
  }
  return planned === actual ? [] : [`${path}: planned ${JSON.stringify(planned)}, live ${JSON.stringify(actual)}`];
}

/**
 * The warnings the engine may print, and only these: it takes the Kubernetes provider and the
 * two stand-ins from PATH (the provider is 4.25.0, the only one the module proxy serves, where
 * the SDK asks for the version it was released with). Anything else fails the step that printed it.
 */
export const PROVIDER_VERSION_WARNING =
  "resource plugin kubernetes is expected to have version >=4.34.2, but has 4.25.0; the wrong version may be on your path, or this may be a bug in the plugin";

export function unexpectedDiagnostics(e: Engine, r: EngineRun): string[] {
  const dirs = e.env.PATH.split(":").slice(0, 3);
  const allowed = (m: string) => {
    if (m === PROVIDER_VERSION_WARNING) return true;
    const ambient = /^using pulumi-resource-(kubernetes|random|hcloud) from \$PATH at (\S+)$/.exec(m);
    return !!ambient && dirs.some((d) => ambient[2] === join(d, `pulumi-resource-${ambient[1]}`));
  };
  return r.diagnostics
    .filter((d) => d.severity === "error" || !allowed(d.message))
    .map((d) => `${d.severity}: ${d.message}`);
}

/** Runs one engine operation with its events recorded; fails on any warning not expected. */
export async function step<T>(
  e: Engine,
  op: (on: { onEvent: (ev: EngineEvent) => void }) => Promise<T>,
  opts: { allowErrors?: boolean } = {},
): Promise<{ result: T; run: EngineRun }> {
  const rec = recorder();
  const t0 = Date.now();
  const result = await op({ onEvent: rec.onEvent });
  const run = rec.done(t0);
  if (!opts.allowErrors) assert.deepEqual(unexpectedDiagnostics(e, run), [], "the engine printed unexpected warnings");
  return { result, run };
}

/** Every step the engine announced (resource pre-events): URN, operation, changed properties. */
export function steps(r: EngineRun): { urn: string; op: OpType; diffs: string[]; detailed: string[] }[] {
  return r.events
    .map((ev) => ev.resourcePreEvent?.metadata)
    .filter((m): m is NonNullable<typeof m> => !!m)
    .map((m) => ({
      urn: m.urn,
      op: m.op,
      diffs: [...(m.diffs ?? [])].sort(),
      detailed: Object.keys(m.detailedDiff ?? {}).sort(),
    }));
}

/** The steps that change something (not `same`, not the refresh reads). */
export function changes(r: EngineRun): ReturnType<typeof steps> {
  return steps(r).filter((s) => s.op !== "same" && s.op !== "refresh" && s.op !== "read");
}

/** `kubectl` against the suite's control plane (a technician's hand edit). */
export function kubectl(e: Engine, args: string[]): string {
  return execFileSync(e.kubectl, [`--kubeconfig=${e.cluster.kubeconfig}`, ...args], { encoding: "utf8" });
}
