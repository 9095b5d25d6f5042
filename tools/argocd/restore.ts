/**
 * A site loss and its restore, as the DR runbooks do it (docs/runbooks/01): the cluster's state is
 * gone (etcd's data, Argo CD's Redis and the repo server's caches), what lives outside the site
 * stays (Pulumi's state: the CAs and generated secrets; the tenants' Git repositories), the stack
 * is applied again to an empty API server, and Argo CD brings every tenant back. Measured from the
 * empty API server answering to every tenant Application Synced (test:gitops and bench:cluster).
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { KubeClient } from "../cluster/client";
import { stopControlPlane } from "../cluster/controlplane";
import { gitopsDir, readGitopsState, stopGitops } from "./gitops";

/** Stops everything and deletes what the site held; keeps what Pulumi's state and Git hold. */
export async function loseSite(dir: string): Promise<void> {
  await stopGitops(dir);
  await stopControlPlane(dir);
  for (const p of ["etcd", "applied.json", "kubectl-cache", "objects.yaml", "crds.yaml"])
    rmSync(join(dir, p), { recursive: true, force: true });
  for (const p of ["tmp", "helm", "kubecache", "home", "redis"])
    rmSync(join(gitopsDir(dir), p), { recursive: true, force: true });
}

/** The parts of an Application's status a restore is judged by. */
interface AppStatus {
  sync?: { status?: string; revision?: string };
  operationState?: { phase?: string; syncResult?: { revision?: string } };
}

export interface SyncedAt {
  /** Per tenant, when its Application was first seen Synced with its sync Succeeded (ms since the epoch). */
  tenants: Record<string, number>;
  last: number;
}

/**
 * Polls every served tenant's Application until each is Synced with a Succeeded sync of the
 * revision it compared (the state a restore is done in); records when each got there.
 */
export async function waitAllSynced(dir: string, timeoutMs = 1_800_000, pollMs = 500): Promise<SyncedAt> {
  const g = readGitopsState(dir);
  const { server } = JSON.parse(readFileSync(join(dir, "applied.json"), "utf8")) as { server: string };
  const pki = join(dir, "pki");
  const client = new KubeClient({
    server,
    ca: join(pki, "ca.crt"),
    crt: join(pki, "admin.crt"),
    key: join(pki, "admin.key"),
  });
  const pending = new Map(
    Object.entries(g.tenants)
      .filter(([, t]) => t.repo)
      .map(([name, t]) => [name, t]),
  );
  const out: Record<string, number> = {};
  const deadline = Date.now() + timeoutMs;
  try {
    while (pending.size) {
      // One list per namespace holding Applications, not one GET per tenant: 50 tenants poll cheaply.
      for (const ns of new Set([...pending.values()].map((t) => t.applicationNamespace))) {
        const r = await client.request("GET", `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications`);
        for (const item of (r.body.items ?? []) as { metadata: { name: string }; status?: AppStatus }[]) {
          for (const [name, t] of pending) {
            if (t.application !== item.metadata.name || t.applicationNamespace !== ns) continue;
            const st = item.status ?? {};
            const rev = st.sync?.revision;
            if (
              st.sync?.status === "Synced" &&
              st.operationState?.phase === "Succeeded" &&
              st.operationState?.syncResult?.revision === rev
            ) {
              out[name] = Date.now();
              pending.delete(name);
            }
          }
        }
      }
      if (!pending.size) break;
      if (Date.now() > deadline)
        throw new Error(`not Synced after ${timeoutMs / 1000} s: ${[...pending.keys()].join(", ")}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    client.close();
  }
  return { tenants: out, last: Math.max(...Object.values(out)) };
}
