/**
 * `npm run bench:cluster -- --restore 3,50 [--repeats 3] [--stack staging] [--write-model]`
 *
 * Restore after a site loss, timed on the real software: for each N, N generated tenants (the
 * scale bench's generator, every repository an https one, pools scaled to fit) each with the
 * legitimate test chart in its Git repository; `up --gitops` once (the repositories are made),
 * then per repeat a site loss (tools/argocd/restore.ts: etcd's data, Redis and Argo CD's caches
 * gone; Pulumi's state and Git kept) and `up --gitops` again, timed from the empty API server
 * answering to every tenant's Application Synced. Reports the median and its phases; with
 * --write-model the medians go to tools/model/measured.ts (MEASURED_RESTORE), which the
 * from-scratch model and the DR runbooks state.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStackConfig, repoRoot } from "../plan/runtime";
import { up } from "../cluster/cli";
import { stopControlPlane } from "../cluster/controlplane";
import { stopGitops } from "../argocd/gitops";
import { loseSite, waitAllSynced } from "../argocd/restore";
import { sameChartForEveryTenant } from "../argocd/repos";
import { scaledStackConfig, syntheticTenant, SyntheticTenant, tenantYaml } from "./generate";

/** The chart every generated tenant's repository holds (test:gitops's legitimate chart). */
const CHART = join(repoRoot, "test-gitops", "fixtures", "charts", "legit");

export interface RestoreRun {
  /** Empty API server answering -> every tenant Synced. */
  seconds: number;
  /** Phases, seconds after the API server answered: layer applied, quotas counting, Argo CD running. */
  applied: number;
  counted: number;
  argo: number;
}

export interface RestoreRow {
  tenants: number;
  runs: RestoreRun[];
  medianSeconds: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** N tenant files whose repositories are all served here (https; the generator makes every 4th ssh). */
function servedTenants(n: number, dir: string): SyntheticTenant[] {
  const out: SyntheticTenant[] = [];
  for (let i = 1; i <= n; i++) {
    const t = syntheticTenant(i);
    const tenant = { ...t, gitops: { ...t.gitops, repoURL: `https://git.example.com/bench/${t.name}.git` } };
    writeFileSync(join(dir, `${tenant.name}.yaml`), tenantYaml(tenant));
    out.push(tenant);
  }
  return out;
}

async function timedRestore(dir: string, args: Parameters<typeof up>[0], lose: boolean): Promise<RestoreRun> {
  if (lose) await loseSite(dir);
  const r = await up(args);
  const synced = await waitAllSynced(dir);
  const s = (t: number) => (t - r.readyAt) / 1000;
  return {
    seconds: s(synced.last),
    applied: s(r.appliedAt),
    counted: s(r.countedAt),
    argo: s(r.gitopsAt ?? r.countedAt),
  };
}

/** One size: the first `up` makes the repositories, then `repeats` site losses and restores. */
export async function restoreRow(n: number, repeats: number, stack: string): Promise<RestoreRow> {
  const work = mkdtempSync(join(tmpdir(), `vp-restore-bench-${n}-`));
  const tenantsDir = join(work, "tenants");
  const dir = join(work, "state");
  try {
    mkdirSync(tenantsDir, { recursive: true });
    const tenants = servedTenants(n, tenantsDir);
    const { stackConfig } = scaledStackConfig(readStackConfig(stack), tenants);
    const tenantRepos = sameChartForEveryTenant(tenantsDir, CHART, join(work, "repos"));
    const args = { stack, tenants: tenantsDir, dir, gitops: true, tenantRepos, stackConfig };
    const first = await timedRestore(dir, args, false);
    process.stderr.write(`bench:cluster: ${n} tenants, first sync ${first.seconds.toFixed(1)} s (repositories made)\n`);
    const runs: RestoreRun[] = [];
    for (let i = 0; i < repeats; i++) {
      const run = await timedRestore(dir, args, true);
      runs.push(run);
      process.stderr.write(
        `bench:cluster: ${n} tenants, restore ${i + 1}: Synced ${run.seconds.toFixed(1)} s after the empty API server (applied ${run.applied.toFixed(1)} s, quotas ${run.counted.toFixed(1)} s, Argo CD ${run.argo.toFixed(1)} s)\n`,
      );
    }
    return { tenants: n, runs, medianSeconds: median(runs.map((r) => r.seconds)) };
  } finally {
    await stopGitops(dir);
    await stopControlPlane(dir);
    rmSync(work, { recursive: true, force: true });
  }
}

/** MEASURED_RESTORE's value for the rows (tools/model/measured.ts). */
export function measuredRestore(rows: readonly RestoreRow[], repeats: number) {
  return {
    points: rows.map((r) => ({ tenants: r.tenants, seconds: Number(r.medianSeconds.toFixed(1)) })),
    repeats,
    measuredOn: new Date().toISOString().slice(0, 10),
  };
}
