/**
 * `npm run docs:generate`: rewrites the parts of the docs generated from the plan. Today that is
 * runbook 04's block of what its example tenant gets (tools/docs/runbook04.ts); the stack config
 * reference has its own command (`npm run schema:config`). test/runbooks.test.ts fails until it
 * is run after a change to what a tenant gets.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportFailure } from "../cli/args";
import { repoRoot } from "../plan/runtime";
import { planRunbook04Example, renderRunbook04, RUNBOOK04 } from "./runbook04";

async function main(): Promise<number> {
  const file = join(repoRoot, RUNBOOK04);
  const text = readFileSync(file, "utf8");
  const next = renderRunbook04(text, await planRunbook04Example(repoRoot));
  writeFileSync(file, next);
  process.stdout.write(`${next === text ? "unchanged" : "wrote"}: the generated block of ${RUNBOOK04}\n`);
  return 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
