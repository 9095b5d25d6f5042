/**
 * Monthly cost of a plan, from the resources it declares and the price table in
 * components/site/catalog.ts: what a PR changes in € is the difference of two of these.
 *
 * Only the billed Hetzner objects count (servers, their backups and primary IPv4, load balancers,
 * volumes, primary and floating IPs); Kubernetes objects cost nothing by themselves. Traffic is
 * reported as the volume included with servers and load balancers, not as a price: overage
 * depends on real usage, which no plan knows.
 */
import {
  LOAD_BALANCER_TYPES,
  LOCATION_PRICE_FACTOR,
  Location,
  OTHER_PRICES,
  priceTable,
  SERVER_TYPES,
} from "../../components/site/catalog";

/** The slice of a planned resource the model reads (a full PlannedResource fits). */
export interface CostInput {
  urn: string;
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export type CostCategory = "server" | "backup" | "ipv4" | "loadBalancer" | "volume";

export interface CostLine {
  /** Stable key: lines with the same key are summed and compared across plans. */
  key: string;
  category: CostCategory;
  /** Human label, e.g. `cx43 @ nbg1`. */
  label: string;
  /** Units: servers, load balancers, GB of volume, addresses. */
  quantity: number;
  /** EUR per unit and month, location factor applied. */
  unitEur: number;
  monthlyEur: number;
  /** Traffic included with these units per month, TB. */
  includedTrafficTB: number;
}

export interface Unpriced {
  urn: string;
  type: string;
  reason: string;
}

/**
 * An autoscaled node group: servers the cluster-autoscaler creates between min and max, read from
 * its `--nodes=min:max:type:location:id` flags in the plan (they are not Pulumi resources).
 */
export interface ElasticLine {
  /** `elastic:<node group id>`. */
  key: string;
  /** e.g. `prod-ingest: ccx33 @ fsn1`. */
  label: string;
  min: number;
  max: number;
  /** One node a month: the server and its automatic primary IPv4, location factor applied. */
  unitEur: number;
  minEur: number;
  maxEur: number;
}

export interface CostReport {
  lines: CostLine[];
  /** The fixed resources (everything Pulumi declares). */
  monthlyEur: number;
  /** Autoscaled node groups (empty without any). */
  elastic: ElasticLine[];
  /** Monthly total with every node group at its min, and at its max (equal to monthlyEur without any). */
  range: { minEur: number; maxEur: number };
  includedTrafficTB: number;
  /** Billed resources the table has no price for: the total is then a lower bound. */
  unpriced: Unpriced[];
}

export interface CostRow {
  key: string;
  category: CostCategory;
  label: string;
  before: { quantity: number; monthlyEur: number };
  after: { quantity: number; monthlyEur: number };
  deltaEur: number;
}

export interface CostDelta {
  before: CostReport;
  after: CostReport;
  /** Every line present on either side, ordered by category then label. */
  rows: CostRow[];
  deltaEur: number;
  /** The price table the numbers come from (date and source), for the comment footer. */
  priceTable: typeof priceTable;
}

export const SERVER_TYPE_TOKEN = "hcloud:index/server:Server";
export const LOAD_BALANCER_TOKEN = "hcloud:index/loadBalancer:LoadBalancer";
export const VOLUME_TOKEN = "hcloud:index/volume:Volume";
export const PRIMARY_IP_TOKEN = "hcloud:index/primaryIp:PrimaryIp";
export const FLOATING_IP_TOKEN = "hcloud:index/floatingIp:FloatingIp";
export const DEPLOYMENT_TOKEN = "kubernetes:apps/v1:Deployment";

/** Hetzner bills server backups at this share of the server price. */
const BACKUP_SHARE = 0.2;

const round2 = (n: number) => Math.round(n * 100) / 100;

function locationOf(inputs: Record<string, unknown>): Location | undefined {
  const l = inputs.location;
  return typeof l === "string" && l in LOCATION_PRICE_FACTOR ? (l as Location) : undefined;
}

/**
 * A server gets an automatic primary IPv4 (billed) unless its publicNets turn IPv4 off or name an
 * explicit PrimaryIp (which is then billed as its own resource).
 */
function autoIpv4(inputs: Record<string, unknown>): boolean {
  const nets = inputs.publicNets;
  if (!Array.isArray(nets) || nets.length === 0) return true;
  const n = (nets[0] ?? {}) as Record<string, unknown>;
  if (n.ipv4Enabled === false) return false;
  return n.ipv4 === undefined || n.ipv4 === null;
}

/**
 * The node groups of a cluster-autoscaler Deployment with the Hetzner provider: its containers'
 * `--nodes=min:max:type:location:id` flags (components/platform/autoscaler.ts). Any other
 * Deployment has none.
 */
export function autoscalerNodeGroups(
  inputs: Record<string, unknown>,
): { min: number; max: number; type: string; location: string; id: string }[] {
  const spec = (inputs.spec ?? {}) as { template?: { spec?: { containers?: { args?: unknown }[] } } };
  const groups: { min: number; max: number; type: string; location: string; id: string }[] = [];
  for (const c of spec.template?.spec?.containers ?? []) {
    const args = Array.isArray(c.args) ? c.args.filter((a): a is string => typeof a === "string") : [];
    if (!args.includes("--cloud-provider=hetzner")) continue;
    for (const a of args) {
      const m = /^--nodes=(\d+):(\d+):([^:]+):([^:]+):(.+)$/.exec(a);
      if (m) groups.push({ min: Number(m[1]), max: Number(m[2]), type: m[3], location: m[4], id: m[5] });
    }
  }
  return groups;
}

/** What the pricing steps of `monthlyCost` add to. */
interface CostAccumulator {
  /** Adds a line, or more of an existing one. */
  add(l: Omit<CostLine, "monthlyEur">): void;
  /** A server's automatic public IPv4 and a standalone primary IP are the same billed item. */
  addPrimaryIpv4(): void;
  unpriced: Unpriced[];
  elastic: ElasticLine[];
}

function costAccumulator(lines: Map<string, CostLine>): CostAccumulator {
  const add = (l: Omit<CostLine, "monthlyEur">) => {
    const prev = lines.get(l.key);
    if (prev) {
      prev.quantity += l.quantity;
      prev.includedTrafficTB += l.includedTrafficTB;
      prev.monthlyEur = round2(prev.quantity * prev.unitEur);
    } else lines.set(l.key, { ...l, monthlyEur: round2(l.quantity * l.unitEur) });
  };
  return {
    add,
    addPrimaryIpv4: () =>
      add({
        key: "ipv4:primary",
        category: "ipv4",
        label: "primary IPv4",
        quantity: 1,
        unitEur: OTHER_PRICES.primaryIpv4,
        includedTrafficTB: 0,
      }),
    unpriced: [],
    elastic: [],
  };
}

/** A server at its location's price, its backups and its automatic IPv4. */
function priceServer(r: CostInput, inputs: Record<string, unknown>, acc: CostAccumulator): void {
  const type = String(inputs.serverType ?? "");
  const st = SERVER_TYPES[type];
  const loc = locationOf(inputs);
  if (!st) {
    acc.unpriced.push({ urn: r.urn, type: r.type, reason: `server type "${type}" is not in the price table` });
    return;
  }
  const factor = loc ? LOCATION_PRICE_FACTOR[loc] : 1;
  const where = loc ?? "any location";
  acc.add({
    key: `server:${type}:${where}`,
    category: "server",
    label: `${type} @ ${where}`,
    quantity: 1,
    unitEur: round2(st.monthlyEur * factor),
    includedTrafficTB: st.includedTrafficTB,
  });
  if (inputs.backups === true)
    acc.add({
      key: `backup:${type}:${where}`,
      category: "backup",
      label: `backups of ${type} @ ${where}`,
      quantity: 1,
      unitEur: round2(st.monthlyEur * factor * BACKUP_SHARE),
      includedTrafficTB: 0,
    });
  if (autoIpv4(inputs)) acc.addPrimaryIpv4();
}

/** A load balancer: flat across EU locations, its addresses included. */
function priceLoadBalancer(r: CostInput, inputs: Record<string, unknown>, acc: CostAccumulator): void {
  const type = String(inputs.loadBalancerType ?? "");
  const lb = LOAD_BALANCER_TYPES[type];
  if (!lb) {
    acc.unpriced.push({ urn: r.urn, type: r.type, reason: `load balancer type "${type}" is not in the price table` });
    return;
  }
  acc.add({
    key: `lb:${type}`,
    category: "loadBalancer",
    label: type,
    quantity: 1,
    unitEur: lb.monthlyEur,
    includedTrafficTB: lb.includedTrafficTB,
  });
}

/** Volume storage, per GB. */
function priceVolume(r: CostInput, inputs: Record<string, unknown>, acc: CostAccumulator): void {
  const size = Number(inputs.size);
  if (!Number.isFinite(size) || size <= 0) {
    acc.unpriced.push({ urn: r.urn, type: r.type, reason: `volume size ${JSON.stringify(inputs.size)} is unknown` });
    return;
  }
  acc.add({
    key: "volume:gb",
    category: "volume",
    label: "volume storage (GB)",
    quantity: size,
    unitEur: OTHER_PRICES.volumePerGB,
    includedTrafficTB: 0,
  });
}

/** The cluster-autoscaler's node groups (a Deployment's args): a min–max range each. */
function priceAutoscaledGroups(r: CostInput, inputs: Record<string, unknown>, acc: CostAccumulator): void {
  for (const g of autoscalerNodeGroups(inputs)) {
    const st = SERVER_TYPES[g.type];
    const loc = g.location in LOCATION_PRICE_FACTOR ? (g.location as Location) : undefined;
    if (!st || !loc) {
      acc.unpriced.push({
        urn: r.urn,
        type: r.type,
        reason: `autoscaled node group ${g.id}: ${!st ? `server type "${g.type}"` : `location "${g.location}"`} is not in the price table`,
      });
      continue;
    }
    // Every autoscaled server gets an automatic primary IPv4 (HCLOUD_PUBLIC_IPV4, like Pulumi's workers).
    const unitEur = round2(st.monthlyEur * LOCATION_PRICE_FACTOR[loc] + OTHER_PRICES.primaryIpv4);
    acc.elastic.push({
      key: `elastic:${g.id}`,
      label: `${g.id}: ${g.type} @ ${loc}`,
      min: g.min,
      max: g.max,
      unitEur,
      minEur: round2(g.min * unitEur),
      maxEur: round2(g.max * unitEur),
    });
  }
}

/** Primary and floating IPs: IPv6 is free, a primary IPv4 is priced, a floating IP is not in the table. */
function priceAddress(r: CostInput, inputs: Record<string, unknown>, acc: CostAccumulator): void {
  const kind = String(inputs.type ?? "");
  if (kind === "ipv6") return;
  if (r.type === FLOATING_IP_TOKEN) {
    acc.unpriced.push({ urn: r.urn, type: r.type, reason: "floating IPs are not in the price table" });
    return;
  }
  acc.addPrimaryIpv4();
}

const PRICERS: Record<string, (r: CostInput, inputs: Record<string, unknown>, acc: CostAccumulator) => void> = {
  [SERVER_TYPE_TOKEN]: priceServer,
  [LOAD_BALANCER_TOKEN]: priceLoadBalancer,
  [VOLUME_TOKEN]: priceVolume,
  [DEPLOYMENT_TOKEN]: priceAutoscaledGroups,
  [PRIMARY_IP_TOKEN]: priceAddress,
  [FLOATING_IP_TOKEN]: priceAddress,
};

/** Cost lines for one plan. Pure: the same resources always give the same report. */
export function monthlyCost(resources: readonly CostInput[]): CostReport {
  const lines = new Map<string, CostLine>();
  const acc = costAccumulator(lines);
  for (const r of resources) PRICERS[r.type]?.(r, r.inputs ?? {}, acc);
  const out = [...lines.values()].sort(byCategoryThenLabel);
  const monthlyEur = round2(out.reduce((s, l) => s + l.monthlyEur, 0));
  const elastic = [...acc.elastic].sort((a, b) => a.key.localeCompare(b.key));
  return {
    lines: out,
    monthlyEur,
    elastic,
    range: {
      minEur: round2(monthlyEur + elastic.reduce((s, l) => s + l.minEur, 0)),
      maxEur: round2(monthlyEur + elastic.reduce((s, l) => s + l.maxEur, 0)),
    },
    includedTrafficTB: out.reduce((s, l) => s + l.includedTrafficTB, 0),
    unpriced: acc.unpriced,
  };
}

const ORDER: CostCategory[] = ["server", "backup", "ipv4", "loadBalancer", "volume"];
function byCategoryThenLabel(
  a: { category: CostCategory; label: string },
  b: { category: CostCategory; label: string },
) {
  return ORDER.indexOf(a.category) - ORDER.indexOf(b.category) || a.label.localeCompare(b.label);
}

/** Before → after per line, and the total delta. */
export function costDelta(before: readonly CostInput[], after: readonly CostInput[]): CostDelta {
  const b = monthlyCost(before);
  const a = monthlyCost(after);
  const keys = new Set([...b.lines.map((l) => l.key), ...a.lines.map((l) => l.key)]);
  const rows: CostRow[] = [...keys].map((key) => {
    const lb = b.lines.find((l) => l.key === key);
    const la = a.lines.find((l) => l.key === key);
    const ref = (la ?? lb) as CostLine;
    const before = { quantity: lb?.quantity ?? 0, monthlyEur: lb?.monthlyEur ?? 0 };
    const after = { quantity: la?.quantity ?? 0, monthlyEur: la?.monthlyEur ?? 0 };
    return {
      key,
      category: ref.category,
      label: ref.label,
      before,
      after,
      deltaEur: round2(after.monthlyEur - before.monthlyEur),
    };
  });
  rows.sort(byCategoryThenLabel);
  return { before: b, after: a, rows, deltaEur: round2(a.monthlyEur - b.monthlyEur), priceTable };
}

/** `€1,234.50` with a sign when asked (`+€12.00`, `−€3.99`). */
/** `€1.00–€2.00`, or one amount when both ends are equal. */
export function eurRange(r: { minEur: number; maxEur: number }): string {
  return r.minEur === r.maxEur ? eur(r.minEur) : `${eur(r.minEur)}–${eur(r.maxEur)}`;
}

export function eur(n: number, signed = false): string {
  const abs = Math.abs(n).toLocaleString("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (!signed) return `${n < 0 ? "−" : ""}€${abs}`;
  return `${n > 0 ? "+" : n < 0 ? "−" : "±"}€${abs}`;
}
