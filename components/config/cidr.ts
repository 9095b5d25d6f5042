/**
 * Address ranges, parsed rather than compared as strings: `0::/0`, `0.0.0.0/00` and the pair
 * `0.0.0.0/1` + `128.0.0.0/1` are all the whole internet, and only arithmetic sees that. Used by
 * the config schema (every CIDR in a stack file), the firewall and the site rules.
 */
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** The whole internet, once: every IPv4 and every IPv6 address. */
export const WHOLE_INTERNET = ["0.0.0.0/0", "::/0"] as const;

export type Family = 4 | 6;

/** Address bits per family. */
export const FAMILY_BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** A parsed range: the first address as an integer, its prefix length and family. */
export interface Cidr {
  family: Family;
  base: bigint;
  prefix: number;
}

/** Why a string is not a CIDR, or undefined when it is one. */
export function cidrProblem(cidr: string): string | undefined {
  const parts = cidr.split("/");
  if (parts.length !== 2) return "must be an address and a prefix length, like 203.0.113.10/32 or 2001:db8::/48";
  const [addr, bits] = parts;
  const family = isIP(addr);
  // node:net accepts IPv6 zone ids ("fe80::1%eth0"): a firewall source never has one.
  if ((family !== 4 && family !== 6) || addr.includes("%")) return `"${addr}" is not an IPv4 or IPv6 address`;
  const max = FAMILY_BITS[family];
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `prefix length "${bits}" must be a number from 0 to ${max}`;
  const base = toBigInt(addr, family);
  const prefix = Number(bits);
  if ((base & hostMask(family, prefix)) !== 0n)
    return `host bits are set (the range starts at ${fromBigInt(base & ~hostMask(family, prefix), family)}/${prefix})`;
  return undefined;
}

/** Parses `address/prefix` (IPv4 or IPv6); undefined when malformed or host bits are set. */
export function parseCidr(cidr: string): Cidr | undefined {
  if (cidrProblem(cidr) !== undefined) return undefined;
  const [addr, bits] = cidr.split("/");
  const family = isIP(addr) as Family;
  return { family, base: toBigInt(addr, family), prefix: Number(bits) };
}

/** The address as an integer; node:net has validated the text, ipaddr.js expands `::` forms. */
function toBigInt(addr: string, family: Family): bigint {
  const bytes = family === 4 ? ipaddr.IPv4.parse(addr).toByteArray() : ipaddr.IPv6.parse(addr).toByteArray();
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function fromBigInt(n: bigint, family: Family): string {
  const bytes: number[] = [];
  for (let i = 0; i < FAMILY_BITS[family] / 8; i++) bytes.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(FAMILY_BITS[family] - prefix)) - 1n;
}

/** How many addresses of each family the ranges cover together (overlaps counted once). */
export function coveredAddresses(cidrs: readonly Cidr[]): Record<Family, bigint> {
  const out: Record<Family, bigint> = { 4: 0n, 6: 0n };
  for (const family of [4, 6] as const) {
    const spans = cidrs
      .filter((c) => c.family === family)
      .map((c) => [c.base, c.base + hostMask(family, c.prefix)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let end = -1n;
    for (const [first, last] of spans) {
      if (last <= end) continue;
      out[family] += last - (first > end ? first : end + 1n) + 1n;
      end = last;
    }
  }
  return out;
}

/** Every address of the family: 2^32 or 2^128. */
export const familySize = (family: Family): bigint => 1n << BigInt(FAMILY_BITS[family]);

/** The families whose whole space the ranges cover together (unparseable ranges are skipped). */
export function wholeInternetFamilies(cidrs: readonly string[]): Family[] {
  const covered = coveredAddresses(cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined));
  return ([4, 6] as const).filter((f) => covered[f] === familySize(f));
}

/**
 * The most an admin range list may cover, per family. Admin CIDRs name offices, VPN exits and CI
 * runners: the largest such block a real organisation holds is an ISP-sized allocation, an IPv4
 * /8 (16.7 million addresses, 1/256 of the space) or an IPv6 /32 (the standard LIR allocation).
 * Anything larger in total is not "our admins" but a share of the internet, so it is refused;
 * the whole space (`0.0.0.0/0`, `::/0`, or halves that add up to it) is far past it.
 */
export const ADMIN_SPAN_LIMIT: Record<Family, { prefix: number; addresses: bigint }> = {
  4: { prefix: 8, addresses: 1n << 24n },
  6: { prefix: 32, addresses: 1n << 96n },
};

/** Why a list of admin ranges is too wide together, or undefined (malformed entries are skipped). */
export function adminSpanProblem(cidrs: readonly string[]): string | undefined {
  const parsed = cidrs.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const covered = coveredAddresses(parsed);
  const problems: string[] = [];
  for (const family of [4, 6] as const) {
    const limit = ADMIN_SPAN_LIMIT[family];
    if (covered[family] === familySize(family)) problems.push(`covers the whole IPv${family} internet`);
    else if (covered[family] > limit.addresses) problems.push(`covers more of IPv${family} than one /${limit.prefix}`);
  }
  if (!problems.length) return undefined;
  return `${problems.join("; ")}: SSH and the Kubernetes API are only for admins; name your office/VPN ranges (at most a /8 of IPv4 and a /32 of IPv6 in total)`;
}
