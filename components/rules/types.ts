/**
 * The shapes every guardrail shares. A rule is data (id, one-line description, fix, where it is
 * enforced) plus one function over the planned resources: the same function runs in the offline
 * plan (`npm run plan`), in the policy pack (`pulumi preview --policy-pack policy`) and in the
 * tests. Rules the cluster enforces at admission also carry their ValidatingAdmissionPolicy
 * (components/rules/admission.ts); their plan check verifies that policy is declared exactly.
 */

/**
 * One resource as the offline plan records it (tools/plan/runtime.ts PlannedResource): inputs
 * with every secret as "[secret]" and every unknown as "[unknown]". Only the fields rules read,
 * so the policy pack can build it from the policy API's resource args.
 */
export interface RuleResource {
  urn: string;
  type: string;
  name: string;
  /** The parent's URN (a component, or the stack). */
  parent: string | null;
  inputs: Record<string, unknown>;
  options: {
    protect: boolean;
    /** The provider reference (`<urn>::<id>`), if any. */
    provider?: string | null;
    /** URNs the resource depends on (explicit and through its inputs). */
    dependsOn?: string[];
  };
}

/** Where a rule is checked. */
export type Enforcement = "plan" | "preview" | "cluster";

/** What a rule needs to know about the site besides the resources: from the stack's config. */
export interface SiteContext {
  /** Stack (site) name. */
  stack: string;
  /** Protected stacks (prod) must protect their stateful resources. */
  protected: boolean;
  /** Who may reach SSH and the Kubernetes API. */
  adminCidrs: string[];
  /** Ranges tenant pods must never reach: metadata address, node network, pod and service ranges. */
  blockedRanges: string[];
  /** The datastore: etcd's space quota on the control planes, and their server type (for messages). */
  datastore: { quotaBytes: number; serverType: string };
}

/** One broken rule on one resource. */
export interface Violation {
  /** The rule's id, e.g. TEN-PSS-001. */
  rule: string;
  /** The resource at fault (or the component it belongs in, when a resource is missing). */
  urn: string;
  message: string;
}

export interface Rule {
  /** Stable id: `<area>-<topic>-<nnn>`; referenced by tests, the policy pack and docs/guardrails.md. */
  id: string;
  /** One line: what must hold. */
  description: string;
  /** What to change when it does not. */
  fix: string;
  /** Where it is enforced besides the tests. */
  enforcedIn: readonly Enforcement[];
  /** Why it is not enforced somewhere (reviewers ask). */
  notEnforcedIn?: Partial<Record<Enforcement, string>>;
  /** The check over one plan's resources. */
  check(resources: readonly RuleResource[], ctx: SiteContext): Violation[];
}

/** The marker the offline plan writes for every secret value. */
export const SECRET = "[secret]";
/** The marker for a value not known before the update (the policy pack maps unknowns to it). */
export const UNKNOWN = "[unknown]";

// Small helpers for reading untyped inputs.
export type Rec = Record<string, unknown>;
export const rec = (v: unknown): Rec => (v && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** The type token a URN names (`urn:pulumi:<stack>::<project>::<parent$...$type>::<name>`). */
export function urnType(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

/** The logical name a URN names. */
export function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** The stack a URN belongs to. */
export function urnStack(urn: string): string {
  return (urn.split("::")[0] ?? "").replace(/^urn:pulumi:/, "");
}

export interface CelValidation {
  expression: string;
  message?: string;
  messageExpression?: string;
  reason: "Forbidden" | "Invalid";
}

/** One ValidatingAdmissionPolicy and its binding, as data. */
export interface AdmissionPolicy {
  /** The rule it enforces. */
  rule: string;
  /** Short key for logical names (`<platform>-vap-<key>`). */
  key: string;
  /** metadata.name of the policy and of its binding. */
  name: string;
  spec: {
    failurePolicy: "Fail";
    matchConstraints: Record<string, unknown>;
    matchConditions?: { name: string; expression: string }[];
    variables?: { name: string; expression: string }[];
    validations: CelValidation[];
  };
  /** The binding's spec without policyName (the declared policy's name is filled in). */
  binding: { validationActions: ["Deny"] };
}
