/**
 * Every object a tenant gets, written out (test/fixtures/manifests/<tenant>.yaml), and the
 * objects the platform declares once for all tenants (platform.yaml). Issue 18: the tests that
 * read these manifests compared them with the same constants that build them, so a weakened
 * value (a quota key gone, a verb added to the admin role, a range dropped from the egress
 * exceptions, a kind added to the Argo CD allow-list) passed. Here each manifest function is
 * called for the three sample tenants (test/fixtures/tenants/sample: a standard tenant with ingest,
 * domains and an admin group; a small one with none of them; a premium one with overrides, an SSH
 * repository and two admin groups) and must equal the reviewed text exactly. The committed tenants/
 * is customer data and may change in any pull request: test/helpers/tenant-properties.ts holds what
 * every tenant there must get. The real API server proves the same
 * objects isolate (npm run test:cluster); this proves they are still those objects.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { validateStackConfig, type StackConfig } from "../components/config/load";
import * as edge from "../components/tenant/edge";
import { loadTenants, type TenantSpec } from "../components/tenant/load";
import * as m from "../components/tenant/manifests";
import { controllerBinding, controllerClusterRole } from "../components/tenant/gitops";
import { priorityClasses, syncClusterRole } from "../components/tenant/shared";
import { readStackConfig, repoRoot } from "./helpers/harness";
import { SAMPLE_TENANTS } from "./helpers/tenants";

const FIXTURES = join(repoRoot, "test", "fixtures", "manifests");
const fixture = (name: string) =>
  parse(readFileSync(join(FIXTURES, `${name}.yaml`), "utf8")) as Record<string, unknown>;

/** The staging config and the sample tenants, as the program loads them. */
function staging(): { config: StackConfig; specs: TenantSpec[] } {
  const { config, problems } = validateStackConfig("staging", readStackConfig("staging"));
  assert.ok(config, JSON.stringify(problems));
  const cwd = process.cwd();
  process.chdir(repoRoot);
  try {
    const full = { ...config, tenantsDir: SAMPLE_TENANTS } as unknown as StackConfig;
    return { config: full, specs: loadTenants(full) };
  } finally {
    process.chdir(cwd);
  }
}

/** Every object of one tenant, keyed as in its fixture; optional objects only when the tenant has them. */
function tenantObjects(spec: TenantSpec, config: StackConfig): Record<string, unknown> {
  return {
    namespace: m.namespace(spec),
    resourceQuota: m.resourceQuota(spec),
    liveQuota: m.liveQuota(spec),
    limitRange: m.limitRange(spec),
    networkPolicy: m.networkPolicy(spec, config),
    ...(spec.admins.length > 0 ? { adminBinding: m.adminBinding(spec) } : {}),
    streamKeySecret: m.streamKeySecret(spec, "STREAM-KEY"),
    syncServiceAccount: m.syncServiceAccount(spec),
    syncBinding: m.syncBinding(spec),
    argocdAccess: controllerBinding(spec),
    appProject: m.appProject(spec),
    application: m.application(spec),
    ...(spec.domains.length > 0 ? { listenerSet: edge.listenerSet(spec), certificate: edge.certificate(spec) } : {}),
  };
}

describe("tenant manifests, written out (test/fixtures/manifests)", () => {
  for (const name of ["demo-tv", "demo-radio", "demo-football"]) {
    it(`${name}: every object equals its reviewed text, and no object is missing or extra`, () => {
      const { config, specs } = staging();
      const spec = specs.find((s) => s.name === name);
      assert.ok(spec, `test/fixtures/tenants/sample/${name}.yaml`);
      const want = fixture(name);
      const got = tenantObjects(spec, config);
      assert.deepEqual(Object.keys(got), Object.keys(want), `${name}: the set of objects`);
      // JSON round trip: the fixture is plain data; the manifests may hold undefined fields.
      for (const key of Object.keys(want))
        assert.deepEqual(JSON.parse(JSON.stringify(got[key])), want[key], `${name}: ${key}`);
    });
  }

  it("the platform's tenant ClusterRoles (admin, sync, the tenant Argo CD's controller) and PriorityClasses equal their reviewed text", () => {
    const want = fixture("platform");
    assert.deepEqual(JSON.parse(JSON.stringify(m.adminClusterRole())), want.adminClusterRole, "adminClusterRole");
    assert.deepEqual(JSON.parse(JSON.stringify(syncClusterRole())), want.syncClusterRole, "syncClusterRole");
    assert.deepEqual(
      JSON.parse(JSON.stringify(controllerClusterRole())),
      want.controllerClusterRole,
      "controllerClusterRole",
    );
    assert.deepEqual(JSON.parse(JSON.stringify(priorityClasses())), want.priorityClasses, "priorityClasses");
  });

  it("the three samples between them take every optional path (so the fixtures cover each)", () => {
    const { specs } = staging();
    const by = (n: string) => specs.find((s) => s.name === n) as TenantSpec;
    assert.deepEqual(
      ["demo-tv", "demo-radio", "demo-football"].map((n) => [
        by(n).tier,
        by(n).admins.length,
        by(n).domains.length,
        by(n).ingest.workers,
        by(n).gitops.repoURL.startsWith("git@"),
      ]),
      [
        ["standard", 1, 2, 3, false],
        ["small", 0, 0, 1, false],
        ["premium", 2, 2, 4, true],
      ],
    );
  });

  it("a decommissioned tenant's namespace says so; a tenant without ingest workers gets no ingest label", () => {
    const { specs } = staging();
    const tv = specs.find((s) => s.name === "demo-tv") as TenantSpec;
    const labelsOf = (spec: TenantSpec) => m.namespace(spec).metadata.labels as Record<string, string>;
    assert.equal(labelsOf({ ...tv, decommission: true })["platform.video/decommission"], "true");
    assert.equal(labelsOf(tv)["platform.video/decommission"], undefined);
    const noIngest = labelsOf({ ...tv, ingest: { ...tv.ingest, workers: 0 } });
    assert.equal(
      noIngest["platform.video/ingest"],
      undefined,
      "TEN-SCHED-001 lets no pod of it tolerate the ingest taint",
    );
    assert.equal(labelsOf(tv)["platform.video/ingest"], "true");
    // Nor any tenant-live pod: its budget is zero (TEN-PRIO-002).
    assert.deepEqual((m.liveQuota({ ...tv, ingest: { ...tv.ingest, workers: 0 } }).spec as any).hard, {
      pods: "0",
      "requests.cpu": "0",
      "limits.cpu": "0",
      "requests.memory": "0",
      "limits.memory": "0",
    });
  });

  it("the rule context a tenant's objects are checked against, written out", () => {
    const { config, specs } = staging();
    const ctx = m.ruleContext(specs.find((s) => s.name === "demo-football") as TenantSpec, config);
    assert.deepEqual(JSON.parse(JSON.stringify(ctx)), {
      tenant: "demo-football",
      repoURL: "git@git.example.com:demo-football/streaming-platform.git",
      ingressNamespace: "envoy-gateway-system",
      edgePodLabels: {
        "app.kubernetes.io/name": "envoy",
        "app.kubernetes.io/component": "proxy",
        "app.kubernetes.io/managed-by": "envoy-gateway",
      },
      blockedRanges: ["169.254.169.254/32", "10.10.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
      adminRole: fixture("platform").adminClusterRole,
    });
  });

  it("limits.ephemeral-storage is twice the preset's requests, which must be whole binary units", () => {
    assert.equal(m.doubled("30Gi"), "60Gi");
    assert.equal(m.doubled("1500Mi"), "3000Mi");
    assert.equal(m.doubled("1Ti"), "2Ti");
    assert.equal(m.doubled("512Ki"), "1024Ki");
    for (const bad of ["10G", "1.5Gi", "x10Gi", "10Gix", "Gi", "10 Gi"])
      assert.throws(
        () => m.doubled(bad),
        new RegExp(`^Error: ephemeral storage preset ${bad} must be a whole number of Ki/Mi/Gi/Ti$`),
        bad,
      );
  });
});
