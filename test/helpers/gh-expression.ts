/**
 * A GitHub Actions expression evaluator for the subset the workflows write in `runs-on` and
 * `environment`: string literals, `matrix.*` and `vars.*` references, `==`, `!=`, `!`, `&&`, `||`
 * and parentheses, with GitHub's semantics (`a && b` is `b` when `a` is truthy, else `a`;
 * `a || b` is `a` when truthy, else `b`; the empty string is falsy). Anything else (functions,
 * other contexts, numbers) throws, so a workflow the rule cannot read fails loudly instead of
 * passing. https://docs.github.com/en/actions/reference/workflows-and-actions/expressions
 */

/** What the references in an expression resolve to. */
export interface ExpressionContext {
  /** One combination of the job's matrix. */
  matrix: Record<string, string>;
  /** The value of a repository variable (`""` when unset). */
  vars: (name: string) => string;
}

type Token = { kind: "str" | "ref" | "op"; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:'((?:[^']|'')*)'|([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)|(==|!=|&&|\|\||[()!]))/y;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(src);
    if (!m) throw new Error(`gh-expression: cannot read "${src.slice(at)}" in "${src}"`);
    if (m[1] !== undefined) out.push({ kind: "str", text: m[1].replace(/''/g, "'") });
    else if (m[2] !== undefined) out.push({ kind: "ref", text: m[2] });
    else out.push({ kind: "op", text: m[3] });
    at = re.lastIndex;
  }
  return out;
}

/** Evaluates one expression (the text between `${{` and `}}`). */
export function evaluate(src: string, ctx: ExpressionContext): string {
  const tokens = tokenize(src);
  let i = 0;
  const peek = (text: string) => tokens[i]?.kind === "op" && tokens[i].text === text;
  const or = (): string => {
    let v = and();
    while (peek("||")) {
      i++;
      const r = and();
      v = v !== "" ? v : r;
    }
    return v;
  };
  const and = (): string => {
    let v = eq();
    while (peek("&&")) {
      i++;
      const r = eq();
      v = v === "" ? v : r;
    }
    return v;
  };
  const eq = (): string => {
    const l = unary();
    if (peek("==") || peek("!=")) {
      const op = tokens[i++].text;
      const r = unary();
      return (l === r) === (op === "==") ? "true" : "";
    }
    return l;
  };
  const unary = (): string => {
    if (peek("!")) {
      i++;
      return unary() === "" ? "true" : "";
    }
    return primary();
  };
  const primary = (): string => {
    const t = tokens[i++];
    if (!t) throw new Error(`gh-expression: "${src}" ends early`);
    if (t.kind === "str") return t.text;
    if (t.kind === "op" && t.text === "(") {
      const v = or();
      if (!peek(")")) throw new Error(`gh-expression: missing ")" in "${src}"`);
      i++;
      return v;
    }
    if (t.kind === "ref") {
      const [scope, ...rest] = t.text.split(".");
      const name = rest.join(".");
      if (scope === "matrix" && name in ctx.matrix) return ctx.matrix[name];
      if (scope === "vars") return ctx.vars(name);
    }
    throw new Error(`gh-expression: "${t.text}" is not supported in "${src}"`);
  };
  const v = or();
  if (i !== tokens.length) throw new Error(`gh-expression: trailing "${tokens[i].text}" in "${src}"`);
  return v;
}

/** A workflow value: a literal, or one `${{ … }}` expression evaluated. */
export function evaluateValue(value: string, ctx: ExpressionContext): string {
  const m = /^\$\{\{([\s\S]*)\}\}$/.exec(value.trim());
  if (!m) {
    if (value.includes("${{")) throw new Error(`gh-expression: mixed text and expression in "${value}"`);
    return value;
  }
  return evaluate(m[1], ctx);
}
