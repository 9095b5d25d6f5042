/**
 * The cost model (tools/cost) and the price table it reads (components/site/catalog.ts): exact
 * arithmetic on hand-built resources, and no server or load balancer type in use without a price.
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  LOAD_BALANCER_TYPES,
  LOCATION_PRICE_FACTOR,
  LOCATIONS,
  NETWORK_ZONE,
  OTHER_PRICES,
  RETIRED_SERVER_TYPES,
  priceTable,
  SERVER_TYPES,
} from "../components/site/catalog";
import { costDelta, CostInput, eur, monthlyCost } from "../tools/cost/model";
import { siteSchema } from "../components/config/schema";
import {
  expectInputError,
  ofType,
  planStack,
  planWith,
  readStackConfig,
  repoRoot,
  withStackConfig,
} from "./helpers/harness";

const server = (name: string, inputs: Record<string, unknown>): CostInput => ({
  urn: `urn:pulumi:t::p::hcloud:index/server:Server::${name}`,
  type: "hcloud:index/server:Server",
  name,
  inputs,
});
const lb = (name: string, type: string): CostInput => ({
  urn: `urn:pulumi:t::p::hcloud:index/loadBalancer:LoadBalancer::${name}`,
  type: "hcloud:index/loadBalancer:LoadBalancer",
  name,
  inputs: { loadBalancerType: type, location: "nbg1" },
});
const volume = (name: string, size: number): CostInput => ({
  urn: `urn:pulumi:t::p::hcloud:index/volume:Volume::${name}`,
  type: "hcloud:index/volume:Volume",
  name,
  inputs: { size, location: "nbg1" },
});

const stackFiles = readdirSync(repoRoot).filter((f) => /^Pulumi\.[A-Za-z0-9._-]+\.yaml$/.test(f));

describe("cost: the price table", () => {
  it("every server type and load balancer type the stack files use has a price", () => {
    assert.ok(stackFiles.length >= 2, "stack files found");
    for (const f of stackFiles) {
      const site = (parse(readFileSync(join(repoRoot, f), "utf8")) as any).config["video-platform:site"];
      const types = [site.controlPlane.serverType, ...site.workerPools.map((p: any) => p.serverType)];
      for (const t of types) assert.ok(SERVER_TYPES[t]?.monthlyEur > 0, `${f}: server type ${t} has no price`);
      if (site.loadBalancerType) assert.ok(LOAD_BALANCER_TYPES[site.loadBalancerType]?.monthlyEur > 0, `${f}: lb`);
    }
  });

  it("every server type named anywhere in the code, config or docs is in the table", () => {
    const seen = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir)) {
        // Not the project's own files: installs, output, and Stryker's sandbox copies and reports.
        if (["node_modules", "build", ".git", ".cache", "test", ".stryker-tmp", "reports"].includes(e)) continue;
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|ya?ml|md)$/.test(e)) {
          const text = readFileSync(p, "utf8");
          for (const m of text.matchAll(/\b(cx|cpx|cax|ccx)\d{2}\b/g)) seen.add(`${m[0]} ${p}`);
          for (const m of text.matchAll(/\blb\d{2}\b/g)) seen.add(`${m[0]} ${p}`);
        }
      }
    };
    walk(repoRoot);
    // The catalog names the retired types too, only to refuse them with their replacement.
    const catalog = join(repoRoot, "components", "site", "catalog.ts");
    for (const [t, file] of [...seen].map((x) => x.split(" ")))
      assert.ok(
        t in SERVER_TYPES || t in LOAD_BALANCER_TYPES || (file === catalog && t in RETIRED_SERVER_TYPES),
        `${file} names ${t}, which has no price`,
      );
    assert.ok(seen.size >= 3, "scan found the stacks' types");
  });

  it("the config schema (the catalog's consumer) rejects a server type without a price", async () => {
    const c = withStackConfig("staging", (s) => (s["video-platform:site"].workerPools[0].serverType = "cx99"));
    const problems = await expectInputError(() => planWith({ stack: "staging", stackConfig: c }));
    assert.ok(
      problems.some((p) => p.path === "video-platform:site.workerPools[0].serverType" && /catalog/.test(p.message)),
      JSON.stringify(problems),
    );
  });

  it("every server and load balancer in the planned stacks is priced", async () => {
    for (const stack of ["staging", "prod"]) {
      const p = await planStack(stack);
      const report = monthlyCost(p.resources);
      assert.deepEqual(report.unpriced, [], `${stack}: ${JSON.stringify(report.unpriced)}`);
      const servers = ofType(p, "hcloud:index/server:Server").length;
      const priced = report.lines.filter((l) => l.category === "server").reduce((n, l) => n + l.quantity, 0);
      assert.equal(priced, servers, `${stack}: every server counted once`);
    }
  });

  it("is complete and dated: every location has a zone and a factor, every price is positive", () => {
    assert.match(priceTable.takenOn, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(!Number.isNaN(Date.parse(priceTable.takenOn)));
    assert.equal(priceTable.currency, "EUR");
    for (const l of LOCATIONS) {
      assert.ok(NETWORK_ZONE[l], l);
      assert.ok(LOCATION_PRICE_FACTOR[l] >= 1, l);
    }
    for (const [t, s] of Object.entries(SERVER_TYPES)) {
      assert.ok(s.monthlyEur > 0 && s.cores > 0 && s.memoryGiB > 0 && s.includedTrafficTB > 0, t);
    }
    for (const [t, l] of Object.entries(LOAD_BALANCER_TYPES)) assert.ok(l.monthlyEur > 0, t);
    assert.ok(OTHER_PRICES.primaryIpv4 > 0 && OTHER_PRICES.volumePerGB > 0);
  });
});

describe("cost: the model", () => {
  it("prices servers by type and location, their IPv4 and backups, load balancers and volumes", () => {
    const cx43 = SERVER_TYPES.cx43.monthlyEur;
    const ccx33 = SERVER_TYPES.ccx33.monthlyEur;
    const r = monthlyCost([
      server("a", { serverType: "cx43", location: "nbg1" }),
      server("b", { serverType: "cx43", location: "nbg1", backups: true }),
      server("c", { serverType: "ccx33", location: "ash", publicNets: [{ ipv4Enabled: false, ipv6Enabled: true }] }),
      server("d", { serverType: "cx43", location: "nbg1", publicNets: [{ ipv4Enabled: true, ipv4: 12345 }] }),
      lb("lb", "lb11"),
      volume("v1", 100),
      volume("v2", 50),
    ]);
    const line = (key: string) => r.lines.find((l) => l.key === key);
    assert.deepEqual(
      r.lines.map((l) => l.key),
      ["server:ccx33:ash", "server:cx43:nbg1", "backup:cx43:nbg1", "ipv4:primary", "lb:lb11", "volume:gb"],
    );
    assert.equal(line("server:cx43:nbg1")?.quantity, 3);
    assert.equal(line("server:cx43:nbg1")?.monthlyEur, Math.round(cx43 * 3 * 100) / 100);
    assert.equal(line("server:ccx33:ash")?.unitEur, Math.round(ccx33 * LOCATION_PRICE_FACTOR.ash * 100) / 100);
    assert.equal(line("backup:cx43:nbg1")?.unitEur, Math.round(cx43 * 0.2 * 100) / 100);
    // a and b get an automatic IPv4; c has none; d names an explicit primary IP (billed on its own).
    assert.equal(line("ipv4:primary")?.quantity, 2);
    assert.equal(line("volume:gb")?.quantity, 150);
    assert.equal(line("volume:gb")?.monthlyEur, Math.round(150 * OTHER_PRICES.volumePerGB * 100) / 100);
    const expected =
      Math.round(cx43 * 3 * 100) / 100 +
      Math.round(ccx33 * LOCATION_PRICE_FACTOR.ash * 100) / 100 +
      Math.round(cx43 * 0.2 * 100) / 100 +
      2 * OTHER_PRICES.primaryIpv4 +
      LOAD_BALANCER_TYPES.lb11.monthlyEur +
      Math.round(150 * OTHER_PRICES.volumePerGB * 100) / 100;
    assert.equal(r.monthlyEur, Math.round(expected * 100) / 100);
    assert.equal(
      r.includedTrafficTB,
      3 * SERVER_TYPES.cx43.includedTrafficTB +
        SERVER_TYPES.ccx33.includedTrafficTB +
        LOAD_BALANCER_TYPES.lb11.includedTrafficTB,
    );
    assert.deepEqual(r.unpriced, []);
  });

  it("lists what it cannot price instead of pricing it at zero silently", () => {
    const r = monthlyCost([server("x", { serverType: "cx999", location: "nbg1" }), lb("y", "lb99"), volume("z", 0)]);
    assert.equal(r.monthlyEur, 0);
    assert.deepEqual(
      r.unpriced.map((u) => u.reason),
      [
        'server type "cx999" is not in the price table',
        'load balancer type "lb99" is not in the price table',
        "volume size 0 is unknown",
      ],
    );
  });

  it("the delta is after minus before, per line and in total", () => {
    const before = [server("a", { serverType: "cx43", location: "nbg1" }), lb("lb", "lb11")];
    const after = [...before, server("b", { serverType: "cx43", location: "nbg1" }), volume("v", 10)];
    const d = costDelta(before, after);
    const row = (k: string) => d.rows.find((r) => r.key === k);
    assert.equal(row("server:cx43:nbg1")?.before.quantity, 1);
    assert.equal(row("server:cx43:nbg1")?.after.quantity, 2);
    assert.equal(row("server:cx43:nbg1")?.deltaEur, SERVER_TYPES.cx43.monthlyEur);
    assert.equal(row("lb:lb11")?.deltaEur, 0);
    const want =
      SERVER_TYPES.cx43.monthlyEur + OTHER_PRICES.primaryIpv4 + Math.round(10 * OTHER_PRICES.volumePerGB * 100) / 100;
    assert.equal(d.deltaEur, Math.round(want * 100) / 100);
    assert.equal(eur(d.deltaEur, true), `+€${d.deltaEur.toFixed(2)}`);
    assert.equal(eur(-3.5, true), "−€3.50");
    assert.equal(eur(0, true), "±€0.00");
  });
});

describe("catalog: where Hetzner takes orders for each server type", () => {
  const site = (edit: (s: Record<string, any>) => void) => {
    const s = JSON.parse(JSON.stringify(readStackConfig("staging")["video-platform:site"])) as Record<string, any>;
    edit(s);
    return siteSchema.safeParse(s);
  };
  const issues = (r: ReturnType<typeof site>) =>
    r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);

  it("refuses an EU-only line outside the EU, naming the field and a type that location sells", () => {
    const r = site((s) => {
      s.location = "ash";
      s.controlPlane.serverType = "cx33";
      s.workerPools[0].serverType = "cax21";
    });
    assert.deepEqual(issues(r), [
      "controlPlane.serverType: cx33 is not sold in ash (Hetzner sells it only in fsn1, nbg1, hel1): use ccx23 there (at least 4 cores and 8 GiB), or a location that sells cx33",
      "workerPools.0.serverType: cax21 is not sold in ash (Hetzner sells it only in fsn1, nbg1, hel1): use ccx23 there (at least 4 cores and 8 GiB), or a location that sells cax21",
    ]);
  });

  it("accepts the dedicated line there, and the EU lines in the EU", () => {
    const us = site((s) => {
      s.location = "ash";
      s.controlPlane.serverType = "ccx23";
      s.workerPools[0].serverType = "ccx33";
    });
    assert.deepEqual(issues(us), []);
    for (const location of ["fsn1", "nbg1", "hel1"])
      assert.deepEqual(
        issues(
          site((s) => {
            s.location = location;
            s.workerPools[0].serverType = "cpx42";
          }),
        ),
        [],
        location,
      );
  });

  it("refuses a retired type with the type to order instead", () => {
    const r = site((s) => {
      s.controlPlane.serverType = "cx22";
      s.workerPools[0].serverType = "cpx41";
    });
    assert.deepEqual(issues(r), [
      "controlPlane.serverType: cx22 is no longer sold by Hetzner (replaced by the CX23-CX53 line in October 2025): use cx23",
      "workerPools.0.serverType: cpx41 is no longer sold by Hetzner (replaced by the CPX22-CPX62 line in the EU locations in October 2025): use cpx42",
    ]);
  });

  it("both stacks order only what their location sells", () => {
    for (const stack of ["staging", "prod"])
      assert.equal(siteSchema.safeParse(readStackConfig(stack)["video-platform:site"]).success, true, stack);
  });
});
