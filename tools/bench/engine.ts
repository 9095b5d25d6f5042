/**
 * `npm run bench:engine -- [--sizes 10,100,200] [--repeats 3] [--stack staging] [--write-model]`
 *
 * The real engine at scale: for each N, N generated tenants (the scale bench's generator, pools
 * scaled to fit) on a fresh control plane and a fresh backend per repeat:
 *   1. the floor: `kubectl apply --server-side` of the plan's Kubernetes objects (CRDs first, not
 *      timed), on this API server;
 *   2. a fresh datastore on the same API server (same address and CA), then the engine's `up`
 *      from scratch (tools/engine: CLI, provider, stand-ins), then `preview` of the same (no changes);
 *   3. one more tenant: `preview`, then `up`.
 * Medians of the repeats; objects per second are the plan's Kubernetes objects over the wall time.
 * `--write-model` records the smallest N's engine seconds per object in tools/model/measured-engine.ts:
 * the time per object grows with the stack's size (docs/performance.md), and the model is for one
 * site, which TEN-ETCD-001 keeps to tens of tenants.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { applyCrds, applyStream, Kubectl, PLAN_REVEAL, planObjects } from "../cluster/apply";
import { stopControlPlane } from "../cluster/controlplane";
import { loadCrds } from "../cluster/crds";
import { isKubeObject } from "../cluster/objects";
import { FlagSpec, readFlags, reportFailure } from "../cli/args";
import { plannedInChild } from "../engine/planned";
import { freshDatastore, prepareEngine, recorder } from "../engine/workspace";
import { readStackConfig, repoRoot } from "../plan/runtime";
import { generateTenants, scaledStackConfig, syntheticTenant, tenantYaml } from "./generate";
import { measuredModuleSource } from "./model-source";

const USAGE = "usage: npm run bench:engine -- [--sizes 10,100,200] [--repeats 3] [--stack <name>] [--write-model]";
const FLAGS: FlagSpec = {
  sizes: { type: "string" },
  repeats: { type: "string" },
  stack: { type: "string" },
  "write-model": { type: "boolean" },
};

export interface EngineBenchRun {
  floor: number;
  up: number;
  preview: number;
  previewOneMore: number;
  upOneMore: number;
}

export interface EngineBenchRow {
  tenants: number;
  objects: number;
  resources: number;
  runs: EngineBenchRun[];
  median: EngineBenchRun;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const say = (s: string) => process.stderr.write(`bench:engine: ${s}\n`);

/** The machine's 1-minute load average at the start and end of every timed step (the machine is shared). */
const loads: number[] = [];

/** One repeat for N tenants: floor, then the engine on a fresh datastore of the same API server. */
async function repeat(
  stack: string,
  n: number,
  r: number,
  stackConfig: Record<string, unknown>,
): Promise<{ run: EngineBenchRun; objects: number; resources: number }> {
  const dir = join(repoRoot, "build", "engine-bench", `${n}-${r}`);
  const tenantsDir = join(dir, "tenants");
  rmSync(dir, { recursive: true, force: true });
  generateTenants(n, tenantsDir);
  try {
    const e = await prepareEngine({ stack, dir, tenants: tenantsDir, stackConfig });
    // The Argo CD releases' values are read to render their objects for the floor (planObjects, as
    // test:cluster does); the offline plan's secrets are placeholders.
    const planned = plannedInChild({ stack, tenantsDir, stackConfig, reveal: PLAN_REVEAL }, join(dir, "plan.json"));
    const k: Kubectl = { bin: e.kubectl, kubeconfig: e.cluster.kubeconfig, cacheDir: join(dir, "kubectl-cache") };
    applyCrds(k, dir, loadCrds());
    const floor = applyStream(
      k,
      join(dir, "objects.yaml"),
      planObjects(dir, planned.resources, e.cluster.pki.tlsSecret),
    );
    await freshDatastore(e);
    const timed = async (op: (on: { onEvent: ReturnType<typeof recorder>["onEvent"] }) => Promise<unknown>) => {
      const rec = recorder();
      const t0 = Date.now();
      loads.push(loadavg()[0]);
      await op({ onEvent: rec.onEvent });
      loads.push(loadavg()[0]);
      return rec.done(t0).seconds;
    };
    const up = await timed((on) => e.stack.up(on));
    const preview = await timed((on) => e.stack.preview({ ...on, expectNoChanges: true }));
    writeFileSync(join(tenantsDir, `${syntheticTenant(n + 1).name}.yaml`), tenantYaml(syntheticTenant(n + 1)));
    const previewOneMore = await timed((on) => e.stack.preview(on));
    const upOneMore = await timed((on) => e.stack.up(on));
    const run = { floor, up, preview, previewOneMore, upOneMore };
    const objects = planned.resources.filter(isKubeObject).length;
    say(
      `${n} tenants, run ${r + 1}: ${objects} objects; ${Object.entries(run)
        .map(([k2, v]) => `${k2} ${v.toFixed(1)} s`)
        .join(", ")}`,
    );
    return { run, objects, resources: planned.resources.length };
  } finally {
    await stopControlPlane(join(dir, "cluster"));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const flags = readFlags(argv, FLAGS, USAGE);
  const sizes = (typeof flags.sizes === "string" ? flags.sizes : "10,100,200").split(",").map(Number);
  const repeats = Number(typeof flags.repeats === "string" ? flags.repeats : 3);
  const stack = typeof flags.stack === "string" ? flags.stack : "staging";
  const rows: EngineBenchRow[] = [];
  for (const n of sizes) {
    // Scaled for N + 1: the one-more step must not change the pools (that would not be "one tenant").
    const { stackConfig, note } = scaledStackConfig(
      readStackConfig(stack),
      Array.from({ length: n + 1 }, (_, i) => syntheticTenant(i + 1)),
    );
    say(`${n} tenants: ${note}`);
    const runs: EngineBenchRun[] = [];
    let objects = 0;
    let resources = 0;
    for (let r = 0; r < repeats; r++) {
      const x = await repeat(stack, n, r, stackConfig);
      runs.push(x.run);
      objects = x.objects;
      resources = x.resources;
    }
    const m = (k: keyof EngineBenchRun) => median(runs.map((x) => x[k]));
    rows.push({
      tenants: n,
      objects,
      resources,
      runs,
      median: {
        floor: m("floor"),
        up: m("up"),
        preview: m("preview"),
        previewOneMore: m("previewOneMore"),
        upOneMore: m("upOneMore"),
      },
    });
  }
  process.stdout.write("tenants  objects  floor s  obj/s  | up s  obj/s  ×floor | preview s | +1 preview s  +1 up s\n");
  for (const r of rows) {
    const x = r.median;
    process.stdout.write(
      `${String(r.tenants).padStart(7)}  ${String(r.objects).padStart(7)}  ${x.floor.toFixed(1).padStart(7)}  ${(r.objects / x.floor).toFixed(0).padStart(5)}  | ${x.up.toFixed(1).padStart(5)}  ${(r.objects / x.up).toFixed(1).padStart(5)}  ${(x.up / x.floor).toFixed(1).padStart(5)} | ${x.preview.toFixed(1).padStart(9)} | ${x.previewOneMore.toFixed(1).padStart(12)}  ${x.upOneMore.toFixed(1).padStart(7)}\n`,
    );
  }
  mkdirSync(join(repoRoot, "bench-results"), { recursive: true });
  const out = join(repoRoot, "bench-results", "engine.json");
  const loadAverage = median(loads);
  process.stdout.write(`machine load (1-minute average, median over the timed steps): ${loadAverage.toFixed(1)}\n`);
  writeFileSync(
    out,
    `${JSON.stringify({ stack, repeats, measuredOn: new Date().toISOString(), loadAverage, rows }, null, 2)}\n`,
  );
  process.stdout.write(`written to ${out}\n`);
  if (flags["write-model"]) {
    // The smallest size, not the largest: each engine step costs more as the state grows (0.33 s
    // per object at 10 tenants, 0.50 at 100, 0.75 at 200 on 2026-12-06), so a 200-tenant rate
    // would model a site of a few tenants several times too slow; a site holds tens at most.
    const nearestSite = rows.reduce((a, b) => (b.tenants < a.tenants ? b : a));
    writeFileSync(
      join(repoRoot, "tools", "model", "measured-engine.ts"),
      measuredEngineSource(nearestSite, repeats, loadAverage),
    );
    process.stdout.write("tools/model/measured-engine.ts updated (run prettier on it before committing)\n");
  }
  return 0;
}

/**
 * The engine's parallelism in the bench: the CLI's default, 4 × the CPUs Go sees
 * (pulumi/pulumi pkg/cmd/pulumi/operations/up.go defaultParallel; the Automation API passes none).
 */
export const benchParallel = (): number => 4 * availableParallelism();

/** tools/model/measured-engine.ts for a bench row. */
export function measuredEngineSource(
  row: EngineBenchRow,
  repeats: number,
  loadAverage: number,
  parallel = benchParallel(),
): string {
  return measuredModuleSource({
    script: "bench:engine",
    source: "tools/bench/engine.ts",
    name: "MEASURED_ENGINE",
    doc: "A from-scratch `pulumi up` of the Kubernetes layer through the real engine against the local kube-apiserver.",
    fields: {
      secondsPerObject: (row.median.up / row.objects).toFixed(4),
      objectsPerSecond: (row.objects / row.median.up).toFixed(1),
      floorSecondsPerObject: (row.median.floor / row.objects).toFixed(4),
      parallel,
      cpus: availableParallelism(),
      loadAverage: loadAverage.toFixed(1),
      tenants: row.tenants,
      objects: row.objects,
      repeats,
    },
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
