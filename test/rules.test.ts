/**
 * The guardrails (components/rules): the catalog, every rule against the real plans of both
 * stacks (accepted) and against violations crafted from them (each caught by its id, and only
 * by it), the program broken once per rule through `npm run plan`'s CLI, the in-cluster
 * admission policies' CEL evaluated by a CEL interpreter, and the lint set-up.
 */
import { parse as parseCel } from "@marcbachmann/cel-js";
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkResources, formatViolation, RULES, ruleById, siteContext } from "../components/rules";
import {
  ADMISSION_POLICIES,
  AdmissionPolicy,
  admissionManifests,
  celExpressions,
  DOMAINS_ANNOTATION,
  sameAdmissionSpec,
} from "../components/rules/admission";
import { isWorldOpen, portRange } from "../components/rules/site";
import { RuleResource, SiteContext, UNKNOWN } from "../components/rules/types";
import { BREAKS, brokenPlan } from "./helpers/breaks";
import { byName, Plan, PlannedResource, planStack, readStackConfig, repoRoot } from "./helpers/harness";

const STACKS = ["staging", "prod"] as const;
const ctxOf = (stack: string): SiteContext => siteContext(stack, readStackConfig(stack));

/** A copy of the plan's resources with `name` changed by `f` (or removed when f returns null). */
function mutated(p: Plan, name: string, f: (r: any) => unknown): PlannedResource[] {
  const rs = structuredClone(p.resources);
  const i = rs.findIndex((r) => r.name === name);
  assert.ok(i >= 0, `no resource ${name}`);
  if (f(rs[i]) === null) rs.splice(i, 1);
  return rs;
}

/** The rule ids raised on `resources`, and whether one of them names `name`'s URN. */
function raised(resources: readonly RuleResource[], stack: string) {
  const v = checkResources(resources, ctxOf(stack));
  return { ids: [...new Set(v.map((x) => x.rule))].sort(), v };
}

describe("guardrails: the catalog", () => {
  it("every rule has a unique id, a one-line description, a fix and where it is enforced", () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, "ids are unique");
    assert.equal(RULES.length, 19);
    for (const r of RULES) {
      assert.match(r.id, /^(TEN|SITE|SEC|PROT)(-[A-Z]+)?-\d{3}$/, r.id);
      assert.ok(r.description.length > 20 && !r.description.includes("\n"), `${r.id}: one line`);
      assert.ok(r.fix.length > 20, `${r.id}: a fix`);
      assert.ok(r.enforcedIn.includes("plan"), `${r.id}: every rule runs on every plan`);
      if (!r.enforcedIn.includes("preview"))
        assert.ok(r.notEnforcedIn?.preview, `${r.id}: says why a preview cannot check it`);
    }
    assert.deepEqual(
      RULES.filter((r) => r.enforcedIn.includes("cluster")).map((r) => r.id),
      ADMISSION_POLICIES.map((p) => p.rule),
      "the cluster enforces exactly the rules with an admission policy",
    );
    assert.deepEqual(
      RULES.filter((r) => !r.enforcedIn.includes("preview")).map((r) => r.id),
      ["SEC-001"],
    );
  });

  it("violations print as `<rule id> <urn>: <message>; fix: <fix>`", () => {
    assert.equal(
      formatViolation({ rule: "SITE-FW-001", urn: "urn:x", message: "m" }),
      `SITE-FW-001 urn:x: m; fix: ${ruleById("SITE-FW-001").fix}`,
    );
    assert.throws(() => ruleById("NOPE-001"), /no guardrail NOPE-001/);
  });

  it("the site context comes from the stack file", () => {
    assert.deepEqual(ctxOf("prod"), {
      stack: "prod",
      protected: true,
      adminCidrs: ["198.51.100.0/28", "203.0.113.64/27"],
      blockedRanges: ["169.254.169.254/32", "10.20.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
    });
    assert.equal(ctxOf("staging").protected, false);
  });
});

describe("guardrails: the real program holds every rule", () => {
  for (const stack of STACKS)
    it(`${stack}: no violation`, async () => {
      const p = await planStack(stack);
      // On failure the diff lists `<rule id> <urn>: <message>; fix: <fix>` per violation.
      assert.deepEqual(checkResources(p.resources, ctxOf(stack)).map(formatViolation), []);
    });
});

describe("guardrails: each rule catches a violation crafted from the real plan, and only that rule", () => {
  type Case = [id: string, stack: string, name: string, what: string, f: (r: any) => unknown, at?: string];
  const fw = (port: string, sourceIps: string[]) => ({ direction: "in", protocol: "tcp", port, sourceIps });
  const cases: Case[] = [
    [
      "TEN-PSS-001",
      "staging",
      "acme-tv-ns",
      "warn label removed",
      (r) => delete r.inputs.metadata.labels["pod-security.kubernetes.io/warn"],
    ],
    [
      "TEN-PSS-001",
      "staging",
      "kiez-radio-ns",
      "another tenant's label",
      (r) => (r.inputs.metadata.labels["platform.video/tenant"] = "acme-tv"),
    ],
    [
      "TEN-QTA-001",
      "staging",
      "kiez-radio-quota",
      "load balancers allowed",
      (r) => (r.inputs.spec.hard["services.loadbalancers"] = "1"),
    ],
    ["TEN-QTA-001", "staging", "acme-tv-quota", "pods unbounded", (r) => delete r.inputs.spec.hard.pods],
    [
      "TEN-LIM-001",
      "staging",
      "nordic-sports-limits",
      "request above default",
      (r) => (r.inputs.spec.limits[0].defaultRequest.memory = "64Gi"),
    ],
    [
      "TEN-NET-001",
      "staging",
      "acme-tv-netpol",
      "only some pods",
      (r) => (r.inputs.spec.podSelector = { matchLabels: { a: "b" } }),
    ],
    ["TEN-NET-002", "staging", "acme-tv-netpol", "from everyone", (r) => r.inputs.spec.ingress.push({})],
    [
      "TEN-NET-003",
      "staging",
      "acme-tv-netpol",
      "every namespace reachable",
      (r) => r.inputs.spec.egress.push({ to: [{ namespaceSelector: {} }] }),
    ],
    ["TEN-RBAC-001", "staging", "platform-tenant-admin", "wildcard", (r) => (r.inputs.rules[0].resources = ["*"])],
    [
      "TEN-RBAC-002",
      "staging",
      "nordic-sports-admin-binding",
      "binds cluster-admin",
      (r) => (r.inputs.roleRef.name = "cluster-admin"),
    ],
    [
      "TEN-ARGO-001",
      "staging",
      "kiez-radio-project",
      "cluster-scoped kinds allowed",
      (r) => (r.inputs.spec.clusterResourceWhitelist = [{ group: "", kind: "Namespace" }]),
    ],
    [
      "TEN-ARGO-002",
      "staging",
      "acme-tv-app",
      "cascading finalizer",
      (r) => (r.inputs.metadata.finalizers = ["resources-finalizer.argocd.argoproj.io"]),
    ],
    [
      "TEN-ING-001",
      "staging",
      "acme-tv-ns",
      "no domains annotation",
      (r) => delete r.inputs.metadata.annotations[DOMAINS_ANNOTATION],
    ],
    [
      "TEN-ING-001",
      "staging",
      "platform-vap-ingress-hosts",
      "failurePolicy Ignore",
      (r) => (r.inputs.spec.failurePolicy = "Ignore"),
    ],
    ["TEN-ING-001", "prod", "platform-vap-ingress-hosts-binding", "no binding", () => null, "platform"],
    [
      "TEN-SVC-001",
      "staging",
      "platform-vap-service-types-binding",
      "warn only",
      (r) => (r.inputs.spec.validationActions = ["Warn"]),
    ],
    [
      "TEN-SVC-001",
      "staging",
      "platform-vap-service-types",
      "matches every namespace",
      (r) => delete r.inputs.spec.matchConstraints.namespaceSelector,
    ],
    [
      "TEN-SVC-001",
      "prod",
      "platform-cluster-issuer",
      "ACME solver Services back to NodePort",
      (r) => delete r.inputs.spec.acme.solvers[0].http01.ingress.serviceType,
    ],
    [
      "TEN-NSL-001",
      "staging",
      "platform-vap-namespace-labels",
      "an extra condition that never matches",
      (r) => r.inputs.spec.matchConditions.push({ name: "never", expression: "false" }),
    ],
    [
      "TEN-NSL-001",
      "staging",
      "platform-vap-namespace-labels-binding",
      "narrowed to one namespace",
      (r) => (r.inputs.spec.matchResources = { namespaceSelector: { matchLabels: { x: "y" } } }),
    ],
    ["SITE-FW-001", "staging", "site-fw", "8080 from ::/0", (r) => r.inputs.rules.push(fw("8080", ["::/0"]))],
    [
      "SITE-FW-001",
      "prod",
      "site-fw",
      "ICMP from the world",
      (r) => r.inputs.rules.push({ direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0"] }),
    ],
    [
      "SITE-FW-002",
      "staging",
      "site-fw",
      "SSH from a /8 that is no admin CIDR",
      (r) => r.inputs.rules[0].sourceIps.push("10.0.0.0/8"),
    ],
    [
      "SITE-FW-002",
      "prod",
      "site-fw",
      "a port range covering 6443 from half the internet",
      (r) => r.inputs.rules.push(fw("6000-7000", ["0.0.0.0/1", "128.0.0.0/2"])),
    ],
    [
      "SITE-FW-001",
      "prod",
      "site-fw",
      "ICMP from two halves that make the whole IPv4 internet",
      (r) => r.inputs.rules.push({ direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/1", "128.0.0.0/1"] }),
    ],
    [
      "SITE-FW-001",
      "staging",
      "site-fw",
      "ICMP from 0::/0 and 0.0.0.0/00 (the world, spelled differently)",
      (r) => r.inputs.rules.push({ direction: "in", protocol: "icmp", sourceIps: ["0::/0", "0.0.0.0/00"] }),
    ],
    ["SITE-FW-003", "staging", "site-cp-1", "no firewall", (r) => (r.inputs.firewallIds = [])],
    ["SITE-LB-001", "prod", "site-api-lb-net", "public interface on", (r) => (r.inputs.enablePublicInterface = true)],
    ["SITE-LB-001", "prod", "site-api-lb-net", "no private attachment", () => null, "site-api-lb"],
    ["SEC-001", "staging", "site-hcloud", "Hetzner token in clear", (r) => (r.inputs.token = "hcloud-token")],
    [
      "SEC-001",
      "staging",
      "acme-tv-stream-key-secret",
      "stream key in clear",
      (r) => (r.inputs.stringData = { "stream-key": "abc" }),
    ],
    ["SEC-001", "prod", "site-cp-2", "user-data in clear", (r) => (r.inputs.userData = "#cloud-config\n")],
    [
      "SEC-001",
      "prod",
      "platform-argocd",
      "a credential-named value in clear",
      (r) => (r.inputs.values = { configs: { secret: { argocdServerAdminPassword: "$2a$10$x" } } }),
    ],
    ["PROT-001", "prod", "site-net", "network unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "acme-tv-ns", "tenant namespace unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "kiez-radio-stream-key", "stream key unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "site-ca-server-ca-key", "server CA key unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "site-ca-client-ca", "client CA certificate unprotected", (r) => (r.options.protect = false)],
  ];

  it("covers every rule id", () => {
    assert.deepEqual([...new Set(cases.map((c) => c[0]))].sort(), RULES.map((r) => r.id).sort());
  });

  for (const [id, stack, name, what, f, at] of cases)
    it(`${id}: ${what} (${stack}, ${name})`, async () => {
      const p = await planStack(stack);
      const { ids, v } = raised(mutated(p, name, f), stack);
      assert.deepEqual(ids, [id], JSON.stringify(v, null, 1));
      const where = at ?? name;
      assert.ok(
        v.some((x) => x.urn.endsWith(`::${where}`)),
        `${id} should name ${where}: ${v.map((x) => x.urn).join(", ")}`,
      );
    });

  it("PROT-001 spares decommissioned tenants and unprotected stacks", async () => {
    const prod = await planStack("prod");
    const rs = structuredClone(prod.resources);
    const ns = rs.find((r) => r.name === "acme-tv-ns") as any;
    ns.inputs.metadata.labels["platform.video/decommission"] = "true";
    ns.options.protect = false;
    (rs.find((r) => r.name === "acme-tv-stream-key") as any).options.protect = false;
    assert.deepEqual(checkResources(rs, ctxOf("prod")), []);
    const staging = await planStack("staging");
    assert.ok(staging.resources.some((r) => r.type === "hcloud:index/server:Server" && !r.options.protect));
    assert.deepEqual(checkResources(staging.resources, ctxOf("staging")), []);
  });

  it("SITE-FW-003 accepts a firewall id unknown in a first preview, still requires the dependency", async () => {
    const p = await planStack("staging");
    const unknown = mutated(p, "site-cp-1", (r) => (r.inputs.firewallIds = UNKNOWN));
    assert.deepEqual(checkResources(unknown, ctxOf("staging")), []);
    const detached = mutated(p, "site-cp-1", (r) => (r.options.dependsOn = []));
    assert.deepEqual(raised(detached, "staging").ids, ["SITE-FW-003"]);
  });
});

describe("guardrails: breaking the program (a tenant, the platform or the site) fails the plan", () => {
  it("each break is caught by its rule, on the resource broken, and nothing else is flagged", async function () {
    const p = await brokenPlan();
    const v = checkResources(p.resources, ctxOf("prod"));
    const brokenUrns = new Set(BREAKS.map((b) => byName(p, b.name).urn));
    for (const b of BREAKS)
      for (const rule of b.rules)
        assert.ok(
          v.some((x) => x.rule === rule && x.urn === byName(p, b.name).urn),
          `${rule} missed ${b.what}: ${JSON.stringify(v.filter((x) => x.rule === rule))}`,
        );
    assert.deepEqual([...new Set(v.map((x) => x.rule))].sort(), RULES.map((r) => r.id).sort(), "every rule fired");
    assert.deepEqual(
      v.filter((x) => !brokenUrns.has(x.urn)),
      [],
      "no violation on a resource that was not broken",
    );
  });

  describe("through the plan CLI (`npm run plan`'s entry point, the breaks preloaded)", () => {
    interface Run {
      status: number | null;
      stdout: string;
      stderr: string;
      out: string;
    }
    /** The CLI on prod with `breaks` (VP_GUARDRAIL_BREAKS) and extra env; the three runs go in parallel. */
    const cli = (breaks: string, env: Record<string, string> = {}): Promise<Run> =>
      new Promise((resolve, reject) => {
        const out = join(mkdtempSync(join(tmpdir(), "vp-guard-")), "plan.json");
        const preload = join(repoRoot, "build/test/helpers/break-preload.js");
        const child = spawn(
          process.execPath,
          ["-r", preload, join(repoRoot, "build/tools/plan/cli.js"), "--stack", "prod", "--json", out, "--quiet"],
          { cwd: repoRoot, env: { ...process.env, VP_GUARDRAIL_BREAKS: breaks, ...env } },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr, out }));
      });
    let all: Run, one: Run, off: Run;
    before(async () => {
      [all, one, off] = await Promise.all([
        cli("all"),
        cli("TEN-PSS-001"),
        cli("TEN-PSS-001", { VP_PLAN_GUARDRAILS: "off" }),
      ]);
    });

    it("every break: exit 1, one line per violation naming rule, resource and fix, nothing written", () => {
      assert.equal(all.status, 1, all.stderr);
      assert.ok(!existsSync(all.out), "no plan written");
      assert.equal(all.stdout, "");
      const lines = all.stderr.trim().split("\n");
      assert.match(lines[lines.length - 1], /^plan: \d+ guardrail violation\(s\); nothing written$/);
      for (const id of RULES.map((x) => x.id))
        assert.ok(
          lines.some(
            (l) => l.startsWith(`${id} urn:pulumi:prod::video-platform::`) && l.includes(`; fix: ${ruleById(id).fix}`),
          ),
          `${id} not reported`,
        );
      // The example: 6443 opened to the world.
      const fwUrn = "urn:pulumi:prod::video-platform::platform:site:Site$hcloud:index/firewall:Firewall::site-fw";
      assert.ok(
        lines.includes(
          `SITE-FW-001 ${fwUrn}: rules[4] (tcp 6443, "debugging") is open to 0.0.0.0/0; fix: ${ruleById("SITE-FW-001").fix}`,
        ),
      );
    });

    it("one break in a sample tenant: exit 1 with exactly its rule", () => {
      assert.equal(one.status, 1, one.stderr);
      const lines = one.stderr.trim().split("\n");
      assert.deepEqual(
        lines.slice(0, -1).map((l) => l.split(" ")[0]),
        ["TEN-PSS-001"],
      );
      assert.match(
        lines[0],
        /Namespace::acme-tv-ns: acme-tv: pod-security\.kubernetes\.io\/enforce must be restricted; fix: /,
      );
    });

    it("VP_PLAN_GUARDRAILS=off (the diff's child plans only) plans without the check", () => {
      assert.equal(off.status, 0, off.stderr);
      assert.ok(existsSync(off.out));
      assert.equal(off.stderr, "");
    });
  });
});

// ---------------------------------------------------------------------------------------------
// In-cluster: the admission policies' CEL, evaluated.

interface AdmissionRequest {
  operation: "CREATE" | "UPDATE";
  group: string;
  resource: string;
  object: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
  namespaceObject?: Record<string, unknown>;
  groups?: string[];
}

const compiled = new Map<string, (ctx: object) => unknown>();
function cel(expression: string, ctx: object): unknown {
  let f = compiled.get(expression);
  if (!f) {
    f = parseCel(expression) as unknown as (ctx: object) => unknown;
    compiled.set(expression, f);
  }
  return f(ctx);
}

/**
 * What the API server does with one policy for one request: match (resource rules and the tenant
 * namespace selector), match conditions, variables, then every validation; the denial messages.
 */
function review(p: AdmissionPolicy, req: AdmissionRequest): { matched: boolean; denied: string[] } {
  const mc = p.spec.matchConstraints as any;
  const ruleMatch = (mc.resourceRules as any[]).some(
    (r) =>
      r.apiGroups.includes(req.group) && r.resources.includes(req.resource) && r.operations.includes(req.operation),
  );
  const nsLabels = ((req.namespaceObject?.metadata as any)?.labels ?? {}) as Record<string, string>;
  const selectorMatch =
    !mc.namespaceSelector ||
    (mc.namespaceSelector.matchExpressions as any[]).every((e) => {
      assert.equal(e.operator, "Exists", "this evaluator knows Exists only");
      return e.key in nsLabels;
    });
  if (!ruleMatch || !selectorMatch) return { matched: false, denied: [] };
  const ctx: Record<string, unknown> = {
    object: req.object,
    ...(req.oldObject ? { oldObject: req.oldObject } : {}),
    ...(req.namespaceObject ? { namespaceObject: req.namespaceObject } : {}),
    request: {
      operation: req.operation,
      userInfo: { username: "someone", groups: req.groups ?? ["system:authenticated"] },
    },
  };
  for (const c of p.spec.matchConditions ?? [])
    if (cel(c.expression, ctx) !== true) return { matched: false, denied: [] };
  const variables: Record<string, unknown> = {};
  ctx.variables = variables;
  for (const v of p.spec.variables ?? []) variables[v.name] = cel(v.expression, ctx);
  const denied: string[] = [];
  for (const v of p.spec.validations) {
    const ok = cel(v.expression, ctx);
    assert.equal(typeof ok, "boolean", `${v.expression} must be boolean`);
    if (!ok) {
      const message = v.messageExpression ? cel(v.messageExpression, ctx) : v.message;
      assert.equal(typeof message, "string");
      denied.push(message as string);
    }
  }
  return { matched: true, denied };
}

const policy = (rule: string) => ADMISSION_POLICIES.find((p) => p.rule === rule) as AdmissionPolicy;
const tenantNs = (domains?: string, extraLabels: Record<string, string> = {}) => ({
  metadata: {
    name: "acme-tv",
    labels: {
      "platform.video/tenant": "acme-tv",
      "platform.video/tier": "standard",
      "pod-security.kubernetes.io/enforce": "restricted",
      "kubernetes.io/metadata.name": "acme-tv",
      ...extraLabels,
    },
    annotations: {
      "platform.video/display-name": "ACME TV",
      ...(domains === undefined ? {} : { [DOMAINS_ANNOTATION]: domains }),
    },
  },
});

describe("guardrails in the cluster: ValidatingAdmissionPolicies (CEL evaluated)", () => {
  it("every expression parses, as standard CEL", () => {
    for (const p of ADMISSION_POLICIES) for (const e of celExpressions(p)) assert.doesNotThrow(() => parseCel(e), e);
  });

  it("the policies and bindings validate against the Kubernetes schema; the plan declares them as written", async () => {
    // The models' validate() is untyped in their declarations.
    const models = (await import("kubernetes-models/admissionregistration.k8s.io/v1")) as any;
    const { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } = models;
    for (const stack of STACKS) {
      const p = await planStack(stack);
      for (const a of ADMISSION_POLICIES) {
        const m = admissionManifests(a);
        new ValidatingAdmissionPolicy(m.policy as any).validate();
        new ValidatingAdmissionPolicyBinding(m.binding as any).validate();
        const declared = byName(p, `platform-vap-${a.key}`);
        const binding = byName(p, `platform-vap-${a.key}-binding`);
        assert.deepEqual(declared.inputs, JSON.parse(JSON.stringify(m.policy)));
        assert.deepEqual(binding.inputs, JSON.parse(JSON.stringify(m.binding)));
        assert.ok(binding.options.dependsOn.includes(declared.urn), "bound after the policy exists");
        // Argo CD (and so every tenant app) comes after the bindings.
        assert.ok(byName(p, "platform-argocd").options.dependsOn.includes(binding.urn));
      }
    }
    // The schema check is real: an unknown validation action fails.
    const bad = admissionManifests(ADMISSION_POLICIES[0]).binding as any;
    assert.throws(() => new ValidatingAdmissionPolicyBinding({ ...bad, spec: { policyName: 1 } }).validate());
  });

  it("the plan binds every policy with Deny, failing closed, to the resources written out here", async () => {
    // Literal: an Audit or Warn binding, failurePolicy Ignore or a narrowed match in the data
    // (components/rules/admission.ts) must fail this test, not move it along.
    const expected: Record<string, { policy: string; resources: string[]; operations: string[] }> = {
      "ingress-hosts": {
        policy: "platform-tenant-ingress-hosts",
        resources: ["ingresses"],
        operations: ["CREATE", "UPDATE"],
      },
      "service-types": {
        policy: "platform-tenant-service-types",
        resources: ["services"],
        operations: ["CREATE", "UPDATE"],
      },
      "namespace-labels": {
        policy: "platform-tenant-namespace-labels",
        resources: ["namespaces"],
        operations: ["UPDATE"],
      },
    };
    for (const stack of STACKS) {
      const p = await planStack(stack);
      assert.deepEqual(
        p.resources
          .filter((r) => r.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")
          .map((b) => b.name)
          .sort(),
        Object.keys(expected)
          .map((k) => `platform-vap-${k}-binding`)
          .sort(),
      );
      for (const [key, want] of Object.entries(expected)) {
        const policy = byName(p, `platform-vap-${key}`) as any;
        const binding = byName(p, `platform-vap-${key}-binding`) as any;
        assert.deepEqual(binding.inputs.spec, { policyName: want.policy, validationActions: ["Deny"] }, key);
        assert.equal(binding.inputs.metadata.name, want.policy);
        assert.equal(policy.inputs.metadata.name, want.policy);
        assert.equal(policy.inputs.spec.failurePolicy, "Fail", key);
        const rules = policy.inputs.spec.matchConstraints.resourceRules;
        assert.deepEqual(rules.map((r: any) => r.resources).flat(), want.resources, key);
        assert.deepEqual(rules.map((r: any) => r.operations).flat(), want.operations, key);
        assert.equal(policy.inputs.spec.matchConstraints.excludeResourceRules, undefined, key);
        assert.equal(policy.inputs.spec.matchConstraints.objectSelector, undefined, key);
        // Every validation forbids: no warn-only reason.
        for (const v of policy.inputs.spec.validations) assert.equal(v.reason, "Forbidden", key);
      }
      // Tenant resources are matched by the tenant label on their namespace.
      for (const key of ["ingress-hosts", "service-types"])
        assert.deepEqual((byName(p, `platform-vap-${key}`).inputs as any).spec.matchConstraints.namespaceSelector, {
          matchExpressions: [{ key: "platform.video/tenant", operator: "Exists" }],
        });
    }
  });

  it("declared = stored up to the server's no-op defaults; anything narrowing differs", () => {
    const [ing, , nsl] = ADMISSION_POLICIES;
    const stored = (spec: any) => ({
      ...structuredClone(spec),
      matchConstraints: {
        matchPolicy: "Equivalent",
        namespaceSelector: {},
        objectSelector: {},
        ...structuredClone(spec.matchConstraints),
        resourceRules: spec.matchConstraints.resourceRules.map((r: any) => ({ ...r, scope: "*" })),
      },
    });
    assert.ok(sameAdmissionSpec(stored(ing.spec), ing.spec));
    assert.ok(sameAdmissionSpec(stored(nsl.spec), nsl.spec), "an empty namespaceSelector matches all, as none does");
    const binding = { policyName: ing.name, validationActions: ["Deny"] };
    assert.ok(
      sameAdmissionSpec({ ...binding, matchResources: { namespaceSelector: {}, objectSelector: {} } }, binding),
    );
    for (const [what, spec] of [
      ["failurePolicy Ignore", { ...stored(ing.spec), failurePolicy: "Ignore" }],
      ["a validation dropped", { ...stored(ing.spec), validations: ing.spec.validations.slice(1) }],
      ["a match condition added", { ...stored(ing.spec), matchConditions: [{ name: "x", expression: "false" }] }],
      [
        "an exclusion",
        {
          ...stored(ing.spec),
          matchConstraints: {
            ...stored(ing.spec).matchConstraints,
            excludeResourceRules: [{ apiGroups: ["*"], resources: ["*"] }],
          },
        },
      ],
      [
        "an object selector",
        {
          ...stored(nsl.spec),
          matchConstraints: { ...stored(nsl.spec).matchConstraints, objectSelector: { matchLabels: { a: "b" } } },
        },
      ],
    ] as const)
      assert.ok(!sameAdmissionSpec(spec, what.startsWith("an object") ? nsl.spec : ing.spec), what);
    assert.ok(
      !sameAdmissionSpec({ ...binding, matchResources: { namespaceSelector: { matchLabels: { a: "b" } } } }, binding),
    );
    assert.ok(!sameAdmissionSpec({ ...binding, validationActions: ["Deny", "Audit"] }, binding));
  });

  it("every tenant namespace carries its domains for the policy to read", async () => {
    const p = await planStack("staging");
    assert.equal(
      (byName(p, "acme-tv-ns").inputs.metadata as any).annotations[DOMAINS_ANNOTATION],
      "live.acme-tv.example,vod.acme-tv.example",
    );
    assert.equal((byName(p, "kiez-radio-ns").inputs.metadata as any).annotations[DOMAINS_ANNOTATION], "");
  });

  describe("TEN-ING-001: Ingress hosts within the tenant's domains", () => {
    const ing = (spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "web", namespace: "acme-tv", ...(annotations ? { annotations } : {}) },
      spec,
    });
    const rule = (host?: string) => ({
      ...(host ? { host } : {}),
      http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] },
    });
    /** `domains`: the namespace annotation, null for none. */
    const run = (object: object, domains: string | null = "live.acme-tv.example,vod.acme-tv.example") =>
      review(policy("TEN-ING-001"), {
        operation: "CREATE",
        group: "networking.k8s.io",
        resource: "ingresses",
        object: object as Record<string, unknown>,
        namespaceObject: tenantNs(domains ?? undefined),
      });

    it("admits declared hosts, with TLS for them", () => {
      const ok = run(
        ing({
          rules: [rule("live.acme-tv.example"), rule("vod.acme-tv.example")],
          tls: [{ hosts: ["live.acme-tv.example"], secretName: "t" }],
        }),
      );
      assert.deepEqual(ok, { matched: true, denied: [] });
      // cert-manager's HTTP-01 solver Ingress for a tenant certificate: the certificate's own host.
      const solver = ing(
        { rules: [{ host: "vod.acme-tv.example", http: { paths: [{ path: "/.well-known/acme-challenge/x" }] } }] },
        { "nginx.ingress.kubernetes.io/whitelist-source-range": "0.0.0.0/0,::/0" },
      );
      assert.deepEqual(run(solver), { matched: true, denied: [] });
      assert.equal(run(ing({ rules: [rule("vod.acme-tv.example")] }), null).denied.length, 1, "no annotation: no host");
    });

    for (const [what, object, domains] of [
      ["another tenant's host", ing({ rules: [rule("live.nordicsports.example")] }), undefined],
      ["a suffix of a declared host", ing({ rules: [rule("acme-tv.example")] }), undefined],
      ["a subdomain of a declared host", ing({ rules: [rule("evil.live.acme-tv.example")] }), undefined],
      ["a rule without host (every host)", ing({ rules: [rule()] }), undefined],
      [
        "a TLS host outside",
        ing({ rules: [rule("live.acme-tv.example")], tls: [{ hosts: ["www.bank.example"] }] }),
        undefined,
      ],
      ["a default backend", ing({ defaultBackend: { service: { name: "web", port: { number: 80 } } } }), undefined],
      [
        "a server alias",
        ing(
          { rules: [rule("live.acme-tv.example")] },
          { "nginx.ingress.kubernetes.io/server-alias": "www.bank.example" },
        ),
        undefined,
      ],
      ["a namespace without declared domains", ing({ rules: [rule("live.acme-tv.example")] }), ""],
    ] as const)
      it(`denies ${what}`, () => {
        const r = run(object, domains ?? undefined);
        assert.equal(r.matched, true);
        assert.equal(r.denied.length, 1, JSON.stringify(r.denied));
      });

    it("the message names the allowed domains; non-tenant namespaces are not matched", () => {
      const r = run(ing({ rules: [rule("x.example")] }));
      assert.match(
        r.denied[0],
        /^every spec\.rules\[\]\.host must be one of the tenant domains \[live\.acme-tv\.example,vod\.acme-tv\.example\]/,
      );
      const platform = review(policy("TEN-ING-001"), {
        operation: "CREATE",
        group: "networking.k8s.io",
        resource: "ingresses",
        object: ing({ rules: [rule("argocd.example")] }),
        namespaceObject: { metadata: { name: "argocd", labels: { "platform.video/platform": "true" } } },
      });
      assert.deepEqual(platform, { matched: false, denied: [] });
    });
  });

  describe("TEN-SVC-001: ClusterIP Services only in tenant namespaces", () => {
    const svc = (spec: Record<string, unknown>) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "s" },
      spec,
    });
    const run = (object: object) =>
      review(policy("TEN-SVC-001"), {
        operation: "CREATE",
        group: "",
        resource: "services",
        object: object as any,
        namespaceObject: tenantNs(""),
      });

    it("admits ClusterIP, the default type and headless Services", () => {
      for (const spec of [
        { type: "ClusterIP", ports: [{ port: 80 }] },
        { ports: [{ port: 80 }] },
        { clusterIP: "None", ports: [{ port: 80 }] },
      ])
        assert.deepEqual(run(svc(spec)), { matched: true, denied: [] }, JSON.stringify(spec));
    });

    for (const type of ["NodePort", "LoadBalancer", "ExternalName"])
      it(`denies type ${type}`, () => {
        const r = run(svc({ type, ports: [{ port: 80 }] }));
        assert.equal(r.denied.length, 1);
        assert.match(r.denied[0], new RegExp(`^Service type ${type} is not allowed in tenant namespaces`));
      });

    it("denies externalIPs (CVE-2020-8554)", () => {
      assert.equal(run(svc({ type: "ClusterIP", externalIPs: ["203.0.113.9"] })).denied.length, 1);
      assert.deepEqual(run(svc({ type: "ClusterIP", externalIPs: [] })).denied, []);
    });
  });

  describe("TEN-NSL-001: the platform's namespace labels and annotations stay", () => {
    const run = (oldObject: any, object: any, groups?: string[]) =>
      review(policy("TEN-NSL-001"), {
        operation: "UPDATE",
        group: "",
        resource: "namespaces",
        object,
        oldObject,
        groups,
      });
    const old = () => tenantNs("live.acme-tv.example");

    it("admits tenant-owned changes and leaves cluster admins (Pulumi) alone", () => {
      const mine = old();
      (mine.metadata.labels as any)["team"] = "video";
      (mine.metadata.annotations as any)["example.com/owner"] = "ops";
      assert.deepEqual(run(old(), mine), { matched: true, denied: [] });
      const decommission = old();
      (decommission.metadata.labels as any)["platform.video/decommission"] = "true";
      assert.deepEqual(run(old(), decommission, ["system:masters", "system:authenticated"]), {
        matched: false,
        denied: [],
      });
      const platformNs = { metadata: { name: "argocd", labels: { "platform.video/platform": "true" } } };
      assert.deepEqual(
        run(platformNs, { metadata: { name: "argocd" } }),
        { matched: false, denied: [] },
        "only tenant namespaces",
      );
    });

    const change = (f: (m: any) => void) => {
      const o = old();
      f(o.metadata);
      return o;
    };
    for (const [what, object] of [
      ["removing the tenant label", change((m) => delete m.labels["platform.video/tenant"])],
      ["relaxing Pod Security", change((m) => (m.labels["pod-security.kubernetes.io/enforce"] = "privileged"))],
      ["removing every label", change((m) => delete m.labels)],
      ["adding a platform label", change((m) => (m.labels["platform.video/decommission"] = "true"))],
      [
        "adding a Pod Security exemption label",
        change((m) => (m.labels["pod-security.kubernetes.io/enforce-version"] = "v1.20")),
      ],
      [
        "widening the domains",
        change((m) => (m.annotations[DOMAINS_ANNOTATION] = "live.acme-tv.example,www.bank.example")),
      ],
      ["removing the domains", change((m) => delete m.annotations[DOMAINS_ANNOTATION])],
      ["adding a platform annotation", change((m) => (m.annotations["platform.video/note"] = "x"))],
    ] as const)
      it(`denies ${what} (Argo CD, tenants, anyone but cluster admins)`, () => {
        const r = run(old(), object, ["system:serviceaccounts", "system:serviceaccounts:argocd"]);
        assert.equal(r.matched, true);
        assert.equal(r.denied.length >= 1, true, JSON.stringify(r));
      });
  });
});

describe("guardrails: lint, format and the README", () => {
  it("eslint applies @pulumi's Output rules as errors to the rules and the policy pack; prettier and CI cover them", async () => {
    const { ESLint } = await import("eslint");
    const eslint = new ESLint({ cwd: repoRoot });
    for (const f of [
      "components/rules/index.ts",
      "policy/index.ts",
      "policy/policies.ts",
      "components/platform/admission.ts",
    ]) {
      assert.equal(await eslint.isPathIgnored(f), false, f);
      const c = await eslint.calculateConfigForFile(f);
      for (const rule of ["@pulumi/no-output-in-template-literal", "@pulumi/no-output-instance-in-template-literal"])
        assert.deepEqual(c.rules?.[rule], [2], `${f}: ${rule} is an error`);
    }
    const ignored = readFileSync(join(repoRoot, ".prettierignore"), "utf8");
    assert.doesNotMatch(ignored, /^(policy|components)\b/m);
    const ci = readFileSync(join(repoRoot, ".ci/run"), "utf8");
    assert.match(ci, /^npm run lint$/m);
    assert.match(ci, /^npm run format:check$/m);
    const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts;
    assert.equal(scripts.lint, "eslint .");
    assert.equal(scripts["format:check"], "prettier --check .");
  });

  it("the README's Guardrails table lists every rule id with its description and where it is enforced", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.split(/^## Guardrails$/m)[1]?.split(/^## /m)[0];
    assert.ok(section, "README has a ## Guardrails section");
    const rows = section
      .split("\n")
      .map((l) => /^\| `([A-Z]+(?:-[A-Z]+)?-\d{3})` +\| (.*?) +\| (.*?) +\|$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m);
    assert.deepEqual(
      rows.map((m) => m[1]),
      RULES.map((r) => r.id),
    );
    for (const [, id, description, where] of rows) {
      const r = ruleById(id);
      assert.equal(description, r.description, id);
      assert.equal(where, r.enforcedIn.join(", "), id);
    }
  });
});

describe("site rules over hand-made firewalls and load balancers (pure)", () => {
  const ctx: SiteContext = {
    stack: "t",
    protected: false,
    adminCidrs: ["198.51.100.0/28", "2001:DB8::/32"],
    blockedRanges: [],
  };
  const res = (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    dependsOn: string[] = [],
  ): RuleResource => ({
    urn: `urn:pulumi:t::p::${type}::${name}`,
    type,
    name,
    parent: null,
    inputs,
    options: { protect: false, dependsOn },
  });
  const FW = "hcloud:index/firewall:Firewall";
  const firewall = (...rules: Record<string, unknown>[]) => res(FW, "fw", { rules });
  const messages = (id: string, resources: RuleResource[]) =>
    ruleById(id)
      .check(resources, ctx)
      .map((v) => v.message);

  it("port ranges: one port, a range, and anything unreadable or missing means every port", () => {
    assert.deepEqual(portRange("22"), [22, 22]);
    assert.deepEqual(portRange(" 443 "), [443, 443]);
    assert.deepEqual(portRange("6000-7000"), [6000, 7000]);
    assert.deepEqual(portRange("any"), [1, 65535]);
    assert.deepEqual(portRange(""), [1, 65535]);
    assert.deepEqual(portRange(undefined), [1, 65535]);
    assert.deepEqual(portRange("22,80"), [1, 65535]);
  });

  it("world-open: the whole IPv4 or IPv6 space in any spelling or split, or an unreadable source", () => {
    for (const s of [
      ["0.0.0.0/0"],
      ["::/0"],
      ["0::/0"],
      ["0.0.0.0/00"],
      ["0.0.0.0/1", "128.0.0.0/1"],
      ["any"],
      ["10.0.0.0/8", "x"],
    ])
      assert.equal(isWorldOpen(s), true, s.join(" "));
    for (const s of [[], ["10.0.0.0/8"], ["0.0.0.0/1"], ["0.0.0.0/1", "128.0.0.0/2", "2001:db8::/32"]])
      assert.equal(isWorldOpen(s), false, s.join(" "));
  });

  it("SITE-FW-001: from the world only TCP 80 and 443, one port each, inbound", () => {
    const world = ["0.0.0.0/0", "::/0"];
    assert.deepEqual(
      messages("SITE-FW-001", [
        firewall(
          { direction: "in", protocol: "tcp", port: "80", sourceIps: world },
          { direction: "in", protocol: "tcp", port: "443", sourceIps: world, description: "HTTPS" },
          { port: "443", sourceIps: world }, // direction and protocol default to in and tcp
          { direction: "out", protocol: "tcp", port: "22", destinationIps: world, sourceIps: world },
          { direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.0/28"] },
        ),
      ]),
      [],
    );
    assert.deepEqual(
      messages("SITE-FW-001", [
        firewall(
          { direction: "in", protocol: "tcp", port: "8443", sourceIps: world },
          { direction: "in", protocol: "udp", port: "443", sourceIps: ["::/0"] },
          { direction: "in", protocol: "tcp", port: "80-443", sourceIps: ["0.0.0.0/0"], description: "web" },
          { port: "22", sourceIps: ["0.0.0.0/1", "128.0.0.0/1"] },
          { direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0"] },
        ),
      ]),
      [
        "rules[0] (tcp 8443) is open to 0.0.0.0/0, ::/0",
        "rules[1] (udp 443) is open to ::/0",
        'rules[2] (tcp 80-443, "web") is open to 0.0.0.0/0',
        "rules[3] (tcp 22) is open to 0.0.0.0/1, 128.0.0.0/1",
        "rules[4] (icmp any) is open to 0.0.0.0/0",
      ],
    );
  });

  it("SITE-FW-002: TCP ranges covering 22 or 6443 admit exactly the admin CIDRs (IPv6 case-insensitive)", () => {
    assert.deepEqual(
      messages("SITE-FW-002", [
        firewall(
          { direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.0/28", "2001:db8::/32"] },
          { direction: "in", protocol: "udp", port: "22", sourceIps: ["203.0.113.0/24"] },
          { direction: "in", protocol: "tcp", port: "23-6442", sourceIps: ["203.0.113.0/24"] },
          { direction: "out", protocol: "tcp", port: "6443", sourceIps: ["203.0.113.0/24"] },
        ),
      ]),
      [],
    );
    assert.deepEqual(
      messages("SITE-FW-002", [
        firewall(
          { direction: "in", protocol: "tcp", port: "20-25", sourceIps: ["198.51.100.0/28", "203.0.113.0/24"] },
          { direction: "in", protocol: "tcp", port: "6443", sourceIps: ["198.51.100.0/27"] },
          { direction: "in", port: "any", sourceIps: ["203.0.113.9/32"] },
        ),
      ]),
      [
        "rules[0] (tcp 20-25) lets 203.0.113.0/24 reach port 22; only adminCidrs [198.51.100.0/28, 2001:DB8::/32] may",
        "rules[1] (tcp 6443) lets 198.51.100.0/27 reach port 6443; only adminCidrs [198.51.100.0/28, 2001:DB8::/32] may",
        "rules[2] (tcp any) lets 203.0.113.9/32 reach port 22 and 6443; only adminCidrs [198.51.100.0/28, 2001:DB8::/32] may",
      ],
    );
  });

  it("SITE-FW-003: a server must list a firewall and depend on this stack's firewall", () => {
    const fw = firewall();
    const server = (name: string, firewallIds: unknown, dependsOn: string[]) =>
      res("hcloud:index/server:Server", name, { firewallIds }, dependsOn);
    assert.deepEqual(
      messages("SITE-FW-003", [
        fw,
        server("a", [1], [fw.urn]),
        server("b", UNKNOWN, [fw.urn]),
        server("c", [], [fw.urn]),
        server("d", [1], []),
        server("e", undefined, ["urn:other"]),
      ]),
      ["c", "d", "e"].map((n) => `server ${n} is not attached to a firewall of this stack: every port would be open`),
    );
  });

  it("SITE-LB-001: only the ingress load balancer keeps a public interface", () => {
    const LB = "hcloud:index/loadBalancer:LoadBalancer";
    const NET = "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork";
    const ingress = res(LB, "ingress", { labels: { "platform.video/role": "ingress" } });
    const api = res(LB, "api", { labels: { "platform.video/role": "api" } });
    const bare = res(LB, "bare", {});
    assert.deepEqual(
      messages("SITE-LB-001", [ingress, api, res(NET, "api-net", { enablePublicInterface: false }, [api.urn])]),
      [],
    );
    assert.deepEqual(
      messages("SITE-LB-001", [
        ingress,
        api,
        bare,
        res(NET, "api-net", { enablePublicInterface: true }, [api.urn]),
        res(NET, "api-net-2", {}, [api.urn]),
      ]),
      [
        "load balancer api keeps its public interface (api-net): anyone on the internet reaches its services",
        "load balancer api keeps its public interface (api-net-2): anyone on the internet reaches its services",
        "load balancer bare has no private network attachment, so only its public interface serves: anyone on the internet reaches it",
      ],
    );
  });
});
