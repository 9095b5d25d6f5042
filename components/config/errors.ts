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

/** Nearest allowed key by edit distance, for "did you mean" on a typo (config and tenant files). */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  const best = allowed.map((k) => ({ k, d: dist(key.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : undefined;
}

/** The keys an object schema allows at `path` (through optional/default wrappers and arrays). */
export function keysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  type Def = { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
  let s = schema;
  for (const seg of [...path, undefined]) {
    // Unwrap optional/default wrappers to reach the object (or array) underneath.
    for (;;) {
      const def = (s as unknown as { def: Def }).def;
      if ((def.type === "optional" || def.type === "default") && def.innerType) s = def.innerType;
      else break;
    }
    if (seg === undefined) break;
    const def = (s as unknown as { def: Def }).def;
    if (def.type === "object" && def.shape && typeof seg === "string" && def.shape[seg]) s = def.shape[seg];
    else if (def.type === "array" && def.element && typeof seg === "number") s = def.element;
    else return [];
  }
  const shape = (s as unknown as { def: Def }).def.shape;
  return shape ? Object.keys(shape) : [];
}

/** The problem for an unknown key: the nearest allowed one, and all of them. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const hint = suggestKey(key, allowed);
  return `unknown key${hint ? `; did you mean "${hint}"?` : ""} (allowed here: ${allowed.join(", ")})`;
}
