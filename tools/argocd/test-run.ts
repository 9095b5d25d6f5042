/**
 * `npm run test:gitops`: up --gitops with the fixture tenants (test-gitops/fixtures/tenants, their
 * charts in test-gitops/fixtures/repos) -> the suite (.mocharc.gitops.json, test-gitops/) -> down,
 * also when up or the suite fails. Exits with mocha's status (1 when up failed).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportFailure } from "../cli/args";
import { repoRoot } from "../plan/runtime";
import { STATE_DIR, up } from "../cluster/cli";
import { COMPONENTS, runningPid, StartError, stopControlPlane } from "../cluster/controlplane";
import { GITOPS_PROCESSES, stopGitops } from "./gitops";
import { sameChartForEveryTenant } from "./repos";

export const FIXTURE_TENANTS = join("test-gitops", "fixtures", "tenants");
/** The chart every fixture tenant's repository starts with (the tests push the others). */
export const FIXTURE_CHART = join("test-gitops", "fixtures", "charts", "legit");

async function main(): Promise<number> {
  const started = Date.now();
  let code = 1;
  const repos = mkdtempSync(join(tmpdir(), "vp-gitops-repos-"));
  try {
    // A fresh datastore and fresh Git repositories each run, unless the developer's cluster is up.
    if ([...COMPONENTS, ...GITOPS_PROCESSES].every((c) => runningPid(STATE_DIR, c) === undefined))
      rmSync(STATE_DIR, { recursive: true, force: true });
    await up({
      stack: "staging",
      tenants: join(repoRoot, FIXTURE_TENANTS),
      gitops: true,
      tenantRepos: sameChartForEveryTenant(join(repoRoot, FIXTURE_TENANTS), join(repoRoot, FIXTURE_CHART), repos),
    });
    const mocha = spawnSync(
      process.execPath,
      [join(repoRoot, "node_modules", "mocha", "bin", "mocha.js"), "--config", join(repoRoot, ".mocharc.gitops.json")],
      { cwd: repoRoot, stdio: "inherit" },
    );
    code = mocha.status ?? 1;
  } catch (err) {
    if (err instanceof StartError) process.stderr.write(`cluster: ${err.message}\n`);
    else reportFailure(err);
    code = 1;
  } finally {
    const stopped = [...(await stopGitops(STATE_DIR)), ...(await stopControlPlane(STATE_DIR))];
    rmSync(repos, { recursive: true, force: true });
    process.stderr.write(
      `cluster: stopped ${stopped.join(", ") || "nothing"}; test:gitops took ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  }
  return code;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
