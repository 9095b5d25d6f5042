/**
 * One bench measurement in a fresh process (spawned by tools/bench/bench.ts, one per run):
 *
 *   node build/tools/bench/run-one.js --mode program --stack prod [--tenants <dir>] [--stack-config <json>]
 *   node build/tools/bench/run-one.js --mode floor   --stack prod --count <resources>
 *
 * Both modes load the SAME modules first (the compiled program, which pulls in @pulumi/pulumi,
 * @pulumi/kubernetes, @pulumi/hcloud, ..., and the plan runtime), then time only the plan() call:
 * config assembly, the program (or the bare ConfigMap loop), every registration through the
 * RecordingMonitor, waiting for outstanding RPCs and sorting the result. Node start-up and module
 * loading are outside the timer for both, and both carry the same loaded-module baseline in RSS.
 * Prints one JSON line on stdout.
 */
import * as k8s from "@pulumi/kubernetes";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { plan, repoRoot } from "../plan/runtime";

export interface RunResult {
  mode: "program" | "floor";
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

interface Args {
  mode: "program" | "floor";
  stack: string;
  tenants?: string;
  stackConfig?: string;
  count?: number;
  types: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { mode: "program", stack: "prod", types: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === "--mode") {
      const m = v();
      if (m !== "program" && m !== "floor") throw new Error(`--mode: program or floor, not ${m}`);
      a.mode = m;
    } else if (k === "--stack") a.stack = v();
    else if (k === "--tenants") a.tenants = v();
    else if (k === "--stack-config") a.stackConfig = v();
    else if (k === "--count") a.count = Number(v());
    else if (k === "--types") a.types = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (a.mode === "floor" && !(Number.isInteger(a.count) && (a.count ?? 0) >= 1))
    throw new Error("--mode floor needs --count <resources ≥ 1>");
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

export async function runOne(a: Args): Promise<RunResult> {
  // Same module set for both modes (see the header): load the compiled program without running it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(join(repoRoot, "build", "index.js")) as () => unknown;
  const stackConfig = a.stackConfig
    ? (JSON.parse(readFileSync(a.stackConfig, "utf8")) as Record<string, unknown>)
    : undefined;
  const baseRssKiB = Math.round(process.memoryUsage().rss / 1024);

  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const p =
    a.mode === "program"
      ? await plan({ stack: a.stack, tenantsDir: a.tenants, stackConfig, program })
      : await plan({ stack: a.stack, stackConfig, program: floorProgram(a.count as number) });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;

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
  runOne(parse(process.argv.slice(2))).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err) => {
      const e = err as { name?: string; message?: string; stack?: string };
      process.stderr.write(`${e.name === "InputError" ? e.message : (e.stack ?? String(err))}\n`);
      process.exit(1);
    },
  );
}
