/**
 * `npm run test:cluster`: up (staging, or $VP_CLUSTER_STACK) -> the conformance suite
 * (.mocharc.cluster.json, test-cluster/) -> down, also when up or the suite fails.
 * Exits with mocha's status (1 when up failed).
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { reportFailure } from "../cli/args";
import { repoRoot } from "../plan/runtime";
import { STATE_DIR, up } from "./cli";
import { COMPONENTS, runningPid, StartError, stopControlPlane } from "./controlplane";

async function main(): Promise<number> {
  const started = Date.now();
  const stack = process.env.VP_CLUSTER_STACK ?? "staging";
  let code = 1;
  try {
    // A fresh datastore each run, unless a cluster the developer started is up (then it is reused).
    if (COMPONENTS.every((c) => runningPid(STATE_DIR, c) === undefined))
      rmSync(STATE_DIR, { recursive: true, force: true });
    await up({ stack });
    const mocha = spawnSync(
      process.execPath,
      [join(repoRoot, "node_modules", "mocha", "bin", "mocha.js"), "--config", join(repoRoot, ".mocharc.cluster.json")],
      { cwd: repoRoot, stdio: "inherit" },
    );
    code = mocha.status ?? 1;
  } catch (err) {
    if (err instanceof StartError) process.stderr.write(`cluster: ${err.message}\n`);
    else reportFailure(err);
    code = 1;
  } finally {
    const stopped = await stopControlPlane(STATE_DIR);
    process.stderr.write(
      `cluster: stopped ${stopped.join(", ") || "nothing"}; test:cluster took ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => process.exit(reportFailure(err)),
);
