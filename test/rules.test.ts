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
import { CLUSTER_POLICIES, checkResources, formatViolation, RULES, ruleById, siteContext } from "../components/rules";
import {
  AdmissionPolicy,
  admissionManifests,
  celExpressions,
  DOMAINS_ANNOTATION,
  sameAdmissionSpec,
} from "../components/rules/admission";
import { isWorldOpen, portRange } from "../components/rules/site";
import { RuleResource, SiteContext, UNKNOWN } from "../components/rules/types";
import { BREAKS, brokenPlan } from "./helpers/breaks";
import { cel } from "./helpers/cel";
import { byName, Plan, PlannedResource, planStack, readStackConfig, repoRoot } from "./helpers/harness";
import { domainsOnNamespaces } from "./helpers/tenant-properties";
import { planSample, SAMPLE_TENANTS, tenantFiles } from "./helpers/tenants";

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
    assert.equal(RULES.length, 41);
    for (const r of RULES) {
      assert.match(r.id, /^(TEN|SITE|SEC|PROT)(-[A-Z]+)?-\d{3}$/, r.id);
      assert.ok(r.description.length > 20 && !r.description.includes("\n"), `${r.id}: one line`);
      assert.ok(r.fix.length > 20, `${r.id}: a fix`);
      // Every rule runs on every plan; one whose data the plan cannot see (user-data) says why.
      assert.ok(r.enforcedIn.includes("plan") || r.notEnforcedIn?.plan, `${r.id}: every rule runs on every plan`);
      if (!r.enforcedIn.includes("preview"))
        assert.ok(r.notEnforcedIn?.preview, `${r.id}: says why a preview cannot check it`);
    }
    assert.deepEqual(
      RULES.filter((r) => r.enforcedIn.includes("cluster")).map((r) => r.id),
      CLUSTER_POLICIES.map((p) => p.rule),
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
      // prod's control planes are cx43 (16 GB): half of it, etcd's suggested maximum.
      datastore: { quotaBytes: 8589934592, serverType: "cx43" },
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
  type Case = [
    id: string,
    stack: string,
    name: string,
    what: string,
    f: (r: any) => unknown,
    at?: string,
    also?: string[],
  ];
  const fw = (port: string, sourceIps: string[]) => ({ direction: "in", protocol: "tcp", port, sourceIps });
  const cases: Case[] = [
    [
      "TEN-PSS-001",
      "staging",
      "demo-tv-ns",
      "warn label removed",
      (r) => delete r.inputs.metadata.labels["pod-security.kubernetes.io/warn"],
    ],
    [
      "TEN-PSS-001",
      "staging",
      "demo-radio-ns",
      "another tenant's label",
      (r) => (r.inputs.metadata.labels["platform.video/tenant"] = "demo-tv"),
    ],
    [
      "TEN-QTA-001",
      "staging",
      "demo-radio-quota",
      "load balancers allowed",
      (r) => (r.inputs.spec.hard["services.loadbalancers"] = "1"),
    ],
    ["TEN-QTA-001", "staging", "demo-tv-quota", "pods unbounded", (r) => delete r.inputs.spec.hard.pods],
    [
      "TEN-LIM-001",
      "staging",
      "demo-football-limits",
      "request above default",
      (r) => (r.inputs.spec.limits[0].defaultRequest.memory = "64Gi"),
    ],
    [
      "TEN-NET-001",
      "staging",
      "demo-tv-netpol",
      "only some pods",
      (r) => (r.inputs.spec.podSelector = { matchLabels: { a: "b" } }),
    ],
    ["TEN-NET-002", "staging", "demo-tv-netpol", "from everyone", (r) => r.inputs.spec.ingress.push({})],
    [
      "TEN-NET-003",
      "staging",
      "demo-tv-netpol",
      "every namespace reachable",
      (r) => r.inputs.spec.egress.push({ to: [{ namespaceSelector: {} }] }),
    ],
    ["TEN-RBAC-001", "staging", "platform-tenant-admin", "wildcard", (r) => (r.inputs.rules[0].resources = ["*"])],
    [
      "TEN-RBAC-002",
      "staging",
      "demo-football-admin-binding",
      "binds cluster-admin",
      (r) => (r.inputs.roleRef.name = "cluster-admin"),
    ],
    [
      "TEN-ARGO-001",
      "staging",
      "demo-radio-project",
      "cluster-scoped kinds allowed",
      (r) => (r.inputs.spec.clusterResourceWhitelist = [{ group: "", kind: "Namespace" }]),
    ],
    [
      "TEN-ARGO-002",
      "staging",
      "demo-tv-app",
      "cascading finalizer",
      (r) => (r.inputs.metadata.finalizers = ["resources-finalizer.argocd.argoproj.io"]),
    ],
    [
      "TEN-RTE-001",
      "staging",
      "demo-tv-ns",
      "no domains annotation",
      (r) => delete r.inputs.metadata.annotations[DOMAINS_ANNOTATION],
    ],
    [
      "TEN-RTE-001",
      "staging",
      "demo-tv-cert",
      "certificate for a host the tenant does not declare",
      (r) => r.inputs.spec.dnsNames.push("www.bank.example"),
    ],
    [
      "TEN-RTE-001",
      "staging",
      "platform-vap-route-hosts",
      "failurePolicy Ignore",
      (r) => (r.inputs.spec.failurePolicy = "Ignore"),
    ],
    [
      "TEN-RTE-002",
      "staging",
      "demo-tv-listeners",
      "listener admits routes from every namespace",
      (r) => (r.inputs.spec.listeners[0].allowedRoutes.namespaces = { from: "All" }),
    ],
    [
      "TEN-RTE-002",
      "prod",
      "demo-football-listeners",
      "a wildcard listener",
      (r) => (r.inputs.spec.listeners[0].hostname = "*.example"),
    ],
    [
      "TEN-RTE-002",
      "prod",
      "platform-gateway",
      "the Gateway admits ListenerSets from every namespace",
      (r) => (r.inputs.spec.allowedListeners.namespaces.from = "All"),
    ],
    ["TEN-RTE-002", "prod", "platform-vap-route-parents-binding", "no binding", () => null, "platform"],
    [
      "TEN-RTE-003",
      "staging",
      "platform-vap-route-backends",
      "backend check dropped",
      (r) => (r.inputs.spec.validations = [{ expression: "true", message: "ok", reason: "Forbidden" }]),
    ],
    [
      "TEN-EDGE-001",
      "staging",
      "platform-tenant-admin",
      "tenant admins may create Ingresses again",
      (r) => r.inputs.rules.push({ apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["create"] }),
      undefined,
      // A kind the admins may create is a kind their quota must count.
      ["TEN-QTA-002"],
    ],
    [
      "TEN-EDGE-001",
      "prod",
      "platform-vap-edge-kinds",
      "ReferenceGrants dropped from the policy",
      (r) =>
        (r.inputs.spec.matchConstraints.resourceRules = r.inputs.spec.matchConstraints.resourceRules.map((x: any) => ({
          ...x,
          resources: x.resources.filter((y: string) => y !== "referencegrants"),
        }))),
    ],
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
      (r) => delete r.inputs.spec.acme.solvers[0].http01.gatewayHTTPRoute.serviceType,
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
    [
      "TEN-ARGO-003",
      "staging",
      "demo-tv-project",
      "syncs as the controller (no destinationServiceAccounts)",
      (r) => delete r.inputs.spec.destinationServiceAccounts,
    ],
    [
      "TEN-ARGO-003",
      "staging",
      "demo-radio-project",
      "allow-lists Ingress besides the tenant kinds",
      (r) => r.inputs.spec.namespaceResourceWhitelist.push({ group: "networking.k8s.io", kind: "Ingress" }),
    ],
    ["TEN-ARGO-003", "staging", "demo-football-sync-sa", "no sync ServiceAccount", () => null, "demo-football"],
    [
      "TEN-ARGO-003",
      "staging",
      "platform-tenant-sync",
      "sync role may impersonate",
      (r) => r.inputs.rules[0].verbs.push("impersonate"),
    ],
    [
      "TEN-ARGO-004",
      "staging",
      "platform-argocd",
      "values (seen decrypted, as a preview sees them) with impersonation off",
      (r) => (r.inputs.values = { configs: { cm: { "application.sync.impersonation.enabled": "false" } } }),
    ],
    [
      "TEN-ARGO-005",
      "staging",
      "demo-tv-app",
      "a tenant Application in the platform's Argo CD (beside the cluster-admin platform project)",
      (r) => (r.inputs.metadata.namespace = "argocd"),
    ],
    [
      "TEN-ARGO-005",
      "prod",
      "platform-argocd-tenants",
      "the tenant Argo CD runs an API server",
      (r) => (r.inputs.values.server.replicas = 1),
    ],
    [
      "TEN-ARGO-005",
      "prod",
      "platform-argocd-tenants",
      "a config management plugin sidecar in the tenant repo-server",
      (r) => (r.inputs.values.repoServer.extraContainers = [{ name: "cmp", image: "registry.invalid/cmp:1" }]),
    ],
    [
      "TEN-ARGO-006",
      "staging",
      "platform-argocd-tenants-cm",
      "remote value files over http(s) allowed",
      (r) => (r.inputs.data["helm.valuesFileSchemes"] = "https, http"),
    ],
    [
      "TEN-ARGO-006",
      "prod",
      "argocd-tenant-scope-cluster",
      "cluster-scoped resources managed",
      (r) => (r.inputs.stringData.clusterResources = "true"),
    ],
    [
      "TEN-ARGO-006",
      "staging",
      "platform-tenant-argocd-controller",
      "the controller reads Secrets",
      (r) => r.inputs.rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] }),
    ],
    [
      "TEN-ARGO-006",
      "staging",
      "demo-radio-argocd-access",
      "no way for the controller into a tenant namespace",
      () => null,
      "demo-radio",
    ],
    [
      "TEN-ARGO-007",
      "staging",
      "argocd-tenant-scope-repo-server-netpol",
      "the tenant repo-server may reach the site's private network",
      (r) => r.inputs.spec.egress.push({ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }),
    ],
    [
      "TEN-ARGO-007",
      "prod",
      "platform-argocd-redis",
      "the platform Redis is reachable from every namespace",
      (r) => r.inputs.spec.ingress[0].from.push({ namespaceSelector: {} }),
    ],
    [
      "TEN-ARGO-007",
      "prod",
      "platform-argocd-tenants-default-deny",
      "no default deny in the tenant Argo CD's namespace",
      () => null,
      "platform",
    ],
    [
      "TEN-QTA-002",
      "staging",
      "demo-tv-quota",
      "CronJobs uncounted",
      (r) => delete r.inputs.spec.hard["count/cronjobs.batch"],
    ],
    [
      "TEN-QTA-002",
      "staging",
      "demo-radio-limits",
      "no ephemeral-storage cap per container",
      (r) => delete r.inputs.spec.limits[0].max["ephemeral-storage"],
    ],
    [
      "TEN-PVC-001",
      "staging",
      "demo-radio-quota",
      "claims on the platform class allowed",
      (r) => delete r.inputs.spec.hard["hcloud-volumes.storageclass.storage.k8s.io/persistentvolumeclaims"],
    ],
    [
      "TEN-PVC-001",
      "staging",
      "platform-storageclass-tenant",
      "tenant class retains volumes",
      (r) => (r.inputs.reclaimPolicy = "Retain"),
    ],
    [
      "TEN-SCHED-001",
      "staging",
      "platform-vap-scheduling",
      "nodeName check dropped",
      (r) => r.inputs.spec.validations.shift(),
    ],
    ["TEN-PRIO-001", "prod", "platform-vap-priority-binding", "no binding", () => null, "platform"],
    [
      "TEN-PDB-001",
      "staging",
      "platform-vap-disruption-budgets",
      "100% minAvailable admitted",
      (r) => r.inputs.spec.validations.pop(),
    ],
    [
      "TEN-SEAL-001",
      "staging",
      "platform-vap-sealed-secret-scope-binding",
      "audit only",
      (r) => (r.inputs.spec.validationActions = ["Audit"]),
    ],
    [
      "TEN-PSS-002",
      "staging",
      "platform-vap-pod-templates-binding",
      "audit only",
      (r) => (r.inputs.spec.validationActions = ["Audit"]),
    ],
    [
      "TEN-ETCD-001",
      "staging",
      "demo-football-quota",
      "5000 pods: the staging datastore (8 GiB on cx43) no longer holds the tenants' worst case",
      (r) => (r.inputs.spec.hard.pods = "5000"),
    ],
    [
      "TEN-PRIO-002",
      "prod",
      "demo-radio-live-quota",
      "tenant-live quota scoped to another class",
      (r) => (r.inputs.spec.scopeSelector.matchExpressions[0].values = ["tenant-standard"]),
      "demo-radio",
    ],
    [
      "TEN-OWN-001",
      "staging",
      "platform-vap-platform-objects",
      "the platform label no longer selects (every object or none)",
      (r) => delete r.inputs.spec.matchConstraints.objectSelector,
    ],
    ["TEN-CRED-001", "prod", "platform-vap-token-secrets-binding", "no binding", () => null, "platform"],
    [
      "TEN-CRED-002",
      "staging",
      "platform-vap-service-accounts",
      "pods may run as the sync identity",
      (r) => (r.inputs.spec.validations = []),
    ],
    [
      "TEN-EVT-001",
      "staging",
      "platform-vap-event-size-binding",
      "audit only",
      (r) => (r.inputs.spec.validationActions = ["Audit"]),
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
    [
      "SITE-NODE-001",
      "prod",
      "site-worker-ingest-1",
      "user-data without the host guard (seen decrypted, as a preview sees it)",
      (r) => (r.inputs.userData = "#cloud-config\npackages: [curl]\n"),
      undefined,
      ["SEC-001"],
    ],
    ["SEC-001", "staging", "site-hcloud", "Hetzner token in clear", (r) => (r.inputs.token = "hcloud-token")],
    [
      "SEC-001",
      "staging",
      "demo-tv-stream-key-secret",
      "stream key in clear",
      (r) => (r.inputs.stringData = { "stream-key": "abc" }),
    ],
    [
      "SEC-001",
      "prod",
      "site-cp-2",
      "user-data in clear",
      (r) => (r.inputs.userData = "#cloud-config\n"),
      undefined,
      // In clear, its content is judged too: an empty cloud-config has no host guard.
      ["SITE-NODE-001"],
    ],
    [
      "SEC-001",
      "prod",
      "platform-argocd",
      "a credential-named value in clear",
      (r) => (r.inputs.values = { configs: { secret: { argocdServerAdminPassword: "$2a$10$x" } } }),
      undefined,
      // In clear, the values are judged too: these lack impersonation and webhook secrets.
      ["TEN-ARGO-004"],
    ],
    [
      "SEC-001",
      "staging",
      "argocd-tenant-scope-cluster",
      "a bearer token in the tenant Argo CD's cluster Secret, in clear",
      (r) => (r.inputs.stringData.config = '{"bearerToken":"eyJhbGciOi"}'),
      undefined,
      ["TEN-ARGO-006"],
    ],
    ["PROT-001", "prod", "site-net", "network unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "demo-tv-ns", "tenant namespace unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "demo-radio-stream-key", "stream key unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "site-ca-server-ca-key", "server CA key unprotected", (r) => (r.options.protect = false)],
    ["PROT-001", "prod", "site-ca-client-ca", "client CA certificate unprotected", (r) => (r.options.protect = false)],
  ];

  it("covers every rule id", () => {
    assert.deepEqual([...new Set(cases.map((c) => c[0]))].sort(), RULES.map((r) => r.id).sort());
  });

  for (const [id, stack, name, what, f, at, also] of cases)
    it(`${id}: ${what} (${stack}, ${name})`, async () => {
      const p = await planSample(stack);
      const { ids, v } = raised(mutated(p, name, f), stack);
      assert.deepEqual(ids, [id, ...(also ?? [])].sort(), JSON.stringify(v, null, 1));
      const where = at ?? name;
      assert.ok(
        v.some((x) => x.urn.endsWith(`::${where}`)),
        `${id} should name ${where}: ${v.map((x) => x.urn).join(", ")}`,
      );
    });

  it("PROT-001 spares decommissioned tenants and unprotected stacks", async () => {
    const prod = await planSample("prod");
    const rs = structuredClone(prod.resources);
    const ns = rs.find((r) => r.name === "demo-tv-ns") as any;
    ns.inputs.metadata.labels["platform.video/decommission"] = "true";
    ns.options.protect = false;
    (rs.find((r) => r.name === "demo-tv-stream-key") as any).options.protect = false;
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
          [
            ...[
              "-r",
              preload,
              join(repoRoot, "build/tools/plan/cli.js"),
              "--stack",
              "prod",
              "--tenants",
              SAMPLE_TENANTS,
            ],
            ...["--json", out, "--quiet"],
          ],
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
        /Namespace::demo-tv-ns: demo-tv: pod-security\.kubernetes\.io\/enforce must be restricted; fix: /,
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
  /** The request's kind (request.kind.kind); only the edge-kinds message reads it. */
  kind?: string;
  /** The request's namespace (request.namespace); the tenant's by default. */
  namespace?: string;
  object: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
  namespaceObject?: Record<string, unknown>;
  groups?: string[];
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
      namespace: req.namespace ?? "demo-tv",
      kind: { group: req.group, version: "v1", kind: req.kind ?? "" },
      resource: { group: req.group, version: "v1", resource: req.resource },
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

const policy = (rule: string) => CLUSTER_POLICIES.find((p) => p.rule === rule) as AdmissionPolicy;
const tenantNs = (domains?: string, extraLabels: Record<string, string> = {}) => ({
  metadata: {
    name: "demo-tv",
    labels: {
      "platform.video/tenant": "demo-tv",
      "platform.video/tier": "standard",
      "pod-security.kubernetes.io/enforce": "restricted",
      "kubernetes.io/metadata.name": "demo-tv",
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
    for (const p of CLUSTER_POLICIES) for (const e of celExpressions(p)) assert.doesNotThrow(() => parseCel(e), e);
  });

  it("the policies and bindings validate against the Kubernetes schema; the plan declares them as written", async () => {
    // The models' validate() is untyped in their declarations.
    const models = (await import("kubernetes-models/admissionregistration.k8s.io/v1")) as any;
    const { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } = models;
    for (const stack of STACKS) {
      const p = await planStack(stack);
      for (const a of CLUSTER_POLICIES) {
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
    const bad = admissionManifests(CLUSTER_POLICIES[0]).binding as any;
    assert.throws(() => new ValidatingAdmissionPolicyBinding({ ...bad, spec: { policyName: 1 } }).validate());
  });

  it("the plan binds every policy with Deny, failing closed, to the resources written out here", async () => {
    // Literal: an Audit or Warn binding, failurePolicy Ignore or a narrowed match in the data
    // (components/rules/admission.ts) must fail this test, not move it along.
    const expected: Record<string, { policy: string; resources: string[]; operations: string[] }> = {
      "disruption-budgets": {
        policy: "platform-tenant-disruption-budgets",
        resources: ["poddisruptionbudgets"],
        operations: ["CREATE", "UPDATE"],
      },
      "edge-kinds": {
        policy: "platform-tenant-edge-kinds",
        resources: [
          "ingresses",
          "gateways",
          "listenersets",
          "referencegrants",
          "tlsroutes",
          "tcproutes",
          "udproutes",
          "backendtlspolicies",
          "envoyproxies",
          "envoypatchpolicies",
          "envoyextensionpolicies",
          "backends",
          "clienttrafficpolicies",
          "securitypolicies",
          "backendtrafficpolicies",
          "httproutefilters",
          "issuers",
          "certificates",
          "certificaterequests",
          "orders",
          "challenges",
        ],
        operations: ["CREATE", "CREATE", "CREATE", "CREATE", "CREATE"],
      },
      "event-size": {
        policy: "platform-tenant-event-size",
        resources: ["events"],
        operations: ["CREATE", "UPDATE"],
      },
      "namespace-labels": {
        policy: "platform-tenant-namespace-labels",
        resources: ["namespaces"],
        operations: ["UPDATE"],
      },
      "platform-objects": {
        policy: "platform-tenant-platform-objects",
        resources: ["*"],
        operations: ["CREATE", "UPDATE", "DELETE"],
      },
      "pod-templates": {
        policy: "platform-tenant-pod-templates",
        resources: ["deployments", "statefulsets", "replicasets", "jobs", "cronjobs"],
        operations: ["CREATE", "UPDATE", "CREATE", "UPDATE"],
      },
      priority: {
        policy: "platform-tenant-priority",
        resources: ["pods", "deployments", "statefulsets", "replicasets", "jobs", "cronjobs"],
        operations: ["CREATE", "UPDATE", "CREATE", "UPDATE", "CREATE", "UPDATE"],
      },
      "route-backends": {
        policy: "platform-tenant-route-backends",
        resources: ["httproutes", "grpcroutes"],
        operations: ["CREATE", "UPDATE"],
      },
      "route-hosts": {
        policy: "platform-tenant-route-hosts",
        resources: ["httproutes", "grpcroutes"],
        operations: ["CREATE", "UPDATE"],
      },
      "route-parents": {
        policy: "platform-tenant-route-parents",
        resources: ["httproutes", "grpcroutes"],
        operations: ["CREATE", "UPDATE"],
      },
      scheduling: {
        policy: "platform-tenant-scheduling",
        resources: ["pods", "deployments", "statefulsets", "replicasets", "jobs", "cronjobs"],
        operations: ["CREATE", "UPDATE", "CREATE", "UPDATE", "CREATE", "UPDATE"],
      },
      "sealed-secret-scope": {
        policy: "platform-tenant-sealed-secret-scope",
        resources: ["sealedsecrets"],
        operations: ["CREATE", "UPDATE"],
      },
      "service-accounts": {
        policy: "platform-tenant-service-accounts",
        resources: ["pods", "deployments", "statefulsets", "replicasets", "jobs", "cronjobs"],
        operations: ["CREATE", "UPDATE", "CREATE", "UPDATE", "CREATE", "UPDATE"],
      },
      "service-types": {
        policy: "platform-tenant-service-types",
        resources: ["services"],
        operations: ["CREATE", "UPDATE"],
      },
      "token-secrets": {
        policy: "platform-tenant-token-secrets",
        resources: ["secrets", "sealedsecrets"],
        operations: ["CREATE", "UPDATE", "CREATE", "UPDATE"],
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
        // Every policy but platform-objects sees every object; that one, the platform's (by label).
        assert.deepEqual(
          policy.inputs.spec.matchConstraints.objectSelector,
          key === "platform-objects"
            ? { matchExpressions: [{ key: "platform.video/tenant", operator: "Exists" }] }
            : undefined,
          key,
        );
        // Every validation forbids: no warn-only reason.
        for (const v of policy.inputs.spec.validations) assert.equal(v.reason, "Forbidden", key);
      }
      // Tenant resources are matched by the tenant label on their namespace.
      // Every policy but namespace-labels (which guards the tenant namespaces themselves).
      for (const key of Object.keys(expected).filter((k) => k !== "namespace-labels"))
        assert.deepEqual((byName(p, `platform-vap-${key}`).inputs as any).spec.matchConstraints.namespaceSelector, {
          matchExpressions: [{ key: "platform.video/tenant", operator: "Exists" }],
        });
    }
  });

  it("declared = stored up to the server's no-op defaults; anything narrowing differs", () => {
    const ing = policy("TEN-RTE-001");
    const nsl = policy("TEN-NSL-001");
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
    for (const stack of STACKS) domainsOnNamespaces(await planStack(stack), tenantFiles());
    // The annotation the policy reads is the one the property checks.
    assert.equal(DOMAINS_ANNOTATION, "platform.video/domains");
  });

  /** An HTTPRoute of tenant demo-tv as its docs show it (docs/tenant-contract.md), with `spec` merged in. */
  const route = (spec: Record<string, unknown> = {}, kind = "HTTPRoute") => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind,
    metadata: { name: "web", namespace: "demo-tv" },
    spec: {
      parentRefs: [
        { group: "gateway.networking.k8s.io", kind: "ListenerSet", namespace: "envoy-gateway-system", name: "demo-tv" },
      ],
      hostnames: ["live.demo-tv.example"],
      rules: [{ backendRefs: [{ name: "web", port: 8080 }] }],
      ...spec,
    },
  });
  /** `rule`'s verdict on `object` created in demo-tv (or `namespace`), whose namespace declares `domains`. */
  const reviewRoute = (
    rule: string,
    object: object,
    opts: { domains?: string | null; resource?: string; namespace?: string } = {},
  ) =>
    review(policy(rule), {
      operation: "CREATE",
      group: "gateway.networking.k8s.io",
      resource: opts.resource ?? "httproutes",
      namespace: opts.namespace,
      object: object as Record<string, unknown>,
      namespaceObject: tenantNs(
        opts.domains === null ? undefined : (opts.domains ?? "live.demo-tv.example,vod.demo-tv.example"),
      ),
    });

  describe("TEN-RTE-001: route host names are the tenant's domains", () => {
    it("admits declared hosts, on HTTPRoutes and GRPCRoutes", () => {
      const both = route({ hostnames: ["live.demo-tv.example", "vod.demo-tv.example"] });
      assert.deepEqual(reviewRoute("TEN-RTE-001", both), { matched: true, denied: [] });
      const grpc = route({ hostnames: ["vod.demo-tv.example"] }, "GRPCRoute");
      assert.deepEqual(reviewRoute("TEN-RTE-001", grpc, { resource: "grpcroutes" }), { matched: true, denied: [] });
    });

    for (const [what, hostnames, domains] of [
      ["another tenant's host", ["live.demofootball.example"], undefined],
      ["a suffix of a declared host", ["demo-tv.example"], undefined],
      ["a subdomain of a declared host", ["evil.live.demo-tv.example"], undefined],
      ["a wildcard", ["*.demo-tv.example"], undefined],
      ["a wildcard even if it were declared", ["*.demo-tv.example"], "*.demo-tv.example"],
      ["one bad host among good ones", ["live.demo-tv.example", "www.bank.example"], undefined],
      ["an empty hostnames list (every host of the listener)", [], undefined],
      ["no hostnames field", undefined, undefined],
      ["a namespace without declared domains", ["live.demo-tv.example"], null],
    ] as const)
      it(`denies ${what}`, () => {
        const spec = hostnames === undefined ? { hostnames: undefined } : { hostnames: [...hostnames] };
        const object = JSON.parse(JSON.stringify(route(spec)));
        const r = reviewRoute("TEN-RTE-001", object, { domains });
        assert.equal(r.matched, true);
        assert.equal(r.denied.length, 1, JSON.stringify(r.denied));
      });

    it("the message names the allowed domains; non-tenant namespaces are not matched", () => {
      const r = reviewRoute("TEN-RTE-001", route({ hostnames: ["x.example"] }));
      assert.match(
        r.denied[0],
        /^every spec\.hostnames entry must be one of the tenant domains \[live\.demo-tv\.example,vod\.demo-tv\.example\], written out \(no wildcard\)/,
      );
      const platform = review(policy("TEN-RTE-001"), {
        operation: "CREATE",
        group: "gateway.networking.k8s.io",
        resource: "httproutes",
        namespace: "argocd",
        object: route({ hostnames: ["argocd.video.example"] }),
        namespaceObject: { metadata: { name: "argocd", labels: { "platform.video/platform": "true" } } },
      });
      assert.deepEqual(platform, { matched: false, denied: [] });
    });
  });

  describe("TEN-RTE-002: routes attach only to the tenant's own ListenerSet", () => {
    const parent = (p: Record<string, unknown>) =>
      route({
        parentRefs: [
          {
            group: "gateway.networking.k8s.io",
            kind: "ListenerSet",
            namespace: "envoy-gateway-system",
            name: "demo-tv",
            ...p,
          },
        ],
      });

    it("admits the ListenerSet parentRef, with or without a listener's sectionName, group defaulted or written", () => {
      assert.deepEqual(reviewRoute("TEN-RTE-002", route()), { matched: true, denied: [] });
      assert.deepEqual(reviewRoute("TEN-RTE-002", parent({ sectionName: "vod.demo-tv.example" })), {
        matched: true,
        denied: [],
      });
      const noGroup = parent({});
      delete (noGroup.spec.parentRefs[0] as Record<string, unknown>).group;
      assert.deepEqual(reviewRoute("TEN-RTE-002", noGroup), { matched: true, denied: [] });
    });

    for (const [what, object] of [
      ["another tenant's ListenerSet", parent({ name: "demo-football" })],
      ["the Gateway itself", parent({ kind: "Gateway", name: "edge" })],
      ["the Gateway's HTTP listener", parent({ kind: "Gateway", name: "edge", sectionName: "http" })],
      ["the Argo CD listener", parent({ kind: "Gateway", name: "edge", sectionName: "argocd" })],
      ["a ListenerSet in its own namespace", parent({ namespace: "demo-tv" })],
      ["a parentRef without namespace (its own)", parent({ namespace: undefined })],
      ["another API group", parent({ group: "gateway.networking.x-k8s.io" })],
      ["a Service (mesh attachment)", parent({ group: "", kind: "Service", name: "web" })],
      ["no parentRefs", route({ parentRefs: [] })],
    ] as const)
      it(`denies ${what}`, () => {
        const r = reviewRoute("TEN-RTE-002", JSON.parse(JSON.stringify(object)));
        assert.equal(r.matched, true);
        assert.equal(r.denied.length, 1, JSON.stringify(r.denied));
      });

    it("a second, good parentRef does not excuse a bad one; the message shows the parentRef to use", () => {
      const two = route({
        parentRefs: [
          {
            group: "gateway.networking.k8s.io",
            kind: "ListenerSet",
            namespace: "envoy-gateway-system",
            name: "demo-tv",
          },
          { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "envoy-gateway-system", name: "edge" },
        ],
      });
      const r = reviewRoute("TEN-RTE-002", two);
      assert.equal(r.denied.length, 1);
      assert.equal(
        r.denied[0],
        "every spec.parentRefs entry must be the tenant's ListenerSet: { group: gateway.networking.k8s.io, kind: ListenerSet, namespace: envoy-gateway-system, name: demo-tv } (sectionName optional, one per domain); routes attach nowhere else",
      );
    });
  });

  describe("TEN-RTE-003: routes send traffic only to Services of the tenant's namespace", () => {
    const backends = (rules: unknown[]) => route({ rules });

    it("admits local Services: no namespace, its own namespace, the core group written out; local mirrors", () => {
      for (const object of [
        route(),
        backends([{ backendRefs: [{ name: "web", namespace: "demo-tv", port: 80 }] }]),
        backends([{ backendRefs: [{ group: "", kind: "Service", name: "web", port: 80, weight: 1 }] }]),
        backends([
          {
            filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "shadow", port: 80 } } }],
            backendRefs: [{ name: "web", port: 80 }],
          },
        ]),
        backends([{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https" } }] }]),
      ])
        assert.deepEqual(reviewRoute("TEN-RTE-003", object), { matched: true, denied: [] }, JSON.stringify(object));
    });

    for (const [what, rules] of [
      ["a Service of another namespace", [{ backendRefs: [{ name: "argocd-server", namespace: "argocd", port: 80 }] }]],
      [
        "one remote backend among local ones",
        [
          { backendRefs: [{ name: "web", port: 80 }] },
          { backendRefs: [{ name: "web", namespace: "demo-football", port: 80 }] },
        ],
      ],
      [
        "an Envoy Gateway Backend (any address)",
        [{ backendRefs: [{ group: "gateway.envoyproxy.io", kind: "Backend", name: "metadata" }] }],
      ],
      ["another kind in the core group", [{ backendRefs: [{ group: "", kind: "Pod", name: "web", port: 80 }] }]],
      [
        "a mirror to another namespace",
        [
          {
            filters: [
              {
                type: "RequestMirror",
                requestMirror: { backendRef: { name: "x", namespace: "kube-system", port: 53 } },
              },
            ],
          },
        ],
      ],
      [
        "a mirror inside a backendRef's filters to another namespace",
        [
          {
            backendRefs: [
              {
                name: "web",
                port: 80,
                filters: [
                  {
                    type: "RequestMirror",
                    requestMirror: { backendRef: { name: "x", namespace: "argocd", port: 80 } },
                  },
                ],
              },
            ],
          },
        ],
      ],
    ] as const)
      it(`denies ${what}`, () => {
        const r = reviewRoute("TEN-RTE-003", JSON.parse(JSON.stringify(backends([...rules]))));
        assert.equal(r.matched, true);
        assert.equal(r.denied.length, 1, JSON.stringify(r.denied));
        assert.match(
          r.denied[0],
          /^every backendRef \(and requestMirror backendRef\) must be a Service of namespace demo-tv/,
        );
      });
  });

  describe("TEN-EDGE-001: no other edge object in tenant namespaces", () => {
    const create = (group: string, resource: string, kind: string, labels?: Record<string, string>) =>
      review(policy("TEN-EDGE-001"), {
        operation: "CREATE",
        group,
        resource,
        kind,
        object: { apiVersion: `${group}/v1`, kind, metadata: { name: "x", namespace: "demo-tv" }, spec: {} },
        namespaceObject: labels ? { metadata: { name: "argocd", labels } } : tenantNs("live.demo-tv.example"),
      });

    for (const [group, resource, kind] of [
      ["networking.k8s.io", "ingresses", "Ingress"],
      ["gateway.networking.k8s.io", "gateways", "Gateway"],
      ["gateway.networking.k8s.io", "listenersets", "ListenerSet"],
      ["gateway.networking.k8s.io", "referencegrants", "ReferenceGrant"],
      ["gateway.networking.k8s.io", "tlsroutes", "TLSRoute"],
      ["gateway.networking.k8s.io", "tcproutes", "TCPRoute"],
      ["gateway.envoyproxy.io", "envoyextensionpolicies", "EnvoyExtensionPolicy"],
      ["gateway.envoyproxy.io", "envoypatchpolicies", "EnvoyPatchPolicy"],
      ["gateway.envoyproxy.io", "backends", "Backend"],
      ["gateway.envoyproxy.io", "securitypolicies", "SecurityPolicy"],
      ["cert-manager.io", "issuers", "Issuer"],
      ["cert-manager.io", "certificates", "Certificate"],
      ["cert-manager.io", "certificaterequests", "CertificateRequest"],
    ] as const)
      it(`denies creating a ${kind}`, () => {
        const r = create(group, resource, kind);
        assert.equal(r.matched, true);
        assert.deepEqual(r.denied, [
          `${kind} cannot be created in a tenant namespace: tenants publish with an HTTPRoute or GRPCRoute on their ListenerSet, and the platform provides the certificate (docs/tenant-contract.md)`,
        ]);
      });

    it("admits routes, and the same kinds outside tenant namespaces (the platform's own)", () => {
      assert.deepEqual(create("gateway.networking.k8s.io", "httproutes", "HTTPRoute"), { matched: false, denied: [] });
      assert.deepEqual(create("gateway.networking.k8s.io", "grpcroutes", "GRPCRoute"), { matched: false, denied: [] });
      assert.deepEqual(
        create("cert-manager.io", "certificates", "Certificate", { "platform.video/platform": "true" }),
        {
          matched: false,
          denied: [],
        },
      );
      // Deleting or updating what predates the edge move (an old Ingress) stays possible.
      const update = review(policy("TEN-EDGE-001"), {
        operation: "UPDATE",
        group: "networking.k8s.io",
        resource: "ingresses",
        object: { metadata: { name: "old", namespace: "demo-tv" } },
        namespaceObject: tenantNs("live.demo-tv.example"),
      });
      assert.deepEqual(update, { matched: false, denied: [] });
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
    const old = () => tenantNs("live.demo-tv.example");

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
        change((m) => (m.annotations[DOMAINS_ANNOTATION] = "live.demo-tv.example,www.bank.example")),
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

describe("guardrails: lint, format and docs/guardrails.md", () => {
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

  it("docs/guardrails.md's table lists every rule id with its description and where it is enforced", () => {
    const section = readFileSync(join(repoRoot, "docs", "guardrails.md"), "utf8");
    assert.match(section, /^# Guardrails$/m, "docs/guardrails.md is the Guardrails guide");
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
    datastore: { quotaBytes: 4294967296, serverType: "cx33" },
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
