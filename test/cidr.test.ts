import { strict as assert } from "node:assert";
import {
  adminSpanProblem,
  cidrProblem,
  coveredAddresses,
  parseCidr,
  wholeInternetFamilies,
  WHOLE_INTERNET,
} from "../components/config/cidr";
import { siteSchema } from "../components/config/schema";
import { expectInputError, planWith, withStackConfig } from "./helpers/harness";

// Expectations are written out here, never taken from the module: a weakened parser or limit
// must fail these tests, not move them along with it.

describe("CIDRs: parsed, not compared as strings (components/config/cidr.ts)", () => {
  it("the whole internet is 0.0.0.0/0 and ::/0", () => {
    assert.deepEqual([...WHOLE_INTERNET], ["0.0.0.0/0", "::/0"]);
  });

  it("parses IPv4 and IPv6 ranges to their first address and prefix", () => {
    assert.deepEqual(parseCidr("10.0.0.0/16"), { family: 4, base: 0x0a000000n, prefix: 16 });
    assert.deepEqual(parseCidr("203.0.113.10/32"), { family: 4, base: 0xcb00710an, prefix: 32 });
    assert.deepEqual(parseCidr("255.255.255.255/32"), { family: 4, base: 0xffffffffn, prefix: 32 });
    assert.deepEqual(parseCidr("2001:db8::/32"), { family: 6, base: 0x20010db8n << 96n, prefix: 32 });
    assert.deepEqual(parseCidr("0::/0"), { family: 6, base: 0n, prefix: 0 });
    assert.deepEqual(parseCidr("0.0.0.0/00"), { family: 4, base: 0n, prefix: 0 });
    assert.deepEqual(parseCidr("::ffff:192.0.2.0/120"), {
      family: 6,
      base: (0xffffn << 32n) | 0xc0000200n,
      prefix: 120,
    });
  });

  it("refuses malformed ranges with the reason: address, prefix length, host bits", () => {
    const cases: Array<[string, RegExp]> = [
      ["fe80::/999", /prefix length "999" must be a number from 0 to 128/],
      ["10.0.0.0/33", /prefix length "33" must be a number from 0 to 32/],
      ["10.0.0.0/-1", /prefix length "-1"/],
      ["10.0.0.0/1e1", /prefix length "1e1"/],
      ["10.0.0.0/", /prefix length ""/],
      ["abc::def::/64", /"abc::def::" is not an IPv4 or IPv6 address/],
      ["256.0.0.0/8", /"256.0.0.0" is not an IPv4 or IPv6 address/],
      ["010.0.0.0/8", /"010.0.0.0" is not an IPv4 or IPv6 address/],
      ["fe80::1%eth0/64", /"fe80::1%eth0" is not an IPv4 or IPv6 address/],
      ["10.0.0.0", /must be an address and a prefix length/],
      ["10.0.0.0/8/8", /must be an address and a prefix length/],
      ["10.0.0.1/16", /host bits are set \(the range starts at 10\.0\.0\.0\/16\)/],
      ["2001:db8::1/32", /host bits are set \(the range starts at 2001:db8::\/32\)/],
      ["10.0.0.128/25", /^$/],
      ["2001:db8:0:1::/64", /^$/],
    ];
    for (const [cidr, want] of cases) {
      assert.match(cidrProblem(cidr) ?? "", want, cidr);
      assert.equal(parseCidr(cidr) === undefined, want.source !== "^$", cidr);
    }
  });

  it("counts covered addresses once, per family, overlaps and nesting included", () => {
    const c = (...l: string[]) => coveredAddresses(l.map((s) => parseCidr(s)!));
    assert.deepEqual(c("10.0.0.0/8", "10.1.0.0/16", "11.0.0.0/8"), { 4: 2n ** 25n, 6: 0n });
    assert.deepEqual(c("10.0.0.0/31", "10.0.0.1/32", "10.0.0.2/32"), { 4: 3n, 6: 0n });
    assert.deepEqual(c("10.0.0.2/32", "10.0.0.0/30"), { 4: 4n, 6: 0n });
    assert.deepEqual(c("10.0.0.0/32", "10.0.0.1/32"), { 4: 2n, 6: 0n });
    // Same first address, the wider range second, and the reverse.
    assert.deepEqual(c("10.0.0.0/32", "10.0.0.0/31"), { 4: 2n, 6: 0n });
    assert.deepEqual(c("10.0.0.0/31", "10.0.0.0/32"), { 4: 2n, 6: 0n });
    assert.deepEqual(c("10.0.0.4/30", "10.0.0.0/30", "10.0.0.8/29"), { 4: 16n, 6: 0n });
    assert.deepEqual(c("2001:db8::/64", "10.0.0.0/24"), { 4: 256n, 6: 2n ** 64n });
    assert.deepEqual(c("0.0.0.0/1", "128.0.0.0/1"), { 4: 2n ** 32n, 6: 0n });
    assert.deepEqual(c(), { 4: 0n, 6: 0n });
  });

  it("whole-internet families: any spelling of /0, and ranges that add up to a whole family", () => {
    assert.deepEqual(wholeInternetFamilies(["0.0.0.0/0"]), [4]);
    assert.deepEqual(wholeInternetFamilies(["::/0"]), [6]);
    assert.deepEqual(wholeInternetFamilies(["0::/0", "0.0.0.0/00"]), [4, 6]);
    assert.deepEqual(wholeInternetFamilies(["0.0.0.0/1", "128.0.0.0/1"]), [4]);
    assert.deepEqual(wholeInternetFamilies(["::/1", "8000::/1"]), [6]);
    assert.deepEqual(wholeInternetFamilies(["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"]), [4]);
    assert.deepEqual(wholeInternetFamilies(["0.0.0.0/1", "128.0.0.0/2", "193.0.0.0/8"]), []);
    assert.deepEqual(wholeInternetFamilies(["255.255.255.255/32", "0.0.0.0/1"]), []);
    assert.deepEqual(wholeInternetFamilies(["203.0.113.0/24", "2001:db8::/32"]), []);
  });

  it("admin ranges: at most a /8 of IPv4 and a /32 of IPv6 in total", () => {
    // At the limit: allowed.
    assert.equal(adminSpanProblem(["10.0.0.0/8"]), undefined);
    assert.equal(adminSpanProblem(["10.0.0.0/9", "10.128.0.0/9"]), undefined);
    assert.equal(adminSpanProblem(["2001:db8::/32", "10.0.0.0/8"]), undefined);
    assert.equal(adminSpanProblem(["203.0.113.10/32", "2001:db8:1::/48"]), undefined);
    // One address past it: refused.
    assert.match(adminSpanProblem(["10.0.0.0/8", "11.0.0.0/32"]) ?? "", /covers more of IPv4 than one \/8/);
    assert.match(adminSpanProblem(["10.0.0.0/7"]) ?? "", /covers more of IPv4 than one \/8/);
    assert.match(adminSpanProblem(["2001:db8::/31"]) ?? "", /covers more of IPv6 than one \/32/);
    assert.match(adminSpanProblem(["2001:db8::/32", "2001:db9::/128"]) ?? "", /covers more of IPv6 than one \/32/);
    // The whole internet, however spelled.
    for (const l of [["0.0.0.0/0"], ["0.0.0.0/00"], ["0.0.0.0/1", "128.0.0.0/1"]])
      assert.match(adminSpanProblem(l) ?? "", /covers the whole IPv4 internet/, l.join(" "));
    for (const l of [["::/0"], ["0::/0"], ["::/1", "8000::/1"]])
      assert.match(adminSpanProblem(l) ?? "", /covers the whole IPv6 internet/, l.join(" "));
    assert.match(
      adminSpanProblem(["0.0.0.0/0", "::/0"]) ?? "",
      /^covers the whole IPv4 internet; covers the whole IPv6 internet: SSH and the Kubernetes API are only for admins/,
    );
  });
});

describe("CIDRs in the stack file: refused at the config edge, naming the file and field", () => {
  const refused = async (mutate: (site: Record<string, any>, k3s: Record<string, any>) => void) => {
    const problems = await expectInputError(() =>
      planWith({
        stack: "staging",
        stackConfig: withStackConfig("staging", (c) => mutate(c["video-platform:site"], c["video-platform:k3s"])),
      }),
    );
    return problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
  };

  it("admin CIDRs that are the whole internet, alone or together", async () => {
    assert.deepEqual(await refused((s) => (s.adminCidrs = ["203.0.113.10/32", "0::/0", "0.0.0.0/00"])), [
      "Pulumi.staging.yaml: video-platform:site.adminCidrs[1]: must be an IPv4 or IPv6 CIDR like 203.0.113.10/32: covers the whole IPv6 internet: SSH and the Kubernetes API are only for admins; name your office/VPN ranges (at most a /8 of IPv4 and a /32 of IPv6 in total)",
      "Pulumi.staging.yaml: video-platform:site.adminCidrs[2]: must be an IPv4 or IPv6 CIDR like 203.0.113.10/32: covers the whole IPv4 internet: SSH and the Kubernetes API are only for admins; name your office/VPN ranges (at most a /8 of IPv4 and a /32 of IPv6 in total)",
    ]);
    // Each half of the pair is already far past the limit alone.
    assert.deepEqual(await refused((s) => (s.adminCidrs = ["0.0.0.0/1", "128.0.0.0/1"])), [
      "Pulumi.staging.yaml: video-platform:site.adminCidrs[0]: must be an IPv4 or IPv6 CIDR like 203.0.113.10/32: covers more of IPv4 than one /8: SSH and the Kubernetes API are only for admins; name your office/VPN ranges (at most a /8 of IPv4 and a /32 of IPv6 in total)",
      "Pulumi.staging.yaml: video-platform:site.adminCidrs[1]: must be an IPv4 or IPv6 CIDR like 203.0.113.10/32: covers more of IPv4 than one /8: SSH and the Kubernetes API are only for admins; name your office/VPN ranges (at most a /8 of IPv4 and a /32 of IPv6 in total)",
    ]);
    // Ranges allowed one by one, too much together: the list is named.
    assert.deepEqual(await refused((s) => (s.adminCidrs = ["10.0.0.0/8", "172.16.0.0/12"])), [
      "Pulumi.staging.yaml: video-platform:site.adminCidrs: [10.0.0.0/8, 172.16.0.0/12] together covers more of IPv4 than one /8: SSH and the Kubernetes API are only for admins; name your office/VPN ranges (at most a /8 of IPv4 and a /32 of IPv6 in total)",
    ]);
  });

  it("malformed ranges in adminCidrs, networkCidr, clusterCidr and serviceCidr", async () => {
    assert.deepEqual(
      await refused((s, k) => {
        s.adminCidrs = ["fe80::/999", "203.0.113.10/32"];
        s.networkCidr = "abc::def::/64";
        k.clusterCidr = "10.42.0.1/16";
        k.serviceCidr = "fd00::/108";
      }),
      [
        'Pulumi.staging.yaml: video-platform:site.networkCidr: must be an IPv4 CIDR like 10.0.0.0/16: "abc::def::" is not an IPv4 or IPv6 address',
        'Pulumi.staging.yaml: video-platform:site.adminCidrs[0]: must be an IPv4 or IPv6 CIDR like 203.0.113.10/32: prefix length "999" must be a number from 0 to 128',
        "Pulumi.staging.yaml: video-platform:k3s.clusterCidr: must be an IPv4 CIDR like 10.0.0.0/16: host bits are set (the range starts at 10.42.0.0/16)",
        "Pulumi.staging.yaml: video-platform:k3s.serviceCidr: must be an IPv4 CIDR like 10.0.0.0/16: is an IPv6 range",
      ],
    );
  });

  it("the nearest legitimate lists pass: a /8 of IPv4 and a /32 of IPv6 together", () => {
    const site = withStackConfig("staging", () => undefined)["video-platform:site"] as Record<string, unknown>;
    const parsed = siteSchema.safeParse({ ...site, adminCidrs: ["10.0.0.0/8", "2001:db8::/32"] });
    assert.ok(parsed.success, JSON.stringify(!parsed.success && parsed.error.issues));
    assert.deepEqual(parsed.data.adminCidrs, ["10.0.0.0/8", "2001:db8::/32"]);
    // One address more, and the same list is refused.
    assert.equal(siteSchema.safeParse({ ...site, adminCidrs: ["10.0.0.0/8", "11.0.0.0/32"] }).success, false);
  });
});
