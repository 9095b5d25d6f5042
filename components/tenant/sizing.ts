/**
 * Quota math: a tier preset plus a file's overrides → the effective quota, limits, ingest and
 * per-container limits; and the site's worker capacity the sum of all quotas must fit. Pure
 * functions over exact quantities (BigInt millicores and bytes), so no rounding decides a check.
 */
import type { SiteConfig } from "../config/schema";
import { SERVER_TYPES } from "../site/catalog";
import { IngestPreset, LIMIT_FACTOR, NODE_RESERVED, PRESETS, QuotaPreset, Tier } from "./presets";
import {
  describeBytes,
  describeCpu,
  formatBytes,
  formatCpu,
  maxBig,
  minBig,
  parseBytes,
  parseCpu,
  Parsed,
} from "./quantity";

/** CPU in millicores and memory in bytes. */
export interface Resources {
  cpu: bigint;
  memory: bigint;
}

export interface Sizing {
  quota: Resources & { storage: bigint; pods: number; services: number; persistentVolumeClaims: number };
  /** Quota on the sum of container limits. */
  limits: Resources;
  /** Ingest workers, each sized per worker (requests = limits: Guaranteed QoS). */
  ingest: { workers: number } & Resources;
  /** LimitRange per container. */
  container: { defaultRequest: Resources; default: Resources; max: Resources };
}

/** What a file may override (already shape-checked by the schema). */
export interface SizingOverrides {
  quota?: { cpu?: string | number; memory?: string | number; storage?: string | number; pods?: number };
  ingest?: { workers?: number; cpu?: string | number; memory?: string | number };
}

/** The effective quota as written into objects and outputs (canonical quantity text). */
export interface EffectiveQuota extends QuotaPreset {
  limitsCpu: string;
  limitsMemory: string;
}

/** The effective ingest sizing (preset + file, canonical quantity text). */
export type EffectiveIngest = IngestPreset;

function must<T>(p: Parsed<T>, what: string): T {
  if (!p.ok) throw new Error(`invalid built-in quantity for ${what}: ${p.message}`);
  return p.value;
}

/** Parses a quantity that the schema already accepted (or a preset constant). */
export const cpuOf = (q: string | number, what = "cpu") => must(parseCpu(q), what);
export const bytesOf = (q: string | number, what = "bytes") => must(parseBytes(q), what);

function resources(r: { cpu: string; memory: string }): Resources {
  return { cpu: cpuOf(r.cpu), memory: bytesOf(r.memory) };
}

/** Tier preset + overrides, field by field. Inputs must have passed the schema. */
export function sizingFor(tier: Tier, o: SizingOverrides = {}): Sizing {
  const p = PRESETS[tier];
  const quota = {
    cpu: cpuOf(o.quota?.cpu ?? p.quota.cpu),
    memory: bytesOf(o.quota?.memory ?? p.quota.memory),
    storage: bytesOf(o.quota?.storage ?? p.quota.storage),
    pods: o.quota?.pods ?? p.quota.pods,
    services: p.quota.services,
    persistentVolumeClaims: p.quota.persistentVolumeClaims,
  };
  const ingest = {
    workers: o.ingest?.workers ?? p.ingest.workers,
    cpu: cpuOf(o.ingest?.cpu ?? p.ingest.cpu),
    memory: bytesOf(o.ingest?.memory ?? p.ingest.memory),
  };
  return { quota, limits: limitsFor(quota), ingest, container: containerLimits(tier, quota, ingest) };
}

export function limitsFor(quota: Resources): Resources {
  return { cpu: quota.cpu * BigInt(LIMIT_FACTOR.cpu), memory: quota.memory * BigInt(LIMIT_FACTOR.memory) };
}

/**
 * Per-container LimitRange, consistent by construction: defaultRequest ≤ default ≤ max ≤ quota,
 * and max ≥ one ingest worker (so the tenant's own engine always fits). A small quota override
 * pulls the tier's defaults down instead of producing a LimitRange no pod can satisfy.
 */
export function containerLimits(tier: Tier, quota: Resources, ingest: Resources): Sizing["container"] {
  const c = PRESETS[tier].container;
  const clamp = (want: Resources, cap: Resources): Resources => ({
    cpu: minBig(want.cpu, cap.cpu),
    memory: minBig(want.memory, cap.memory),
  });
  const presetMax = resources(c.max);
  const max = clamp({ cpu: maxBig(presetMax.cpu, ingest.cpu), memory: maxBig(presetMax.memory, ingest.memory) }, quota);
  const dflt = clamp(resources(c.default), max);
  const defaultRequest = clamp(resources(c.defaultRequest), dflt);
  return { defaultRequest, default: dflt, max };
}

/** Ingest must fit the tenant's own quota; each problem names the fields involved. */
export function ingestProblems(s: Sizing): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const { workers, cpu, memory } = s.ingest;
  const q = s.quota;
  if (cpu > q.cpu)
    out.push({
      path: "ingest.cpu",
      message: `one worker needs ${formatCpu(cpu)} CPU, more than the tenant's quota.cpu ${formatCpu(q.cpu)}`,
    });
  else if (cpu * BigInt(workers) > q.cpu)
    out.push({
      path: "ingest.cpu",
      message: `ingest.workers × ingest.cpu = ${workers} × ${formatCpu(cpu)} = ${describeCpu(cpu * BigInt(workers))}, more than quota.cpu ${describeCpu(q.cpu)}; lower the sizing or raise quota.cpu`,
    });
  if (memory > q.memory)
    out.push({
      path: "ingest.memory",
      message: `one worker needs ${formatBytes(memory)}, more than the tenant's quota.memory ${formatBytes(q.memory)}`,
    });
  else if (memory * BigInt(workers) > q.memory)
    out.push({
      path: "ingest.memory",
      message: `ingest.workers × ingest.memory = ${workers} × ${formatBytes(memory)} = ${describeBytes(memory * BigInt(workers))}, more than quota.memory ${describeBytes(q.memory)}; lower the sizing or raise quota.memory`,
    });
  if (workers > q.pods)
    out.push({
      path: "ingest.workers",
      message: `${workers} workers need ${workers} pods, more than quota.pods ${q.pods}`,
    });
  return out;
}

export function effectiveQuota(s: Sizing): EffectiveQuota {
  return {
    cpu: formatCpu(s.quota.cpu),
    memory: formatBytes(s.quota.memory),
    storage: formatBytes(s.quota.storage),
    pods: s.quota.pods,
    services: s.quota.services,
    persistentVolumeClaims: s.quota.persistentVolumeClaims,
    limitsCpu: formatCpu(s.limits.cpu),
    limitsMemory: formatBytes(s.limits.memory),
  };
}

export function effectiveIngest(s: Sizing): EffectiveIngest {
  return { workers: s.ingest.workers, cpu: formatCpu(s.ingest.cpu), memory: formatBytes(s.ingest.memory) };
}

export interface Capacity extends Resources {
  /** e.g. "general 2 × cx43", "ingest 2 + 1..6 autoscaled × ccx33" per pool, for messages. */
  pools: string[];
  overcommit: number;
  /** Allocatable before overcommit. */
  allocatable: Resources;
  /**
   * What autoscaled nodes above their minimum add when every pool is at its max (after
   * overcommit): headroom for bursts, never counted for tenant quotas (not guaranteed to exist).
   */
  headroom: Resources;
}

/**
 * What tenants may request in total: every guaranteed worker's cores and memory minus
 * NODE_RESERVED, times site.overcommit. Guaranteed: the fixed `count` plus an autoscaled pool's
 * `min` (the autoscaler never goes below it); the nodes up to `max` are reported as headroom
 * only, since a quota promised on them could not be met when Hetzner has no capacity or the
 * project hits its limit. Control planes never count (tenants do not run there).
 */
export function siteCapacity(site: SiteConfig): Capacity {
  const reserved = resources(NODE_RESERVED);
  const per = BigInt(Math.round(site.overcommit * 1000)); // overcommit has a few decimals at most
  const sum = { cpu: 0n, memory: 0n };
  const extra = { cpu: 0n, memory: 0n };
  const pools: string[] = [];
  for (const pool of site.workerPools) {
    const t = SERVER_TYPES[pool.serverType];
    if (!t) continue; // the config schema already rejected it
    const nodeCpu = maxBig(0n, BigInt(t.cores) * 1000n - reserved.cpu);
    const nodeMemory = maxBig(0n, BigInt(t.memoryGiB) * (1n << 30n) - reserved.memory);
    const guaranteed = BigInt(pool.count + (pool.autoscale?.min ?? 0));
    const burst = BigInt(pool.autoscale ? pool.autoscale.max - pool.autoscale.min : 0);
    sum.cpu += guaranteed * nodeCpu;
    sum.memory += guaranteed * nodeMemory;
    extra.cpu += burst * nodeCpu;
    extra.memory += burst * nodeMemory;
    pools.push(
      pool.autoscale
        ? `${pool.name} ${pool.count} + ${pool.autoscale.min}..${pool.autoscale.max} autoscaled × ${pool.serverType}`
        : `${pool.name} ${pool.count} × ${pool.serverType}`,
    );
  }
  return {
    cpu: (sum.cpu * per) / 1000n,
    memory: (sum.memory * per) / 1000n,
    pools,
    overcommit: site.overcommit,
    allocatable: { ...sum },
    headroom: { cpu: (extra.cpu * per) / 1000n, memory: (extra.memory * per) / 1000n },
  };
}
