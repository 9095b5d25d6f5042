/**
 * Change locality (issue 9, item 4) through the offline diff: a small change touches only what it
 * is about. Adding a tenant or a worker must not update anything else, and a quota change must be
 * one in-place update — otherwise every onboarding would be a site-wide change to review.
 */
import { strict as assert } from "node:assert";
import { diffPlans } from "../tools/diff";
import { judge, localityCases, type LocalityCase } from "../tools/bench/locality";
import type { Plan, PlannedResource } from "./helpers/harness";
import { plannedOptions, serial } from "./helpers/harness";

const short = (urns: string[]) => urns.map((u) => u.split("::").pop()).sort();

describe("locality: small changes stay small (offline diff, prod)", () => {
  let cases: LocalityCase[];
  before(async function () {
    this.timeout(120_000);
    cases = await serial(() => localityCases({ stack: "prod", tenants: 6 }));
  });

  it("adding one tenant creates exactly that tenant's resources; the one shared change is its namespace in the tenant Argo CD's cluster Secret, updated in place", () => {
    const c = cases[0];
    assert.equal(c.change, "adding one tenant");
    assert.ok(c.expected.length >= 2, "the new tenant has a component and children");
    assert.deepEqual(short(c.created), short(c.expected));
    assert.ok(short(c.created).every((n) => n?.startsWith("bench-00007")));
    // Argo CD keys clusters by server URL: one Secret lists every namespace the tenant instance
    // manages. It is the reviewed exception, updated in place (never deleted and recreated).
    assert.deepEqual(short(c.updated), ["argocd-tenant-scope-cluster"]);
    assert.deepEqual([c.replaced, c.deleted], [[], []]);
    assert.equal(c.counts.create, c.expected.length);
    assert.ok(c.local);
  });

  it("raising a worker pool by one creates only the new server's resources", () => {
    const c = cases[1];
    assert.ok(c.created.length >= 1);
    assert.ok(
      c.created.some((u) => u.includes("hcloud:index/server:Server::")),
      `a new server among ${short(c.created).join(", ")}`,
    );
    assert.deepEqual(short(c.created), short(c.expected));
    assert.deepEqual([c.updated, c.replaced, c.deleted], [[], [], []]);
    assert.ok(c.local);
  });

  it("changing one tenant's quota updates one resource: its ResourceQuota", () => {
    const c = cases[2];
    assert.equal(c.counts.update, 1);
    assert.deepEqual(short(c.updated), ["bench-00001-quota"]);
    assert.deepEqual([c.created, c.replaced, c.deleted], [[], [], []]);
    assert.ok(c.local);
  });

  it("judge() flags a change that spreads beyond what it is about", () => {
    const r = (name: string, inputs: Record<string, unknown>): PlannedResource => ({
      urn: `urn:pulumi:prod::video-platform::kubernetes:core/v1:ResourceQuota::${name}`,
      type: "kubernetes:core/v1:ResourceQuota",
      name,
      parent: null,
      custom: true,
      inputs,
      options: plannedOptions(),
    });
    const plan = (rs: PlannedResource[]): Plan => ({
      project: "video-platform",
      stack: "prod",
      resources: rs,
      outputs: {},
    });
    const base = plan([
      r("a-quota", { spec: { hard: { pods: "1" } } }),
      r("b-quota", { spec: { hard: { pods: "1" } } }),
    ]);
    const both = plan([
      r("a-quota", { spec: { hard: { pods: "2" } } }),
      r("b-quota", { spec: { hard: { pods: "2" } } }),
    ]);
    const one = plan([
      r("a-quota", { spec: { hard: { pods: "2" } } }),
      r("b-quota", { spec: { hard: { pods: "1" } } }),
    ]);
    const expected = [base.resources[0].urn];
    assert.equal(judge("x", diffPlans(base, both), expected, "update").local, false);
    assert.equal(judge("x", diffPlans(base, one), expected, "update").local, true);
    assert.equal(judge("x", diffPlans(base, one), expected, "create").local, false, "wrong action");
    assert.equal(judge("x", diffPlans(base, base), [], "update").local, false, "nothing expected is not local");
    // A shared resource is local only as an in-place update, and only the one named.
    const grown = plan([
      r("a-quota", { spec: { hard: { pods: "2" } } }),
      r("b-quota", { spec: { hard: { pods: "1", services: "1" } } }),
    ]);
    const shared = [base.resources[1].urn];
    assert.equal(judge("x", diffPlans(base, grown), expected, "update", shared).local, true);
    assert.equal(judge("x", diffPlans(base, grown), expected, "update").local, false, "an unnamed shared update");
    assert.equal(
      judge("x", diffPlans(base, one), expected, "update", shared).local,
      false,
      "a named one that did not change",
    );
  });
});
