/**
 * A CEL expression evaluated with @marcbachmann/cel-js, each expression compiled once: what the
 * admission-policy tests (rules, hardening) run the platform's policies with. The real API server
 * compiles the same strings in `npm run test:cluster`.
 */
import { parse as parseCel } from "@marcbachmann/cel-js";

const compiled = new Map<string, (ctx: object) => unknown>();

export function cel(expression: string, ctx: object): unknown {
  let f = compiled.get(expression);
  if (!f) {
    f = parseCel(expression) as unknown as (ctx: object) => unknown;
    compiled.set(expression, f);
  }
  return f(ctx);
}
