/**
 * Autoscaled worker pools as plain data: which node groups the cluster-autoscaler's Hetzner
 * provider manages, their bounds, and the one agent NodeSpec every node of a group is rendered
 * from. The cloud-init itself comes from the same renderer as Pulumi's workers
 * (components/site/cloudinit.ts); agents discover their own name and private address at boot, so
 * the user-data of a Pulumi-made worker and of an autoscaled node of the same pool are the same
 * text (test/autoscale.test.ts proves it).
 *
 * What Pulumi state holds about autoscaled nodes: nothing. They are created and deleted by the
 * autoscaler through the Hetzner API; the firewall is attached by the autoscaler at server creation
 * (HCLOUD_FIREWALL, the same way Pulumi attaches it to its own servers: on the server, so the
 * firewall resource never lists servers); the network attachment is the server's own. See
 * docs/autoscaling.md for drift, placement and the address caveat.
 */
import type { SiteConfig } from "../config/schema";
import { NETWORK_ZONE, type Location } from "./catalog";
import type { NodeSpec } from "./k3s";
import { LABELS, PLACEMENT_GROUP_SIZE, poolNodeLabels, poolNodeTaints, type SiteProblem } from "./nodes";

/** Hetzner server names are host names: at most 63 characters. */
const HOSTNAME_MAX = 63;
/** The autoscaler names a server `<node group>-<random 63-bit hex>`: up to 16 hex digits. */
const AUTOSCALER_NAME_SUFFIX = 1 + 16;
/**
 * HCLOUD_CLUSTER_CONFIG is one environment variable, and Linux caps one at 128 KiB
 * (MAX_ARG_STRLEN); each node group's cloud-init takes about 9 KiB of it, base64-encoded. Ten
 * groups leave room for the cloud-init to grow.
 */
export const MAX_NODE_GROUPS = 10;
/** Server label telling autoscaler-made servers from Pulumi's (runbooks list them with it). */
export const AUTOSCALED_SERVER_LABEL = "platform.video/managed-by";
export const AUTOSCALED_SERVER_LABEL_VALUE = "cluster-autoscaler";

/** One autoscaled pool as the cluster-autoscaler's Hetzner provider sees it. */
export interface NodeGroupSpec {
  /** The pool in the site config. */
  pool: string;
  /** Node group id: `<stack>-<pool>`; prefixes every server name the autoscaler creates. */
  id: string;
  min: number;
  max: number;
  /** Hetzner server type (the provider wants it as written in the catalog). */
  serverType: string;
  location: Location;
  /** `--nodes` flag value: `min:max:type:location:id`. */
  nodesFlag: string;
  /** The agent every node of the group is rendered as (no per-node identity: found at boot). */
  template: NodeSpec;
  /** Kubernetes node labels and taints (k3s sets them; the autoscaler simulates them from zero). */
  labels: Record<string, string>;
  taints: { key: string; value: string; effect: string }[];
  /** Hetzner labels of the servers it creates (the provider adds `hcloud/node-group`). */
  serverLabels: Record<string, string>;
  /**
   * Spread placement group name (Pulumi creates it, empty), or undefined when max exceeds what a
   * Hetzner placement group can hold (10 servers): the provider refuses larger groups.
   */
  placementGroup?: string;
}

/** The autoscaled pools of a site, in config order. */
export function autoscaledPools(site: SiteConfig): (SiteConfig["workerPools"][number] & {
  autoscale: { min: number; max: number };
})[] {
  return site.workerPools.filter((p): p is typeof p & { autoscale: { min: number; max: number } } => !!p.autoscale);
}

/** Servers the site may run at most: control planes, fixed workers and every autoscaled max. */
export function maxServers(site: SiteConfig): { fixed: number; elastic: number; total: number } {
  const fixed = site.controlPlane.count + site.workerPools.reduce((n, p) => n + p.count, 0);
  const elastic = autoscaledPools(site).reduce((n, p) => n + p.autoscale.max, 0);
  return { fixed, elastic, total: fixed + elastic };
}

/** Config problems of autoscaled pools (called by siteProblems, so reported at the edge). */
export function autoscaleProblems(stack: string, site: SiteConfig): SiteProblem[] {
  const problems: SiteProblem[] = [];
  site.workerPools.forEach((pool, i) => {
    const at = `site.workerPools[${i}]`;
    if (pool.location !== undefined && !pool.autoscale)
      problems.push({
        path: `${at}.location`,
        message: `only autoscaled pools take a location (fixed workers live in site.location ${site.location}); remove it or add autoscale`,
      });
    if (!pool.autoscale) return;
    const location = pool.location ?? site.location;
    if (NETWORK_ZONE[location] !== NETWORK_ZONE[site.location])
      problems.push({
        path: `${at}.location`,
        message: `${location} is in network zone ${NETWORK_ZONE[location]}, the site's private network in ${NETWORK_ZONE[site.location]}: autoscaled nodes must join that network; pick a location in ${NETWORK_ZONE[site.location]}`,
      });
    const id = nodeGroupId(stack, pool.name);
    if (id.length + AUTOSCALER_NAME_SUFFIX > HOSTNAME_MAX)
      problems.push({
        path: `${at}.name`,
        message: `autoscaled servers are named "${id}-<16 hex digits>", longer than ${HOSTNAME_MAX} characters; shorten the pool name to at most ${HOSTNAME_MAX - AUTOSCALER_NAME_SUFFIX - stack.length - 1} characters`,
      });
  });
  const groups = autoscaledPools(site).length;
  if (groups > MAX_NODE_GROUPS)
    problems.push({
      path: "site.workerPools",
      message: `${groups} pools are autoscaled, at most ${MAX_NODE_GROUPS} can be: the autoscaler's cluster config (every pool's cloud-init) is one environment variable, which Linux caps at 128 KiB; merge pools`,
    });
  const servers = maxServers(site);
  if (servers.total > site.serverLimit)
    problems.push({
      path: "site.serverLimit",
      message: `the site may run ${servers.total} servers (${servers.fixed} fixed + ${servers.elastic} autoscaled at max) but the Hetzner project allows ${site.serverLimit}: lower autoscale.max, or have Hetzner raise the project's limit and set site.serverLimit to it`,
    });
  return problems;
}

/** Node group id of a pool: the stack prefixes it, so two stacks in one project never share a group. */
export function nodeGroupId(stack: string, pool: string): string {
  return `${stack}-${pool}`;
}

/** `key=value:Effect` or `key:Effect` (k3s's node-taint syntax) as the autoscaler's taint object. */
export function parseTaint(taint: string): { key: string; value: string; effect: string } {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(taint);
  if (!m) throw new Error(`autoscale: "${taint}" is not a taint like key=value:NoSchedule`);
  return { key: m[1], value: m[2] ?? "", effect: m[3] };
}

/** The node groups of a site (validated config: call siteProblems first). */
export function planNodeGroups(stack: string, site: SiteConfig): NodeGroupSpec[] {
  return autoscaledPools(site).map((pool) => {
    const id = nodeGroupId(stack, pool.name);
    const location = pool.location ?? site.location;
    const labels = poolNodeLabels(pool);
    const nodeTaints = poolNodeTaints(pool);
    const template: NodeSpec = {
      // The group's identity, never a node's: agents render nothing per node (see cloudinit.ts).
      key: `${pool.name}-autoscaled`,
      name: id,
      role: "agent",
      init: false,
      pool: pool.name,
      index: 0,
      privateIp: "",
      nodeLabels: labels,
      nodeTaints,
    };
    return {
      pool: pool.name,
      id,
      min: pool.autoscale.min,
      max: pool.autoscale.max,
      serverType: pool.serverType,
      location,
      nodesFlag: `${pool.autoscale.min}:${pool.autoscale.max}:${pool.serverType}:${location}:${id}`,
      template,
      labels,
      taints: nodeTaints.map(parseTaint),
      serverLabels: {
        [LABELS.site]: stack,
        [LABELS.role]: "worker",
        [LABELS.pool]: pool.name,
        [AUTOSCALED_SERVER_LABEL]: AUTOSCALED_SERVER_LABEL_VALUE,
      },
      placementGroup: pool.autoscale.max <= PLACEMENT_GROUP_SIZE ? `${id}-autoscaled` : undefined,
    };
  });
}

/** Everything in HCLOUD_CLUSTER_CONFIG besides the per-group cloud-init (a secret: the join token). */
export interface ClusterConfigInput {
  /** OS image (site.image) for both architectures; the provider picks by the server type's. */
  image: string;
  groups: NodeGroupSpec[];
  /** Rendered cloud-init per node group id. */
  cloudInit: Record<string, string>;
}

/**
 * The provider's HCLOUD_CLUSTER_CONFIG document (JSON; the Secret carries it base64-encoded).
 * Field names follow the hetzner provider's README (cluster-autoscaler 1.37 branch).
 */
export function clusterConfig(input: ClusterConfigInput): Record<string, unknown> {
  const nodeConfigs: Record<string, unknown> = {};
  for (const g of input.groups) {
    const cloudInit = input.cloudInit[g.id];
    if (cloudInit === undefined) throw new Error(`autoscale: no cloud-init rendered for node group ${g.id}`);
    nodeConfigs[g.id] = {
      cloudInit,
      labels: g.labels,
      taints: g.taints,
      serverLabels: g.serverLabels,
      ...(g.placementGroup ? { placementGroup: g.placementGroup } : {}),
    };
  }
  return { imagesForArch: { amd64: input.image, arm64: input.image }, nodeConfigs };
}
