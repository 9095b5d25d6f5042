import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTenants, scaledStackConfig } from "../tools/bench/generate";
import { LATENCY, LatencyRule, latencyOf } from "../tools/model/latency";
import {
  crossTenantChains,
  GraphResource,
  modelPlan,
  prerequisites,
  providerUrn,
  tenantChainSeconds,
  TENANT_TYPE,
  restoreSeconds,
} from "../tools/model/model";
import { expectedRebuild } from "../tools/model/cli";
import { Plan, planStack, planWith, readStackConfig, serial } from "./helpers/harness";

// ---------------------------------------------------------------------------------------------
// A tiny hand-built graph with its own latency table, so the expected numbers are exact.

const TABLE: LatencyRule[] = [
  { type: "pulumi:pulumi:Stack", seconds: 0, source: "test", estimate: false },
  { type: "platform:*", seconds: 0, source: "test", estimate: false },
  { type: "t:server", seconds: 20, source: "test", estimate: false },
  { type: "t:gate", seconds: 90, source: "test", estimate: false },
  { type: "t:helm", seconds: 60, source: "test", estimate: false },
  { type: "t:provider", seconds: 1, source: "test", estimate: false },
  { type: "t:obj", seconds: 2, source: "test", estimate: false },
  { type: "*", seconds: 5, source: "catch-all", estimate: true },
];

const STACK = "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t";
const u = (type: string, name: string) => `urn:pulumi:t::p::${type}::${name}`;

function res(
  type: string,
  name: string,
  o: { parent?: string; dependsOn?: string[]; provider?: string; custom?: boolean } = {},
): GraphResource {
  return {
    urn: u(type, name),
    type,
    name,
    parent: o.parent ?? STACK,
    custom: o.custom ?? !type.startsWith("platform:"),
    inputs: {},
    options: { dependsOn: o.dependsOn ?? [], provider: o.provider ?? null },
  };
}

/**
 * server(20) → gate(90) → provider(1) → helm(60)             = 171 on the platform side
 *                                    → tenant a: ns(2) → quota(2) ; tenant b: ns(2)
 * Tenant a's quota also waits on helm through dependsOn: 171 + 2 = 173 total.
 */
function tinyGraph(): GraphResource[] {
  const server = res("t:server", "server");
  const gate = res("t:gate", "gate", { dependsOn: [server.urn] });
  const prov = res("t:provider", "k8s", { dependsOn: [gate.urn] });
  const provRef = `${prov.urn}::k8s-id`;
  const platform = res("platform:platform:Platform", "platform");
  const helm = res("t:helm", "argocd", { parent: platform.urn, provider: provRef });
  const ta = res(TENANT_TYPE, "a");
  const tb = res(TENANT_TYPE, "b");
  const nsA = res("t:obj", "a-ns", { parent: ta.urn, provider: provRef });
  const quotaA = res("t:obj", "a-quota", { parent: ta.urn, provider: provRef, dependsOn: [nsA.urn, helm.urn] });
  const nsB = res("t:obj", "b-ns", { parent: tb.urn, provider: provRef });
  return [server, gate, prov, platform, helm, ta, tb, nsA, quotaA, nsB];
}

describe("model: math on a hand-built graph", () => {
  it("computes the exact total and critical path (unbounded)", () => {
    const m = modelPlan({ resources: tinyGraph() }, { parallelism: Infinity, table: TABLE });
    assert.equal(m.total, 173);
    assert.deepEqual(
      m.criticalPath.map((s) => [s.name, s.start, s.finish]),
      [
        ["server", 0, 20],
        ["gate", 20, 110],
        ["k8s", 110, 111],
        ["argocd", 111, 171],
        ["a-quota", 171, 173],
      ],
    );
    assert.equal(m.tenantSeconds, 2);
    assert.equal(m.workSeconds, 20 + 90 + 1 + 60 + 2 + 2 + 2);
    const t = m.times.get(u("t:obj", "b-ns"));
    assert.deepEqual([t?.start, t?.finish], [111, 113]);
  });

  it("queues work beyond P slots: three 10 s creates take 20 s at P=2, 10 s unbounded, 30 s at P=1", () => {
    const g = ["x", "y", "z"].map((n) => res("t:ten", n));
    const table: LatencyRule[] = [{ type: "*", seconds: 10, source: "test", estimate: false }];
    assert.equal(modelPlan({ resources: g }, { parallelism: 2, table }).total, 20);
    assert.equal(modelPlan({ resources: g }, { parallelism: Infinity, table }).total, 10);
    assert.equal(modelPlan({ resources: g }, { parallelism: 1, table }).total, 30);
    const m = modelPlan({ resources: g }, { parallelism: 2, table });
    const last = m.criticalPath[m.criticalPath.length - 1];
    assert.equal(last.ready, 0, "the queued create was ready at 0");
    assert.equal(last.start, 10, "and started when a slot freed");
  });

  it("at P=1 the platform goes before tenants when both are ready at once", () => {
    const m = modelPlan({ resources: tinyGraph() }, { parallelism: 1, table: TABLE });
    const helm = m.times.get(u("t:helm", "argocd"));
    const nsA = m.times.get(u("t:obj", "a-ns"));
    assert.equal(helm?.start, 111);
    assert.equal(nsA?.start, 171);
    assert.equal(m.total, 111 + 60 + 2 + 2 + 2);
  });

  it("depending on a component waits for all of its descendants; a child waits for its component", () => {
    const comp = res("platform:x:Group", "group", { dependsOn: [u("t:server", "s1")] });
    const s1 = res("t:server", "s1");
    const inner = res("t:helm", "inner", { parent: comp.urn });
    const after = res("t:obj", "after", { dependsOn: [comp.urn] });
    const m = modelPlan({ resources: [s1, comp, inner, after] }, { parallelism: Infinity, table: TABLE });
    assert.equal(m.times.get(inner.urn)?.start, 20, "registered under a component that waited for s1");
    assert.equal(m.times.get(after.urn)?.start, 80, "after waits for the component's child (20 + 60)");
    assert.equal(m.total, 82);
    assert.deepEqual(
      m.criticalPath.map((s) => s.name),
      ["s1", "inner", "after"],
    );
  });

  it("a custom parent must be created before its child; a provider reference is its URN", () => {
    const parent = res("t:server", "srv");
    const child = res("t:obj", "child", { parent: parent.urn });
    assert.deepEqual(prerequisites(child, new Map([parent, child].map((r) => [r.urn, r]))), [
      { urn: parent.urn, on: "finish" },
    ]);
    assert.equal(
      providerUrn("urn:pulumi:s::p::pulumi:providers:kubernetes::k8s::abc-123"),
      "urn:pulumi:s::p::pulumi:providers:kubernetes::k8s",
    );
    assert.equal(providerUrn(null), null);
    const m = modelPlan({ resources: [parent, child] }, { parallelism: Infinity, table: TABLE });
    assert.equal(m.total, 22);
  });

  it("rejects a dependency cycle and names the resources", () => {
    const a = res("t:obj", "a", { dependsOn: [u("t:obj", "b")] });
    const b = res("t:obj", "b", { dependsOn: [a.urn] });
    assert.throws(() => modelPlan({ resources: [a, b] }, { table: TABLE }), /dependency cycle.*\n.*t:obj::a/s);
    assert.throws(() => modelPlan({ resources: [] }, { parallelism: 0 }), /parallelism must be ≥ 1/);
  });

  it("the latency table ends with a catch-all and flags unknown custom types", () => {
    assert.equal(LATENCY[LATENCY.length - 1].type, "*");
    for (const r of LATENCY) assert.ok(r.source.length > 10, `rule ${r.type} has a source`);
    assert.equal(
      latencyOf({ type: "kubernetes:helm.sh/v3:Release", name: "x", inputs: { chart: "argo-cd" } }).seconds,
      120,
    );
    // Plain objects cost one engine step, from the real engine's bench (tools/model/measured-engine.ts).
    const plain = latencyOf({ type: "kubernetes:core/v1:Namespace", name: "acme-ns" });
    assert.ok(plain.seconds > 0 && plain.seconds < 10, `${plain.seconds}`);
    assert.match(
      plain.source,
      /measured: a from-scratch `pulumi up` through the real engine took [\d.]+ s .*npm run bench:engine/,
    );
    assert.equal(latencyOf({ type: "hcloud:index/server:Server", name: "cp-1" }).seconds, 25);
    const m = modelPlan({ resources: [res("acme:index:Widget", "w")] });
    assert.deepEqual(m.unknownTypes, ["acme:index:Widget"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The graph check on real plans.

function tenantsOf(p: Plan): string[] {
  return p.resources.filter((r) => r.type === TENANT_TYPE).map((r) => r.urn);
}

async function generatedPlan(n: number): Promise<Plan> {
  const dir = mkdtempSync(join(tmpdir(), "vp-model-test-"));
  try {
    const tenants = generateTenants(n, dir);
    const scaled = scaledStackConfig(readStackConfig("prod"), tenants);
    return await planWith({ stack: "prod", tenantsDir: dir, stackConfig: scaled.stackConfig });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("model: the restore measured on the real Argo CD", () => {
  const m = {
    points: [
      { tenants: 50, seconds: 240 },
      { tenants: 3, seconds: 75 },
    ],
  };
  it("is linear between the measured sizes and along the outermost line beyond them", () => {
    assert.equal(restoreSeconds(3, m), 75);
    assert.equal(restoreSeconds(50, m), 240);
    assert.equal(restoreSeconds(26.5, m), 157.5);
    assert.equal(restoreSeconds(97, m), 405);
    assert.equal(restoreSeconds(1, m), 75 - (165 * 2) / 47);
    assert.equal(
      restoreSeconds(0, {
        points: [
          { tenants: 3, seconds: 10 },
          { tenants: 4, seconds: 100 },
        ],
      }),
      0,
    );
  });
  it("is one measurement's number when only one was made, and undefined before any", () => {
    assert.equal(restoreSeconds(200, { points: [{ tenants: 3, seconds: 75 }] }), 75);
    assert.equal(restoreSeconds(3, { points: [] }), undefined);
  });
});

describe("model: no dependency chain between tenants (graph check)", () => {
  let p10: Plan;
  let p50: Plan;
  before(async function () {
    this.timeout(120_000);
    p10 = await generatedPlan(10);
    p50 = await generatedPlan(50);
  });

  it("prod with its committed tenants: no path from one tenant's resources to another's", async () => {
    const p = await planStack("prod");
    assert.ok(tenantsOf(p).length >= 1);
    assert.deepEqual(crossTenantChains(p), []);
  });

  it("prod with 10 generated tenants: none either", () => {
    assert.equal(tenantsOf(p10).length, 10);
    assert.deepEqual(crossTenantChains(p10), []);
  });

  it("catches a chain, direct or through a shared resource", () => {
    const [a, b, c] = tenantsOf(p10);
    const under = (t: string) => p10.resources.find((r) => r.parent === t && r.custom) as GraphResource;
    // Direct: one of b's objects waits for one of a's.
    const direct = structuredClone(p10.resources) as GraphResource[];
    const bObj = direct.find((r) => r.urn === under(b).urn) as GraphResource;
    bObj.options.dependsOn = [...bObj.options.dependsOn, under(a).urn];
    const found = crossTenantChains({ resources: direct });
    assert.equal(found.length, 1);
    assert.deepEqual([found[0][0], found[0][found[0].length - 1]], [under(b).urn, under(a).urn]);
    // Through a shared resource: a platform object waits for a's object; c's object waits for it.
    const shared = structuredClone(p10.resources) as GraphResource[];
    const hub: GraphResource = {
      urn: "urn:pulumi:prod::video-platform::kubernetes:core/v1:ConfigMap::tenant-index",
      type: "kubernetes:core/v1:ConfigMap",
      name: "tenant-index",
      parent: null,
      custom: true,
      options: { dependsOn: [under(a).urn], provider: null },
    };
    shared.push(hub);
    const cObj = shared.find((r) => r.urn === under(c).urn) as GraphResource;
    cObj.options.dependsOn = [...cObj.options.dependsOn, hub.urn];
    const via = crossTenantChains({ resources: shared });
    assert.equal(via.length, 1);
    assert.deepEqual(via[0], [under(c).urn, hub.urn, under(a).urn]);
    // Depending on another tenant's component waits for all of it: also a chain.
    const comp = structuredClone(p10.resources) as GraphResource[];
    const bObj2 = comp.find((r) => r.urn === under(b).urn) as GraphResource;
    bObj2.options.dependsOn = [...bObj2.options.dependsOn, c];
    assert.equal(crossTenantChains({ resources: comp }).length, 1);
  });

  it("the tenants' part of the critical path does not grow with the tenant count (10 vs 50)", () => {
    // The dependency structure alone (no slot limit, no client rate limit): throughput limits
    // make more tenants take longer, but no tenant may wait for another.
    const m10 = modelPlan(p10, { parallelism: Infinity, kubeClient: null });
    const m50 = modelPlan(p50, { parallelism: Infinity, kubeClient: null });
    assert.ok((m10.tenantsDone ?? 0) > 0);
    assert.equal(m50.tenantsDone, m10.tenantsDone, "the last tenant is done at the same time with 10 or 50");
    assert.equal(m50.total, m10.total, "40 more independent tenants add no time to the chain");
    // With the slot limit, the 40 extra tenants only add their share of the work: (work/P) bound.
    const p8 = [modelPlan(p10, { parallelism: 8 }).total, modelPlan(p50, { parallelism: 8 }).total];
    assert.ok(p8[1] >= p8[0]);
    const c10 = [...tenantChainSeconds(p10).values()];
    const c50 = [...tenantChainSeconds(p50).values()];
    assert.equal(c10.length, 10);
    assert.equal(c50.length, 50);
    assert.equal(Math.max(...c50), Math.max(...c10));
    assert.deepEqual(crossTenantChains(p50), []);
  });
});

describe("model: the runbooks' entry point", () => {
  it("expectedRebuild gives the modeled time at P=8, 16 and unbounded, and the critical path", async () => {
    const r = await serial(() => expectedRebuild("staging"));
    assert.ok(r.resources > 10);
    assert.ok(r.seconds.p8 >= r.seconds.p16 && r.seconds.p16 >= r.seconds.unbounded && r.seconds.unbounded > 0);
    const types = r.criticalPath.map((s) => s.type);
    assert.ok(types.includes("hcloud:index/server:Server"), types.join(", "));
    assert.ok(types.includes("pulumi-nodejs:dynamic:Resource"), "the readiness gate is on the path");
    const last = r.criticalPath[r.criticalPath.length - 1];
    assert.equal(last.finish, r.seconds.p8);
    for (let i = 1; i < r.criticalPath.length; i++)
      assert.ok(r.criticalPath[i].ready >= r.criticalPath[i - 1].finish, "each step waits for the one before");
    // The restore Argo CD was measured to take, for the stack's own tenant count.
    assert.ok(r.tenants > 0);
    assert.equal(r.restoreSeconds, restoreSeconds(r.tenants));
  });
});
