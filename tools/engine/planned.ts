/**
 * The offline plan the engine's result is compared with, made in a child process: the mock
 * runtime is process-global, and the Automation API's inline programs run in the test's process.
 * `node build/tools/engine/planned.js '<PlanRequest JSON>' <out.json>`; `plannedInChild` runs it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Plan, plan, PlanOptions, planJson, repoRoot } from "../plan/runtime";

export type PlanRequest = Pick<PlanOptions, "stack" | "tenantsDir" | "stackConfig" | "overrides" | "reveal">;

/** The plan of `req`, as `npm run plan` makes it (the product's index.ts under the mock runtime). */
export function plannedInChild(req: PlanRequest, out: string): Plan {
  execFileSync(process.execPath, [join(repoRoot, "build", "tools", "engine", "planned.js"), JSON.stringify(req), out], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  return JSON.parse(readFileSync(out, "utf8")) as Plan;
}

if (require.main === module) {
  const [req, out] = process.argv.slice(2);
  plan(JSON.parse(req) as PlanRequest).then(
    (p) => writeFileSync(out, planJson(p)),
    (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
