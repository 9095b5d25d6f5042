/**
 * k3s configuration as data: /etc/rancher/k3s/config.yaml per node role, and the files the CIS
 * hardening guide asks for (docs.k3s.io/security/hardening-guide). Pure functions of plain values;
 * cloudinit.ts writes their output to disk before k3s first starts.
 */
import { stringify } from "yaml";
import { SERVER_TYPES } from "./catalog";

/** Where k3s keeps server state; the CIS guide's file locations are below it. */
export const K3S_SERVER_DIR = "/var/lib/rancher/k3s/server";
/** The API server's admission configuration: Pod Security defaults and EventRateLimit's limits. */
export const ADMISSION_CONFIG_PATH = `${K3S_SERVER_DIR}/admission.yaml`;
export const AUDIT_POLICY_PATH = `${K3S_SERVER_DIR}/audit.yaml`;
export const AUDIT_LOG_DIR = `${K3S_SERVER_DIR}/logs`;
export const K3S_CONFIG_PATH = "/etc/rancher/k3s/config.yaml";
/** Drop-ins merged after config.yaml (k3s ≥ 1.21); the bootstrap script writes what only the host knows. */
export const K3S_CONFIG_DROPIN_DIR = "/etc/rancher/k3s/config.yaml.d";
export const SYSCTL_PATH = "/etc/sysctl.d/90-kubelet.conf";

/**
 * Kernel parameters kubelet's protect-kernel-defaults insists on (it exits when they differ). The
 * CIS guide lists the first four; the key quotas are the other two values kubelet checks, set
 * explicitly so a distribution default can never stop a node from joining.
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, number>> = {
  "vm.panic_on_oom": 0,
  "vm.overcommit_memory": 1,
  "kernel.panic": 10,
  "kernel.panic_on_oops": 1,
  "kernel.keys.root_maxkeys": 1000000,
  "kernel.keys.root_maxbytes": 25000000,
};

export function sysctlFile(): string {
  return (
    "# kubelet --protect-kernel-defaults refuses to start unless these match (k3s CIS hardening guide).\n" +
    Object.entries(KUBELET_SYSCTLS)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") +
    "\n"
  );
}

/**
 * Admission plugins, from the CIS guide. NodeRestriction keeps a kubelet to its own Node and pods;
 * PodSecurity enforces the cluster default below. AlwaysPullImages (issue 14): without it a pod
 * whose image is already on the node starts without the registry checking its pull secret, so one
 * tenant could run another tenant's private image cached there. The cost: every pod start asks the
 * registry for the image manifest (layers already on the node are not downloaded again), so a
 * registry outage stops new pods and Docker Hub counts each start against its pull rate limit.
 * That concern is answered by pulling from mirrors: every platform image's registry is one line in
 * components/versions.ts REGISTRIES (point docker.io images at a pull-through mirror there), and
 * tenants pull from their own registries with their own credentials.
 */
export const ADMISSION_PLUGINS = [
  "NodeRestriction",
  "NamespaceLifecycle",
  "ServiceAccount",
  "PodSecurity",
  "AlwaysPullImages",
  "EventRateLimit",
];

/**
 * EventRateLimit's limits (issue 25). Tenants write no Events (their roles only read them), but
 * the kubelet and the controllers write them about tenant objects at whatever rate a tenant's pods
 * provoke (crash loops, failing probes, churn), and ResourceQuota cannot count them (Kubernetes
 * ignores Events in quota: k8s.io/kubernetes pkg/quota/v1/install/registry.go). Per namespace a
 * burst of 100, then 1 a second; across the server 500, then 50 a second. Past that the API
 * server answers 429 and the writer drops the event (the kubelet logs it). A rollout of 50 pods
 * writes about 300 events over a few minutes: the burst and the refill cover it. The namespace
 * bucket, the event TTL and TEN-EVT-001's size bound give the etcd budget its events term
 * (components/rules/budgets.ts). The plugin matches core/v1 Events only (it compares the
 * request's GroupKind with the core Event, plugin/pkg/admission/eventratelimit/admission.go at
 * v1.37.2): events.k8s.io/v1 writes (the scheduler's, one per pod scheduled) are not limited.
 */
export const EVENT_RATE_LIMITS = {
  server: { qps: 50, burst: 500 },
  namespace: { qps: 1, burst: 100 },
} as const;

/**
 * How long the API server keeps an Event (kube-apiserver --event-ttl). Its default, written out:
 * the etcd budget counts the events a namespace's rate limit lets in over this time.
 */
export const EVENT_TTL_SECONDS = 3600;

/** etcd's suggested maximum space quota: it warns at start above it (server/storage/quota.go, v3.7.0). */
export const ETCD_QUOTA_MAX_BYTES = 8 * 2 ** 30;

/**
 * The datastore's space quota (etcd --quota-backend-bytes) on a control plane of `serverType`:
 * half its memory, at most etcd's suggested 8 GiB. etcd maps its whole database into memory and
 * the API server's watch cache holds every object decoded besides, so a datastore filled to its
 * quota must leave the node room for both; k3s would keep etcd's default of 2 GiB. When the
 * database reaches the quota, etcd raises its NOSPACE alarm and refuses every write, which makes
 * the cluster read-only: TEN-ETCD-001 keeps the tenants' worst case inside it.
 */
export function etcdQuotaBytes(serverType: string): number {
  const t = SERVER_TYPES[serverType];
  if (!t) throw new Error(`unknown control-plane server type ${serverType}`);
  return Math.min(ETCD_QUOTA_MAX_BYTES, (t.memoryGiB * 2 ** 30) / 2);
}

/*
 * Checked for k3s v1.36.4+k3s1 on 2026-12-06 (and v1.37.2+k3s1 on 2026-11-30): every kube-apiserver,
 * kube-controller-manager, kubelet and kube-proxy flag below is defined in k8s.io/kubernetes v1.36.4 (the kubelet
 * ones are marked "set via the config file", deprecated but working, as since 1.2x), the admission
 * plugins all exist, and no feature gate is set; k3s's own config keys (k3sConfig) are all on
 * docs.k3s.io/cli/server. A flag Kubernetes removes makes the component exit at start: re-check
 * these on every minor a Renovate k3s PR proposes.
 * Issue 25, checked 2026-12-06: `etcd-arg` is k3s's server flag for etcd's own settings (k3s-io/k3s
 * pkg/cli/cmds/server.go; pkg/daemons/executor ToConfigFile writes each key=value into etcd's
 * config file, whole numbers as integers), read in the k3s module of the Go module cache (k3s
 * main of 2026-02-11: the module proxy serves no v1.37 tags) and on docs.k3s.io/cli/server;
 * `quota-backend-bytes` is etcd's key (go.etcd.io/etcd server/v3 v3.7.0 embed/config.go), and
 * test:cluster starts etcd with it. The kubelet-arg flags and values are checked by kubelet
 * v1.37.2's own parser and validation in test:cluster (tools/kube/kubelet-flags).
 */
export const KUBE_APISERVER_ARGS: readonly string[] = [
  `admission-control-config-file=${ADMISSION_CONFIG_PATH}`,
  `enable-admission-plugins=${ADMISSION_PLUGINS.join(",")}`,
  `audit-policy-file=${AUDIT_POLICY_PATH}`,
  `audit-log-path=${AUDIT_LOG_DIR}/audit.log`,
  // Rotation: 10 files of 100 MB, kept 30 days (CIS 1.2.23-1.2.25).
  "audit-log-maxage=30",
  "audit-log-maxbackup=10",
  "audit-log-maxsize=100",
  "request-timeout=300s",
  "service-account-lookup=true",
  // k3s's default too, stated here so it is ours to test: every request carries an identity (the
  // readiness gate probes with the admin client certificate, components/platform/gate.ts).
  "anonymous-auth=false",
  `event-ttl=${EVENT_TTL_SECONDS / 3600}h`,
];

export const KUBE_CONTROLLER_MANAGER_ARGS: readonly string[] = [
  "terminated-pod-gc-threshold=10",
  "use-service-account-credentials=true",
];

/**
 * Every node's kubelet: the CIS settings, the Hetzner cloud controller (platform issue) owning node
 * addresses, and what keeps one tenant's pods from starving a node's neighbours (issue 25):
 * - pod-max-pids: a fork bomb stops at 4096 processes and threads per pod. A live transcoder
 *   (ffmpeg/x264: about 1.5 threads per core and rendition) or a JVM runs a few hundred; the
 *   node's limit is the kernel's threads-max (about 64k on an 8 GB node).
 * - image garbage collection from 80 % of the image filesystem down to 70 %: before eviction.
 * - eviction-hard: Kubernetes' Linux defaults (memory 100Mi, nodefs 10 %, imagefs 15 %, inodes
 *   5 %) instead of k3s's 5 % on the filesystems, and pid.available 10 % (evicts the pod with the
 *   most processes). Every signal is written out: the flag replaces k3s's whole map. k3s's
 *   eviction-minimum-reclaim (imagefs and nodefs 10 %) stays. Under disk pressure the kubelet
 *   first deletes unused images, then evicts pods ranked by their disk use over their requests:
 *   a tenant's huge images or full emptyDirs cost its own pods first, not the node.
 */
export const KUBELET_ARGS: readonly string[] = [
  "cloud-provider=external",
  "streaming-connection-idle-timeout=5m",
  "make-iptables-util-chains=true",
  "pod-max-pids=4096",
  "image-gc-high-threshold=80",
  "image-gc-low-threshold=70",
  "eviction-hard=memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%,pid.available<10%",
];

/** k3s's bundled add-ons the platform replaces: Hetzner LB via the CCM, Envoy Gateway (edge), Hetzner CSI. */
export const DISABLED_COMPONENTS = ["servicelb", "traefik", "local-storage"];

/**
 * The API server's admission configuration. Pod Security defaults for the whole cluster: enforce
 * `baseline` everywhere, warn and audit at `restricted`. Tenant namespaces enforce `restricted`
 * through their own labels (tenant issue); kube-system is exempt because the Hetzner CSI node
 * plugin is privileged by nature. EventRateLimit's limits (EVENT_RATE_LIMITS), inline.
 */
export function admissionConfig(): string {
  return stringify({
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "AdmissionConfiguration",
    plugins: [
      {
        name: "PodSecurity",
        configuration: {
          apiVersion: "pod-security.admission.config.k8s.io/v1",
          kind: "PodSecurityConfiguration",
          defaults: {
            enforce: "baseline",
            "enforce-version": "latest",
            audit: "restricted",
            "audit-version": "latest",
            warn: "restricted",
            "warn-version": "latest",
          },
          exemptions: { usernames: [], runtimeClasses: [], namespaces: ["kube-system"] },
        },
      },
      {
        name: "EventRateLimit",
        configuration: {
          apiVersion: "eventratelimit.admission.k8s.io/v1alpha1",
          kind: "Configuration",
          limits: [
            { type: "Server", ...EVENT_RATE_LIMITS.server },
            // cacheSize: namespaces tracked at once (the default, written out); one evicted from
            // the cache starts with a full bucket again.
            { type: "Namespace", ...EVENT_RATE_LIMITS.namespace, cacheSize: 4096 },
          ],
        },
      },
    ],
  });
}

/**
 * Audit policy: metadata for every request (who did what to which object, never bodies, so Secret
 * values stay out of the log), minus health probes and Events that would drown the rest.
 */
export function auditPolicy(): string {
  return stringify({
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [
      { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"] },
      { level: "None", resources: [{ group: "", resources: ["events"] }] },
      { level: "Metadata" },
    ],
  });
}

/** Site-wide k3s settings, all plain validated values. */
export interface ClusterSettings {
  /** Stack name; prefixes Hetzner names. */
  stack: string;
  /** Pinned k3s release (e.g. v1.36.4+k3s1). */
  k3sVersion: string;
  clusterCidr: string;
  serviceCidr: string;
  /** The private network; NodePorts listen only here. */
  networkCidr: string;
  /** The /28 the control planes live in (etcd accepts peers only from there). */
  controlPlaneRange: string;
  /** https://<private address>:6443 where agents and joining servers register. */
  joinUrl: string;
  /** More than one control plane (the join address is then the API load balancer). */
  ha: boolean;
  etcdSnapshots: {
    schedule: string;
    retention: number;
    bucket: string;
    endpoint: string;
    region: string;
    folder?: string;
  };
  /** etcd's space quota in bytes (quota-backend-bytes), from the control planes' type (etcdQuotaBytes). */
  etcdQuotaBytes: number;
  /** etcd snapshot to restore on the first control plane (disaster recovery); undefined: none. */
  restoreSnapshot?: string;
  /** Admin SSH public keys from config. */
  sshAuthorizedKeys: string[];
}

export type NodeRole = "server" | "agent";

/** One node, keyed by a stable identity (cp-<n>, <pool>-<n>). */
export interface NodeSpec {
  /** Stable key; part of the logical and physical names. */
  key: string;
  /** Hetzner server name = hostname = Kubernetes node name. */
  name: string;
  role: NodeRole;
  /** The first control plane: initialises etcd and receives the cluster CAs. */
  init: boolean;
  /** Worker pool (agents only). */
  pool?: string;
  /** 1-based index within the control planes or the pool. */
  index: number;
  privateIp: string;
  /** Kubernetes node labels. */
  nodeLabels: Record<string, string>;
  /** Kubernetes node taints (key=value:Effect or key:Effect). */
  nodeTaints: string[];
}

/** Secret values a node's config carries; plain strings only inside an apply. */
export interface NodeSecrets {
  /** Server token (k3sToken): servers only. */
  token: string;
  /** Token agents join with; cannot join servers or read the CA keys from the datastore. */
  agentToken: string;
  etcdS3AccessKey: string;
  etcdS3SecretKey: string;
}

/**
 * /etc/rancher/k3s/config.yaml for one node. `tlsSans` are the public API addresses the server's
 * certificate must carry (its own primary IP; the API load balancer's private IP in HA).
 */
export function k3sConfig(
  cluster: ClusterSettings,
  node: NodeSpec,
  secrets: NodeSecrets,
  tlsSans: string[],
): Record<string, unknown> {
  const common = {
    // Agents learn their name and private address at boot (cloudinit.ts writes both to a drop-in):
    // then one user-data serves every agent of a pool, Pulumi's workers and the autoscaler's nodes.
    ...(node.role === "server" ? { "node-name": node.name, "node-ip": node.privateIp } : {}),
    "kubelet-arg": [...KUBELET_ARGS],
    // NodePorts only on the private network: Hetzner load balancers reach them there, the
    // public interface never serves one even if the Hetzner firewall were detached.
    "kube-proxy-arg": [`nodeport-addresses=${cluster.networkCidr}`],
    "protect-kernel-defaults": true,
    ...(Object.keys(node.nodeLabels).length
      ? {
          "node-label": Object.entries(node.nodeLabels)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, v]) => `${k}=${v}`),
        }
      : {}),
    ...(node.nodeTaints.length ? { "node-taint": [...node.nodeTaints] } : {}),
  };
  if (node.role === "agent") {
    return { server: cluster.joinUrl, token: secrets.agentToken, ...common };
  }
  const e = cluster.etcdSnapshots;
  return {
    ...(node.init ? { "cluster-init": true } : { server: cluster.joinUrl }),
    token: secrets.token,
    "agent-token": secrets.agentToken,
    ...common,
    "advertise-address": node.privateIp,
    "tls-san": [...tlsSans],
    "cluster-cidr": cluster.clusterCidr,
    "service-cidr": cluster.serviceCidr,
    "write-kubeconfig-mode": "0600",
    "disable-cloud-controller": true,
    disable: [...DISABLED_COMPONENTS],
    "secrets-encryption": true,
    "kube-apiserver-arg": [...KUBE_APISERVER_ARGS],
    "kube-controller-manager-arg": [...KUBE_CONTROLLER_MANAGER_ARGS],
    // Explicit: the datastore's size is what TEN-ETCD-001 adds the tenants' quotas up against.
    "etcd-arg": [`quota-backend-bytes=${cluster.etcdQuotaBytes}`],
    "etcd-snapshot-schedule-cron": e.schedule,
    "etcd-snapshot-retention": e.retention,
    "etcd-snapshot-compress": true,
    "etcd-s3": true,
    "etcd-s3-endpoint": e.endpoint,
    "etcd-s3-region": e.region,
    "etcd-s3-bucket": e.bucket,
    ...(e.folder ? { "etcd-s3-folder": e.folder } : {}),
    "etcd-s3-access-key": secrets.etcdS3AccessKey,
    "etcd-s3-secret-key": secrets.etcdS3SecretKey,
  };
}

/** The rendered config.yaml text (deterministic key order). */
export function k3sConfigFile(
  cluster: ClusterSettings,
  node: NodeSpec,
  secrets: NodeSecrets,
  tlsSans: string[],
): string {
  return (
    `# Rendered by video-platform (components/site/k3s.ts) for ${node.role === "server" ? node.name : `every agent of pool ${node.pool}`}. Changing it on a live\n` +
    "# node is the k3s upgrade runbook's job, not a server replacement.\n" +
    stringify(k3sConfig(cluster, node, secrets, tlsSans), { lineWidth: 0 })
  );
}
