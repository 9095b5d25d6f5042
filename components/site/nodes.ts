/**
 * The site as plain data: which nodes exist, their names, keys, addresses, labels and placement
 * groups, and the k3s settings they share. Derived from validated config only, so the component
 * and the tests see exactly the same plan, and anything that decides whether a resource exists is
 * a plain value, never an Output.
 */
import type { K3sConfig, SiteConfig } from "../config/schema";
import { AddressPlan, addressPlan, addressProblems } from "./addresses";
import { ClusterSettings, etcdQuotaBytes, NodeSpec } from "./k3s";

/** Hetzner label keys (also the API load balancer's target selector). */
export const LABELS = {
  site: "platform.video/site",
  role: "platform.video/role",
  pool: "platform.video/pool",
} as const;
/** Node label every worker carries; tenants' scheduling and capacity checks select pools by it. */
export const POOL_NODE_LABEL = LABELS.pool;
export const CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane:NoSchedule";
/** Hetzner spread placement groups hold at most 10 servers. */
export const PLACEMENT_GROUP_SIZE = 10;
/** Pool names the control planes' names would collide with. */
export const RESERVED_POOL_NAMES = ["cp"];
export const API_PORT = 6443;

/** A config problem: path below the project key (`site.workerPools[0].name`) and the fix. */
export interface SiteProblem {
  path: string;
  message: string;
}

export interface PlacementGroupSpec {
  /** Stable key (`cp`, `<pool>-<chunk>`): the logical name's suffix. */
  key: string;
  /** Hetzner name. */
  name: string;
  role: "control-plane" | "worker";
  pool?: string;
}

export interface SitePlan {
  addresses: AddressPlan;
  cluster: ClusterSettings;
  controlPlanes: NodeSpec[];
  workers: NodeSpec[];
  placementGroups: PlacementGroupSpec[];
  /** Placement group key of a node. */
  placementGroupOf(node: NodeSpec): string;
  /** Hetzner labels of a node's server. */
  serverLabels(node: NodeSpec): Record<string, string>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why a node label is unusable, or undefined. NodeRestriction (enabled on purpose) stops a kubelet
 * from setting labels under kubernetes.io / k8s.io except the node. and kubelet. prefixes: such a
 * label would keep the node from registering at all.
 */
export function nodeLabelProblem(key: string, value: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : "";
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (!LABEL_NAME.test(name) || name.length > 63 || (slash >= 0 && (!LABEL_PREFIX.test(prefix) || prefix.length > 253)))
    return `"${key}" is not a valid Kubernetes label key`;
  if (value !== "" && (!LABEL_NAME.test(value) || value.length > 63))
    return `value "${value}" of "${key}" is not a valid Kubernetes label value (63 characters: letters, digits, '-', '_', '.')`;
  const restricted = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  const allowed = /(^|\.)(node|kubelet)\.kubernetes\.io$/.test(prefix);
  if (restricted && !allowed)
    return `"${key}" is under ${prefix}/, which NodeRestriction forbids a kubelet to set (only node.kubernetes.io/ and kubelet.kubernetes.io/ are allowed); use your own prefix such as platform.video/`;
  return undefined;
}

/** Every site problem the schema cannot see; empty means planSite will succeed. */
export function siteProblems(stack: string, site: SiteConfig): SiteProblem[] {
  const problems: SiteProblem[] = [];
  if (!DNS_LABEL.test(stack) || stack.length > 20)
    problems.push({
      path: "",
      message: `stack name "${stack}" must be a lowercase DNS label of at most 20 characters: it prefixes every Hetzner name`,
    });
  for (const p of addressProblems(site.networkCidr, site.workerPools)) problems.push({ ...p, path: `site.${p.path}` });
  site.workerPools.forEach((pool, i) => {
    if (RESERVED_POOL_NAMES.includes(pool.name))
      problems.push({
        path: `site.workerPools[${i}].name`,
        message: `"${pool.name}" is reserved (control planes are named <stack>-cp-<n>); pick another pool name`,
      });
    for (const [k, v] of Object.entries(pool.labels)) {
      const why =
        nodeLabelProblem(k, v) ??
        (k === POOL_NODE_LABEL && v !== pool.name
          ? `"${k}" is set to the pool's name ("${pool.name}") on every worker; remove it or use another key`
          : undefined);
      if (why) problems.push({ path: `site.workerPools[${i}].labels`, message: why });
    }
  });
  return problems;
}

type PoolConfig = SiteConfig["workerPools"][number];

/** Kubernetes labels of every node of a pool, Pulumi-made or autoscaled (one definition for both). */
export function poolNodeLabels(pool: PoolConfig): Record<string, string> {
  return { ...pool.labels, [POOL_NODE_LABEL]: pool.name };
}

/**
 * Kubernetes taints of every node of a pool, Pulumi-made or autoscaled: the one place both read
 * them from, so a pool taint (the ingest pool's) reaches the autoscaler's nodes and its
 * scale-from-zero simulation too. Dedicated pools keep other pods off; admission decides who may
 * tolerate them (TEN-SCHED-001).
 */
export function poolNodeTaints(pool: PoolConfig): string[] {
  return [...pool.taints];
}

/** Plans the site; call siteProblems first (this throws on what it reports). */
export function planSite(stack: string, site: SiteConfig, k3s: K3sConfig): SitePlan {
  const problems = siteProblems(stack, site);
  if (problems.length) throw new Error(`planSite: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  if (site.controlPlane.count % 2 !== 1) throw new Error("planSite: the control-plane count must be odd (etcd quorum)");
  const addresses = addressPlan(site.networkCidr);
  const ha = site.controlPlane.count > 1;

  const controlPlanes: NodeSpec[] = Array.from({ length: site.controlPlane.count }, (_, i) => ({
    key: `cp-${i + 1}`,
    name: `${stack}-cp-${i + 1}`,
    role: "server",
    init: i === 0,
    index: i + 1,
    privateIp: addresses.controlPlane(i + 1),
    nodeLabels: {},
    // Tenants never run on control planes (etcd and the API need the headroom).
    nodeTaints: [CONTROL_PLANE_TAINT],
  }));

  const workers: NodeSpec[] = site.workerPools.flatMap((pool) =>
    Array.from({ length: pool.count }, (_, i) => ({
      key: `${pool.name}-${i + 1}`,
      name: `${stack}-${pool.name}-${i + 1}`,
      role: "agent" as const,
      init: false,
      pool: pool.name,
      index: i + 1,
      privateIp: addresses.worker(pool.name, i + 1),
      nodeLabels: poolNodeLabels(pool),
      nodeTaints: poolNodeTaints(pool),
    })),
  );

  const chunk = (index: number) => Math.ceil(index / PLACEMENT_GROUP_SIZE);
  const placementGroupOf = (node: NodeSpec) => (node.role === "server" ? "cp" : `${node.pool}-${chunk(node.index)}`);
  const placementGroups: PlacementGroupSpec[] = [{ key: "cp", name: `${stack}-cp`, role: "control-plane" }];
  for (const pool of site.workerPools)
    for (let c = 1; c <= chunk(pool.count); c++)
      placementGroups.push({
        key: `${pool.name}-${c}`,
        name: `${stack}-${pool.name}-${c}`,
        role: "worker",
        pool: pool.name,
      });

  const cluster: ClusterSettings = {
    stack,
    k3sVersion: k3s.version,
    clusterCidr: k3s.clusterCidr,
    serviceCidr: k3s.serviceCidr,
    networkCidr: site.networkCidr,
    controlPlaneRange: addresses.controlPlaneRange,
    // HA: the API load balancer's private address, which answers while any server is healthy.
    joinUrl: `https://${ha ? addresses.apiLoadBalancer : controlPlanes[0].privateIp}:${API_PORT}`,
    ha,
    etcdSnapshots: { ...k3s.etcdSnapshots },
    etcdQuotaBytes: etcdQuotaBytes(site.controlPlane.serverType),
    restoreSnapshot: k3s.restore.enabled ? k3s.restore.snapshot : undefined,
    sshAuthorizedKeys: site.sshKeys.map((k) => k.publicKey),
  };

  return {
    addresses,
    cluster,
    controlPlanes,
    workers,
    placementGroups,
    placementGroupOf,
    serverLabels: (node) => ({
      [LABELS.site]: stack,
      [LABELS.role]: node.role === "server" ? "control-plane" : "worker",
      ...(node.pool ? { [LABELS.pool]: node.pool } : {}),
    }),
  };
}
