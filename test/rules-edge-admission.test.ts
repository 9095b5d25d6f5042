/**
 * Pins components/rules/routes.ts (the edge's tenant rules TEN-RTE-001..003 and TEN-EDGE-001:
 * declared hosts and the certificate, the tenant's ListenerSet and the platform Gateway, the
 * tenant-admin role's edge rights) and components/rules/admission.ts (the declaration check every
 * ValidatingAdmissionPolicy rule shares, its spec normalization, TEN-SVC-001's issuer check, and
 * the helpers the platform component builds the policies with). Issue 18: a weakened rule must fail
 * a test, so each condition is tested on the smallest hand-made plan that breaks it, next to the
 * nearest plan it accepts, with the exact violations (rule, urn, message) written out.
 */
import { strict as assert } from "node:assert";
import {
  ADMISSION_POLICIES,
  ADMISSION_RULES,
  AdmissionPolicy,
  admissionManifests,
  appDomains,
  celExpressions,
  normalizeAdmissionSpec,
  sameAdmissionSpec,
} from "../components/rules/admission";
import { ROUTE_POLICIES, ROUTE_RULES } from "../components/rules/routes";
import { K8sObject } from "../components/rules/tenant-objects";
import { RuleResource, SiteContext, Violation } from "../components/rules/types";

const site: SiteContext = {
  stack: "t",
  protected: false,
  adminCidrs: [],
  blockedRanges: [],
  datastore: { quotaBytes: 4294967296, serverType: "cx33" },
};

const TENANT = "urn:pulumi:t::p::platform:tenant:Tenant::demo-tv";
const PLATFORM = "urn:pulumi:t::p::platform:platform:Platform::platform";
/** URN of a tenant child named `name` (as the inputs below build it). */
const u = (name: string) => `urn:pulumi:t::p::platform:tenant:Tenant$k8s::${name}`;
/** URN of a top-level resource of `type` named `name`. */
const top = (type: string, name: string) => `urn:pulumi:t::p::${type}::${name}`;

const resource = (type: string, name: string, inputs: Record<string, unknown>, parent: string | null = null) => ({
  urn: parent ? u(name) : top(type, name),
  type,
  name,
  parent,
  inputs,
  options: { protect: false },
});
const child = (name: string, o: K8sObject): RuleResource =>
  resource(`kubernetes:${o.apiVersion}:${o.kind}`, name, o as Record<string, unknown>, TENANT);

const platform = resource("platform:platform:Platform", "platform", {});
const tenantComponent = resource("platform:tenant:Tenant", "demo-tv", {});

const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const VAPB = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

/** The policy and binding of `p` as the platform declares them (copies: cases mutate them). */
function declared(p: AdmissionPolicy, suffix = ""): RuleResource[] {
  const m = structuredClone(admissionManifests(p));
  return [
    resource(VAP, `${p.key}${suffix}`, m.policy as unknown as Record<string, unknown>),
    resource(VAPB, `${p.key}-binding${suffix}`, m.binding as unknown as Record<string, unknown>),
  ];
}
const routePolicy = (rule: string) => ROUTE_POLICIES.find((p) => p.rule === rule) as AdmissionPolicy;
const admissionPolicy = (rule: string) => ADMISSION_POLICIES.find((p) => p.rule === rule) as AdmissionPolicy;
const allRouteDeclarations = () => ROUTE_POLICIES.flatMap((p) => declared(p));

const LIVE = "live.demo-tv.example";
const VOD = "vod.demo-tv.example";

function namespace(domains: string | undefined, name = "demo-tv"): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: { "platform.video/tenant": "demo-tv" },
      annotations: domains === undefined ? {} : { "platform.video/domains": domains },
    },
  };
}
function application(domains: string[], name = "demo-tv"): K8sObject {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, namespace: "argocd" },
    spec: { source: { helm: { valuesObject: { tenant: { name, domains } } } } },
  };
}
function certificate(dnsNames: string[]): K8sObject {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "tenant-demo-tv", namespace: "envoy-gateway-system" },
    spec: {
      secretName: "tenant-demo-tv-tls",
      dnsNames,
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt" },
    },
  };
}
const listener = (hostname: string | undefined) => ({
  name: hostname,
  hostname,
  port: 443,
  protocol: "HTTPS",
  allowedRoutes: {
    namespaces: { from: "Selector", selector: { matchLabels: { "platform.video/tenant": "demo-tv" } } },
    kinds: [
      { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
      { group: "gateway.networking.k8s.io", kind: "GRPCRoute" },
    ],
  },
});
function listenerSet(hosts: (string | undefined)[]): K8sObject & { spec: any } {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "ListenerSet",
    metadata: { name: "demo-tv", namespace: "envoy-gateway-system" },
    spec: {
      parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge" },
      listeners: hosts.map(listener),
    },
  };
}

interface Parts {
  ns?: K8sObject[];
  app?: K8sObject[];
  certs?: K8sObject[];
  sets?: K8sObject[];
  extra?: RuleResource[];
}
/** A valid tenant demo-tv (test/fixtures/manifests/demo-tv.yaml, reduced) with its parts replaced. */
function plan(parts: Parts = {}): RuleResource[] {
  const ns = parts.ns ?? [namespace(`${LIVE},${VOD}`)];
  const app = parts.app ?? [application([LIVE, VOD])];
  const certs = parts.certs ?? [certificate([LIVE, VOD])];
  const sets = parts.sets ?? [listenerSet([LIVE, VOD])];
  return [
    platform,
    ...allRouteDeclarations(),
    tenantComponent,
    ...ns.map((o, i) => child(i ? `ns${i}` : "ns", o)),
    ...app.map((o, i) => child(i ? `app${i}` : "app", o)),
    ...certs.map((o, i) => child(i ? `cert${i}` : "cert", o)),
    ...sets.map((o, i) => child(i ? `ls${i}` : "ls", o)),
    ...(parts.extra ?? []),
  ];
}

const ruleOf = (id: string) => [...ROUTE_RULES, ...ADMISSION_RULES].find((r) => r.id === id)!;
const check = (id: string, resources: RuleResource[]): Violation[] => ruleOf(id).check(resources, site);

describe("edge rules (components/rules/routes.ts) over hand-made plans", () => {
  describe("TEN-RTE-001: declared hosts and the tenant's certificate", () => {
    it("TEN-RTE-001 accepts the tenant as the platform builds it", () => {
      assert.deepEqual(check("TEN-RTE-001", plan()), []);
    });

    it("TEN-RTE-001 compares host lists as sets: order does not matter, content does", () => {
      // annotation unsorted against a sorted Application list, and the reverse
      assert.deepEqual(
        check("TEN-RTE-001", plan({ ns: [namespace(`${VOD},${LIVE}`)], certs: [certificate([VOD, LIVE])] })),
        [],
      );
      assert.deepEqual(
        check(
          "TEN-RTE-001",
          plan({
            app: [application([VOD, LIVE])],
            sets: [listenerSet([VOD, LIVE])],
            certs: [certificate([LIVE, VOD])],
          }),
        ),
        [],
      );
      assert.deepEqual(check("TEN-RTE-001", plan({ ns: [namespace(`${LIVE},evil.example`)] })), [
        {
          rule: "TEN-RTE-001",
          urn: u("ns"),
          message:
            'demo-tv: platform.video/domains is "live.demo-tv.example,evil.example" but the tenant\'s Application serves [live.demo-tv.example, vod.demo-tv.example]',
        },
      ]);
    });

    it("TEN-RTE-001 refuses a namespace without the domains annotation (the cluster would admit no host)", () => {
      assert.deepEqual(check("TEN-RTE-001", plan({ ns: [namespace(undefined)] })), [
        {
          rule: "TEN-RTE-001",
          urn: u("ns"),
          message:
            "demo-tv: the namespace has no platform.video/domains annotation, so the cluster would admit none of its hosts",
        },
      ]);
    });

    it("TEN-RTE-001 reads the tenant's own namespace, not another Namespace below it", () => {
      assert.deepEqual(
        check("TEN-RTE-001", plan({ ns: [namespace(undefined, "other"), namespace(`${LIVE},${VOD}`)] })),
        [],
      );
      // no namespace of the tenant at all: TEN-PSS-001 reports it, not this rule
      assert.deepEqual(check("TEN-RTE-001", plan({ ns: [namespace(undefined, "other")] })), []);
      assert.deepEqual(check("TEN-RTE-001", plan({ ns: [] })), []);
    });

    it("TEN-RTE-001 refuses a Certificate for a tenant without domains, and accepts none", () => {
      const none = { ns: [namespace("")], app: [application([])], sets: [] };
      assert.deepEqual(check("TEN-RTE-001", plan({ ...none, certs: [] })), []);
      assert.deepEqual(check("TEN-RTE-001", plan({ ...none, certs: [certificate([])] })), [
        { rule: "TEN-RTE-001", urn: u("cert"), message: "demo-tv: a tenant without domains gets no Certificate" },
      ]);
    });

    it("TEN-RTE-001 wants exactly one Certificate when the tenant has domains", () => {
      assert.deepEqual(check("TEN-RTE-001", plan({ certs: [] })), [
        { rule: "TEN-RTE-001", urn: TENANT, message: "demo-tv: expected one Certificate, found 0" },
      ]);
      assert.deepEqual(check("TEN-RTE-001", plan({ certs: [certificate([LIVE, VOD]), certificate([LIVE, VOD])] })), [
        { rule: "TEN-RTE-001", urn: u("cert1"), message: "demo-tv: expected one Certificate, found 2" },
      ]);
    });

    it("TEN-RTE-001 refuses a Certificate whose dnsNames are not exactly the domains", () => {
      for (const names of [[LIVE], [LIVE, VOD, "evil.example"], [LIVE, "evil.example"]])
        assert.deepEqual(check("TEN-RTE-001", plan({ certs: [certificate(names)] })), [
          {
            rule: "TEN-RTE-001",
            urn: u("cert"),
            message:
              "demo-tv: the Certificate's dnsNames must be exactly the tenant's domains [live.demo-tv.example, vod.demo-tv.example]",
          },
        ]);
    });

    it("TEN-RTE-001 refuses a Certificate outside the edge namespace or from another issuer kind", () => {
      const want = [
        {
          rule: "TEN-RTE-001",
          urn: u("cert"),
          message: "demo-tv: the Certificate lives in envoy-gateway-system and comes from the platform's ClusterIssuer",
        },
      ];
      const elsewhere = certificate([LIVE, VOD]);
      elsewhere.metadata!.namespace = "demo-tv";
      assert.deepEqual(check("TEN-RTE-001", plan({ certs: [elsewhere] })), want);
      const ownIssuer = certificate([LIVE, VOD]) as K8sObject & { spec: any };
      ownIssuer.spec.issuerRef.kind = "Issuer";
      assert.deepEqual(check("TEN-RTE-001", plan({ certs: [ownIssuer] })), want);
    });
  });

  describe("TEN-RTE-002: the tenant's ListenerSet and the platform Gateway", () => {
    const ls = (edit: (s: K8sObject & { spec: any }) => void) => {
      const s = listenerSet([LIVE, VOD]);
      edit(s);
      return plan({ sets: [s] });
    };
    const wrongPlace = [
      {
        rule: "TEN-RTE-002",
        urn: u("ls"),
        message: "demo-tv: the ListenerSet must be envoy-gateway-system/demo-tv on Gateway edge",
      },
    ];

    it("TEN-RTE-002 accepts the ListenerSet as the platform builds it (parent kind and namespace may be implied)", () => {
      assert.deepEqual(check("TEN-RTE-002", plan()), []);
      assert.deepEqual(
        check(
          "TEN-RTE-002",
          ls((s) => delete s.spec.parentRef.kind),
        ),
        [],
      );
      assert.deepEqual(
        check(
          "TEN-RTE-002",
          ls((s) => (s.spec.parentRef.namespace = "envoy-gateway-system")),
        ),
        [],
      );
    });

    it("TEN-RTE-002 refuses a ListenerSet with another name, namespace or parent", () => {
      const edits: ((s: K8sObject & { spec: any }) => void)[] = [
        (s) => (s.metadata!.name = "other"),
        (s) => (s.metadata!.namespace = "demo-tv"),
        (s) => delete s.metadata!.namespace,
        (s) => (s.spec.parentRef.name = "other"),
        (s) => (s.spec.parentRef.kind = "ListenerSet"),
        (s) => (s.spec.parentRef.namespace = "demo-tv"),
      ];
      for (const edit of edits) assert.deepEqual(check("TEN-RTE-002", ls(edit)), wrongPlace, String(edit));
    });

    it("TEN-RTE-002 refuses a ListenerSet for a tenant without domains, and accepts none", () => {
      const none = { ns: [namespace("")], app: [application([])], certs: [] };
      assert.deepEqual(check("TEN-RTE-002", plan({ ...none, sets: [] })), []);
      assert.deepEqual(check("TEN-RTE-002", plan({ ...none, sets: [listenerSet([])] })), [
        { rule: "TEN-RTE-002", urn: u("ls"), message: "demo-tv: a tenant without domains gets no ListenerSet" },
      ]);
    });

    it("TEN-RTE-002 wants exactly one ListenerSet when the tenant has domains", () => {
      assert.deepEqual(check("TEN-RTE-002", plan({ sets: [] })), [
        { rule: "TEN-RTE-002", urn: TENANT, message: "demo-tv: expected one ListenerSet, found 0" },
      ]);
      assert.deepEqual(check("TEN-RTE-002", plan({ sets: [listenerSet([LIVE, VOD]), listenerSet([LIVE, VOD])] })), [
        { rule: "TEN-RTE-002", urn: u("ls1"), message: "demo-tv: expected one ListenerSet, found 2" },
      ]);
    });

    it("TEN-RTE-002 refuses listener host names other than exactly the domains", () => {
      assert.deepEqual(check("TEN-RTE-002", plan({ sets: [listenerSet([LIVE, "evil.example"])] })), [
        {
          rule: "TEN-RTE-002",
          urn: u("ls"),
          message:
            "demo-tv: listener host names [live.demo-tv.example, evil.example] must be exactly the tenant's domains",
        },
      ]);
    });

    it("TEN-RTE-002 refuses a listener without a hostname", () => {
      assert.deepEqual(check("TEN-RTE-002", plan({ sets: [listenerSet([undefined, VOD])] })), [
        {
          rule: "TEN-RTE-002",
          urn: u("ls"),
          message: "demo-tv: listener host names [, vod.demo-tv.example] must be exactly the tenant's domains",
        },
        { rule: "TEN-RTE-002", urn: u("ls"), message: "demo-tv: listeners[0] has no hostname" },
      ]);
    });

    it("TEN-RTE-002 refuses a listener admitting routes from anything but the tenant's label selector", () => {
      const edits: ((ns: any) => void)[] = [
        (ns) => (ns.from = "Same"),
        (ns) => (ns.from = "All"),
        (ns) => (ns.selector.matchExpressions = [{ key: "x", operator: "Exists" }]),
        (ns) => (ns.selector.matchLabels.team = "a"),
        (ns) => (ns.selector.matchLabels["platform.video/tenant"] = "other"),
        (ns) => (ns.selector.matchLabels = { other: "demo-tv" }),
      ];
      for (const edit of edits)
        assert.deepEqual(
          check(
            "TEN-RTE-002",
            ls((s) => edit(s.spec.listeners[1].allowedRoutes.namespaces)),
          ),
          [
            {
              rule: "TEN-RTE-002",
              urn: u("ls"),
              message:
                "demo-tv: listeners[1] must admit routes only from namespaces labelled platform.video/tenant=demo-tv",
            },
          ],
          String(edit),
        );
      // an empty matchExpressions list narrows nothing
      assert.deepEqual(
        check(
          "TEN-RTE-002",
          ls((s) => (s.spec.listeners[1].allowedRoutes.namespaces.selector.matchExpressions = [])),
        ),
        [],
      );
    });

    it("TEN-RTE-002 refuses a listener admitting no route kinds list or another kind", () => {
      const want = [
        {
          rule: "TEN-RTE-002",
          urn: u("ls"),
          message: "demo-tv: listeners[0] must admit HTTPRoute and GRPCRoute only (allowedRoutes.kinds)",
        },
      ];
      assert.deepEqual(
        check(
          "TEN-RTE-002",
          ls((s) => delete s.spec.listeners[0].allowedRoutes.kinds),
        ),
        want,
      );
      assert.deepEqual(
        check(
          "TEN-RTE-002",
          ls((s) => s.spec.listeners[0].allowedRoutes.kinds.push({ kind: "TLSRoute" })),
        ),
        want,
      );
      assert.deepEqual(
        check(
          "TEN-RTE-002",
          ls((s) => (s.spec.listeners[0].allowedRoutes.kinds = [{ kind: "HTTPRoute" }])),
        ),
        [],
      );
    });

    const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
    const gateway = (allowedListeners: unknown, ...froms: unknown[]) =>
      resource(GATEWAY, "edge", {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "edge", namespace: "envoy-gateway-system" },
        spec: {
          allowedListeners,
          listeners: froms.map((from) => ({ allowedRoutes: from === undefined ? {} : { namespaces: { from } } })),
        },
      });

    it("TEN-RTE-002 accepts a Gateway admitting ListenerSets of its namespace and naming each listener's namespaces", () => {
      assert.deepEqual(
        check("TEN-RTE-002", plan({ extra: [gateway({ namespaces: { from: "Same" } }, "Same", "Selector")] })),
        [],
      );
    });

    it("TEN-RTE-002 refuses a Gateway admitting ListenerSets or routes from other namespaces", () => {
      assert.deepEqual(
        check("TEN-RTE-002", plan({ extra: [gateway({ namespaces: { from: "All" } }, "All", undefined, "Same")] })),
        [
          {
            rule: "TEN-RTE-002",
            urn: top(GATEWAY, "edge"),
            message:
              "the Gateway must admit ListenerSets from its own namespace only (allowedListeners.namespaces.from: Same)",
          },
          {
            rule: "TEN-RTE-002",
            urn: top(GATEWAY, "edge"),
            message:
              "listeners[0] admits routes from All; platform listeners name their namespace (Same or a Selector)",
          },
          {
            rule: "TEN-RTE-002",
            urn: top(GATEWAY, "edge"),
            message:
              "listeners[1] admits routes from its own namespace by default; platform listeners name their namespace (Same or a Selector)",
          },
        ],
      );
    });
  });

  describe("TEN-EDGE-001: the tenant-admin role writes no edge kind", () => {
    const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
    const role = (...rules: Record<string, unknown>[]) =>
      resource(ROLE, "tenant-admin", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "platform-tenant-admin" },
        rules,
      });

    it("TEN-EDGE-001 accepts read rights on edge kinds and write rights on routes", () => {
      assert.deepEqual(
        check(
          "TEN-EDGE-001",
          plan({
            extra: [
              role(
                {
                  apiGroups: ["gateway.networking.k8s.io", "networking.k8s.io"],
                  resources: ["gateways", "ingresses"],
                  verbs: ["get", "list", "watch"],
                },
                {
                  apiGroups: ["gateway.networking.k8s.io"],
                  resources: ["httproutes", "grpcroutes"],
                  verbs: ["create", "update", "patch", "delete"],
                },
              ),
            ],
          }),
        ),
        [],
      );
    });

    it("TEN-EDGE-001 refuses a role rule granting a write verb on an edge kind, naming only the write verbs", () => {
      assert.deepEqual(
        check(
          "TEN-EDGE-001",
          plan({
            extra: [
              role(
                { apiGroups: ["apps"], resources: ["deployments"], verbs: ["create"] },
                {
                  apiGroups: ["gateway.networking.k8s.io", "cert-manager.io"],
                  resources: ["gateways", "certificates", "httproutes"],
                  verbs: ["get", "create", "list", "patch"],
                },
              ),
            ],
          }),
        ),
        [
          {
            rule: "TEN-EDGE-001",
            urn: top(ROLE, "tenant-admin"),
            message: "demo-tv: platform-tenant-admin rules[1] grants create/patch on gateways",
          },
          {
            rule: "TEN-EDGE-001",
            urn: top(ROLE, "tenant-admin"),
            message: "demo-tv: platform-tenant-admin rules[1] grants create/patch on certificates",
          },
        ],
      );
    });
  });

  describe("the admission policies' declaration checks (declarationProblems)", () => {
    const NAMES: Record<string, string> = {
      "TEN-RTE-001": "platform-tenant-route-hosts",
      "TEN-RTE-002": "platform-tenant-route-parents",
      "TEN-RTE-003": "platform-tenant-route-backends",
      "TEN-EDGE-001": "platform-tenant-edge-kinds",
      "TEN-SVC-001": "platform-tenant-service-types",
      "TEN-NSL-001": "platform-tenant-namespace-labels",
    };
    const ADMISSION_RULES_IDS: Record<string, true> = { "TEN-SVC-001": true, "TEN-NSL-001": true };
    const policyFor = (id: string) => (id in ADMISSION_RULES_IDS ? admissionPolicy(id) : routePolicy(id));
    /** The policy and binding of rule `id` declared exactly, next to every other route policy. */
    const base = (id: string) => [
      platform,
      ...(id in ADMISSION_RULES_IDS ? [...allRouteDeclarations(), ...declared(policyFor(id))] : allRouteDeclarations()),
    ];
    const find = (rs: RuleResource[], type: string, id: string) =>
      rs.find(
        (r) =>
          r.type === type &&
          ((r.inputs.metadata as any).name === NAMES[id] || (r.inputs.spec as any).policyName === NAMES[id]),
      )!;
    const policyUrn = (id: string) => top(VAP, policyFor(id).key);
    const bindingUrn = (id: string) => top(VAPB, `${policyFor(id).key}-binding`);

    for (const id of Object.keys(NAMES)) {
      const name = NAMES[id];

      it(`${id} accepts its policy and binding as declared, also with the server's no-op defaults`, () => {
        assert.deepEqual(check(id, base(id)), []);
        const rs = base(id);
        const spec = find(rs, VAP, id).inputs.spec as any;
        spec.matchConstraints.matchPolicy = "Equivalent";
        spec.matchConstraints.objectSelector = {};
        for (const r of spec.matchConstraints.resourceRules) r.scope = "*";
        spec.auditAnnotations = [];
        (find(rs, VAPB, id).inputs.spec as any).matchResources = { namespaceSelector: {}, matchPolicy: "Equivalent" };
        assert.deepEqual(check(id, rs), []);
      });

      it(`${id} refuses a missing or doubled policy`, () => {
        const missing = base(id).filter((r) => r.urn !== policyUrn(id));
        assert.deepEqual(check(id, missing), [
          { rule: id, urn: PLATFORM, message: `expected one ValidatingAdmissionPolicy ${name}, found 0` },
        ]);
        const doubled = [...base(id), ...declared(policyFor(id), "-2").slice(0, 1)];
        assert.deepEqual(check(id, doubled), [
          {
            rule: id,
            urn: top(VAP, `${policyFor(id).key}-2`),
            message: `expected one ValidatingAdmissionPolicy ${name}, found 2`,
          },
        ]);
      });

      it(`${id} refuses a policy whose spec differs in one field`, () => {
        const edits: ((s: any) => void)[] = [
          (s) => (s.failurePolicy = "Ignore"),
          (s) => (s.validations[0].expression = "true"),
          (s) => s.validations.pop(),
          (s) => (s.matchConstraints.matchPolicy = "Exact"),
          (s) => (s.matchConstraints.objectSelector = { matchLabels: { x: "y" } }),
          (s) => (s.matchConstraints.excludeResourceRules = [{ resources: ["services"] }]),
          (s) => (s.matchConstraints.resourceRules[0].scope = "Namespaced"),
          (s) => (s.matchConditions = [...(s.matchConditions ?? []), { name: "x", expression: "false" }]),
          (s) => (s.variables = [...(s.variables ?? []), { name: "x", expression: "1" }]),
          (s) => (s.auditAnnotations = [{ key: "x", valueExpression: "'y'" }]),
          (s) => (s.paramKind = { apiVersion: "v1", kind: "ConfigMap" }),
        ];
        for (const edit of edits) {
          const rs = base(id);
          edit(find(rs, VAP, id).inputs.spec);
          assert.deepEqual(
            check(id, rs),
            [
              {
                rule: id,
                urn: policyUrn(id),
                message: `ValidatingAdmissionPolicy ${name} differs from components/rules/admission.ts (match, conditions, variables, failurePolicy or expressions)`,
              },
            ],
            String(edit),
          );
        }
      });

      it(`${id} refuses a missing or doubled binding, counting only bindings of its policy`, () => {
        const missing = base(id).filter((r) => r.urn !== bindingUrn(id));
        assert.deepEqual(check(id, missing), [
          { rule: id, urn: PLATFORM, message: `expected one ValidatingAdmissionPolicyBinding of ${name}, found 0` },
        ]);
        // another kind of resource naming the policy is no binding
        const lookalike = resource("kubernetes:example.com/v1:Other", "x", { spec: { policyName: name } });
        assert.deepEqual(check(id, [...base(id), lookalike]), []);
        const doubled = [...base(id), ...declared(policyFor(id), "-2").slice(1)];
        assert.deepEqual(check(id, doubled), [
          {
            rule: id,
            urn: top(VAPB, `${policyFor(id).key}-binding-2`),
            message: `expected one ValidatingAdmissionPolicyBinding of ${name}, found 2`,
          },
        ]);
      });

      it(`${id} refuses a binding that warns, audits, narrows or takes parameters`, () => {
        const edits: ((s: any) => void)[] = [
          (s) => (s.validationActions = ["Warn"]),
          (s) => (s.validationActions = ["Deny", "Audit"]),
          (s) => (s.matchResources = { namespaceSelector: { matchLabels: { x: "y" } } }),
          (s) => (s.matchResources = { excludeResourceRules: [{ resources: ["services"] }] }),
          (s) => (s.paramRef = { name: "x" }),
        ];
        for (const edit of edits) {
          const rs = base(id);
          edit(find(rs, VAPB, id).inputs.spec);
          assert.deepEqual(
            check(id, rs),
            [
              {
                rule: id,
                urn: bindingUrn(id),
                message: `the binding of ${name} must be exactly { policyName: ${name}, validationActions: [Deny] }: no other action, no narrowing matchResources, no parameters`,
              },
            ],
            String(edit),
          );
        }
      });
    }
  });
});

describe("admission helpers (components/rules/admission.ts)", () => {
  it("normalizeAdmissionSpec drops only what the server fills in for 'no restriction'", () => {
    const stored = {
      failurePolicy: "Fail",
      matchConstraints: {
        matchPolicy: "Equivalent",
        namespaceSelector: {},
        objectSelector: { matchLabels: undefined, matchExpressions: [] },
        excludeResourceRules: [],
        resourceRules: [{ apiGroups: [""], resources: ["services"], scope: "*" }],
      },
      matchConditions: [],
      variables: null,
      auditAnnotations: undefined,
      paramKind: {},
      paramRef: { selector: { matchLabels: {} } },
      validations: [{ expression: "true" }],
    };
    assert.deepEqual(normalizeAdmissionSpec(stored), {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: [""], resources: ["services"] }] },
      validations: [{ expression: "true" }],
    });
    // the input is not changed
    assert.equal(stored.matchConstraints.matchPolicy, "Equivalent");
  });

  it("normalizeAdmissionSpec keeps everything that narrows or changes a policy", () => {
    const spec = {
      matchResources: {
        matchPolicy: "Exact",
        namespaceSelector: { matchLabels: { team: "a" } },
        objectSelector: { matchExpressions: [{ key: "x", operator: "Exists" }] },
        excludeResourceRules: [{ resources: ["pods"] }],
        resourceRules: [{ resources: ["pods"], scope: "Namespaced" }],
      },
      matchConditions: [{ name: "c", expression: "true" }],
      variables: [{ name: "v", expression: "1" }],
      auditAnnotations: [{ key: "a", valueExpression: "'b'" }],
      paramKind: { kind: "ConfigMap" },
      paramRef: { name: "p" },
    };
    assert.deepEqual(normalizeAdmissionSpec(spec), structuredClone(spec));
    // each kept field alone
    assert.deepEqual(normalizeAdmissionSpec({ matchConstraints: { matchPolicy: "Exact" } }), {
      matchConstraints: { matchPolicy: "Exact" },
    });
    assert.deepEqual(normalizeAdmissionSpec({ matchConstraints: { objectSelector: { matchLabels: { a: "b" } } } }), {
      matchConstraints: { objectSelector: { matchLabels: { a: "b" } } },
    });
    // an absent match block stays absent, an empty one is dropped
    assert.deepEqual(normalizeAdmissionSpec({ failurePolicy: "Fail" }), { failurePolicy: "Fail" });
    assert.deepEqual(normalizeAdmissionSpec({ failurePolicy: "Fail", matchResources: { matchPolicy: "Equivalent" } }), {
      failurePolicy: "Fail",
    });
  });

  it("sameAdmissionSpec ignores key order and no-op defaults, never a narrowing field", () => {
    assert.equal(
      sameAdmissionSpec(
        { validationActions: ["Deny"], policyName: "p", matchResources: { objectSelector: {} } },
        { policyName: "p", validationActions: ["Deny"] },
      ),
      true,
    );
    assert.equal(
      sameAdmissionSpec(
        {
          policyName: "p",
          validationActions: ["Deny"],
          matchResources: { objectSelector: { matchLabels: { a: "b" } } },
        },
        { policyName: "p", validationActions: ["Deny"] },
      ),
      false,
    );
  });

  it("appDomains reads the tenant's own Application, not another one", () => {
    const other = application(["evil.example"], "other");
    assert.deepEqual(appDomains([other, application([LIVE, VOD])], "demo-tv"), [LIVE, VOD]);
    assert.equal(appDomains([other], "demo-tv"), undefined);
    assert.equal(appDomains([], "demo-tv"), undefined);
  });

  it("admissionManifests names the policy and binding and labels them with the rule", () => {
    const p = admissionPolicy("TEN-SVC-001");
    const m = admissionManifests(p);
    const metadata = {
      name: "platform-tenant-service-types",
      labels: { "platform.video/guardrail": "TEN-SVC-001" },
    };
    assert.deepEqual(m.policy.metadata, metadata);
    assert.deepEqual(m.binding.metadata, metadata);
    assert.deepEqual(m.binding.spec, { policyName: "platform-tenant-service-types", validationActions: ["Deny"] });
    assert.equal(m.policy.kind, "ValidatingAdmissionPolicy");
    assert.equal(m.binding.kind, "ValidatingAdmissionPolicyBinding");
  });

  it("celExpressions lists every expression: conditions, variables, validations and their messages", () => {
    const p: AdmissionPolicy = {
      rule: "X-1",
      key: "x",
      name: "x",
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {},
        matchConditions: [{ name: "c", expression: "c1" }],
        variables: [{ name: "v", expression: "v1" }],
        validations: [
          { expression: "e1", message: "plain", reason: "Forbidden" },
          { expression: "e2", messageExpression: "m2", reason: "Forbidden" },
        ],
      },
      binding: { validationActions: ["Deny"] },
    };
    assert.deepEqual(celExpressions(p), ["c1", "v1", "e1", "e2", "m2"]);
  });

  describe("TEN-SVC-001: the platform's issuers solve HTTP-01 with ClusterIP Services", () => {
    const ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
    const solvers = (...http01: Record<string, unknown>[]) => ({
      acme: { solvers: http01.map((h) => ({ http01: h })) },
    });
    const withIssuer = (type: string, spec: unknown) => [
      platform,
      ...declared(admissionPolicy("TEN-SVC-001")),
      resource(type, "letsencrypt", { kind: "ClusterIssuer", spec }),
    ];

    it("TEN-SVC-001 accepts ClusterIP solvers and issuers without HTTP-01", () => {
      assert.deepEqual(
        check(
          "TEN-SVC-001",
          withIssuer(
            ISSUER,
            solvers({ gatewayHTTPRoute: { serviceType: "ClusterIP" } }, { ingress: { serviceType: "ClusterIP" } }),
          ),
        ),
        [],
      );
      assert.deepEqual(check("TEN-SVC-001", withIssuer(ISSUER, { acme: { solvers: [{ dns01: {} }] } })), []);
    });

    it("TEN-SVC-001 refuses an ingress or gatewayHTTPRoute solver on NodePort or the default", () => {
      assert.deepEqual(
        check(
          "TEN-SVC-001",
          withIssuer(
            "kubernetes:cert-manager.io/v1:Issuer",
            solvers({ ingress: { serviceType: "NodePort" } }, { gatewayHTTPRoute: {} }),
          ),
        ),
        [
          {
            rule: "TEN-SVC-001",
            urn: top("kubernetes:cert-manager.io/v1:Issuer", "letsencrypt"),
            message:
              "solvers[0].http01.ingress.serviceType must be ClusterIP: a NodePort opens a port on every node, and tenant namespaces deny it",
          },
          {
            rule: "TEN-SVC-001",
            urn: top("kubernetes:cert-manager.io/v1:Issuer", "letsencrypt"),
            message:
              "solvers[1].http01.gatewayHTTPRoute.serviceType must be ClusterIP: a NodePort opens a port on every node, and tenant namespaces deny it",
          },
        ],
      );
    });

    it("TEN-SVC-001 reads issuers only, not other resources with a similar spec", () => {
      assert.deepEqual(
        check(
          "TEN-SVC-001",
          withIssuer("kubernetes:example.com/v1:Other", solvers({ ingress: { serviceType: "NodePort" } })),
        ),
        [],
      );
    });
  });
});
