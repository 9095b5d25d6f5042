/**
 * `npm run test:cluster`: up (staging, or $VP_CLUSTER_STACK) -> the conformance suite
 * (.mocharc.cluster.json, test-cluster/) -> down, also when up or the suite fails.
 * Exits with mocha's status (1 when up failed).
 */
import { reportFailure } from "../cli/args";
import { STATE_DIR, up } from "./cli";
import { COMPONENTS, stopControlPlane } from "./controlplane";
import { runSuite } from "./suite";

runSuite({
  name: "test:cluster",
  mocharc: ".mocharc.cluster.json",
  processes: COMPONENTS,
  up: () => up({ stack: process.env.VP_CLUSTER_STACK ?? "staging" }),
  stop: () => stopControlPlane(STATE_DIR),
}).then(
  (code) => process.exit(code),
  (err) => process.exit(reportFailure(err)),
);
