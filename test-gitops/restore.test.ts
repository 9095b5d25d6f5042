/**
 * Restore after a site loss: the datastore is gone, the stack is applied again to an empty API
 * server, and Argo CD brings every tenant's application back to Synced from Git, with every
 * object of its chart. Timed from the empty API server answering to the last tenant Synced
 * (bench:cluster measures 3 and 50 tenants; docs/gitops-tests.md).
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { up } from "../tools/cluster/cli";
import { loseSite, waitAllSynced } from "../tools/argocd/restore";
import { get, gitops, LEGIT_OBJECTS, resetClient, STATE } from "./gitops";

describe("restore after a site loss", () => {
  it("a fresh datastore, the stack applied again: every tenant back to Synced with its chart's objects", async () => {
    const applied = JSON.parse(readFileSync(join(STATE, "applied.json"), "utf8")) as {
      stack: string;
      tenants: string | null;
      tenantRepos: string | null;
    };
    const before = gitops();
    await loseSite(STATE);
    resetClient();
    assert.throws(() => readFileSync(join(STATE, "applied.json")), /ENOENT/);
    const result = await up({
      stack: applied.stack,
      ...(applied.tenants ? { tenants: applied.tenants } : {}),
      gitops: true,
      ...(applied.tenantRepos ? { tenantRepos: applied.tenantRepos } : {}),
    });
    const synced = await waitAllSynced(STATE, 900_000);
    const seconds = (synced.last - result.readyAt) / 1000;
    const at = (t: number) => ((t - result.readyAt) / 1000).toFixed(1);
    process.stdout.write(
      `      restore: ${Object.keys(synced.tenants).length} tenants Synced ${seconds.toFixed(1)} s after the empty API server answered (applied at ${at(result.appliedAt)} s, quotas counting at ${at(result.countedAt)} s, Argo CD running at ${at(result.gitopsAt ?? result.countedAt)} s)\n`,
    );
    assert.deepEqual(
      Object.keys(synced.tenants).sort(),
      Object.entries(before.tenants)
        .filter(([, t]) => t.repo)
        .map(([n]) => n)
        .sort(),
    );
    for (const [name, t] of Object.entries(gitops().tenants).filter(([, v]) => v.repo))
      for (const o of LEGIT_OBJECTS) {
        const r = await get(o.path(t.namespace));
        assert.equal(r.status, 200, `${name}: ${o.kind} not restored`);
      }
  });
});
