/**
 * In-cluster guardrails: what tenants apply through Argo CD or kubectl never passes through
 * Pulumi, so the API server itself checks it, with native ValidatingAdmissionPolicies (GA since
 * Kubernetes 1.30; no webhook, no extra controller). The policies are plain data here, declared by
 * the platform (components/platform/admission.ts; the route policies are in routes.ts) and tested
 * by evaluating these exact CEL strings
 * (test/rules.test.ts, @marcbachmann/cel-js). The expressions keep to standard CEL (has, in,
 * all, startsWith, contains, size, string +) so the test evaluator and the API server agree; no
 * Kubernetes extension library is needed.
 *
 * Each policy's rule also has a plan check: the policy and its Deny binding must be declared as
 * written here, so removing or weakening one in the program fails `npm run plan` and the preview.
 */
import { TENANT_LABEL } from "../tenant/contract";
import { K8sObject } from "./tenant-objects";
import { platformUrn } from "./view";
import { AdmissionPolicy, arr, rec, Rule, RuleResource, str, Violation } from "./types";
import { WORKLOAD_POLICIES, WORKLOAD_RULE_TEXT } from "./workloads";
import { POD_TEMPLATE_POLICIES, POD_TEMPLATE_RULE_TEXT } from "./pod-templates";
import { CLUSTER_ADMIN_GROUP, OWNERSHIP_POLICIES, OWNERSHIP_RULE_TEXT } from "./ownership";
import { EVENT_POLICY, EVENT_RULE_TEXT } from "./budgets";

/** Namespace annotation listing the tenant's hosts, comma-separated (written by the Tenant component). */
export const DOMAINS_ANNOTATION = "platform.video/domains";
/** Label prefixes only the platform sets on tenant namespaces (tenant, tier, decommission, Pod Security). */
export const PLATFORM_LABEL_PREFIXES = ["platform.video/", "pod-security.kubernetes.io/"] as const;
/** Annotation prefixes only the platform sets on tenant namespaces (display name, domains). */
export const PLATFORM_ANNOTATION_PREFIXES = ["platform.video/"] as const;
/**
 * Who may still change a tenant namespace's platform labels: cluster admins by the API server's
 * built-in binding (ownership.ts), e.g. Pulumi setting the decommission label. Argo CD, tenants
 * and every other controller are bound by the policy.
 */
export { CLUSTER_ADMIN_GROUP };

/** cert-manager issuers, whose HTTP-01 solvers create Services in the certificate's namespace. */
const ISSUER_TYPES = ["kubernetes:cert-manager.io/v1:ClusterIssuer", "kubernetes:cert-manager.io/v1:Issuer"];

export const VAP_API = "admissionregistration.k8s.io/v1" as const;
export const VAP_TYPE = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
export const VAP_BINDING_TYPE = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

export type { AdmissionPolicy, CelValidation } from "./types";

/** The namespaceSelector of every tenant policy: namespaces carrying the tenant label. */
export const tenantNamespaces = { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] };
/** A CEL string literal (single quotes; keys here never contain quotes or backslashes). */
export const lit = (s: string) => `'${s}'`;
/** CEL: whether key `k` has one of the prefixes. */
const prefixed = (k: string, prefixes: readonly string[]) =>
  `(${prefixes.map((p) => `${k}.startsWith(${lit(p)})`).join(" || ")})`;

/**
 * CEL for "the platform-owned keys of `field` (labels or annotations) are unchanged": every such
 * key of the old object is still there with the same value, and no new one appears.
 */
function keptExpressions(field: "labels" | "annotations", prefixes: readonly string[]): string[] {
  const oldF = `oldObject.metadata.${field}`;
  const newF = `object.metadata.${field}`;
  return [
    `!has(${oldF}) || ${oldF}.all(k, !${prefixed("k", prefixes)} || (has(${newF}) && k in ${newF} && ${newF}[k] == ${oldF}[k]))`,
    `!has(${newF}) || ${newF}.all(k, !${prefixed("k", prefixes)} || (has(${oldF}) && k in ${oldF}))`,
  ];
}

const [labelsKept, labelsNotAdded] = keptExpressions("labels", PLATFORM_LABEL_PREFIXES);
const [annotationsKept, annotationsNotAdded] = keptExpressions("annotations", PLATFORM_ANNOTATION_PREFIXES);

/** Whether `host` is in `variables.allowed` (",a,b,"): exact match, hosts never contain commas. */
export const allowedHost = (host: string) => `variables.allowed.contains(',' + ${host} + ',')`;

/**
 * The variables a host check needs: the namespace's declared hosts (`domains`; none, i.e. no
 * annotation, admits no host: fail closed) and `allowed`, the same list framed by commas.
 */
export const DOMAIN_VARIABLES = [
  {
    name: "domains",
    expression: `has(namespaceObject.metadata.annotations) && ${lit(DOMAINS_ANNOTATION)} in namespaceObject.metadata.annotations ? namespaceObject.metadata.annotations[${lit(DOMAINS_ANNOTATION)}] : ''`,
  },
  { name: "allowed", expression: "',' + variables.domains + ','" },
];

export const ADMISSION_POLICIES: readonly AdmissionPolicy[] = [
  {
    rule: "TEN-SVC-001",
    key: "service-types",
    name: "platform-tenant-service-types",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        namespaceSelector: tenantNamespaces,
        resourceRules: [
          { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"] },
        ],
      },
      validations: [
        {
          expression: "!has(object.spec.type) || object.spec.type == 'ClusterIP'",
          messageExpression:
            "'Service type ' + object.spec.type + ' is not allowed in tenant namespaces: traffic enters through the platform Gateway (NodePort and LoadBalancer open the nodes or buy a load balancer; ExternalName lets the edge proxy anywhere)'",
          reason: "Forbidden",
        },
        {
          // CVE-2020-8554: externalIPs let a tenant intercept traffic to any address.
          expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
          message:
            "spec.externalIPs is not allowed in tenant namespaces (CVE-2020-8554: it intercepts traffic to those IPs)",
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-NSL-001",
    key: "namespace-labels",
    name: "platform-tenant-namespace-labels",
    spec: {
      failurePolicy: "Fail",
      // No namespaceSelector: for a Namespace it would match the new labels, and removing the
      // tenant label is exactly the change to stop. The old object decides (matchConditions).
      matchConstraints: {
        resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["namespaces"] }],
      },
      matchConditions: [
        {
          name: "tenant-namespace",
          expression: `has(oldObject.metadata.labels) && ${lit(TENANT_LABEL)} in oldObject.metadata.labels`,
        },
        { name: "not-cluster-admin", expression: `!(${lit(CLUSTER_ADMIN_GROUP)} in request.userInfo.groups)` },
      ],
      validations: [
        {
          expression: labelsKept,
          message: `the platform's labels (${PLATFORM_LABEL_PREFIXES.join(", ")}*) on a tenant namespace cannot be removed or changed; they come from the tenant file through Pulumi`,
          reason: "Forbidden",
        },
        {
          expression: labelsNotAdded,
          message: `labels with ${PLATFORM_LABEL_PREFIXES.join(" or ")} prefixes on a tenant namespace are set by the platform only`,
          reason: "Forbidden",
        },
        {
          expression: annotationsKept,
          message: `the platform's annotations (${PLATFORM_ANNOTATION_PREFIXES.join(", ")}*, e.g. the tenant's domains) cannot be removed or changed`,
          reason: "Forbidden",
        },
        {
          expression: annotationsNotAdded,
          message: `annotations with the ${PLATFORM_ANNOTATION_PREFIXES.join(" or ")} prefix are set by the platform only`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  // Tenant hardening (issue 14): scheduling, priority, disruption budgets, SealedSecret scope.
  ...WORKLOAD_POLICIES,
  // Workload pod templates at Pod Security restricted (issue 26).
  ...POD_TEMPLATE_POLICIES,
  // Issue 25: the platform's objects and credentials in tenant namespaces, the size of events.
  ...OWNERSHIP_POLICIES,
  EVENT_POLICY,
];

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every(isEmpty));

/**
 * A policy or binding spec without what the API server fills in when it means "no restriction"
 * (matchPolicy Equivalent, empty selectors and lists, rule scope "*"): the policy pack sees the
 * objects as stored, the plan as declared, and both must compare equal to the data here. Anything
 * that narrows what a policy applies to (a selector, a condition, an exclusion) stays and differs.
 */
export function normalizeAdmissionSpec(spec: unknown): unknown {
  const s = structuredClone(rec(spec));
  const strip = (o: Record<string, unknown>, key: string, benign?: unknown) => {
    if (isEmpty(o[key]) || (benign !== undefined && o[key] === benign)) delete o[key];
  };
  for (const field of ["matchConstraints", "matchResources"]) {
    if (!(field in s)) continue;
    const m = rec(s[field]);
    strip(m, "matchPolicy", "Equivalent");
    for (const k of ["namespaceSelector", "objectSelector", "excludeResourceRules"]) strip(m, k);
    for (const r of arr(m.resourceRules).map(rec)) strip(r, "scope", "*");
    s[field] = m;
    strip(s, field);
  }
  for (const k of ["matchConditions", "variables", "auditAnnotations", "paramKind", "paramRef"]) strip(s, k);
  return s;
}

/** Stable text of a value (sorted keys), for exact comparison. */
function canonical(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === "object"
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v));
}

/** Whether a declared (or stored) spec is exactly `want`, up to the server's no-op defaults. */
export function sameAdmissionSpec(actual: unknown, want: unknown): boolean {
  return canonical(normalizeAdmissionSpec(actual)) === canonical(normalizeAdmissionSpec(want));
}

/** Problems with how `p` is declared in the plan (empty when it is declared as written here). */
export function declarationProblems(resources: readonly RuleResource[], p: AdmissionPolicy): Violation[] {
  const out: Violation[] = [];
  const where = platformUrn(resources);
  const policies = resources.filter((r) => r.type === VAP_TYPE && rec(r.inputs.metadata).name === p.name);
  if (policies.length !== 1)
    out.push({
      rule: p.rule,
      urn: policies[1]?.urn ?? where,
      message: `expected one ValidatingAdmissionPolicy ${p.name}, found ${policies.length}`,
    });
  else if (!sameAdmissionSpec(policies[0].inputs.spec, p.spec))
    out.push({
      rule: p.rule,
      urn: policies[0].urn,
      message: `ValidatingAdmissionPolicy ${p.name} differs from components/rules/admission.ts (match, conditions, variables, failurePolicy or expressions)`,
    });
  const bindings = resources.filter((r) => r.type === VAP_BINDING_TYPE && rec(r.inputs.spec).policyName === p.name);
  if (bindings.length !== 1)
    out.push({
      rule: p.rule,
      urn: bindings[1]?.urn ?? where,
      message: `expected one ValidatingAdmissionPolicyBinding of ${p.name}, found ${bindings.length}`,
    });
  else if (!sameAdmissionSpec(bindings[0].inputs.spec, { ...p.binding, policyName: p.name }))
    out.push({
      rule: p.rule,
      urn: bindings[0].urn,
      message: `the binding of ${p.name} must be exactly { policyName: ${p.name}, validationActions: [Deny] }: no other action, no narrowing matchResources, no parameters`,
    });
  return out;
}

/** The tenant's domains as its Application hands them to the chart (helm values tenant.domains). */
export function appDomains(objects: K8sObject[], tenant: string): string[] | undefined {
  const app = objects.find((o) => o.kind === "Application" && o.metadata?.name === tenant);
  const domains = rec(rec(rec(rec(rec(app?.spec).source).helm).valuesObject).tenant).domains;
  return Array.isArray(domains) ? domains.map(str) : undefined;
}

const policyOf = (rule: string) => ADMISSION_POLICIES.find((p) => p.rule === rule) as AdmissionPolicy;

export const ADMISSION_RULES: Rule[] = [
  {
    id: "TEN-SVC-001",
    description:
      "no Service of type NodePort, LoadBalancer or ExternalName, and no externalIPs, in tenant namespaces (ClusterIP only)",
    fix: "expose tenant apps through an HTTPRoute on the tenant's ListenerSet (docs/tenant-contract.md); keep the platform-tenant-service-types policy and binding as components/rules/admission.ts declares them, and HTTP-01 solvers on serviceType ClusterIP",
    enforcedIn: ["plan", "preview", "cluster"],
    check(resources) {
      const out = declarationProblems(resources, policyOf("TEN-SVC-001"));
      // The platform's own issuer must not need what the policy denies: cert-manager's HTTP-01
      // solver Service (created in the certificate's namespace) defaults to NodePort.
      for (const issuer of resources.filter((r) => ISSUER_TYPES.includes(r.type)))
        arr(rec(rec(issuer.inputs.spec).acme).solvers).forEach((s, i) => {
          for (const kind of ["ingress", "gatewayHTTPRoute"]) {
            const solver = rec(rec(s).http01)[kind];
            if (solver !== undefined && rec(solver).serviceType !== "ClusterIP")
              out.push({
                rule: "TEN-SVC-001",
                urn: issuer.urn,
                message: `solvers[${i}].http01.${kind}.serviceType must be ClusterIP: a NodePort opens a port on every node, and tenant namespaces deny it`,
              });
          }
        });
      return out;
    },
  },
  {
    id: "TEN-NSL-001",
    description:
      "nobody but cluster admins (Pulumi) can remove, change or add the platform's labels and annotations on a tenant namespace",
    fix: "change tenant namespace labels through the tenant file and Pulumi; keep the platform-tenant-namespace-labels policy and binding as components/rules/admission.ts declares them",
    enforcedIn: ["plan", "preview", "cluster"],
    check: (resources) => declarationProblems(resources, policyOf("TEN-NSL-001")),
  },
  // Tenant hardening (issue 14): each policy's plan check is its declaration.
  ...[...WORKLOAD_RULE_TEXT, ...POD_TEMPLATE_RULE_TEXT, ...OWNERSHIP_RULE_TEXT, EVENT_RULE_TEXT].map((r): Rule => ({
    ...r,
    enforcedIn: ["plan", "preview", "cluster"],
    check: (resources) => declarationProblems(resources, policyOf(r.id)),
  })),
];

/** A policy's two objects as plain manifests. */
export interface AdmissionManifests {
  policy: {
    apiVersion: typeof VAP_API;
    kind: "ValidatingAdmissionPolicy";
    metadata: Metadata;
    spec: AdmissionPolicy["spec"];
  };
  binding: {
    apiVersion: typeof VAP_API;
    kind: "ValidatingAdmissionPolicyBinding";
    metadata: Metadata;
    spec: AdmissionPolicy["binding"] & { policyName: string };
  };
}
type Metadata = { name: string; labels: Record<string, string> };

/** The manifests as the platform declares them, for tests and the component. */
export function admissionManifests(p: AdmissionPolicy): AdmissionManifests {
  const metadata = { name: p.name, labels: { "platform.video/guardrail": p.rule } };
  return {
    policy: { apiVersion: VAP_API, kind: "ValidatingAdmissionPolicy", metadata, spec: p.spec },
    binding: {
      apiVersion: VAP_API,
      kind: "ValidatingAdmissionPolicyBinding",
      metadata,
      spec: { policyName: p.name, ...p.binding },
    },
  };
}

/** Every CEL expression of a policy (validations, variables, match conditions, messages). */
export function celExpressions(p: AdmissionPolicy): string[] {
  return [
    ...arr(p.spec.matchConditions).map((c) => str(rec(c).expression)),
    ...arr(p.spec.variables).map((v) => str(rec(v).expression)),
    ...p.spec.validations.flatMap((v) => [v.expression, ...(v.messageExpression ? [v.messageExpression] : [])]),
  ];
}
