/**
 * What every conformance test needs: a client for the cluster `npm run cluster -- up` started
 * (build/cluster/), the tenants' identities as `up` computed them from the plan, and assertions
 * on admission answers. The expectations themselves are written out in the tests.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ApiResponse, collectionPath, Impersonate, KubeClient } from "../tools/cluster/client";
import type { Identities, TenantIdentity } from "../tools/cluster/identities";
import type { KubeObject } from "../tools/cluster/objects";

export const STATE = join(__dirname, "..", "..", "build", "cluster");

/** One Argo CD instance of the plan and its application controller (tools/cluster/prereqs.ts). */
export interface AppliedArgocd {
  release: string;
  namespace: string;
  controller: { user: string; groups: string[]; namespace: string; name: string };
}

export interface Applied {
  stack: string;
  server: string;
  kubectl: string;
  identities: Identities;
  argocd: AppliedArgocd[];
  objects: string[];
}

export function applied(): Applied {
  try {
    return JSON.parse(readFileSync(join(STATE, "applied.json"), "utf8")) as Applied;
  } catch {
    throw new Error("no build/cluster/applied.json: run `npm run cluster -- up` first (npm run test:cluster does)");
  }
}

/** Every object `up` applied, as the plan declared it (build/cluster/objects.yaml). */
export function appliedObjects(): KubeObject[] {
  return parseAllDocuments(readFileSync(join(STATE, "objects.yaml"), "utf8"))
    .map((d) => d.toJS() as KubeObject)
    .filter(Boolean);
}

let shared: KubeClient | undefined;
export function client(): KubeClient {
  if (!shared) {
    const pki = join(STATE, "pki");
    shared = new KubeClient({
      server: applied().server,
      ca: join(pki, "ca.crt"),
      crt: join(pki, "admin.crt"),
      key: join(pki, "admin.key"),
    });
  }
  return shared;
}

export function tenants(): [string, TenantIdentity][] {
  const t = Object.entries(applied().identities.tenants);
  if (t.length < 2) throw new Error(`isolation needs at least two tenants; the plan has ${t.length}`);
  return t;
}

/** The identities a tenant acts as: its repository's sync account and a member of its admin groups. */
export function actors(name: string, t: TenantIdentity): { label: string; as: Impersonate }[] {
  // A tenant without admin groups has no human admins: only its sync identity acts in it.
  const admin = { user: `${name}-admin@tenant.invalid`, groups: [...t.admins.groups, "system:authenticated"] };
  return [
    ...(t.admins.groups.length ? [{ label: "admin group", as: admin }] : []),
    { label: "sync identity", as: { user: t.sync.user, groups: t.sync.groups } },
  ];
}

/** Another tenant that owns hostnames (whose names `name` must not be able to claim). */
export function domainOwner(name: string): [string, TenantIdentity] {
  const owner = tenants().find(([n, t]) => n !== name && t.domains.length > 0);
  if (!owner) throw new Error(`no tenant besides ${name} declares domains: hostname isolation cannot be tested`);
  return owner;
}

/** Some other tenant than `name` (the next one, in order). */
export function otherTenant(name: string): [string, TenantIdentity] {
  const all = tenants();
  const i = all.findIndex(([n]) => n === name);
  return all[(i + 1) % all.length];
}

export const core = (ns: string, plural: string) => collectionPath("v1", plural, ns);

export async function create(path: string, obj: unknown, as?: Impersonate, dryRun = true): Promise<ApiResponse> {
  return client().request("POST", path, obj, { as, dryRun });
}

export async function mergePatch(path: string, patch: unknown, as?: Impersonate, dryRun = true): Promise<ApiResponse> {
  return client().request("PATCH", path, patch, { as, dryRun, contentType: "application/merge-patch+json" });
}

const describeRes = (r: ApiResponse) => `${r.status} ${String(r.body.reason ?? "")}: ${String(r.body.message ?? "")}`;

/** The request was admitted (2xx). */
export function admitted(r: ApiResponse): void {
  assert.ok(r.status >= 200 && r.status < 300, `expected admission, got ${describeRes(r)}`);
}

/** The request was refused with this HTTP status and a message matching `message`. */
export function rejected(r: ApiResponse, status: number, message: RegExp): void {
  assert.equal(r.status, status, `expected ${status} matching ${message}, got ${describeRes(r)}`);
  assert.match(String(r.body.message ?? ""), message);
}

/** A minimal Pod that passes Pod Security `restricted` (the legitimate twin of each hostile pod). */
export function restrictedPod(
  name: string,
  extra: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "app",
          image: "registry.invalid/app:1",
          resources: {
            requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "16Mi" },
            limits: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "16Mi" },
          },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          ...container,
        },
      ],
      ...extra,
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A one-replica Deployment whose pod template is restrictedPod's, with `extra` / `container` merged in. */
export function deployment(name: string, extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) {
  const pod = restrictedPod(name, extra, container);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: pod.spec },
    },
  };
}

/**
 * The ReplicaFailure message of the Deployment's ReplicaSet (the controller-manager's pod creation
 * refused by admission), waiting up to 60 s for the controllers to get there.
 */
export async function replicaFailure(namespace: string, deploymentName: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await client().request("GET", `/apis/apps/v1/namespaces/${namespace}/replicasets`);
    const items = (r.body.items ?? []) as {
      metadata: { ownerReferences?: { name: string }[] };
      status?: { conditions?: { type: string; message?: string }[] };
    }[];
    for (const rs of items)
      if (rs.metadata.ownerReferences?.some((o) => o.name === deploymentName))
        for (const c of rs.status?.conditions ?? []) if (c.type === "ReplicaFailure") return c.message ?? "";
    if (Date.now() > deadline)
      throw new Error(`no ReplicaFailure on ${namespace}/${deploymentName}'s ReplicaSet in 60 s`);
    await sleep(1000);
  }
}

/** Retries `probe` until it holds: admission policies take effect a moment after they are created. */
export async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not the case after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/**
 * Waits until RBAC grants `user` the verb on the resource (a SubjectAccessReview asks the same
 * authorizer requests meet): a binding created a moment ago reaches the authorizer's cache
 * asynchronously.
 */
export async function rbacGranted(user: string, verb: string, group: string, resource: string, namespace: string) {
  await eventually(`RBAC lets ${user} ${verb} ${resource}`, async () => {
    const r = await client().request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: { user, groups: ["system:authenticated"], resourceAttributes: { verb, group, resource, namespace } },
    });
    return (r.body.status as { allowed?: boolean } | undefined)?.allowed === true;
  });
}

/** An HTTPRoute as a tenant writes one: its parents, its host names (if any) and one backend. */
export function httpRoute(
  name: string,
  parentRefs: unknown[],
  hostnames: string[] | undefined,
  backend: Record<string, unknown> = { name: "web" },
) {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name },
    spec: {
      parentRefs,
      ...(hostnames ? { hostnames } : {}),
      rules: [{ backendRefs: [{ port: 80, ...backend }] }],
    },
  };
}
