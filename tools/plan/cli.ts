/**
 * `npm run plan -- [--stack <name>] [--tenants <dir>] [--json <file>] [--tree]`
 * The offline plan: the real program under Pulumi's mock runtime, no CLI, cloud or secrets.
 * Exit 0 with a summary per component on stdout (every resource with --tree) and the JSON plan
 * written; exit 1 with every input problem on stderr as `<file>: <field path>: <message>`, or every broken guardrail as
 * `<rule id> <urn>: <message>; fix: <fix>`, and nothing written.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { checkResources, formatViolation, siteContext } from "../../components/rules";
import { checkStackName, readFlags, reportFailure, UsageError } from "../cli/args";
import { plan, planJson, readStackConfig, repoRoot } from "./runtime";
import { renderTree } from "./tree";

// tools/cluster reports its failures the plan's way and imports the reporter from here.
export { reportFailure };

/** What the plan reads from its command line. */
export interface PlanArgs {
  stack: string;
  tenants?: string;
  json?: string;
  base?: string;
  markdown?: string;
  quiet: boolean;
  tree: boolean;
}

const USAGE =
  "usage: npm run plan -- [--stack <name>] [--tenants <dir>] [--json <file>] [--tree] [--base <git-ref> [--markdown <file>]] [--quiet]";

const FLAGS = {
  stack: { type: "string" },
  tenants: { type: "string" },
  json: { type: "string" },
  base: { type: "string" },
  markdown: { type: "string" },
  quiet: { type: "boolean" },
  tree: { type: "boolean" },
} as const;

export function parsePlanArgs(argv: string[]): PlanArgs {
  const f = readFlags(argv, FLAGS, USAGE);
  const out: PlanArgs = {
    stack: checkStackName(f.stack ?? "staging"),
    tenants: f.tenants,
    json: f.json,
    base: f.base,
    markdown: f.markdown,
    quiet: f.quiet ?? false,
    tree: f.tree ?? false,
  };
  if (out.markdown && !out.base) throw new UsageError(`--markdown goes with --base\n${USAGE}`);
  if (out.tree && out.base) throw new UsageError(`--tree prints a plan, not a diff\n${USAGE}`);
  return out;
}

async function main(argv: string[]): Promise<number> {
  const args = parsePlanArgs(argv);
  if (args.base) {
    // The offline diff lives beside the plan and shares its runtime; loaded only when asked for
    // (it pulls in git handling). The diff CLI imports nothing from here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runDiffCli } = require("../diff/cli") as typeof import("../diff/cli");
    return runDiffCli({ ...args, base: args.base });
  }
  const started = process.hrtime.bigint();
  const p = await plan({ stack: args.stack, tenantsDir: args.tenants });
  // The guardrails (components/rules) on every plan: a broken rule fails it, nothing written.
  // VP_PLAN_GUARDRAILS=off is for tools that compare plans rather than gate them (the offline
  // diff's child plans: a base commit is what it is); `npm run plan` and CI never set it.
  const guarded = process.env.VP_PLAN_GUARDRAILS !== "off";
  const ctx = guarded ? siteContext(args.stack, readStackConfig(args.stack)) : undefined;
  const violations = ctx ? checkResources(p.resources, ctx) : [];
  if (violations.length) {
    for (const v of violations) process.stderr.write(`${formatViolation(v)}\n`);
    process.stderr.write(`plan: ${violations.length} guardrail violation(s); nothing written\n`);
    return 1;
  }
  const jsonPath = resolve(args.json ?? `${repoRoot}/build/plan.${args.stack}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, planJson(p));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!args.quiet) process.stdout.write(renderTree(p, { full: args.tree }));
  process.stdout.write(`plan written to ${jsonPath} (${ms.toFixed(0)} ms)\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
