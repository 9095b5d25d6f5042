/**
 * `npm run model -- [--stack <name>] [--tenants <dir> | --generate <N>] [--parallel <P|unbounded>] [--sources]`
 *
 * Plans the stack offline, then prints the modeled from-scratch `pulumi up` time at the default
 * parallelism, 16 and unbounded, the critical path (each resource, type, start and finish) and,
 * with --sources, where every latency number comes from. --generate plans N synthetic tenants
 * (tools/bench/generate.ts) with the worker pools scaled to fit their quotas.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkStackName, readFlags, reportFailure, UsageError } from "../cli/args";
import { plan, readStackConfig, type Plan } from "../plan/runtime";
import { generateTenants, scaledStackConfig } from "../bench/generate";
import { MODEL_ASSUMPTIONS } from "./latency";
import {
  DEFAULT_PARALLELISM,
  crossTenantChains,
  fmtSeconds,
  modelPlan,
  renderCriticalPath,
  restoreSeconds,
  summarize,
  TENANT_TYPE,
} from "./model";
import { MEASURED_RESTORE } from "./measured";

const USAGE =
  "usage: npm run model -- [--stack <name>] [--tenants <dir> | --generate <N>] [--parallel <P|unbounded>] [--sources]";

interface Args {
  stack: string;
  tenants?: string;
  generate?: number;
  parallel: number;
  sources: boolean;
}

export function parseModelArgs(argv: string[]): Args {
  const f = readFlags(
    argv,
    {
      stack: { type: "string" },
      tenants: { type: "string" },
      generate: { type: "string" },
      parallel: { type: "string" },
      sources: { type: "boolean" },
    },
    USAGE,
  );
  const a: Args = {
    stack: checkStackName(f.stack ?? "staging"),
    tenants: f.tenants,
    parallel: DEFAULT_PARALLELISM,
    sources: f.sources ?? false,
  };
  if (f.generate !== undefined) {
    const n = Number(f.generate);
    if (!Number.isInteger(n) || n < 0 || n > 5000) throw new UsageError(`--generate: 0..5000 tenants`);
    a.generate = n;
  }
  if (f.parallel !== undefined) {
    const x = f.parallel;
    const n = x === "unbounded" ? Infinity : Number(x);
    if (!(n >= 1) || (Number.isFinite(n) && !Number.isInteger(n)))
      throw new UsageError(`--parallel: a positive integer or "unbounded", not ${x}`);
    a.parallel = n;
  }
  if (a.tenants && a.generate !== undefined) throw new UsageError(`--tenants and --generate exclude each other`);
  return a;
}

/** Plans the stack with its own tenants, a directory, or N generated tenants (pools scaled). */
export async function planForModel(stack: string, opts: { tenants?: string; generate?: number } = {}) {
  if (opts.generate === undefined) return { plan: await plan({ stack, tenantsDir: opts.tenants }), note: "" };
  const dir = mkdtempSync(join(tmpdir(), "vp-model-"));
  try {
    const tenants = generateTenants(opts.generate, dir);
    const scaled = scaledStackConfig(readStackConfig(stack), tenants);
    return {
      plan: await plan({ stack, tenantsDir: dir, stackConfig: scaled.stackConfig }),
      note: `${opts.generate} generated tenants; ${scaled.note}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Expected from-scratch rebuild time of a stack (with its committed tenants, a directory, or N
 * generated ones), for runbooks: seconds at the default parallelism, at 16 and unbounded, the
 * critical path at the default, and Argo CD's measured restore of that many tenants (undefined
 * before `npm run bench:cluster -- --restore` recorded one).
 */
export async function expectedRebuild(stack: string, opts: { tenants?: string; generate?: number } = {}) {
  const { plan: p } = await planForModel(stack, opts);
  const [atDefault, at16, unbounded] = [DEFAULT_PARALLELISM, 16, Infinity].map((P) => modelPlan(p, { parallelism: P }));
  const tenants = p.resources.filter((r) => r.type === TENANT_TYPE).length;
  return {
    resources: p.resources.length,
    seconds: { [`p${DEFAULT_PARALLELISM}`]: atDefault.total, p16: at16.total, unbounded: unbounded.total },
    criticalPath: atDefault.criticalPath,
    tenants,
    restoreSeconds: restoreSeconds(tenants),
  };
}

/** The model report the CLI and the bench print. */
export function renderModelReport(p: Plan, label: string, parallel = DEFAULT_PARALLELISM, sources = false): string {
  const levels = [...new Set([parallel, 16, Infinity])];
  const results = levels.map((P) => modelPlan(p, { parallelism: P }));
  const main = results[0];
  const out: string[] = [];
  for (const m of results) out.push(summarize(m, label));
  out.push(
    "",
    `critical path (P=${Number.isFinite(main.parallelism) ? main.parallelism : "unbounded"}; * = estimate):`,
  );
  out.push(renderCriticalPath(main));
  const chains = crossTenantChains(p);
  out.push(
    chains.length
      ? `CHAINS BETWEEN TENANTS (${chains.length}): e.g. ${chains[0].join(" → ")}`
      : "no dependency chain between tenants",
  );
  if (sources) {
    out.push("", "latency table (resources matched · seconds · source):");
    for (const { rule, count } of main.counts.sort((a, b) => b.count - a.count))
      out.push(
        `  ${String(count).padStart(5)} × ${rule.type}${rule.chart ? ` [chart ${rule.chart}]` : ""}${rule.name ? ` [name ${rule.name}]` : ""} · ${rule.seconds}s${rule.estimate ? " (estimate)" : ""} · ${rule.source}`,
      );
    out.push("", "assumptions:", ...MODEL_ASSUMPTIONS.map((a) => `  - ${a}`));
  }
  return out.join("\n") + "\n";
}

/** The measured Argo CD restore for a tenant count, as `npm run model` prints it (the runbooks state it). */
export function restoreLine(tenants: number): string {
  const s = restoreSeconds(tenants);
  const pts = MEASURED_RESTORE.points.map((x) => `${x.tenants} tenants ${fmtSeconds(x.seconds)}`).join(", ");
  return s === undefined
    ? "Argo CD restore (measured): not measured yet (npm run bench:cluster -- --restore 3,50 --write-model)"
    : `Argo CD restore (measured): every tenant Synced ${fmtSeconds(s)} after the API server answers, ${tenants} tenants (${pts}; medians of ${MEASURED_RESTORE.repeats}, ${MEASURED_RESTORE.measuredOn}; linear between)`;
}

async function main(argv: string[]): Promise<number> {
  const a = parseModelArgs(argv);
  const { plan: p, note } = await planForModel(a.stack, a);
  if (note) process.stdout.write(`${note}\n`);
  const tenants = p.resources.filter((r) => r.type === TENANT_TYPE).length;
  const label = `${a.stack} (${tenants} tenants, ${p.resources.length} resources)`;
  process.stdout.write(renderModelReport(p, label, a.parallel, a.sources));
  process.stdout.write(`${restoreLine(tenants)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
