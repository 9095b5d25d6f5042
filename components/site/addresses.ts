/**
 * Private addresses, computed from the site's network CIDR and stable keys only (never from the
 * position of a pool in the config), so adding a node or a pool moves no existing node.
 *
 * The network is cut into /24 blocks:
 *   block 0   infrastructure: .1 Hetzner's gateway, .2 the API load balancer, .3 reserved for the
 *             platform's ingress load balancer, control planes at .16-.22 (one /28, whatever the
 *             count, so node-level rules can name "the control planes" without listing them)
 *   block N   one per worker pool, N derived from a hash of the pool's name; workers at .11-.110
 */
import { createHash } from "node:crypto";
import { parseCidr4 } from "../config/schema";

/** The smallest network that leaves room for pools (16 blocks: infrastructure + 15 pool slots). */
export const MAX_NETWORK_PREFIX = 20;
/** Hetzner reserves the first address of a network for its gateway. */
const GATEWAY_HOST = 1;
const API_LB_HOST = 2;
const INGRESS_LB_HOST = 3;
/** Control planes sit in the /28 starting here; 7 (the schema's maximum) fit. */
const CONTROL_PLANE_BASE = 16;
const CONTROL_PLANE_MAX = 7;
/** Workers start at .11 of their pool's block; 100 (the schema's maximum) fit. */
const WORKER_BASE = 10;
const WORKER_MAX = 100;

export function ipToString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** A problem found while planning addresses: the config path (below `site.`) and what to change. */
export interface AddressProblem {
  path: string;
  message: string;
}

export interface PoolBlock {
  /** The /24 holding this pool's workers. */
  cidr: string;
  /** Block number within the network (1 … blocks-1). */
  block: number;
}

export interface AddressPlan {
  networkCidr: string;
  gateway: string;
  /** Private IP of the API load balancer (HA sites). */
  apiLoadBalancer: string;
  /** Private IP reserved for the platform's ingress load balancer. */
  ingressLoadBalancer: string;
  /** The /28 every control plane lives in (fixed, independent of the count). */
  controlPlaneRange: string;
  /** Private IP of control plane `index` (1-based). */
  controlPlane(index: number): string;
  /** The pool's block; derived from its name alone. */
  poolBlock(pool: string): PoolBlock;
  /** Private IP of worker `index` (1-based) of `pool`. */
  worker(pool: string, index: number): string;
}

function blocksOf(networkCidr: string): { base: number; blocks: number } {
  const parsed = parseCidr4(networkCidr);
  if (!parsed) throw new Error(`addresses: ${networkCidr} is not an IPv4 CIDR`);
  if (parsed.prefix > MAX_NETWORK_PREFIX)
    throw new Error(`addresses: ${networkCidr} is smaller than a /${MAX_NETWORK_PREFIX}`);
  return { base: parsed.base, blocks: 2 ** (24 - parsed.prefix) };
}

/** Block number of a pool: 1 + (first 32 bits of sha256(name)) mod (blocks - 1). */
export function poolBlockNumber(pool: string, blocks: number): number {
  const h = createHash("sha256").update(pool).digest().readUInt32BE(0);
  return 1 + (h % (blocks - 1));
}

/**
 * The address plan of a network. Throws on a network smaller than /20 or an out-of-range index:
 * callers validate first with `addressProblems`, which reports those as config problems.
 */
export function addressPlan(networkCidr: string): AddressPlan {
  const { base, blocks } = blocksOf(networkCidr);
  const at = (block: number, host: number) => ipToString(base + block * 256 + host);
  const poolBlock = (pool: string): PoolBlock => {
    const block = poolBlockNumber(pool, blocks);
    return { block, cidr: `${at(block, 0)}/24` };
  };
  return {
    networkCidr,
    gateway: at(0, GATEWAY_HOST),
    apiLoadBalancer: at(0, API_LB_HOST),
    ingressLoadBalancer: at(0, INGRESS_LB_HOST),
    controlPlaneRange: `${at(0, CONTROL_PLANE_BASE)}/28`,
    controlPlane(index) {
      if (!Number.isInteger(index) || index < 1 || index > CONTROL_PLANE_MAX)
        throw new Error(`addresses: control plane index ${index} outside 1..${CONTROL_PLANE_MAX}`);
      return at(0, CONTROL_PLANE_BASE + index - 1);
    },
    poolBlock,
    worker(pool, index) {
      if (!Number.isInteger(index) || index < 1 || index > WORKER_MAX)
        throw new Error(`addresses: worker index ${index} outside 1..${WORKER_MAX}`);
      return at(poolBlock(pool).block, WORKER_BASE + index);
    },
  };
}

/**
 * Config problems the address plan can see: a network too small to hold pool blocks, and two pools
 * whose names hash to the same block (rare; renaming one pool, or a larger network, fixes it).
 */
export function addressProblems(networkCidr: string, pools: ReadonlyArray<{ name: string }>): AddressProblem[] {
  const parsed = parseCidr4(networkCidr);
  if (!parsed) return [{ path: "networkCidr", message: "must be an IPv4 CIDR" }];
  if (parsed.prefix > MAX_NETWORK_PREFIX)
    return [
      {
        path: "networkCidr",
        message: `must be /${MAX_NETWORK_PREFIX} or larger (e.g. 10.0.0.0/16): every worker pool gets its own /24 inside it`,
      },
    ];
  const plan = addressPlan(networkCidr);
  const owner = new Map<number, string>();
  const problems: AddressProblem[] = [];
  pools.forEach((pool, i) => {
    const { block, cidr } = plan.poolBlock(pool.name);
    const other = owner.get(block);
    if (other !== undefined && other !== pool.name)
      problems.push({
        path: `workerPools[${i}].name`,
        message: `pool "${pool.name}" and pool "${other}" map to the same address block ${cidr}; rename one of them (a pool's addresses derive from its name) or use a larger networkCidr`,
      });
    else owner.set(block, pool.name);
  });
  return problems;
}
