/**
 * Which input changes make the engine REPLACE a resource instead of updating it, per type, as
 * data. Offline there is no provider to ask (a real preview calls each provider's Diff), so the
 * rules are transcribed from the providers' sources; each entry names its source so a reviewer
 * can re-check it when a provider is upgraded.
 *
 * A replacement deletes the old object (or creates the new one first) and gives dependents new
 * IDs and outputs, so it is the line a reviewer most needs to see.
 */
import { parsePath, Segment } from "./paths";

export interface ReplacementRule {
  /** A type token, or a prefix ending in `*` (`kubernetes:*`). */
  type: string;
  /** Input paths (Pulumi syntax); `*` alone means any input change replaces. */
  paths: string[];
  /** Where the rule comes from. */
  source: string;
}

const HCLOUD_TF = "hetznercloud/terraform-provider-hcloud (internal/*/resource*.go, ForceNew/RequiresReplace)";
const K8S_DIFF = "pulumi/pulumi-kubernetes provider/pkg/provider/diff.go (forceNew table)";

export const REPLACEMENT_RULES: readonly ReplacementRule[] = [
  // --- Hetzner Cloud ------------------------------------------------------------------------
  // serverType is deliberately absent: a type change is an in-place resize (see DISRUPTIVE_UPDATES).
  { type: "hcloud:index/server:Server", paths: ["image", "location", "userData", "sshKeys"], source: HCLOUD_TF },
  { type: "hcloud:index/network:Network", paths: ["ipRange"], source: HCLOUD_TF },
  {
    type: "hcloud:index/networkSubnet:NetworkSubnet",
    paths: ["networkId", "type", "networkZone", "ipRange", "vswitchId"],
    source: HCLOUD_TF,
  },
  { type: "hcloud:index/networkRoute:NetworkRoute", paths: ["networkId", "destination", "gateway"], source: HCLOUD_TF },
  {
    type: "hcloud:index/serverNetwork:ServerNetwork",
    paths: ["serverId", "networkId", "subnetId", "ip"],
    source: HCLOUD_TF,
  },
  { type: "hcloud:index/loadBalancer:LoadBalancer", paths: ["location", "networkZone"], source: HCLOUD_TF },
  {
    type: "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork",
    paths: ["loadBalancerId", "networkId", "subnetId", "ip"],
    source: HCLOUD_TF,
  },
  {
    type: "hcloud:index/loadBalancerService:LoadBalancerService",
    paths: ["loadBalancerId", "protocol", "listenPort"],
    source: HCLOUD_TF,
  },
  {
    type: "hcloud:index/loadBalancerTarget:LoadBalancerTarget",
    paths: ["loadBalancerId", "serverId", "labelSelector", "ip"],
    source: HCLOUD_TF,
  },
  { type: "hcloud:index/primaryIp:PrimaryIp", paths: ["type", "location"], source: HCLOUD_TF },
  { type: "hcloud:index/floatingIp:FloatingIp", paths: ["type", "homeLocation"], source: HCLOUD_TF },
  { type: "hcloud:index/floatingIpAssignment:FloatingIpAssignment", paths: ["floatingIpId"], source: HCLOUD_TF },
  { type: "hcloud:index/volume:Volume", paths: ["location"], source: HCLOUD_TF },
  { type: "hcloud:index/volumeAttachment:VolumeAttachment", paths: ["volumeId", "serverId"], source: HCLOUD_TF },
  { type: "hcloud:index/firewallAttachment:FirewallAttachment", paths: ["firewallId"], source: HCLOUD_TF },
  { type: "hcloud:index/sshKey:SshKey", paths: ["publicKey"], source: HCLOUD_TF },
  { type: "hcloud:index/snapshot:Snapshot", paths: ["serverId"], source: HCLOUD_TF },
  {
    type: "hcloud:index/rdns:Rdns",
    paths: ["serverId", "primaryIpId", "floatingIpId", "loadBalancerId", "ipAddress"],
    source: HCLOUD_TF,
  },
  {
    type: "hcloud:index/uploadedCertificate:UploadedCertificate",
    paths: ["privateKey", "certificate"],
    source: HCLOUD_TF,
  },
  { type: "hcloud:index/managedCertificate:ManagedCertificate", paths: ["domainNames"], source: HCLOUD_TF },

  // --- Kubernetes ---------------------------------------------------------------------------
  // An explicit metadata.name/namespace change is a new object for every kind.
  { type: "kubernetes:*", paths: ["metadata.name", "metadata.namespace"], source: K8S_DIFF },
  { type: "kubernetes:core/v1:Service", paths: ["spec.clusterIP"], source: K8S_DIFF },
  { type: "kubernetes:core/v1:Secret", paths: ["type"], source: K8S_DIFF },
  { type: "kubernetes:core/v1:ResourceQuota", paths: ["spec.scopes"], source: K8S_DIFF },
  {
    type: "kubernetes:core/v1:PersistentVolumeClaim",
    paths: ["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"],
    source: K8S_DIFF,
  },
  { type: "kubernetes:apps/v1:Deployment", paths: ["spec.selector"], source: K8S_DIFF },
  { type: "kubernetes:apps/v1:DaemonSet", paths: ["spec.selector"], source: K8S_DIFF },
  {
    type: "kubernetes:apps/v1:StatefulSet",
    paths: [
      "spec.podManagementPolicy",
      "spec.revisionHistoryLimit",
      "spec.selector",
      "spec.serviceName",
      "spec.volumeClaimTemplates",
    ],
    source: K8S_DIFF,
  },
  {
    type: "kubernetes:batch/v1:Job",
    paths: ["spec.completions", "spec.parallelism", "spec.selector", "spec.template"],
    source: K8S_DIFF,
  },
  { type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", paths: ["roleRef"], source: K8S_DIFF },
  { type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", paths: ["roleRef"], source: K8S_DIFF },
  { type: "kubernetes:storage.k8s.io/v1:StorageClass", paths: ["parameters", "provisioner"], source: K8S_DIFF },
  {
    type: "kubernetes:helm.sh/v3:Release",
    paths: ["name", "namespace"],
    source: "pulumi/pulumi-kubernetes provider/pkg/provider/helm_release.go (forceNewFields)",
  },
  // ConfigMap and Secret data: see immutableDataPaths() (depends on the provider's settings).
  // The provider itself is replaced (and with it every object it manages) when the cluster it
  // targets changes; a kubeconfig change is checked separately (it is secret: see compare.ts).
  {
    type: "pulumi:providers:kubernetes",
    paths: ["clusterIdentifier", "renderYamlToDirectory"],
    source: "pulumi/pulumi-kubernetes provider/pkg/provider/provider.go (DiffConfig)",
  },

  // --- Generated values and certificates ------------------------------------------------------
  // Every input of the random and tls resources is RequiresReplace: a new length, keeper or
  // subject mints a new value, which is the point of those resources.
  { type: "random:*", paths: ["*"], source: "pulumi/pulumi-random (terraform-provider-random: all RequiresReplace)" },
  { type: "tls:*", paths: ["*"], source: "pulumi/pulumi-tls (terraform-provider-tls: all RequiresReplace)" },
];

/**
 * Changes that update in place but disrupt or cost: shown next to the update so nobody approves
 * a reboot or a repricing as a routine change.
 */
export const DISRUPTIVE_UPDATES: readonly { type: string; path: string; note: string }[] = [
  {
    type: "hcloud:index/server:Server",
    path: "serverType",
    note: "in-place resize: the server is powered off during it; moves the server onto current list prices",
  },
  {
    type: "hcloud:index/volume:Volume",
    path: "size",
    note: "volumes only grow: a smaller size fails on apply",
  },
];

function typeMatches(pattern: string, type: string): boolean {
  return pattern.endsWith("*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

/** The replace-triggering paths for a type (`["*"]` = any change), with their sources. */
export function replacementPaths(type: string): { path: Segment[]; source: string }[] {
  return REPLACEMENT_RULES.filter((r) => typeMatches(r.type, type)).flatMap((r) =>
    r.paths.map((p) => ({ path: p === "*" ? ["*"] : parsePath(p), source: r.source })),
  );
}

/**
 * ConfigMap and Secret data are immutable to the Kubernetes provider unless its
 * `enableConfigMapMutable` / `enableSecretMutable` flags are on (or the object says
 * `immutable: true`): a data change then replaces the object under a new auto-name.
 */
export function immutableDataPaths(
  type: string,
  inputs: Record<string, unknown>,
  providerInputs: Record<string, unknown> | undefined,
): { path: Segment[]; source: string }[] {
  const flag = (k: string) => String(providerInputs?.[k] ?? "false") === "true";
  const immutable = inputs.immutable === true;
  if (type === "kubernetes:core/v1:ConfigMap" && (immutable || !flag("enableConfigMapMutable")))
    return ["data", "binaryData"].map((p) => ({ path: [p], source: K8S_DIFF }));
  if (type === "kubernetes:core/v1:Secret" && (immutable || !flag("enableSecretMutable")))
    return ["data", "stringData"].map((p) => ({ path: [p], source: K8S_DIFF }));
  return [];
}
