/**
 * The readiness gate's dynamic provider (components/platform/gate.ts), run by the real engine's
 * dynamic-provider host against the real API server: it waits while /readyz does not answer, then
 * succeeds with the cluster CA, and refuses a CA the server's certificate does not chain to. Its
 * own stack (build/engine/gate/), a program of one ReadinessGate, beside the suite's.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { ReadinessGate } from "../components/platform/gate";
import { kubeconfigCredentials } from "../components/platform/provider";
import { runningPid, startControlPlane } from "../tools/cluster/controlplane";
import { Engine, ENGINE_DIR, recorder } from "../tools/engine/workspace";
import { suiteEngine, unexpectedDiagnostics } from "./engine";

async function gateStack(e: Engine, name: string, caPem: string): Promise<Stack> {
  const workDir = join(ENGINE_DIR, "gate", name);
  mkdirSync(workDir, { recursive: true });
  const kubeconfig = readFileSync(e.cluster.kubeconfig, "utf8");
  return LocalWorkspace.createOrSelectStack(
    {
      stackName: name,
      projectName: "gate-check",
      program: async () => {
        new ReadinessGate("gate", {
          apiEndpoint: e.cluster.server,
          caCertPem: caPem,
          timeoutMinutes: 5,
          credentials: pulumi.secret(kubeconfigCredentials(kubeconfig)),
        });
        return {};
      },
    },
    {
      workDir,
      pulumiCommand: await PulumiCommand.get({ root: join(e.binaries.cliBin, "..") }),
      envVars: e.env,
      projectSettings: { name: "gate-check", runtime: "nodejs" },
    },
  );
}

/** The gate's recorded outputs after an up (the dynamic provider's create result). */
async function gateOutputs(s: Stack): Promise<Record<string, unknown>> {
  const res = (
    (await s.exportStack()).deployment as { resources: { type: string; outputs?: Record<string, unknown> }[] }
  ).resources;
  const gate = res.find((r) => r.type === "pulumi-nodejs:dynamic:Resource");
  assert.ok(gate, "no gate in the state");
  return gate.outputs ?? {};
}

describe("the readiness gate's dynamic provider on the real /readyz", function () {
  this.timeout(10 * 60_000);
  let e: Engine;
  before(async () => {
    e = await suiteEngine();
  });

  it("waits while the API server is down, then passes with the cluster CA (more than one attempt)", async () => {
    const s = await gateStack(e, "waits", readFileSync(e.cluster.pki.ca, "utf8"));
    const api = runningPid(e.cluster.dir, "kube-apiserver");
    assert.ok(api, "the API server is not running");
    process.kill(api, "SIGKILL");
    // Back after ~12 s and once the old process is gone, on the same port (etcd and the controller
    // manager keep running, so startControlPlane keeps the ports).
    const back = (async () => {
      await new Promise((r) => setTimeout(r, 12_000));
      while (runningPid(e.cluster.dir, "kube-apiserver") !== undefined) await new Promise((r) => setTimeout(r, 250));
      await startControlPlane({ dir: e.cluster.dir, binDir: join(e.kubectl, ".."), k3sConfig: e.k3sConfig });
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    const rec = recorder();
    const up = await s.up({ onEvent: rec.onEvent }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const restart = await back;
    assert.equal(restart, undefined, `the API server did not come back: ${String(restart)}`);
    assert.equal(up, undefined, `the gate did not pass once the API server was back: ${String(up)}`);
    assert.deepEqual(unexpectedDiagnostics(e, rec.done(Date.now())), []);
    const outs = await gateOutputs(s);
    assert.equal(outs.apiEndpoint, e.cluster.server);
    assert.ok(Number(outs.attempts) > 1, `the gate passed at attempt ${String(outs.attempts)}: it did not wait`);
  });

  it("refuses a CA the API server's certificate is not signed by, saying so", async () => {
    const other = join(ENGINE_DIR, "gate", "other-ca");
    mkdirSync(other, { recursive: true });
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(other, "ca.key"),
        "-out",
        join(other, "ca.crt"),
        "-subj",
        "/CN=not-the-cluster-ca",
        "-days",
        "1",
      ],
      { stdio: "ignore" },
    );
    const s = await gateStack(e, "wrong-ca", readFileSync(join(other, "ca.crt"), "utf8"));
    await assert.rejects(s.up(), /readiness gate: .* certificate is not signed by the cluster CA/);
  });
});
