/**
 * The local control plane's flags, derived from the stack's rendered k3s server configuration
 * (components/site/k3s.ts `k3sConfig`, the same function cloud-init writes to every server), so
 * the API server the tests talk to admits with the production admission plugins, Pod Security
 * defaults and feature gates. What cannot apply to a process on loopback without nodes is dropped,
 * each key with its reason below; a k3s key nobody classified fails `npm test` (test/cluster.test.ts).
 */
import { admissionConfig, auditPolicy, ClusterSettings, k3sConfig, NodeSpec } from "../../components/site/k3s";

/** k3s server config keys that do not become a flag here, and why. */
export const DROPPED_K3S_KEYS: Readonly<Record<string, string>> = {
  "cluster-init": "k3s's embedded etcd; here etcd runs as its own process",
  server: "joining another server: there is one local API server",
  token: "k3s join token: nothing joins the local control plane",
  "agent-token": "k3s join token: nothing joins the local control plane",
  "node-name": "no kubelet runs, so there is no node",
  "node-ip": "no kubelet runs, so there is no node",
  "node-label": "no kubelet runs, so there is no node",
  "node-taint": "no kubelet runs, so there is no node",
  "kubelet-arg": "no kubelet runs",
  "kube-proxy-arg": "no kube-proxy runs (nothing routes Service traffic here)",
  "protect-kernel-defaults": "a kubelet setting; no kubelet runs",
  "advertise-address": "the local API server advertises 127.0.0.1",
  "tls-san": "the serving certificate is for 127.0.0.1 (the site's public addresses do not exist here)",
  "write-kubeconfig-mode": "build/cluster/kubeconfig is written 0600 by tools/cluster",
  "disable-cloud-controller": "no cloud controller runs here either (the site runs Hetzner's through its chart)",
  disable: "k3s bundled add-ons (servicelb, traefik, local-storage): none run here",
  "etcd-snapshot-schedule-cron": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-snapshot-retention": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-snapshot-compress": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-s3": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-s3-endpoint": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-s3-region": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-s3-bucket": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-s3-folder": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-s3-access-key": "k3s's etcd snapshots to S3: no object storage here",
  "etcd-s3-secret-key": "k3s's etcd snapshots to S3: no object storage here",
};

/**
 * k3s etcd-arg keys the local etcd takes as its own flags: the space quota, so the datastore
 * under the tests has the site's size. Any other etcd argument is refused until classified here.
 */
export const MAPPED_ETCD_ARGS = ["quota-backend-bytes"] as const;

/** k3s server config keys that become flags or files here. */
export const MAPPED_K3S_KEYS = [
  "etcd-arg",
  "kube-apiserver-arg",
  "kube-controller-manager-arg",
  "cluster-cidr",
  "service-cidr",
  "secrets-encryption",
] as const;

/**
 * kube-apiserver/kube-controller-manager arguments whose value is a file on the k3s server: the
 * same content is written under build/cluster/ and the flag points there. `content` is the very
 * function whose output cloud-init writes, so the Pod Security defaults are the site's.
 */
const HOST_FILES: Readonly<Record<string, { local: string; content?: () => string }>> = {
  "admission-control-config-file": { local: "admission.yaml", content: admissionConfig },
  "audit-policy-file": { local: "audit.yaml", content: auditPolicy },
  "audit-log-path": { local: "logs/audit.log" },
};

/** What the local control plane takes from a stack's config (tools/cluster/cli.ts stackK3s). */
export interface LocalK3s {
  version: string;
  clusterCidr: string;
  serviceCidr: string;
  /** The datastore quota of the stack's control planes (components/site/k3s.ts etcdQuotaBytes). */
  etcdQuotaBytes: number;
}

/** A plain server of the stack, for rendering its k3s configuration. */
export function renderedServerConfig(k3s: LocalK3s): Record<string, unknown> {
  const cluster: ClusterSettings = {
    stack: "local",
    k3sVersion: k3s.version,
    clusterCidr: k3s.clusterCidr,
    serviceCidr: k3s.serviceCidr,
    networkCidr: "10.0.0.0/16",
    controlPlaneRange: "10.0.0.0/28",
    joinUrl: "https://127.0.0.1:6443",
    ha: false,
    etcdSnapshots: { schedule: "0 * * * *", retention: 1, bucket: "local", endpoint: "local", region: "local" },
    etcdQuotaBytes: k3s.etcdQuotaBytes,
    sshAuthorizedKeys: [],
  };
  const node: NodeSpec = {
    key: "cp-1",
    name: "local-cp-1",
    role: "server",
    init: true,
    index: 1,
    privateIp: "127.0.0.1",
    nodeLabels: {},
    nodeTaints: [],
  };
  const secrets = { token: "unused", agentToken: "unused", etcdS3AccessKey: "unused", etcdS3SecretKey: "unused" };
  return k3sConfig(cluster, node, secrets, []);
}

/** k3s config keys neither mapped nor dropped (a new k3s setting someone must classify). */
export function unclassifiedKeys(config: Record<string, unknown>): string[] {
  const mapped = new Set<string>(MAPPED_K3S_KEYS);
  return Object.keys(config).filter((k) => !mapped.has(k) && !(k in DROPPED_K3S_KEYS));
}

export interface LocalFile {
  /** Path relative to the cluster state directory. */
  path: string;
  content: string;
}

export interface ControlPlaneFlags {
  /** etcd's flags from the site's etcd-arg (MAPPED_ETCD_ARGS). */
  etcd: string[];
  /** Flags from the site's configuration (with host paths moved into the state directory). */
  apiserver: string[];
  controllerManager: string[];
  /** Files those flags name, to be written before start. */
  files: LocalFile[];
}

/** `key=value` strings (as k3s takes them) -> `--key=value`, host files relocated under `dir`. */
function relocate(args: readonly string[], dir: string, files: LocalFile[]): string[] {
  return args.map((a) => {
    const eq = a.indexOf("=");
    const key = eq < 0 ? a : a.slice(0, eq);
    const f = HOST_FILES[key];
    if (!f) return `--${a}`;
    if (f.content && !files.some((x) => x.path === f.local)) files.push({ path: f.local, content: f.content() });
    return `--${key}=${dir}/${f.local}`;
  });
}

/**
 * The site's flags for the local control plane. `encryptionKey` (32 random bytes, base64) is the
 * local stand-in for what k3s's `secrets-encryption: true` generates on the server.
 */
export function controlPlaneFlags(
  config: Record<string, unknown>,
  dir: string,
  encryptionKey: string,
): ControlPlaneFlags {
  const files: LocalFile[] = [];
  const list = (k: string) => (Array.isArray(config[k]) ? (config[k] as string[]) : []);
  const etcd = list("etcd-arg").map((a) => {
    const key = a.split("=")[0];
    if (!(MAPPED_ETCD_ARGS as readonly string[]).includes(key))
      throw new Error(`k3s etcd-arg ${key} is not mapped to the local etcd: classify it in tools/cluster/flags.ts`);
    return `--${a}`;
  });
  const apiserver = relocate(list("kube-apiserver-arg"), dir, files);
  const controllerManager = relocate(list("kube-controller-manager-arg"), dir, files);
  if (typeof config["service-cidr"] === "string") {
    apiserver.push(`--service-cluster-ip-range=${config["service-cidr"]}`);
    controllerManager.push(`--service-cluster-ip-range=${config["service-cidr"]}`);
  }
  if (typeof config["cluster-cidr"] === "string") controllerManager.push(`--cluster-cidr=${config["cluster-cidr"]}`);
  if (config["secrets-encryption"] === true) {
    files.push({
      path: "encryption.yaml",
      content: [
        "apiVersion: apiserver.config.k8s.io/v1",
        "kind: EncryptionConfiguration",
        "resources:",
        "  - resources: [secrets]",
        "    providers:",
        "      - aescbc:",
        "          keys:",
        `            - name: local`,
        `              secret: ${encryptionKey}`,
        "      - identity: {}",
        "",
      ].join("\n"),
    });
    apiserver.push(`--encryption-provider-config=${dir}/encryption.yaml`);
  }
  return { etcd, apiserver, controllerManager, files };
}

/**
 * What k3s itself passes to kube-apiserver before the configured args (k3s pkg/daemons/control),
 * and what the local process needs to run on loopback with its own certificates. Not security
 * choices of the platform: k3s's own defaults, so the local server authorizes like the site's.
 */
export function k3sDefaultApiserverFlags(): string[] {
  return ["--authorization-mode=Node,RBAC", "--anonymous-auth=false", "--allow-privileged=true", "--profiling=false"];
}
