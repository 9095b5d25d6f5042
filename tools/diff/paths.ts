/**
 * Property paths in Pulumi's own syntax (`spec.hard.pods`, `metadata.labels["platform.video/tenant"]`,
 * `containers[0].image`, `*`), the syntax `ignoreChanges` and `replaceOnChanges` are written in.
 * The diff reports changed inputs in it, so a reviewer can paste a path straight into an option,
 * and the plan's secret digests are keyed by it.
 */

/** One step of a path: an object key or an array index; `*` matches any key or index. */
export type Segment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Renders segments as a Pulumi property path. */
export function formatPath(segments: readonly Segment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (s === "*") out += out ? ".*" : "*";
    else if (IDENT.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * Parses a Pulumi property path (`a.b[0]["c.d"][*]`). Throws on malformed input: an option
 * that silently parsed to something else would mask the wrong changes.
 */
export function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`property path ${JSON.stringify(path)}: ${why} at ${i}`);
  };
  while (i < path.length) {
    const c = path[i];
    if (c === "[") {
      const close = path[i + 1] === '"' ? findQuoteEnd(path, i + 1) + 1 : path.indexOf("]", i);
      if (close < 0 || path[close] !== "]") fail("unclosed [");
      const inner = path.slice(i + 1, close);
      if (inner === "*") out.push("*");
      else if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (inner.startsWith('"')) out.push(JSON.parse(inner) as string);
      else fail(`bad index ${inner}`);
      i = close + 1;
    } else if (c === ".") {
      if (i === 0 || i === path.length - 1) fail("stray .");
      i++;
    } else {
      let j = i;
      while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
      out.push(path.slice(i, j));
      i = j;
    }
  }
  return out;
}

function findQuoteEnd(s: string, start: number): number {
  for (let k = start + 1; k < s.length; k++) {
    if (s[k] === "\\") k++;
    else if (s[k] === '"') return k;
  }
  return -1;
}

function segMatch(pattern: Segment, actual: Segment): boolean {
  return pattern === "*" || pattern === actual || String(pattern) === String(actual);
}

/** True when `prefix` (a pattern, `*` allowed) covers `path` or something under it. */
export function coversPath(prefix: readonly Segment[], path: readonly Segment[]): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((p, k) => segMatch(p, path[k]));
}

/**
 * True when a change at `path` touches what `pattern` names: the pattern covers the path, or the
 * path is an ancestor of the pattern (a whole list replaced touches every element's field).
 */
export function touches(pattern: readonly Segment[], path: readonly Segment[]): boolean {
  const n = Math.min(pattern.length, path.length);
  for (let k = 0; k < n; k++) if (!segMatch(pattern[k], path[k]) && !segMatch(path[k], pattern[k])) return false;
  return true;
}
