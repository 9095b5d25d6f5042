/**
 * `npm run preview -- --stack <name> [pulumi flags...]` and `npm run up -- --stack <name> [...]`:
 * the real Pulumi CLI with the guardrails every operator path must carry, the way the workflows
 * run it. It adds `--policy-pack policy` (the guardrails of components/rules, enforced by the
 * engine: a violation stops the run) and `--diff` (every property change, not only counts), and
 * refuses to run a CLI whose version differs from `.pulumi-version` (the version CI pins; the SDK
 * in package.json is kept equal to it by test/workflows.test.ts). Every other flag (`--replace`,
 * `--exclude`, `--refresh`, `--target`, `--yes`...) goes to pulumi unchanged.
 *
 * The CLI is `pulumi` on PATH, or $PULUMI_BIN. Nothing here talks to a backend itself: pulumi
 * does, with the operator's login and secrets.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { checkStackName, UsageError } from "./args";

/** The project root (this file runs from build/tools/cli/). */
const ROOT = join(__dirname, "..", "..", "..");

export type PulumiCommand = "preview" | "up";

const USAGE = (cmd: string) => `usage: npm run ${cmd} -- --stack <name> [pulumi ${cmd} flags...]`;

/** Flags that would take the guardrails away or point pulumi at something else: refused. */
const REFUSED: Record<string, string> = {
  "--policy-pack": "the wrapper passes --policy-pack policy itself",
  "--policy-pack-config": "the guardrails take no configuration",
  "--cwd": "the project root is the only program",
  "-C": "the project root is the only program",
};

/** What the wrapper reads from its command line: the stack, and everything else for pulumi. */
export interface PulumiRunArgs {
  command: PulumiCommand;
  stack: string;
  rest: string[];
}

/**
 * Reads `<preview|up> --stack <name> [flags...]` (`--stack=<name>` and `-s <name>` too). The
 * stack is required: a run against whatever stack happens to be selected is how the wrong site
 * gets changed.
 */
export function parsePulumiRunArgs(argv: string[]): PulumiRunArgs {
  const [command, ...args] = argv;
  if (command !== "preview" && command !== "up")
    throw new UsageError(`pulumi-run: the command is preview or up, not ${command ?? "(none)"}`);
  let stack: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a] : [a, undefined];
    if (flag === "-h" || flag === "--help") throw new UsageError(USAGE(command), 0);
    if (REFUSED[flag]) throw new UsageError(`${flag}: ${REFUSED[flag]}\n${USAGE(command)}`);
    if (flag === "--stack" || flag === "-s") {
      const v = inline !== undefined ? inline.slice(inline.indexOf("=") + 1) : args[++i];
      if (!v || v.startsWith("-")) throw new UsageError(`--stack needs a value\n${USAGE(command)}`);
      if (stack !== undefined && stack !== v) throw new UsageError(`--stack given twice\n${USAGE(command)}`);
      stack = checkStackName(v);
    } else rest.push(a);
  }
  if (!stack) throw new UsageError(`--stack is required (staging, prod, ...)\n${USAGE(command)}`);
  return { command, stack, rest };
}

/** The argv after `pulumi`: the command, the stack, the guardrails, the diff, then the operator's flags. */
export function pulumiArgv(a: PulumiRunArgs): string[] {
  const diff = a.rest.includes("--diff") ? [] : ["--diff"];
  return [a.command, "--stack", a.stack, "--policy-pack", "policy", ...diff, ...a.rest];
}

/** The version `.pulumi-version` pins (no leading v). */
export function pinnedVersion(root = ROOT): string {
  return readFileSync(join(root, ".pulumi-version"), "utf8").trim().replace(/^v/, "");
}

/**
 * The CLI's own version (`pulumi version` prints `v3.248.0`), or a UsageError saying how to get
 * the pinned one when it is missing or different.
 */
export function checkCliVersion(bin: string, pinned: string): string {
  const r = spawnSync(bin, ["version"], { encoding: "utf8" });
  const install = `install the Pulumi CLI ${pinned} (the version in .pulumi-version), or set PULUMI_BIN to one`;
  if (r.error || r.status !== 0)
    throw new UsageError(
      `pulumi-run: cannot run \`${bin} version\` (${r.error?.message ?? r.stderr.trim()}): ${install}`,
      1,
    );
  const got = r.stdout.trim().split(/\s+/)[0].replace(/^v/, "");
  if (got !== pinned)
    throw new UsageError(
      `pulumi-run: ${bin} is ${got}, but .pulumi-version pins ${pinned}: ${install}. CI runs ${pinned}; another ` +
        `version may plan differently and write state the pinned one reads differently.`,
      1,
    );
  return got;
}

/** Runs pulumi in the project root with the terminal attached; resolves to its exit code. */
function run(bin: string, argv: string[]): Promise<number> {
  process.stderr.write(`+ ${[bin, ...argv].join(" ")}\n`);
  const child = spawn(bin, argv, { cwd: ROOT, stdio: "inherit" });
  // Ctrl-C reaches pulumi too (same process group): it cancels gracefully; the wrapper waits.
  const ignore = () => undefined;
  process.on("SIGINT", ignore);
  process.on("SIGTERM", ignore);
  return new Promise((resolve) => {
    child.on("error", (e) => {
      process.stderr.write(`pulumi-run: ${bin}: ${e.message}\n`);
      resolve(1);
    });
    child.on("close", (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parsePulumiRunArgs(argv);
    const bin = process.env.PULUMI_BIN || "pulumi";
    checkCliVersion(bin, pinnedVersion());
    return await run(bin, pulumiArgv(args));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    (err.code === 0 ? process.stdout : process.stderr).write(`${err.message}\n`);
    return err.code;
  }
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`pulumi-run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
