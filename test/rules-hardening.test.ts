/**
 * Pins components/rules/hardening.ts: TEN-ARGO-003 (the sync ClusterRole, each tenant's
 * AppProject mapping and allow-list, its sync ServiceAccount and RoleBinding), TEN-QTA-002
 * (object counts, ephemeral-storage quota and LimitRange order), TEN-PVC-001 (the tenant
 * StorageClass and the other classes' zero quotas), TEN-ARGO-004 (argocdValuesProblems) and
 * SITE-NODE-001 (node user-data). Issue 18: a weakened rule must fail a test, so each rule is
 * run here on small hand-built resource lists, every refusal is asserted exactly (rule, URN,
 * full message) and paired with the nearest input that must be accepted. Expectations are
 * written out literally, never computed from the module's constants.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ARGOCD_RULES, argocdValuesProblems, HARDENING_RULES, NODE_RULES } from "../components/rules/hardening";
import { K8sObject } from "../components/rules/tenant-objects";
import { Rule, RuleResource, SiteContext } from "../components/rules/types";

// --- inputs, built by hand --------------------------------------------------------------------

const SITE: SiteContext = {
  stack: "staging",
  protected: false,
  adminCidrs: ["203.0.113.0/24"],
  blockedRanges: ["169.254.169.254/32", "10.0.0.0/16"],
  datastore: { quotaBytes: 4294967296, serverType: "cx33" },
};
const U = "urn:pulumi:staging::video-platform::";
const PLATFORM_URN = `${U}platform:platform:Platform::platform`;
const TENANT_URN = `${U}platform:tenant:Tenant::demo-tv`;
/** The URN a tenant's Kubernetes object gets below the Tenant component. */
const childUrn = (type: string, name: string) => `${U}platform:tenant:Tenant$${type}::${name}`;

function res(type: string, name: string, inputs: Record<string, unknown>, parent: string | null): RuleResource {
  const urn = parent === TENANT_URN ? childUrn(type, name) : `${U}${type}::${name}`;
  return { urn, type, name, parent, inputs, options: { protect: false } };
}

const typeOf = (o: K8sObject) => {
  const api = String(o.apiVersion);
  return `kubernetes:${api.includes("/") ? api : `core/${api}`}:${o.kind}`;
};

/** The platform component, the tenant demo-tv and its objects (logical name → manifest), plus extras. */
function plan(objects: Record<string, K8sObject>, extra: RuleResource[] = []): RuleResource[] {
  return [
    res("platform:platform:Platform", "platform", {}, null),
    res("platform:tenant:Tenant", "demo-tv", {}, null),
    ...Object.entries(objects).map(([name, o]) => res(typeOf(o), name, o as Record<string, unknown>, TENANT_URN)),
    ...extra,
  ];
}

const SYNC_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

/** The sync ClusterRole as it must be: the 13 tenant kinds' resources × the 7 sync verbs. */
function syncRole(): K8sObject {
  const rule = (group: string, resources: string[]) => ({ apiGroups: [group], resources, verbs: [...SYNC_VERBS] });
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "platform-tenant-sync" },
    rules: [
      rule("", ["configmaps", "services", "persistentvolumeclaims", "serviceaccounts"]),
      rule("apps", ["deployments", "statefulsets"]),
      rule("batch", ["jobs", "cronjobs"]),
      rule("autoscaling", ["horizontalpodautoscalers"]),
      rule("policy", ["poddisruptionbudgets"]),
      rule("gateway.networking.k8s.io", ["httproutes", "grpcroutes"]),
      rule("bitnami.com", ["sealedsecrets"]),
    ],
  };
}
const ROLE_URN = `${U}kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::platform-tenant-sync`;
const roleRes = (role: K8sObject) => res(typeOf(role), "platform-tenant-sync", role as Record<string, unknown>, null);

const WHITELIST = [
  { group: "", kind: "ConfigMap" },
  { group: "", kind: "Service" },
  { group: "", kind: "PersistentVolumeClaim" },
  { group: "", kind: "ServiceAccount" },
  { group: "apps", kind: "Deployment" },
  { group: "apps", kind: "StatefulSet" },
  { group: "batch", kind: "Job" },
  { group: "batch", kind: "CronJob" },
  { group: "autoscaling", kind: "HorizontalPodAutoscaler" },
  { group: "policy", kind: "PodDisruptionBudget" },
  { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
  { group: "gateway.networking.k8s.io", kind: "GRPCRoute" },
  { group: "bitnami.com", kind: "SealedSecret" },
];

const meta = (name: string, namespace?: string) => (namespace ? { name, namespace } : { name });

/** demo-tv's objects as test/fixtures/manifests/demo-tv.yaml declares them (the fields the rules read). */
function tenant(): Record<string, any> {
  return {
    "demo-tv-ns": { apiVersion: "v1", kind: "Namespace", metadata: meta("demo-tv") },
    "demo-tv-quota": {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: meta("tenant-quota", "demo-tv"),
      spec: {
        hard: {
          "requests.cpu": "6",
          pods: "50",
          services: "20",
          persistentvolumeclaims: "10",
          "count/configmaps": "40",
          "count/secrets": "40",
          "count/serviceaccounts": "10",
          "count/deployments.apps": "25",
          "count/replicasets.apps": "75",
          "count/statefulsets.apps": "10",
          "count/controllerrevisions.apps": "30",
          "count/jobs.batch": "25",
          "count/cronjobs.batch": "5",
          "count/horizontalpodautoscalers.autoscaling": "10",
          "count/poddisruptionbudgets.policy": "10",
          "count/httproutes.gateway.networking.k8s.io": "10",
          "count/grpcroutes.gateway.networking.k8s.io": "10",
          "count/sealedsecrets.bitnami.com": "20",
          "count/rolebindings.rbac.authorization.k8s.io": "4",
          "count/leases.coordination.k8s.io": "0",
          "count/endpoints": "20",
          "count/endpointslices.discovery.k8s.io": "40",
          "requests.ephemeral-storage": "30Gi",
          "limits.ephemeral-storage": "60Gi",
          "hcloud-volumes.storageclass.storage.k8s.io/requests.storage": "0",
          "hcloud-volumes.storageclass.storage.k8s.io/persistentvolumeclaims": "0",
        },
      },
    },
    "demo-tv-limits": {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta("tenant-limits", "demo-tv"),
      spec: {
        limits: [
          {
            type: "Container",
            defaultRequest: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "100Mi" },
            default: { cpu: "1", memory: "1Gi", "ephemeral-storage": "2Gi" },
            max: { cpu: "4", memory: "8Gi", "ephemeral-storage": "10Gi" },
          },
        ],
      },
    },
    "demo-tv-sync-sa": { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("argocd-sync", "demo-tv") },
    "demo-tv-sync-binding": {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta("argocd-sync", "demo-tv"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "platform-tenant-sync" },
      subjects: [{ kind: "ServiceAccount", name: "argocd-sync", namespace: "demo-tv" }],
    },
    "demo-tv-project": {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: meta("demo-tv", "argocd"),
      spec: {
        sourceRepos: ["https://git.example.com/demo-tv/video-apps.git"],
        destinations: [{ server: "https://kubernetes.default.svc", namespace: "demo-tv" }],
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: WHITELIST.map((k) => ({ ...k })),
        destinationServiceAccounts: [
          {
            server: "https://kubernetes.default.svc",
            namespace: "demo-tv",
            defaultServiceAccount: "demo-tv:argocd-sync",
          },
        ],
      },
    },
  };
}

const QUOTA_URN = childUrn("kubernetes:core/v1:ResourceQuota", "demo-tv-quota");
const LIMITS_URN = childUrn("kubernetes:core/v1:LimitRange", "demo-tv-limits");
const PROJECT_URN = childUrn("kubernetes:argoproj.io/v1alpha1:AppProject", "demo-tv-project");
const BINDING_URN = childUrn("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "demo-tv-sync-binding");

const rule = (rules: Rule[], id: string) => rules.find((r) => r.id === id) as Rule;
const argo003 = (resources: RuleResource[]) => rule(HARDENING_RULES, "TEN-ARGO-003").check(resources, SITE);
const qta002 = (resources: RuleResource[]) => rule(HARDENING_RULES, "TEN-QTA-002").check(resources, SITE);
const pvc001 = (resources: RuleResource[]) => rule(HARDENING_RULES, "TEN-PVC-001").check(resources, SITE);
const argo004 = (resources: RuleResource[]) => rule(ARGOCD_RULES, "TEN-ARGO-004").check(resources, SITE);
const node001 = (resources: RuleResource[]) => rule(NODE_RULES, "SITE-NODE-001").check(resources, SITE);

/** TEN-ARGO-003 on demo-tv's objects (changed by `f`) with the sync ClusterRole as it must be. */
function syncCheck(f: (t: Record<string, any>) => void = () => undefined) {
  const t = tenant();
  f(t);
  return argo003(plan(t, [roleRes(syncRole())]));
}
const onProject = (message: string) => [{ rule: "TEN-ARGO-003", urn: PROJECT_URN, message: `demo-tv: ${message}` }];
const onBinding = (message: string) => [{ rule: "TEN-ARGO-003", urn: BINDING_URN, message: `demo-tv: ${message}` }];

// --- TEN-ARGO-003: the sync ClusterRole ---------------------------------------------------------

describe("TEN-ARGO-003: the sync ClusterRole grants exactly the tenant kinds × the sync verbs", () => {
  /** TEN-ARGO-003's messages about the ClusterRole built from syncRole() changed by `f`. */
  function roleCheck(f: (role: any) => void) {
    const role = syncRole();
    f(role);
    return argo003(plan(tenant(), [roleRes(role)]));
  }
  const onRole = (...messages: string[]) =>
    messages.map((m) => ({ rule: "TEN-ARGO-003", urn: ROLE_URN, message: `ClusterRole platform-tenant-sync: ${m}` }));

  it("accepts the ClusterRole and tenant wiring as the fixtures declare them", () => {
    assert.deepEqual(syncCheck(), []);
  });

  it("reports a missing ClusterRole at the platform, and does not take another kind of that name for it", () => {
    const missing = [
      {
        rule: "TEN-ARGO-003",
        urn: PLATFORM_URN,
        message:
          "ClusterRole platform-tenant-sync: no ClusterRole platform-tenant-sync: tenant syncs would have no rights (or someone else's)",
      },
    ];
    assert.deepEqual(argo003(plan(tenant())), missing);
    // A ClusterRoleBinding named like the role, listed first, is not the role.
    const binding = res(
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "platform-tenant-sync",
      { metadata: { name: "platform-tenant-sync" }, roleRef: { kind: "ClusterRole", name: "platform-tenant-sync" } },
      null,
    );
    assert.deepEqual(argo003(plan(tenant(), [binding, roleRes(syncRole())])), []);
  });

  it("refuses escalate, bind, impersonate and * verbs, each by name", () => {
    assert.deepEqual(
      roleCheck((r) => r.rules[0].verbs.push("escalate")),
      onRole(
        "rules[0] grants escalate",
        "rules[0] verbs must be exactly get, list, watch, create, update, patch, delete",
      ),
    );
    assert.deepEqual(
      roleCheck((r) => (r.rules[2].verbs = ["*"])),
      onRole("rules[2] grants *", "rules[2] verbs must be exactly get, list, watch, create, update, patch, delete"),
    );
  });

  it("refuses a rule granting nonResourceURLs", () => {
    assert.deepEqual(
      roleCheck((r) => r.rules.push({ nonResourceURLs: ["/metrics"], verbs: [...SYNC_VERBS] })),
      onRole("rules[7] grants nonResourceURLs"),
    );
  });

  it("refuses verbs that are not exactly the sync verbs (one swapped, or the same text split differently)", () => {
    const wrongVerbs = "rules[1] verbs must be exactly get, list, watch, create, update, patch, delete";
    assert.deepEqual(
      roleCheck((r) => (r.rules[1].verbs = ["get", "list", "watch", "create", "update", "patch", "deletecollection"])),
      onRole(wrongVerbs),
    );
    // Six verbs whose sorted, comma-joined text equals the seven's: the count differs.
    assert.deepEqual(
      roleCheck((r) => (r.rules[1].verbs = ["create,delete", "get", "list", "patch", "update", "watch"])),
      onRole(wrongVerbs),
    );
    assert.deepEqual(
      roleCheck((r) => (r.rules[1].verbs = ["get", "list", "watch"])),
      onRole(wrongVerbs),
    );
    // The same seven in another order are fine.
    assert.deepEqual(
      roleCheck((r) => (r.rules[1].verbs = ["delete", "patch", "update", "create", "watch", "list", "get"])),
      [],
    );
  });

  it("refuses a resource that is not a tenant kind, and reports each tenant kind it lacks", () => {
    assert.deepEqual(
      roleCheck((r) => r.rules[0].resources.push("secrets")),
      onRole("grants core/secrets, which is not a tenant kind"),
    );
    assert.deepEqual(
      roleCheck((r) => r.rules.pop()),
      onRole("lacks bitnami.com/sealedsecrets"),
    );
  });

  it("refuses an aggregating ClusterRole", () => {
    assert.deepEqual(
      roleCheck((r) => (r.aggregationRule = { clusterRoleSelectors: [] })),
      onRole("aggregates other ClusterRoles"),
    );
  });
});

// --- TEN-ARGO-003: each tenant's AppProject, ServiceAccount and RoleBinding ----------------------

describe("TEN-ARGO-003: each tenant syncs as its own argocd-sync ServiceAccount", () => {
  const DSA =
    "destinationServiceAccounts must be exactly [{ server: https://kubernetes.default.svc, namespace: demo-tv, defaultServiceAccount: demo-tv:argocd-sync }]";

  it("refuses a destinationServiceAccounts entry with another server, namespace or account", () => {
    const dsa = (f: (d: any) => void) => syncCheck((t) => f(t["demo-tv-project"].spec.destinationServiceAccounts[0]));
    assert.deepEqual(
      dsa((d) => (d.server = "https://10.0.1.5:6443")),
      onProject(DSA),
    );
    assert.deepEqual(
      dsa((d) => (d.namespace = "platform")),
      onProject(DSA),
    );
    assert.deepEqual(
      dsa((d) => (d.defaultServiceAccount = "argocd:argocd-platform-sync")),
      onProject(DSA),
    );
    assert.deepEqual(
      syncCheck((t) => t["demo-tv-project"].spec.destinationServiceAccounts.push({ server: "x", namespace: "y" })),
      onProject(DSA),
    );
  });

  it("judges only the AppProject named after the tenant", () => {
    // Another project (no mapping at all) listed before the tenant's is not the tenant's.
    assert.deepEqual(
      syncCheck((t) => {
        const own = t["demo-tv-project"];
        delete t["demo-tv-project"];
        t["demo-tv-ns"] = {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "AppProject",
          metadata: meta("legacy", "argocd"),
        };
        t["demo-tv-project"] = own;
      }),
      [],
    );
  });

  it("refuses an allow-list that is not exactly the tenant kinds, and names them in the message", () => {
    const KINDS =
      "namespaceResourceWhitelist must be exactly the tenant kinds (core/ConfigMap, core/Service, core/PersistentVolumeClaim, core/ServiceAccount, apps/Deployment, apps/StatefulSet, batch/Job, batch/CronJob, autoscaling/HorizontalPodAutoscaler, policy/PodDisruptionBudget, gateway.networking.k8s.io/HTTPRoute, gateway.networking.k8s.io/GRPCRoute, bitnami.com/SealedSecret)";
    // Same count, one kind swapped: plain Secrets instead of SealedSecrets.
    assert.deepEqual(
      syncCheck((t) => (t["demo-tv-project"].spec.namespaceResourceWhitelist[12] = { group: "", kind: "Secret" })),
      onProject(KINDS),
    );
    // One kind more.
    assert.deepEqual(
      syncCheck((t) => t["demo-tv-project"].spec.namespaceResourceWhitelist.push({ group: "apps", kind: "DaemonSet" })),
      onProject(KINDS),
    );
    // A group written as "core" is the core group, in any order.
    assert.deepEqual(
      syncCheck((t) => {
        const wl = t["demo-tv-project"].spec.namespaceResourceWhitelist;
        wl[0] = { group: "core", kind: "ConfigMap" };
        wl.reverse();
      }),
      [],
    );
    // The core group is not another group: ConfigMap under "apps" is not core/ConfigMap.
    assert.deepEqual(
      syncCheck(
        (t) => (t["demo-tv-project"].spec.namespaceResourceWhitelist[0] = { group: "apps", kind: "ConfigMap" }),
      ),
      onProject(KINDS),
    );
  });

  it("reports a missing sync ServiceAccount, not taking another account or namespace for it", () => {
    const missing = [
      { rule: "TEN-ARGO-003", urn: TENANT_URN, message: "demo-tv: no ServiceAccount argocd-sync in demo-tv" },
    ];
    assert.deepEqual(
      syncCheck((t) => delete t["demo-tv-sync-sa"]),
      missing,
    );
    assert.deepEqual(
      syncCheck((t) => (t["demo-tv-sync-sa"].metadata.name = "builder")),
      missing,
    );
    assert.deepEqual(
      syncCheck((t) => (t["demo-tv-sync-sa"].metadata.namespace = "argocd")),
      missing,
    );
  });

  it("reports a missing sync RoleBinding, not taking one in another namespace for it", () => {
    const missing = [
      { rule: "TEN-ARGO-003", urn: TENANT_URN, message: "demo-tv: no RoleBinding argocd-sync in demo-tv" },
    ];
    assert.deepEqual(
      syncCheck((t) => delete t["demo-tv-sync-binding"]),
      missing,
    );
    assert.deepEqual(
      syncCheck((t) => (t["demo-tv-sync-binding"].metadata.namespace = "argocd")),
      missing,
    );
  });

  it("refuses a RoleBinding that binds anything but demo-tv/argocd-sync to ClusterRole platform-tenant-sync", () => {
    const BIND =
      "RoleBinding argocd-sync must bind exactly ServiceAccount demo-tv/argocd-sync to ClusterRole platform-tenant-sync";
    const binding = (f: (b: any) => void) => syncCheck((t) => f(t["demo-tv-sync-binding"]));
    assert.deepEqual(
      binding((b) => (b.roleRef.kind = "Role")),
      onBinding(BIND),
    );
    assert.deepEqual(
      binding((b) => (b.roleRef.name = "cluster-admin")),
      onBinding(BIND),
    );
    assert.deepEqual(
      binding((b) => b.subjects.push({ kind: "Group", name: "system:authenticated" })),
      onBinding(BIND),
    );
    assert.deepEqual(
      binding((b) => (b.subjects[0].kind = "User")),
      onBinding(BIND),
    );
    assert.deepEqual(
      binding((b) => (b.subjects[0].name = "default")),
      onBinding(BIND),
    );
    assert.deepEqual(
      binding((b) => (b.subjects[0].namespace = "argocd")),
      onBinding(BIND),
    );
  });
});

// --- TEN-QTA-002 ----------------------------------------------------------------------------------

/** The tenant-admin ClusterRole as test/fixtures/manifests/platform.yaml writes it out. */
const adminRole = (): K8sObject =>
  (parse(readFileSync(join(__dirname, "..", "..", "test", "fixtures", "manifests", "platform.yaml"), "utf8")) as any)
    .adminClusterRole;

describe("TEN-QTA-002: the quota counts every kind and bounds ephemeral storage, which the LimitRange orders", () => {
  /** TEN-QTA-002 on demo-tv's objects (changed by `f`), with both tenant roles declared. */
  function budget(f: (t: Record<string, any>) => void = () => undefined) {
    const t = tenant();
    f(t);
    const admin = adminRole();
    return qta002(plan(t, [roleRes(syncRole()), res(typeOf(admin), "platform-tenant-admin", admin as any, null)]));
  }
  const onQuota = (...messages: string[]) =>
    messages.map((m) => ({ rule: "TEN-QTA-002", urn: QUOTA_URN, message: `demo-tv: ${m}` }));
  const onLimits = (...messages: string[]) =>
    messages.map((m) => ({ rule: "TEN-QTA-002", urn: LIMITS_URN, message: `demo-tv: ${m}` }));
  const hard = (t: Record<string, any>) => t["demo-tv-quota"].spec.hard;
  const container = (t: Record<string, any>) => t["demo-tv-limits"].spec.limits[0];
  const ORDER = "ephemeral-storage: defaultRequest ≤ default ≤ max ≤ the quota's requests must hold";

  it("accepts the fixture's quota and LimitRange, counts also as numbers and sizes as byte numbers", () => {
    assert.deepEqual(budget(), []);
    assert.deepEqual(
      budget((t) => {
        hard(t)["count/secrets"] = 120;
        hard(t)["requests.ephemeral-storage"] = 32212254720; // 30Gi
        hard(t)["limits.ephemeral-storage"] = 64424509440; // 60Gi
      }),
      [],
    );
  });

  it("refuses a missing, zero, negative, zero-padded or fractional object count", () => {
    assert.deepEqual(
      budget((t) => delete hard(t)["count/secrets"]),
      onQuota(
        'spec.hard["count/secrets"] must be a positive count, not undefined: core/secrets can be created in the namespace (platform-tenant-admin may create it)',
      ),
    );
    assert.deepEqual(
      budget((t) => (hard(t)["count/jobs.batch"] = "0")),
      onQuota(
        'spec.hard["count/jobs.batch"] must be a positive count, not 0: batch/jobs can be created in the namespace (platform-tenant-admin may create it)',
      ),
    );
    assert.deepEqual(
      budget((t) => (hard(t)["count/configmaps"] = "-5")),
      onQuota(
        'spec.hard["count/configmaps"] must be a positive count, not -5: core/configmaps can be created in the namespace (platform-tenant-admin may create it)',
      ),
    );
    assert.deepEqual(
      budget((t) => (hard(t)["count/sealedsecrets.bitnami.com"] = "05")),
      onQuota(
        'spec.hard["count/sealedsecrets.bitnami.com"] must be a positive count, not 05: bitnami.com/sealedsecrets can be created in the namespace (platform-tenant-sync may create it)',
      ),
    );
    assert.deepEqual(
      budget((t) => (hard(t)["count/httproutes.gateway.networking.k8s.io"] = "2.5")),
      onQuota(
        'spec.hard["count/httproutes.gateway.networking.k8s.io"] must be a positive count, not 2.5: gateway.networking.k8s.io/httproutes can be created in the namespace (platform-tenant-admin may create it)',
      ),
    );
    assert.deepEqual(
      budget((t) => (hard(t)["count/deployments.apps"] = "50k")),
      onQuota(
        'spec.hard["count/deployments.apps"] must be a positive count, not 50k: apps/deployments can be created in the namespace (platform-tenant-admin may create it)',
      ),
    );
  });

  it("refuses a quota without ephemeral-storage requests or limits", () => {
    assert.deepEqual(
      budget((t) => delete hard(t)["limits.ephemeral-storage"]),
      onQuota('spec.hard["limits.ephemeral-storage"] is missing'),
    );
    assert.deepEqual(
      budget((t) => (hard(t)["requests.ephemeral-storage"] = "512m")),
      onQuota('spec.hard["requests.ephemeral-storage"] is missing'),
    );
  });

  it("judges only the tenant's own quota (none: TEN-QTA-001 reports it)", () => {
    assert.deepEqual(
      budget((t) => {
        t["demo-tv-quota"].metadata.namespace = "other";
        hard(t)["count/secrets"] = "0";
      }),
      [],
    );
  });

  it("refuses a Container limit without ephemeral-storage in defaultRequest, default or max", () => {
    const ALL = "Container defaultRequest, default and max must all set ephemeral-storage";
    assert.deepEqual(
      budget((t) => delete container(t).default["ephemeral-storage"]),
      onLimits(ALL),
    );
    assert.deepEqual(
      budget((t) => delete container(t).max["ephemeral-storage"]),
      onLimits(ALL),
    );
  });

  it("judges the Container item of the tenant's own LimitRange only", () => {
    // A Pod item first: not the Container item.
    assert.deepEqual(
      budget((t) => t["demo-tv-limits"].spec.limits.unshift({ type: "Pod", max: { cpu: "8" } })),
      [],
    );
    // A LimitRange in another namespace, listed first, is not the tenant's.
    assert.deepEqual(
      budget((t) => {
        const own = t["demo-tv-limits"];
        delete t["demo-tv-limits"];
        delete t["demo-tv-quota"];
        t["other-limits"] = {
          apiVersion: "v1",
          kind: "LimitRange",
          metadata: meta("tenant-limits", "other"),
          spec: { limits: [{ type: "Container" }] },
        };
        t["demo-tv-limits"] = own;
        t["demo-tv-quota"] = tenant()["demo-tv-quota"];
      }),
      [],
    );
    // The tenant's LimitRange, broken, after its quota: still found and reported.
    assert.deepEqual(
      budget((t) => (container(t).defaultRequest["ephemeral-storage"] = "4Gi")),
      onLimits(ORDER),
    );
  });

  it("refuses ephemeral-storage out of order: defaultRequest ≤ default ≤ max ≤ quota requests", () => {
    // defaultRequest above default
    assert.deepEqual(
      budget((t) => (container(t).defaultRequest["ephemeral-storage"] = "3Gi")),
      onLimits(ORDER),
    );
    // default above max
    assert.deepEqual(
      budget((t) => (container(t).default["ephemeral-storage"] = "11Gi")),
      onLimits(ORDER),
    );
    // max above the quota's requests
    assert.deepEqual(
      budget((t) => (container(t).max["ephemeral-storage"] = "31Gi")),
      onLimits(ORDER),
    );
  });

  it("accepts each bound met with equality", () => {
    assert.deepEqual(
      budget((t) => {
        container(t).defaultRequest["ephemeral-storage"] = "2Gi";
        container(t).default["ephemeral-storage"] = "2Gi";
      }),
      [],
    );
    assert.deepEqual(
      budget((t) => (container(t).default["ephemeral-storage"] = "10Gi")),
      [],
    );
    assert.deepEqual(
      budget((t) => (container(t).max["ephemeral-storage"] = "30Gi")),
      [],
    );
  });
});

// --- TEN-PVC-001 ----------------------------------------------------------------------------------

describe("TEN-PVC-001: tenant claims use only hcloud-volumes-tenant (Delete, not default)", () => {
  const SC = "kubernetes:storage.k8s.io/v1:StorageClass";
  const cls = (name: string, reclaimPolicy: string, annotations: Record<string, string> = {}) =>
    res(SC, name, { metadata: { name, annotations }, reclaimPolicy, provisioner: "csi.hetzner.cloud" }, null);
  const TENANT_CLASS_URN = `${U}${SC}::hcloud-volumes-tenant`;
  const classes = () => [cls("hcloud-volumes", "Retain"), cls("hcloud-volumes-tenant", "Delete")];
  const check = (storage: RuleResource[], f: (t: Record<string, any>) => void = () => undefined) => {
    const t = tenant();
    f(t);
    return pvc001(plan(t, storage));
  };

  it("accepts both classes as the platform declares them and the quota closing the platform's", () => {
    assert.deepEqual(check(classes()), []);
  });

  it("reports a missing tenant class at the platform", () => {
    assert.deepEqual(check([cls("hcloud-volumes", "Retain")]), [
      { rule: "TEN-PVC-001", urn: PLATFORM_URN, message: "no StorageClass hcloud-volumes-tenant" },
    ]);
  });

  it("refuses a tenant class that retains its volumes", () => {
    assert.deepEqual(check([cls("hcloud-volumes", "Retain"), cls("hcloud-volumes-tenant", "Retain")]), [
      {
        rule: "TEN-PVC-001",
        urn: TENANT_CLASS_URN,
        message:
          "hcloud-volumes-tenant must have reclaimPolicy Delete: a retained volume outlives its claim, billed and unseen",
      },
    ]);
  });

  it("refuses a tenant class marked default, and accepts one marked not default", () => {
    const marked = (v: string) => [
      cls("hcloud-volumes", "Retain"),
      cls("hcloud-volumes-tenant", "Delete", { "storageclass.kubernetes.io/is-default-class": v }),
    ];
    assert.deepEqual(check(marked("true")), [
      {
        rule: "TEN-PVC-001",
        urn: TENANT_CLASS_URN,
        message:
          "hcloud-volumes-tenant must not be the default class: the platform's claims without a class must keep Retain",
      },
    ]);
    assert.deepEqual(check(marked("false")), []);
    assert.deepEqual(check(marked("")), []);
  });

  it("refuses a tenant quota that leaves another class open, on the tenant's own quota only", () => {
    assert.deepEqual(
      check(
        classes(),
        (t) => (t["demo-tv-quota"].spec.hard["hcloud-volumes.storageclass.storage.k8s.io/requests.storage"] = "10Gi"),
      ),
      [
        {
          rule: "TEN-PVC-001",
          urn: QUOTA_URN,
          message:
            'demo-tv: spec.hard["hcloud-volumes.storageclass.storage.k8s.io/requests.storage"] must be "0": class hcloud-volumes is not for tenants',
        },
      ],
    );
    // A quota in another namespace is not the tenant's (and a tenant without one is TEN-QTA-001's).
    assert.deepEqual(
      check(classes(), (t) => {
        t["demo-tv-quota"].metadata.namespace = "other";
        t["demo-tv-quota"].spec.hard = {};
      }),
      [],
    );
  });
});

// --- TEN-ARGO-004 ---------------------------------------------------------------------------------

describe("TEN-ARGO-004: the platform's Argo CD impersonates only argocd-platform-sync and writes only events", () => {
  function values(): Record<string, any> {
    return {
      configs: {
        cm: {
          "application.sync.impersonation.enabled": "true",
          "application.sync.impersonation.enforced": "true",
        },
        secret: {
          extra: {
            "webhook.github.secret": "[secret]",
            "webhook.gitlab.secret": "[secret]",
            "webhook.bitbucket.uuid": "[secret]",
            "webhook.bitbucketserver.secret": "[secret]",
            "webhook.gogs.secret": "[secret]",
            "webhook.azuredevops.password": "[secret]",
            "webhook.harbor.secret": "[secret]",
            "webhook.dockerhub.secret": "[secret]",
          },
        },
      },
      controller: {
        clusterRoleRules: {
          enabled: true,
          rules: [
            { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
            {
              apiGroups: [""],
              resources: ["serviceaccounts"],
              verbs: ["impersonate"],
              resourceNames: ["argocd-platform-sync"],
            },
            { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
          ],
        },
      },
    };
  }
  const rules = (v: Record<string, any>) => v.controller.clusterRoleRules.rules;
  const IMPERSONATE = "controller rules[1] may impersonate more than argocd-platform-sync";

  it("accepts the values as components/platform/argocd.ts writes them", () => {
    assert.deepEqual(argocdValuesProblems(values()), []);
  });

  it("refuses impersonation of any ServiceAccount but the platform's sync account, a tenant's sync account included", () => {
    const v = values();
    rules(v)[1].resourceNames = ["argocd-platform-sync", "argocd-sync"];
    assert.deepEqual(argocdValuesProblems(v), [IMPERSONATE]);
    const tenant = values();
    rules(tenant)[1].resourceNames = ["argocd-sync"];
    assert.deepEqual(argocdValuesProblems(tenant), [IMPERSONATE]);
    const only = values();
    rules(only)[1].resourceNames = ["argocd-application-controller"];
    assert.deepEqual(argocdValuesProblems(only), [IMPERSONATE]);
    const none = values();
    rules(none)[1].resourceNames = [];
    assert.deepEqual(argocdValuesProblems(none), [IMPERSONATE]);
    const group = values();
    rules(group)[1].resources = ["serviceaccounts", "groups"];
    assert.deepEqual(argocdValuesProblems(group), [IMPERSONATE]);
  });

  it("treats a * verb as impersonation (and as a write)", () => {
    const v = values();
    rules(v)[1] = { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["*"] };
    assert.deepEqual(argocdValuesProblems(v), [
      IMPERSONATE,
      "controller rules[1] writes serviceaccounts: the controller's own writes are events only",
    ]);
  });

  it("refuses a rule mixing reads with a write on anything but events", () => {
    const v = values();
    rules(v).push({ apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["get", "create"] });
    assert.deepEqual(argocdValuesProblems(v), [
      "controller rules[3] writes configmaps, secrets: the controller's own writes are events only",
    ]);
  });

  it("runs on the argocd Helm release only, at its URN", () => {
    const release = (type: string, name: string, v: unknown) =>
      res(type, name, { name: "argocd", chart: "argo-cd", values: v }, null);
    const broken = values();
    broken.controller.clusterRoleRules.enabled = false;
    assert.deepEqual(argo004([release("kubernetes:helm.sh/v3:Release", "argocd", broken)]), [
      {
        rule: "TEN-ARGO-004",
        urn: `${U}kubernetes:helm.sh/v3:Release::argocd`,
        message: "controller.clusterRoleRules must be enabled: the chart's default ClusterRole is `*` on `*`",
      },
    ]);
    // A chart of another type named argocd is not the release this rule reads.
    assert.deepEqual(argo004([release("kubernetes:helm.sh/v4:Chart", "argocd", broken)]), []);
  });
});

// --- SITE-NODE-001 --------------------------------------------------------------------------------

describe("SITE-NODE-001: every node's cloud-config carries the host guard", () => {
  const GUARD = [
    "#cloud-config",
    "write_files:",
    "  - path: /etc/nftables.d/host-guard.nft",
    "    content: |",
    "      ip saddr 10.42.0.0/16 ip daddr 169.254.169.254 counter drop",
    "      ip saddr 10.42.0.0/16 ip daddr != { 10.0.1.5, 203.0.113.7 } counter drop",
    "      ip daddr 169.254.169.254 meta skuid != 0 counter drop",
    "  - path: /etc/rancher/k3s/config.yaml",
    "    content: |",
    "      kubelet-arg:",
    "        - pod-max-pids=4096",
    "        - image-gc-high-threshold=80",
    "        - eviction-hard=memory.available<100Mi,imagefs.available<15%",
    "",
  ].join("\n");
  /** What a control plane's k3s config adds: the API server's plugins and etcd's quota. */
  const SERVER = [
    "      kube-apiserver-arg:",
    "        - enable-admission-plugins=NodeRestriction,AlwaysPullImages,EventRateLimit",
    "      etcd-arg:",
    "        - quota-backend-bytes=4294967296",
    "",
  ].join("\n");
  const server = (name: string, userData: unknown, role = "worker") =>
    res("hcloud:index/server:Server", name, { userData, labels: { "platform.video/role": role } }, null);
  const LACKS = [
    "user-data lacks: the host guard drops pod traffic to the metadata service",
    "user-data lacks: the host guard drops pod traffic to the node's own public addresses",
    "user-data lacks: the host guard answers the metadata service to root only",
    "user-data lacks: the kubelet bounds the processes of each pod (pod-max-pids)",
    "user-data lacks: the kubelet garbage-collects images and evicts before the image filesystem fills",
  ];
  const SERVER_LACKS = [
    "user-data lacks: the API server runs the AlwaysPullImages admission plugin",
    "user-data lacks: the API server runs the EventRateLimit admission plugin",
    "user-data lacks: etcd has an explicit space quota (quota-backend-bytes)",
  ];
  const lacks = (name: string, messages: string[]) =>
    messages.map((message) => ({ rule: "SITE-NODE-001", urn: `${U}hcloud:index/server:Server::${name}`, message }));

  it("accepts a worker with the guard and refuses one without, each requirement by name", () => {
    assert.deepEqual(node001([server("worker-1", GUARD)]), []);
    assert.deepEqual(node001([server("worker-1", "#cloud-config\n")]), lacks("worker-1", LACKS));
  });

  it("a control plane also needs the API server's plugins and etcd's quota, each by name", () => {
    assert.deepEqual(node001([server("cp-1", GUARD + SERVER, "control-plane")]), []);
    assert.deepEqual(node001([server("cp-1", GUARD, "control-plane")]), lacks("cp-1", SERVER_LACKS));
    assert.deepEqual(
      node001([
        server(
          "cp-1",
          GUARD + SERVER.replace("quota-backend-bytes=4294967296", "quota-backend-bytes=0"),
          "control-plane",
        ),
      ]),
      lacks("cp-1", [SERVER_LACKS[2]]),
    );
    // The image collection must come with an imagefs eviction threshold.
    assert.deepEqual(
      node001([server("worker-1", GUARD.replace("imagefs.available<15%", "nodefs.available<10%"))]),
      lacks("worker-1", [LACKS[4]]),
    );
    assert.deepEqual(
      node001([server("worker-1", GUARD.replace("pod-max-pids=4096", "pod-max-pids=0"))]),
      lacks("worker-1", [LACKS[3]]),
    );
  });

  it("judges only servers' user-data, and only cloud-config text", () => {
    const other = res("hcloud:index/sshKey:SshKey", "admin", { userData: "#cloud-config\n" }, null);
    assert.deepEqual(node001([other]), []);
    assert.deepEqual(node001([server("worker-1", "#!/bin/sh\necho not cloud-config\n")]), []);
    assert.deepEqual(node001([server("worker-1", "[secret]"), server("worker-2", "[unknown]")]), []);
  });
});
