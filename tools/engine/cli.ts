/**
 * `npm run engine -- up|preview|refresh|destroy [--stack <name>] [--tenants <dir>] [--refresh]
 *                    [--expect-no-changes] [--diff]`
 * `npm run engine -- down`
 * Runs the stack's Kubernetes layer through the real Pulumi engine against the local control plane
 * (started if needed, left running; `down` stops it), state under build/engine/. The engine's own
 * output is printed as the CLI prints it; docs/engine-tests.md says what is real and what stands in.
 */
import { join } from "node:path";
import { isInputError } from "../../components/config/errors";
import { checkStackName, FlagSpec, readFlags, reportFailure, UsageError } from "../cli/args";
import { stopControlPlane } from "../cluster/controlplane";
import { ENGINE_DIR, prepareEngine, recorder } from "./workspace";

const USAGE = [
  "usage: npm run engine -- up|preview|refresh|destroy [--stack <name>] [--tenants <dir>] [--refresh] [--expect-no-changes] [--diff]",
  "       npm run engine -- down",
].join("\n");

const COMMANDS = ["up", "preview", "refresh", "destroy", "down"] as const;
export type EngineCommand = (typeof COMMANDS)[number];

export interface EngineArgs {
  command: EngineCommand;
  stack: string;
  tenants?: string;
  refresh: boolean;
  expectNoChanges: boolean;
  diff: boolean;
}

const FLAGS: FlagSpec = {
  stack: { type: "string" },
  tenants: { type: "string" },
  refresh: { type: "boolean" },
  "expect-no-changes": { type: "boolean" },
  diff: { type: "boolean" },
};

export function parseEngineArgs(argv: readonly string[]): EngineArgs {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as EngineCommand))
    throw new UsageError(command ? `unknown command ${command}\n${USAGE}` : USAGE);
  const flags = readFlags([...rest], command === "down" ? {} : FLAGS, USAGE);
  return {
    command: command as EngineCommand,
    stack: checkStackName(typeof flags.stack === "string" ? flags.stack : "staging"),
    ...(typeof flags.tenants === "string" ? { tenants: flags.tenants } : {}),
    refresh: flags.refresh === true,
    expectNoChanges: flags["expect-no-changes"] === true,
    diff: flags.diff === true,
  };
}

async function run(args: EngineArgs): Promise<number> {
  if (args.command === "down") {
    const stopped = await stopControlPlane(join(ENGINE_DIR, "cluster"));
    process.stderr.write(`engine: ${stopped.length ? `stopped ${stopped.join(", ")}` : "nothing was running"}\n`);
    return 0;
  }
  const engine = await prepareEngine({ stack: args.stack, tenants: args.tenants });
  const rec = recorder();
  const common = {
    onOutput: (s: string) => process.stdout.write(s),
    onEvent: rec.onEvent,
    color: "auto" as const,
    ...(args.diff ? { diff: true } : {}),
  };
  const t0 = Date.now();
  switch (args.command) {
    case "up":
      await engine.stack.up({ ...common, refresh: args.refresh, expectNoChanges: args.expectNoChanges });
      break;
    case "preview":
      await engine.stack.preview({ ...common, refresh: args.refresh, expectNoChanges: args.expectNoChanges });
      break;
    case "refresh":
      await engine.stack.refresh({ ...common, expectNoChanges: args.expectNoChanges });
      break;
    case "destroy":
      await engine.stack.destroy({ ...common, refresh: args.refresh });
      break;
  }
  const r = rec.done(t0);
  process.stderr.write(
    `engine: ${args.command} of ${args.stack} in ${r.seconds.toFixed(1)} s; ${r.diagnostics.length} warning(s)/error(s); state ${engine.stateFile}\n`,
  );
  return 0;
}

if (require.main === module) {
  let args: EngineArgs;
  try {
    args = parseEngineArgs(process.argv.slice(2));
  } catch (err) {
    process.exit(reportFailure(err));
  }
  run(args).then(
    (code) => process.exit(code),
    (err) => {
      if (isInputError(err) || err instanceof UsageError) process.exit(reportFailure(err));
      // The CLI's own message (CommandError carries stderr) is the useful part.
      process.stderr.write(`engine: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
