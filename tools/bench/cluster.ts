/**
 * `npm run bench:cluster -- [--sizes 10,100,200] [--repeats 3] [--stack staging] [--write-model]`
 * `npm run bench:cluster -- --restore 3,50 [--repeats 3] [--write-model]`: restore after a site loss (tools/bench/restore.ts)
 *
 * How fast a real API server takes the plan's Kubernetes layer: for each N, N generated tenants
 * (the scale bench's generator, pools scaled to fit) are planned offline, then applied
 * (`kubectl apply --server-side`, one stream, objects in dependency order) to a fresh local control
 * plane (tools/cluster) per repeat. Reports objects, median seconds, objects/second and
 * seconds/object (kubectl applies one object per request, in order, so this is the per-object
 * round trip). `--write-model` records the median seconds/object of the largest N in
 * tools/model/measured.ts, which the from-scratch time model uses for plain Kubernetes objects.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { plan, readStackConfig, repoRoot } from "../plan/runtime";
import { applyCrds, applyStream, Kubectl, PLAN_REVEAL, planObjects } from "../cluster/apply";
import { stackK3s } from "../cluster/cli";
import { ensureBinaries, startControlPlane, stopControlPlane } from "../cluster/controlplane";
import { loadCrds } from "../cluster/crds";
import { renderedServerConfig } from "../cluster/flags";
import { generateTenants, scaledStackConfig } from "./generate";
import { measuredRestore, RestoreRow, restoreRow } from "./restore";
import { MEASURED_APPLY, MEASURED_RESTORE } from "../model/measured";

interface Args {
  sizes: number[];
  repeats: number;
  stack: string;
  writeModel: boolean;
  /** Tenant counts for the restore bench (tools/bench/restore.ts) instead of the apply bench. */
  restore?: number[];
}

const USAGE =
  "usage: npm run bench:cluster -- [--sizes 10,100,200 | --restore 3,50] [--repeats 3] [--stack <name>] [--write-model]";

function parse(argv: string[]): Args {
  const a: Args = { sizes: [10, 100, 200], repeats: 3, stack: "staging", writeModel: false };
  for (let i = 0; i < argv.length; i++) {
    const v = () => {
      const x = argv[++i];
      if (x === undefined || x.startsWith("--")) throw new Error(`${argv[i - 1]} needs a value\n${USAGE}`);
      return x;
    };
    if (argv[i] === "--sizes") a.sizes = v().split(",").map(Number);
    else if (argv[i] === "--repeats") a.repeats = Number(v());
    else if (argv[i] === "--stack") a.stack = v();
    else if (argv[i] === "--write-model") a.writeModel = true;
    else if (argv[i] === "--restore") a.restore = v().split(",").map(Number);
    else throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  if (
    [...a.sizes, ...(a.restore ?? [])].some((n) => !Number.isInteger(n) || n < 1) ||
    !Number.isInteger(a.repeats) ||
    a.repeats < 1
  )
    throw new Error(`--sizes wants positive integers, --repeats a positive integer\n${USAGE}`);
  return a;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface ClusterBenchRow {
  tenants: number;
  objects: number;
  seconds: number[];
  medianSeconds: number;
  objectsPerSecond: number;
  secondsPerObject: number;
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args.restore) return restoreBench(args, args.restore);
  const binDir = ensureBinaries(repoRoot);
  const k3s = renderedServerConfig(stackK3s(args.stack));
  const crds = loadCrds();
  const rows: ClusterBenchRow[] = [];
  for (const n of args.sizes) {
    const tenantsDir = mkdtempSync(join(tmpdir(), `vp-cluster-bench-${n}-`));
    const tenants = generateTenants(n, tenantsDir);
    const { stackConfig } = scaledStackConfig(readStackConfig(args.stack), tenants);
    const p = await plan({ stack: args.stack, tenantsDir, stackConfig, reveal: PLAN_REVEAL });
    const seconds: number[] = [];
    let objects = 0;
    for (let r = 0; r < args.repeats; r++) {
      const dir = mkdtempSync(join(tmpdir(), "vp-cluster-bench-state-"));
      try {
        const state = await startControlPlane({ dir, binDir, k3sConfig: k3s });
        const k: Kubectl = {
          bin: join(binDir, "kubectl"),
          kubeconfig: state.kubeconfig,
          cacheDir: join(dir, "kubectl-cache"),
        };
        applyCrds(k, dir, crds);
        const objs = planObjects(dir, p.resources, state.pki.tlsSecret);
        objects = objs.length;
        seconds.push(applyStream(k, join(dir, "objects.yaml"), objs));
        process.stderr.write(
          `bench:cluster: ${n} tenants, run ${r + 1}: ${objects} objects in ${seconds.at(-1)?.toFixed(2)} s\n`,
        );
      } finally {
        await stopControlPlane(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    rmSync(tenantsDir, { recursive: true, force: true });
    const m = median(seconds);
    rows.push({
      tenants: n,
      objects,
      seconds,
      medianSeconds: m,
      objectsPerSecond: objects / m,
      secondsPerObject: m / objects,
    });
  }
  process.stdout.write("tenants  objects  median s  objects/s  ms/object  (runs)\n");
  for (const r of rows)
    process.stdout.write(
      `${String(r.tenants).padStart(7)}  ${String(r.objects).padStart(7)}  ${r.medianSeconds.toFixed(2).padStart(8)}  ${r.objectsPerSecond.toFixed(1).padStart(9)}  ${(r.secondsPerObject * 1000).toFixed(1).padStart(9)}  (${r.seconds.map((s) => s.toFixed(2)).join(", ")})\n`,
    );
  const out = join(repoRoot, "bench-results", "cluster.json");
  mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ stack: args.stack, repeats: args.repeats, rows }, null, 2)}\n`);
  process.stdout.write(`written to ${out}\n`);
  if (args.writeModel) {
    const largest = rows.reduce((a, b) => (b.tenants > a.tenants ? b : a));
    writeFileSync(
      join(repoRoot, "tools", "model", "measured.ts"),
      measuredSource({ apply: measuredApply(largest, args.repeats), restore: MEASURED_RESTORE }),
    );
    process.stdout.write("tools/model/measured.ts updated (run prettier on it before committing)\n");
  }
  return 0;
}

/** The restore bench (tools/bench/restore.ts): a table, bench-results/cluster-restore.json, the model. */
async function restoreBench(args: Args, sizes: number[]): Promise<number> {
  const rows: RestoreRow[] = [];
  const refused: string[] = [];
  for (const n of sizes) {
    try {
      rows.push(await restoreRow(n, args.repeats, args.stack));
    } catch (err) {
      // A size the stack refuses (e.g. TEN-ETCD-001: the tenants' worst case exceeds the datastore)
      // is reported and skipped; the sizes that ran are still written.
      refused.push(`${n} tenants: ${(err as Error).message}`);
      process.stderr.write(`bench:cluster: ${n} tenants not measured: ${(err as Error).message}\n`);
    }
  }
  if (!rows.length) throw new Error(`no size could be measured:\n${refused.join("\n")}`);
  process.stdout.write("tenants  median s  (runs: Synced s; applied / quotas counting / Argo CD running s)\n");
  for (const r of rows)
    process.stdout.write(
      `${String(r.tenants).padStart(7)}  ${r.medianSeconds.toFixed(1).padStart(8)}  (${r.runs.map((x) => `${x.seconds.toFixed(1)}; ${x.applied.toFixed(1)}/${x.counted.toFixed(1)}/${x.argo.toFixed(1)}`).join(", ")})\n`,
    );
  mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
  const out = join(repoRoot, "bench-results", "cluster-restore.json");
  writeFileSync(out, `${JSON.stringify({ stack: args.stack, repeats: args.repeats, rows, refused }, null, 2)}\n`);
  process.stdout.write(`written to ${out}\n`);
  // A partial set would drop the sizes it could not measure from the model: keep the model as it is.
  if (args.writeModel && refused.length)
    process.stderr.write("bench:cluster: tools/model/measured.ts not updated (not every size was measured)\n");
  else if (args.writeModel) {
    writeFileSync(
      join(repoRoot, "tools", "model", "measured.ts"),
      measuredSource({ apply: MEASURED_APPLY, restore: measuredRestore(rows, args.repeats) }),
    );
    process.stdout.write("tools/model/measured.ts updated (run prettier on it before committing)\n");
  }
  return refused.length ? 1 : 0;
}

/** MEASURED_APPLY's value for a bench row. */
export function measuredApply(row: ClusterBenchRow, repeats: number) {
  return {
    secondsPerObject: Number(row.secondsPerObject.toFixed(4)),
    objectsPerSecond: Number(row.objectsPerSecond.toFixed(1)),
    tenants: row.tenants,
    objects: row.objects,
    repeats,
    measuredOn: new Date().toISOString().slice(0, 10),
  };
}

/** tools/model/measured.ts with both measurements (the one not re-measured is kept as it was). */
export function measuredSource(m: { apply: unknown; restore: unknown }): string {
  return [
    "// Generated by `npm run bench:cluster -- --write-model` (tools/bench/cluster.ts): do not edit by hand.",
    "/** Per-object server-side apply time measured against the local kube-apiserver (tools/cluster). */",
    `export const MEASURED_APPLY = ${JSON.stringify(m.apply, null, 2)} as const;`,
    "",
    "/**",
    " * Restore after a site loss measured on the real software (`npm run bench:cluster -- --restore`,",
    " * tools/bench/restore.ts): empty API server -> every tenant's Application Synced, median seconds.",
    " */",
    `export const MEASURED_RESTORE = ${JSON.stringify(m.restore, null, 2)} as const;`,
    "",
  ].join("\n");
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (c) => process.exit(c),
    (err) => {
      process.stderr.write(`bench:cluster: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
