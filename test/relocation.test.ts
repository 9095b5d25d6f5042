/**
 * Relocation is a config change: prod planned at its location and again at another one differs
 * only in location-bound Hetzner inputs (and the three chart values that carry the location);
 * every tenant's Kubernetes objects are identical, secrets included (compared by digest). The
 * expected differences are listed here by hand; tools/relocate's LOCATION_BOUND (what the
 * runbooks and `npm run relocate` rely on) must name exactly the same (type, path) pairs.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { LOCATION_BOUND, relocationReport, RelocationReport } from "../tools/relocate/relocation";
import { parseRelocateArgs } from "../tools/relocate/cli";
import { descendants, expectInputError, ofType, Plan, planWith, repoRoot, withStackConfig } from "./helpers/harness";
import { SAMPLE_TENANTS } from "./helpers/tenants";

const KEY = "ab".repeat(32);

/** The committed tenants, by file name. */
const tenantFiles = () =>
  readdirSync(join(repoRoot, "tenants"))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
const P = "video-platform";

function prodAt(location: string): Record<string, unknown> {
  return withStackConfig("prod", (c) => (c[`${P}:site`].location = location));
}

const planAt = (location: string, stack = "prod", tenantsDir?: string) =>
  planWith({ stack, stackConfig: prodAt(location), secretDigestKey: KEY, tenantsDir });

/**
 * Prod with every server on the dedicated line, which Hetzner sells in every location: outside
 * the EU the config refuses prod's CX/CPX types (components/site/catalog.ts, orderableIn), so
 * a move to another zone changes the types first; compared like this, only the location differs.
 */
const planSoldEverywhereAt = (location: string) =>
  planWith({
    stack: "prod",
    stackConfig: withStackConfig("prod", (c) => {
      const site = c[`${P}:site`];
      site.location = location;
      site.controlPlane.serverType = "ccx33";
      for (const pool of site.workerPools) pool.serverType = "ccx33";
    }),
    secretDigestKey: KEY,
  });

/** Every resource a Tenant component owns, with everything the engine would receive. */
function tenantObjects(p: Plan, norm: (u: string) => string = (u) => u) {
  return Object.fromEntries(
    ofType(p, "platform:tenant:Tenant").map((t) => [
      t.name,
      descendants(p, t.urn)
        .map((r) => ({
          urn: norm(r.urn),
          type: r.type,
          inputs: r.inputs,
          secretDigests: r.secretDigests ?? {},
          protect: r.options.protect,
          dependsOn: r.options.dependsOn.map(norm),
          deleteBeforeReplace: r.options.deleteBeforeReplace,
          ignoreChanges: r.options.ignoreChanges,
        }))
        .sort((a, b) => (a.urn < b.urn ? -1 : 1)),
    ]),
  );
}

/** Location-bound differences, written out: `<resource> <path>`. */
const SAME_ZONE = [
  // The autoscaled ingest pool's node group flag: "1:6:ccx33:<location>:prod-ingest".
  "platform-autoscaler spec.template.spec.containers[0].args[1]",
  'platform-edge-proxy spec.provider.kubernetes.envoyService.annotations["load-balancer.hetzner.cloud/location"]',
  "platform-hcloud-ccm values.env.HCLOUD_LOAD_BALANCERS_LOCATION.value",
  "platform-hcloud-csi values.controller.hcloudVolumeDefaultLocation",
  "platform-ingress-lb location",
  "site-api-lb location",
  "site-cp-1 location",
  "site-cp-2 location",
  "site-cp-3 location",
  "site-cp-1-ipv4 location",
  "site-cp-2-ipv4 location",
  "site-cp-3-ipv4 location",
  "site-worker-general-1 location",
  "site-worker-general-2 location",
  "site-worker-general-3 location",
  "site-worker-ingest-1 location",
  "site-worker-ingest-2 location",
].sort();
const OTHER_ZONE = [...SAME_ZONE, "site-subnet networkZone"].sort();

describe("relocation: prod moved within its network zone (fsn1 → hel1)", () => {
  let atFsn1: Plan;
  let atHel1: Plan;
  let r: RelocationReport;
  before(async () => {
    atFsn1 = await planAt("fsn1");
    atHel1 = await planAt("hel1");
    r = relocationReport(atFsn1, atHel1);
  });

  it("keeps every resource (same URNs), and every tenant's objects identical, secrets included", () => {
    assert.equal(atFsn1.resources.length, atHel1.resources.length);
    assert.deepEqual(r.onlyBefore, []);
    assert.deepEqual(r.onlyAfter, []);
    const a = tenantObjects(atFsn1);
    const b = tenantObjects(atHel1);
    assert.deepEqual(Object.keys(a).sort(), tenantFiles(), "every tenant file's component is compared");
    for (const t of Object.keys(a)) {
      assert.ok(a[t].length >= 8, `${t} has its objects`);
      assert.ok(
        a[t].some((o) => Object.keys(o.secretDigests).length),
        `${t}: secret inputs are compared too`,
      );
      assert.deepEqual(b[t], a[t], `tenant ${t}`);
    }
    assert.deepEqual(r.tenantChanges, []);
  });

  it("differs in exactly the documented location-bound inputs, nothing else (options and secrets included)", () => {
    assert.deepEqual(r.changes.map((c) => `${c.name} ${c.path}`).sort(), SAME_ZONE);
    for (const c of r.changes) {
      // The location itself, or (the autoscaler's node group flag) a value naming it.
      const flag = c.path.includes("args[");
      assert.equal(c.before, flag ? "--nodes=1:6:ccx33:fsn1:prod-ingest" : "fsn1", `${c.name} ${c.path}`);
      assert.equal(c.after, flag ? "--nodes=1:6:ccx33:hel1:prod-ingest" : "hel1", `${c.name} ${c.path}`);
    }
    assert.deepEqual(r.unexpected, []);
    // Kubernetes objects: only two chart values and the EnvoyProxy; every other one is identical.
    const k8sChanged = new Set(r.changes.filter((c) => c.type.startsWith("kubernetes:")).map((c) => c.name));
    assert.deepEqual([...k8sChanged].sort(), [
      "platform-autoscaler",
      "platform-edge-proxy",
      "platform-hcloud-ccm",
      "platform-hcloud-csi",
    ]);
    const k8s = atFsn1.resources.filter((x) => x.type.startsWith("kubernetes:")).length;
    assert.ok(k8s >= 40, `${k8s} Kubernetes objects compared`);
  });

  it("replaces the servers, primary IPs and load balancers (all protected on prod) and keeps the network", () => {
    assert.deepEqual(
      r.replaced.map((x) => `${x.name}${x.protect ? " (protected)" : ""}`).sort(),
      [
        "platform-ingress-lb",
        "site-api-lb",
        "site-cp-1",
        "site-cp-1-ipv4",
        "site-cp-2",
        "site-cp-2-ipv4",
        "site-cp-3",
        "site-cp-3-ipv4",
        "site-worker-general-1",
        "site-worker-general-2",
        "site-worker-general-3",
        "site-worker-ingest-1",
        "site-worker-ingest-2",
      ]
        .map((n) => `${n} (protected)`)
        .sort(),
    );
    assert.deepEqual(r.updated.map((x) => x.name).sort(), [
      "platform-autoscaler",
      "platform-edge-proxy",
      "platform-hcloud-ccm",
      "platform-hcloud-csi",
    ]);
    assert.ok(!r.replaced.some((x) => x.name === "site-net" || x.name === "site-subnet"));
    assert.equal(
      r.kubernetesProvider,
      "urn:pulumi:prod::video-platform::platform:platform:Platform$pulumi:providers:kubernetes::platform-k8s",
    );
  });

  it("changes only the `location` stack outputs (network zone stays eu-central)", () => {
    assert.deepEqual(r.outputs, [
      { path: "autoscaledPools[0].location", before: "fsn1", after: "hel1" },
      { path: "location", before: "fsn1", after: "hel1" },
    ]);
  });
});

describe("relocation: prod moved to another network zone (fsn1 → ash)", () => {
  let r: RelocationReport;
  before(async () => {
    r = relocationReport(await planSoldEverywhereAt("fsn1"), await planSoldEverywhereAt("ash"));
  });

  it("adds exactly the subnet's network zone to the differences; tenants still identical", () => {
    assert.deepEqual(r.changes.map((c) => `${c.name} ${c.path}`).sort(), OTHER_ZONE);
    assert.deepEqual(r.unexpected, []);
    assert.deepEqual(r.tenantChanges, []);
    const subnet = r.changes.find((c) => c.name === "site-subnet")!;
    assert.deepEqual([subnet.before, subnet.after], ["eu-central", "us-east"]);
    assert.ok(r.replaced.some((x) => x.name === "site-subnet" && x.protect));
    assert.deepEqual(r.outputs.map((o) => o.path).sort(), ["autoscaledPools[0].location", "location", "networkZone"]);
  });

  it("LOCATION_BOUND names exactly the (type, path) pairs a relocation changes, no more, no fewer", () => {
    const seen = [...new Set(r.changes.map((c) => `${c.type} ${c.path}`))].sort();
    assert.deepEqual(LOCATION_BOUND.map((x) => `${x.type} ${x.path}`).sort(), seen);
    for (const rule of LOCATION_BOUND)
      assert.equal(rule.effect, rule.type.startsWith("hcloud:") ? "replace" : "update", rule.path);
  });
});

describe("relocation: the new-stack path (prod-hel1 from prod's file)", () => {
  it("gives every tenant the same Kubernetes objects (URNs differ only by the stack name)", async () => {
    const a = await planAt("fsn1");
    const b = await planAt("hel1", "prod-hel1");
    const norm = (u: string) => u.replace(/^urn:pulumi:prod-hel1::/, "urn:pulumi:prod::");
    const ta = tenantObjects(a);
    const tb = tenantObjects(b, norm);
    // Secret inputs are not compared here: a new stack generates new stream keys (runbook 03).
    const strip = (m: ReturnType<typeof tenantObjects>) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.map(({ secretDigests: _, ...o }) => o)]));
    assert.deepEqual(strip(tb), strip(ta));
    // The Hetzner side does change: physical names carry the stack.
    const server = (p: Plan) => p.resources.find((x) => x.name === "site-cp-1")!.inputs.name;
    assert.deepEqual([server(a), server(b)], ["prod-cp-1", "prod-hel1-cp-1"]);
  });
});

describe("relocation: to a location that does not sell the stack's server types", () => {
  it("is refused before anything is planned, naming each field and a type sold there", async () => {
    const problems = await expectInputError(() => planAt("ash"));
    assert.deepEqual(
      problems.map((p) => `${p.path}: ${p.message}`),
      [
        "video-platform:site.controlPlane.serverType: cx43 is not sold in ash (Hetzner sells it only in fsn1, nbg1, hel1): use ccx33 there (at least 8 cores and 16 GiB), or a location that sells cx43",
        "video-platform:site.workerPools[0].serverType: cpx42 is not sold in ash (Hetzner sells it only in fsn1, nbg1, hel1): use ccx33 there (at least 8 cores and 16 GiB), or a location that sells cpx42",
      ],
    );
  });
});

describe("relocation: the guard", () => {
  it("reports a tenant object or any input outside LOCATION_BOUND that follows the location", async () => {
    // Three particular tenants' objects are changed: the sample set, not the committed customers.
    const a = await planAt("fsn1", "prod", SAMPLE_TENANTS);
    const b = JSON.parse(JSON.stringify(await planAt("hel1", "prod", SAMPLE_TENANTS))) as Plan;
    const ns = b.resources.find((x) => x.name === "demo-tv-ns")!;
    (ns.inputs.metadata as any).labels["topology.kubernetes.io/region"] = "hel1";
    b.resources.find((x) => x.name === "site-fw")!.inputs.name = "prod-nodes-hel1";
    b.resources.find((x) => x.name === "demo-radio-quota")!.options.protect = true;
    b.resources.find((x) => x.name === "demo-football-stream-key-secret")!.secretDigests = { stringData: "changed" };
    const r = relocationReport(a, b);
    assert.deepEqual(r.unexpected.map((c) => `${c.name} ${c.path}`).sort(), [
      "demo-football-stream-key-secret secret:stringData",
      "demo-radio-quota options.protect",
      'demo-tv-ns metadata.labels["topology.kubernetes.io/region"]',
      "site-fw name",
    ]);
    assert.deepEqual(r.tenantChanges.map((c) => c.tenant).sort(), ["demo-football", "demo-radio", "demo-tv"]);
    b.resources.pop();
    assert.equal(relocationReport(a, b).onlyBefore.length, 1, "a vanished resource is reported");
    assert.ok(isDeepStrictEqual(relocationReport(a, a).changes, []), "a plan against itself: nothing");
  });
});

describe("relocation: npm run relocate (the runbooks' offline preview)", () => {
  const cli = join(repoRoot, "build", "tools", "relocate", "cli.js");
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8" });

  it("prints the move and writes the destroy-first targets, one URN per line", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-relocate-"));
    try {
      const file = join(dir, "targets");
      const res = run(["--stack", "prod", "--location", "hel1", "--targets", file]);
      assert.equal(res.status, 0, res.stderr + res.stdout);
      assert.match(res.stdout, /relocation of prod: fsn1 \(eu-central\) -> hel1 \(eu-central\)/);
      assert.match(res.stdout, /pulumi config set --path site\.location hel1 --stack prod/);
      assert.match(
        res.stdout,
        new RegExp(`every tenant's objects identical \\(${tenantFiles().length} tenants, \\d+ resources\\)`),
      );
      const urns = readFileSync(file, "utf8").trim().split("\n");
      assert.equal(urns.length, 13);
      for (const u of urns)
        assert.match(
          u,
          /^urn:pulumi:prod::video-platform::\S+::(site-(cp-\d(-ipv4)?|worker-\S+|api-lb)|platform-ingress-lb)$/,
        );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses what it cannot preview, naming the fix", () => {
    const same = run(["--stack", "prod", "--location", "fsn1"]);
    assert.equal(same.status, 2);
    assert.match(same.stderr, /Pulumi\.prod\.yaml already says fsn1: .*--from <old location>/);
    const none = run(["--stack", "nosuch", "--location", "hel1"]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /Pulumi\.nosuch\.yaml: no such stack file/);
    assert.throws(() => parseRelocateArgs(["--stack", "prod", "--location", "mars1"]), /not a Hetzner location/);
    assert.throws(() => parseRelocateArgs(["--stack", "prod"]), /--stack and --location are required/);
  });
});
