/**
 * Onboarding is one file (issue 24): a pull request that adds, changes, decommissions or removes a
 * tenant file must leave `npm test` green without a test edit. Proven here on a copy of the
 * committed tenants/ changed the way such pull requests change it: one tenant generated and
 * added, one existing tenant decommissioned, one removed. Every property the suite asserts over
 * the committed tenants (test/helpers/tenant-properties.ts) must hold for the copy on both
 * stacks, as must the guardrails and the outputs contract; and an invalid file dropped into the
 * copy still fails with exactly the plan's messages for it, nothing declared.
 */
import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkResources, formatViolation, siteContext } from "../components/rules";
import { Plan, planStack, readStackConfig, repoRoot } from "./helpers/harness";
import { contract, shapeOf } from "./helpers/outputs-contract";
import { TENANT_PROPERTIES } from "./helpers/tenant-properties";
import { expectationsOf, planProblems, tenantFiles, TENANTS_DIR } from "./helpers/tenants";

const STACKS = ["staging", "prod"] as const;

/** A name no committed file uses (the generated tenant's), as a customer would pick one. */
function freshName(taken: string[]): string {
  for (let i = 1; ; i++) {
    const name = `onboarded-${String(i).padStart(3, "0")}`;
    if (!taken.includes(name)) return name;
  }
}

/**
 * A copy of tenants/ as after three reviewed pull requests: a new tenant (the smallest quota, so
 * it fits whatever capacity the removed one leaves), the second file decommissioned, the first
 * removed. With fewer committed files the later steps apply to what is there.
 */
function changedCopy(): { dir: string; added: string; removed?: string; decommissioned?: string } {
  const root = mkdtempSync(join(tmpdir(), "vp-tenant-set-"));
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, "tenants");
  cpSync(TENANTS_DIR, dir, { recursive: true });
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  const added = freshName(tenantFiles(dir).map((t) => t.name));
  writeFileSync(
    join(dir, `${added}.yaml`),
    [
      "# yaml-language-server: $schema=../schemas/tenant.schema.json",
      `name: ${added}`,
      "displayName: Onboarded by the test",
      "tier: small",
      "quota: { cpu: 250m, memory: 512Mi, storage: 1Gi, pods: 4 }",
      "ingest: { workers: 1, cpu: 100m, memory: 128Mi }",
      `domains: [live.${added}.example]`,
      "gitops:",
      `  repoURL: https://git.example.com/${added}/video-apps.git`,
      "  path: deploy",
      `admins: [${added}-admins]`,
      "",
    ].join("\n"),
  );
  const [first, second] = files;
  if (second) {
    const text = readFileSync(join(dir, second), "utf8").replace(/^decommission:.*\n?/m, "");
    writeFileSync(join(dir, second), `${text.replace(/\n?$/, "\n")}decommission: true\n`);
  }
  if (first) rmSync(join(dir, first));
  return {
    dir,
    added,
    removed: first?.replace(/\.yaml$/, ""),
    decommissioned: second?.replace(/\.yaml$/, ""),
  };
}

describe("tenants: any valid set of tenant files (a copy of tenants/: one added, one decommissioned, one removed)", () => {
  const copy = changedCopy();
  const plans: Record<string, Plan> = {};
  before(async function () {
    this.timeout(180000);
    for (const stack of STACKS) plans[stack] = await planStack(stack, copy.dir);
  });

  it("the copy is what three pull requests make of tenants/, and plans on both stacks", () => {
    const names = tenantFiles(copy.dir).map((t) => t.name);
    assert.ok(names.includes(copy.added), "the generated tenant is in");
    if (copy.removed) assert.ok(!names.includes(copy.removed), `${copy.removed} is removed`);
    if (copy.decommissioned)
      assert.equal(tenantFiles(copy.dir).find((t) => t.name === copy.decommissioned)?.decommission, true);
    for (const stack of STACKS) assert.ok(plans[stack].resources.length > 0, stack);
  });

  for (const { title, check } of TENANT_PROPERTIES)
    it(`still holds: ${title}`, async () => {
      for (const stack of STACKS) await check(plans[stack], tenantFiles(copy.dir));
    });

  it("still holds: every guardrail, on both stacks", () => {
    for (const stack of STACKS)
      assert.deepEqual(
        checkResources(plans[stack].resources, siteContext(stack, readStackConfig(stack))).map(formatViolation),
        [],
      );
  });

  it("still holds: the outputs contract, one entry per tenant file", () => {
    for (const stack of STACKS) {
      const site = readStackConfig(stack)["video-platform:site"] as { controlPlane: { count: number } };
      const expected = contract(
        site.controlPlane.count > 1,
        tenantFiles(copy.dir).map((t) => t.name),
      );
      const out = plans[stack].outputs as Record<string, unknown>;
      assert.deepEqual(Object.keys(out).sort(), Object.keys(expected).sort(), stack);
      for (const [name, shape] of Object.entries(expected))
        assert.deepEqual(shapeOf(out[name], shape), shape, `${stack}: ${name}`);
    }
  });

  // File-local error classes of the malformed corpus, and one that compares files with each other
  // (a duplicate name), each dropped beside the copy's valid files under its corpus directory's name.
  const corpus = join(repoRoot, "test", "fixtures", "tenants", "invalid");
  for (const d of [
    "10-missing-required",
    "17-file-name-mismatch",
    "18-duplicate-name-across-files",
    "49-every-problem-at-once",
  ])
    it(`an invalid file beside them still fails with exactly the plan's messages for it (${d})`, async () => {
      const root = mkdtempSync(join(tmpdir(), "vp-tenant-set-invalid-"));
      const dir = join(root, d);
      try {
        cpSync(copy.dir, dir, { recursive: true });
        const invalid = readdirSync(join(corpus, d)).filter((f) => statSync(join(corpus, d, f)).isFile());
        for (const f of invalid) cpSync(join(corpus, d, f), join(dir, f));
        const { problems, constructed } = await planProblems(dir);
        assert.equal(constructed, 0, "nothing declared");
        const lines = problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n");
        const left = [...problems];
        for (const e of expectationsOf(join(corpus, d))) {
          const file = join(dir, e.file.slice(join(corpus, d).length + 1));
          const i = left.findIndex((p) => p.file === file && p.path === e.path && e.message.test(p.message));
          assert.ok(i >= 0, `expected ${e.line} (file ${file}) in:\n${lines}`);
          left.splice(i, 1);
        }
        assert.deepEqual(left, [], `problems beyond the invalid files' own:\n${lines}`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
});
