/**
 * The policy pack's policies: one mandatory stack policy per guardrail of components/rules that
 * a preview can judge, each calling that rule's own check over the stack's resources, adapted
 * from the policy API to the plan's resource shape. Kept apart from index.ts (which serves them)
 * so tests call the validators directly.
 *
 * Stack policies, not resource policies: most rules relate resources (a tenant's quota and limit
 * range, a server and the firewall, a binding and its policy), and one code path for all keeps
 * the pack equal to the plan. The engine runs them at the end of the preview, which `pulumi up`
 * performs first and stops on a mandatory violation before changing anything (so never run
 * `up --skip-preview` on these stacks). Their resources carry outputs, not inputs: server defaults
 * may add fields, which the rules tolerate (they read named fields; admission.ts compares its
 * policies up to the server's no-op defaults).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { RULES } from "../components/rules";
import { RuleResource, SiteContext, UNKNOWN, urnStack } from "../components/rules/types";

/** Name of @pulumi/policy's error for a value that is unknown until the update (during previews). */
const UNKNOWN_ERROR = "UnknownValueError";

function isUnknownError(e: unknown): boolean {
  return e instanceof Error && (e.constructor.name === UNKNOWN_ERROR || e.name === UNKNOWN_ERROR);
}

/**
 * A plain deep copy of policy props. The SDK wraps props in a proxy that throws on values unknown
 * during a preview; the copy has "[unknown]" there instead, as the offline plan does, so the rules
 * see one shape. Secrets arrive decrypted (the SDK unwraps them), which is why SEC-001 is not here.
 */
export function plainProps(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  const read = (get: () => unknown) => {
    try {
      return plainProps(get());
    } catch (e) {
      if (isUnknownError(e)) return UNKNOWN;
      throw e;
    }
  };
  if (Array.isArray(v)) return Array.from({ length: v.length }, (_, i) => read(() => v[i]));
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).map((k) => [k, read(() => o[k])]));
}

/** A policy API resource in the plan's shape (what the rules read). */
export function toRuleResource(r: PolicyResource): RuleResource {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.opts.parent ?? r.parent?.urn ?? null,
    inputs: plainProps(r.props) as Record<string, unknown>,
    options: {
      protect: r.opts.protect,
      provider: r.provider ? r.provider.urn : null,
      dependsOn: r.dependencies.map((d) => d.urn),
    },
  };
}

const cache = new WeakMap<readonly PolicyResource[], RuleResource[]>();
/** The resources in the plan's shape, once per resource list (policies of one run may share it). */
function adapted(resources: readonly PolicyResource[]): RuleResource[] {
  let out = cache.get(resources);
  if (!out) {
    out = resources.map(toRuleResource);
    cache.set(resources, out);
  }
  return out;
}

/** The rules a preview enforces (all but those whose data a policy cannot see). */
export const PREVIEW_RULES = RULES.filter((r) => r.enforcedIn.includes("preview"));

/**
 * The policies. `contextFor(stack)` gives the site facts the rules compare against (from
 * `Pulumi.<stack>.yaml` in a real run; tests pass the stack file they planned).
 */
export function guardrailPolicies(contextFor: (stack: string) => SiteContext): StackValidationPolicy[] {
  return PREVIEW_RULES.map((rule) => ({
    name: rule.id,
    description: rule.description,
    enforcementLevel: "mandatory",
    remediationSteps: rule.fix,
    validateStack: (args, reportViolation) => {
      const resources = adapted(args.resources);
      if (resources.length === 0) return;
      const ctx = contextFor(urnStack(resources[0].urn));
      for (const v of rule.check(resources, ctx)) reportViolation(`${v.rule}: ${v.message}; fix: ${rule.fix}`, v.urn);
    },
  }));
}
