/**
 * The bench's building blocks, as fast unit tests (no timing is asserted anywhere): generated
 * tenants are valid and distinct, the scaled stack config satisfies the capacity rule, the floor
 * registers exactly the resources it claims, and the bench's arithmetic is right.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { siteSchema } from "../components/config/schema";
import { siteCapacity } from "../components/tenant/sizing";
import { median, parseBenchArgs, REPEATS, table, type SizeResult } from "../tools/bench/bench";
import {
  cpuCores,
  generateTenants,
  gib,
  quotaTotals,
  scaledStackConfig,
  syntheticName,
  syntheticTenant,
  tenantYaml,
} from "../tools/bench/generate";
import { summarizeProfile } from "../tools/bench/profile";
import { floorProgram, replayProgram } from "../tools/bench/run-one";
import { structClone } from "../tools/plan/runtime";
import { expectInputError, planWith, readStackConfig } from "./helpers/harness";

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

describe("bench: synthetic tenants", () => {
  it("are deterministic, distinct and cover every tier", () => {
    const ts = Array.from({ length: 12 }, (_, i) => syntheticTenant(i + 1));
    assert.deepEqual(syntheticTenant(7), syntheticTenant(7));
    assert.equal(new Set(ts.map((t) => t.name)).size, 12);
    assert.deepEqual([...new Set(ts.map((t) => t.tier))].sort(), ["premium", "small", "standard"]);
    const domains = ts.flatMap((t) => t.domains);
    assert.equal(new Set(domains).size, domains.length, "domains unique across tenants");
    assert.ok(
      ts.some((t) => t.gitops.repoURL.startsWith("git@")) && ts.some((t) => t.gitops.repoURL.startsWith("https://")),
    );
    assert.equal(syntheticName(42), "bench-00042");
    assert.throws(() => syntheticTenant(0), RangeError);
  });

  it("fit their own quota: ingest workers × per-worker size ≤ quota; names are DNS labels of 2–40", () => {
    for (let i = 1; i <= 9; i++) {
      const t = syntheticTenant(i);
      assert.match(t.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      assert.ok(t.name.length >= 2 && t.name.length <= 40);
      assert.ok(t.ingest.workers * cpuCores(t.ingest.cpu) <= cpuCores(t.quota.cpu), `${t.name} cpu`);
      assert.ok(t.ingest.workers * gib(t.ingest.memory) <= gib(t.quota.memory), `${t.name} memory`);
      assert.doesNotMatch(t.gitops.repoURL, /:\/\/[^/]*@/, "no credentials in the URL");
    }
  });

  it("are written as <name>.yaml in the documented format, round-tripping exactly", () => {
    const dir = tmp("vp-gen-");
    try {
      const ts = generateTenants(5, dir);
      assert.deepEqual(readdirSync(dir).sort(), ts.map((t) => `${t.name}.yaml`).sort());
      for (const t of ts) {
        const doc = parse(readFileSync(join(dir, `${t.name}.yaml`), "utf8")) as Record<string, unknown>;
        assert.deepEqual(doc, t);
        assert.deepEqual(Object.keys(doc).sort(), [
          "admins",
          "decommission",
          "displayName",
          "domains",
          "gitops",
          "ingest",
          "name",
          "quota",
          "tier",
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("quantity helpers and totals", () => {
    assert.equal(cpuCores("250m"), 0.25);
    assert.equal(cpuCores("2"), 2);
    assert.equal(gib("512Mi"), 0.5);
    assert.equal(gib("1Ti"), 1024);
    assert.throws(() => cpuCores("2 cores"));
    assert.throws(() => gib("2GB"));
    const totals = quotaTotals([syntheticTenant(1), syntheticTenant(2), syntheticTenant(3)]);
    assert.deepEqual(totals, { cpuCores: 1.75, memoryGiB: 3.5, storageGiB: 8, pods: 60 });
  });
});

describe("bench: capacity-scaled stack config", () => {
  const prod = () => readStackConfig("prod");

  it("grows the first pool until the quotas fit the capacity rule's own count, keeping everything else", () => {
    const tenants = Array.from({ length: 1000 }, (_, i) => syntheticTenant(i + 1));
    const s = scaledStackConfig(prod(), tenants);
    const site = siteSchema.parse(s.stackConfig["video-platform:site"]);
    const before = siteSchema.parse(prod()["video-platform:site"]);
    const totals = quotaTotals(tenants);
    const cap = siteCapacity(site);
    assert.ok(Number(cap.cpu) / 1000 >= totals.cpuCores, `cpu ${cap.cpu}m ≥ ${totals.cpuCores} cores`);
    assert.ok(Number(cap.memory) / 2 ** 30 >= totals.memoryGiB, `memory ${cap.memory} ≥ ${totals.memoryGiB} GiB`);
    // ...and not far beyond: one worker fewer would leave less than the 10 % headroom.
    const fewer = siteCapacity({
      ...site,
      workerPools: [{ ...site.workerPools[0], count: site.workerPools[0].count - 1 }, ...site.workerPools.slice(1)],
    });
    assert.ok(
      Number(fewer.cpu) / 1000 < totals.cpuCores * 1.1 || Number(fewer.memory) / 2 ** 30 < totals.memoryGiB * 1.1,
    );
    assert.equal(site.workerPools.length, before.workerPools.length, "no overflow pool needed at 1,000");
    assert.ok(site.workerPools[0].count > before.workerPools[0].count && site.workerPools[0].count <= 100);
    assert.deepEqual(site.workerPools.slice(1), before.workerPools.slice(1), "other pools untouched");
    const strip = (c: Record<string, unknown>) => ({ ...c, "video-platform:site": undefined });
    assert.deepEqual(strip(s.stackConfig), strip(prod()), "nothing but the site section changes");
    assert.match(s.note, /general \(cpx42\) 3 → \d+/);
  });

  it("adds overflow pools beyond 100 workers and never shrinks a pool", () => {
    const base = prod();
    (
      base["video-platform:site"] as { workerPools: { count: number; serverType: string }[] }
    ).workerPools[0].serverType = "cx23";
    const many = Array.from({ length: 3000 }, (_, i) => syntheticTenant(i + 1));
    const s = scaledStackConfig(base, many);
    const pools = (s.stackConfig["video-platform:site"] as { workerPools: { name: string; count: number }[] })
      .workerPools;
    assert.equal(pools[0].count, 100);
    assert.ok(pools.some((p) => p.name === "general-2"));
    assert.ok(pools.every((p) => p.count >= 1 && p.count <= 100));
    const few = scaledStackConfig(prod(), [syntheticTenant(1)]);
    assert.deepEqual(few.stackConfig, prod(), "one small tenant fits prod as it is");
    assert.match(few.note, /unchanged/);
  });
});

describe("bench: generated tenants plan (validity under the real loader)", () => {
  it("plans 6 generated tenants (every tier twice) against prod as Tenant components", async () => {
    const dir = tmp("vp-gen-plan-");
    try {
      const ts = generateTenants(6, dir);
      const p = await planWith({
        stack: "prod",
        tenantsDir: dir,
        stackConfig: scaledStackConfig(readStackConfig("prod"), ts).stackConfig,
      });
      const tenants = p.resources.filter((r) => r.type === "platform:tenant:Tenant").map((r) => r.name);
      assert.deepEqual(tenants.sort(), ts.map((t) => t.name).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the same check fails when a generated file is broken (so passing means valid)", async () => {
    const dir = tmp("vp-gen-bad-");
    try {
      const ts = generateTenants(3, dir);
      writeFileSync(
        join(dir, `${ts[1].name}.yaml`),
        tenantYaml({ ...ts[1], quota: { ...ts[1].quota, memory: "64GB" } }),
      );
      const problems = await expectInputError(() =>
        planWith({
          stack: "prod",
          tenantsDir: dir,
          stackConfig: scaledStackConfig(readStackConfig("prod"), ts).stackConfig,
        }),
      );
      assert.ok(
        problems.some((p) => p.file.endsWith(`${ts[1].name}.yaml`) && p.path === "quota.memory"),
        JSON.stringify(problems),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without scaling, 60 generated tenants exceed staging's capacity; scaled, they fit", async () => {
    const dir = tmp("vp-gen-cap-");
    try {
      const ts = generateTenants(60, dir);
      const problems = await expectInputError(() => planWith({ stack: "staging", tenantsDir: dir }));
      assert.ok(
        problems.some((p) => /quota\.(cpu|memory)/.test(p.path) && /more than the site/.test(p.message)),
        JSON.stringify(problems),
      );
      const p = await planWith({
        stack: "staging",
        tenantsDir: dir,
        stackConfig: scaledStackConfig(readStackConfig("staging"), ts).stackConfig,
      });
      assert.equal(p.resources.filter((r) => r.type === "platform:tenant:Tenant").length, 60);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bench: the SDK floor and the arithmetic", () => {
  it("the floor registers exactly `count` resources: the Stack and count−1 bare ConfigMaps, no dependencies", async () => {
    const p = await planWith({ stack: "prod", program: floorProgram(25) });
    assert.equal(p.resources.length, 25);
    const cms = p.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
    assert.equal(cms.length, 24);
    assert.equal(p.resources.filter((r) => r.type === "pulumi:pulumi:Stack").length, 1);
    assert.ok(cms.every((r) => r.options.dependsOn.length === 0 && r.options.provider === null));
    assert.deepEqual(cms.find((r) => r.name === "cm-1")?.inputs.data, { key: "value" });
  });

  it("the payload floor replays a plan's resources flat: same count, types and inputs, no links", async () => {
    const dir = tmp("vp-replay-");
    try {
      const ts = generateTenants(3, dir);
      const stackConfig = scaledStackConfig(readStackConfig("prod"), ts).stackConfig;
      const original = await planWith({ stack: "prod", tenantsDir: dir, stackConfig });
      const replayed = await planWith({ stack: "prod", stackConfig, program: replayProgram(original.resources) });
      assert.equal(replayed.resources.length, original.resources.length);
      const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
      assert.deepEqual(replayed.resources.map(key).sort(), original.resources.map(key).sort());
      const ns = (p: typeof original) => p.resources.find((r) => r.name === `${ts[0].name}-ns`);
      assert.deepEqual(ns(replayed)?.inputs, ns(original)?.inputs);
      for (const r of replayed.resources.filter((x) => x.type !== "pulumi:pulumi:Stack")) {
        assert.equal(r.parent?.endsWith("::video-platform-prod"), true, `${r.name} flat under the stack`);
        assert.deepEqual([r.options.dependsOn, r.options.provider], [[], null], `${r.name} has no links`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("median, repeats, arguments and the table", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(REPEATS % 2, 1, "an odd repeat count: the median is a real run");
    const a = parseBenchArgs(["--sizes", "5,50", "--repeats", "2", "--skip-npm-test"]);
    assert.deepEqual([a.sizes, a.repeats, a.npmTest, a.stack], [[5, 50], 2, false, "prod"]);
    assert.throws(() => parseBenchArgs(["--sizes", "0"]), /--sizes/);
    assert.throws(() => parseBenchArgs(["--bogus"]), /Unknown option '--bogus'/);
    assert.deepEqual(parseBenchArgs(["--stack=staging", "--sizes=7"]).sizes, [7], "--flag=value works");
    assert.throws(() => parseBenchArgs(["--stack"]), /argument missing/);
    const row = {
      tenants: 10,
      resources: 100,
      programMs: 150,
      floorMs: 100,
      programRssMiB: 200,
      floorRssMiB: 160,
      msPerResource: 1.5,
      floorMsPerResource: 1,
      timeRatio: 1.5,
      cpuRatio: 1.4,
      memRatio: 1.25,
      deltaMemRatio: 2,
      replayMs: 120,
      replayRatio: 1.25,
    } as SizeResult;
    const lines = table([row]).split("\n");
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1].trim().split(/\s+/), [
      "10",
      "100",
      "150",
      "100",
      "200",
      "160",
      "1.500",
      "1.000",
      "1.50",
      "1.40",
      "1.25",
      "2.00",
      "120",
      "1.25",
    ]);
  });
});

describe("bench: profile fix in the plan runtime and the profile summary", () => {
  it("structClone gives exactly what a protobuf Struct round trip gives, and rejects the same values", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
    const cases: unknown[] = [
      { b: 1, a: { d: [1, { z: 1, y: 2 }, null, "x", true], c: null }, "2": 3, "10": 4, "": 0, f: 1.5, e: [], o: {} },
      { metadata: { name: "x", labels: { "b/c": "1", a: "2" } }, spec: { rules: [{ verbs: ["get", "list"] }] } },
      { d: new Date(0), u: new Uint8Array([1, 2]) },
    ];
    for (const c of cases) {
      const viaProto = Struct.fromJavaScript(c).toJavaScript();
      const clone = structClone(c);
      assert.deepEqual(clone, viaProto);
      assert.equal(JSON.stringify(clone), JSON.stringify(viaProto), "same key order too");
    }
    const shared = { x: { y: 1 } };
    const copy = structClone(shared) as typeof shared;
    assert.notEqual(copy.x, shared.x, "a deep copy: the SDK may not alias the monitor's state");
    for (const bad of [{ x: undefined }, { f: () => 1 }, { n: 1n }]) {
      assert.throws(() => Struct.fromJavaScript(bad));
      assert.throws(() => structClone(bad), /Unexpected struct type/);
    }
  });

  it("summarizes a CPU profile: self time per function and file, inclusive time under a path", () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const s = summarizeProfile(
      {
        nodes: [
          { id: 1, callFrame: frame("(root)", ""), children: [2] },
          { id: 2, callFrame: frame("plan", "file:///x/build/tools/plan/runtime.js"), children: [3] },
          { id: 3, callFrame: frame("serialize", "file:///x/node_modules/@pulumi/pulumi/runtime/rpc.js") },
        ],
        samples: [2, 3, 3, 3],
        timeDeltas: [1000, 1000, 1000, 1000],
        startTime: 0,
        endTime: 4000,
      },
      "tools/plan",
    );
    assert.equal(s.totalMs, 4);
    assert.deepEqual(s.selfByFunction[0], { name: "serialize @pulumi/pulumi/runtime/rpc.js:1", ms: 3 });
    assert.deepEqual(s.selfByFile[0], { file: "@pulumi/pulumi/runtime/rpc.js", ms: 3 });
    assert.deepEqual(s.inclusive, [{ name: "plan build/tools/plan/runtime.js:1", ms: 4 }]);
  });
});
