/**
 * One bench measurement in a fresh process (spawned by tools/bench/bench.ts, one per run):
 *
 *   node build/tools/bench/run-one.js --mode program --stack prod [--tenants <dir>] [--stack-config <json>]
 *   node build/tools/bench/run-one.js --mode floor   --stack prod --count <resources>
 *   node build/tools/bench/run-one.js --mode replay  --stack prod --replay <resources.json>
 *
 * `program --save <file>` also writes the planned resources (after the timer) for `replay`: the
 * SAME resources, types and inputs registered flat, with no program logic, no outputs between
 * them, no parents or providers: a second floor that separates what the SDK spends on the
 * payload from what the program's own structure and logic cost.
 *
 * All modes load the SAME modules first (the compiled program, which pulls in @pulumi/pulumi,
 * @pulumi/kubernetes, @pulumi/hcloud, ..., and the plan runtime), then time only the plan() call:
 * config assembly, the program (or the bare ConfigMap loop), every registration through the
 * RecordingMonitor, waiting for outstanding RPCs and sorting the result. Node start-up and module
 * loading are outside the timer for both, and both carry the same loaded-module baseline in RSS.
 * Prints one JSON line on stdout.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkStackName, readFlags, reportFailure, UsageError } from "../cli/args";
import { plan, repoRoot } from "../plan/runtime";

export interface RunResult {
  mode: Mode;
  stack: string;
  /** Resources registered (the Stack included), as the plan counts them. */
  resources: number;
  /** Custom (provider-backed) resources among them. */
  custom: number;
  /** Resources under each platform:tenant:Tenant component (the component included), summed. */
  tenantResources: number;
  /** Custom resources (API objects) among tenantResources. */
  tenantCustom: number;
  tenants: number;
  /** Wall time of the plan() call, milliseconds. */
  ms: number;
  /** CPU time (user + system, all threads) of the plan() call, milliseconds: less sensitive to other load. */
  cpuMs: number;
  /** Peak resident set size of this process (process.resourceUsage().maxRSS), KiB. */
  maxRssKiB: number;
  /** RSS just before the timer started (modules loaded), KiB. */
  baseRssKiB: number;
  /** With --types: resources under Tenant components, per type (the per-tenant breakdown). */
  tenantTypes?: Record<string, number>;
}

type Mode = "program" | "floor" | "replay";

const USAGE =
  "usage: node build/tools/bench/run-one.js --mode program|floor|replay --stack <name> [--tenants <dir>] [--stack-config <json>] [--count <n>] [--types] [--save <file>] [--replay <file>]";

interface Args {
  mode: Mode;
  save?: string;
  replay?: string;
  stack: string;
  tenants?: string;
  stackConfig?: string;
  count?: number;
  types: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { mode: "program", stack: "prod", types: false };
  const f = readFlags(
    argv,
    {
      mode: { type: "string" },
      stack: { type: "string" },
      tenants: { type: "string" },
      "stack-config": { type: "string" },
      count: { type: "string" },
      types: { type: "boolean" },
      save: { type: "string" },
      replay: { type: "string" },
    },
    USAGE,
  );
  if (f.mode !== undefined) {
    const m = f.mode;
    if (m !== "program" && m !== "floor" && m !== "replay")
      throw new UsageError(`--mode: program, floor or replay, not ${m}\n${USAGE}`);
    a.mode = m;
  }
  if (f.stack !== undefined) a.stack = checkStackName(f.stack);
  a.tenants = f.tenants;
  a.stackConfig = f["stack-config"];
  if (f.count !== undefined) a.count = Number(f.count);
  a.types = f.types ?? false;
  a.save = f.save;
  a.replay = f.replay;
  if (a.mode === "floor" && !(Number.isInteger(a.count) && (a.count ?? 0) >= 1))
    throw new UsageError(`--mode floor needs --count <resources ≥ 1>\n${USAGE}`);
  if (a.mode === "replay" && !a.replay) throw new UsageError(`--mode replay needs --replay <resources.json>\n${USAGE}`);
  return a;
}

/**
 * The SDK floor: `count` resources in total (the Stack plus count−1 bare ConfigMaps), registered
 * with no outputs flowing between them and no program logic, through the same plan runtime.
 */
export function floorProgram(count: number): () => void {
  return () => {
    for (let i = 1; i < count; i++) {
      new k8s.core.v1.ConfigMap(`cm-${i}`, { metadata: { name: `cm-${i}` }, data: { key: "value" } });
    }
  };
}

/** What `replay` needs of each planned resource. */
export interface ReplayResource {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
}

/** A component with no children and no outputs (ComponentResource itself is abstract). */
class BareComponent extends pulumi.ComponentResource {}
/** A custom resource of any type token with the given inputs (CustomResource is abstract too). */
class BareCustom extends pulumi.CustomResource {}

/**
 * The payload floor: every resource of a plan (the Stack excepted: the runtime registers it)
 * registered flat under its own type token with its recorded inputs as plain values. Components
 * are registered as bare components. Same count, types and input trees as the program.
 */
export function replayProgram(resources: ReplayResource[]): () => void {
  return () => {
    const seen = new Set<string>();
    for (const r of resources) {
      if (r.type === "pulumi:pulumi:Stack") continue;
      // Flattening drops the parent from the URN: keep names unique per type.
      let name = r.name;
      for (let i = 2; seen.has(`${r.type}::${name}`); i++) name = `${r.name}-${i}`;
      seen.add(`${r.type}::${name}`);
      if (r.custom) new BareCustom(r.type, name, r.inputs);
      else new BareComponent(r.type, name);
    }
  };
}

export async function runOne(a: Args): Promise<RunResult> {
  // Same module set for both modes (see the header): load the compiled program without running it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(join(repoRoot, "build", "index.js")) as () => unknown;
  const stackConfig = a.stackConfig
    ? (JSON.parse(readFileSync(a.stackConfig, "utf8")) as Record<string, unknown>)
    : undefined;
  const replay = a.replay ? (JSON.parse(readFileSync(a.replay, "utf8")) as ReplayResource[]) : undefined;
  const baseRssKiB = Math.round(process.memoryUsage().rss / 1024);

  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const p =
    a.mode === "program"
      ? await plan({ stack: a.stack, tenantsDir: a.tenants, stackConfig, program })
      : a.mode === "floor"
        ? await plan({ stack: a.stack, stackConfig, program: floorProgram(a.count as number) })
        : await plan({ stack: a.stack, stackConfig, program: replayProgram(replay as ReplayResource[]) });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;

  if (a.save)
    writeFileSync(
      a.save,
      JSON.stringify(p.resources.map((r) => ({ type: r.type, name: r.name, custom: r.custom, inputs: r.inputs }))),
    );

  const tenantUrns = new Set(p.resources.filter((r) => r.type === "platform:tenant:Tenant").map((r) => r.urn));
  const byUrn = new Map(p.resources.map((r) => [r.urn, r]));
  const underTenant = (urn: string): boolean => {
    for (let u: string | null = urn; u; u = byUrn.get(u)?.parent ?? null) if (tenantUrns.has(u)) return true;
    return false;
  };
  const mine = p.resources.filter((r) => underTenant(r.urn));
  let tenantTypes: Record<string, number> | undefined;
  if (a.types) {
    tenantTypes = {};
    for (const r of mine) tenantTypes[r.type] = (tenantTypes[r.type] ?? 0) + 1;
  }
  return {
    mode: a.mode,
    stack: a.stack,
    resources: p.resources.length,
    custom: p.resources.filter((r) => r.custom).length,
    tenantResources: mine.length,
    tenantCustom: mine.filter((r) => r.custom).length,
    tenants: tenantUrns.size,
    ms,
    cpuMs,
    maxRssKiB: process.resourceUsage().maxRSS,
    baseRssKiB,
    tenantTypes,
  };
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runOne(parse(process.argv.slice(2))))
    .then(
      (r) => {
        process.stdout.write(`${JSON.stringify(r)}\n`);
        process.exit(0);
      },
      (err) => process.exit(reportFailure(err)),
    );
}
