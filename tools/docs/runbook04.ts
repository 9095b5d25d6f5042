/**
 * Runbook 04 (onboard a tenant) as code: its own shell steps 1–2 (the variables and the heredoc
 * that writes the tenant file), run as written, and the block of its text that is generated
 * from the plan: what the example tenant gets, as `npm run plan` prints it. So the resource count
 * an operator reads there is the plan's, never typed (`npm run docs:generate` rewrites it;
 * test/runbooks.test.ts fails when it is stale, and runs the steps the same way).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { plan, type Plan } from "../plan/runtime";
import { renderTree } from "../plan/tree";

export const RUNBOOK04 = "docs/runbooks/04-onboard-tenant.md";
export const GENERATED_BEGIN = "<!-- BEGIN GENERATED: npm run docs:generate -->";
export const GENERATED_END = "<!-- END GENERATED -->";

/** The `sh` blocks of a Markdown text, list indentation removed. */
export function shellBlocks(text: string): string[] {
  return [...text.matchAll(/^( *)```sh\n([\s\S]*?)^\1```/gm)].map((m) =>
    m[2]
      .split("\n")
      .map((l) => l.slice(Math.min(m[1].length, l.length - l.trimStart().length)))
      .join("\n"),
  );
}

/** 04's variables block, its file-writing block and the tenant it names (`TENANT=<name>`). */
export function runbook04Steps(text: string): { vars: string; write: string; tenant: string } {
  const blocks = shellBlocks(text);
  const write = blocks.find((b) => b.includes('cat > "tenants/$TENANT.yaml"'));
  const vars = blocks.find((b) => /^TENANT=/m.test(b));
  const tenant = /^TENANT=([a-z0-9-]+)$/m.exec(vars ?? "")?.[1];
  if (!write || !vars || !tenant)
    throw new Error(`${RUNBOOK04}: no TENANT=<name> block or no cat > "tenants/$TENANT.yaml" step`);
  return { vars, write, tenant };
}

/** Runs 04's steps 1–2 as written by bash in `dir` (which holds a tenants/ directory). */
export function runRunbook04(text: string, dir: string): SpawnSyncReturns<string> {
  const { vars, write } = runbook04Steps(text);
  return spawnSync("bash", ["-euo", "pipefail", "-c", `${vars}\n${write}`], { cwd: dir, encoding: "utf8" });
}

/** The plan's summary line for `tenant` (`<name> (platform:tenant:Tenant) — N resources: ...`). */
export function tenantSummary(p: Plan, tenant: string): string {
  const line = renderTree(p, { full: false })
    .split("\n")
    .find(
      (l) => l.includes(` ${tenant} (platform:tenant:Tenant) — `) || l.startsWith(`${tenant} (platform:tenant:Tenant)`),
    );
  if (!line) throw new Error(`the plan has no Tenant ${tenant}`);
  return line.replace(/^[├└]─ /, "");
}

/** `text` with the generated block (between the markers, at their indentation) replaced by `lines`. */
export function replaceGenerated(text: string, lines: string[]): string {
  const a = text.indexOf(GENERATED_BEGIN);
  const b = text.indexOf(GENERATED_END);
  if (a < 0 || b < a) throw new Error(`${RUNBOOK04}: the ${GENERATED_BEGIN} … ${GENERATED_END} markers are missing`);
  const indent = text.slice(text.lastIndexOf("\n", a) + 1, a);
  const body = ["", "```text", ...lines, "```", ""].map((l) => (l ? indent + l : "")).join("\n");
  return `${text.slice(0, a + GENERATED_BEGIN.length)}\n${body}\n${indent}${text.slice(b)}`;
}

/** Runbook 04's text with its generated block made from `p`, a plan holding the example tenant. */
export function renderRunbook04(text: string, p: Plan): string {
  return replaceGenerated(text, [tenantSummary(p, runbook04Steps(text).tenant)]);
}

/**
 * Plans 04's example tenant the way its steps write it, alone in an otherwise empty tenants
 * directory (what it gets does not depend on the other tenants), on `stack`.
 */
export async function planRunbook04Example(root: string, stack = "staging"): Promise<Plan> {
  const text = readFileSync(join(root, RUNBOOK04), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "vp-rb04-example-"));
  try {
    mkdirSync(join(dir, "tenants"));
    const r = runRunbook04(text, dir);
    if (r.status !== 0) throw new Error(`${RUNBOOK04}: steps 1–2 failed: ${r.stderr}`);
    return await plan({ stack, root, tenantsDir: join(dir, "tenants") });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
