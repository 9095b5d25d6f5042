/**
 * `npm run plan -- [--stack <name>] [--tenants <dir>] [--json <file>]`
 * The offline plan: the real program under Pulumi's mock runtime, no CLI, cloud or secrets.
 * Exit 0 with the tree on stdout (and the JSON plan written); exit 1 with every input problem
 * on stderr as `<file>: <field path>: <message>`, or every broken guardrail as
 * `<rule id> <urn>: <message>; fix: <fix>`, and nothing written.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { formatProblem, isInputError } from "../../components/config/errors";
import { checkResources, formatViolation, siteContext } from "../../components/rules";
import { plan, planJson, readStackConfig, repoRoot } from "./runtime";
import { renderTree } from "./tree";

export interface CliArgs {
  stack: string;
  tenants?: string;
  json?: string;
  base?: string;
  markdown?: string;
  quiet: boolean;
}

const USAGE =
  "usage: npm run plan -- [--stack <name>] [--tenants <dir>] [--json <file>] [--base <git-ref> [--markdown <file>]] [--quiet]";

/** The value after the flag at argv[i]; a missing one (end, or another flag) is a usage error. */
export function flagValue(argv: string[], i: number, usage: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new UsageError(`${argv[i]} needs a value\n${usage}`);
  return v;
}

export function parseArgs(argv: string[]): CliArgs {
  const out: CliArgs = { stack: "staging", quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => flagValue(argv, i++, USAGE);
    switch (a) {
      case "--stack":
        out.stack = value();
        break;
      case "--tenants":
        out.tenants = value();
        break;
      case "--json":
        out.json = value();
        break;
      case "--base":
        out.base = value();
        break;
      case "--markdown":
        out.markdown = value();
        break;
      case "--quiet":
        out.quiet = true;
        break;
      case "-h":
      case "--help":
        throw new UsageError(USAGE, 0);
      default:
        throw new UsageError(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (!/^[A-Za-z0-9._-]+$/.test(out.stack)) throw new UsageError(`--stack: "${out.stack}" is not a stack name`);
  if (out.markdown && !out.base) throw new UsageError(`--markdown goes with --base\n${USAGE}`);
  return out;
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly code = 2,
  ) {
    super(message);
  }
}

/** Prints input problems the way every caller expects them; returns the exit code. */
export function reportFailure(err: unknown): number {
  if (isInputError(err)) {
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`plan: ${err.problems.length} problem(s); nothing planned, nothing written\n`);
    return 1;
  }
  if (err instanceof UsageError) {
    (err.code === 0 ? process.stdout : process.stderr).write(`${err.message}\n`);
    return err.code;
  }
  if (err instanceof Error && err.name === "StackFileError") {
    process.stderr.write(`${err.message}\nplan: nothing planned, nothing written\n`);
    return 1;
  }
  process.stderr.write(`plan failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.base) {
    // The offline diff (issue 6) lives beside the plan and shares its runtime.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runDiffCli } = require("../diff/cli") as { runDiffCli(a: CliArgs): Promise<number> };
    return runDiffCli(args);
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
  if (!args.quiet) process.stdout.write(renderTree(p));
  process.stdout.write(`plan written to ${jsonPath} (${ms.toFixed(0)} ms)\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
