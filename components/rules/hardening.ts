/**
 * Tenant hardening (issue 14), the plan side: what Argo CD may create for a tenant and as whom,
 * what the tenant's budget counts, and which storage its claims may use. The kinds a tenant may
 * deploy are written once here (TENANT_KINDS); the tenant's AppProject allow-list and the sync
 * ServiceAccount's ClusterRole both derive from it (components/tenant/shared.ts), and the rules
 * below check the plan against it.
 */
import { parseBytes } from "../tenant/quantity";
import { IN_CLUSTER } from "../platform/namespaces";
import { SYNC_SERVICE_ACCOUNT, TENANT_SYNC_ROLE } from "../tenant/contract";
import { K8sObject, mainQuota } from "./tenant-objects";
import { countViolations } from "./budgets";
import { arr, rec, Rule, SECRET, str, UNKNOWN, Violation } from "./types";
import { perTenant, platformUrn } from "./view";

/**
 * The kinds a tenant's repository may deploy through Argo CD (AppProject
 * namespaceResourceWhitelist) and its sync ServiceAccount may write (ClusterRole bound in the
 * tenant namespace). Out on purpose: RBAC kinds, ResourceQuota, LimitRange, NetworkPolicy
 * (the guardrails); Gateway, Ingress, ReferenceGrant and cert-manager Issuers (the edge is the
 * platform's; HTTPRoutes attach to it and are checked at admission); Endpoints/EndpointSlices
 * (point a Service anywhere); Pods and ReplicaSets (come from Deployments/Jobs); DaemonSets (one
 * pod on every node, platform pools included); plain Secrets (credentials in Git in clear, and
 * service-account-token Secrets mint tokens that never expire): secrets come as SealedSecrets.
 */
export const TENANT_KINDS = [
  { group: "", kind: "ConfigMap", resource: "configmaps" },
  { group: "", kind: "Service", resource: "services" },
  { group: "", kind: "PersistentVolumeClaim", resource: "persistentvolumeclaims" },
  { group: "", kind: "ServiceAccount", resource: "serviceaccounts" },
  { group: "apps", kind: "Deployment", resource: "deployments" },
  { group: "apps", kind: "StatefulSet", resource: "statefulsets" },
  { group: "batch", kind: "Job", resource: "jobs" },
  { group: "batch", kind: "CronJob", resource: "cronjobs" },
  { group: "autoscaling", kind: "HorizontalPodAutoscaler", resource: "horizontalpodautoscalers" },
  { group: "policy", kind: "PodDisruptionBudget", resource: "poddisruptionbudgets" },
  { group: "gateway.networking.k8s.io", kind: "HTTPRoute", resource: "httproutes" },
  { group: "gateway.networking.k8s.io", kind: "GRPCRoute", resource: "grpcroutes" },
  { group: "bitnami.com", kind: "SealedSecret", resource: "sealedsecrets" },
] as const;

/** Verbs the sync ServiceAccount holds on TENANT_KINDS: what `kubectl apply`, prune and diff need. */
export const SYNC_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"] as const;
/** The ServiceAccount (argocd namespace) the platform's own project syncs as: cluster-admin. */
export const PLATFORM_SYNC_SERVICE_ACCOUNT = "argocd-platform-sync";

/**
 * Object-count quota keys (ResourceQuota `count/<resource>[.<group>]`), by the tier preset's
 * field (components/tenant/presets.ts ObjectCounts). Pods, Services and PVCs have their own keys;
 * Endpoints and EndpointSlices follow the Services (SERVICE_COUNT_KEYS). Which kinds must be
 * counted is not this list's decision: TEN-QTA-002 derives them from the tenant roles
 * (components/rules/budgets.ts countedKinds) and fails the plan when one lacks its key here.
 */
export const OBJECT_COUNT_KEYS = {
  configmaps: "count/configmaps",
  secrets: "count/secrets",
  serviceaccounts: "count/serviceaccounts",
  deployments: "count/deployments.apps",
  replicasets: "count/replicasets.apps",
  statefulsets: "count/statefulsets.apps",
  controllerrevisions: "count/controllerrevisions.apps",
  jobs: "count/jobs.batch",
  cronjobs: "count/cronjobs.batch",
  horizontalpodautoscalers: "count/horizontalpodautoscalers.autoscaling",
  poddisruptionbudgets: "count/poddisruptionbudgets.policy",
  httproutes: "count/httproutes.gateway.networking.k8s.io",
  grpcroutes: "count/grpcroutes.gateway.networking.k8s.io",
  sealedsecrets: "count/sealedsecrets.bitnami.com",
  rolebindings: "count/rolebindings.rbac.authorization.k8s.io",
  leases: "count/leases.coordination.k8s.io",
} as const;
/**
 * Kinds the Service controllers create per Service, and how many per Service the quota allows:
 * one Endpoints; EndpointSlices one per 100 endpoints and port mapping, two leave room for a
 * Service over a hundred pods (a Service whose pods map its ports differently needs more, and
 * gets its endpoints only partly: the tenant's own doing).
 */
export const SERVICE_COUNT_KEYS = { "count/endpoints": 1, "count/endpointslices.discovery.k8s.io": 2 } as const;
export const EPHEMERAL_QUOTA_KEYS = ["requests.ephemeral-storage", "limits.ephemeral-storage"] as const;

/**
 * The StorageClass tenant claims use: reclaimPolicy Delete, so a deleted claim deletes its Hetzner
 * volume (claim churn leaves no billed volumes behind). Every other class (the platform's, which
 * Retains on protected stacks) is closed to tenants by their quota: `<class>.storageclass...` = 0.
 */
export const TENANT_STORAGE_CLASS = "hcloud-volumes-tenant";
/** Quota keys that close one StorageClass to a namespace. */
export const storageClassQuotaKeys = (cls: string) => [
  `${cls}.storageclass.storage.k8s.io/requests.storage`,
  `${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`,
];

const STORAGE_CLASS_TYPE = "kubernetes:storage.k8s.io/v1:StorageClass";
const CLUSTER_ROLE_TYPE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const FORBIDDEN = ["escalate", "bind", "impersonate", "*"];

const pair = (group: string, kind: string) => `${group || "core"}/${kind}`;
const kindsOf = (v: unknown) =>
  arr(v)
    .map(rec)
    .map((k) => pair(str(k.group), str(k.kind)));
const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join() && new Set(a).size === a.length;

/** Problems with the sync ClusterRole: exactly TENANT_KINDS × SYNC_VERBS, nothing that grants more. */
function syncRoleProblems(role: K8sObject | undefined): string[] {
  if (!role) return [`no ClusterRole ${TENANT_SYNC_ROLE}: tenant syncs would have no rights (or someone else's)`];
  const out: string[] = [];
  const granted: string[] = [];
  arr(role.rules).forEach((raw, i) => {
    const r = rec(raw);
    const verbs = arr(r.verbs).map(str);
    for (const v of verbs) if (FORBIDDEN.includes(v)) out.push(`rules[${i}] grants ${v}`);
    if (arr(r.nonResourceURLs).length) out.push(`rules[${i}] grants nonResourceURLs`);
    if (!sameSet(verbs, [...SYNC_VERBS])) out.push(`rules[${i}] verbs must be exactly ${SYNC_VERBS.join(", ")}`);
    for (const g of arr(r.apiGroups).map(str))
      for (const res of arr(r.resources).map(str)) granted.push(`${g || "core"}/${res}`);
  });
  const want = TENANT_KINDS.map((k) => `${k.group || "core"}/${k.resource}`);
  for (const g of granted) if (!want.includes(g)) out.push(`grants ${g}, which is not a tenant kind`);
  for (const w of want) if (!granted.includes(w)) out.push(`lacks ${w}`);
  if (role.aggregationRule !== undefined) out.push("aggregates other ClusterRoles");
  return out;
}

/** One tenant's sync wiring: project mapping, allow-list, ServiceAccount and its binding. */
function tenantSyncProblems(tenant: string, objects: K8sObject[]): { object?: K8sObject; message: string }[] {
  const out: { object?: K8sObject; message: string }[] = [];
  const project = objects.find((o) => o.kind === "AppProject" && o.metadata?.name === tenant);
  if (project) {
    const spec = rec(project.spec);
    const dsa = arr(spec.destinationServiceAccounts).map(rec);
    const want = `${tenant}:${SYNC_SERVICE_ACCOUNT}`;
    if (
      dsa.length !== 1 ||
      dsa[0].server !== IN_CLUSTER ||
      dsa[0].namespace !== tenant ||
      dsa[0].defaultServiceAccount !== want
    )
      out.push({
        object: project,
        message: `destinationServiceAccounts must be exactly [{ server: ${IN_CLUSTER}, namespace: ${tenant}, defaultServiceAccount: ${want} }]`,
      });
    if (
      !sameSet(
        kindsOf(spec.namespaceResourceWhitelist),
        TENANT_KINDS.map((k) => pair(k.group, k.kind)),
      )
    )
      out.push({
        object: project,
        message: `namespaceResourceWhitelist must be exactly the tenant kinds (${TENANT_KINDS.map((k) => pair(k.group, k.kind)).join(", ")})`,
      });
  } // TEN-ARGO-001 reports a missing project
  const sa = objects.find(
    (o) => o.kind === "ServiceAccount" && o.metadata?.name === SYNC_SERVICE_ACCOUNT && o.metadata?.namespace === tenant,
  );
  if (!sa) out.push({ message: `no ServiceAccount ${SYNC_SERVICE_ACCOUNT} in ${tenant}` });
  const binding = objects.find(
    (o) => o.kind === "RoleBinding" && o.metadata?.name === SYNC_SERVICE_ACCOUNT && o.metadata?.namespace === tenant,
  );
  const subjects = arr(binding?.subjects).map(rec);
  if (!binding) out.push({ message: `no RoleBinding ${SYNC_SERVICE_ACCOUNT} in ${tenant}` });
  else if (
    rec(binding.roleRef).kind !== "ClusterRole" ||
    rec(binding.roleRef).name !== TENANT_SYNC_ROLE ||
    subjects.length !== 1 ||
    subjects[0].kind !== "ServiceAccount" ||
    subjects[0].name !== SYNC_SERVICE_ACCOUNT ||
    subjects[0].namespace !== tenant
  )
    out.push({
      object: binding,
      message: `RoleBinding ${SYNC_SERVICE_ACCOUNT} must bind exactly ServiceAccount ${tenant}/${SYNC_SERVICE_ACCOUNT} to ClusterRole ${TENANT_SYNC_ROLE}`,
    });
  return out;
}

function quantity(v: unknown): bigint | undefined {
  const p = typeof v === "string" || typeof v === "number" ? parseBytes(v) : undefined;
  return p?.ok ? p.value : undefined;
}

/** One tenant's ephemeral-storage budget, in quota and LimitRange (the counts: budgets.ts). */
function ephemeralProblems(tenant: string, objects: K8sObject[]): { object?: K8sObject; message: string }[] {
  const quota = mainQuota(tenant, objects);
  if (!quota) return []; // TEN-QTA-001 reports it
  const hard = rec(rec(quota.spec).hard);
  const out: { object?: K8sObject; message: string }[] = [];
  for (const k of EPHEMERAL_QUOTA_KEYS)
    if (quantity(hard[k]) === undefined) out.push({ object: quota, message: `spec.hard["${k}"] is missing` });
  const lr = objects.find((o) => o.kind === "LimitRange" && o.metadata?.namespace === tenant);
  const item = arr(rec(lr?.spec).limits)
    .map(rec)
    .find((l) => l.type === "Container");
  if (lr && item) {
    const [req, def, max] = [item.defaultRequest, item.default, item.max].map((x) =>
      quantity(rec(x)["ephemeral-storage"]),
    );
    const cap = quantity(hard["requests.ephemeral-storage"]);
    if (req === undefined || def === undefined || max === undefined)
      out.push({ object: lr, message: "Container defaultRequest, default and max must all set ephemeral-storage" });
    else if (!(req <= def && def <= max && (cap === undefined || max <= cap)))
      out.push({
        object: lr,
        message: "ephemeral-storage: defaultRequest ≤ default ≤ max ≤ the quota's requests must hold",
      });
  }
  return out;
}

/**
 * What every node's user-data must carry (issue 14, the node side), as patterns over the
 * rendered cloud-config text: the host guard's rules (components/site/cloudinit.ts) and the API
 * server's admission plugins (components/site/k3s.ts, inside the k3s config file it writes).
 */
export const NODE_REQUIREMENTS: readonly { what: string; pattern: RegExp; servers?: true }[] = [
  {
    what: "the host guard drops pod traffic to the metadata service",
    pattern: /ip saddr \S+ ip daddr 169\.254\.169\.254 counter drop/,
  },
  {
    what: "the host guard drops pod traffic to the node's own public addresses",
    pattern: /ip saddr \S+ ip daddr != \{ \S+, \S+ \} counter drop/,
  },
  {
    what: "the host guard answers the metadata service to root only",
    pattern: /ip daddr 169\.254\.169\.254 meta skuid != 0 counter drop/,
  },
  {
    what: "the API server runs the AlwaysPullImages admission plugin",
    pattern: /enable-admission-plugins=[^\n]*\bAlwaysPullImages\b/,
    servers: true,
  },
  {
    what: "the API server runs the EventRateLimit admission plugin",
    pattern: /enable-admission-plugins=[^\n]*\bEventRateLimit\b/,
    servers: true,
  },
  {
    what: "etcd has an explicit space quota (quota-backend-bytes)",
    pattern: /- quota-backend-bytes=[1-9]\d*\n/,
    servers: true,
  },
  { what: "the kubelet bounds the processes of each pod (pod-max-pids)", pattern: /- pod-max-pids=[1-9]\d*\n/ },
  {
    what: "the kubelet garbage-collects images and evicts before the image filesystem fills",
    pattern: /- image-gc-high-threshold=\d+\n[\s\S]*- eviction-hard=[^\n]*imagefs\.available</,
  },
];

const SERVER_TYPE = "hcloud:index/server:Server";
const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
/** The Argo CD Helm release's name (components/platform/argocd.ts). */
export const ARGOCD_RELEASE = "argocd";

/**
 * argocd-secret keys for every webhook kind Argo CD accepts. A kind without its secret is
 * accepted unauthenticated (anyone reaching the endpoint can trigger refreshes at will), so all
 * carry the one generated secret (components/platform/argocd.ts).
 */
export const WEBHOOK_SECRET_KEYS = [
  "webhook.github.secret",
  "webhook.gitlab.secret",
  "webhook.bitbucket.uuid",
  "webhook.bitbucketserver.secret",
  "webhook.gogs.secret",
  "webhook.azuredevops.password",
  "webhook.harbor.secret",
  "webhook.dockerhub.secret",
] as const;

const WRITE = ["create", "update", "patch", "delete", "deletecollection", "*", "escalate", "bind"];

/** Problems with the Argo CD chart values: impersonation, the controller's rights, webhook secrets. */
export function argocdValuesProblems(values: Record<string, unknown>): string[] {
  const out: string[] = [];
  const configs = rec(values.configs);
  const cm = rec(configs.cm);
  if (cm["application.sync.impersonation.enabled"] !== "true")
    out.push('configs.cm "application.sync.impersonation.enabled" must be "true": syncs would run as the controller');
  if (cm["application.sync.impersonation.enforced"] === "false")
    out.push(
      'configs.cm "application.sync.impersonation.enforced" must not be "false": a project without a mapping would fall back to the controller',
    );
  const crr = rec(rec(values.controller).clusterRoleRules);
  if (crr.enabled !== true)
    out.push("controller.clusterRoleRules must be enabled: the chart's default ClusterRole is `*` on `*`");
  arr(crr.rules).forEach((raw, i) => {
    const r = rec(raw);
    const verbs = arr(r.verbs).map(str);
    const resources = arr(r.resources).map(str);
    if (verbs.includes("impersonate") || verbs.includes("*")) {
      const names = arr(r.resourceNames).map(str);
      // Only the platform's own sync account: tenants are synced by the tenant Argo CD (TEN-ARGO-005).
      if (
        resources.join() !== "serviceaccounts" ||
        names.length === 0 ||
        names.some((n) => n !== PLATFORM_SYNC_SERVICE_ACCOUNT)
      )
        out.push(`controller rules[${i}] may impersonate more than ${PLATFORM_SYNC_SERVICE_ACCOUNT}`);
    }
    if (verbs.some((v) => WRITE.includes(v)) && resources.join() !== "events")
      out.push(`controller rules[${i}] writes ${resources.join(", ")}: the controller's own writes are events only`);
  });
  const extra = rec(rec(configs.secret).extra);
  for (const k of WEBHOOK_SECRET_KEYS)
    if (typeof extra[k] !== "string" || extra[k] === "")
      out.push(`configs.secret.extra["${k}"] is not set: that webhook kind would be accepted unauthenticated`);
  return out;
}

export const HARDENING_RULES: Rule[] = [
  {
    id: "TEN-ARGO-003",
    description: `Argo CD syncs each tenant as its ServiceAccount ${SYNC_SERVICE_ACCOUNT} (destinationServiceAccounts), bound in its namespace to ClusterRole ${TENANT_SYNC_ROLE}, which grants exactly the tenant kinds the AppProject allow-lists`,
    fix: "build the project, ServiceAccount and RoleBinding with components/tenant/manifests.ts (appProject, syncServiceAccount, syncBinding) and the ClusterRole with components/tenant/shared.ts syncClusterRole(); change the kinds in components/rules/hardening.ts TENANT_KINDS only",
    enforcedIn: ["plan", "preview"],
    check(resources, site) {
      const roleRes = resources.find(
        (r) => r.type === CLUSTER_ROLE_TYPE && rec(r.inputs.metadata).name === TENANT_SYNC_ROLE,
      );
      const out: Violation[] = syncRoleProblems(roleRes?.inputs as K8sObject | undefined).map((message) => ({
        rule: "TEN-ARGO-003",
        urn: roleRes?.urn ?? platformUrn(resources),
        message: `ClusterRole ${TENANT_SYNC_ROLE}: ${message}`,
      }));
      return [...out, ...perTenant("TEN-ARGO-003", resources, site, tenantSyncProblems)];
    },
  },
  {
    id: "TEN-QTA-002",
    description:
      "a tenant's quota counts every kind its identities can create (what the tenant-admin and sync roles allow) and every kind controllers create for those (ReplicaSets, pods, ControllerRevisions, Jobs, Endpoints, EndpointSlices, Secrets), plus the platform's RoleBindings; and bounds ephemeral-storage, which its LimitRange defaults and caps",
    fix: "size the counts and ephemeral storage per tier in components/tenant/presets.ts (a new kind: its key in components/rules/hardening.ts OBJECT_COUNT_KEYS); build the quota and LimitRange with components/tenant/manifests.ts",
    enforcedIn: ["plan", "preview"],
    check: (resources, site) => [
      ...countViolations(resources, site),
      ...perTenant("TEN-QTA-002", resources, site, ephemeralProblems),
    ],
  },
  {
    id: "TEN-PVC-001",
    description: `tenant claims can use only StorageClass ${TENANT_STORAGE_CLASS} (reclaimPolicy Delete, not the default); every other class is zero in the tenant quota`,
    fix: `declare ${TENANT_STORAGE_CLASS} with reclaimPolicy Delete (components/platform/hcloud.ts) and zero <class>.storageclass.storage.k8s.io quotas for every other class (components/tenant/manifests.ts resourceQuota)`,
    enforcedIn: ["plan", "preview"],
    check(resources, site) {
      const classes = resources.filter((r) => r.type === STORAGE_CLASS_TYPE);
      const out: Violation[] = [];
      const tenantClass = classes.find((r) => rec(r.inputs.metadata).name === TENANT_STORAGE_CLASS);
      if (!tenantClass)
        out.push({
          rule: "TEN-PVC-001",
          urn: platformUrn(resources),
          message: `no StorageClass ${TENANT_STORAGE_CLASS}`,
        });
      else {
        if (tenantClass.inputs.reclaimPolicy !== "Delete")
          out.push({
            rule: "TEN-PVC-001",
            urn: tenantClass.urn,
            message: `${TENANT_STORAGE_CLASS} must have reclaimPolicy Delete: a retained volume outlives its claim, billed and unseen`,
          });
        const ann = rec(rec(tenantClass.inputs.metadata).annotations);
        if (ann["storageclass.kubernetes.io/is-default-class"] === "true")
          out.push({
            rule: "TEN-PVC-001",
            urn: tenantClass.urn,
            message: `${TENANT_STORAGE_CLASS} must not be the default class: the platform's claims without a class must keep Retain`,
          });
      }
      const others = classes.map((r) => str(rec(r.inputs.metadata).name)).filter((n) => n !== TENANT_STORAGE_CLASS);
      out.push(
        ...perTenant("TEN-PVC-001", resources, site, (tenant, objects) => {
          const quota = mainQuota(tenant, objects);
          if (!quota) return [];
          const hard = rec(rec(quota.spec).hard);
          return others.flatMap((cls) =>
            storageClassQuotaKeys(cls)
              .filter((k) => String(hard[k]) !== "0")
              .map((k) => ({
                object: quota,
                message: `spec.hard["${k}"] must be "0": class ${cls} is not for tenants`,
              })),
          );
        }),
      );
      return out;
    },
  },
];

/** What a preview alone can see (the values are secret in the plan), for Argo CD's own set-up. */
export const ARGOCD_RULES: Rule[] = [
  {
    id: "TEN-ARGO-004",
    description:
      "the platform's Argo CD runs with sync impersonation enabled and enforced, its controller reading all and impersonating only argocd-platform-sync (never a tenant's sync account), and every webhook kind authenticated by a secret",
    fix: "build the argo-cd values with components/platform/argocd.ts argocdValues() (configs.cm, controller.clusterRoleRules, configs.secret.extra webhook.*)",
    enforcedIn: ["preview"],
    notEnforcedIn: {
      plan: "the release's values are a secret (they carry the admin password hash), so the plan records only the marker; test/hardening.test.ts checks argocdValues() instead",
    },
    check(resources) {
      return resources
        .filter((r) => r.type === RELEASE_TYPE && r.inputs.name === ARGOCD_RELEASE)
        .flatMap((r) => {
          const v = r.inputs.values;
          // The plan's marker, or the policy tests' placeholder: nothing to read.
          if (!v || typeof v !== "object" || Array.isArray(v)) return [];
          return argocdValuesProblems(v as Record<string, unknown>).map((message) => ({
            rule: "TEN-ARGO-004",
            urn: r.urn,
            message,
          }));
        });
    },
  },
];

/** The node side: what user-data must carry (visible to a preview, which decrypts it). */
export const NODE_RULES: Rule[] = [
  {
    id: "SITE-NODE-001",
    description:
      "every node's user-data installs the host guard (pods reach neither the metadata service nor the node's public addresses; metadata answers root only) and the kubelet's process, image and eviction bounds; control planes run AlwaysPullImages and EventRateLimit and give etcd an explicit quota",
    fix: "render user-data with components/site/cloudinit.ts (hostGuardRules) and k3s.ts (ADMISSION_PLUGINS, KUBELET_ARGS, etcd-arg); never hand-edit a node's user-data",
    enforcedIn: ["preview"],
    notEnforcedIn: {
      plan: "user-data is a secret, so the plan records only its marker; test/hardening.test.ts renders every role's user-data and checks it (and its rules with nft -c) instead",
    },
    check(resources) {
      const out: Violation[] = [];
      for (const r of resources.filter((x) => x.type === SERVER_TYPE)) {
        const text = r.inputs.userData;
        // Only cloud-config text is judged: the plan records the secret's marker (a preview sees
        // the text decrypted), and a value that is no cloud-config is not user-data this program
        // rendered (the policy tests' engine placeholder); SEC-001 covers user-data in clear.
        if (typeof text !== "string" || text === SECRET || text === UNKNOWN || !text.startsWith("#cloud-config"))
          continue;
        const server = rec(r.inputs.labels)["platform.video/role"] === "control-plane";
        for (const req of NODE_REQUIREMENTS)
          if ((!req.servers || server) && !req.pattern.test(text))
            out.push({ rule: "SITE-NODE-001", urn: r.urn, message: `user-data lacks: ${req.what}` });
      }
      return out;
    },
  },
];
