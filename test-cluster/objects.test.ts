/**
 * The plan's Kubernetes layer met a real API server: every object `up` applied is there, a second
 * server-side apply of the same objects changes nothing, every admission policy's CEL compiled and
 * type-checked cleanly, and the server is the version the stacks pin.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kubeconfigFor } from "./kubectl";
import { applyStream, resourceVersions } from "../tools/cluster/apply";
import { applied, appliedObjects, client, eventually, STATE } from "./cluster";
import { clusterReady } from "./ready";

describe("the plan's Kubernetes objects on the real API server", function () {
  before(clusterReady);

  it("serves /version v1.36.4, the Kubernetes of the stacks' k3s v1.36.4+k3s1", async () => {
    const r = await client().request("GET", "/version");
    assert.equal(r.body.gitVersion, "v1.36.4");
    assert.equal(r.body.major, "1");
    assert.equal(r.body.minor, "36");
    for (const stack of ["staging", "prod"])
      assert.match(
        readFileSync(join(STATE, "..", "..", `Pulumi.${stack}.yaml`), "utf8"),
        /^\s+version: v1\.36\.4\+k3s1$/m,
      );
  });

  it("admitted every planned object (each one is there, none missing)", async () => {
    const objects = appliedObjects();
    const a = applied();
    assert.ok(objects.length >= 20, `only ${objects.length} objects applied`);
    const rv = await resourceVersions(client(), objects);
    const missing = Object.entries(rv).filter(([, v]) => v.startsWith("missing"));
    assert.deepEqual(missing, []);
    assert.deepEqual(Object.keys(rv).sort(), a.objects);
    // The kinds the plan declares today, written out: a kind lost on the way would go unseen.
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of [
      "Namespace",
      "ResourceQuota",
      "LimitRange",
      "NetworkPolicy",
      "RoleBinding",
      "ClusterRole",
      "AppProject",
      "Application",
      "ValidatingAdmissionPolicy",
      "ValidatingAdmissionPolicyBinding",
      "Secret",
      "ClusterIssuer",
      "StorageClass",
    ])
      assert.ok(kinds.has(k), `no ${k} applied`);
  });

  it("etcd runs with the datastore quota of the site's k3s config (etcd-arg quota-backend-bytes)", async () => {
    const ports = JSON.parse(readFileSync(join(STATE, "ports.json"), "utf8")) as { etcdClient: number };
    const metrics = await (await fetch(`http://127.0.0.1:${ports.etcdClient}/metrics`)).text();
    const quota = /^etcd_server_quota_backend_bytes (\S+)$/m.exec(metrics);
    assert.ok(quota, "etcd reports no quota_backend_bytes");
    // Half the control planes' memory: both stacks' cx43 has 16 GB (8 GiB, etcd's cap).
    assert.equal(Number(quota[1]), 8589934592);
  });

  it("a second server-side apply of the same objects changes nothing (resourceVersions unchanged)", async function () {
    this.timeout(120_000);
    const objects = appliedObjects();
    const before = await resourceVersions(client(), objects);
    applyStream(kubeconfigFor(), join(STATE, "objects.reapply.yaml"), objects);
    const after = await resourceVersions(client(), objects);
    assert.deepEqual(after, before);
  });

  it("every admission policy compiled and type-checked against each kind it matches, without warnings", async () => {
    type Policy = {
      metadata: { name: string; labels?: Record<string, string> };
      status?: { typeChecking?: { expressionWarnings?: unknown[] } };
    };
    const ours = async () => {
      const r = await client().request("GET", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies");
      return (r.body.items as Policy[]).filter((p) => p.metadata.labels?.["platform.video/guardrail"]);
    };
    // The API server type-checks a policy asynchronously after each write.
    await eventually("every platform policy type-checked", async () =>
      (await ours()).every((p) => p.status?.typeChecking),
    );
    const policies = await ours();
    assert.ok(policies.length >= 10, `only ${policies.length} platform policies`);
    for (const p of policies) assert.deepEqual(p.status?.typeChecking?.expressionWarnings ?? [], [], p.metadata.name);
  });
});
