import type { z } from "zod";

/** One problem in one input file: `<file>: <path>: <message>`. */
export interface Problem {
  file: string;
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.file}: ${p.path}: ${p.message}` : `${p.file}: ${p.message}`;
}

/**
 * Thrown before any resource is declared when config or tenant files are invalid. It carries
 * every problem found, so one run reports all of them (a fix-one-rerun loop wastes reviews).
 */
export class InputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(
      `invalid input (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join("\n"),
    );
    this.name = "InputError";
    this.problems = problems;
  }
}

/** Duck-typed check: the plan tool and the program may load two copies of this module. */
export function isInputError(e: unknown): e is InputError {
  return e instanceof Error && e.name === "InputError" && Array.isArray((e as InputError).problems);
}

/** Renders a zod path as `a.b[0].c`, prefixed by `prefix` when given. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ""): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Turns zod issues into problems for `file`, each path prefixed (e.g. with the config key). */
export function zodProblems(file: string, error: z.ZodError, prefix = ""): Problem[] {
  return error.issues.map((issue) => ({
    file,
    path: formatPath(issue.path, prefix),
    message: issue.message,
  }));
}
