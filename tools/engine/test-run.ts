/**
 * `npm run test:engine`: builds the Pulumi CLI and provider if their pins changed
 * (tools/pulumi/build.sh) and the control plane's binaries (tools/kube/build.sh), then runs the
 * engine suite (.mocharc.engine.json, test-engine/) from an empty build/engine/ through the runner
 * the real-software suites share (tools/cluster/suite.ts), which stops the control plane afterwards,
 * also when the suite fails. Exits with mocha's status. Arguments go to mocha
 * (`npm run test:engine -- --grep drift`).
 */
import { join } from "node:path";
import { reportFailure } from "../cli/args";
import { COMPONENTS, ensureBinaries, stopControlPlane } from "../cluster/controlplane";
import { runSuite } from "../cluster/suite";
import { repoRoot } from "../plan/runtime";
import { ENGINE_DIR, ensureEngineBinaries } from "./workspace";

const CLUSTER_DIR = join(ENGINE_DIR, "cluster");

async function main(): Promise<number> {
  // The harness starts its own control plane inside the suite (workspace.ts, in build/engine/cluster),
  // so one left running by an interrupted run is never reused: stopped here, and runSuite then
  // empties build/engine/ (no process of the suite runs from it).
  await stopControlPlane(CLUSTER_DIR);
  return runSuite({
    name: "test:engine",
    mocharc: ".mocharc.engine.json",
    processes: COMPONENTS,
    stateDir: ENGINE_DIR,
    mochaArgs: process.argv.slice(2),
    // Built here, before mocha's clock starts: a cold build takes half an hour.
    up: async () => {
      ensureEngineBinaries();
      ensureBinaries(repoRoot);
    },
    stop: () => stopControlPlane(CLUSTER_DIR),
  });
}

main().then(
  (code) => process.exit(code),
  (err) => process.exit(reportFailure(err)),
);
