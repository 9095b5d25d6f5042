/**
 * `npm run test:gitops`: up --gitops with the fixture tenants (test-gitops/fixtures/tenants, their
 * charts in test-gitops/fixtures/repos) -> the suite (.mocharc.gitops.json, test-gitops/) -> down,
 * also when up or the suite fails. Exits with mocha's status (1 when up failed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportFailure } from "../cli/args";
import { repoRoot } from "../plan/runtime";
import { STATE_DIR, up } from "../cluster/cli";
import { COMPONENTS, stopControlPlane } from "../cluster/controlplane";
import { runSuite } from "../cluster/suite";
import { GITOPS_PROCESSES, stopGitops } from "./gitops";
import { sameChartForEveryTenant } from "./repos";

export const FIXTURE_TENANTS = join("test-gitops", "fixtures", "tenants");
/** The chart every fixture tenant's repository starts with (the tests push the others). */
export const FIXTURE_CHART = join("test-gitops", "fixtures", "charts", "legit");

/** Fresh Git repositories each run (in a temporary directory, removed at the end). */
function main(): Promise<number> {
  const repos = mkdtempSync(join(tmpdir(), "vp-gitops-repos-"));
  return runSuite({
    name: "test:gitops",
    mocharc: ".mocharc.gitops.json",
    processes: [...COMPONENTS, ...GITOPS_PROCESSES],
    up: () =>
      up({
        stack: "staging",
        tenants: join(repoRoot, FIXTURE_TENANTS),
        gitops: true,
        tenantRepos: sameChartForEveryTenant(join(repoRoot, FIXTURE_TENANTS), join(repoRoot, FIXTURE_CHART), repos),
      }),
    stop: async () => {
      const stopped = [...(await stopGitops(STATE_DIR)), ...(await stopControlPlane(STATE_DIR))];
      rmSync(repos, { recursive: true, force: true });
      return stopped;
    },
  });
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
