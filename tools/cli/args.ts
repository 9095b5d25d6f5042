/**
 * What every project CLI shares (plan, diff, relocate, model, bench): flags read with Node's own
 * `util.parseArgs` (so `--stack prod` and `--stack=prod` both work, an unknown flag or a missing
 * value is an error, never silently a value), usage errors with exit code 2, and the one way
 * input problems are printed. It imports no CLI, so no CLI imports another to share this.
 */
import { parseArgs } from "node:util";
import { formatProblem, isInputError } from "../../components/config/errors";

export class UsageError extends Error {
  constructor(
    message: string,
    readonly code = 2,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A CLI's flags: each a string or a boolean (repeatable ones are not needed). */
export type FlagSpec = Record<string, { type: "string" | "boolean" }>;

/** The values read: strings for string flags, booleans for boolean ones, absent when not given. */
export type Flags<S extends FlagSpec> = {
  [K in keyof S]?: S[K]["type"] extends "string" ? string : boolean;
};

/**
 * Reads argv against `spec`. `-h`/`--help` throws the usage with exit code 0; an unknown flag, a
 * positional argument, a string flag without a value (`--stack` at the end, or `--stack --quiet`)
 * or a boolean given a value is a UsageError naming it, followed by the usage line.
 */
export function readFlags<S extends FlagSpec>(argv: string[], spec: S, usage: string): Flags<S> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...spec, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!e.code?.startsWith("ERR_PARSE_ARGS")) throw err;
    throw new UsageError(`${e.message}\n${usage}`);
  }
  if (values.help) throw new UsageError(usage, 0);
  // parseArgs accepts `--stack=` (an empty value); no flag here means anything by an empty string.
  for (const [k, v] of Object.entries(values)) if (v === "") throw new UsageError(`--${k} needs a value\n${usage}`);
  delete values.help;
  return values as Flags<S>;
}

/** Stack names as Pulumi allows them (and as they appear in `Pulumi.<stack>.yaml`). */
export function checkStackName(stack: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) throw new UsageError(`--stack: "${stack}" is not a stack name`);
  return stack;
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
