/**
 * The guardrails: one catalog of isolation and safety rules, each with an id, a one-line
 * description, the fix and where it is enforced. The same `check` functions run in
 *   - the offline plan (`npm run plan`, tools/plan/cli.ts): any violation fails the plan;
 *   - the policy pack (policy/, `pulumi preview --policy-pack policy`): one mandatory policy per rule;
 *   - the tests (test/rules.test.ts, test/policy.test.ts, test/tenant.test.ts);
 * and the rules the cluster itself enforces carry their ValidatingAdmissionPolicy (admission.ts).
 *
 *   tenant.ts     tenant object rules (Pod Security, quota, limits, network policy, RBAC, Argo CD)
 *   admission.ts  in-cluster rules: Ingress hosts, Service types, namespace labels (CEL)
 *   site.ts       exposure: firewall, server attachment, public load balancers
 *   secrets.ts    credentials are secrets in state
 *   protect.ts    protect on stateful resources of protected stacks
 *   context.ts    the site facts rules compare against, from the stack file
 *   view.ts       reading tenants and the platform out of a resource list
 */
import { ADMISSION_RULES } from "./admission";
import { PROTECT_RULES } from "./protect";
import { SECRET_RULES } from "./secrets";
import { SITE_RULES } from "./site";
import { OBJECT_RULES, ObjectRule } from "./tenant-objects";
import { Rule, RuleResource, SiteContext, Violation } from "./types";
import { byRuleUrn, tenantsOf } from "./view";

export type { Enforcement, Rule, RuleResource, SiteContext, Violation } from "./types";
export { siteContext, siteContextFromFile } from "./context";

/** A tenant object rule over a whole plan: every tenant's objects, findings on the object's URN. */
function tenantRule(r: ObjectRule): Rule {
  return {
    id: r.id,
    description: r.describe,
    fix: r.fix,
    enforcedIn: ["plan", "preview"],
    check(resources, site) {
      return tenantsOf(resources, site).flatMap((t) =>
        r.check(t.objects, t.ctx).map((f) => ({
          rule: r.id,
          urn: (f.object && t.urnOf.get(f.object)) || t.urn,
          message: `${t.name}: ${f.message}`,
        })),
      );
    },
  };
}

/** Every rule, in the order the README lists them. */
export const RULES: readonly Rule[] = [
  ...OBJECT_RULES.map(tenantRule),
  ...ADMISSION_RULES,
  ...SITE_RULES,
  ...SECRET_RULES,
  ...PROTECT_RULES,
];

export function ruleById(id: string): Rule {
  const r = RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no guardrail ${id}`);
  return r;
}

/** Runs `rules` (default: all) over a plan's resources; violations sorted by rule, URN, message. */
export function checkResources(
  resources: readonly RuleResource[],
  ctx: SiteContext,
  rules: readonly Rule[] = RULES,
): Violation[] {
  return rules.flatMap((r) => r.check(resources, ctx)).sort(byRuleUrn);
}

/** `<rule id> <urn>: <message>; fix: <fix>`: how the plan and the policy pack report a violation. */
export function formatViolation(v: Violation): string {
  return `${v.rule} ${v.urn}: ${v.message}; fix: ${ruleById(v.rule).fix}`;
}
