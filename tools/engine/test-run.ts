/**
 * `npm run test:engine`: builds the Pulumi CLI and provider if their pins changed
 * (tools/pulumi/build.sh) and the control plane's binaries (tools/kube/build.sh), then runs the
 * engine suite (.mocharc.engine.json, test-engine/) from an empty build/engine/, and stops the
 * control plane afterwards, also when the suite fails. Exits with mocha's status. Arguments go to
 * mocha (`npm run test:engine -- --grep drift`).
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { reportFailure } from "../cli/args";
import { ensureBinaries, stopControlPlane } from "../cluster/controlplane";
import { repoRoot } from "../plan/runtime";
import { ENGINE_DIR, ensureEngineBinaries } from "./workspace";

async function main(): Promise<number> {
  const started = Date.now();
  let code = 1;
  try {
    // Built here, before mocha's clock starts: a cold build takes half an hour.
    ensureEngineBinaries();
    ensureBinaries(repoRoot);
    await stopControlPlane(join(ENGINE_DIR, "cluster"));
    rmSync(ENGINE_DIR, { recursive: true, force: true });
    const mocha = spawnSync(
      process.execPath,
      [
        join(repoRoot, "node_modules", "mocha", "bin", "mocha.js"),
        "--config",
        join(repoRoot, ".mocharc.engine.json"),
        // Mocha's own options, e.g. `npm run test:engine -- --grep gate`.
        ...process.argv.slice(2),
      ],
      { cwd: repoRoot, stdio: "inherit" },
    );
    code = mocha.status ?? 1;
  } catch (err) {
    reportFailure(err);
    code = 1;
  } finally {
    const stopped = await stopControlPlane(join(ENGINE_DIR, "cluster"));
    process.stderr.write(
      `engine: stopped ${stopped.join(", ") || "nothing"}; test:engine took ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => process.exit(reportFailure(err)),
);
