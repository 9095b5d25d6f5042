/**
 * Pins components/rules/budgets.ts and ownership.ts (issue 25): which kinds a tenant's quota must
 * count (derived from the roles), the worst case a quota lets into etcd and whether a site's
 * tenants fit its datastore (TEN-ETCD-001), the tenant-live budget (TEN-PRIO-002), and the
 * admission policies for events (TEN-EVT-001), the platform's objects (TEN-OWN-001) and
 * credentials (TEN-CRED-001/002), each refusal next to the nearest request that must pass. Then
 * the committed data: every tier's worst case and the stacks' tenants against their datastores.
 * Expectations are written out literally (sizes, keys, kinds, messages), never read from the
 * modules under test.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  BUDGET_RULES,
  countedKinds,
  countKeys,
  creatableBy,
  datastoreOverrun,
  EVENT_BYTES,
  EVENTS_PER_NAMESPACE,
  kindOf,
  MAX_OBJECT_BYTES,
  PLATFORM_DATASTORE_RESERVE,
  PLATFORM_OBJECTS_PER_TENANT,
  tenantDatastoreBytes,
  worstCaseBytes,
} from "../components/rules/budgets";
import { Rule, RuleResource, SiteContext } from "../components/rules/types";
import { EVENT_RATE_LIMITS, EVENT_TTL_SECONDS, etcdQuotaBytes } from "../components/site/k3s";
import { SERVER_TYPES } from "../components/site/catalog";
import { denials, Request, tenantNs } from "./helpers/admission";
import { byName, planStack, readStackConfig, repoRoot } from "./helpers/harness";

const GiB = 2 ** 30;
const U = "urn:pulumi:staging::video-platform::";
const SITE: SiteContext = {
  stack: "staging",
  protected: false,
  adminCidrs: [],
  blockedRanges: [],
  datastore: { quotaBytes: 4 * GiB, serverType: "cx33" },
};
const platformYaml = () =>
  parse(readFileSync(join(repoRoot, "test", "fixtures", "manifests", "platform.yaml"), "utf8")) as Record<string, any>;

// --- the kinds a quota must count ---------------------------------------------------------------

describe("budgets: which kinds a tenant's quota counts, from its roles", () => {
  it("names kinds <group>/<resource>, the core group as core; a kind's quota keys", () => {
    assert.equal(kindOf("", "pods"), "core/pods");
    assert.equal(kindOf("apps", "replicasets"), "apps/replicasets");
    assert.deepEqual(countKeys("core/pods"), ["pods", "count/pods"]);
    assert.deepEqual(countKeys("core/services"), ["services", "count/services"]);
    assert.deepEqual(countKeys("core/persistentvolumeclaims"), [
      "persistentvolumeclaims",
      "count/persistentvolumeclaims",
    ]);
    assert.deepEqual(countKeys("core/configmaps"), ["configmaps", "count/configmaps"]);
    assert.deepEqual(countKeys("core/secrets"), ["secrets", "count/secrets"]);
    assert.deepEqual(countKeys("core/replicationcontrollers"), [
      "replicationcontrollers",
      "count/replicationcontrollers",
    ]);
    assert.deepEqual(countKeys("core/resourcequotas"), ["resourcequotas", "count/resourcequotas"]);
    assert.deepEqual(countKeys("core/serviceaccounts"), ["count/serviceaccounts"]);
    assert.deepEqual(countKeys("core/endpoints"), ["count/endpoints"]);
    assert.deepEqual(countKeys("apps/replicasets"), ["count/replicasets.apps"]);
    assert.deepEqual(countKeys("discovery.k8s.io/endpointslices"), ["count/endpointslices.discovery.k8s.io"]);
    // The plain names are the core group's only.
    assert.deepEqual(countKeys("example.com/secrets"), ["count/secrets.example.com"]);
    assert.deepEqual(countKeys("apps/pods"), ["count/pods.apps"]);
  });

  it("a role creates what its rules grant create (or *) on, never a subresource or a wildcard", () => {
    const role = {
      rules: [
        { apiGroups: ["", "apps"], resources: ["pods", "deployments"], verbs: ["get", "create"] },
        { apiGroups: [""], resources: ["configmaps", "pods/exec"], verbs: ["*"] },
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "update", "patch", "delete"] },
        { apiGroups: ["*"], resources: ["leases"], verbs: ["create"] },
        { apiGroups: ["policy"], resources: ["*"], verbs: ["create"] },
      ],
    };
    assert.deepEqual(creatableBy([role, undefined]), [
      "core/pods",
      "core/deployments",
      "apps/pods",
      "apps/deployments",
      "core/configmaps",
    ]);
    assert.deepEqual(creatableBy([]), []);
  });

  it("the tenant roles as the platform declares them: every kind they create, what controllers make of it, and the platform's bindings", () => {
    const p = platformYaml();
    const kinds = countedKinds([
      { name: "platform-tenant-admin", role: p.adminClusterRole },
      { name: "platform-tenant-sync", role: p.syncClusterRole },
    ]);
    const admin = "platform-tenant-admin may create it";
    const made = (k: string) => `the controller of ${k} creates it`;
    assert.deepEqual(kinds, [
      { kind: "apps/controllerrevisions", why: made("apps/statefulsets") },
      { kind: "apps/deployments", why: admin },
      // The admins may create ReplicaSets too; the first reason found is kept.
      { kind: "apps/replicasets", why: made("apps/deployments") },
      { kind: "apps/statefulsets", why: admin },
      { kind: "autoscaling/horizontalpodautoscalers", why: admin },
      { kind: "batch/cronjobs", why: admin },
      { kind: "batch/jobs", why: admin },
      { kind: "bitnami.com/sealedsecrets", why: "platform-tenant-sync may create it" },
      { kind: "core/configmaps", why: admin },
      { kind: "core/endpoints", why: made("core/services") },
      { kind: "core/persistentvolumeclaims", why: admin },
      { kind: "core/pods", why: admin },
      { kind: "core/secrets", why: admin },
      { kind: "core/serviceaccounts", why: admin },
      { kind: "core/services", why: admin },
      { kind: "discovery.k8s.io/endpointslices", why: made("core/services") },
      { kind: "gateway.networking.k8s.io/grpcroutes", why: admin },
      { kind: "gateway.networking.k8s.io/httproutes", why: admin },
      { kind: "policy/poddisruptionbudgets", why: admin },
      { kind: "rbac.authorization.k8s.io/rolebindings", why: "the platform writes it in every tenant namespace" },
    ]);
  });

  it("controllers' kinds follow transitively (a CronJob's Jobs' pods, a SealedSecret's Secret); Events are never counted", () => {
    const role = {
      rules: [
        { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["create"] },
        { apiGroups: ["bitnami.com"], resources: ["sealedsecrets"], verbs: ["create"] },
        { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create"] },
      ],
    };
    assert.deepEqual(countedKinds([{ name: "r", role }]), [
      { kind: "batch/cronjobs", why: "r may create it" },
      { kind: "batch/jobs", why: "the controller of batch/cronjobs creates it" },
      { kind: "bitnami.com/sealedsecrets", why: "r may create it" },
      { kind: "core/pods", why: "the controller of batch/jobs creates it" },
      { kind: "core/secrets", why: "the controller of bitnami.com/sealedsecrets creates it" },
      { kind: "rbac.authorization.k8s.io/rolebindings", why: "the platform writes it in every tenant namespace" },
    ]);
    // A Deployment's ReplicaSets' pods, a StatefulSet's revisions and claims.
    const sts = countedKinds([
      {
        name: "s",
        role: { rules: [{ apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: ["create"] }] },
      },
    ]).map((k) => k.kind);
    assert.deepEqual(sts, [
      "apps/controllerrevisions",
      "apps/deployments",
      "apps/replicasets",
      "apps/statefulsets",
      "core/persistentvolumeclaims",
      "core/pods",
      "rbac.authorization.k8s.io/rolebindings",
    ]);
  });
});

// --- the worst case into etcd ---------------------------------------------------------------

describe("budgets: the worst case a quota lets into etcd, and the datastore it must fit", () => {
  it("the bounds: 1.5 MiB an object (etcd's request limit), 16 KiB an event, 3700 events a namespace, 16 platform objects a tenant, 1 GiB for the platform", () => {
    assert.equal(MAX_OBJECT_BYTES, 1572864);
    assert.equal(EVENT_BYTES, 16384);
    // EventRateLimit's namespace burst (100) and refill (1/s) over an event's TTL (1 h).
    assert.deepEqual(EVENT_RATE_LIMITS, { server: { qps: 50, burst: 500 }, namespace: { qps: 1, burst: 100 } });
    assert.equal(EVENT_TTL_SECONDS, 3600);
    assert.equal(EVENTS_PER_NAMESPACE, 3700);
    assert.equal(PLATFORM_OBJECTS_PER_TENANT, 16);
    assert.equal(PLATFORM_DATASTORE_RESERVE, 1073741824);
  });

  it("counts every object-count key (count/*, and the plain core ones) at 1.5 MiB, and nothing else", () => {
    const events = 3700 * 16384;
    const objects = (n: number) => n * 1572864 + events;
    assert.equal(worstCaseBytes({}), BigInt(objects(16)));
    assert.equal(
      worstCaseBytes({
        pods: "10",
        "count/configmaps": "5",
        "requests.cpu": "4",
        "limits.memory": "8Gi",
        "services.nodeports": "0",
        "services.loadbalancers": "0",
        "hcloud-volumes.storageclass.storage.k8s.io/persistentvolumeclaims": "0",
        "requests.ephemeral-storage": "10Gi",
      }),
      BigInt(objects(16 + 10 + 5)),
    );
    // Numbers, quantities, every plain key; a kind under two keys counts twice (safe); unreadable counts nothing.
    assert.equal(
      worstCaseBytes({
        services: 3,
        persistentvolumeclaims: "2",
        configmaps: "1",
        secrets: "4",
        replicationcontrollers: "1",
        resourcequotas: "1",
        "count/pods": "1k",
        "count/jobs.batch": "many",
      }),
      BigInt(objects(16 + 3 + 2 + 1 + 4 + 1 + 1 + 1000)),
    );
  });

  it("the datastore quota is half the control planes' memory, at most etcd's suggested 8 GiB", () => {
    assert.equal(etcdQuotaBytes("cx23"), 2 * GiB);
    assert.equal(etcdQuotaBytes("cx33"), 4 * GiB);
    assert.equal(etcdQuotaBytes("cx43"), 8 * GiB);
    assert.equal(etcdQuotaBytes("cx53"), 8 * GiB);
    assert.throws(() => etcdQuotaBytes("cx99"), /^Error: unknown control-plane server type cx99$/);
    assert.equal(tenantDatastoreBytes(4 * GiB), BigInt(3 * GiB));
    assert.equal(tenantDatastoreBytes(GiB), 0n);
    assert.equal(tenantDatastoreBytes(GiB + 1), 1n);
    assert.equal(tenantDatastoreBytes(GiB / 2), 0n);
  });

  it("tenants that fit exactly pass; one byte more names the total, the budget and the three largest (with their files)", () => {
    const ds = { quotaBytes: 4 * GiB, serverType: "cx33" };
    const at = (bytes: number) => BigInt(bytes);
    assert.equal(
      datastoreOverrun(
        [
          { name: "a", bytes: at(GiB) },
          { name: "b", bytes: at(2 * GiB) },
        ],
        ds,
      ),
      undefined,
    );
    assert.equal(datastoreOverrun([], ds), undefined);
    assert.equal(
      datastoreOverrun(
        [
          { name: "a", bytes: at(GiB / 4) },
          { name: "b", bytes: at(GiB) },
          { name: "c", bytes: at(GiB / 2) },
          { name: "d", bytes: at(GiB + GiB / 4 + 1) },
          { name: "e", bytes: at(GiB / 2) },
        ],
        ds,
      ),
      "the 5 tenants' quotas let up to 3.50 GiB into etcd (every counted object at 1.5 MiB), more than the 3 GiB the datastore leaves tenants (etcd quota 4 GiB on cx33 control planes, 1 GiB kept for the platform); largest: d 1.25 GiB (d.yaml), b 1 GiB (b.yaml), c 0.50 GiB (c.yaml)",
    );
    assert.match(
      datastoreOverrun([{ name: "a", bytes: at(3 * GiB + 1) }], ds) ?? "",
      /^the 1 tenants' quotas let up to 3\.00 GiB into etcd .* largest: a 3\.00 GiB \(a\.yaml\)$/,
    );
    // Largest first whatever the order given; equal ones keep theirs.
    const largest = (tenants: { name: string; bytes: bigint }[]) =>
      /largest: (.*)$/.exec(datastoreOverrun(tenants, { quotaBytes: GiB, serverType: "cx23" }) ?? "")?.[1];
    assert.equal(
      largest([
        { name: "a", bytes: 1n },
        { name: "b", bytes: 2n },
        { name: "c", bytes: 3n },
        { name: "d", bytes: 4n },
      ]),
      "d 0.00 GiB (d.yaml), c 0.00 GiB (c.yaml), b 0.00 GiB (b.yaml)",
    );
    assert.equal(
      largest([
        { name: "x", bytes: 2n },
        { name: "y", bytes: 2n },
        { name: "z", bytes: 2n },
        { name: "w", bytes: 2n },
      ]),
      "x 0.00 GiB (x.yaml), y 0.00 GiB (y.yaml), z 0.00 GiB (z.yaml)",
    );
  });
});

// --- TEN-ETCD-001 and TEN-PRIO-002 on hand-built plans -------------------------------------------

function res(type: string, name: string, inputs: Record<string, unknown>, parent: string | null): RuleResource {
  const urn = parent ? `${U}platform:tenant:Tenant$${type}::${name}` : `${U}${type}::${name}`;
  return { urn, type, name, parent, inputs, options: { protect: false } };
}
const TENANT = "platform:tenant:Tenant";
const RQ = "kubernetes:core/v1:ResourceQuota";
const tenantUrn = (t: string) => `${U}${TENANT}::${t}`;
const quota = (t: string, hard: Record<string, string>, name = `${t}-quota`, spec: Record<string, unknown> = {}) =>
  res(
    RQ,
    name,
    { apiVersion: "v1", kind: "ResourceQuota", metadata: { name, namespace: t }, spec: { hard, ...spec } },
    tenantUrn(t),
  );
const tenant = (t: string) => res(TENANT, t, {}, null);
const rule = (id: string) => BUDGET_RULES.find((r) => r.id === id) as Rule;

describe("TEN-ETCD-001: the site's tenants together fit the datastore", () => {
  const etcd = (resources: RuleResource[], site: SiteContext = SITE) => rule("TEN-ETCD-001").check(resources, site);
  /** Pods that make a tenant's worst case `gib` GiB (with the 16 platform objects and the events). */
  const podsFor = (gib: number) => String(Math.floor((gib * GiB - 3700 * 16384) / 1572864) - 16);

  it("passes a site whose tenants fit, ignoring scoped quotas and tenants without a quota", () => {
    assert.deepEqual(
      etcd([
        tenant("a"),
        quota("a", { pods: podsFor(1.4) }),
        // tenant-live's quota counts a subset of the same pods: not counted again.
        quota("a", { pods: "100000" }, "a-live-quota", { scopeSelector: { matchExpressions: [] } }),
        tenant("b"),
        quota("b", { pods: podsFor(1.5) }),
        tenant("c"),
      ]),
      [],
    );
  });

  it("refuses a site they overfill, on the largest tenant's quota, naming it first", () => {
    const v = etcd([tenant("a"), quota("a", { pods: podsFor(1) }), tenant("b"), quota("b", { pods: podsFor(2.1) })]);
    assert.equal(v.length, 1);
    assert.equal(v[0].rule, "TEN-ETCD-001");
    assert.equal(v[0].urn, `${U}${TENANT}$${RQ}::b-quota`);
    assert.match(
      v[0].message,
      /^the 2 tenants' quotas let up to 3\.\d\d GiB into etcd .*; largest: b 2\.\d\d GiB \(b\.yaml\), a 1\.\d\d GiB \(a\.yaml\)$/,
    );
    // The same tenants fit a datastore twice the size (prod's cx43).
    assert.deepEqual(
      etcd([tenant("a"), quota("a", { pods: podsFor(1) }), tenant("b"), quota("b", { pods: podsFor(2.1) })], {
        ...SITE,
        datastore: { quotaBytes: 8 * GiB, serverType: "cx43" },
      }),
      [],
    );
  });
});

describe("TEN-PRIO-002: tenant-live is budgeted to the file's ingest workers", () => {
  const app = (t: string, workers: number, cpu = "1500m", memory = "3Gi") =>
    res(
      "kubernetes:argoproj.io/v1alpha1:Application",
      `${t}-app`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: t, namespace: "argocd" },
        spec: { source: { helm: { valuesObject: { ingest: { workers, resources: { requests: { cpu, memory } } } } } } },
      },
      tenantUrn(t),
    );
  const scope = { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: ["tenant-live"] }] };
  const live = (hard: Record<string, string>, spec: Record<string, unknown> = { scopeSelector: scope }) =>
    quota("acme", hard, "acme-live-quota", spec);
  const GOOD = {
    pods: "3",
    "requests.cpu": "4500m",
    "limits.cpu": "4500m",
    "requests.memory": "9Gi",
    "limits.memory": "9Gi",
  };
  const prio = (...rs: RuleResource[]) => rule("TEN-PRIO-002").check([tenant("acme"), ...rs], SITE);
  const LIVE_URN = `${U}${TENANT}$${RQ}::acme-live-quota`;
  const on = (message: string) => ({ rule: "TEN-PRIO-002", urn: LIVE_URN, message: `acme: ${message}` });

  it("accepts the quota of the workers' count and size (quantities in any spelling), and zero workers at zero", () => {
    assert.deepEqual(prio(app("acme", 3), live(GOOD)), []);
    assert.deepEqual(prio(app("acme", 3), live({ ...GOOD, "requests.cpu": "4.5", "limits.memory": "9663676416" })), []);
    const zero = { pods: "0", "requests.cpu": "0", "limits.cpu": "0", "requests.memory": "0", "limits.memory": "0" };
    assert.deepEqual(prio(app("acme", 0), live(zero)), []);
    // Counts as numbers, as a preview may see them.
    assert.deepEqual(prio(app("acme", 3), live({ ...GOOD, pods: 3 } as any)), []);
    // No worker size in the values (no workers): nothing to multiply, a zero budget.
    const bare = app("acme", 0);
    delete (bare.inputs.spec as any).source.helm.valuesObject.ingest.resources;
    assert.deepEqual(prio(bare, live(zero)), []);
    // Only the tenant's own Application and ResourceQuotas count: another app, or another kind
    // carrying a tenant-live scope, listed first, is not it.
    const otherApp = app("acme", 9);
    (otherApp.inputs.metadata as Record<string, string>).name = "acme-extra";
    const notAQuota = live({ pods: "9" });
    (notAQuota.inputs as Record<string, string>).kind = "LimitRange";
    assert.deepEqual(prio(otherApp, notAQuota, app("acme", 3), live(GOOD)), []);
    // No Application: TEN-ARGO-002 reports it.
    assert.deepEqual(prio(live({})), []);
  });

  it("refuses a missing quota, one scoped otherwise, and every key that is not the workers' budget", () => {
    const missing = [
      {
        rule: "TEN-PRIO-002",
        urn: tenantUrn("acme"),
        message:
          "acme: no ResourceQuota scoped to PriorityClass tenant-live: its pods (and so ingest nodes the autoscaler buys) are bounded only by the whole quota",
      },
    ];
    assert.deepEqual(prio(app("acme", 3)), missing);
    const other = (s: Record<string, unknown>) => prio(app("acme", 3), live(GOOD, s));
    assert.deepEqual(other({}), missing);
    assert.deepEqual(
      other({ scopeSelector: { matchExpressions: [{ ...scope.matchExpressions[0], values: ["tenant-standard"] }] } }),
      missing,
    );
    assert.deepEqual(
      other({ scopeSelector: { matchExpressions: [{ ...scope.matchExpressions[0], values: ["tenant-live", "x"] }] } }),
      missing,
    );
    assert.deepEqual(
      other({ scopeSelector: { matchExpressions: [{ ...scope.matchExpressions[0], operator: "NotIn" }] } }),
      missing,
    );
    assert.deepEqual(
      other({ scopeSelector: { matchExpressions: [{ ...scope.matchExpressions[0], scopeName: "Terminating" }] } }),
      missing,
    );
    assert.deepEqual(
      other({ scopeSelector: { matchExpressions: [...scope.matchExpressions, ...scope.matchExpressions] } }),
      missing,
    );
    assert.deepEqual(other({ scopeSelector: scope, scopes: ["Terminating"] }), missing);
    // In another namespace: not the tenant's.
    const elsewhere = live(GOOD);
    (elsewhere.inputs.metadata as Record<string, string>).namespace = "other";
    assert.deepEqual(prio(app("acme", 3), elsewhere), missing);

    assert.deepEqual(prio(app("acme", 3), live({ ...GOOD, pods: "4" })), [
      on('spec.hard["pods"] must be the ingest workers\' pods (3 × the per-worker size), not 4'),
    ]);
    assert.deepEqual(prio(app("acme", 3), live({ ...GOOD, "limits.cpu": "6" })), [
      on('spec.hard["limits.cpu"] must be the ingest workers\' limits.cpu (3 × the per-worker size), not 6'),
    ]);
    assert.deepEqual(prio(app("acme", 3), live({ ...GOOD, "requests.memory": "12Gi" })), [
      on(
        'spec.hard["requests.memory"] must be the ingest workers\' requests.memory (3 × the per-worker size), not 12Gi',
      ),
    ]);
    const { "limits.memory": _, ...noLimit } = GOOD;
    assert.deepEqual(prio(app("acme", 3), live(noLimit)), [
      on(
        'spec.hard["limits.memory"] must be the ingest workers\' limits.memory (3 × the per-worker size), not undefined',
      ),
    ]);
    assert.deepEqual(prio(app("acme", 3), live({ ...GOOD, "requests.cpu": "lots" })), [
      on('spec.hard["requests.cpu"] must be the ingest workers\' requests.cpu (3 × the per-worker size), not lots'),
    ]);
    assert.deepEqual(prio(app("acme", 3), live({ ...GOOD, "requests.storage": "1Ti" })), [
      on('spec.hard["requests.storage"] is not part of the tenant-live budget'),
    ]);
    // A worker size the quota cannot be checked against (unreadable values): every key refused.
    assert.equal(prio(app("acme", 3, "fast", "big"), live(GOOD)).length, 4);
  });
});

// --- the admission policies ------------------------------------------------------------------

const TENANT_SA = { username: "system:serviceaccount:demo-tv:argocd-sync", groups: ["system:serviceaccounts"] };
const ADMIN_GROUP = { username: "ops@demo-tv.example", groups: ["demo-tv-admins", "system:authenticated"] };

describe("TEN-EVT-001: events about tenant objects are bounded in size", () => {
  const ev = (message?: string): Request => ({
    group: "",
    resource: "events",
    object: { kind: "Event", metadata: { name: "web.1" }, ...(message === undefined ? {} : { message }) },
  });
  const MSG =
    "an Event about a tenant object may carry at most 2048 characters of message (a failing probe's output, a registry's error): the etcd budget counts every event at 16 KiB at most";
  it("refuses 2049 characters (of any width), admits 2048 and none", () => {
    assert.deepEqual(denials("TEN-EVT-001", ev("x".repeat(2049))), [MSG]);
    assert.deepEqual(denials("TEN-EVT-001", ev("é".repeat(2049))), [MSG]);
    assert.deepEqual(denials("TEN-EVT-001", ev("x".repeat(2048))), []);
    assert.deepEqual(denials("TEN-EVT-001", ev("é".repeat(2048))), []);
    assert.deepEqual(denials("TEN-EVT-001", ev()), []);
    assert.deepEqual(denials("TEN-EVT-001", { ...ev("x".repeat(3000)), operation: "UPDATE" }), [MSG]);
  });
  it("matches core Events in tenant namespaces only", () => {
    assert.equal(
      denials("TEN-EVT-001", { ...ev("x".repeat(3000)), namespace: { metadata: { name: "kube-system", labels: {} } } }),
      undefined,
    );
    assert.equal(denials("TEN-EVT-001", { ...ev("x".repeat(3000)), group: "events.k8s.io" }), undefined);
  });
});

describe("TEN-OWN-001: only the platform touches what it declared in a tenant namespace", () => {
  const declared = (labels: Record<string, string> = { "platform.video/tenant": "demo-tv" }) => ({
    kind: "ServiceAccount",
    metadata: { name: "argocd-sync", namespace: "demo-tv", labels },
  });
  const req = (operation: Request["operation"], object: any, oldObject?: any, user = TENANT_SA): Request => ({
    operation,
    group: "",
    resource: "serviceaccounts",
    object,
    oldObject,
    user,
  });
  const OWNED = (kind: string, name: string) =>
    `the ${kind} ${name} carries the label platform.video/tenant: the platform declares it for the tenant (Pulumi, from the tenant file), and only the platform may create, change or delete it or give an object that label`;

  it("refuses the tenant's identities every change: update, unlabel, delete, and a forged label", () => {
    for (const user of [TENANT_SA, ADMIN_GROUP]) {
      assert.deepEqual(denials("TEN-OWN-001", req("UPDATE", declared(), declared(), user)), [
        OWNED("ServiceAccount", "argocd-sync"),
      ]);
      assert.deepEqual(denials("TEN-OWN-001", req("UPDATE", declared({}), declared(), user)), [
        OWNED("ServiceAccount", "argocd-sync"),
      ]);
      assert.deepEqual(denials("TEN-OWN-001", req("DELETE", null, declared(), user)), [
        OWNED("ServiceAccount", "argocd-sync"),
      ]);
      assert.deepEqual(denials("TEN-OWN-001", req("CREATE", declared(), undefined, user)), [
        OWNED("ServiceAccount", "argocd-sync"),
      ]);
    }
    // Any kind, any group: the stream key's Secret as much as the ServiceAccount.
    assert.deepEqual(
      denials("TEN-OWN-001", {
        operation: "UPDATE",
        group: "",
        resource: "secrets",
        object: { kind: "Secret", metadata: { name: "stream-key", labels: { "platform.video/tenant": "demo-tv" } } },
        oldObject: { kind: "Secret", metadata: { name: "stream-key", labels: { "platform.video/tenant": "demo-tv" } } },
        user: ADMIN_GROUP,
      }),
      [OWNED("Secret", "stream-key")],
    );
    // The other controllers of kube-system are not the namespace controller.
    assert.deepEqual(
      denials(
        "TEN-OWN-001",
        req("DELETE", null, declared(), {
          username: "system:serviceaccount:kube-system:generic-garbage-collector",
          groups: [],
        }),
      ),
      [OWNED("ServiceAccount", "argocd-sync")],
    );
  });

  it("lets cluster admins (Pulumi) do all of it, the namespace controller delete, and leaves unlabelled objects alone", () => {
    const masters = { username: "pulumi", groups: ["system:masters", "system:authenticated"] };
    for (const [op, obj, old] of [
      ["CREATE", declared(), undefined],
      ["UPDATE", declared(), declared()],
      ["DELETE", null, declared()],
    ] as const)
      assert.deepEqual(denials("TEN-OWN-001", req(op, obj, old, masters)), [], op);
    assert.deepEqual(
      denials(
        "TEN-OWN-001",
        req("DELETE", null, declared(), {
          username: "system:serviceaccount:kube-system:namespace-controller",
          groups: [],
        }),
      ),
      [],
    );
    assert.equal(
      denials("TEN-OWN-001", req("UPDATE", declared({ team: "video" }), declared({ team: "video" }))),
      undefined,
    );
    assert.equal(denials("TEN-OWN-001", req("CREATE", declared({ "platform.video/workload": "ingest" }))), undefined);
    assert.equal(
      denials("TEN-OWN-001", {
        ...req("UPDATE", declared(), declared()),
        namespace: { metadata: { name: "x", labels: {} } },
      }),
      undefined,
    );
  });
});

describe("TEN-CRED-001: no ServiceAccount token Secret in a tenant namespace, directly or sealed", () => {
  const MSG =
    "a Secret of type kubernetes.io/service-account-token (or a SealedSecret that unseals into one) cannot be created in a tenant namespace: the token controller fills it with a ServiceAccount token that never expires; pods get short-lived, bound tokens by projection";
  const secret = (type?: string): Request => ({
    group: "",
    resource: "secrets",
    object: { kind: "Secret", metadata: { name: "t" }, ...(type ? { type } : {}) },
    user: ADMIN_GROUP,
  });
  const sealed = (template?: Record<string, unknown>): Request => ({
    group: "bitnami.com",
    resource: "sealedsecrets",
    object: {
      kind: "SealedSecret",
      metadata: { name: "t" },
      spec: { encryptedData: {}, ...(template ? { template } : {}) },
    },
  });
  it("refuses the token type on a Secret (create and update) and in a SealedSecret's template", () => {
    assert.deepEqual(denials("TEN-CRED-001", secret("kubernetes.io/service-account-token")), [MSG]);
    assert.deepEqual(
      denials("TEN-CRED-001", { ...secret("kubernetes.io/service-account-token"), operation: "UPDATE" }),
      [MSG],
    );
    assert.deepEqual(denials("TEN-CRED-001", sealed({ type: "kubernetes.io/service-account-token" })), [MSG]);
  });
  it("admits Opaque, TLS and untyped Secrets, and SealedSecrets with no template or no type", () => {
    for (const t of ["Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson", undefined])
      assert.deepEqual(denials("TEN-CRED-001", secret(t)), [], String(t));
    assert.deepEqual(denials("TEN-CRED-001", sealed()), []);
    assert.deepEqual(denials("TEN-CRED-001", sealed({ metadata: { labels: { a: "b" } } })), []);
    assert.deepEqual(denials("TEN-CRED-001", sealed({ type: "Opaque" })), []);
    assert.equal(
      denials("TEN-CRED-001", {
        ...secret("kubernetes.io/service-account-token"),
        namespace: tenantNs() && { metadata: { name: "kube-system", labels: {} } },
      }),
      undefined,
    );
  });
});

describe("TEN-CRED-002: no tenant pod runs as the sync identity", () => {
  const MSG =
    "tenant pods may not run as the ServiceAccount argocd-sync: Argo CD syncs the tenant's repository as it, and a pod running as it carries its token (every pod would hold the sync rights)";
  const deploy = (spec: Record<string, unknown>): Request => ({
    group: "apps",
    resource: "deployments",
    object: {
      kind: "Deployment",
      spec: { template: { metadata: { labels: { app: "a" } }, spec: { containers: [], ...spec } } },
    },
  });
  const pod = (spec: Record<string, unknown>): Request => ({
    group: "",
    resource: "pods",
    object: { kind: "Pod", spec: { containers: [], ...spec } },
    user: ADMIN_GROUP,
  });
  const cron = (spec: Record<string, unknown>): Request => ({
    group: "batch",
    resource: "cronjobs",
    object: { kind: "CronJob", spec: { jobTemplate: { spec: { template: { spec: { containers: [], ...spec } } } } } },
  });
  it("refuses argocd-sync by name or by the deprecated alias, on Pods and every template", () => {
    for (const make of [deploy, pod, cron]) {
      assert.deepEqual(denials("TEN-CRED-002", make({ serviceAccountName: "argocd-sync" })), [MSG]);
      assert.deepEqual(denials("TEN-CRED-002", make({ serviceAccount: "argocd-sync" })), [MSG]);
      assert.deepEqual(denials("TEN-CRED-002", make({ serviceAccountName: "app", serviceAccount: "argocd-sync" })), [
        MSG,
      ]);
    }
  });
  it("admits its own accounts and none", () => {
    for (const make of [deploy, pod, cron]) {
      assert.deepEqual(denials("TEN-CRED-002", make({})), []);
      assert.deepEqual(denials("TEN-CRED-002", make({ serviceAccountName: "default", serviceAccount: "default" })), []);
      assert.deepEqual(denials("TEN-CRED-002", make({ serviceAccountName: "argocd-sync-2" })), []);
    }
  });
});

// --- the committed data --------------------------------------------------------------------

/** The datastore a stack's control planes get, written out: half their memory, at most 8 GiB. */
function datastoreOf(stack: string): number {
  const type = (readStackConfig(stack)["video-platform:site"] as any).controlPlane.serverType as string;
  return Math.min(8 * GiB, (SERVER_TYPES[type].memoryGiB * GiB) / 2);
}
/** A quota's worst case, written out: count keys × 1.5 MiB, 16 platform objects, 3700 events × 16 KiB. */
function worst(hard: Record<string, string>): number {
  const objects = Object.entries(hard)
    .filter(([k]) => k.startsWith("count/") || ["pods", "services", "persistentvolumeclaims"].includes(k))
    .reduce((s, [, v]) => s + Number(v), 16);
  return objects * 1572864 + 3700 * 16384;
}
const mainQuotas = (p: Awaited<ReturnType<typeof planStack>>) =>
  p.resources.filter(
    (r) => r.type === RQ && r.parent?.includes(`::${TENANT}::`) && !(r.inputs.spec as any).scopeSelector,
  );

describe("budgets over the committed data", () => {
  it("each tier's worst case into etcd, and how many tenants of it a datastore holds", async () => {
    const p = await planStack("staging", join(repoRoot, "test", "fixtures", "tenants", "tiers"));
    const byTier = (tier: string) => {
      const ns = p.resources.find(
        (r) =>
          r.type === "kubernetes:core/v1:Namespace" &&
          (r.inputs.metadata as any).labels["platform.video/tier"] === tier,
      );
      assert.ok(ns, `a ${tier} tenant in the fixture`);
      const name = (ns.inputs.metadata as any).name as string;
      return worst((byName(p, `${name}-quota`).inputs.spec as any).hard);
    };
    // small: 222 counted objects, standard 464, premium 1004 (at the preset pods), each + 16.
    assert.deepEqual(["small", "standard", "premium"].map(byTier), [
      238 * 1572864 + 60620800,
      480 * 1572864 + 60620800,
      1020 * 1572864 + 60620800,
    ]);
    // What a datastore leaves tenants, per stack: staging (cx33) 3 GiB, prod (cx43) 7 GiB.
    const fits = (bytes: number, quota: number) => Math.floor((quota - GiB) / bytes);
    assert.deepEqual(
      ["small", "standard", "premium"].map((t) => [fits(byTier(t), 4 * GiB), fits(byTier(t), 8 * GiB)]),
      [
        [7, 17],
        [3, 9],
        [1, 4],
      ],
    );
  });

  for (const stack of ["staging", "prod"])
    it(`${stack}: the tenants' worst case fits the datastore its control planes get, less 1 GiB for the platform`, async () => {
      const p = await planStack(stack);
      const quotas = mainQuotas(p);
      assert.ok(quotas.length > 0, "tenants");
      const total = quotas.reduce((s, q) => s + worst((q.inputs.spec as any).hard), 0);
      assert.ok(total <= datastoreOf(stack) - GiB, `${total} bytes of ${datastoreOf(stack) - GiB}`);
      assert.ok(datastoreOf(stack) >= 4 * GiB, "the datastore is explicit and at least etcd's default 2 GiB");
    });

  it("every kind a tenant identity may create, or controllers create for it, has a count in every tenant's quota", async () => {
    // Written out, not imported: what Kubernetes' controllers (and Sealed Secrets') create for each kind.
    const MADE: Record<string, string[]> = {
      "apps/deployments": ["apps/replicasets"],
      "apps/replicasets": ["core/pods"],
      "apps/statefulsets": ["core/pods", "apps/controllerrevisions", "core/persistentvolumeclaims"],
      "batch/cronjobs": ["batch/jobs"],
      "batch/jobs": ["core/pods"],
      "core/services": ["core/endpoints", "discovery.k8s.io/endpointslices"],
      "bitnami.com/sealedsecrets": ["core/secrets"],
    };
    for (const stack of ["staging", "prod"]) {
      const p = await planStack(stack);
      const kinds = new Set<string>(["rbac.authorization.k8s.io/rolebindings"]);
      const add = (k: string) => {
        if (kinds.has(k)) return;
        kinds.add(k);
        for (const m of MADE[k] ?? []) add(m);
      };
      for (const role of ["platform-tenant-admin", "platform-tenant-sync"])
        for (const r of (byName(p, role).inputs as any).rules)
          if (r.verbs.includes("create"))
            for (const g of r.apiGroups)
              for (const res of r.resources) if (!res.includes("/")) add(`${g || "core"}/${res}`);
      assert.ok(kinds.has("apps/replicasets") && kinds.has("apps/controllerrevisions"), "the roles were read");
      for (const q of mainQuotas(p)) {
        const hard = (q.inputs.spec as any).hard as Record<string, string>;
        for (const k of kinds) {
          const [g, res] = k.split("/");
          const keys = g === "core" ? [res, `count/${res}`] : [`count/${res}.${g}`];
          assert.ok(
            keys.some((key) => Number(hard[key]) > 0),
            `${stack} ${q.name}: ${k} can be created and is not counted`,
          );
        }
        // Events are written by the platform's components, and Kubernetes' quota ignores them.
        assert.equal(hard["count/events"], undefined);
      }
    }
  });
});
