/**
 * The offline plan diff (tools/diff): property paths, the comparison rules on hand-built plans,
 * the PR comment, and end to end against a temporary git repository holding a copy of this
 * project (base = its commit, head = its working tree, each planned by its own code).
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse, parseDocument } from "yaml";
import { LOCATION_PRICE_FACTOR, OTHER_PRICES, SERVER_TYPES } from "../components/site/catalog";
import {
  diffAgainstRef,
  DiffResult,
  diffPlans,
  newDigestKey,
  PlanDiff,
  renderMarkdown,
  renderText,
} from "../tools/diff";
import type { ChildPlanOptions } from "../tools/diff/refs";
import { COMMENT_LIMIT, commentMarker, listDelta } from "../tools/diff/markdown";
import { coversPath, formatPath, parsePath, touches } from "../tools/diff/paths";
import { REPLACEMENT_RULES } from "../tools/diff/rules";
import { tenantReview } from "../tools/diff/tenants";
import type { Plan, PlannedResource } from "./helpers/harness";
import { plan, plannedOptions, repoRoot } from "./helpers/harness";

// ---------------------------------------------------------------------------------------------
// Hand-built plans

const STACK_URN = "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t";
const stackRes: PlannedResource = res("p-t", "pulumi:pulumi:Stack", {}, {}, null, false);

function res(
  name: string,
  type: string,
  inputs: Record<string, unknown>,
  options: Partial<PlannedResource["options"]> = {},
  parent: PlannedResource | null = stackRes,
  custom = true,
  secretDigests?: Record<string, string>,
): PlannedResource {
  const parentType = parent && parent.type !== "pulumi:pulumi:Stack" ? parent.urn.split("::")[2] : "";
  const urn =
    type === "pulumi:pulumi:Stack"
      ? STACK_URN
      : `urn:pulumi:t::p::${parentType ? `${parentType}$` : ""}${type}::${name}`;
  return {
    urn,
    type,
    name,
    parent: type === "pulumi:pulumi:Stack" ? null : (parent?.urn ?? STACK_URN),
    custom,
    inputs,
    options: plannedOptions(options),
    ...(secretDigests ? { secretDigests } : {}),
  };
}

const planOf = (...resources: PlannedResource[]): Plan => ({
  project: "p",
  stack: "t",
  resources: [stackRes, ...resources],
  outputs: {},
});

const site = res("site", "platform:site:Site", {}, {}, stackRes, false);
const SERVER = "hcloud:index/server:Server";
const srv = (
  inputs: Record<string, unknown>,
  options: Partial<PlannedResource["options"]> = {},
  digests?: Record<string, string>,
) =>
  res(
    "site-w1",
    SERVER,
    { serverType: "cx43", location: "nbg1", image: "debian-13", ...inputs },
    options,
    site,
    true,
    digests,
  );
const one = (d: PlanDiff) => {
  assert.equal(d.resources.length, 1, JSON.stringify(d.resources, null, 1));
  return d.resources[0];
};

describe("diff: property paths", () => {
  it("formats and parses Pulumi's path syntax both ways", () => {
    const cases: [string, (string | number)[]][] = [
      ["spec.hard.pods", ["spec", "hard", "pods"]],
      ['metadata.labels["platform.video/tier"]', ["metadata", "labels", "platform.video/tier"]],
      ["spec.containers[0].image", ["spec", "containers", 0, "image"]],
      ['data["tls.crt"]', ["data", "tls.crt"]],
      ["spec.template.*", ["spec", "template", "*"]],
      ["rules[*].ports", ["rules", "*", "ports"]],
    ];
    for (const [text, segs] of cases) {
      assert.deepEqual(parsePath(text), segs, text);
      assert.equal(formatPath(segs), text.replace("[*]", ".*").replace("rules.*", "rules.*"));
    }
    assert.throws(() => parsePath("a[b"), /unclosed|bad index/);
    assert.throws(() => parsePath(".a"), /stray/);
  });

  it("covers (ignoreChanges) and touches (replacement rules) match prefixes and wildcards", () => {
    assert.ok(coversPath(["metadata", "labels"], ["metadata", "labels", "x"]));
    assert.ok(
      !coversPath(["metadata", "labels", "x"], ["metadata", "labels"]),
      "a narrower mask does not hide the whole map",
    );
    assert.ok(coversPath(["*"], ["anything", 1]));
    assert.ok(
      touches(["spec", "containers", "*", "image"], ["spec", "containers"]),
      "a replaced list touches its items",
    );
    assert.ok(touches(["spec", "selector"], ["spec", "selector", "matchLabels", "app"]));
    assert.ok(!touches(["metadata", "name"], ["metadata", "labels", "name"]));
  });

  it("the replacement table covers the billed Hetzner types and names a source for every rule", () => {
    const types = new Set(REPLACEMENT_RULES.map((r) => r.type));
    for (const t of [
      SERVER,
      "hcloud:index/network:Network",
      "hcloud:index/volume:Volume",
      "hcloud:index/loadBalancer:LoadBalancer",
    ])
      assert.ok(types.has(t), t);
    for (const r of REPLACEMENT_RULES) {
      assert.ok(r.source.length > 10, `${r.type}: source`);
      for (const p of r.paths) if (p !== "*") assert.doesNotThrow(() => parsePath(p), `${r.type}: ${p}`);
    }
  });
});

describe("diff: comparing plans", () => {
  it("the same plan twice: no changes, everything unchanged", () => {
    const p = planOf(site, srv({}));
    const d = diffPlans(p, p);
    assert.deepEqual(d.counts, { create: 0, update: 0, replace: 0, delete: 0, same: 2 });
    assert.deepEqual(d.resources, []);
    assert.equal(d.cost.deltaEur, 0);
  });

  it("a server's location is a replacement; its type an in-place resize with a note and a cost delta", () => {
    const moved = one(diffPlans(planOf(site, srv({})), planOf(site, srv({ location: "fsn1" }))));
    assert.equal(moved.action, "replace");
    assert.deepEqual(moved.reasons, ["location changed"]);
    assert.equal(moved.changes[0].path, "location");
    assert.equal(moved.changes[0].before, "nbg1");
    assert.equal(moved.changes[0].after, "fsn1");
    assert.match(String(moved.changes[0].replaces), /terraform-provider-hcloud/);
    assert.equal(moved.component, site.urn);

    const d = diffPlans(planOf(site, srv({})), planOf(site, srv({ serverType: "cx53" })));
    const resized = one(d);
    assert.equal(resized.action, "update");
    assert.deepEqual(
      resized.changes.map((c) => [c.path, c.before, c.after, !!c.replaces]),
      [["serverType", "cx43", "cx53", false]],
    );
    assert.match(String(resized.changes[0].note), /powered off/);
    assert.equal(
      d.cost.deltaEur,
      Math.round((SERVER_TYPES.cx53.monthlyEur - SERVER_TYPES.cx43.monthlyEur) * 100) / 100,
    );
  });

  it("ignoreChanges masks a change, also one that would replace; replaceOnChanges forces one", () => {
    const masked = diffPlans(
      planOf(site, srv({ location: "nbg1", labels: { a: "1" } }, { ignoreChanges: ["location", "labels"] })),
      planOf(site, srv({ location: "fsn1", labels: { a: "2" } }, { ignoreChanges: ["location", "labels"] })),
    );
    assert.deepEqual(masked.resources, []);
    assert.equal(masked.counts.same, 2);
    assert.deepEqual(masked.quiet[0].ignored, ["labels.a", "location"]);

    const forced = one(
      diffPlans(
        planOf(site, srv({ labels: { a: "1" } }, { replaceOnChanges: ["labels"] })),
        planOf(site, srv({ labels: { a: "2" } }, { replaceOnChanges: ["labels"] })),
      ),
    );
    assert.equal(forced.action, "replace");
    assert.equal(forced.changes[0].replaces, "replaceOnChanges option");
  });

  it("a changed secret is told by its digest, never by its value; an unchanged one is silent", () => {
    const base = planOf(site, srv({ userData: "[secret]" }, {}, { userData: "aaaa" }));
    const changed = one(diffPlans(base, planOf(site, srv({ userData: "[secret]" }, {}, { userData: "bbbb" }))));
    assert.equal(changed.action, "replace", "userData forces a new server");
    assert.deepEqual(changed.changes, [
      { path: "userData", kind: "changed", secret: true, replaces: changed.changes[0].replaces },
    ]);
    assert.ok(!("before" in changed.changes[0]) && !("after" in changed.changes[0]));
    assert.deepEqual(diffPlans(base, base).resources, []);
    // A plan without digests cannot tell: nothing listed, one warning for the whole diff.
    const blind = diffPlans(base, planOf(site, srv({ userData: "[secret]" })));
    assert.deepEqual(blind.resources, []);
    assert.match(blind.warnings[0], /no secret digests/);
    // Plain → secret: changed, and neither value is shown.
    const now = one(diffPlans(planOf(site, srv({ userData: "#cloud-config plain" })), base));
    assert.deepEqual(now.changes, [
      { path: "userData", kind: "changed", secret: true, replaces: now.changes[0].replaces },
    ]);
  });

  it("created and deleted resources; protected and retained deletes carry warnings", () => {
    const ns = (name: string, protect: boolean) =>
      res(`${name}-ns`, "kubernetes:core/v1:Namespace", { metadata: { name } }, { protect }, stackRes);
    const d = diffPlans(planOf(ns("a", true), ns("b", false)), planOf(ns("b", false), ns("c", false)));
    assert.deepEqual(d.resources.map((r) => [r.action, r.name]).sort(), [
      ["create", "c-ns"],
      ["delete", "a-ns"],
    ]);
    assert.match(d.resources.find((r) => r.action === "delete")!.warnings[0], /^protected/);
    assert.deepEqual(d.resources.find((r) => r.action === "create")!.warnings, []);
    const kept = diffPlans(
      planOf(res("v", "hcloud:index/volume:Volume", { size: 10 }, { retainOnDelete: true })),
      planOf(),
    );
    assert.match(kept.resources[0].warnings[0], /retainOnDelete/);
    assert.equal(kept.cost.deltaEur, -Math.round(10 * OTHER_PRICES.volumePerGB * 100) / 100);
  });

  it("Kubernetes: a new metadata.name replaces; ConfigMap data replaces unless the provider makes it mutable", () => {
    const prov = (mutable: boolean) =>
      res("k8s", "pulumi:providers:kubernetes", mutable ? { enableConfigMapMutable: "true" } : {}, {}, stackRes);
    const cm = (p: PlannedResource, data: string) =>
      res(
        "cm",
        "kubernetes:core/v1:ConfigMap",
        { metadata: { name: "x" }, data: { k: data } },
        { provider: `${p.urn}::id1` },
      );
    const immut = one(diffPlans(planOf(prov(false), cm(prov(false), "1")), planOf(prov(false), cm(prov(false), "2"))));
    assert.equal(immut.action, "replace");
    const mut = one(diffPlans(planOf(prov(true), cm(prov(true), "1")), planOf(prov(true), cm(prov(true), "2"))));
    assert.equal(mut.action, "update");
    const renamed = diffPlans(
      planOf(res("n", "kubernetes:core/v1:Namespace", { metadata: { name: "a" } })),
      planOf(res("n", "kubernetes:core/v1:Namespace", { metadata: { name: "b" } })),
    );
    assert.equal(one(renamed).action, "replace");
  });

  it("a replaced provider replaces everything it manages; a generated value's inputs always replace", () => {
    const prov = (id: string) => res("k8s", "pulumi:providers:kubernetes", { clusterIdentifier: id }, {}, stackRes);
    const ns = (p: PlannedResource) =>
      res("n", "kubernetes:core/v1:Namespace", { metadata: { name: "a" } }, { provider: `${p.urn}::x` }, stackRes);
    const d = diffPlans(planOf(prov("a"), ns(prov("a"))), planOf(prov("b"), ns(prov("b"))));
    assert.deepEqual(
      d.resources.map((r) => [r.action, r.name, r.reasons.join()]),
      [
        ["replace", "k8s", "clusterIdentifier changed"],
        ["replace", "n", "its provider k8s is replaced"],
      ],
    );
    // Moving to another provider is an update the engine settles with the provider's DiffConfig.
    const explicit = res("hc", "pulumi:providers:hcloud", {}, {}, stackRes);
    const net = (p: PlannedResource | null) =>
      res("net", "hcloud:index/network:Network", { ipRange: "10.0.0.0/16" }, { provider: p ? `${p.urn}::id` : null });
    const movedDiff = diffPlans(planOf(net(null)), planOf(explicit, net(explicit)));
    assert.deepEqual(
      movedDiff.resources.map((r) => [r.action, r.name]),
      [
        ["create", "hc"],
        ["update", "net"],
      ],
    );
    const moved = movedDiff.resources[1];
    assert.equal(moved.action, "update");
    assert.deepEqual(moved.provider, { before: null, after: explicit.urn });
    assert.match(moved.warnings[0], /^moves to provider hc \(from the default provider\)/);
    const pw = (length: number) => res("pw", "random:index/randomPassword:RandomPassword", { length, special: false });
    assert.equal(one(diffPlans(planOf(pw(24)), planOf(pw(32)))).action, "replace");
  });

  it("lists and maps diff element by element; a list of another length changes as a whole", () => {
    const fw = (ports: string[]) =>
      res("fw", "hcloud:index/firewall:Firewall", { rules: ports.map((port) => ({ port, direction: "in" })) });
    assert.deepEqual(
      one(diffPlans(planOf(fw(["22", "443"])), planOf(fw(["22", "6443"])))).changes.map((c) => c.path),
      ["rules[1].port"],
    );
    assert.deepEqual(
      one(diffPlans(planOf(fw(["22"])), planOf(fw(["22", "443"])))).changes.map((c) => [c.path, c.kind]),
      [["rules", "changed"]],
    );
  });
});

describe("diff: the PR comment", () => {
  it("shows the values of changed non-secret stack outputs, never a secret one", () => {
    const base = { ...planOf(site, srv({})), outputs: { k3sVersion: "v1.32.5+k3s1", kubeconfig: "[secret]", n: 1 } };
    const head = { ...planOf(site, srv({})), outputs: { k3sVersion: "v1.33.1+k3s1", kubeconfig: "[secret]", n: 1 } };
    const review = tenantReview(base as Plan, head as Plan);
    assert.deepEqual(review.outputs, [{ key: "k3sVersion", before: "v1.32.5+k3s1", after: "v1.33.1+k3s1" }]);
    const secretChange = tenantReview(base as Plan, { ...head, outputs: { kubeconfig: { a: "[secret]" } } } as Plan);
    assert.ok(!secretChange.outputs.some((o) => o.key === "kubeconfig"), "a secret output shows no value");
    const md = renderMarkdown(diffPlans(base as Plan, head as Plan), {
      baseRef: "main",
      baseCommit: "0123456789abcdef0123",
      review,
    });
    assert.match(
      md,
      /\| <code>k3sVersion<\/code> \| <code>"v1\.32\.5\+k3s1"<\/code> \| <code>"v1\.33\.1\+k3s1"<\/code> \|/,
    );
  });

  it("starts with the marker, summarizes, shows cost and folds details", () => {
    const d = diffPlans(planOf(site, srv({})), planOf(site, srv({ serverType: "cx53" })));
    const md = renderMarkdown(d, { baseRef: "main", baseCommit: "0123456789abcdef0123" });
    assert.equal(md.split("\n")[0], commentMarker("t"));
    assert.match(md, /\*\*1 to update\*\* · 1 unchanged · estimated cost €/);
    assert.match(md, /\| cx53 @ nbg1 \| 0 · €0\.00 \| 1 · €/);
    // One label per type, the same in the table, the section titles and the resource lines.
    assert.match(md, /<details><summary><b>site<\/b> \(platform:Site\): 1 to update<\/summary>/);
    assert.doesNotMatch(md, /platform:site:Site/);
    assert.match(
      md,
      /<code>serverType<\/code>: <code>&quot;cx43&quot;|<code>serverType<\/code>: <code>"cx43"<\/code> → <code>"cx53"<\/code>/,
    );
  });

  it("escapes everything that comes from the change (names, values)", () => {
    const evil = "<img src=x onerror=alert(1)></details>`|";
    const d = diffPlans(
      planOf(res("x", "hcloud:index/network:Network", { name: "a" })),
      planOf(res("x", "hcloud:index/network:Network", { name: evil }), res(evil, "hcloud:index/network:Network", {})),
    );
    const md = renderMarkdown(d, { baseRef: evil, baseCommit: "0123456789ab" });
    assert.ok(!md.includes("<img"), "raw HTML from the change reached the comment");
    assert.equal(md.split("</details>").length - 1, md.split("<details>").length - 1, "details balanced");
    assert.ok(md.includes("&lt;img src=x onerror=alert(1)&gt;"));
  });

  it("stays under GitHub's limit with thousands of changes and keeps the summary and cost", () => {
    const comps = Array.from({ length: 300 }, (_, i) =>
      res(`tenant-${i}`, "platform:tenant:Tenant", {}, {}, stackRes, false),
    );
    const children = comps.flatMap((c, i) =>
      Array.from({ length: 10 }, (_, j) =>
        res(`tenant-${i}-obj-${j}`, "kubernetes:core/v1:ConfigMap", { data: { blob: "x".repeat(200) } }, {}, c),
      ),
    );
    const d = diffPlans(planOf(site, srv({})), planOf(site, srv({}), ...comps, ...children));
    assert.equal(d.counts.create, 3300);
    const md = renderMarkdown(d, { baseRef: "main", baseCommit: "0123456789ab" });
    assert.ok(md.length < COMMENT_LIMIT, `${md.length} chars`);
    assert.match(md, /\*\*3300 to create\*\*/);
    assert.match(md, /Monthly cost|cost €/);
    assert.match(md, /\| … 260 more component\(s\) \|/);
    assert.match(md, /component section\(s\) left out to stay under GitHub's 65,536-character limit/);
    assert.match(md, /npm run plan -- --stack t --base 0123456789ab/);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: a temporary git repository holding a copy of this project

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "diff test",
  GIT_AUTHOR_EMAIL: "diff-test@example.invalid",
  GIT_COMMITTER_NAME: "diff test",
  GIT_COMMITTER_EMAIL: "diff-test@example.invalid",
};
const git = (dir: string, ...args: string[]) =>
  execFileSync("git", ["-c", "commit.gpgsign=false", ...args], { cwd: dir, env: GIT_ENV, encoding: "utf8" }).trim();

/** Copies the project's source (tracked and untracked, not ignored) into a fresh git repo. */
function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "vp-diff-repo-"));
  const listed = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: repoRoot })
    .toString()
    .split("\0")
    .filter((f) => f && !/^(node_modules|build|\.cache)\//.test(f));
  for (const f of listed) {
    if (!existsSync(join(repoRoot, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(repoRoot, f), join(dir, f));
  }
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "base");
  return dir;
}

const subtree = (p: Plan, urn: string): string[] => {
  const out = [urn];
  for (const r of p.resources) if (r.parent && out.includes(r.parent)) out.push(r.urn);
  // Parents precede children in URN order only by accident: iterate to a fixed point.
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of p.resources)
      if (r.parent && out.includes(r.parent) && !out.includes(r.urn)) {
        out.push(r.urn);
        grew = true;
      }
  }
  return out.sort();
};
const urnsOf = (d: PlanDiff, action: string) =>
  d.resources
    .filter((r) => r.action === action)
    .map((r) => r.urn)
    .sort();
const tenantUrn = (p: Plan, name: string) => {
  const t = p.resources.find((r) => r.type === "platform:tenant:Tenant" && r.name === name);
  assert.ok(t, `no tenant component ${name}`);
  return t.urn;
};

describe("diff: what a reviewer sees of lists, CPU and a removed tenant (issue 24)", () => {
  const hosts = (n: number) => Array.from({ length: n }, (_, i) => `live.tenant-with-a-long-name-${i}.example`);
  const meta = (review: ReturnType<typeof tenantReview>) => ({
    baseRef: "main",
    baseCommit: "0123456789abcdef",
    review,
  });

  it("a changed list output shows the items added and removed, whole, never 80-character prefixes", () => {
    const before = [...hosts(6), "gone.example"];
    const after = [...hosts(6), "live.new-tenant.example"];
    const base = { ...planOf(site), outputs: { ingressHosts: before } };
    const head = { ...planOf(site), outputs: { ingressHosts: after } };
    const review = tenantReview(base as Plan, head as Plan);
    const md = renderMarkdown(diffPlans(base as Plan, head as Plan), meta(review));
    assert.match(
      md,
      /\| <code>ingressHosts<\/code> \| − <code>"gone\.example"<\/code> \| \+ <code>"live\.new-tenant\.example"<\/code><br>\(6 unchanged\) \|/,
    );
    assert.doesNotMatch(md, /chars\)/, "nothing cut");
    const text = renderText(diffPlans(base as Plan, head as Plan), meta(review));
    assert.match(text, /output ingressHosts: added "live\.new-tenant\.example"; removed "gone\.example"; 6 unchanged/);
    assert.deepEqual(listDelta(["a", "a", "b"], ["a", "c"]), { added: ["c"], removed: ["a", "b"], kept: 1 });
    assert.equal(listDelta("a", ["a"]), undefined);
  });

  it("an input list that grows names the new item (a tenant's added domain)", () => {
    const cert = (dnsNames: string[]) =>
      res("t-cert", "kubernetes:cert-manager.io/v1:Certificate", { spec: { dnsNames } }, {}, site);
    const d = diffPlans(planOf(site, cert(hosts(3))), planOf(site, cert([...hosts(3), "vod.t.example"])));
    const md = renderMarkdown(d, { baseRef: "main", baseCommit: "0123456789abcdef" });
    assert.match(md, /<code>spec\.dnsNames<\/code>: added <code>"vod\.t\.example"<\/code>; 3 unchanged/);
  });

  it("every CPU figure of the tenant review is in cores", () => {
    const tenantOut = (cpu: string) => ({
      t: { tier: "small", quota: { cpu, memory: "4Gi" }, domains: [], decommission: false },
    });
    const base = { ...planOf(site), outputs: { tenants: {} } };
    const head = { ...planOf(site), outputs: { tenants: tenantOut("1500m") } };
    const siteConfig = { workerPools: [{ count: 2, serverType: "cx43" }], overcommit: 2 } as never;
    const review = tenantReview(base as Plan, head as Plan, siteConfig);
    assert.match(review.added[0].spec.quota, /^cpu 1\.5 cores, memory 4Gi,/);
    assert.equal(review.capacity?.cpu.used, "1.5 cores");
    assert.match(review.capacity?.cpu.total ?? "", /^[\d.]+ cores$/);
    assert.match(review.capacity?.cpu.left ?? "", /^[\d.]+ cores$/);
  });

  it("a removed tenant file whose tenant is deployed and protected names decommission: true and runbook 05", () => {
    const tenant = res("gone", "platform:tenant:Tenant", {}, {}, stackRes, false);
    const ns = res(
      "gone-ns",
      "kubernetes:core/v1:Namespace",
      { metadata: { name: "gone" } },
      { protect: true },
      tenant,
    );
    const out = { tenants: { gone: { tier: "small", quota: {}, domains: [], decommission: false } } };
    const base = { ...planOf(tenant, ns), outputs: out };
    const head = { ...planOf(), outputs: { tenants: {} } };
    const review = tenantReview(base as Plan, head as Plan);
    assert.deepEqual([review.removed, review.protected], [["gone"], ["gone"]]);
    const d = diffPlans(base as Plan, head as Plan);
    const warning = d.resources.find((r) => r.name === "gone-ns")!.warnings[0];
    assert.match(warning, /^protected: `pulumi up` refuses to delete it while tenant gone is deployed/);
    for (const text of [warning, renderMarkdown(d, meta(review)), renderText(d, meta(review))]) {
      assert.match(text, /decommission: true/);
      assert.match(text, /runbook 05, docs\/runbooks\/05-decommission-tenant\.md/);
    }
    // Decommissioned first (unprotected in the base): removing the file is the second, clean step.
    const lifted = {
      ...base,
      resources: base.resources.map((r) => (r === ns ? { ...ns, options: { ...ns.options, protect: false } } : r)),
    };
    const second = tenantReview(lifted as Plan, head as Plan);
    assert.deepEqual(second.protected, []);
    assert.match(
      renderMarkdown(diffPlans(lifted as Plan, head as Plan), meta(second)),
      /its namespace and everything in it go/,
    );
  });
});

/**
 * The only update adding, removing or renaming a tenant may make: the tenant Argo CD's cluster
 * Secret, in place, its namespace list alone changed. Returns [namespaces added, removed].
 */
function namespacesUpdate(diff: PlanDiff): [string[], string[]] {
  const updated = diff.resources.filter((r) => r.action === "update");
  assert.deepEqual(
    updated.map((r) => r.name),
    ["argocd-tenant-scope-cluster"],
  );
  assert.deepEqual(
    updated[0].changes.map((c) => c.path),
    ["stringData.namespaces"],
  );
  const list = (v: unknown) => String(v).split(",");
  const [before, after] = [list(updated[0].changes[0].before), list(updated[0].changes[0].after)];
  return [after.filter((n) => !before.includes(n)), before.filter((n) => !after.includes(n))];
}

describe("diff: against a temporary git repository", function () {
  this.timeout(180_000);
  let repo = "";
  let key = "";
  let stagingBase: Plan | undefined;
  const tenantFiles = () =>
    readdirSync(join(repo, "tenants"))
      .filter((f) => f.endsWith(".yaml"))
      .sort();
  /** The fixture tenant: the smallest tier's file (it fits the staging capacity twice). */
  const fixture = () => {
    const files = tenantFiles();
    const tiers = files.map((f) => (parse(readFileSync(join(repo, "tenants", f), "utf8")) as { tier: string }).tier);
    return files[Math.max(0, tiers.indexOf("small"))];
  };
  /** Renames the fixture tenant (file and `name:`) in the temporary repo. */
  const renameFixture = () => {
    const src = fixture();
    const oldName = src.replace(/\.yaml$/, "");
    const newName = `${oldName.slice(0, 30)}-renamed`;
    const doc = parseDocument(readFileSync(join(repo, "tenants", src), "utf8"));
    doc.set("name", newName);
    unlinkSync(join(repo, "tenants", src));
    writeFileSync(join(repo, "tenants", `${newName}.yaml`), doc.toString());
    return { oldName, newName };
  };
  /**
   * The head planned in this process: the same program, stack file and tenants the plan CLI the
   * tool starts would read, without starting a process per case (the CLI path has its own cases).
   */
  const planHeadHere = async (o: ChildPlanOptions): Promise<Plan | null> =>
    existsSync(join(o.dir, `Pulumi.${o.stack}.yaml`))
      ? plan({ stack: o.stack, root: o.dir, tenantsDir: o.tenants ?? "tenants", secretDigestKey: o.digestKey })
      : null;
  const diffStaging = async (): Promise<DiffResult> => {
    // Only YAML changes between these cases: the working tree is built once, in before().
    const r = await diffAgainstRef({
      planHead: planHeadHere,
      root: repo,
      base: "HEAD",
      stack: "staging",
      buildHead: false,
      digestKey: key,
      basePlan: stagingBase,
    });
    stagingBase = r.basePlan;
    return r;
  };

  before(() => {
    repo = makeRepo();
    key = newDigestKey();
    const build = spawnSync(process.execPath, ["tools/build.mjs"], { cwd: repo, encoding: "utf8" });
    assert.equal(build.status, 0, build.stderr);
  });
  afterEach(() => {
    if (!repo) return;
    git(repo, "checkout", "-q", "--", ".");
    git(repo, "clean", "-fdq");
  });
  after(() => {
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it("--base HEAD on an unchanged tree reports no changes", async () => {
    const { diff, meta } = await diffStaging();
    assert.deepEqual(diff.resources, []);
    assert.deepEqual(diff.counts, { create: 0, update: 0, replace: 0, delete: 0, same: diff.counts.same });
    assert.ok(diff.counts.same > 20, `planned ${diff.counts.same} resources`);
    assert.deepEqual(diff.warnings, [], "secret digests present on both sides");
    assert.ok(
      stagingBase!.resources.some((r) => r.secretDigests),
      "the plans carry secret digests (so unchanged secrets were compared, not skipped)",
    );
    assert.equal(diff.cost.deltaEur, 0);
    assert.ok(diff.cost.after.monthlyEur > 0, "the site costs something");
    assert.match(renderMarkdown(diff, meta), /\*\*no changes\*\*/);
  });

  it("CLI: a failed diff exits 1 naming the cause, and still writes a comment with the error lines", () => {
    const md = join(repo, "out", "x.md");
    const r = spawnSync(process.execPath, ["build/tools/plan/cli.js", "--base", "no-such-ref", "--markdown", md], {
      cwd: repo,
      encoding: "utf8",
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--base: "no-such-ref" is not a commit/);
    const text = readFileSync(md, "utf8");
    assert.equal(text.split("\n")[0], commentMarker("staging"), "replaces the PR's diff comment");
    assert.match(text, /❌ the plan failed/);
    assert.match(text, /```text\n--base: "no-such-ref" is not a commit/);
    const plain = join(repo, "out", "none.md");
    const noMd = spawnSync(process.execPath, ["build/tools/plan/cli.js", "--base", "no-such-ref"], {
      cwd: repo,
      encoding: "utf8",
    });
    assert.equal(noMd.status, 1);
    assert.match(noMd.stderr, /diff: nothing written/);
    assert.ok(!existsSync(plain));
  });

  it("adding one tenant file creates exactly that tenant's resources, nothing else", async () => {
    const src = fixture();
    const doc = parseDocument(readFileSync(join(repo, "tenants", src), "utf8"));
    doc.set("name", "diff-probe");
    doc.set("displayName", "Diff Probe");
    if (doc.has("domains")) doc.set("domains", ["live.diff-probe.example"]);
    writeFileSync(join(repo, "tenants", "diff-probe.yaml"), doc.toString());

    const { diff, headPlan, meta } = await diffStaging();
    // The reviewer sees what the tenant gets, and what the site has left.
    const added = meta.review?.added ?? [];
    assert.deepEqual(
      added.map((t) => t.name),
      ["diff-probe"],
    );
    const spec = added[0].spec;
    assert.match(spec.tier, /^(small|standard|premium)$/);
    assert.match(spec.quota, /^cpu [\d.]+ cores?, memory \S+, storage \S+, pods \d+, services \d+, PVCs \d+$/);
    assert.match(spec.ingest, /^\d+ × \([\d.]+ cores?, \S+\)$/);
    assert.match(spec.repo, /^https:\/\/|^git@/);
    assert.ok(spec.path && spec.revision, "path and revision");
    const md = renderMarkdown(diff, meta);
    assert.match(md, /\*\*New tenant <code>diff-probe<\/code>\*\*/);
    for (const field of [
      "tier",
      "quota",
      "ingest workers × (CPU, memory)",
      "domains",
      "admin groups",
      "repository",
      "path",
      "revision",
    ])
      assert.ok(md.includes(`| ${field} | <code>`), `the comment shows ${field}`);
    assert.match(
      md,
      /Site capacity after this change: CPU <code>[\d.]+ cores?<\/code> of <code>[\d.]+ cores<\/code> requested \(<code>[\d.]+ cores?<\/code> left\)/,
    );
    const expected = subtree(headPlan, tenantUrn(headPlan, "diff-probe"));
    assert.ok(expected.length >= 5, `tenant subtree has ${expected.length} resources`);
    assert.deepEqual(urnsOf(diff, "create"), expected);
    assert.deepEqual([urnsOf(diff, "replace"), urnsOf(diff, "delete")], [[], []]);
    // The one shared object: the tenant Argo CD's cluster Secret gains the namespace, in place.
    assert.deepEqual(namespacesUpdate(diff), [["diff-probe"], []]);
    assert.equal(diff.cost.deltaEur, 0, "a tenant adds no servers");
  });

  it("changing a quota updates one resource, naming its input path", async () => {
    const src = fixture();
    const name = src.replace(/\.yaml$/, "");
    const quota = stagingBase!.resources.find(
      (r) => r.type === "kubernetes:core/v1:ResourceQuota" && r.urn.endsWith(`::${name}-quota`),
    );
    assert.ok(quota, "the fixture tenant has a ResourceQuota");
    const pods = Number((quota.inputs as any).spec.hard.pods);
    const doc = parseDocument(readFileSync(join(repo, "tenants", src), "utf8"));
    doc.setIn(["quota", "pods"], pods + 7);
    writeFileSync(join(repo, "tenants", src), doc.toString());

    const { diff, meta } = await diffStaging();
    assert.deepEqual(
      meta.review?.changed.map((t) => [t.name, t.fields.map((f) => f.field)]),
      [[name, ["quota"]]],
    );
    const q = meta.review!.changed[0].fields[0];
    assert.ok(q.before.includes(`pods ${pods},`) && q.after.includes(`pods ${pods + 7},`), `${q.before} → ${q.after}`);
    assert.match(renderMarkdown(diff, meta), /\*\*Changed tenant <code>[a-z-]+<\/code>\*\*\n\n- quota: <code>cpu/);
    const [only] = diff.resources;
    assert.equal(diff.resources.length, 1, JSON.stringify(diff.resources.map((r) => [r.action, r.name])));
    assert.equal(only.action, "update");
    assert.equal(only.urn, quota.urn);
    assert.deepEqual(
      only.changes.map((c) => [c.path, c.before, c.after]),
      [["spec.hard.pods", String(pods), String(pods + 7)]],
    );
  });

  it("renaming a tenant deletes the old tenant's resources and creates the new one's", async () => {
    const { oldName, newName } = renameFixture();

    const { diff, basePlan, headPlan } = await diffStaging();
    assert.deepEqual(urnsOf(diff, "delete"), subtree(basePlan, tenantUrn(basePlan, oldName)));
    assert.deepEqual(urnsOf(diff, "create"), subtree(headPlan, tenantUrn(headPlan, newName)));
    assert.deepEqual(urnsOf(diff, "replace"), []);
    assert.deepEqual(namespacesUpdate(diff), [[newName], [oldName]]);
  });

  it("scaling a worker pool by one creates the new server (and its own resources) and prices it", async () => {
    const file = join(repo, "Pulumi.staging.yaml");
    const doc = parseDocument(readFileSync(file, "utf8"));
    const count = Number(doc.getIn(["config", "video-platform:site", "workerPools", 0, "count"]));
    const serverType = String(doc.getIn(["config", "video-platform:site", "workerPools", 0, "serverType"]));
    const location = String(
      doc.getIn(["config", "video-platform:site", "location"]),
    ) as keyof typeof LOCATION_PRICE_FACTOR;
    doc.setIn(["config", "video-platform:site", "workerPools", 0, "count"], count + 1);
    writeFileSync(file, doc.toString());

    const { diff, headPlan, meta } = await diffStaging();
    const created = diff.resources.filter((r) => r.action === "create");
    const servers = created.filter((r) => r.type === SERVER);
    assert.equal(servers.length, 1, JSON.stringify(created.map((r) => r.name)));
    const server = servers[0];
    for (const r of created)
      assert.ok(r.name === server.name || r.name.startsWith(`${server.name}-`), `${r.name} is not the new server's`);
    assert.deepEqual([urnsOf(diff, "update"), urnsOf(diff, "replace"), urnsOf(diff, "delete")], [[], [], []]);

    const inputs = headPlan.resources.find((r) => r.urn === server.urn)!.inputs as Record<string, any>;
    assert.equal(inputs.serverType, serverType);
    const net = (inputs.publicNets ?? [{}])[0] ?? {};
    const billedIpv4 = net.ipv4Enabled !== false && net.ipv4 == null;
    const unit = Math.round(SERVER_TYPES[serverType].monthlyEur * LOCATION_PRICE_FACTOR[location] * 100) / 100;
    const want = Math.round((unit + (billedIpv4 ? OTHER_PRICES.primaryIpv4 : 0)) * 100) / 100;
    assert.equal(diff.cost.deltaEur, want);
    const row = diff.cost.rows.find((r) => r.key === `server:${serverType}:${location}`);
    assert.deepEqual([row?.after.quantity, row?.deltaEur], [(row?.before.quantity ?? 0) + 1, unit]);

    const md = renderMarkdown(diff, meta);
    assert.match(md, new RegExp(`\\*\\*${created.length} to create\\*\\*`));
    assert.ok(md.includes(`(+€${want.toFixed(2)})`), "the € delta is in the summary line");
  });

  it("CLI, prod: renaming a protected tenant warns that the namespace deletion will be refused", () => {
    renameFixture();
    const md = join(repo, "out", "prod.md");
    const json = join(repo, "out", "prod.json");
    const r = spawnSync(
      process.execPath,
      ["build/tools/plan/cli.js", "--stack", "prod", "--base", "HEAD", "--markdown", md, "--json", json, "--quiet"],
      { cwd: repo, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const { diff } = JSON.parse(readFileSync(json, "utf8")) as { diff: PlanDiff };
    // The one update: the tenant Argo CD's cluster Secret, which lists the tenant namespaces.
    assert.match(
      r.stdout,
      new RegExp(`prod: ${diff.counts.create} to create, 1 to update, 0 to replace, ${diff.counts.delete} to delete`),
    );
    assert.ok(diff.counts.create > 0 && diff.counts.create === diff.counts.delete, "delete + create, same size");
    const ns = diff.resources.find((x) => x.action === "delete" && x.type === "kubernetes:core/v1:Namespace");
    assert.ok(ns, "the old namespace is deleted");
    assert.match(ns.warnings.join(), /^protected: `pulumi up` refuses to delete it/);
    const text = readFileSync(md, "utf8");
    assert.equal(text.split("\n")[0], commentMarker("prod"));
    assert.match(text, />\s⚠️ <code>[^<]+<\/code> protected/);
  });

  it("a changed secret is reported as changed, without its value (and rotating a `secure:` value counts)", async () => {
    const probe = (sentinel: string) => `import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
export = async () => {
  const cfg = new pulumi.Config();
  new hcloud.Server("probe", {
    serverType: "cx23",
    image: "debian-13",
    location: "nbg1",
    userData: pulumi.secret("#cloud-config\\n# ${sentinel}\\n"),
  });
  new hcloud.SshKey("probe-key", { publicKey: "ssh-ed25519 AAAA probe", labels: { token: cfg.requireSecret("probeToken") } });
  return {};
};
`;
    const stackFile = (cipher: string) => `config:\n  video-platform:probeToken:\n    secure: ${cipher}\n`;
    writeFileSync(join(repo, "index.ts"), probe("SENTINEL-alpha-7f3a"));
    writeFileSync(join(repo, "Pulumi.staging.yaml"), stackFile("v1:AAAAAAAAcipherOLD"));
    git(repo, "commit", "-qam", "probe base");
    try {
      writeFileSync(join(repo, "index.ts"), probe("SENTINEL-bravo-7f3a"));
      writeFileSync(join(repo, "Pulumi.staging.yaml"), stackFile("v1:BBBBBBBBcipherNEW"));
      const { diff, meta } = await diffAgainstRef({ root: repo, base: "HEAD", stack: "staging", buildHead: true });
      assert.deepEqual(
        diff.resources.map((r) => [r.action, r.name, r.changes.map((c) => [c.path, c.kind, c.secret])]),
        [
          ["replace", "probe", [["userData", "changed", true]]],
          ["update", "probe-key", [["labels.token", "changed", true]]],
        ],
      );
      for (const c of diff.resources.flatMap((r) => r.changes)) assert.ok(!("before" in c) && !("after" in c));
      const everything = JSON.stringify(diff) + renderMarkdown(diff, meta);
      for (const leak of ["SENTINEL", "alpha", "bravo", "cipherOLD", "cipherNEW", "offline-plan-placeholder"])
        assert.ok(!everything.includes(leak), `"${leak}" leaked into the diff`);
      assert.match(renderMarkdown(diff, meta), /<code>userData<\/code>: secret changed — \*\*forces replacement\*\*/);
    } finally {
      git(repo, "reset", "-q", "--hard", "HEAD~1");
    }
  });
});
