/**
 * One ValidatingAdmissionPolicy applied the way the API server applies it, on a hand-written
 * request: its resource rules (wildcards included), its namespace and object selectors (label
 * existence, on the old or the new object), its match conditions, variables and validations,
 * each CEL expression evaluated by test/helpers/cel.ts. The real API server runs the same policies
 * in `npm run test:cluster`; this is how the fast suites (hardening, budgets, ownership) test them.
 */
import { strict as assert } from "node:assert";
import { ADMISSION_POLICIES, AdmissionPolicy } from "../../components/rules/admission";
import { cel } from "./cel";

export interface Request {
  operation?: "CREATE" | "UPDATE" | "DELETE";
  group: string;
  resource: string;
  object: Record<string, any> | null;
  oldObject?: Record<string, any>;
  namespace?: Record<string, any>;
  /** Who asks (default: a tenant's sync ServiceAccount, in no group). */
  user?: { username: string; groups: string[] };
}

/** A tenant namespace as the platform labels it (extra labels merged in). */
export function tenantNs(extra: Record<string, string> = {}) {
  return {
    metadata: {
      name: "demo-tv",
      labels: {
        "kubernetes.io/metadata.name": "demo-tv",
        "platform.video/tenant": "demo-tv",
        "pod-security.kubernetes.io/enforce": "restricted",
        ...extra,
      },
      annotations: { "platform.video/domains": "live.demo-tv.example" },
    },
  };
}

const exists = (exprs: any[] | undefined, labels: Record<string, string> | undefined) =>
  (exprs ?? []).every((e: any) => e.operator === "Exists" && e.key in (labels ?? {}));
const has = (list: string[], x: string) => list.includes("*") || list.includes(x);

/** Denial messages of the policy of `rule` for `req` (undefined: the policy does not match the request). */
export function denials(rule: string, req: Request): string[] | undefined {
  const p = ADMISSION_POLICIES.find((x) => x.rule === rule) as AdmissionPolicy;
  assert.ok(p, `no admission policy for ${rule}`);
  const op = req.operation ?? "CREATE";
  const mc = p.spec.matchConstraints as any;
  const matches = (mc.resourceRules as any[]).some(
    (r) => has(r.apiGroups, req.group) && has(r.resources, req.resource) && r.operations.includes(op),
  );
  const ns = req.namespace ?? tenantNs();
  const objects = [req.object, req.oldObject].filter(Boolean) as Record<string, any>[];
  const objectSelected =
    !mc.objectSelector || objects.some((o) => exists(mc.objectSelector.matchExpressions, o.metadata?.labels));
  if (!matches || !exists(mc.namespaceSelector?.matchExpressions, ns.metadata.labels) || !objectSelected)
    return undefined;
  const subject = req.object ?? req.oldObject ?? {};
  const ctx: Record<string, unknown> = {
    object: req.object,
    oldObject: req.oldObject ?? null,
    namespaceObject: ns,
    request: {
      operation: op,
      name: subject.metadata?.name ?? "",
      kind: { group: req.group, kind: subject.kind ?? "" },
      userInfo: req.user ?? { username: "system:serviceaccount:demo-tv:argocd-sync", groups: [] },
    },
  };
  for (const c of p.spec.matchConditions ?? []) if (cel(c.expression, ctx) !== true) return undefined;
  const variables: Record<string, unknown> = {};
  ctx.variables = variables;
  for (const v of p.spec.variables ?? []) variables[v.name] = cel(v.expression, ctx);
  const out: string[] = [];
  for (const v of p.spec.validations) {
    const ok = cel(v.expression, ctx);
    assert.equal(typeof ok, "boolean", v.expression);
    if (!ok) out.push(String(v.messageExpression ? cel(v.messageExpression, ctx) : v.message));
  }
  return out;
}
