/**
 * Hetzner Cloud catalog as data: locations, network zones, server types (size and monthly
 * price) and the other billed items. One table serves config validation (is this a real
 * server type?), tenant capacity checks (cores and memory per worker) and the PR cost delta.
 *
 * Prices are EUR per month excluding VAT, for EU locations; US/SG locations carry a
 * surcharge factor. A price change is a one-line reviewed change here; `takenOn` says how old
 * the table is so reviewers can tell when it needs a refresh.
 *
 * Where the numbers come from (checked 2026-11-26). Hetzner's price page renders its prices in
 * the browser and its pricing API (GET /v1/pricing) needs a project token, so neither could be
 * read from here; what public sources confirm:
 * - cx23 €3.99 and cx33 €6.49 per month, primary IPv4 €0.50: project notes quoting
 *   "post-April-2026 pricing" (2026).
 * - cx33 €6.49, volumes €0.0572/GB, traffic overage €1.00/TB, 20 TB included per server: a
 *   commit quoting Hetzner's pricing API for fsn1 on 2026-05-27
 *   (devantler-tech/platform cb791c6).
 * - The pre-adjustment list (a public table dated 2025-10-21) had cx23 €3.49, cx33 €5.49,
 *   cx43 €9.49, cpx22 €6.49, ccx13 €12.49, ccx33 €48.49, cax11 €3.79: every other row below is
 *   this table's post-April estimate, above those old prices, NOT confirmed by a 2026 source.
 * - On 2026-06-15 Hetzner raised prices again for NEW cloud server orders and for rescales only
 *   (existing servers keep their rate; IPs, load balancers and volumes unchanged); the new
 *   numbers were not published in any source found. A server a PR creates or resizes is
 *   therefore likely billed above this table: the cost delta is a lower bound for those.
 * Re-checked 2026-11-30 (no newer public price source found; Hetzner's pages still render prices
 * client-side): the numbers above stand, load balancer prices included. Added then: where each
 * line can be ordered (`orderableIn`) and the retired types (`RETIRED_SERVER_TYPES`), both refused
 * by the config with the fix. CX23-CX53 and CAX11-CAX41 are sold only in fsn1/nbg1/hel1 (tools
 * that poll their stock query exactly those, e.g. avalonreset/legends-hetzner v0.1.3, 2026) and
 * their stock runs out at times: `pulumi up` can then fail with "resource unavailable" for a new
 * server, and the fix is another EU location or a CPX/CCX type. CPX22-CPX62 were launched for the
 * EU locations (October 2025); no source read here confirms them in ash/hil/sin, so the config
 * refuses them there until one does. CCX is sold in every location. Since 2026-04-01 Hetzner
 * publishes availability per server type and location in its API (ServerType.locations[], see
 * docs.hetzner.cloud/changelog#2026-04-01-datacenter-deprecations): with a token,
 * `hcloud server-type describe <type>` shows the live list to update `orderableIn` from.
 */
export const priceTable = {
  takenOn: "2026-11-26",
  source:
    "Hetzner Cloud list prices, monthly caps excl. VAT, as of the 2026-04-01 adjustment; partly confirmed (see components/site/catalog.ts)",
  currency: "EUR",
  /** What the reviewer should know when reading a delta computed from this table. */
  caveat:
    "servers ordered or rescaled since 2026-06-15 are billed at newer, higher rates not in this table: deltas for new or resized servers are lower bounds",
} as const;

export const LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"] as const;
export type Location = (typeof LOCATIONS)[number];

/** Private networks are per network zone; a subnet's zone must match its servers' location. */
export const NETWORK_ZONE: Record<Location, string> = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
};

/**
 * Non-EU locations are priced higher than EU ones for the same server type. Coarse: the ratios
 * of the 2025-10-21 per-location list prices of the CCX line (the one line sold everywhere):
 * US +4–8 %, Singapore +43–72 % (CPX in Singapore was up to 2.3×). CX and CAX are EU-only.
 * Traffic included outside the EU is far lower (about 1–8 TB instead of 20 TB) and not modeled.
 */
export const LOCATION_PRICE_FACTOR: Record<Location, number> = {
  fsn1: 1,
  nbg1: 1,
  hel1: 1,
  ash: 1.05,
  hil: 1.05,
  sin: 1.6,
};

/** Hetzner's EU locations: the only ones that sell the CX (cost-optimized), CAX and second-generation CPX lines. */
const EU: readonly Location[] = ["fsn1", "nbg1", "hel1"];
const EVERYWHERE: readonly Location[] = LOCATIONS;

export interface ServerType {
  /** Where Hetzner takes new orders of this type; the config refuses it anywhere else. */
  orderableIn: readonly Location[];
  cores: number;
  memoryGiB: number;
  diskGB: number;
  arch: "x86" | "arm";
  /** EUR per month, EU locations, IPv4 not included. */
  monthlyEur: number;
  /** Traffic included per month, TB. */
  includedTrafficTB: number;
}

export const SERVER_TYPES: Record<string, ServerType> = {
  // Shared vCPU, Intel/AMD (2025 generation names).
  cx23: { orderableIn: EU, cores: 2, memoryGiB: 4, diskGB: 40, arch: "x86", monthlyEur: 3.99, includedTrafficTB: 20 }, // confirmed 2026
  cx33: { orderableIn: EU, cores: 4, memoryGiB: 8, diskGB: 80, arch: "x86", monthlyEur: 6.49, includedTrafficTB: 20 }, // confirmed 2026
  cx43: {
    orderableIn: EU,
    cores: 8,
    memoryGiB: 16,
    diskGB: 160,
    arch: "x86",
    monthlyEur: 11.99,
    includedTrafficTB: 20,
  },
  cx53: {
    orderableIn: EU,
    cores: 16,
    memoryGiB: 32,
    diskGB: 320,
    arch: "x86",
    monthlyEur: 22.49,
    includedTrafficTB: 20,
  },
  // Shared vCPU, AMD.
  cpx22: { orderableIn: EU, cores: 2, memoryGiB: 4, diskGB: 80, arch: "x86", monthlyEur: 7.99, includedTrafficTB: 20 },
  cpx32: {
    orderableIn: EU,
    cores: 4,
    memoryGiB: 8,
    diskGB: 160,
    arch: "x86",
    monthlyEur: 13.99,
    includedTrafficTB: 20,
  },
  cpx42: {
    orderableIn: EU,
    cores: 8,
    memoryGiB: 16,
    diskGB: 320,
    arch: "x86",
    monthlyEur: 25.49,
    includedTrafficTB: 20,
  },
  cpx52: {
    orderableIn: EU,
    cores: 12,
    memoryGiB: 24,
    diskGB: 480,
    arch: "x86",
    monthlyEur: 36.49,
    includedTrafficTB: 20,
  },
  cpx62: {
    orderableIn: EU,
    cores: 16,
    memoryGiB: 32,
    diskGB: 640,
    arch: "x86",
    monthlyEur: 49.99,
    includedTrafficTB: 20,
  },
  // Shared vCPU, Ampere (arm64).
  cax11: { orderableIn: EU, cores: 2, memoryGiB: 4, diskGB: 40, arch: "arm", monthlyEur: 4.49, includedTrafficTB: 20 },
  cax21: { orderableIn: EU, cores: 4, memoryGiB: 8, diskGB: 80, arch: "arm", monthlyEur: 7.99, includedTrafficTB: 20 },
  cax31: {
    orderableIn: EU,
    cores: 8,
    memoryGiB: 16,
    diskGB: 160,
    arch: "arm",
    monthlyEur: 15.99,
    includedTrafficTB: 20,
  },
  cax41: {
    orderableIn: EU,
    cores: 16,
    memoryGiB: 32,
    diskGB: 320,
    arch: "arm",
    monthlyEur: 31.49,
    includedTrafficTB: 20,
  },
  // Dedicated vCPU: ingest/transcode nodes want these.
  ccx13: {
    orderableIn: EVERYWHERE,
    cores: 2,
    memoryGiB: 8,
    diskGB: 80,
    arch: "x86",
    monthlyEur: 15.49,
    includedTrafficTB: 20,
  },
  ccx23: {
    orderableIn: EVERYWHERE,
    cores: 4,
    memoryGiB: 16,
    diskGB: 160,
    arch: "x86",
    monthlyEur: 30.49,
    includedTrafficTB: 20,
  },
  ccx33: {
    orderableIn: EVERYWHERE,
    cores: 8,
    memoryGiB: 32,
    diskGB: 240,
    arch: "x86",
    monthlyEur: 60.49,
    includedTrafficTB: 30,
  },
  ccx43: {
    orderableIn: EVERYWHERE,
    cores: 16,
    memoryGiB: 64,
    diskGB: 360,
    arch: "x86",
    monthlyEur: 120.49,
    includedTrafficTB: 40,
  },
  ccx53: {
    orderableIn: EVERYWHERE,
    cores: 32,
    memoryGiB: 128,
    diskGB: 600,
    arch: "x86",
    monthlyEur: 240.49,
    includedTrafficTB: 50,
  },
  ccx63: {
    orderableIn: EVERYWHERE,
    cores: 48,
    memoryGiB: 192,
    diskGB: 960,
    arch: "x86",
    monthlyEur: 360.49,
    includedTrafficTB: 60,
  },
};

/**
 * Server types Hetzner no longer takes orders for, each with the type to order instead, so the
 * config refuses them with that fix instead of only "not in the catalog". Sources (checked
 * 2026-11-30): the first CX generation (cx11, cx21, ...) was removed on 2024-09-06 (as projects
 * moving to cx22 quoted Hetzner's notice: trailofbits/algo#14730, kubernetes-sigs/image-builder#1492);
 * the October 2025 CX23-CX53 and CPX22-CPX62 lines replaced CX22-CX52 and, in the EU locations,
 * CPX11-CPX51 (public benchmark tables of 2025-10-21 list the new lines beside the old ones).
 */
export const RETIRED_SERVER_TYPES: Readonly<Record<string, { use: string; why: string }>> = {
  cx11: { use: "cx23", why: "removed 2024-09-06" },
  cx21: { use: "cx23", why: "removed 2024-09-06" },
  cx31: { use: "cx33", why: "removed 2024-09-06" },
  cx41: { use: "cx43", why: "removed 2024-09-06" },
  cx51: { use: "cx53", why: "removed 2024-09-06" },
  cx22: { use: "cx23", why: "replaced by the CX23-CX53 line in October 2025" },
  cx32: { use: "cx33", why: "replaced by the CX23-CX53 line in October 2025" },
  cx42: { use: "cx43", why: "replaced by the CX23-CX53 line in October 2025" },
  cx52: { use: "cx53", why: "replaced by the CX23-CX53 line in October 2025" },
  cpx11: { use: "cpx22", why: "replaced by the CPX22-CPX62 line in the EU locations in October 2025" },
  cpx21: { use: "cpx22", why: "replaced by the CPX22-CPX62 line in the EU locations in October 2025" },
  cpx31: { use: "cpx32", why: "replaced by the CPX22-CPX62 line in the EU locations in October 2025" },
  cpx41: { use: "cpx42", why: "replaced by the CPX22-CPX62 line in the EU locations in October 2025" },
  cpx51: { use: "cpx52", why: "replaced by the CPX22-CPX62 line in the EU locations in October 2025" },
};

/**
 * Why `type` cannot be ordered in `location`, with the fix; undefined when it can. Written for the
 * config error (components/config/schema.ts), which adds the field path.
 */
export function serverTypeOrderProblem(type: string, location: Location): string | undefined {
  const t = SERVER_TYPES[type];
  if (!t) return undefined;
  if (t.orderableIn.includes(location)) return undefined;
  const here = Object.entries(SERVER_TYPES)
    .filter(([, o]) => o.orderableIn.includes(location) && o.cores >= t.cores && o.memoryGiB >= t.memoryGiB)
    .sort(([, a], [, b]) => a.monthlyEur - b.monthlyEur)[0]?.[0];
  return (
    `${type} is not sold in ${location} (Hetzner sells it only in ${t.orderableIn.join(", ")})` +
    (here
      ? `: use ${here} there (at least ${t.cores} cores and ${t.memoryGiB} GiB), or a location that sells ${type}`
      : "")
  );
}

/** Load balancers: not repriced on 2026-06-15; these EUR values are not confirmed by a 2026 source. */
export const LOAD_BALANCER_TYPES: Record<string, { monthlyEur: number; includedTrafficTB: number }> = {
  lb11: { monthlyEur: 5.99, includedTrafficTB: 20 },
  lb21: { monthlyEur: 17.99, includedTrafficTB: 20 },
  lb31: { monthlyEur: 35.49, includedTrafficTB: 20 },
};

/** Other billed items, EUR per month (all three confirmed for 2026, see the header). */
export const OTHER_PRICES = {
  primaryIpv4: 0.5,
  volumePerGB: 0.0572,
  trafficOveragePerTB: 1.0,
} as const;
