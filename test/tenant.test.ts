import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import Ajv from "ajv";
import { parse } from "yaml";
import { loadStackConfig } from "../components/config/load";
import { PLATFORM_ARGOCD_PROJECT, PLATFORM_NAMESPACES, Platform } from "../components/platform";
import { loadTenants, Tenant, TenantSpec } from "../components/tenant";
import { kubeType } from "../components/platform/kube-object";
import { ARGO_API, OBJECT_NAMES, PSS_VERSION } from "../components/tenant/manifests";
import { BOUNDS, PRESETS, TIERS } from "../components/tenant/presets";
import { formatBytes, formatCpu, parseBytes, parseCpu, parseQuantity } from "../components/tenant/quantity";
import { checkTenantObjects, OBJECT_RULES, RuleContext } from "../components/rules/tenant-objects";
import {
  adminGroupProblem,
  domainProblem,
  repoPathProblem,
  repoUrlProblem,
  tenantNameProblem,
} from "../components/tenant/file-rules";
import { PLATFORM_NAMES, tenantJsonSchema } from "../components/tenant/schema";
import { ingestProblems, siteCapacity, sizingFor } from "../components/tenant/sizing";
import { renderTenantSchema, TENANT_SCHEMA_FILE } from "../tools/tenant-schema";
import { byName, input, Plan, planStack, planWith, readStackConfig, repoRoot, SECRET } from "./helpers/harness";
import {
  ctxFor,
  deletedWithNamespace,
  isolationRulesHold,
  isolationValues,
  noChainsBetweenTenants,
  oneComponentPerFile,
  protectedUnlessDecommissioned,
  registeredAsTyped,
  TENANT_PROPERTIES,
  tenantObjects,
  validAgainstSchemas,
} from "./helpers/tenant-properties";
import {
  expectationsOf,
  planProblems,
  planSample,
  SAMPLE_TENANTS,
  tenantFiles,
  TENANTS_DIR,
  tenantResources,
  TENANT_TYPE,
} from "./helpers/tenants";

const FIXTURES = join(repoRoot, "test", "fixtures", "tenants");

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * Writes n valid tenants across all tiers. Quotas are overridden small so 100 fit the staging
 * site; domains, admins and both repo URL styles vary so every code path is exercised.
 */
function generateTenants(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const name = `gen-${String(i).padStart(4, "0")}`;
    const repo = i % 2 ? `git@git.example.com:gen/${name}.git` : `https://git.example.com/gen/${name}.git`;
    writeFileSync(
      join(dir, `${name}.yaml`),
      [
        `name: ${name}`,
        `displayName: Generated ${i}`,
        `tier: ${TIERS[i % TIERS.length]}`,
        "quota: { cpu: 250m, memory: 512Mi, storage: 10Gi, pods: 10 }",
        "ingest: { workers: 1, cpu: 100m, memory: 128Mi }",
        `domains: [live.${name}.example]`,
        "gitops:",
        `  repoURL: ${repo}`,
        "  path: deploy",
        ...(i % 3 ? [`admins: [${name}-admins]`] : []),
        "",
      ].join("\n"),
    );
  }
}

// ---------------------------------------------------------------------------------------------

describe("tenants: Kubernetes quantities", () => {
  it("parses the resource.Quantity grammar exactly (suffixes, exponents, fractions)", () => {
    const nanos = (s: string) => {
      const p = parseQuantity(s);
      assert.ok(p.ok, `${s}: ${p.ok ? "" : p.message}`);
      return p.value.nanos;
    };
    assert.equal(nanos("1"), 1_000_000_000n);
    assert.equal(nanos("500m"), 500_000_000n);
    assert.equal(nanos("0.5"), nanos("500m"));
    assert.equal(nanos(".5"), nanos("500m"));
    assert.equal(nanos("1."), nanos("1"));
    assert.equal(nanos("1k"), 1000n * 1_000_000_000n);
    assert.equal(nanos("1Ki"), 1024n * 1_000_000_000n);
    assert.equal(nanos("1Ei"), (1n << 60n) * 1_000_000_000n);
    assert.equal(nanos("1e3"), nanos("1k"));
    assert.equal(nanos("1E3"), nanos("1k"));
    assert.equal(nanos("1E"), 10n ** 18n * 1_000_000_000n, "a lone E is the exa suffix");
    assert.equal(nanos("1e-3"), nanos("1m"));
    assert.equal(nanos("+2"), nanos("2"));
  });

  it("rejects what the API server rejects", () => {
    for (const bad of ["64GB", "1KB", "1 Gi", "Gi", "1.2.3", "1e", "1ki", "1mi", "0x10", "", "1Gib", "1e3m"]) {
      const p = parseQuantity(bad);
      assert.equal(p.ok, false, `"${bad}" must be rejected`);
    }
    assert.match((parseQuantity("64GB") as { message: string }).message, /"GB" is not a Kubernetes unit/);
    assert.equal(parseQuantity("1e99999").ok, false, "absurd exponents never reach BigInt math");
  });

  it("CPU takes cores or millicores only; bytes reject millibytes and fractions", () => {
    assert.deepEqual(parseCpu("500m"), { ok: true, value: 500n });
    assert.deepEqual(parseCpu("1.5"), { ok: true, value: 1500n });
    assert.deepEqual(parseCpu(4), { ok: true, value: 4000n });
    for (const bad of ["2Ki", "1k", "1e3", "-1", "0.0001"]) assert.equal(parseCpu(bad).ok, false, `cpu ${bad}`);
    assert.deepEqual(parseBytes("1.5Gi"), { ok: true, value: 1536n * 1024n * 1024n });
    assert.deepEqual(parseBytes("2e9"), { ok: true, value: 2_000_000_000n });
    for (const bad of ["512m", "0.5", "-1Gi"]) assert.equal(parseBytes(bad).ok, false, `bytes ${bad}`);
  });

  it("formats canonically (largest exact unit)", () => {
    assert.equal(formatBytes(64n << 30n), "64Gi");
    assert.equal(formatBytes(1536n << 20n), "1536Mi");
    assert.equal(formatBytes(1_000_000_000n), "1G");
    assert.equal(formatBytes(1n << 40n), "1Ti");
    assert.equal(formatBytes(1001n), "1001");
    assert.equal(formatCpu(4000n), "4");
    assert.equal(formatCpu(1500n), "1500m");
  });
});

describe("tenants: input rules", () => {
  it("reserves Kubernetes', ArgoCD's and every platform namespace and project name", () => {
    for (const n of [...Object.values(PLATFORM_NAMESPACES), "default", "argocd", "kube-public", "kube-anything"])
      assert.match(tenantNameProblem(n, PLATFORM_NAMES) ?? "", /reserved/, n);
    assert.match(tenantNameProblem(PLATFORM_ARGOCD_PROJECT, PLATFORM_NAMES) ?? "", /reserved/);
    assert.match(tenantNameProblem(`${PLATFORM_ARGOCD_PROJECT}-root`, PLATFORM_NAMES) ?? "", /reserved/);
    for (const ok of ["ab", "demo-tv", "a1", "9news"]) assert.equal(tenantNameProblem(ok, PLATFORM_NAMES), undefined);
    for (const bad of ["a", "-ab", "ab-", "a_b", "AB", "a".repeat(41)])
      assert.ok(tenantNameProblem(bad, PLATFORM_NAMES), bad);
  });

  it("repo URLs: https or ssh without credentials; never http, file:// or other schemes", () => {
    const ok = [
      "https://git.example.com/org/repo.git",
      "https://git.example.com:8443/org/repo",
      "git@git.example.com:org/repo.git",
      "ssh://git@git.example.com/org/repo.git",
      "ssh://git@git.example.com:2222/org/repo.git",
    ];
    for (const u of ok) assert.equal(repoUrlProblem(u), undefined, u);
    const bad: [string, RegExp][] = [
      ["https://user:pass@git.example.com/org/repo.git", /credentials/],
      ["https://token@git.example.com/org/repo.git", /credentials/],
      ["https://git.example.com/org/repo.git?token=x", /query/],
      ["http://git.example.com/org/repo.git", /plain http/],
      ["file:///srv/repo.git", /file:\/\//],
      ["git://git.example.com/org/repo.git", /git:\/\//],
      ["ssh://git:pw@git.example.com/org/repo.git", /password/],
      ["git:pw@git.example.com:org/repo.git", /password|https/],
      ["https://git.example.com", /repository path/],
      ["/srv/repo.git", /https/],
    ];
    for (const [u, re] of bad) assert.match(repoUrlProblem(u) ?? "(accepted)", re, u);
  });

  it("paths stay inside the repo; admin groups are never system:*; domains are plain hosts", () => {
    for (const p of [".", "deploy", "charts/video", "a..b"]) assert.equal(repoPathProblem(p), undefined, p);
    for (const p of ["..", "../x", "a/../../b", "/etc", "C:/x", "a\\..\\b", ""]) assert.ok(repoPathProblem(p), p);
    for (const g of ["system:masters", "system:authenticated", "System:Masters", "*", "a b"])
      assert.ok(adminGroupProblem(g), g);
    assert.equal(adminGroupProblem("oidc:acme-admins"), undefined);
    for (const d of ["*.x.example", "X.example", "localhost", "a..example", "-a.example", "a.example."])
      assert.ok(domainProblem(d), d);
    assert.equal(domainProblem("live.acme.example"), undefined);
  });
});

describe("tenants: presets and sizing", () => {
  it("every tier's preset is self-consistent: ingest fits the quota, container limits are ordered", () => {
    for (const tier of TIERS) {
      const s = sizingFor(tier);
      assert.deepEqual(ingestProblems(s), [], tier);
      const c = s.container;
      for (const r of ["cpu", "memory"] as const) {
        assert.ok(c.defaultRequest[r] <= c.default[r] && c.default[r] <= c.max[r], `${tier} ${r} order`);
        assert.ok(c.max[r] <= s.quota[r], `${tier} ${r} max within quota`);
        assert.ok(c.max[r] >= s.ingest[r], `${tier} ${r} max fits one ingest worker`);
      }
      assert.equal(s.limits.cpu, s.quota.cpu * 2n, "CPU limits are twice the requests");
      assert.equal(s.limits.memory, s.quota.memory, "memory limits equal requests");
    }
  });

  it("a small quota override pulls the container limits down instead of breaking them", () => {
    const s = sizingFor("premium", { quota: { cpu: "500m", memory: "512Mi" }, ingest: { workers: 0, cpu: "200m" } });
    assert.equal(s.container.max.cpu, 500n);
    assert.equal(s.container.max.memory, 512n << 20n);
    assert.ok(s.container.default.cpu <= 500n && s.container.defaultRequest.cpu <= s.container.default.cpu);
  });

  it("site capacity is workers minus the per-node reserve, times overcommit (control planes excluded)", () => {
    const site = readStackConfig("staging")["video-platform:site"] as never;
    const cap = siteCapacity(site);
    // 2 × cx43 (8 cores, 16 GiB) − 0.5 core and 1 GiB each = 15 cores, 30 GiB; × overcommit 2.
    assert.equal(cap.cpu, 30_000n);
    assert.equal(cap.memory, 60n << 30n);
  });

  it("docs/tenants.md's tier table says what the presets are", () => {
    const readme = readFileSync(join(repoRoot, "docs", "tenants.md"), "utf8");
    for (const tier of TIERS) {
      const { quota: q, ingest: i } = PRESETS[tier];
      const row = readme.split("\n").find((l) => l.startsWith(`| ${tier} `));
      assert.ok(row, `no docs/tenants.md row for ${tier}`);
      const cells = row
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
      const want = [tier, q.cpu, q.memory, q.storage, q.pods, q.services, q.persistentVolumeClaims];
      assert.deepEqual(cells, [...want.map(String), `${i.workers} × (${i.cpu}, ${i.memory})`]);
    }
  });

  it("the pinned Pod Security version is no newer than the stacks' k3s", () => {
    for (const stack of ["staging", "prod"]) {
      const v = (readStackConfig(stack)["video-platform:k3s"] as { version: string }).version;
      const [, k3sMinor] = /^v1\.(\d+)\./.exec(v) ?? [];
      assert.ok(Number(PSS_VERSION.split(".")[1]) <= Number(k3sMinor), `${stack}: ${PSS_VERSION} vs ${v}`);
    }
  });
});

describe("tenants: malformed corpus (test/fixtures/tenants/invalid)", () => {
  const root = join(FIXTURES, "invalid");
  const dirs = readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .sort();

  it("holds at least 30 error classes, each with its expectations", () => {
    assert.ok(dirs.length >= 30, `only ${dirs.length} fixtures`);
    for (const d of dirs) assert.ok(expectationsOf(join(root, d)).length > 0, `${d} has no # expect: line`);
  });

  for (const d of dirs)
    it(`${d}: names exactly the expected file and field, plans nothing`, async () => {
      const dir = join(root, d);
      const { problems, constructed } = await planProblems(dir);
      assert.equal(constructed, 0, "no resource may be declared when a tenant file is invalid");
      const expected = expectationsOf(dir);
      const lines = problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join("\n");
      const left = [...problems];
      for (const e of expected) {
        const i = left.findIndex((p) => p.file === e.file && p.path === e.path && e.message.test(p.message));
        assert.ok(i >= 0, `expected ${e.line}\n(file ${e.file}) in:\n${lines}`);
        left.splice(i, 1);
      }
      assert.deepEqual(left, [], `unexpected extra problems:\n${lines}`);
    });

  it("an oversized file is rejected before it is parsed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-tenants-big-"));
    try {
      const body = "name: huge\ndisplayName: Huge\ntier: small\n" + "# padding\n".repeat(BOUNDS.fileBytes / 10 + 1);
      writeFileSync(join(dir, "huge.yaml"), body);
      const { problems, constructed } = await planProblems(dir);
      assert.equal(constructed, 0);
      assert.equal(problems.length, 1);
      assert.equal(problems[0].file, join(dir, "huge.yaml"));
      assert.equal(problems[0].path, "");
      assert.match(problems[0].message, /at most 64 KiB/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a missing tenants directory is a problem, not an empty site", async () => {
    const dir = join(tmpdir(), "vp-no-such-tenants-dir");
    const { problems } = await planProblems(dir);
    assert.deepEqual(
      problems.map((p) => [p.file, p.path]),
      [[dir, ""]],
    );
  });

  it("reports paths relative to the project root for the configured (relative) directory", () => {
    const config = {
      tenantsDir: "test/fixtures/tenants/invalid/17-file-name-mismatch",
      platform: { baseDomain: "x.example" },
      site: { ...(readStackConfig("staging")["video-platform:site"] as object), overcommit: 2 },
      file: "Pulumi.staging.yaml",
    } as never;
    const cwd = process.cwd();
    process.chdir(repoRoot);
    try {
      loadTenants(config);
      assert.fail("expected an InputError");
    } catch (e) {
      const problems = (e as { problems: { file: string; path: string }[] }).problems;
      assert.deepEqual(
        problems.map((p) => [p.file, p.path]),
        [["test/fixtures/tenants/invalid/17-file-name-mismatch/demo.yaml", "name"]],
      );
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("tenants: valid edge cases (test/fixtures/tenants/valid)", () => {
  const dir = join(FIXTURES, "valid");
  let staging: Plan;
  let prod: Plan;
  before(async () => {
    staging = await planWith({ stack: "staging", tenantsDir: dir });
    prod = await planWith({ stack: "prod", tenantsDir: dir });
  });

  it("every edge case plans (2- and 40-char names, 500m, ssh URLs, no optional sections)", () => {
    const names = staging.resources
      .filter((r) => r.type === TENANT_TYPE)
      .map((r) => r.name)
      .sort();
    assert.deepEqual(names, [
      "ab",
      "forty-characters-is-the-longest-name-xyz",
      "millicores",
      "numbers",
      "ssh-scp",
      "ssh-url",
    ]);
  });

  it("numbers and exponents become canonical quantities; limits are clamped to the quota", () => {
    const quota = byName(staging, "numbers-quota").inputs.spec as { hard: Record<string, string> };
    assert.deepEqual(quota.hard, {
      "requests.cpu": "4",
      "limits.cpu": "8",
      "requests.memory": "8G",
      "limits.memory": "8G",
      "requests.storage": "0",
      pods: "1",
      services: String(PRESETS.premium.quota.services),
      persistentvolumeclaims: String(PRESETS.premium.quota.persistentVolumeClaims),
      "services.nodeports": "0",
      "services.loadbalancers": "0",
      // Issue 14: premium's object counts, node-local disk, and the platform's class closed.
      // Issue 25: the premium counts (every kind the roles allow or controllers make), Endpoints
      // and EndpointSlices per Service (premium: 40).
      "count/configmaps": "80",
      "count/secrets": "80",
      "count/serviceaccounts": "20",
      "count/deployments.apps": "50",
      "count/replicasets.apps": "150",
      "count/statefulsets.apps": "20",
      "count/controllerrevisions.apps": "60",
      "count/jobs.batch": "50",
      "count/cronjobs.batch": "10",
      "count/horizontalpodautoscalers.autoscaling": "25",
      "count/poddisruptionbudgets.policy": "25",
      "count/httproutes.gateway.networking.k8s.io": "25",
      "count/grpcroutes.gateway.networking.k8s.io": "25",
      "count/sealedsecrets.bitnami.com": "40",
      "count/rolebindings.rbac.authorization.k8s.io": "4",
      "count/leases.coordination.k8s.io": "0",
      "count/endpoints": "40",
      "count/endpointslices.discovery.k8s.io": "80",
      "requests.ephemeral-storage": "100Gi",
      "limits.ephemeral-storage": "200Gi",
      "hcloud-volumes.storageclass.storage.k8s.io/requests.storage": "0",
      "hcloud-volumes.storageclass.storage.k8s.io/persistentvolumeclaims": "0",
    });
    const lr = byName(staging, "numbers-limits").inputs.spec as { limits: Record<string, unknown>[] };
    assert.deepEqual(
      lr.limits[0].max,
      { cpu: "4", memory: "8G", "ephemeral-storage": "20Gi" },
      "premium's 8 cores/16Gi max clamped to the quota",
    );
    assert.equal((byName(staging, "millicores-quota").inputs.spec as any).hard["requests.cpu"], "500m");
    const app = byName(staging, "millicores-app").inputs.spec as any;
    assert.equal(app.source.helm.valuesObject.ingest.workers, 0);
  });

  it("no admins: no admin RoleBinding (and no Role of any kind); only Argo CD's sync and controller bindings", () => {
    const { children } = tenantResources(staging, "ab");
    assert.deepEqual(
      children
        .filter((r) => /Role/.test(r.type))
        .map((r) => [r.name, (r.inputs as any).roleRef.name])
        .sort(),
      [
        ["ab-argocd-access", "platform-tenant-argocd-controller"],
        ["ab-sync-binding", "platform-tenant-sync"],
      ],
    );
    // Namespace, both quotas, limits, policy, key and its Secret, sync account and binding, the
    // tenant Argo CD's binding, project and application.
    assert.equal(children.length, 12);
  });

  it("prod protects namespaces, stream keys and Applications; decommission: true lifts it for that tenant only", () => {
    for (const r of prod.resources.filter((x) => x.type === TENANT_TYPE)) {
      const want = r.name !== "numbers";
      assert.equal(byName(prod, `${r.name}-ns`).options.protect, want, `${r.name} namespace`);
      assert.equal(byName(prod, `${r.name}-stream-key`).options.protect, want, `${r.name} stream key`);
      assert.equal(byName(prod, `${r.name}-app`).options.protect, want, `${r.name} Application`);
      assert.equal(byName(prod, `${r.name}-quota`).options.protect, false, "quota updates and deletes stay free");
    }
    assert.equal((byName(prod, "numbers-ns").inputs.metadata as any).labels["platform.video/decommission"], "true");
    for (const r of staging.resources.filter((x) => x.type.startsWith("kubernetes:")))
      assert.equal(r.options.protect, false, `${r.name} is not protected on staging`);
  });

  it("the Application depends on every other Kubernetes object of its tenant: deleting a tenant file deletes it first", () => {
    // The engine deletes dependents first and stops at the first protected delete, so on prod a
    // file deleted without decommission fails before anything of the tenant goes (test:engine).
    for (const t of prod.resources.filter((x) => x.type === TENANT_TYPE)) {
      const app = byName(prod, `${t.name}-app`);
      const others = prod.resources.filter(
        (r) =>
          r.parent === t.urn &&
          r.urn !== app.urn &&
          r.type.startsWith("kubernetes:") &&
          r.type !== "kubernetes:core/v1:Namespace",
      );
      assert.ok(others.length >= 7, `${t.name}: ${others.length}`);
      for (const r of others) assert.ok(app.options.dependsOn.includes(r.urn), `${t.name}-app depends on ${r.name}`);
      assert.ok(
        others.some(
          (r) =>
            r.type === "kubernetes:core/v1:ResourceQuota" &&
            r.options.dependsOn.includes(byName(prod, `${t.name}-ns`).urn),
        ),
        `${t.name}: the namespace through the quota`,
      );
    }
  });
});

/** The platform's tenant-admin ClusterRole as planned. */
function tenantAdminRole(p: Plan): { rules: any[] } {
  const [role] = p.resources.filter(
    (r) =>
      r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole" &&
      (r.inputs.metadata as any)?.name === "platform-tenant-admin",
  );
  assert.ok(role, "the platform declares the tenant-admin ClusterRole");
  return role.inputs as { rules: any[] };
}

describe("tenants: every committed tenant as planned (what any valid tenant set gives)", () => {
  // tenants/ is customer data: these hold for whatever files it holds (test/helpers/tenant-properties.ts).
  const files = tenantFiles();
  for (const [title, check] of [
    ["one component per file, top-level, with exactly the children it asks for (≤ 14 resources)", oneComponentPerFile],
    [
      "objects register as the typed classes would, through the platform's provider, named explicitly",
      registeredAsTyped,
    ],
    ["every core and Argo CD object validates against its schema (kubernetes-models)", validAgainstSchemas],
    [
      "isolation values, written out: PSS restricted, guardrail kinds, in-cluster only, no adoption, blocked ranges",
      isolationValues,
    ],
    [
      "objects inside a namespace go with it (deletedWith); the namespace, key and Argo CD objects do not",
      deletedWithNamespace,
    ],
    ["every isolation rule holds for every tenant, against the repository its file declares", isolationRulesHold],
    ["no tenant depends on another tenant (no chains between tenants)", noChainsBetweenTenants],
    ["prod protects namespace and stream key unless the file says decommission: true", protectedUnlessDecommissioned],
  ] as const)
    it(title, async () => {
      for (const stack of ["staging", "prod"]) await check(await planStack(stack), files);
    });

  it("every committed tenant file starts with the JSON Schema line editors check it with", () => {
    for (const f of readdirSync(TENANTS_DIR).filter((x) => x.endsWith(".yaml")))
      assert.match(
        readFileSync(join(TENANTS_DIR, f), "utf8"),
        /^# yaml-language-server: \$schema=\.\.\/schemas\/tenant\.schema\.json\n/,
        f,
      );
  });
});

describe("tenants: the sample set as planned (test/fixtures/tenants/sample)", () => {
  let staging: Plan;
  let prod: Plan;
  before(async () => {
    staging = await planSample("staging");
    prod = await planSample("prod");
  });

  it("between them the samples take every tier and every optional path, and give what any set gives", async () => {
    const files = tenantFiles(SAMPLE_TENANTS);
    assert.deepEqual([...new Set(files.map((t) => t.tier))].sort(), [...TIERS].sort());
    assert.deepEqual(
      files.map((t) => [t.name, t.admins.length, t.domains.length, t.repoURL.startsWith("git@")]),
      [
        ["demo-football", 2, 2, true],
        ["demo-radio", 0, 0, false],
        ["demo-tv", 1, 2, false],
      ],
    );
    for (const p of [staging, prod]) for (const { check } of TENANT_PROPERTIES) await check(p, files);
  });

  it("the typed classes' type tokens are KubeObject's (switching classes must not replace objects)", () => {
    // The type token is the resource's identity in state: KubeObject must produce exactly the one
    // @pulumi/kubernetes's typed class sends, or switching classes would replace every object.
    const typed = [
      k8s.core.v1.Namespace,
      k8s.core.v1.ResourceQuota,
      k8s.core.v1.LimitRange,
      k8s.core.v1.Secret,
      k8s.networking.v1.NetworkPolicy,
      k8s.rbac.v1.RoleBinding,
      k8s.rbac.v1.ClusterRole,
    ].map((c) => (c as unknown as { __pulumiType: string }).__pulumiType);
    const kinds = [
      ["v1", "Namespace"],
      ["v1", "ResourceQuota"],
      ["v1", "LimitRange"],
      ["v1", "Secret"],
      ["networking.k8s.io/v1", "NetworkPolicy"],
      ["rbac.authorization.k8s.io/v1", "RoleBinding"],
      ["rbac.authorization.k8s.io/v1", "ClusterRole"],
    ];
    assert.deepEqual(
      kinds.map(([v, k]) => kubeType(v, k)),
      typed,
    );
    assert.equal(kubeType(ARGO_API, "AppProject"), "kubernetes:argoproj.io/v1alpha1:AppProject");
    const role = byName(staging, "platform-tenant-admin");
    assert.equal(role.type, kubeType("rbac.authorization.k8s.io/v1", "ClusterRole"));
    assert.equal(role.options.aliases, 0);
  });

  it("stable metadata names: the quota's fixed name, the namespace is the tenant, projects live in argocd", () => {
    assert.equal((byName(staging, "demo-tv-quota").inputs.metadata as any).name, OBJECT_NAMES.quota);
    assert.equal((byName(staging, "demo-tv-ns").inputs.metadata as any).name, "demo-tv");
    // The tenant-facing Argo CD's namespace, never the platform's (TEN-ARGO-005).
    assert.equal((byName(staging, "demo-tv-project").inputs.metadata as any).namespace, "argocd-tenants");
    assert.equal((byName(staging, "demo-tv-app").inputs.metadata as any).namespace, "argocd-tenants");
  });

  it("the schema check is real: a quantity the API server would reject fails it", async () => {
    const core = await import("kubernetes-models/v1");
    const quota = tenantObjects(staging, "demo-tv").find((o) => o.kind === "ResourceQuota") as any;
    new core.ResourceQuota(quota).validate();
    quota.spec.hard["requests.memory"] = "64GB";
    assert.throws(() => new core.ResourceQuota(quota).validate(), /quantity/);
  });

  it("the tenant-admin ClusterRole reads the guardrail kinds and never writes them", () => {
    const role = tenantAdminRole(staging);
    const guarded = [
      "resourcequotas",
      "limitranges",
      "networkpolicies",
      "roles",
      "rolebindings",
      "endpoints",
      "endpointslices",
    ];
    for (const r of role.rules)
      for (const res of r.resources.filter((x: string) => guarded.includes(x)))
        assert.deepEqual(r.verbs, ["get", "list", "watch"], `${res} is read-only for tenant admins`);
    assert.deepEqual(
      guarded.filter((g) => !role.rules.some((r: any) => r.resources.includes(g))),
      [],
      "every guardrail kind is listed (read-only), none left to a wildcard",
    );
  });

  describe("each rule rejects a crafted violation", () => {
    type Objs = any[];
    const find = (objs: Objs, kind: string) => objs.find((o) => o.kind === kind);
    /** The tenant's budget: its quota without a scope (tenant-live's is scoped to its class). */
    const budget = (objs: Objs) => objs.find((o) => o.kind === "ResourceQuota" && !o.spec.scopeSelector);
    const breaks: [string, string, (o: Objs, ctx: RuleContext & { adminRole: any }) => void][] = [
      [
        "TEN-PSS-001",
        "enforce privileged",
        (o) => (find(o, "Namespace").metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged"),
      ],
      [
        "TEN-PSS-001",
        "warn label removed",
        (o) => delete find(o, "Namespace").metadata.labels["pod-security.kubernetes.io/warn"],
      ],
      [
        "TEN-PSS-001",
        "version latest",
        (o) => (find(o, "Namespace").metadata.labels["pod-security.kubernetes.io/audit-version"] = "latest"),
      ],
      ["TEN-QTA-001", "nodeports allowed", (o) => (budget(o).spec.hard["services.nodeports"] = "2")],
      ["TEN-QTA-001", "storage unbounded", (o) => delete budget(o).spec.hard["requests.storage"]],
      ["TEN-QTA-001", "no quota", (o) => o.splice(o.indexOf(budget(o)), 1)],
      ["TEN-LIM-001", "max above quota", (o) => (find(o, "LimitRange").spec.limits[0].max.cpu = "64")],
      [
        "TEN-LIM-001",
        "request above default",
        (o) => (find(o, "LimitRange").spec.limits[0].defaultRequest.memory = "64Gi"),
      ],
      ["TEN-NET-001", "egress not selected", (o) => (find(o, "NetworkPolicy").spec.policyTypes = ["Ingress"])],
      [
        "TEN-NET-001",
        "only some pods",
        (o) => (find(o, "NetworkPolicy").spec.podSelector = { matchLabels: { a: "b" } }),
      ],
      [
        "TEN-NET-002",
        "any namespace in",
        (o) => find(o, "NetworkPolicy").spec.ingress[0].from.push({ namespaceSelector: {} }),
      ],
      [
        "TEN-NET-002",
        "ipBlock in",
        (o) => find(o, "NetworkPolicy").spec.ingress[0].from.push({ ipBlock: { cidr: "0.0.0.0/0" } }),
      ],
      ["TEN-NET-002", "from everyone", (o) => find(o, "NetworkPolicy").spec.ingress.push({})],
      [
        "TEN-NET-003",
        "metadata reachable",
        (o) => find(o, "NetworkPolicy").spec.egress[2].to[0].ipBlock.except.shift(),
      ],
      [
        "TEN-NET-003",
        "node network reachable",
        (o) => find(o, "NetworkPolicy").spec.egress[2].to[0].ipBlock.except.splice(1, 1),
      ],
      ["TEN-NET-003", "DNS to the internet", (o) => delete find(o, "NetworkPolicy").spec.egress[2].ports],
      [
        "TEN-NET-003",
        "other namespaces",
        (o) => find(o, "NetworkPolicy").spec.egress.push({ to: [{ namespaceSelector: {} }] }),
      ],
      ["TEN-RBAC-001", "escalate", (_, c) => c.adminRole.rules[0].verbs.push("escalate")],
      [
        "TEN-RBAC-001",
        "impersonate",
        (_, c) => c.adminRole.rules.push({ apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }),
      ],
      ["TEN-RBAC-001", "wildcard", (_, c) => (c.adminRole.rules[0].resources = ["*"])],
      [
        "TEN-RBAC-001",
        "aggregation rule",
        (_, c) => (c.adminRole.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { x: "y" } }] }),
      ],
      [
        "TEN-RBAC-001",
        "aggregated into admin",
        (_, c) => (c.adminRole.metadata.labels["rbac.authorization.k8s.io/aggregate-to-admin"] = "true"),
      ],
      [
        "TEN-RBAC-001",
        "a Role of the tenant's own",
        (o) =>
          o.push({
            kind: "Role",
            metadata: { name: "extra", namespace: "demo-tv" },
            rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
          }),
      ],
      [
        "TEN-RBAC-001",
        "writes network policies",
        (_, c) =>
          c.adminRole.rules.push({
            apiGroups: ["networking.k8s.io"],
            resources: ["networkpolicies"],
            verbs: ["patch"],
          }),
      ],
      [
        "TEN-RBAC-001",
        "writes quotas",
        (_, c) => c.adminRole.rules.push({ apiGroups: [""], resources: ["resourcequotas"], verbs: ["update"] }),
      ],
      [
        "TEN-RBAC-001",
        "writes role bindings",
        (_, c) =>
          c.adminRole.rules.push({
            apiGroups: ["rbac.authorization.k8s.io"],
            resources: ["rolebindings"],
            verbs: ["create"],
          }),
      ],
      [
        "TEN-RBAC-002",
        "system group",
        (o) => find(o, "RoleBinding").subjects.push({ kind: "Group", name: "system:authenticated" }),
      ],
      ["TEN-RBAC-002", "binds cluster-admin", (o) => (find(o, "RoleBinding").roleRef.name = "cluster-admin")],
      ["TEN-RBAC-002", "tenant-admin not declared", (_, c) => delete (c as RuleContext).adminRole],
      ["TEN-RBAC-002", "its own ClusterRole", (o) => o.push({ kind: "ClusterRole", metadata: { name: "x" } })],
      ["TEN-RBAC-002", "ClusterRoleBinding", (o) => o.push({ kind: "ClusterRoleBinding", metadata: { name: "x" } })],
      ["TEN-ARGO-001", "any repo", (o) => (find(o, "AppProject").spec.sourceRepos = ["*"])],
      [
        "TEN-ARGO-001",
        "cluster resources",
        (o) => (find(o, "AppProject").spec.clusterResourceWhitelist = [{ group: "", kind: "Namespace" }]),
      ],
      ["TEN-ARGO-001", "any namespace", (o) => (find(o, "AppProject").spec.destinations[0].namespace = "kube-system")],
      [
        "TEN-ARGO-001",
        "policies allowed",
        (o) =>
          find(o, "AppProject").spec.namespaceResourceWhitelist.push({
            group: "networking.k8s.io",
            kind: "NetworkPolicy",
          }),
      ],
      [
        "TEN-ARGO-001",
        "no allow-list (every kind)",
        (o) => delete find(o, "AppProject").spec.namespaceResourceWhitelist,
      ],
      [
        "TEN-NET-002",
        "the whole edge namespace in",
        (o) => delete find(o, "NetworkPolicy").spec.ingress[0].from[1].podSelector,
      ],
      [
        "TEN-NET-002",
        "other pods of the edge namespace",
        (o) => (find(o, "NetworkPolicy").spec.ingress[0].from[1].podSelector = { matchLabels: { app: "debug" } }),
      ],
      [
        "TEN-RBAC-002",
        "sync ServiceAccount bound to another role",
        (o) =>
          (o.find((x: any) => x.metadata?.name === "argocd-sync" && x.kind === "RoleBinding").roleRef.name = "admin"),
      ],
      ["TEN-ARGO-002", "no self-heal", (o) => (find(o, "Application").spec.syncPolicy.automated.selfHeal = false)],
      ["TEN-ARGO-002", "default project", (o) => (find(o, "Application").spec.project = "default")],
      [
        "TEN-ARGO-002",
        "cascading finalizer",
        (o) => (find(o, "Application").metadata.finalizers = ["resources-finalizer.argocd.argoproj.io"]),
      ],
    ];
    it("covers every rule id", () => {
      assert.deepEqual([...new Set(breaks.map((b) => b[0]))].sort(), OBJECT_RULES.map((r) => r.id).sort());
    });
    for (const [id, what, mutate] of breaks)
      it(`${id}: ${what}`, () => {
        const objs = tenantObjects(staging, "demo-tv");
        const ctx = ctxFor("staging", { name: "demo-tv", repoURL: "https://git.example.com/demo-tv/video-apps.git" });
        mutate(objs, ctx as RuleContext & { adminRole: any });
        const v = checkTenantObjects(objs, ctx);
        assert.ok(
          v.some((x) => x.rule === id),
          `${id} not raised; got ${JSON.stringify(v)}`,
        );
      });
  });

  it("one NetworkPolicy carries deny-by-default and exactly the allowed paths, per site ranges", () => {
    for (const [p, net] of [
      [staging, "10.10.0.0/16"],
      [prod, "10.20.0.0/16"],
    ] as const) {
      const spec = byName(p, "demo-tv-netpol").inputs.spec as any;
      assert.deepEqual(spec.policyTypes, ["Ingress", "Egress"]);
      assert.deepEqual(spec.podSelector, {});
      assert.deepEqual(spec.ingress, [
        {
          from: [
            { podSelector: {} },
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } },
              podSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": "envoy",
                  "app.kubernetes.io/component": "proxy",
                  "app.kubernetes.io/managed-by": "envoy-gateway",
                },
              },
            },
          ],
        },
      ]);
      assert.equal(spec.egress.length, 3);
      assert.deepEqual(spec.egress[2].to[0].ipBlock, {
        cidr: "0.0.0.0/0",
        except: ["169.254.169.254/32", net, "10.42.0.0/16", "10.43.0.0/16"],
      });
    }
  });

  it("quota = tier preset + overrides; ingest sizing reaches ArgoCD as Helm values", () => {
    const hard = (byName(staging, "demo-football-quota").inputs.spec as any).hard;
    assert.equal(hard["requests.storage"], "2Ti", "override");
    assert.equal(hard["requests.cpu"], PRESETS.premium.quota.cpu, "preset");
    assert.equal(hard["limits.cpu"], "32");
    assert.equal(hard["limits.memory"], PRESETS.premium.quota.memory);
    const values = (byName(staging, "demo-tv-app").inputs.spec as any).source.helm.valuesObject;
    assert.deepEqual(values.ingest, {
      workers: 3,
      resources: { requests: { cpu: "1500m", memory: "3Gi" }, limits: { cpu: "1500m", memory: "3Gi" } },
      podLabels: { "platform.video/workload": "ingest" },
      tolerations: [{ key: "platform.video/dedicated", operator: "Equal", value: "ingest", effect: "NoSchedule" }],
      priorityClassName: "tenant-live",
    });
    assert.deepEqual(values.storage, { className: "hcloud-volumes-tenant" });
    assert.equal(values.priorityClassName, "tenant-standard");
    assert.deepEqual(values.tenant.domains, ["live.demo-tv.example", "vod.demo-tv.example"]);
    const app = byName(staging, "demo-tv-app").inputs.spec as any;
    assert.deepEqual(app.syncPolicy.automated, { prune: true, selfHeal: true });
    assert.equal(app.source.repoURL, "https://git.example.com/demo-tv/video-apps.git");
  });

  it("the stream key is generated, stored as a Secret and never in clear", () => {
    const key = byName(staging, "demo-tv-stream-key");
    assert.equal(key.type, "random:index/randomBytes:RandomBytes");
    assert.deepEqual(key.inputs, { length: 24 }, "192 bits, rendered as 48 hex characters");
    const secret = byName(staging, "demo-tv-stream-key-secret");
    assert.equal(secret.inputs.stringData, SECRET);
    assert.ok(secret.options.dependsOn.includes(key.urn));
    const text = JSON.stringify(staging);
    assert.ok(!/"stream-key":"[0-9a-f]{48}"/.test(text), "no stream key value anywhere in the plan");
  });

  // "Adding a tenant changes nothing else" is proven once for the offline plan (test/locality.test.ts,
  // prod) and once through the PR diff (test/diff.test.ts, staging): issue 18 asked for one run, not four.
});

describe("tenants: their share of the edge", () => {
  it("a ListenerSet on the platform Gateway, one HTTPS listener per domain, routes from the tenant's namespace only", async () => {
    const p = await planSample("staging");
    const ls = byName(p, "demo-tv-listeners");
    assert.equal(ls.type, "kubernetes:gateway.networking.k8s.io/v1:ListenerSet");
    assert.deepEqual(input(ls, "metadata"), {
      name: "demo-tv",
      namespace: "envoy-gateway-system",
      labels: { "platform.video/tenant": "demo-tv", "app.kubernetes.io/managed-by": "pulumi" },
    });
    const listener = (host: string) => ({
      name: host,
      hostname: host,
      port: 443,
      protocol: "HTTPS",
      tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "tenant-demo-tv-tls" }] },
      allowedRoutes: {
        namespaces: { from: "Selector", selector: { matchLabels: { "platform.video/tenant": "demo-tv" } } },
        kinds: [
          { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
          { group: "gateway.networking.k8s.io", kind: "GRPCRoute" },
        ],
      },
    });
    assert.deepEqual(input(ls, "spec"), {
      parentRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge" },
      listeners: [listener("live.demo-tv.example"), listener("vod.demo-tv.example")],
    });
  });

  it("one certificate for exactly the tenant's domains, from the platform's ClusterIssuer, in the edge namespace", async () => {
    const p = await planSample("prod");
    const cert = byName(p, "demo-football-cert");
    assert.equal(cert.type, "kubernetes:cert-manager.io/v1:Certificate");
    assert.equal(input(cert, "metadata.namespace"), "envoy-gateway-system");
    assert.deepEqual(input(cert, "spec"), {
      secretName: "tenant-demo-football-tls",
      dnsNames: ["live.demofootball.example", "replay.demofootball.example"],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt" },
    });
    // Not protected: both are rebuilt from the tenant file, and go with the tenant.
    assert.equal(cert.options.protect, false);
  });

  it("a tenant without domains gets neither (nothing to serve, and both would be invalid empty)", async () => {
    const p = await planSample("staging");
    assert.ok(!p.resources.some((r) => r.name === "demo-radio-listeners" || r.name === "demo-radio-cert"));
  });

  it("tenant admins write HTTPRoutes and GRPCRoutes, and no Ingress or other edge kind", async () => {
    const p = await planSample("staging");
    const rules = input(byName(p, "platform-tenant-admin"), "rules") as { apiGroups: string[]; resources: string[] }[];
    const granted = rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((x) => `${g}/${x}`)));
    assert.ok(granted.includes("gateway.networking.k8s.io/httproutes"));
    assert.ok(granted.includes("gateway.networking.k8s.io/grpcroutes"));
    for (const forbidden of [
      "networking.k8s.io/ingresses",
      "gateway.networking.k8s.io/gateways",
      "gateway.networking.k8s.io/listenersets",
      "gateway.networking.k8s.io/referencegrants",
      "cert-manager.io/issuers",
      "cert-manager.io/certificates",
    ])
      assert.ok(!granted.includes(forbidden), forbidden);
    assert.ok(!granted.some((g) => g.startsWith("gateway.envoyproxy.io/")));
  });
});

describe("tenants: the component's wiring", () => {
  it("custom resources depend on exactly the install of their CRDs, network policy on the edge install", async () => {
    let crds = "";
    let ingress = "";
    let adminRole = "";
    let gatewayApi = "";
    let certManager = "";
    const p = await planWith({
      stack: "staging",
      tenantsDir: SAMPLE_TENANTS,
      program: async () => {
        const config = loadStackConfig();
        const provider = new k8s.Provider("fake-k8s", { kubeconfig: "offline" });
        const crdRes = new k8s.core.v1.ConfigMap("crds", { metadata: { name: "crds" } }, { provider });
        const ingressRes = new k8s.core.v1.ConfigMap("ingress", { metadata: { name: "ingress" } }, { provider });
        const roleRes = new k8s.core.v1.ConfigMap("admin-role", { metadata: { name: "admin-role" } }, { provider });
        const gwRes = new k8s.core.v1.ConfigMap("gateway-api", { metadata: { name: "gateway-api" } }, { provider });
        const cmRes = new k8s.core.v1.ConfigMap("cert-manager", { metadata: { name: "cert-manager" } }, { provider });
        const platform = {
          provider,
          argocdInstall: [crdRes],
          ingressInstall: [ingressRes],
          gatewayApiInstall: [gwRes],
          certManagerInstall: [cmRes],
          tenantAdminRole: roleRes,
        } as unknown as Platform;
        const [spec] = loadTenants(config).filter((s: TenantSpec) => s.name === "demo-tv");
        const t = new Tenant(spec.name, { spec, config, platform });
        crds = await new Promise((r) => crdRes.urn.apply(r));
        ingress = await new Promise((r) => ingressRes.urn.apply(r));
        adminRole = await new Promise((r) => roleRes.urn.apply(r));
        gatewayApi = await new Promise((r) => gwRes.urn.apply(r));
        certManager = await new Promise((r) => cmRes.urn.apply(r));
        assert.equal(await (pulumi.isSecret(t.streamKey) as unknown as Promise<boolean>), true, "stream key is secret");
        assert.equal(t.namespace, "demo-tv");
        assert.equal(t.argocdProject, "demo-tv");
        assert.equal(t.argocdApplication, "demo-tv");
        assert.deepEqual(t.domains, ["live.demo-tv.example", "vod.demo-tv.example"]);
        assert.equal(t.quota.cpu, "6");
        assert.equal(t.quota.limitsCpu, "12");
        return { streamKey: t.streamKey };
      },
    });
    assert.deepEqual(byName(p, "demo-tv-project").options.dependsOn, [crds]);
    assert.deepEqual(byName(p, "demo-tv-listeners").options.dependsOn, [gatewayApi]);
    assert.deepEqual(byName(p, "demo-tv-cert").options.dependsOn, [certManager]);
    const app = byName(p, "demo-tv-app").options.dependsOn;
    for (const dep of [
      crds,
      "demo-tv-project",
      "demo-tv-quota",
      "demo-tv-limits",
      "demo-tv-netpol",
      "demo-tv-stream-key-secret",
    ])
      assert.ok(
        app.some((d) => d === dep || d.endsWith(`::${dep}`)),
        `Application waits for ${dep}`,
      );
    assert.ok(byName(p, "demo-tv-netpol").options.dependsOn.includes(ingress));
    // Objects in the namespace name it as a string: the order comes from dependsOn.
    const ns = byName(p, "demo-tv-ns").urn;
    for (const n of ["quota", "limits", "netpol", "stream-key-secret", "admin-binding"])
      assert.ok(byName(p, `demo-tv-${n}`).options.dependsOn.includes(ns), `${n} after the namespace`);
    assert.ok(
      byName(p, "demo-tv-admin-binding").options.dependsOn.includes(adminRole),
      "binding after the ClusterRole",
    );
    assert.ok(!byName(p, "demo-tv-quota").options.dependsOn.includes(crds));
    assert.equal(p.outputs.streamKey, SECRET);
  });
});

describe("tenants: JSON Schema for editors (schemas/tenant.schema.json)", () => {
  const committed = () => JSON.parse(readFileSync(join(repoRoot, TENANT_SCHEMA_FILE), "utf8"));

  it("the committed schema is exactly what the zod schema generates (npm run schema:tenant)", async () => {
    assert.deepEqual(committed(), tenantJsonSchema(), "regenerate with `npm run schema:tenant`");
    assert.equal(readFileSync(join(repoRoot, TENANT_SCHEMA_FILE), "utf8"), await renderTenantSchema());
  });

  it("accepts the samples and valid edge cases, rejects typical mistakes", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(committed());
    const files = [
      ...[TENANTS_DIR, SAMPLE_TENANTS, join(FIXTURES, "valid")].flatMap((d) =>
        readdirSync(d)
          .filter((f) => f.endsWith(".yaml"))
          .map((f) => join(d, f)),
      ),
    ];
    for (const f of files)
      assert.ok(validate(parse(readFileSync(f, "utf8"))), `${f}: ${ajv.errorsText(validate.errors)}`);
    const good = parse(readFileSync(join(SAMPLE_TENANTS, "demo-tv.yaml"), "utf8"));
    for (const bad of [
      { ...good, tier: "gold" },
      { ...good, colour: "blue" },
      { ...good, quota: { memory: "64GB" } },
      { ...good, name: "Bad_Name" },
      { ...good, ingest: { workers: 51 } },
    ])
      assert.equal(validate(bad), false, JSON.stringify(bad));
  });
});

describe("tenants: npm run plan -- --tenants <dir>", () => {
  const cli = join(repoRoot, "build", "tools", "plan", "cli.js");
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8" });

  it("invalid files: exit 1, every problem as <file>: <field path>: <message>, nothing written", () => {
    const out = join(mkdtempSync(join(tmpdir(), "vp-plan-")), "plan.json");
    const rel = "test/fixtures/tenants/invalid/49-every-problem-at-once";
    const r = run(["--tenants", rel, "--json", out]);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    const dir = join(repoRoot, rel);
    for (const want of [
      `${dir}/m-one.yaml: tier: must be one of small, standard, premium`,
      `${dir}/m-one.yaml: colour: unknown key`,
      `${dir}/m-three.yaml: gitops.repoURL: plain http is not allowed`,
      `${dir}/m-three.yaml: admins[0]: "system:authenticated" is a Kubernetes system group`,
      `${dir}/m-two.yaml: YAML syntax error`,
    ])
      assert.ok(
        lines.some((l) => l.startsWith(want)),
        `missing ${want} in\n${r.stderr}`,
      );
    assert.match(lines[lines.length - 1], /nothing planned, nothing written/);
    assert.equal(existsSync(out), false);
  });

  it("a directory of valid tenant files that fits the site plans: 6 generated tenants, every tier × repo style", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-tenants-6-"));
    try {
      generateTenants(dir, 6);
      const out = join(dir, "plan.json");
      const r = run(["--stack", "prod", "--tenants", dir, "--json", out, "--quiet"]);
      assert.equal(r.status, 0, r.stderr);
      const p = JSON.parse(readFileSync(out, "utf8")) as Plan;
      const tenants = p.resources.filter((x) => x.type === TENANT_TYPE);
      assert.equal(tenants.length, 6);
      const perTenant = p.resources.filter((x) => /::gen-\d{4}(-[a-z-]+)?$/.test(x.urn)).length;
      // 6 components + 14 children each (12 without admins or domains, above, + ListenerSet +
      // Certificate) + a RoleBinding for the two thirds with admins.
      assert.equal(perTenant, 6 * 15 + 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a set of valid files that could fill the datastore is refused, naming the largest tenants' files and the fix", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-tenants-12-"));
    try {
      // 12 tenants (4 per tier, 10 pods each) may put 9.75 GiB into etcd at worst: staging's
      // datastore (4 GiB on its cx33 control plane, 1 GiB kept for the platform) cannot hold it.
      generateTenants(dir, 12);
      const out = join(dir, "plan.json");
      const r = run(["--tenants", dir, "--json", out, "--quiet"]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(existsSync(out), false, "nothing written");
      const lines = r.stderr.trim().split("\n");
      assert.deepEqual(
        lines.slice(0, -1).map((l) => l.split(" ")[0]),
        ["TEN-ETCD-001"],
      );
      assert.match(
        lines[0],
        /^TEN-ETCD-001 urn:pulumi:staging::video-platform::platform:tenant:Tenant\$kubernetes:core\/v1:ResourceQuota::gen-0002-quota: the 12 tenants' quotas let up to 9\.75 GiB into etcd \(every counted object at 1\.5 MiB\), more than the 7 GiB the datastore leaves tenants \(etcd quota 8 GiB on cx43 control planes, 1 GiB kept for the platform\); largest: gen-0002 1\.35 GiB \(gen-0002\.yaml\), gen-0005 1\.35 GiB \(gen-0005\.yaml\), gen-0008 1\.35 GiB \(gen-0008\.yaml\); fix: lower quota\.pods or the tier in the largest tenants' files/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
