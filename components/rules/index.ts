/**
 * The guardrails: one catalog of isolation and safety rules, each with an id, a one-line
 * description, the fix and where it is enforced. The same `check` functions run in
 *   - the offline plan (`npm run plan`, tools/plan/cli.ts): any violation fails the plan;
 *   - the policy pack (policy/, `pulumi preview --policy-pack policy`): one mandatory policy per rule;
 *   - the tests (test/rules.test.ts, test/policy.test.ts, test/tenant.test.ts);
 * and the rules the cluster itself enforces carry their ValidatingAdmissionPolicy (admission.ts).
 *
 *   tenant.ts     tenant object rules (Pod Security, quota, limits, network policy, RBAC, Argo CD)
 *   budgets.ts    what a tenant's quota counts (from its roles), the etcd sum, tenant-live, event size
 *   ownership.ts  in-cluster rules: the platform's objects, token Secrets, the sync identity
 *   hardening.ts  tenant kinds and sync identity, ephemeral budget, storage class
 *   argocd.ts     the Argo CD blast radius: the tenant-facing instance, its reach, its network fences
 *   admission.ts  in-cluster rules: Service types, namespace labels (CEL)
 *   routes.ts     the edge: tenant route hosts, parents and backends, no other edge kinds (CEL + plan)
 *   workloads.ts  in-cluster rules: scheduling, priority, disruption budgets, SealedSecret scope
 *   site.ts       exposure: firewall, server attachment, public load balancers
 *   secrets.ts    credentials are secrets in state
 *   protect.ts    protect on stateful resources of protected stacks
 *   context.ts    the site facts rules compare against, from the stack file
 *   view.ts       reading tenants and the platform out of a resource list
 */
import { ADMISSION_POLICIES, ADMISSION_RULES, AdmissionPolicy } from "./admission";
import { ROUTE_POLICIES, ROUTE_RULES } from "./routes";
import { ARGOCD_RULES, HARDENING_RULES, NODE_RULES } from "./hardening";
import { BUDGET_RULES } from "./budgets";
import { ARGOCD_ISOLATION_RULES } from "./argocd";
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

/** Every rule, in the order docs/guardrails.md lists them. */
export const RULES: readonly Rule[] = [
  ...OBJECT_RULES.map(tenantRule),
  ...HARDENING_RULES,
  ...BUDGET_RULES,
  ...ARGOCD_RULES,
  ...ARGOCD_ISOLATION_RULES,
  ...ADMISSION_RULES,
  ...ROUTE_RULES,
  ...SITE_RULES,
  ...NODE_RULES,
  ...SECRET_RULES,
  ...PROTECT_RULES,
];

/** Every ValidatingAdmissionPolicy the platform declares (components/platform/admission.ts). */
export const CLUSTER_POLICIES: readonly AdmissionPolicy[] = [...ADMISSION_POLICIES, ...ROUTE_POLICIES];

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
