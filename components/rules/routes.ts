/**
 * The edge's tenant rules (docs/edge.md, docs/tenant-contract.md): tenants publish with
 * HTTPRoute (or GRPCRoute) on their own ListenerSet and nothing else. Three locks, each a rule
 * here enforced in the plan, the policy pack and (as ValidatingAdmissionPolicies, data in the
 * shape of admission.ts) the cluster:
 *   TEN-RTE-001  route host names are the tenant's domains (no wildcard, never none);
 *   TEN-RTE-002  routes attach only to the tenant's ListenerSet;
 *   TEN-RTE-003  routes send traffic only to Services of the tenant's namespace;
 *   TEN-EDGE-001 no other edge object (Ingress, Gateway, ListenerSet, ReferenceGrant, other
 *                route kinds, Envoy Gateway policies, cert-manager objects) in tenant namespaces.
 * The Gateway's own configuration is the second lock (its ListenerSets admit one tenant's
 * namespace and hosts each); the plan checks it with TEN-RTE-002.
 *
 * CEL here stays within what the Kubernetes CEL environment compiles and the test evaluator
 * (@marcbachmann/cel-js) runs: has, all, size, startsWith, contains, string +, and the
 * `request` and `namespaceObject` variables.
 */
import { EDGE, GATEWAY_API_GROUP, PLATFORM_NAMESPACES } from "../platform/namespaces";
import {
  AdmissionPolicy,
  allowedHost,
  appDomains,
  declarationProblems,
  DOMAIN_VARIABLES,
  DOMAINS_ANNOTATION,
  lit,
  tenantNamespaces,
} from "./admission";
import { TENANT_ADMIN_ROLE, TENANT_LABEL } from "../tenant/contract";
import { K8sObject, WRITE_VERBS } from "./tenant-objects";
import { TenantView, tenantsOf } from "./view";
import { arr, rec, Rule, RuleResource, str, Violation } from "./types";

/** The route kinds tenants publish with (their admin role may write them; nothing else of the edge). */
export const TENANT_ROUTE_RESOURCES = ["httproutes", "grpcroutes"] as const;

/**
 * Namespaced edge kinds tenants may not create: what publishes traffic or certificates other than
 * a route on the tenant's ListenerSet. Cluster-scoped ones (GatewayClass, ClusterIssuer) are out
 * of tenants' reach already (no cluster-scoped rights, an empty clusterResourceWhitelist).
 */
export const EDGE_KINDS = [
  { group: "networking.k8s.io", kind: "Ingress", resource: "ingresses" },
  { group: GATEWAY_API_GROUP, kind: "Gateway", resource: "gateways" },
  { group: GATEWAY_API_GROUP, kind: "ListenerSet", resource: "listenersets" },
  { group: GATEWAY_API_GROUP, kind: "ReferenceGrant", resource: "referencegrants" },
  { group: GATEWAY_API_GROUP, kind: "TLSRoute", resource: "tlsroutes" },
  { group: GATEWAY_API_GROUP, kind: "TCPRoute", resource: "tcproutes" },
  { group: GATEWAY_API_GROUP, kind: "UDPRoute", resource: "udproutes" },
  { group: GATEWAY_API_GROUP, kind: "BackendTLSPolicy", resource: "backendtlspolicies" },
  // Envoy Gateway's own API: proxies, policies that run code or reach arbitrary endpoints in the
  // shared proxy (Wasm, ext-proc, patches, Backend), and the rest with them.
  { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", resource: "envoyproxies" },
  { group: "gateway.envoyproxy.io", kind: "EnvoyPatchPolicy", resource: "envoypatchpolicies" },
  { group: "gateway.envoyproxy.io", kind: "EnvoyExtensionPolicy", resource: "envoyextensionpolicies" },
  { group: "gateway.envoyproxy.io", kind: "Backend", resource: "backends" },
  { group: "gateway.envoyproxy.io", kind: "ClientTrafficPolicy", resource: "clienttrafficpolicies" },
  { group: "gateway.envoyproxy.io", kind: "SecurityPolicy", resource: "securitypolicies" },
  { group: "gateway.envoyproxy.io", kind: "BackendTrafficPolicy", resource: "backendtrafficpolicies" },
  { group: "gateway.envoyproxy.io", kind: "HTTPRouteFilter", resource: "httproutefilters" },
  // Certificates come from the platform (one per tenant, tenant/edge.ts): a tenant's own Issuer,
  // Certificate or CertificateRequest would spend the platform's ACME account on any host.
  { group: "cert-manager.io", kind: "Issuer", resource: "issuers" },
  { group: "cert-manager.io", kind: "Certificate", resource: "certificates" },
  { group: "cert-manager.io", kind: "CertificateRequest", resource: "certificaterequests" },
  { group: "acme.cert-manager.io", kind: "Order", resource: "orders" },
  { group: "acme.cert-manager.io", kind: "Challenge", resource: "challenges" },
] as const;

const routeRules = [
  {
    apiGroups: [GATEWAY_API_GROUP],
    apiVersions: ["*"],
    operations: ["CREATE", "UPDATE"],
    resources: [...TENANT_ROUTE_RESOURCES],
  },
];

/** CEL: a backend reference `x` names a Service of the request's namespace. */
const localService = (x: string) =>
  `((!has(${x}.namespace) || ${x}.namespace == request.namespace) && (!has(${x}.group) || ${x}.group == '') && (!has(${x}.kind) || ${x}.kind == 'Service'))`;
/** CEL: every requestMirror filter of the list `fs` mirrors to a local Service. */
const mirrorsLocal = (fs: string) =>
  `(!has(${fs}) || ${fs}.all(f, !has(f.requestMirror) || ${localService("f.requestMirror.backendRef")}))`;

const groupsOf = (kinds: readonly { group: string; resource: string }[]) =>
  [...new Set(kinds.map((k) => k.group))].map((g) => ({
    apiGroups: [g],
    apiVersions: ["*"],
    operations: ["CREATE"],
    resources: kinds.filter((k) => k.group === g).map((k) => k.resource),
  }));

export const ROUTE_POLICIES: readonly AdmissionPolicy[] = [
  {
    rule: "TEN-RTE-001",
    key: "route-hosts",
    name: "platform-tenant-route-hosts",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: routeRules },
      variables: DOMAIN_VARIABLES,
      validations: [
        {
          expression: "has(object.spec.hostnames) && size(object.spec.hostnames) > 0",
          message:
            "a tenant route must list its host names in spec.hostnames: without them it would answer every host of the listener it attaches to",
          reason: "Forbidden",
        },
        {
          expression: `!has(object.spec.hostnames) || object.spec.hostnames.all(h, !h.startsWith('*') && ${allowedHost("h")})`,
          messageExpression:
            "'every spec.hostnames entry must be one of the tenant domains [' + variables.domains + '], written out (no wildcard): another host would take traffic meant for other sites; add the host to the domains in the tenant file'",
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-RTE-002",
    key: "route-parents",
    name: "platform-tenant-route-parents",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: routeRules },
      validations: [
        {
          // The tenant's ListenerSet is named like its namespace (components/tenant/edge.ts).
          expression: `has(object.spec.parentRefs) && size(object.spec.parentRefs) > 0 && object.spec.parentRefs.all(p, (!has(p.group) || p.group == ${lit(GATEWAY_API_GROUP)}) && has(p.kind) && p.kind == 'ListenerSet' && has(p.namespace) && p.namespace == ${lit(PLATFORM_NAMESPACES.ingress)} && p.name == request.namespace)`,
          messageExpression: `'every spec.parentRefs entry must be the tenant\\'s ListenerSet: { group: ${GATEWAY_API_GROUP}, kind: ListenerSet, namespace: ${PLATFORM_NAMESPACES.ingress}, name: ' + request.namespace + ' } (sectionName optional, one per domain); routes attach nowhere else'`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-RTE-003",
    key: "route-backends",
    name: "platform-tenant-route-backends",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: routeRules },
      validations: [
        {
          expression: `!has(object.spec.rules) || object.spec.rules.all(r, (!has(r.backendRefs) || r.backendRefs.all(b, ${localService("b")} && ${mirrorsLocal("b.filters")})) && ${mirrorsLocal("r.filters")})`,
          messageExpression:
            "'every backendRef (and requestMirror backendRef) must be a Service of namespace ' + request.namespace + ': no namespace field (or this one), no other group or kind; the edge proxy must not carry a tenant\\'s traffic anywhere else'",
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-EDGE-001",
    key: "edge-kinds",
    name: "platform-tenant-edge-kinds",
    spec: {
      failurePolicy: "Fail",
      // CREATE only: objects from before the edge moved (an old Ingress) can still be deleted or
      // cleaned up; nothing serves them.
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: groupsOf(EDGE_KINDS) },
      validations: [
        {
          expression: "false",
          messageExpression:
            "request.kind.kind + ' cannot be created in a tenant namespace: tenants publish with an HTTPRoute or GRPCRoute on their ListenerSet, and the platform provides the certificate (docs/tenant-contract.md)'",
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
];

const policyOf = (rule: string) => ROUTE_POLICIES.find((p) => p.rule === rule) as AdmissionPolicy;
const GATEWAY_TYPE = `kubernetes:${GATEWAY_API_GROUP}/v1:Gateway`;

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** The tenant's declared hosts: its namespace's domains annotation (undefined when missing). */
function declaredDomains(t: TenantView): { ns?: K8sObject; domains?: string[] } {
  const ns = t.objects.find((o) => o.kind === "Namespace" && o.metadata?.name === t.name);
  const a = ns?.metadata?.annotations?.[DOMAINS_ANNOTATION];
  return { ns, domains: typeof a === "string" ? a.split(",").filter((d) => d !== "") : undefined };
}

/**
 * The hosts the tenant file declares, as the plan shows them: its Application's domains (the
 * file's values), else the namespace annotation. The listeners and the certificate are compared
 * with these, so one wrong object is reported once, on itself.
 */
function fileDomains(t: TenantView): string[] | undefined {
  return appDomains(t.objects, t.name) ?? declaredDomains(t).domains;
}

const finding = (rule: string, t: TenantView, o: K8sObject | undefined, message: string): Violation => ({
  rule,
  urn: (o && t.urnOf.get(o)) || t.urn,
  message: `${t.name}: ${message}`,
});

/** TEN-RTE-001's plan side: the namespace declares the hosts the Application serves; the certificate covers exactly those. */
function hostProblems(t: TenantView): Violation[] {
  const out: Violation[] = [];
  const { ns, domains } = declaredDomains(t);
  if (!ns) return out; // TEN-PSS-001 reports the missing namespace
  const want = appDomains(t.objects, t.name);
  if (!domains)
    return [
      finding(
        "TEN-RTE-001",
        t,
        ns,
        `the namespace has no ${DOMAINS_ANNOTATION} annotation, so the cluster would admit none of its hosts`,
      ),
    ];
  if (want && !same(domains, want))
    out.push(
      finding(
        "TEN-RTE-001",
        t,
        ns,
        `${DOMAINS_ANNOTATION} is "${domains.join(",")}" but the tenant's Application serves [${want.join(", ")}]`,
      ),
    );
  const hosts = fileDomains(t) ?? domains;
  const certs = t.objects.filter((o) => o.kind === "Certificate");
  if (hosts.length === 0) {
    if (certs.length) out.push(finding("TEN-RTE-001", t, certs[0], "a tenant without domains gets no Certificate"));
  } else if (certs.length !== 1)
    out.push(finding("TEN-RTE-001", t, certs[1], `expected one Certificate, found ${certs.length}`));
  else {
    const spec = rec(certs[0].spec);
    const issuer = rec(spec.issuerRef);
    if (!same(arr(spec.dnsNames).map(str), hosts))
      out.push(
        finding(
          "TEN-RTE-001",
          t,
          certs[0],
          `the Certificate's dnsNames must be exactly the tenant's domains [${hosts.join(", ")}]`,
        ),
      );
    if (certs[0].metadata?.namespace !== PLATFORM_NAMESPACES.ingress || issuer.kind !== "ClusterIssuer")
      out.push(
        finding(
          "TEN-RTE-001",
          t,
          certs[0],
          `the Certificate lives in ${PLATFORM_NAMESPACES.ingress} and comes from the platform's ClusterIssuer`,
        ),
      );
  }
  return out;
}

/**
 * TEN-RTE-002's plan side, the Gateway's own lock: the tenant's ListenerSet hangs on the
 * platform Gateway, carries one listener per declared host and nothing else, and each listener
 * admits routes only from the namespace labelled with this tenant, of route kinds only.
 */
function listenerProblems(t: TenantView): Violation[] {
  const sets = t.objects.filter((o) => o.kind === "ListenerSet");
  // No domains, no listeners: a tenant that serves nothing publishes nothing.
  if (fileDomains(t)?.length === 0)
    return sets.length ? [finding("TEN-RTE-002", t, sets[0], "a tenant without domains gets no ListenerSet")] : [];
  if (sets.length !== 1) return [finding("TEN-RTE-002", t, sets[1], `expected one ListenerSet, found ${sets.length}`)];
  const ls = sets[0];
  const out: Violation[] = [];
  const spec = rec(ls.spec);
  const parent = rec(spec.parentRef);
  if (
    ls.metadata?.name !== t.name ||
    // Stryker disable next-line OptionalChaining: reached only when ls.metadata?.name equals t.name (a string), so metadata is defined here
    ls.metadata?.namespace !== PLATFORM_NAMESPACES.ingress ||
    parent.name !== EDGE.gateway ||
    (parent.kind ?? "Gateway") !== "Gateway" ||
    (parent.namespace ?? PLATFORM_NAMESPACES.ingress) !== PLATFORM_NAMESPACES.ingress
  )
    out.push(
      finding(
        "TEN-RTE-002",
        t,
        ls,
        `the ListenerSet must be ${PLATFORM_NAMESPACES.ingress}/${t.name} on Gateway ${EDGE.gateway}`,
      ),
    );
  const listeners = arr(spec.listeners).map(rec);
  const domains = fileDomains(t);
  const hosts = listeners.map((l) => str(l.hostname));
  if (domains && !same(hosts, domains))
    out.push(
      finding("TEN-RTE-002", t, ls, `listener host names [${hosts.join(", ")}] must be exactly the tenant's domains`),
    );
  listeners.forEach((l, i) => {
    const allowed = rec(l.allowedRoutes);
    const ns = rec(allowed.namespaces);
    const labels = rec(rec(ns.selector).matchLabels);
    const exprs = arr(rec(ns.selector).matchExpressions);
    if (
      ns.from !== "Selector" ||
      exprs.length !== 0 ||
      Object.keys(labels).length !== 1 ||
      labels[TENANT_LABEL] !== t.name
    )
      out.push(
        finding(
          "TEN-RTE-002",
          t,
          ls,
          `listeners[${i}] must admit routes only from namespaces labelled ${TENANT_LABEL}=${t.name}`,
        ),
      );
    const kinds = arr(allowed.kinds).map(rec);
    if (kinds.length === 0 || kinds.some((k) => !["HTTPRoute", "GRPCRoute"].includes(str(k.kind))))
      out.push(
        finding("TEN-RTE-002", t, ls, `listeners[${i}] must admit HTTPRoute and GRPCRoute only (allowedRoutes.kinds)`),
      );
    if (!str(l.hostname)) out.push(finding("TEN-RTE-002", t, ls, `listeners[${i}] has no hostname`));
  });
  return out;
}

/** The platform Gateway admits ListenerSets of its own namespace only, and no listener admits routes from every namespace. */
function gatewayProblems(resources: readonly RuleResource[]): Violation[] {
  const out: Violation[] = [];
  for (const g of resources.filter((r) => r.type === GATEWAY_TYPE)) {
    const spec = rec(g.inputs.spec);
    if (rec(rec(spec.allowedListeners).namespaces).from !== "Same")
      out.push({
        rule: "TEN-RTE-002",
        urn: g.urn,
        message:
          "the Gateway must admit ListenerSets from its own namespace only (allowedListeners.namespaces.from: Same)",
      });
    arr(spec.listeners).forEach((l, i) => {
      const from = rec(rec(rec(l).allowedRoutes).namespaces).from;
      if (from !== "Same" && from !== "Selector")
        out.push({
          rule: "TEN-RTE-002",
          urn: g.urn,
          message: `listeners[${i}] admits routes from ${String(from ?? "its own namespace by default")}; platform listeners name their namespace (Same or a Selector)`,
        });
    });
  }
  return out;
}

/**
 * TEN-EDGE-001's plan side: what a tenant's admin group may create. The tenant-admin ClusterRole
 * writes no edge kind. What the tenant's repository may create is the AppProject's allow-list,
 * which TEN-ARGO-003 holds to exactly the tenant kinds (components/rules/hardening.ts), none of
 * them an edge kind: one rule owns that list, so a change to it is reported once.
 */
function edgeKindProblems(t: TenantView): Violation[] {
  const out: Violation[] = [];
  const role = t.ctx.adminRole;
  if (role)
    arr(role.rules).forEach((raw, i) => {
      const rule = rec(raw);
      const groups = arr(rule.apiGroups).map(str);
      const resources = arr(rule.resources).map(str);
      const writes = arr(rule.verbs)
        .map(str)
        .filter((v) => (WRITE_VERBS as readonly string[]).includes(v));
      if (writes.length)
        for (const k of EDGE_KINDS)
          if (groups.includes(k.group) && resources.includes(k.resource))
            out.push(
              finding(
                "TEN-EDGE-001",
                t,
                role,
                `${TENANT_ADMIN_ROLE} rules[${i}] grants ${writes.join("/")} on ${k.resource}`,
              ),
            );
    });
  return out;
}

const perTenant =
  (check: (t: TenantView) => Violation[]) => (resources: readonly RuleResource[], site: Parameters<Rule["check"]>[1]) =>
    tenantsOf(resources, site).flatMap(check);

export const ROUTE_RULES: Rule[] = [
  {
    id: "TEN-RTE-001",
    description:
      "a tenant's HTTPRoute/GRPCRoute host names are its declared domains, written out (no wildcard, never an empty list); its certificate covers exactly those",
    fix: "add the host to the tenant file's domains (tenants/<name>.yaml) and let Pulumi update the namespace's platform.video/domains annotation, the ListenerSet and the Certificate; keep the platform-tenant-route-hosts policy and binding as components/rules/routes.ts declares them",
    enforcedIn: ["plan", "preview", "cluster"],
    check: (resources, site) => [
      ...declarationProblems(resources, policyOf("TEN-RTE-001")),
      ...perTenant(hostProblems)(resources, site),
    ],
  },
  {
    id: "TEN-RTE-002",
    description:
      "a tenant's routes attach only to its own ListenerSet; the ListenerSet carries exactly its domains and admits routes only from its namespace; the Gateway admits ListenerSets from its own namespace only",
    fix: `use parentRefs [{ group: ${GATEWAY_API_GROUP}, kind: ListenerSet, namespace: ${PLATFORM_NAMESPACES.ingress}, name: <tenant> }] (docs/tenant-contract.md); build the ListenerSet with components/tenant/edge.ts listenerSet() and the Gateway with components/platform/edge.ts; keep the platform-tenant-route-parents policy and binding`,
    enforcedIn: ["plan", "preview", "cluster"],
    check: (resources, site) => [
      ...declarationProblems(resources, policyOf("TEN-RTE-002")),
      ...gatewayProblems(resources),
      ...perTenant(listenerProblems)(resources, site),
    ],
  },
  {
    id: "TEN-RTE-003",
    description:
      "a tenant's routes send traffic (and mirror it) only to Services of its own namespace: no namespace field but its own, no other backend group or kind",
    fix: "drop backendRefs[].namespace (or set the route's own namespace) and point at a Service; keep the platform-tenant-route-backends policy and binding as components/rules/routes.ts declares them",
    enforcedIn: ["plan", "preview", "cluster"],
    check: (resources) => declarationProblems(resources, policyOf("TEN-RTE-003")),
  },
  {
    id: "TEN-EDGE-001",
    description:
      "tenants create no Ingress, Gateway, ListenerSet, ReferenceGrant, other route kind, Envoy Gateway policy or cert-manager Issuer/Certificate: not in the cluster, not through their role (their AppProject's allow-list is TEN-ARGO-003's)",
    fix: "publish with an HTTPRoute on the tenant's ListenerSet; keep EDGE_KINDS out of components/tenant/manifests.ts adminRules(), and the platform-tenant-edge-kinds policy and binding as components/rules/routes.ts declares them",
    enforcedIn: ["plan", "preview", "cluster"],
    check: (resources, site) => [
      ...declarationProblems(resources, policyOf("TEN-EDGE-001")),
      ...perTenant(edgeKindProblems)(resources, site),
    ],
  },
];
