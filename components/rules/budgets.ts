/**
 * Budgets a tenant can exhaust (issue 25), the plan side: which kinds a tenant's quota must count
 * (derived from what its identities' roles let them create and what controllers create for
 * those, never a second hand-kept list), how many bytes those counts let into etcd at worst, and
 * whether the site's tenants together fit the datastore's quota (TEN-ETCD-001). Also the
 * tenant-live budget (TEN-PRIO-002, a quota scoped to the PriorityClass) and the size bound on
 * the events written about tenant objects (TEN-EVT-001, an admission policy).
 */
import { EVENT_RATE_LIMITS, EVENT_TTL_SECONDS } from "../site/k3s";
import { describeBytes, maxBig, parseBytes, parseCpu } from "../tenant/quantity";
import { QUOTA_KEYS, TENANT_ADMIN_ROLE, TENANT_LABEL, TENANT_SYNC_ROLE } from "../tenant/contract";
import { K8sObject, mainQuota } from "./tenant-objects";
import { AdmissionPolicy, arr, rec, Rule, RuleResource, str, Violation } from "./types";
import { perTenant, tenantsOf } from "./view";
import { TENANT_PRIORITY_CLASSES } from "./workloads";

/** `<group or core>/<resource>`: how kinds are named here. */
export const kindOf = (group: string, resource: string) => `${group || "core"}/${resource}`;

/**
 * What Kubernetes' controllers (and the Sealed Secrets controller) create in a namespace for an
 * object of a kind, each at up to the same size: a Deployment's ReplicaSets, a ReplicaSet's, a
 * Job's and a StatefulSet's pods, a StatefulSet's revisions and claims, a CronJob's Jobs, a
 * Service's Endpoints and EndpointSlices, a SealedSecret's Secret.
 */
export const CONTROLLER_MADE: Readonly<Record<string, readonly string[]>> = {
  "apps/deployments": ["apps/replicasets"],
  "apps/replicasets": ["core/pods"],
  "apps/statefulsets": ["core/pods", "apps/controllerrevisions", "core/persistentvolumeclaims"],
  "batch/cronjobs": ["batch/jobs"],
  "batch/jobs": ["core/pods"],
  "core/services": ["core/endpoints", "discovery.k8s.io/endpointslices"],
  "bitnami.com/sealedsecrets": ["core/secrets"],
};

/** Counted in every tenant namespace whatever the roles say: the platform's own RoleBindings. */
export const ALWAYS_COUNTED = ["rbac.authorization.k8s.io/rolebindings"] as const;

/**
 * Kinds a quota cannot count: Kubernetes' quota ignores Events of both APIs ("events haven't been
 * quota-ed before", k8s.io/kubernetes pkg/quota/v1/install/registry.go at v1.37.2). A `count/events`
 * key would be stored and never enforced; EventRateLimit and TEN-EVT-001 bound them instead.
 */
export const UNCOUNTABLE: Readonly<Record<string, string>> = {
  "core/events": "Kubernetes' quota ignores Events",
  "events.k8s.io/events": "Kubernetes' quota ignores Events",
};

/** Core kinds a quota also counts by their plain name (`pods` besides `count/pods`). */
const PLAIN_COUNT_KEYS = [
  "pods",
  "services",
  "persistentvolumeclaims",
  "configmaps",
  "secrets",
  "replicationcontrollers",
  "resourcequotas",
];

/** The quota keys that count a kind: `count/<resource>[.<group>]`, and the plain name for some core kinds. */
export function countKeys(kind: string): string[] {
  const [group, resource] = kind.split("/");
  const key = group === "core" ? `count/${resource}` : `count/${resource}.${group}`;
  return group === "core" && PLAIN_COUNT_KEYS.includes(resource) ? [resource, key] : [key];
}

/** Kinds the role rules let someone create (verb create or *); subresources (pods/exec) are not objects. */
export function creatableBy(roles: readonly (K8sObject | undefined)[]): string[] {
  const out = new Set<string>();
  for (const role of roles)
    for (const raw of arr(role?.rules)) {
      const r = rec(raw);
      const verbs = arr(r.verbs).map(str);
      if (!verbs.includes("create") && !verbs.includes("*")) continue;
      // Wildcards name no kind to count: TEN-RBAC-001 refuses them in tenant roles.
      for (const g of arr(r.apiGroups).map(str))
        for (const res of arr(r.resources).map(str))
          if (!res.includes("/") && res !== "*" && g !== "*") out.add(kindOf(g, res));
    }
  return [...out];
}

/** One kind a tenant namespace can come to hold, and why. */
export interface CountedKind {
  kind: string;
  /** Who makes it: a role, or the controller of another kind. */
  why: string;
}

/**
 * Every kind that can come to exist in a tenant namespace from what its identities create: the
 * kinds `roles` allow, what controllers create for those (transitively) and ALWAYS_COUNTED, minus
 * what no quota can count. Sorted by kind.
 */
export function countedKinds(roles: readonly { name: string; role: K8sObject | undefined }[]): CountedKind[] {
  const why = new Map<string, string>();
  const add = (kind: string, reason: string) => {
    if (why.has(kind)) return;
    why.set(kind, reason);
    for (const made of CONTROLLER_MADE[kind] ?? []) add(made, `the controller of ${kind} creates it`);
  };
  for (const { name, role } of roles) for (const k of creatableBy([role])) add(k, `${name} may create it`);
  for (const k of ALWAYS_COUNTED) add(k, "the platform writes it in every tenant namespace");
  return [...why.keys()]
    .filter((kind) => !(kind in UNCOUNTABLE))
    .sort()
    .map((kind) => ({ kind, why: why.get(kind) as string }));
}

/**
 * The largest object etcd stores: its default --max-request-bytes, 1.5 MiB (go.etcd.io/etcd
 * server/v3 embed/config.go DefaultMaxRequestBytes at v3.7.0, the etcd of k8s.io/kubernetes
 * v1.37.2; k3s sets no other). Every counted object is assumed that large: a tenant can pad any
 * kind to it (annotations, labels, a pod template, ConfigMap data).
 */
export const MAX_OBJECT_BYTES = 1_572_864;
/**
 * The largest Event about a tenant object: TEN-EVT-001 keeps its message to 2048 characters
 * (at most 8 KiB of UTF-8); everything else in it is written by the kubelet or a controller from
 * names (at most 253 characters each, about 20 of them) and constants. 16 KiB all told.
 */
export const EVENT_BYTES = 16_384;
/** Events a tenant namespace can hold: EventRateLimit's namespace burst plus its refill over an event's TTL. */
export const EVENTS_PER_NAMESPACE =
  EVENT_RATE_LIMITS.namespace.burst + EVENT_RATE_LIMITS.namespace.qps * EVENT_TTL_SECONDS;
/**
 * Objects the platform writes for each tenant outside the tenant's counted kinds, at most 16: its
 * Namespace, two ResourceQuotas, LimitRange and NetworkPolicy, the Argo CD AppProject and
 * Application, the ListenerSet and Certificate in the edge namespace, the certificate's Secret,
 * and cert-manager's CertificateRequests, Orders and Challenges of a renewal.
 */
export const PLATFORM_OBJECTS_PER_TENANT = 16;
/**
 * What the datastore keeps for the platform: its own objects (CRDs, Helm release Secrets, Argo
 * CD's Applications, nodes, leases, the platform namespaces' events) and what etcd's quota counts
 * besides live data: it compares the database file's size (go.etcd.io/etcd server/v3
 * storage/quota.go, backend Size()), so the MVCC history the API server compacts every 5 minutes
 * and free pages not yet reused count too.
 */
export const PLATFORM_DATASTORE_RESERVE = 2 ** 30;

/** A quota count as a number (counts are quantities: "10", "1k"); undefined when unreadable. */
function count(v: unknown): bigint | undefined {
  const p = typeof v === "string" || typeof v === "number" ? parseBytes(v) : undefined;
  return p?.ok ? p.value : undefined;
}

/**
 * The worst case one tenant's quota (its `spec.hard`) lets into etcd: every object it counts at
 * MAX_OBJECT_BYTES (a kind counted by two keys, twice: an overestimate is safe), the platform's
 * objects for the tenant, and the events its namespace can hold.
 */
export function worstCaseBytes(hard: Record<string, unknown>): bigint {
  let objects = BigInt(PLATFORM_OBJECTS_PER_TENANT);
  for (const [k, v] of Object.entries(hard))
    if (k.startsWith("count/") || PLAIN_COUNT_KEYS.includes(k)) objects += count(v) ?? 0n;
  return objects * BigInt(MAX_OBJECT_BYTES) + BigInt(EVENTS_PER_NAMESPACE) * BigInt(EVENT_BYTES);
}

/** What the datastore leaves tenants: the etcd quota minus the platform's reserve (never negative). */
export function tenantDatastoreBytes(quotaBytes: number): bigint {
  return maxBig(0n, BigInt(quotaBytes) - BigInt(PLATFORM_DATASTORE_RESERVE));
}

/** The name of the quota that budgets tenant-live pods (components/tenant/manifests.ts liveQuota). */
export const LIVE_QUOTA = "tenant-live";
/** The scope selector of that quota: pods of PriorityClass tenant-live. */
export const LIVE_SCOPE = {
  matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: [TENANT_PRIORITY_CLASSES.live] }],
};

/** Whether a quota spec is scoped to exactly the pods of PriorityClass tenant-live (and nothing else). */
function isLiveScope(spec: Record<string, unknown>): boolean {
  const exprs = arr(rec(spec.scopeSelector).matchExpressions).map(rec);
  return (
    arr(spec.scopes).length === 0 &&
    exprs.length === 1 &&
    exprs[0].scopeName === "PriorityClass" &&
    exprs[0].operator === "In" &&
    arr(exprs[0].values).length === 1 &&
    arr(exprs[0].values)[0] === TENANT_PRIORITY_CLASSES.live
  );
}

/**
 * Problems with one tenant's tenant-live budget: a quota scoped to exactly PriorityClass
 * tenant-live whose pods, CPU and memory (requests and limits) are what the tenant's chart is told
 * to run as ingest workers (its Application's helm values: ingest.workers × the per-worker size).
 */
function liveQuotaProblems(tenant: string, objects: K8sObject[]): { object?: K8sObject; message: string }[] {
  const app = objects.find((o) => o.kind === "Application" && o.metadata?.name === tenant);
  if (!app) return []; // TEN-ARGO-002 reports it
  const ingest = rec(rec(rec(rec(rec(app.spec).source).helm).valuesObject).ingest);
  const workers = BigInt(Number(ingest.workers ?? 0));
  const per = rec(rec(ingest.resources).requests);
  const cpu = parseCpu(str(per.cpu) || "0");
  const memory = parseBytes(str(per.memory) || "0");
  const want: Record<string, bigint> = {
    pods: workers,
    "requests.cpu": cpu.ok ? cpu.value * workers : -1n,
    "limits.cpu": cpu.ok ? cpu.value * workers : -1n,
    "requests.memory": memory.ok ? memory.value * workers : -1n,
    "limits.memory": memory.ok ? memory.value * workers : -1n,
  };
  const quota = objects.find(
    (o) => o.kind === "ResourceQuota" && o.metadata?.namespace === tenant && isLiveScope(rec(o.spec)),
  );
  if (!quota)
    return [
      {
        message: `no ResourceQuota scoped to PriorityClass ${TENANT_PRIORITY_CLASSES.live}: its pods (and so ingest nodes the autoscaler buys) are bounded only by the whole quota`,
      },
    ];
  const hard = rec(rec(quota.spec).hard);
  const out: { object?: K8sObject; message: string }[] = [];
  for (const [k, v] of Object.entries(want)) {
    const parsed = k.endsWith("cpu") ? parseCpu(String(hard[k])) : parseBytes(String(hard[k]));
    if (!parsed.ok || parsed.value !== v)
      out.push({
        object: quota,
        message: `spec.hard["${k}"] must be the ingest workers' ${k} (${workers} × the per-worker size), not ${String(hard[k])}`,
      });
  }
  for (const k of Object.keys(hard))
    if (!(k in want)) out.push({ object: quota, message: `spec.hard["${k}"] is not part of the tenant-live budget` });
  return out;
}

const CLUSTER_ROLE_TYPE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const roleNamed = (resources: readonly RuleResource[], name: string) =>
  resources.find((r) => r.type === CLUSTER_ROLE_TYPE && rec(r.inputs.metadata).name === name)?.inputs as
    K8sObject | undefined;

/** The roles tenant identities hold, as the plan declares them: the tenant-admin and sync ClusterRoles. */
export function tenantRoles(resources: readonly RuleResource[]): { name: string; role: K8sObject | undefined }[] {
  return [TENANT_ADMIN_ROLE, TENANT_SYNC_ROLE].map((name) => ({ name, role: roleNamed(resources, name) }));
}

/**
 * One tenant's missing counts: every counted kind needs a positive count under one of its keys.
 * Pods, Services and claims are TEN-QTA-001's (QUOTA_KEYS), so one missing key is one finding.
 */
export function countProblems(
  tenant: string,
  objects: K8sObject[],
  kinds: readonly CountedKind[],
): { object?: K8sObject; message: string }[] {
  const quota = mainQuota(tenant, objects);
  if (!quota) return []; // TEN-QTA-001 reports it
  const hard = rec(rec(quota.spec).hard);
  const out: { object?: K8sObject; message: string }[] = [];
  for (const k of kinds) {
    const keys = countKeys(k.kind);
    if (keys.some((key) => (QUOTA_KEYS as readonly string[]).includes(key))) continue;
    if (keys.some((key) => /^[1-9]\d*$/.test(String(hard[key])))) continue;
    const key = keys[keys.length - 1];
    out.push({
      object: quota,
      message: `spec.hard["${key}"] must be a positive count, not ${String(hard[key])}: ${k.kind} can be created in the namespace (${k.why})`,
    });
  }
  return out;
}

const gib = (b: bigint) => describeBytes(b);
/** Tenants by worst case, largest first (a stable sort: equal ones keep their order). */
const largestFirst = <T extends { bytes: bigint }>(tenants: readonly T[]): T[] =>
  [...tenants].sort((a, b) => Number(b.bytes - a.bytes));

/**
 * When `tenants` (each named, with its worstCaseBytes) do not fit the datastore: the sentence
 * saying by how much and which are largest (with their files). Undefined when they fit.
 */
export function datastoreOverrun(
  tenants: readonly { name: string; bytes: bigint }[],
  datastore: { quotaBytes: number; serverType: string },
): string | undefined {
  const total = tenants.reduce((s, t) => s + t.bytes, 0n);
  const budget = tenantDatastoreBytes(datastore.quotaBytes);
  if (total <= budget) return undefined;
  const largest = largestFirst(tenants)
    .slice(0, 3)
    .map((t) => `${t.name} ${gib(t.bytes)} (${t.name}.yaml)`)
    .join(", ");
  return `the ${tenants.length} tenants' quotas let up to ${gib(total)} into etcd (every counted object at 1.5 MiB), more than the ${gib(budget)} the datastore leaves tenants (etcd quota ${gib(BigInt(datastore.quotaBytes))} on ${datastore.serverType} control planes, ${gib(BigInt(PLATFORM_DATASTORE_RESERVE))} kept for the platform); largest: ${largest}`;
}

export const BUDGET_RULES: Rule[] = [
  {
    id: "TEN-ETCD-001",
    description:
      "the site's tenants together cannot fill the datastore: the worst case their quotas let into etcd (every counted object at 1.5 MiB, the platform's objects per tenant, the events their rate limit lets in) fits the etcd quota minus the platform's reserve",
    fix: "lower quota.pods or the tier in the largest tenants' files (<tenantsDir>/<name>.yaml), or give the control planes more memory (site.controlPlane.serverType in Pulumi.<stack>.yaml: the etcd quota is half of it, at most 8 GiB)",
    enforcedIn: ["plan", "preview"],
    check(resources, site) {
      const tenants = tenantsOf(resources, site).map((t) => {
        const quota = mainQuota(t.name, t.objects);
        const urn = (quota && t.urnOf.get(quota)) || t.urn;
        return { name: t.name, urn, bytes: quota ? worstCaseBytes(rec(rec(quota.spec).hard)) : 0n };
      });
      const message = datastoreOverrun(tenants, site.datastore);
      if (!message) return [];
      // Reported on the largest tenant's quota: the first one to lower.
      return [{ rule: "TEN-ETCD-001", urn: largestFirst(tenants)[0].urn, message }];
    },
  },
  {
    id: "TEN-PRIO-002",
    description: `a tenant's use of PriorityClass ${TENANT_PRIORITY_CLASSES.live} is budgeted: a ResourceQuota scoped to it allows exactly the ingest workers of its file (pods, CPU and memory), so ingest pods (TEN-SCHED-001 requires the class for the ingest toleration) cannot make the autoscaler buy more ingest nodes`,
    fix: "build the quota with components/tenant/manifests.ts liveQuota() from the tenant file's ingest section",
    enforcedIn: ["plan", "preview"],
    check: (resources, site) => perTenant("TEN-PRIO-002", resources, site, liveQuotaProblems),
  },
];

/** The events size policy (TEN-EVT-001): what makes EVENT_BYTES a bound. */
export const EVENT_POLICY: AdmissionPolicy = {
  rule: "TEN-EVT-001",
  key: "event-size",
  name: "platform-tenant-event-size",
  spec: {
    failurePolicy: "Fail",
    matchConstraints: {
      namespaceSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] },
      resourceRules: [
        { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["events"] },
      ],
    },
    variables: [
      {
        // A write through events.k8s.io/v1 reaches the policy converted to core v1 (matchPolicy
        // Equivalent), where its note is `message`; the API server's type check also tries the
        // events.k8s.io kind, which has no such field, so the field is read in a variable.
        name: "message",
        expression: "has(object.message) ? object.message : ''",
      },
    ],
    validations: [
      {
        expression: "size(variables.message) <= 2048",
        message:
          "an Event about a tenant object may carry at most 2048 characters of message (a failing probe's output, a registry's error): the etcd budget counts every event at 16 KiB at most",
        reason: "Forbidden",
      },
    ],
  },
  binding: { validationActions: ["Deny"] },
};

export const EVENT_RULE_TEXT = {
  id: "TEN-EVT-001",
  description:
    "an Event in a tenant namespace carries at most 2048 characters of message, so the events its rate limit lets in have a bounded size",
  fix: "keep the platform-tenant-event-size policy and binding as components/rules/budgets.ts declares them",
};

/** Violations of TEN-QTA-002's count half over a whole plan (hardening.ts adds the ephemeral half). */
export function countViolations(resources: readonly RuleResource[], site: Parameters<Rule["check"]>[1]): Violation[] {
  const kinds = countedKinds(tenantRoles(resources));
  return perTenant("TEN-QTA-002", resources, site, (tenant, objects) => countProblems(tenant, objects, kinds));
}
