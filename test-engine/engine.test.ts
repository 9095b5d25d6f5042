/**
 * The program through the real Pulumi engine (CLI v3.248.0, pulumi-resource-kubernetes 4.25.0)
 * against a real kube-apiserver (tools/kube): what `pulumi up` does on a site, step by step, in order
 * (each step builds on the one before). docs/engine-tests.md lists what runs for real and what
 * stands in. Runs under `npm run test:engine` (tools/engine/test-run.ts), which starts from an
 * empty build/engine/ and stops the control plane afterwards.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CRD_SOURCES, githubRawUrl } from "../components/versions";
import { TENANT_SCOPE_SECRET } from "../tools/bench/locality";
import { loadCrds } from "../tools/cluster/crds";
import { CHART_TYPE, chartOf, CONFIG_GROUP_TYPE } from "../tools/engine/charts";
import { Engine, freshDatastore } from "../tools/engine/workspace";
import type { Plan } from "../tools/plan/runtime";
import {
  changes,
  client,
  asStored,
  fieldDiffs,
  FIXTURE,
  kubectl,
  live,
  plannedObjects,
  step,
  suiteEngine,
  suitePlan,
  TENANTS,
} from "./engine";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const fixtureName = "engine-onboard";

/**
 * Every secret scalar in the decrypted checkpoint (`pulumi stack export --show-secrets`): each
 * value the engine marks secret that is a string, wherever it is (config, random outputs, the
 * kubeconfig, the gate's credentials). A secret that is a whole object (a Secret's `data`, the Helm
 * provider's `__inputs`, which repeats the release's plain inputs) is not a value: what is secret
 * in it comes from those scalars, whose plain, base64 and JSON-escaped forms the test looks for.
 */
function secretValues(e: Engine): string[] {
  const exported = execFileSync(join(e.binaries.cliBin, "pulumi"), ["stack", "export", "--show-secrets"], {
    cwd: join(e.dir, "project"),
    env: { ...process.env, ...e.env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") {
      const value = JSON.parse(String(o.plaintext)) as unknown;
      if (typeof value === "string" && value.length >= 8) out.add(value);
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(JSON.parse(exported));
  return [...out];
}

interface StateResource {
  urn: string;
  type: string;
  parent?: string;
  protect?: boolean;
  outputs?: { kind?: string; metadata?: { name?: string } };
}

/**
 * What each helm.v4.Chart and ConfigGroup applied: exactly the objects CRD_SOURCES lists for its
 * chart, or for the modules whose files it reads (so the copies test:cluster installs are the
 * real ones), each live and, on this protected stack, protected (inherited from the component: a
 * dropped CRD would delete every object of its kind).
 */
async function crdComponentsAppliedTheirCrds(e: Engine, p: Plan, state: StateResource[]): Promise<void> {
  const bundles = loadCrds();
  const sources = CRD_SOURCES as Record<
    string,
    { chart?: string; module: string; version: string; files: readonly string[] }
  >;
  // Only GitHub-hosted modules have raw file addresses (githubRawUrl).
  const readBy = (files: unknown) => (b: { source: string }) =>
    sources[b.source].module.startsWith("github.com/") &&
    sources[b.source].files.some((f) =>
      (files as string[]).includes(githubRawUrl(sources[b.source].module, sources[b.source].version, f)),
    );
  const c = client(e);
  try {
    for (const r of p.resources.filter((x) => x.type === CHART_TYPE || x.type === CONFIG_GROUP_TYPE)) {
      const name = r.type === CHART_TYPE ? chartOf(r.inputs.chart) : undefined;
      assert.ok(name || r.type === CONFIG_GROUP_TYPE, `${r.urn}: no pinned chart`);
      const expected = bundles
        .filter(name ? (b) => sources[b.source]?.chart === name : readBy(r.inputs.files))
        .flatMap((b) => b.objects.map((o) => `${o.kind}/${o.metadata.name}`))
        .sort();
      const children = state.filter((x) => x.parent === r.urn);
      assert.deepEqual(children.map((x) => `${x.outputs?.kind}/${x.outputs?.metadata?.name}`).sort(), expected);
      assert.ok(expected.length >= 3, `${r.name} applies only ${expected.length} objects`);
      assert.deepEqual(
        children.filter((x) => !x.protect).map((x) => x.urn),
        [],
        "every CRD is protected on a protected stack",
      );
      for (const x of children) {
        const o = bundles.flatMap((b) => b.objects).find((y) => y.metadata.name === x.outputs?.metadata?.name);
        assert.ok(o && (await live(c, o as unknown as Record<string, unknown>)), `${x.urn}: not in the cluster`);
      }
    }
  } finally {
    c.close();
  }
}

/** The URNs of one tenant's resources (its component and every child). */
const tenantUrns = (p: Plan, name: string) =>
  p.resources
    .filter(
      (r) => r.urn.endsWith(`platform:tenant:Tenant::${name}`) || r.parent?.endsWith(`platform:tenant:Tenant::${name}`),
    )
    .map((r) => r.urn)
    .sort();

/**
 * The one shared object adding or removing a tenant updates in place: the tenant Argo CD's cluster
 * Secret, whose namespace list holds every tenant's (the offline locality test's exception too).
 */
const scopeSecretUrn = (p: Plan) => {
  const urn = p.resources.find((r) => r.urn.endsWith(`::${TENANT_SCOPE_SECRET}`))?.urn;
  assert.ok(urn, `the plan has no ${TENANT_SCOPE_SECRET}`);
  return urn;
};
/** A tenant's resources with `op`, and the shared scope Secret updated, sorted as `changes` are. */
const tenantChange = (p: Plan, name: string, op: string) =>
  [...tenantUrns(p, name).map((u) => [u, op]), [scopeSecretUrn(p), "update"]].sort();

describe("the real engine: up, drift, onboarding, decommission and DR on a real API server", function () {
  this.timeout(20 * 60_000);
  let e: Engine;
  let plan: Plan;

  before(async () => {
    e = await suiteEngine();
  });
  // Each step starts from the state the one before left: after a failure the rest cannot say anything.
  let failed = false;
  beforeEach(function () {
    if (failed) this.skip();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") failed = true;
  });

  it("up creates exactly the Kubernetes objects the plan declares, field by field", async () => {
    const { run } = await step(e, (on) => e.stack.up(on));
    plan = suitePlan();
    const objects = plannedObjects(plan);
    assert.ok(objects.length >= 20, `the plan declares only ${objects.length} objects`);
    const c = client(e);
    try {
      const problems: string[] = [];
      for (const o of objects) {
        const l = await live(c, o.inputs);
        if (!l) problems.push(`${o.urn}: not in the cluster`);
        else problems.push(...fieldDiffs(asStored(o.inputs), l).map((d) => `${o.urn}${d}`));
      }
      assert.deepEqual(problems, []);
    } finally {
      c.close();
    }
    // Same URNs as the product's plan: everything but the site (stood in), provider instances, and
    // the objects helm.v4.Charts render (the plan has each Chart; the provider renders it at `up`).
    const state = ((await e.stack.exportStack()).deployment as { resources: StateResource[] }).resources;
    // ConfigGroups (Argo CD's CRDs) likewise: the provider reads their files at `up`.
    const charts = new Set(
      plan.resources.filter((r) => r.type === CHART_TYPE || r.type === CONFIG_GROUP_TYPE).map((r) => r.urn),
    );
    assert.ok(charts.size >= 2, "the plan has the CRD chart and Argo CD's CRDs");
    const kept = (r: { urn: string; type: string; parent?: string | null }) =>
      !r.type.startsWith("pulumi:providers:") && !r.urn.includes("platform:site:Site") && !charts.has(r.parent ?? "");
    const planned = plan.resources
      .filter(kept)
      .map((r) => r.urn)
      .sort();
    const deployed = state
      .filter(kept)
      .map((r) => r.urn)
      .sort();
    assert.deepEqual(deployed, planned);
    assert.ok(run.seconds > 0);
    await crdComponentsAppliedTheirCrds(e, plan, state);
  });

  it("a second up and `preview --expect-no-changes` report nothing", async () => {
    const { result } = await step(e, (on) => e.stack.up(on));
    const counts = result.summary.resourceChanges ?? {};
    assert.deepEqual(
      Object.keys(counts).filter((k) => k !== "same"),
      [],
      JSON.stringify(counts),
    );
    await step(e, (on) => e.stack.preview({ ...on, expectNoChanges: true }));
  });

  it("the state file holds none of the generated secret values in plain text", async () => {
    const values = secretValues(e);
    const config = Object.values(await e.stack.getAllConfig())
      .filter((v) => v.secret)
      .map((v) => v.value);
    assert.ok(config.length >= 7, `only ${config.length} secret config values`);
    for (const v of config)
      assert.ok(values.includes(v) || v.length < 8, "a secret config value is not secret in the state");
    const raw = readFileSync(e.stateFile, "utf8");
    const leaked = values.filter((v) =>
      [v, Buffer.from(v).toString("base64"), JSON.stringify(v).slice(1, -1)].some((form) => raw.includes(form)),
    );
    assert.deepEqual(
      leaked.map((v) => `${v.slice(0, 6)}… (${v.length} chars)`),
      [],
    );
    assert.ok(values.length >= 10, `only ${values.length} secret values found in the checkpoint`);
  });

  it("drift: a quota's CPU changed with kubectl shows in `preview --refresh` as exactly that field; `up --refresh` restores it", async () => {
    // Healing a hand edit takes force (the harness stands in for 4.25.0's missing option: workspace.ts).
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:kubernetes");
    assert.equal(provider?.inputs.enablePatchForce, "true", "the program's provider forces its fields");
    const quota = plannedObjects(plan).find((o) => o.inputs.kind === "ResourceQuota");
    assert.ok(quota, "the plan has no ResourceQuota");
    const md = quota.inputs.metadata as { name: string; namespace: string };
    const planned = (quota.inputs.spec as { hard: Record<string, string> }).hard["requests.cpu"];
    assert.ok(planned, "the quota limits requests.cpu");
    // A technician doubles the tenant's CPU during an event.
    kubectl(e, [
      "-n",
      md.namespace,
      "patch",
      "resourcequota",
      md.name,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { hard: { "requests.cpu": "97" } } }),
    ]);
    const { run } = await step(e, (on) => e.stack.preview({ ...on, refresh: true, diff: true }));
    assert.deepEqual(
      changes(run).map((s) => [s.urn, s.op, s.detailed.length ? s.detailed : s.diffs]),
      [[quota.urn, "update", [`spec.hard["requests.cpu"]`]]],
    );
    await step(e, (on) => e.stack.up({ ...on, refresh: true }));
    const c = client(e);
    try {
      const l = await live(c, quota.inputs);
      assert.equal((l?.spec as { hard: Record<string, string> }).hard["requests.cpu"], planned);
    } finally {
      c.close();
    }
  });

  it("onboarding: one more tenant file, and the preview creates only that tenant's resources", async () => {
    copyFileSync(FIXTURE, join(TENANTS, `${fixtureName}.yaml`));
    const { run } = await step(e, (on) => e.stack.preview(on));
    plan = suitePlan();
    const expected = tenantUrns(plan, fixtureName);
    assert.ok(expected.length >= 10, `the fixture tenant plans only ${expected.length} resources`);
    assert.deepEqual(
      changes(run)
        .map((s) => [s.urn, s.op])
        .sort(),
      tenantChange(plan, fixtureName, "create"),
    );
    await step(e, (on) => e.stack.up(on));
  });

  it("decommission: deleting the file alone fails on protect and deletes nothing; with `decommission: true` first, only the tenant goes", async () => {
    const file = join(TENANTS, `${fixtureName}.yaml`);
    const text = readFileSync(file, "utf8");
    const before = plannedObjects(plan);
    rmSync(file);
    await assert.rejects(
      step(e, (on) => e.stack.up(on), { allowErrors: true }),
      /protect/i,
    );
    const c = client(e);
    try {
      for (const o of before) assert.ok(await live(c, o.inputs), `${o.urn} was deleted by the failed up`);
      // Reviewed change 1: decommission: true lifts protection and deletes nothing.
      writeFileSync(file, `${text}decommission: true\n`);
      const { run } = await step(e, (on) => e.stack.up(on));
      assert.deepEqual(
        changes(run).filter((s) => s.op !== "update"),
        [],
      );
      // Reviewed change 2: the file goes, and with it exactly the tenant's resources.
      rmSync(file);
      const gone = tenantChange(plan, fixtureName, "delete");
      const { run: removal } = await step(e, (on) => e.stack.up(on));
      assert.deepEqual(
        changes(removal)
          .map((s) => [s.urn, s.op])
          .sort(),
        gone,
      );
      plan = suitePlan();
      for (const o of plannedObjects(plan))
        assert.ok(await live(c, o.inputs), `${o.urn} went with the decommissioned tenant`);
    } finally {
      c.close();
    }
  });

  it("DR: a fresh datastore, then `up --refresh`, recreates everything (timed)", async () => {
    const t0 = Date.now();
    await freshDatastore(e);
    const { run } = await step(e, (on) => e.stack.up({ ...on, refresh: true }));
    process.stderr.write(
      `engine: DR up --refresh took ${run.seconds.toFixed(1)} s (${((Date.now() - t0) / 1000).toFixed(1)} s with the control plane's start)\n`,
    );
    const c = client(e);
    try {
      for (const o of plannedObjects(plan)) assert.ok(await live(c, o.inputs), `${o.urn} not recreated`);
    } finally {
      c.close();
    }
    await step(e, (on) => e.stack.preview({ ...on, expectNoChanges: true }));
  });
});
