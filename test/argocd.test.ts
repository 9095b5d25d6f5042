/**
 * The Argo CD blast radius (issue 25), from the plan: the tenant-facing instance shares no
 * repo-server, Redis or controller with the platform's cluster-admin sync; its settings, cluster
 * Secret, RBAC and network fences, written out; and one Argo CD version for images, CRDs and the
 * chart. Expectations are literal (issue 18): a weakened builder fails here, not only the rules.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { argocdCrdUrls, argocdValues, forceCrdOwnership } from "../components/platform/argocd";
import { apiServiceIp, gitPorts } from "../components/platform/argocd-network";
import { argocdTenantSettings, argocdTenantValues, tenantClusterSecret } from "../components/platform/argocd-tenants";
import { checkResources, RULES, siteContext } from "../components/rules";
import { gitPort } from "../components/rules/argocd";
import { isPublicArgocdClusterSecret } from "../components/rules/secrets";
import { CRD_SOURCES, DEFAULT_VERSIONS, githubRawUrl } from "../components/versions";
import { chartPrerequisites } from "../tools/cluster/prereqs";
import { argocdReleases } from "../tools/argocd/chart";
import { PLAN_REVEAL } from "../tools/cluster/apply";
import {
  byName,
  input,
  plan,
  Plan,
  PlannedResource,
  planStack,
  readStackConfig,
  repoRoot,
  serial,
} from "./helpers/harness";

const STACKS = ["staging", "prod"] as const;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const APP = "kubernetes:argoproj.io/v1alpha1:Application";
const PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject";

/** The Argo CD release the platform runs, written out: the newest patch of the newest line (3.6). */
const ARGOCD = "v3.6.2";
/**
 * argo-cd chart version → the Argo CD release it ships (its Chart.yaml appVersion), read in
 * argoproj/argo-helm charts/argo-cd/Chart.yaml (2026-12-06). A chart bump must add its line here
 * after reading that file: the test then knows whether the chart's own images and CRDs already are
 * the pin, or still have to be overridden (global.image.tag, CRDs from Argo CD at the pin).
 */
const CHART_APP_VERSIONS: Record<string, string> = { "10.1.1": "v3.4.4" };

describe("Argo CD: one version for images, CRDs and the chart", () => {
  it("the pin is v3.6.2, and the CRDs test:cluster and the real-Argo-CD build read are that module version", () => {
    assert.deepEqual(
      { module: CRD_SOURCES.argocd.module, version: CRD_SOURCES.argocd.version },
      { module: "github.com/argoproj/argo-cd/v3", version: ARGOCD },
    );
  });

  it("the pinned chart's appVersion is known, and everything the chart would take from it is overridden to the pin", async () => {
    const chart = DEFAULT_VERSIONS.charts.argocd;
    assert.equal(chart.chart, "argo-cd");
    const shipped = CHART_APP_VERSIONS[chart.version];
    assert.ok(shipped, `argo-cd chart ${chart.version}: add its appVersion (Chart.yaml) to CHART_APP_VERSIONS`);
    const platform = argocdValues({ domain: "d", adminPasswordBcrypt: "h", webhookSecret: "w" }) as any;
    const p = await planStack("prod");
    const tenants = input(byName(p, "platform-argocd-tenants", RELEASE), "values") as any;
    for (const [name, v] of [
      ["platform", platform],
      ["tenants", tenants],
    ] as const) {
      // Images: the pin, whatever the chart's appVersion.
      assert.equal(v.global.image.tag, ARGOCD, `${name}: image tag`);
      // CRDs: never the chart's (they would be its appVersion's); the platform installs the pin's.
      assert.equal(v.crds.install, false, `${name}: chart CRDs`);
    }
    assert.deepEqual(input(byName(p, "platform-argocd-crds"), "files"), [
      "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/application-crd.yaml",
      "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/applicationset-crd.yaml",
      "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/appproject-crd.yaml",
    ]);
    // The chart's appVersion may lag the pin but never lead it (a newer chart would run an older Argo CD).
    const [a, b] = [shipped, ARGOCD].map((x) => x.slice(1).split(".").map(Number));
    assert.ok(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] <= b[2]))), shipped);
  });

  it("CRD files are served from the module's repository at the tag; a non-GitHub module is refused", () => {
    assert.deepEqual(argocdCrdUrls(), [
      "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/application-crd.yaml",
      "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/applicationset-crd.yaml",
      "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/appproject-crd.yaml",
    ]);
    assert.equal(
      githubRawUrl("github.com/bitnami-labs/sealed-secrets", "v0.36.6", "helm/x.yaml"),
      "https://raw.githubusercontent.com/bitnami-labs/sealed-secrets/v0.36.6/helm/x.yaml",
    );
    assert.throws(() => githubRawUrl("sigs.k8s.io/gateway-api", "v1.6.1", "a.yaml"), /not a github\.com module path/);
  });

  it("the CRDs are retained on delete, protected on prod, and taken over from Helm's field manager", async () => {
    for (const stack of STACKS) {
      const crds = byName(await planStack(stack), "platform-argocd-crds");
      assert.equal(crds.type, "kubernetes:yaml/v2:ConfigGroup");
      assert.equal(crds.options.protect, stack === "prod", stack);
    }
    const crd = forceCrdOwnership({
      type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
      name: "x",
      props: { metadata: { name: "applications.argoproj.io", annotations: { a: "b" } } },
      opts: {},
    } as never) as any;
    assert.deepEqual(crd.props.metadata, {
      name: "applications.argoproj.io",
      annotations: { a: "b", "pulumi.com/patchForce": "true" },
    });
    assert.equal(forceCrdOwnership({ type: "kubernetes:core/v1:ConfigMap", props: {}, opts: {} } as never), undefined);
  });
});

/** The namespace each Argo CD object of a plan lives in, and which are a tenant's. */
function argoObjects(p: Plan) {
  const tenantUrns = new Set(
    p.resources
      .filter((r) => r.parent?.includes("::video-platform::platform:tenant:Tenant::") || false)
      .map((r) => r.urn),
  );
  const ns = (r: PlannedResource) => String(input(r, "metadata.namespace"));
  const of = (type: string) => p.resources.filter((r) => r.type === type);
  return { tenantUrns, ns, apps: of(APP), projects: of(PROJECT) };
}

/**
 * Identities with cluster-wide rights in a plan (every ServiceAccount a ClusterRoleBinding names),
 * and for each Argo CD namespace the identities its projects sync as: an Argo CD namespace is one
 * instance (one repo-server, Redis and controller render and sync every Application in it).
 */
function sharedWithClusterAdmin(p: Plan): string[] {
  const wide = new Set(
    p.resources
      .filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
      .flatMap((r) => (r.inputs.subjects as any[]).map((s) => `${s.namespace}:${s.name}`)),
  );
  const { tenantUrns, ns, apps, projects } = argoObjects(p);
  const out: string[] = [];
  for (const app of apps.filter((a) => tenantUrns.has(a.urn)))
    for (const project of projects.filter((x) => ns(x) === ns(app)))
      for (const d of (input(project, "spec") as any).destinationServiceAccounts ?? [])
        if (wide.has(d.defaultServiceAccount)) out.push(`${app.name} ~ ${project.name} (${d.defaultServiceAccount})`);
  return out;
}

describe("Argo CD: no tenant Application shares a repo-server with a cluster-admin sync", () => {
  for (const stack of STACKS)
    it(`${stack}: every tenant Application is in argocd-tenants, its own release, and no project there syncs cluster-wide`, async () => {
      const p = await planStack(stack);
      const { tenantUrns, ns, apps, projects } = argoObjects(p);
      const tenantApps = apps.filter((a) => tenantUrns.has(a.urn));
      assert.ok(tenantApps.length >= 2, "the committed tenants have applications");
      assert.deepEqual([...new Set(tenantApps.map(ns))], ["argocd-tenants"]);
      assert.deepEqual([...new Set(projects.filter((x) => tenantUrns.has(x.urn)).map(ns))], ["argocd-tenants"]);
      // The platform's cluster-admin sync lives in the other instance, alone.
      const platformSync = p.resources.find(
        (r) =>
          r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding" &&
          (input(r, "roleRef") as any).name === "cluster-admin",
      );
      assert.deepEqual(input(platformSync!, "subjects"), [
        { kind: "ServiceAccount", name: "argocd-platform-sync", namespace: "argocd" },
      ]);
      assert.deepEqual(
        apps.filter((a) => !tenantUrns.has(a.urn)).map((a) => `${ns(a)}/${input(a, "metadata.name")}`),
        ["argocd/platform-root"],
      );
      // Each namespace is its own release of the chart: its own repo-server, Redis and controller.
      const releases = p.resources
        .filter((r) => r.type === RELEASE && r.inputs.chart === "argo-cd")
        .map((r) => `${r.inputs.namespace}/${r.inputs.name}`)
        .sort();
      assert.deepEqual(releases, ["argocd-tenants/argocd-tenants", "argocd/argocd"]);
      assert.deepEqual(sharedWithClusterAdmin(p), []);
      assert.deepEqual(checkResources(p.resources, siteContext(stack, readStackConfig(stack))), []);
    });

  it("the check is real: a tenant Application moved into the platform's instance is caught, by the test and by TEN-ARGO-005", async () => {
    const p = structuredClone(await planStack("staging")) as Plan;
    const app = p.resources.find((r) => r.type === APP && r.parent?.includes("platform:tenant:Tenant::"))!;
    (app.inputs.metadata as any).namespace = "argocd";
    assert.deepEqual(sharedWithClusterAdmin(p), [
      `${app.name} ~ platform-argocd-project (argocd:argocd-platform-sync)`,
    ]);
    const v = checkResources(p.resources, siteContext("staging", readStackConfig("staging")));
    assert.ok(
      v.some(
        (x) =>
          x.rule === "TEN-ARGO-005" && x.urn === app.urn && /shares the Argo CD instance in argocd/.test(x.message),
      ),
      JSON.stringify(v),
    );
  });
});

describe("Argo CD: the tenant-facing instance, written out", () => {
  it("chart values: controller, repo-server and Redis only; no ClusterRole, no CRDs, no argocd-cm, no token for the repo-server", () => {
    assert.deepEqual(argocdTenantValues(), {
      global: {
        image: { repository: "quay.io/argoproj/argocd", tag: "v3.6.2" },
        networkPolicy: { create: false },
      },
      crds: { install: false },
      createClusterRoles: false,
      configs: { cm: { create: false } },
      dex: { enabled: false },
      notifications: { enabled: false },
      applicationSet: { replicas: 0 },
      server: { replicas: 0 },
      // The name the tenant namespaces' RoleBindings grant; the chart's default would be
      // argocd-application-controller.
      // A render above 8 MiB is refused whole by both ends of the repo-server call.
      controller: {
        serviceAccount: { name: "argocd-tenants-application-controller" },
        env: [{ name: "ARGOCD_GRPC_MAX_SIZE_MB", value: "8" }],
      },
      repoServer: {
        automountServiceAccountToken: false,
        serviceAccount: { automountServiceAccountToken: false },
        env: [{ name: "ARGOCD_GRPC_MAX_SIZE_MB", value: "8" }],
      },
      redis: { image: { repository: "ecr-public.aws.com/docker/library/redis" } },
    });
  });

  it("argocd-cm: impersonation enforced, Kustomize and Jsonnet off, no remote value files, no admin, RBAC-aware cache", () => {
    assert.deepEqual(argocdTenantSettings(), {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "argocd-cm",
        namespace: "argocd-tenants",
        labels: { "app.kubernetes.io/part-of": "argocd", "app.kubernetes.io/managed-by": "pulumi" },
      },
      data: {
        "application.instanceLabelKey": "argocd.argoproj.io/instance",
        "application.sync.impersonation.enabled": "true",
        "application.sync.impersonation.enforced": "true",
        "kustomize.enable": "false",
        "jsonnet.enable": "false",
        "helm.valuesFileSchemes": "",
        "resource.respectRBAC": "normal",
        "admin.enabled": "false",
        "exec.enabled": "false",
        "timeout.reconciliation": "120s",
      },
    });
  });

  it("the cluster Secret: in-cluster, exactly the tenant namespaces (sorted), no cluster resources, no credential", () => {
    assert.deepEqual(tenantClusterSecret(["zeta", "alpha"]), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "in-cluster-tenants",
        namespace: "argocd-tenants",
        labels: { "argocd.argoproj.io/secret-type": "cluster", "app.kubernetes.io/managed-by": "pulumi" },
      },
      type: "Opaque",
      stringData: {
        name: "in-cluster",
        server: "https://kubernetes.default.svc",
        namespaces: "alpha,zeta",
        clusterResources: "false",
        config: "{}",
      },
    });
    // One more tenant changes the namespace list and nothing else.
    const [before, after] = [tenantClusterSecret(["alpha", "zeta"]), tenantClusterSecret(["alpha", "mid", "zeta"])];
    assert.deepEqual({ ...after, stringData: { ...after.stringData, namespaces: "alpha,zeta" } }, before);
  });

  it("the cluster Secret stays readable in the plan (no credential), on the in-place provider; every other shape is a credential", async () => {
    const p = await planStack("staging");
    const s = byName(p, "argocd-tenant-scope-cluster");
    assert.equal(typeof s.inputs.stringData, "object", "not the secret marker");
    assert.deepEqual(s.options.additionalSecretOutputs, []);
    const ok = tenantClusterSecret(["a"]) as Record<string, any>;
    assert.equal(isPublicArgocdClusterSecret(ok), true);
    const variants: [string, (m: Record<string, any>) => void][] = [
      ["a bearer token", (m) => (m.stringData.config = '{"bearerToken":"t"}')],
      ["TLS client data", (m) => (m.stringData.config = '{"tlsClientConfig":{"keyData":"k"}}')],
      ["another server", (m) => (m.stringData.server = "https://10.0.0.1:6443")],
      ["an extra key", (m) => (m.stringData.token = "t")],
      ["base64 data", (m) => (m.data = { config: "e30=" })],
      ["no cluster label", (m) => delete m.metadata.labels["argocd.argoproj.io/secret-type"]],
      ["a repository Secret", (m) => (m.metadata.labels["argocd.argoproj.io/secret-type"] = "repository")],
      ["not a Secret", (m) => (m.kind = "ConfigMap")],
      ["another API", (m) => (m.apiVersion = "v2")],
      ["no data at all", (m) => (m.stringData = {})],
      ["a non-string value", (m) => (m.stringData.namespaces = ["a"])],
    ];
    for (const [what, f] of variants) {
      const m = structuredClone(ok);
      f(m);
      assert.equal(isPublicArgocdClusterSecret(m), false, what);
    }
  });
});

/**
 * 443 and the port of every tenant repository the plan's tenant Applications sync, read here from
 * the URLs (an explicit port, else 443 for https and 22 for ssh): whatever tenants are committed.
 */
function tenantGitPorts(p: Plan): number[] {
  const ports = new Set([443]);
  for (const a of p.resources.filter((r) => r.type === APP && r.parent?.includes("platform:tenant:Tenant::"))) {
    const url = String(input(a, "spec.source.repoURL"));
    const explicit = /:\/\/[^/]*:(\d+)\//.exec(url);
    ports.add(explicit ? Number(explicit[1]) : url.startsWith("https://") ? 443 : 22);
  }
  return [...ports].sort((a, b) => a - b);
}

describe("Argo CD: the network fences' inputs", () => {
  it("the API Service's address is the service range's first address", () => {
    assert.equal(apiServiceIp("10.43.0.0/16"), "10.43.0.1");
    assert.equal(apiServiceIp("10.96.0.0/12"), "10.96.0.1");
    assert.equal(apiServiceIp("192.168.7.128/25"), "192.168.7.129");
    assert.equal(apiServiceIp("10.43.7.9/16"), "10.43.0.1");
    assert.throws(() => apiServiceIp("fd00::/108"), /not an IPv4 CIDR/);
  });

  it("Git ports: 443 always, then each repository's port (https 443, ssh 22, or its own), once, sorted", () => {
    assert.equal(gitPort("https://git.example.com/org/repo.git"), 443);
    assert.equal(gitPort("https://git.example.com:8443/org/repo.git"), 8443);
    assert.equal(gitPort("git@git.example.com:org/repo.git"), 22);
    assert.equal(gitPort("ssh://git@git.example.com:2222/org/repo.git"), 2222);
    assert.equal(gitPort("ssh://git@git.example.com/org/repo.git"), 22);
    assert.equal(gitPort("HTTPS://git.example.com/org/repo.git"), 443);
    assert.deepEqual(gitPorts([]), [443]);
    assert.deepEqual(
      gitPorts(["git@h:o/r.git", "https://h:8443/o/r", "https://h/o/r", "ssh://git@h:2222/o/r.git", "git@i:o/r.git"]),
      [22, 443, 2222, 8443],
    );
  });

  it("the tenant repo-server: in from its controller, out to DNS, its Redis and Git on the public internet (staging, written out)", async () => {
    const p = await planStack("staging");
    assert.deepEqual(byName(p, "argocd-tenant-scope-repo-server-netpol").inputs.spec, {
      podSelector: {
        matchLabels: { "app.kubernetes.io/name": "argocd-repo-server", "app.kubernetes.io/instance": "argocd-tenants" },
      },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [
            {
              podSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": "argocd-application-controller",
                  "app.kubernetes.io/instance": "argocd-tenants",
                },
              },
            },
          ],
          ports: [{ protocol: "TCP", port: 8081 }],
        },
      ],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        {
          to: [
            {
              podSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": "argocd-redis",
                  "app.kubernetes.io/instance": "argocd-tenants",
                },
              },
            },
          ],
          ports: [{ protocol: "TCP", port: 6379 }],
        },
        {
          to: [
            {
              ipBlock: {
                cidr: "0.0.0.0/0",
                except: ["169.254.169.254/32", "10.10.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
              },
            },
          ],
          // 443 (https Git, Helm chart repositories) and each tenant repository's own port.
          ports: tenantGitPorts(p).map((port) => ({ protocol: "TCP", port })),
        },
      ],
    });
  });

  it("both Argo CD namespaces: a default deny, and the controller out to the API, its repo-server, Redis and DNS only", async () => {
    const p = await planStack("prod");
    for (const [ns, release] of [
      ["argocd", "argocd"],
      ["argocd-tenants", "argocd-tenants"],
    ]) {
      const policies = p.resources.filter(
        (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && input(r, "metadata.namespace") === ns,
      );
      const deny = policies.find((r) => input(r, "metadata.name") === `${release}-default-deny`);
      assert.deepEqual(deny?.inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, ns);
      const controller = policies.find((r) => input(r, "metadata.name") === `${release}-application-controller`);
      const own = (name: string) => ({
        podSelector: { matchLabels: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": release } },
      });
      assert.deepEqual(
        controller?.inputs.spec,
        {
          podSelector: own("argocd-application-controller").podSelector,
          policyTypes: ["Ingress", "Egress"],
          egress: [
            { to: [{ ipBlock: { cidr: "10.43.0.1/32" } }], ports: [{ protocol: "TCP", port: 443 }] },
            { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 6443 }] },
            { to: [own("argocd-repo-server")], ports: [{ protocol: "TCP", port: 8081 }] },
            { to: [own("argocd-redis")], ports: [{ protocol: "TCP", port: 6379 }] },
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                },
              ],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
          ],
        },
        ns,
      );
      const redis = policies.find((r) => input(r, "metadata.name") === `${release}-redis`);
      const clients =
        ns === "argocd"
          ? ["argocd-application-controller", "argocd-repo-server", "argocd-server"]
          : ["argocd-application-controller", "argocd-repo-server"];
      assert.deepEqual(
        redis?.inputs.spec,
        {
          podSelector: own("argocd-redis").podSelector,
          policyTypes: ["Ingress", "Egress"],
          ingress: [{ from: clients.map(own), ports: [{ protocol: "TCP", port: 6379 }] }],
        },
        ns,
      );
      // Every policy is in place before the instance's pods (re)start.
      const rel = byName(p, release === "argocd" ? "platform-argocd" : "platform-argocd-tenants", RELEASE);
      for (const r of policies.filter((x) => !x.name.startsWith("argocd-tenant-scope")))
        assert.ok(rel.options.dependsOn.includes(r.urn), `${r.name} before ${rel.name}`);
    }
  });
});

describe("docs/tenant-isolation.md §1: every Argo CD path names its rule and a test that exists", () => {
  it("the table's rule ids are the catalog's, every TEN-ARGO rule is in it, and each quoted test title is in its file", () => {
    const doc = readFileSync(join(repoRoot, "docs", "tenant-isolation.md"), "utf8");
    const section = doc.slice(doc.indexOf("\n## 1. "), doc.indexOf("\n## 2. "));
    const rows = section
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| Path") && !l.startsWith("| ---"))
      .map((l) => l.split(" | ").map((c) => c.replace(/^\| |\s*\|$/g, "").trim()));
    assert.ok(rows.length >= 8, `${rows.length} paths`);
    const ids = new Set(RULES.map((r) => r.id));
    const named = new Set<string>();
    for (const [path, , rule, proof] of rows) {
      assert.ok(proof, `${path}: a proving test`);
      for (const id of rule.match(/[A-Z]+-[A-Z]+-\d{3}/g) ?? []) {
        assert.ok(ids.has(id), `${path}: ${id} is no rule of the catalog`);
        named.add(id);
      }
      // `<file>` then the quoted titles (or parts of them) that file must contain.
      let file = "";
      let quotes = 0;
      for (const m of proof.matchAll(/`([^`]+\.ts)`|"([^"]+)"/g)) {
        if (m[1]) file = m[1];
        else {
          assert.ok(file, `${path}: "${m[2]}" names no file`);
          assert.ok(readFileSync(join(repoRoot, file), "utf8").includes(m[2]), `${file} has no test "${m[2]}"`);
          quotes++;
        }
      }
      assert.ok(quotes > 0, `${path}: no test title quoted`);
    }
    assert.deepEqual(
      [...ids].filter((id) => id.startsWith("TEN-ARGO-") && !named.has(id)),
      ["TEN-ARGO-002"],
      "every Argo CD rule but the Application's own shape (§1's sync identities paragraph) has a path",
    );
  });
});

describe("test:cluster's chart stand-ins come from the plan's argo-cd releases (tools/cluster/prereqs.ts)", function () {
  this.timeout(120_000);
  it("the tenant instance gets its controller's ServiceAccount and no cluster-wide role; the platform's, its values' ClusterRole and binding", async () => {
    // The platform's values are a secret in the plan (the admin password hash): planned with reveal, as `up` does.
    const p = await serial(() => plan({ stack: "staging", reveal: PLAN_REVEAL }));
    const objects = chartPrerequisites([], argocdReleases(p.resources), {}).filter((o) =>
      ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"].includes(o.kind),
    );
    assert.deepEqual(
      objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`),
      [
        "ServiceAccount argocd/argocd-application-controller",
        "ClusterRole /argocd-application-controller",
        "ClusterRoleBinding /argocd-application-controller",
        "ServiceAccount argocd-tenants/argocd-tenants-application-controller",
      ],
    );
    const role = objects.find((o) => o.kind === "ClusterRole") as any;
    assert.deepEqual(role.rules[2], {
      apiGroups: [""],
      resources: ["serviceaccounts"],
      verbs: ["impersonate"],
      resourceNames: ["argocd-platform-sync"],
    });
    // A release whose values are masked is refused rather than guessed.
    const masked = p.resources.map((r) =>
      r.name === "platform-argocd-tenants"
        ? { ...r, inputs: { ...r.inputs, values: "[secret]" }, revealedInputs: undefined }
        : r,
    );
    assert.throws(
      () => argocdReleases(masked),
      /platform-argocd-tenants: the argo-cd release's values are not readable/,
    );
    // Without createClusterRoles: false, the chart's default role is everything.
    const open = p.resources.map((r) => {
      if (r.name !== "platform-argocd-tenants") return r;
      const values = { ...(r.inputs.values as object), createClusterRoles: true };
      return { ...r, inputs: { ...r.inputs, values }, revealedInputs: undefined };
    });
    const wide = chartPrerequisites([], argocdReleases(open), {}).find(
      (o) => o.kind === "ClusterRole" && o.metadata.name === "argocd-tenants-application-controller",
    ) as any;
    assert.deepEqual(wide.rules, [
      { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
      { nonResourceURLs: ["*"], verbs: ["*"] },
    ]);
  });
});
