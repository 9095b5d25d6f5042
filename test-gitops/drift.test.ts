/**
 * Argo CD keeps a tenant's namespace equal to Git: a CPU limit changed by hand is reverted
 * (self-heal), timed against the interval the instance is configured with; an object removed from
 * Git is removed from the cluster (prune), as the tenant's sync identity.
 */
import { strict as assert } from "node:assert";
import { collectionPath } from "../tools/cluster/client";
import { pushChart } from "../tools/argocd/repos";
import { app, auditEvents, chartWith, client, get, gitops, push, settled, statusText, until } from "./gitops";

/** The chart's ConfigMap with a changed value: a commit whose effect is visible in the cluster. */
const POLLED_CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: player-config\ndata:\n  title: polled\n";

/** A tenant whose repository the harness serves and whose chart is the legitimate one: the first. */
const tenant = () => {
  const t = Object.entries(gitops().tenants).find(([, v]) => v.repo);
  if (!t) throw new Error("no served tenant");
  return { name: t[0], ...t[1] };
};

/**
 * Argo CD's duration settings as it parses them (time.ParseDuration for `timeout.reconciliation`;
 * whole seconds for the controller parameters), in seconds.
 */
function seconds(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"]!;
}

describe("drift: Argo CD reverts changes made by hand, and prunes what Git no longer holds", () => {
  it("self-heal: a Deployment's CPU limit changed with kubectl is reverted, well inside the reconciliation interval", async () => {
    const t = tenant();
    const path = `${collectionPath("apps/v1", "deployments", t.namespace)}/web`;
    const limit = async () =>
      String(
        ((await get(path)).body.spec as any).template.spec.containers.find((c: any) => c.name === "web").resources
          .limits.cpu,
      );
    const before = await limit();
    assert.equal(before, "100m", "the chart's CPU limit");
    // What `kubectl edit` during an event would do: a strategic-merge patch by a human operator.
    const patched = await client().request(
      "PATCH",
      path,
      {
        spec: {
          template: {
            spec: { containers: [{ name: "web", resources: { limits: { cpu: "200m" }, requests: { cpu: "200m" } } }] },
          },
        },
      },
      { contentType: "application/strategic-merge-patch+json", query: { fieldManager: "kubectl-edit" } },
    );
    assert.equal(patched.status, 200, String(patched.body.message ?? ""));
    const t0 = Date.now();
    assert.equal(await limit(), "200m");
    await until(
      "the CPU limit reverted to the chart's",
      async () => ((await limit()) === "100m" ? true : undefined),
      300_000,
    );
    const revert = (Date.now() - t0) / 1000;
    // Argo CD's defaults where the platform sets nothing: 120 s (timeout.reconciliation; chart
    // 10.1.1 and Argo CD's own default) and a 5 s self-heal timeout / 2 s backoff start.
    const reconciliation = seconds(gitops().cm["timeout.reconciliation"] ?? "120s");
    process.stdout.write(
      `      self-heal: reverted in ${revert.toFixed(1)} s (timeout.reconciliation ${reconciliation} s, controller.self.heal.timeout.seconds ${gitops().params["controller.self.heal.timeout.seconds"] ?? "default"})\n`,
    );
    // Reverted by the watch on the changed object, not by the next periodic reconciliation.
    assert.ok(
      revert < reconciliation,
      `reverted after ${revert} s; the reconciliation interval is ${reconciliation} s`,
    );
    // Argo CD reports it Synced again once its self-heal sync's result is recorded.
    await until("Synced after the self-heal", async () => ((await app(t.name)).sync === "Synced" ? true : undefined));
  });

  it("polling: without a webhook or refresh, a pushed commit is synced within the reconciliation interval, its jitter and the repo server's revision cache", async function () {
    // The tenant instance runs no API server, so no Git webhook reaches it: tenants' pushes land
    // by polling. Argo CD's defaults where the platform sets nothing: 60 s of jitter
    // (timeout.reconciliation.jitter) and a 3 min cache of resolved revisions in the repo server
    // (argocd-repo-server --revision-cache-expiration).
    const reconciliation = seconds(gitops().cm["timeout.reconciliation"] ?? "120s");
    const jitter = seconds(gitops().cm["timeout.reconciliation.jitter"] ?? "60s");
    const bound = reconciliation + jitter + 180 + 30;
    this.timeout((bound + 60) * 1000);
    const t = tenant();
    const repo = gitops().tenants[t.name].repo!;
    const t0 = Date.now();
    const sha = pushChart(repo, chartWith({ "templates/configmap.yaml": POLLED_CONFIGMAP }), "polled change");
    await until(
      "the polled commit Synced",
      async () => {
        const a = await app(t.name);
        return a.revision === sha && a.sync === "Synced" ? true : undefined;
      },
      bound * 1000,
    );
    const polled = (Date.now() - t0) / 1000;
    process.stdout.write(
      `      polling: a push was synced after ${polled.toFixed(0)} s (timeout.reconciliation ${reconciliation} s + jitter up to ${jitter} s + revision cache 180 s)\n`,
    );
    const cm = await get(`${collectionPath("v1", "configmaps", t.namespace)}/player-config`);
    assert.equal((cm.body.data as Record<string, string>).title, "polled");
    const back = await push(t.name, chartWith({}), "back to the legitimate chart");
    assert.equal((await settled(t.name, back)).sync, "Synced");
  });

  it("prune: a ConfigMap removed from Git is deleted from the cluster, by the tenant's sync identity", async () => {
    const t = tenant();
    const path = `${collectionPath("v1", "configmaps", t.namespace)}/player-config`;
    assert.equal((await get(path)).status, 200);
    const sha = await push(t.name, chartWith({ "templates/configmap.yaml": null }), "drop the player config");
    const a = await settled(t.name, sha);
    assert.equal(a.sync, "Synced", statusText(a));
    await until("the ConfigMap is gone", async () => ((await get(path)).status === 404 ? true : undefined));
    const deletes = auditEvents().filter(
      (e) =>
        e.verb === "delete" &&
        e.objectRef?.resource === "configmaps" &&
        e.objectRef.namespace === t.namespace &&
        e.objectRef.name === "player-config",
    );
    assert.ok(deletes.length > 0, "no delete of the ConfigMap in the audit log");
    for (const e of deletes) {
      assert.equal(e.user.username, gitops().controller.user);
      assert.equal(e.impersonatedUser?.username, `system:serviceaccount:${t.namespace}:argocd-sync`);
    }
    // Git again holds the whole chart: the ConfigMap comes back.
    const back = await push(t.name, chartWith({}), "restore the player config");
    assert.equal((await settled(t.name, back)).sync, "Synced");
    await until("the ConfigMap is back", async () => ((await get(path)).status === 200 ? true : undefined));
  });
});
