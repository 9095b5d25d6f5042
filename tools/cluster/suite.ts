/**
 * The runner the real-software suites share (`npm run test:cluster`, `test:engine`, `test:gitops`):
 * a fresh state directory unless a cluster the developer started is up (then it is reused), `up`,
 * mocha with the suite's config, then everything stopped, also when `up` or the suite fails.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { reportFailure } from "../cli/args";
import { repoRoot } from "../plan/runtime";
import { STATE_DIR } from "./cli";
import { runningPid, StartError } from "./controlplane";

export interface Suite {
  /** The npm script, for the closing line (`test:cluster took 76 s`). */
  name: string;
  /** The suite's mocha config in the repository root. */
  mocharc: string;
  /** The processes whose running pid means the developer's cluster is up. */
  processes: readonly string[];
  /** Where those processes keep their state (build/cluster unless the suite has its own). */
  stateDir?: string;
  /** Extra mocha arguments (e.g. `--grep drift` from the command line). */
  mochaArgs?: readonly string[];
  /** Brings the cluster up (the suite's `up` arguments). */
  up: () => Promise<unknown>;
  /** Stops what `up` started; returns what it stopped. */
  stop: () => Promise<string[]>;
}

/** Runs a suite against the local cluster; mocha's status, 1 when `up` failed. */
export async function runSuite(s: Suite): Promise<number> {
  const started = Date.now();
  let code = 1;
  try {
    const dir = s.stateDir ?? STATE_DIR;
    if (s.processes.every((c) => runningPid(dir, c) === undefined)) rmSync(dir, { recursive: true, force: true });
    await s.up();
    const mocha = spawnSync(
      process.execPath,
      [
        join(repoRoot, "node_modules", "mocha", "bin", "mocha.js"),
        "--config",
        join(repoRoot, s.mocharc),
        ...(s.mochaArgs ?? []),
      ],
      { cwd: repoRoot, stdio: "inherit" },
    );
    code = mocha.status ?? 1;
  } catch (err) {
    if (err instanceof StartError) process.stderr.write(`cluster: ${err.message}\n`);
    else reportFailure(err);
    code = 1;
  } finally {
    const stopped = await s.stop();
    process.stderr.write(
      `cluster: stopped ${stopped.join(", ") || "nothing"}; ${s.name} took ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  }
  return code;
}
