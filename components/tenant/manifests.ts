/**
 * The Kubernetes objects a tenant gets, as pure functions of its spec and the site config:
 * complete manifests (apiVersion and kind included) typed with @pulumi/kubernetes's input types.
 * The component registers them (platform/kube-object.ts); tests and rules read them as plain
 * manifests. Every object has an explicit, stable metadata.name (never auto-named: a rename would
 * be a replace), and objects inside the namespace name it as a plain string: the component orders
 * them after the Namespace with dependsOn, which costs the SDK less than an Output per object.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import {
  OBJECT_COUNT_KEYS,
  SERVICE_COUNT_KEYS,
  storageClassQuotaKeys,
  TENANT_KINDS,
  TENANT_STORAGE_CLASS,
} from "../rules/hardening";
import { LIVE_QUOTA, LIVE_SCOPE } from "../rules/budgets";
import { formatBytes, formatCpu } from "./quantity";
import { bytesOf, cpuOf } from "./sizing";
import {
  INGEST_NAMESPACE_LABEL,
  INGEST_TAINT,
  INGEST_WORKLOAD_LABEL,
  TENANT_PRIORITY_CLASSES,
} from "../rules/workloads";
import { PRESETS } from "./presets";
import type { TenantSpec } from "./load";
import type { NamedMeta } from "../platform/kube-object";
import { DOMAINS_ANNOTATION } from "../rules/admission";
import { blockedRangesOf } from "../rules/context";
import { EDGE_PROXY, IN_CLUSTER, PLATFORM_NAMESPACES, STORAGE_CLASS } from "../platform/namespaces";
import { K8sObject, RuleContext, WRITE_VERBS } from "../rules/tenant-objects";
import {
  GUARDRAIL_KINDS,
  PSS_LEVEL,
  PSS_MODES,
  SYNC_SERVICE_ACCOUNT,
  TENANT_ADMIN_ROLE,
  TENANT_LABEL,
  TENANT_SYNC_ROLE,
} from "./contract";

/**
 * Pod Security Standards version the tenant namespaces are checked against. Pinned, not
 * "latest": a k3s upgrade must not change what tenant pods may do; moving it is its own reviewed
 * change (a test keeps it no newer than the stacks' k3s).
 */
export const PSS_VERSION = "v1.36";

/** Names of the objects inside the tenant namespace: the same in every tenant. */
export const OBJECT_NAMES = {
  quota: "tenant-quota",
  limits: "tenant-limits",
  networkPolicy: "tenant-isolation",
  roleBinding: "tenant-admin",
  streamKeySecret: "stream-key",
} as const;

/** The key inside the stream-key Secret (the tenant chart mounts it). */
export const STREAM_KEY_FIELD = "stream-key";

/** Where cluster DNS runs (k3s's CoreDNS keeps kube-dns's namespace and pod label). */
export const KUBE_DNS = { namespace: "kube-system", podLabel: { "k8s-app": "kube-dns" } } as const;

export function labels(spec: TenantSpec): Record<string, string> {
  return { [TENANT_LABEL]: spec.name, "app.kubernetes.io/managed-by": "pulumi" };
}

/** Ranges tenant pods must never reach: the cloud metadata address and the site's private ranges. */
export function blockedRanges(config: Pick<StackConfig, "site" | "k3s">): string[] {
  return blockedRangesOf(config.site.networkCidr, config.k3s.clusterCidr, config.k3s.serviceCidr);
}

export function ruleContext(spec: TenantSpec, config: Pick<StackConfig, "site" | "k3s">): RuleContext {
  return {
    tenant: spec.name,
    repoURL: spec.gitops.repoURL,
    ingressNamespace: PLATFORM_NAMESPACES.ingress,
    edgePodLabels: { ...EDGE_PROXY.podLabels },
    blockedRanges: blockedRanges(config),
    adminRole: adminClusterRole() as unknown as K8sObject,
  };
}

/** A manifest of a given input type with its apiVersion, kind and a fixed metadata.name required. */
type Manifest<T, V extends string, K extends string> = T & { apiVersion: V; kind: K; metadata: NamedMeta };

export function namespace(spec: TenantSpec): Manifest<k8s.types.input.core.v1.Namespace, "v1", "Namespace"> {
  const pss: Record<string, string> = {};
  for (const mode of PSS_MODES) {
    pss[`pod-security.kubernetes.io/${mode}`] = PSS_LEVEL;
    pss[`pod-security.kubernetes.io/${mode}-version`] = PSS_VERSION;
  }
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: spec.name,
      labels: {
        ...labels(spec),
        "platform.video/tier": spec.tier,
        ...(spec.decommission ? { "platform.video/decommission": "true" } : {}),
        // Its ingest pods may tolerate the ingest pool's taint (TEN-SCHED-001 reads this label).
        ...(spec.ingest.workers > 0 ? { [INGEST_NAMESPACE_LABEL]: "true" } : {}),
        ...pss,
      },
      annotations: {
        "platform.video/display-name": spec.displayName,
        // What the cluster admits as this tenant's route host names (TEN-RTE-001, an admission
        // policy reads it from the namespace): on the Namespace, so it costs no extra object.
        [DOMAINS_ANNOTATION]: spec.domains.join(","),
      },
    },
  };
}

export function resourceQuota(
  spec: TenantSpec,
): Manifest<k8s.types.input.core.v1.ResourceQuota, "v1", "ResourceQuota"> {
  const q = spec.quota;
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: OBJECT_NAMES.quota, namespace: spec.name, labels: labels(spec) },
    spec: {
      hard: {
        "requests.cpu": q.cpu,
        "limits.cpu": q.limitsCpu,
        "requests.memory": q.memory,
        "limits.memory": q.limitsMemory,
        "requests.storage": q.storage,
        pods: String(q.pods),
        services: String(q.services),
        persistentvolumeclaims: String(q.persistentVolumeClaims),
        // Tenants are reached through the platform's ingress only: a NodePort opens a port on
        // every node, a LoadBalancer buys a Hetzner load balancer on the platform's bill.
        "services.nodeports": "0",
        "services.loadbalancers": "0",
        ...objectBudget(spec),
      },
    },
  };
}

/**
 * The quota keys of issues 14 and 25 (TEN-QTA-002, TEN-PVC-001): a count for every kind the
 * tenant can create or controllers create for it (Endpoints and EndpointSlices per Service),
 * node-local disk, and no claim on any StorageClass but the tenant one.
 */
function objectBudget(spec: TenantSpec): Record<string, string> {
  const p = PRESETS[spec.tier];
  const hard: Record<string, string> = {};
  for (const [field, key] of Object.entries(OBJECT_COUNT_KEYS))
    hard[key] = String(p.objects[field as keyof typeof OBJECT_COUNT_KEYS]);
  for (const [key, perService] of Object.entries(SERVICE_COUNT_KEYS))
    hard[key] = String(spec.quota.services * perService);
  const e = p.ephemeralStorage;
  hard["requests.ephemeral-storage"] = e.quota;
  // Like memory, disk is not compressible: limits only twice the requests.
  hard["limits.ephemeral-storage"] = doubled(e.quota);
  for (const k of storageClassQuotaKeys(STORAGE_CLASS)) hard[k] = "0";
  return hard;
}

/**
 * The tenant-live budget (TEN-PRIO-002): pods of PriorityClass tenant-live may use exactly the
 * file's ingest workers (their count, and their CPU and memory, requests = limits), and no more.
 * Pods tolerating the ingest pool's taint must be of that class (TEN-SCHED-001), so this is also
 * the most a tenant can make the autoscaler buy ingest nodes for. A tenant without workers gets 0.
 */
export function liveQuota(spec: TenantSpec): Manifest<k8s.types.input.core.v1.ResourceQuota, "v1", "ResourceQuota"> {
  const workers = BigInt(spec.ingest.workers);
  const cpu = formatCpu(cpuOf(spec.ingest.cpu) * workers);
  const memory = formatBytes(bytesOf(spec.ingest.memory) * workers);
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: LIVE_QUOTA, namespace: spec.name, labels: labels(spec) },
    spec: {
      hard: {
        pods: String(spec.ingest.workers),
        "requests.cpu": cpu,
        "limits.cpu": cpu,
        "requests.memory": memory,
        "limits.memory": memory,
      },
      scopeSelector: structuredClone(LIVE_SCOPE),
    },
  };
}

/** "10Gi" → "20Gi" (preset quantities are whole numbers with a binary suffix). */
export function doubled(q: string): string {
  const m = /^(\d+)([KMGT]i)$/.exec(q);
  if (!m) throw new Error(`ephemeral storage preset ${q} must be a whole number of Ki/Mi/Gi/Ti`);
  return `${Number(m[1]) * 2}${m[2]}`;
}

export function limitRange(spec: TenantSpec): Manifest<k8s.types.input.core.v1.LimitRange, "v1", "LimitRange"> {
  const c = spec.container;
  const e = PRESETS[spec.tier].ephemeralStorage;
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: { name: OBJECT_NAMES.limits, namespace: spec.name, labels: labels(spec) },
    // A quota on requests/limits makes pods without them unschedulable; these defaults fill them
    // in, and max keeps one container from taking the whole budget (while fitting an ingest worker).
    // ephemeral-storage likewise: the quota on it needs every container to declare it.
    spec: {
      limits: [
        {
          type: "Container",
          defaultRequest: { ...c.defaultRequest, "ephemeral-storage": e.defaultRequest },
          default: { ...c.default, "ephemeral-storage": e.default },
          max: { ...c.max, "ephemeral-storage": e.max },
        },
      ],
    },
  };
}

/**
 * Every port but 53, per protocol: DNS goes to kube-dns only, everything else may leave. Port
 * ranges (endPort, GA in 1.25) are enforced by k3s's network policy controller, kube-router
 * (cloudnativelabs/kube-router#1080); a controller without endPort would allow only ports 1 and
 * 54, failing closed rather than open.
 */
const NOT_DNS = (["TCP", "UDP"] as const).flatMap((protocol) => [
  { protocol, port: 1, endPort: 52 },
  { protocol, port: 54, endPort: 65535 },
]);

/**
 * ONE NetworkPolicy for all of the tenant's traffic rules. Policies are additive: a pod selected
 * by any policy for a direction is denied everything no policy allows, and the allowed set is the
 * union of all rules. So "default deny + DNS + intra-namespace + ingress controller + internet"
 * as five policies and as one policy with these rules admit exactly the same traffic; one object
 * is one API call per preview/up instead of five. The rules:
 * - ingress: from pods of this namespace, and from the edge proxy's pods (EDGE_PROXY: its pod
 *   labels in its namespace, not everything that runs there), on any port of the tenant's pods;
 * - egress: to pods of this namespace; to kube-dns on port 53; to any IPv4 address on any port
 *   but 53, except the metadata address and the site's private ranges (nodes, pods, services:
 *   other tenants and the platform are reached through their ingress, like from the internet).
 * The cluster is IPv4-only (k3s's cluster and service CIDRs), so no IPv6 egress rule is needed.
 */
export function networkPolicy(
  spec: TenantSpec,
  config: Pick<StackConfig, "site" | "k3s">,
): Manifest<k8s.types.input.networking.v1.NetworkPolicy, "networking.k8s.io/v1", "NetworkPolicy"> {
  const nsSelector = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: OBJECT_NAMES.networkPolicy, namespace: spec.name, labels: labels(spec) },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [
            { podSelector: {} },
            {
              namespaceSelector: nsSelector(EDGE_PROXY.namespace),
              podSelector: { matchLabels: { ...EDGE_PROXY.podLabels } },
            },
          ],
        },
      ],
      egress: [
        { to: [{ podSelector: {} }] },
        {
          to: [{ namespaceSelector: nsSelector(KUBE_DNS.namespace), podSelector: { matchLabels: KUBE_DNS.podLabel } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: blockedRanges(config) } }], ports: NOT_DNS },
      ],
    },
  };
}

const READ = ["get", "list", "watch"];
const ALL = [...READ, ...WRITE_VERBS];
const guardrailResources = (group: string) =>
  GUARDRAIL_KINDS.filter((g) => g.group === group).map((g) => g.resource as string);

/**
 * The ClusterRole every tenant's admin groups are bound to, inside their own namespace only. One
 * object for the whole site instead of a Role per tenant: a RoleBinding that references a
 * ClusterRole grants its rules in the binding's namespace and nowhere else (the Kubernetes RBAC
 * documentation's pattern for "a set of common roles reused within multiple namespaces"), so the
 * rights are the same as a per-namespace copy, defined once, and one object fewer per tenant on
 * every preview and up. It carries no aggregation rule or aggregate-to-* label, so nothing outside
 * this definition can add to it; tenants can neither write RoleBindings (a guardrail) nor create
 * cluster-scoped objects, so they cannot bind it, or anything else, anywhere else.
 */
export { TENANT_ADMIN_ROLE };

/**
 * What an app team may do inside its namespace: explicitly listed (no wildcards: a new resource
 * type must not become writable by itself), read-only on its guardrails, nothing that grants more
 * (escalate, bind, impersonate) and nothing cluster-wide.
 */
export function adminRules(): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    {
      apiGroups: [""],
      resources: ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts"],
      verbs: ALL,
    },
    { apiGroups: [""], resources: ["pods/log", "events", ...guardrailResources("")], verbs: READ },
    { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["get", "create"] },
    { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "replicasets"], verbs: ALL },
    {
      apiGroups: ["apps"],
      resources: ["deployments/scale", "statefulsets/scale"],
      verbs: ["get", "update", "patch"],
    },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ALL },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ALL },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ALL },
    // Tenants publish with routes only (docs/tenant-contract.md): no Ingress, Gateway,
    // ListenerSet, ReferenceGrant, Envoy Gateway policy or cert-manager object.
    { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes", "grpcroutes"], verbs: ALL },
    { apiGroups: ["networking.k8s.io"], resources: guardrailResources("networking.k8s.io"), verbs: READ },
    { apiGroups: ["discovery.k8s.io"], resources: guardrailResources("discovery.k8s.io"), verbs: READ },
    {
      apiGroups: ["rbac.authorization.k8s.io"],
      resources: guardrailResources("rbac.authorization.k8s.io"),
      verbs: READ,
    },
  ];
}

/** The tenant admin ClusterRole (registered once by the platform). */
export function adminClusterRole(): Manifest<
  k8s.types.input.rbac.v1.ClusterRole,
  "rbac.authorization.k8s.io/v1",
  "ClusterRole"
> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: TENANT_ADMIN_ROLE, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    rules: adminRules(),
  };
}

/** Binds the tenant's admin groups to the tenant admin ClusterRole, in the tenant's namespace. */
export function adminBinding(
  spec: TenantSpec,
): Manifest<k8s.types.input.rbac.v1.RoleBinding, "rbac.authorization.k8s.io/v1", "RoleBinding"> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: OBJECT_NAMES.roleBinding, namespace: spec.name, labels: labels(spec) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: TENANT_ADMIN_ROLE },
    subjects: spec.admins.map((g) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: g })),
  };
}

export function streamKeySecret(
  spec: TenantSpec,
  key: pulumi.Input<string>,
): Manifest<k8s.types.input.core.v1.Secret, "v1", "Secret"> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: OBJECT_NAMES.streamKeySecret, namespace: spec.name, labels: labels(spec) },
    type: "Opaque",
    stringData: { [STREAM_KEY_FIELD]: key },
  };
}

export const ARGO_API = "argoproj.io/v1alpha1";

/**
 * The tenant's ArgoCD project, in the tenant-facing instance's namespace (never the platform's):
 * its one repository, its one namespace, no cluster-scoped objects
 * (an empty whitelist admits none), an allow-list of namespaced kinds (TENANT_KINDS: no RBAC,
 * quota, limits, network policy, edge or issuer kinds), and the identity syncs run as: Argo CD
 * impersonates the tenant's ServiceAccount (destinationServiceAccounts), so Kubernetes RBAC
 * confines the repository too, not only this project's logic.
 */
export function appProject(
  spec: TenantSpec,
): Manifest<k8s.apiextensions.CustomResourceArgs, typeof ARGO_API, "AppProject"> {
  return {
    apiVersion: ARGO_API,
    kind: "AppProject",
    metadata: { name: spec.name, namespace: PLATFORM_NAMESPACES.argocdTenants, labels: labels(spec) },
    spec: {
      description: `${spec.displayName} (tenant ${spec.name}, ${spec.tier})`,
      sourceRepos: [spec.gitops.repoURL],
      destinations: [{ server: IN_CLUSTER, namespace: spec.name }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: TENANT_KINDS.map((k) => ({ group: k.group, kind: k.kind })),
      destinationServiceAccounts: [
        { server: IN_CLUSTER, namespace: spec.name, defaultServiceAccount: `${spec.name}:${SYNC_SERVICE_ACCOUNT}` },
      ],
    },
  };
}

/** The ServiceAccount Argo CD syncs the tenant as (no token mounted: nothing runs as it). */
export function syncServiceAccount(
  spec: TenantSpec,
): Manifest<k8s.types.input.core.v1.ServiceAccount, "v1", "ServiceAccount"> {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: SYNC_SERVICE_ACCOUNT, namespace: spec.name, labels: labels(spec) },
    automountServiceAccountToken: false,
  };
}

/** Binds the sync ServiceAccount to the platform's sync ClusterRole, in the tenant's namespace only. */
export function syncBinding(
  spec: TenantSpec,
): Manifest<k8s.types.input.rbac.v1.RoleBinding, "rbac.authorization.k8s.io/v1", "RoleBinding"> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: SYNC_SERVICE_ACCOUNT, namespace: spec.name, labels: labels(spec) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: TENANT_SYNC_ROLE },
    subjects: [{ kind: "ServiceAccount", name: SYNC_SERVICE_ACCOUNT, namespace: spec.name }],
  };
}

/** Helm values the tenant's chart receives: the platform decides sizing, ArgoCD keeps it true. */
export function helmValues(spec: TenantSpec): Record<string, unknown> {
  const perWorker = { cpu: spec.ingest.cpu, memory: spec.ingest.memory };
  return {
    tenant: { name: spec.name, displayName: spec.displayName, tier: spec.tier, domains: spec.domains },
    // requests = limits: Guaranteed QoS, so a live ingest is neither throttled below its size
    // nor the first evicted when a node runs short.
    ingest: {
      workers: spec.ingest.workers,
      resources: { requests: perWorker, limits: perWorker },
      // What lets the workers onto the dedicated ingest pool (TEN-SCHED-001): the label marks
      // them as ingest pods, the toleration matches the pool's taint, the class ranks them above
      // the tenant's other pods when a node runs short.
      podLabels: { [INGEST_WORKLOAD_LABEL.key]: INGEST_WORKLOAD_LABEL.value },
      tolerations: [
        { key: INGEST_TAINT.key, operator: "Equal", value: INGEST_TAINT.value, effect: INGEST_TAINT.effect },
      ],
      priorityClassName: TENANT_PRIORITY_CLASSES.live,
    },
    // Claims must name it: every other class is zero in the tenant's quota (TEN-PVC-001).
    storage: { className: TENANT_STORAGE_CLASS },
    priorityClassName: TENANT_PRIORITY_CLASSES.standard,
    streamKey: { secretName: OBJECT_NAMES.streamKeySecret, key: STREAM_KEY_FIELD },
  };
}

/**
 * The tenant's Application, rendered and synced by the tenant-facing Argo CD (it lives in that
 * instance's namespace): its repo's chart into its namespace, within its project, pruned and
 * self-healed. No resources finalizer on purpose: deleting the Application (e.g. a removed
 * tenant file in staging) must not cascade into deleting the customer's workloads and volumes;
 * the namespace's own lifecycle decides that.
 */
export function application(
  spec: TenantSpec,
): Manifest<k8s.apiextensions.CustomResourceArgs, typeof ARGO_API, "Application"> {
  return {
    apiVersion: ARGO_API,
    kind: "Application",
    metadata: { name: spec.name, namespace: PLATFORM_NAMESPACES.argocdTenants, labels: labels(spec) },
    spec: {
      project: spec.name,
      source: {
        repoURL: spec.gitops.repoURL,
        path: spec.gitops.path,
        targetRevision: spec.gitops.targetRevision,
        helm: { releaseName: spec.name, valuesObject: helmValues(spec) },
      },
      destination: { server: IN_CLUSTER, namespace: spec.name },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        // Refuse to adopt objects another Application already manages (another tenant's).
        syncOptions: ["FailOnSharedResource=true"],
        retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
      },
    },
  };
}
