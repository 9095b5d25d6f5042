/**
 * What every GitOps test needs: the cluster and Argo CD `npm run cluster -- up --gitops` started
 * (build/cluster/, build/cluster/gitops/gitops.json), the tenants' Applications as Argo CD reports
 * them, a way to push a chart to a tenant's repository (as the tenant would) and the API server's
 * audit log. Every observation is Argo CD's own status or the API server's objects; the
 * expectations are written out in the tests.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ApiResponse, collectionPath, KubeClient } from "../tools/cluster/client";
import { GitopsState, readGitopsState } from "../tools/argocd/gitops";
import { pushChart } from "../tools/argocd/repos";

export const ROOT = join(__dirname, "..", "..");
export const STATE = join(ROOT, "build", "cluster");
/** The legitimate tenant chart every fixture tenant's repository starts with. */
export const LEGIT_CHART = join(ROOT, "test-gitops", "fixtures", "charts", "legit");

/** The objects of test-gitops/fixtures/charts/legit, as the chart names them. */
export const LEGIT_OBJECTS = [
  { kind: "Deployment", path: (ns: string) => `${collectionPath("apps/v1", "deployments", ns)}/web` },
  { kind: "Service", path: (ns: string) => `${collectionPath("v1", "services", ns)}/web` },
  {
    kind: "HTTPRoute",
    path: (ns: string) => `${collectionPath("gateway.networking.k8s.io/v1", "httproutes", ns)}/web`,
  },
  {
    kind: "SealedSecret",
    path: (ns: string) => `${collectionPath("bitnami.com/v1alpha1", "sealedsecrets", ns)}/player-credentials`,
  },
  {
    kind: "PersistentVolumeClaim",
    path: (ns: string) => `${collectionPath("v1", "persistentvolumeclaims", ns)}/recordings`,
  },
  { kind: "ConfigMap", path: (ns: string) => `${collectionPath("v1", "configmaps", ns)}/player-config` },
];

export function gitops(): GitopsState {
  return readGitopsState(STATE);
}

let shared: KubeClient | undefined;
/** The harness's admin client (the tests' eyes; Argo CD never uses it). */
export function client(): KubeClient {
  if (!shared) {
    const { server } = JSON.parse(readFileSync(join(STATE, "applied.json"), "utf8")) as { server: string };
    const pki = join(STATE, "pki");
    shared = new KubeClient({
      server,
      ca: join(pki, "ca.crt"),
      crt: join(pki, "admin.crt"),
      key: join(pki, "admin.key"),
    });
  }
  return shared;
}

/** Drops the shared client (after a restore the API server has a new port). */
export function resetClient(): void {
  shared?.close();
  shared = undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value; the error says what was awaited and the last value seen. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not the case after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

export interface Condition {
  type: string;
  message: string;
}

export interface AppView {
  sync: string;
  revision: string;
  conditions: Condition[];
  operation?: { phase: string; message: string; revision: string; resources: Record<string, unknown>[] };
  resources: { kind: string; name: string; namespace?: string; status?: string }[];
  raw: Record<string, unknown>;
}

/** The tenant's Application as Argo CD reports it. */
export async function app(tenant: string): Promise<AppView> {
  const t = gitops().tenants[tenant];
  const r = await client().request(
    "GET",
    `/apis/argoproj.io/v1alpha1/namespaces/${t.applicationNamespace}/applications/${t.application}`,
  );
  if (r.status !== 200) throw new Error(`Application ${t.applicationNamespace}/${t.application}: ${r.status}`);
  const status = (r.body.status ?? {}) as Record<string, any>;
  const op = status.operationState as Record<string, any> | undefined;
  return {
    sync: String(status.sync?.status ?? ""),
    revision: String(status.sync?.revision ?? ""),
    conditions: ((status.conditions ?? []) as Condition[]).map((c) => ({ type: c.type, message: c.message })),
    ...(op
      ? {
          operation: {
            phase: String(op.phase ?? ""),
            message: String(op.message ?? ""),
            revision: String(op.syncResult?.revision ?? op.operation?.sync?.revision ?? ""),
            resources: (op.syncResult?.resources ?? []) as Record<string, unknown>[],
          },
        }
      : {}),
    resources: (status.resources ?? []) as AppView["resources"],
    raw: r.body,
  };
}

/**
 * Asks Argo CD to look at Git now, as the Git host's webhook does (the webhook handler sets the
 * same refresh annotation on the Applications of the pushed repository).
 */
export async function refresh(tenant: string, kind: "normal" | "hard" = "normal"): Promise<void> {
  const t = gitops().tenants[tenant];
  const r = await client().request(
    "PATCH",
    `/apis/argoproj.io/v1alpha1/namespaces/${t.applicationNamespace}/applications/${t.application}`,
    { metadata: { annotations: { "argocd.argoproj.io/refresh": kind } } },
    { contentType: "application/merge-patch+json" },
  );
  if (r.status !== 200) throw new Error(`refresh ${tenant}: ${r.status} ${String(r.body.message ?? "")}`);
}

/**
 * Ends a sync the retry strategy keeps retrying, as `argocd app terminate-op` does (the phase set
 * to Terminating; the controller finishes it), so the next commit is synced at once rather than
 * after the retries (the Application's retry: 5 attempts, 10 s doubling).
 */
export async function terminateOperation(tenant: string): Promise<void> {
  const a = await app(tenant);
  if (a.operation?.phase !== "Running") return;
  const t = gitops().tenants[tenant];
  const r = await client().request(
    "PATCH",
    `/apis/argoproj.io/v1alpha1/namespaces/${t.applicationNamespace}/applications/${t.application}`,
    { status: { operationState: { phase: "Terminating" } } },
    { contentType: "application/merge-patch+json" },
  );
  if (r.status !== 200) throw new Error(`terminate ${tenant}'s operation: ${r.status} ${String(r.body.message ?? "")}`);
  await until(`${tenant}'s operation terminated`, async () =>
    ["Running", "Terminating"].includes((await app(tenant)).operation?.phase ?? "") ? undefined : true,
  );
}

/** When each commit was pushed (ms since the epoch), for `settled`. */
const pushedAt = new Map<string, number>();

/** Commits `chartDir` to the tenant's repository (as the tenant), notifies Argo CD; the new commit. */
export async function push(tenant: string, chartDir: string, message: string): Promise<string> {
  const repo = gitops().tenants[tenant].repo;
  if (!repo) throw new Error(`tenant ${tenant} has no repository served here`);
  // Argo CD stamps conditions with whole seconds: push in a second of its own, so nothing Argo CD
  // said about an earlier commit can carry this one's timestamp.
  await sleep(1000 - (Date.now() % 1000) + 10);
  const at = Date.now();
  const sha = pushChart(repo, chartDir, message);
  pushedAt.set(sha, at);
  await refresh(tenant, "hard");
  return sha;
}

/**
 * A copy of the legitimate chart with files added, replaced (content) or removed (null): the
 * tenant's next commit. Paths are relative to the chart directory.
 */
export function chartWith(files: Record<string, string | null>): string {
  const dir = mkdtempSync(join(tmpdir(), "vp-gitops-chart-"));
  cpSync(LEGIT_CHART, dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    const p = join(dir, path);
    if (content === null) rmSync(p, { force: true });
    else {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
  }
  return dir;
}

/**
 * Waits until Argo CD has compared the tenant's Application since `revision` was pushed and has
 * finished with it: Synced on it, a finished (or failed and retrying) sync of it, or a comparison
 * error raised since the push (a manifest that cannot be generated leaves the revision
 * unresolved). Start from a Synced Application (`legitimate`), so no older error is mistaken for
 * this commit's.
 */
export async function settled(tenant: string, revision: string, timeoutMs = 180_000): Promise<AppView> {
  // Argo CD's timestamps have whole seconds.
  const since = Math.floor((pushedAt.get(revision) ?? 0) / 1000) * 1000;
  return until(
    `${tenant}'s Application settled on ${revision.slice(0, 8)}`,
    async () => {
      const a = await app(tenant);
      const status = (a.raw.status ?? {}) as {
        reconciledAt?: string;
        conditions?: { type: string; lastTransitionTime?: string }[];
      };
      if (!(Date.parse(status.reconciledAt ?? "") >= since)) return undefined;
      const op = a.operation;
      // A failed sync the Application's retry strategy will try again (phase stays Running).
      if (op?.revision === revision && op.phase === "Running" && /Retrying attempt #\d+/.test(op.message)) return a;
      if (op?.phase === "Running" || op?.phase === "Terminating") return undefined;
      // A comparison that failed since the push (the manifests, or the live state, could not be
      // read): Argo CD does not sync until it can compare.
      const compareFailed = (status.conditions ?? []).some(
        (c) => c.type === "ComparisonError" && Date.parse(c.lastTransitionTime ?? "") >= since,
      );
      if (compareFailed) return a;
      if (a.revision !== revision) return undefined;
      if (a.sync === "Synced") return a;
      if (op?.revision === revision && ["Failed", "Error", "Succeeded"].includes(op.phase)) return a;
      return undefined;
    },
    timeoutMs,
  );
}

/** Pushes the legitimate chart and waits until the tenant is Synced on it; the commit. */
export async function legitimate(tenant: string): Promise<string> {
  await terminateOperation(tenant);
  const sha = await push(tenant, chartWith({}), "the legitimate chart");
  const a = await settled(tenant, sha);
  if (a.sync !== "Synced") throw new Error(`${tenant} does not sync its legitimate chart:\n${statusText(a)}`);
  return sha;
}

/**
 * Everything Argo CD says about an Application: its conditions, and the sync's message and
 * per-resource messages when that sync was of `revision` (default: the compared revision; an
 * older sync's report says nothing about this commit).
 */
export function statusText(a: AppView, revision = a.revision): string {
  const op = a.operation?.revision === revision ? a.operation : undefined;
  return [
    ...a.conditions.map((c) => `${c.type}: ${c.message}`),
    ...(op ? [`operation ${op.phase}: ${op.message}`] : []),
    ...(op?.resources ?? []).map(
      (r) => `${String(r.kind)}/${String(r.name)} ${String(r.status ?? "")}: ${String(r.message ?? "")}`,
    ),
  ].join("\n");
}

export async function get(path: string): Promise<ApiResponse> {
  return client().request("GET", path);
}

/** An API server audit event (Metadata level: who, as whom, did what to which object). */
export interface AuditEvent {
  verb: string;
  user: { username: string; groups?: string[] };
  impersonatedUser?: { username: string; groups?: string[] };
  objectRef?: { resource: string; namespace?: string; name?: string; apiGroup?: string; subresource?: string };
  responseStatus?: { code: number };
  requestReceivedTimestamp: string;
}

/** Every audit event so far (build/cluster/logs/audit.log, the k3s audit policy's log). */
export function auditEvents(): AuditEvent[] {
  const file = join(STATE, "logs", "audit.log");
  if (!existsSync(file)) throw new Error(`no audit log at ${file}`);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}
