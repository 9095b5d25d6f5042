/**
 * Predicates and patterns the rules build on, field by field: the tenant Argo CD's controller
 * binding (TEN-ARGO-006 accepts exactly the platform's, TEN-RBAC-002 exempts exactly it), which
 * user-data SITE-NODE-001 judges, the port a Git URL is reached on (TEN-ARGO-007's repo-server
 * egress), the GitHub module paths CRD files are served from, and PROT-001's walk of what a
 * tenant's Application depends on. The
 * mutation run of 2026-12-06 left each condition of these alive: the whole-plan tests only ever
 * fed them the platform's own, correct values. Expectations are literal (issue 18).
 */
import { strict as assert } from "node:assert";
import { NODE_RULES } from "../components/rules/hardening";
import { PROTECT_RULES } from "../components/rules/protect";
import { isControllerBinding, K8sObject } from "../components/rules/tenant-objects";
import { siteContext } from "../components/rules";
import { Rule } from "../components/rules/types";
import { gitPort } from "../components/rules/argocd";
import { githubRawUrl } from "../components/versions";
import { readStackConfig } from "./helpers/harness";

/** The binding the platform writes into tenant demo-tv's namespace (components/tenant/gitops.ts), written out. */
const binding = (): Record<string, any> => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name: "argocd-tenants-controller", namespace: "demo-tv" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "platform-tenant-argocd-controller" },
  subjects: [{ kind: "ServiceAccount", name: "argocd-tenants-application-controller", namespace: "argocd-tenants" }],
});

describe("isControllerBinding: the tenant Argo CD's controller binding, exactly", () => {
  it("the platform's binding in the tenant's own namespace is it", () => {
    assert.equal(isControllerBinding(binding() as K8sObject, "demo-tv"), true);
  });

  const changes: [string, (b: Record<string, any>) => void][] = [
    ["another name", (b) => (b.metadata.name = "argocd-tenants-controller-2")],
    ["another namespace", (b) => (b.metadata.namespace = "demo-radio")],
    ["a Role instead of the ClusterRole", (b) => (b.roleRef.kind = "Role")],
    ["another ClusterRole", (b) => (b.roleRef.name = "admin")],
    ["a second subject", (b) => b.subjects.push({ kind: "Group", name: "system:authenticated" })],
    ["no subject", (b) => (b.subjects = [])],
    ["a user instead of the ServiceAccount", (b) => (b.subjects[0].kind = "User")],
    ["another ServiceAccount name", (b) => (b.subjects[0].name = "argocd-application-controller")],
    ["the ServiceAccount of another namespace", (b) => (b.subjects[0].namespace = "argocd")],
  ];
  for (const [what, change] of changes)
    it(`is not it with ${what}`, () => {
      const b = binding();
      change(b);
      assert.equal(isControllerBinding(b as K8sObject, "demo-tv"), false);
    });
});

describe("SITE-NODE-001 judges cloud-config text only", () => {
  // The context the plan gives the rules for the staging stack.
  const SITE = siteContext("staging", readStackConfig("staging"));
  const check = (userData: unknown) =>
    (NODE_RULES.find((r) => r.id === "SITE-NODE-001") as Rule).check(
      [
        {
          urn: "urn:pulumi:staging::video-platform::hcloud:index/server:Server::worker-1",
          type: "hcloud:index/server:Server",
          name: "worker-1",
          parent: null,
          inputs: { userData, labels: { "platform.video/role": "worker" } },
          options: { protect: false },
        },
      ],
      SITE,
    );

  it("skips user-data that is not text, the plan's secret and unknown markers, and text that is no cloud-config", () => {
    for (const userData of [
      undefined,
      42,
      { "#cloud-config": true },
      "[secret]",
      "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      "#!/bin/sh\n",
    ])
      assert.deepEqual(check(userData), [], JSON.stringify(userData));
  });

  it("judges cloud-config text: an empty one lacks every worker requirement", () => {
    assert.equal(check("#cloud-config\n").length, 5);
  });
});

describe("githubRawUrl: only a whole github.com module path", () => {
  it("maps owner, repository and a major-version suffix of any length to the raw file at the tag", () => {
    assert.equal(
      githubRawUrl("github.com/argoproj/argo-cd/v3", "v3.6.2", "manifests/crds/application-crd.yaml"),
      "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/application-crd.yaml",
    );
    assert.equal(
      githubRawUrl("github.com/o/r/v12", "v12.0.1", "a.yaml"),
      "https://raw.githubusercontent.com/o/r/v12.0.1/a.yaml",
    );
  });

  it("refuses a path that only contains or starts with one", () => {
    for (const m of ["example.com/github.com/o/r", "github.com/o/r/sub/dir", "github.com/o/r/v3x", "github.com/o"])
      assert.throws(() => githubRawUrl(m, "v1.0.0", "a.yaml"), /is not a github\.com module path/, m);
  });
});

describe("gitPort: the port a repository URL is reached on", () => {
  it("an explicit port after any user part, else 443 for https and 22 for ssh and scp-like URLs", () => {
    const cases: [string, number][] = [
      ["https://git.example.com/org/repo.git", 443],
      ["https://git.example.com:8443/org/repo.git", 8443],
      ["https://token@git.example.com:8443/org/repo.git", 8443],
      ["ssh://git@git.example.com:2222/org/repo.git", 2222],
      ["ssh://git@git.example.com/org/repo.git", 22],
      ["git@git.example.com:org/repo.git", 22],
      // A scheme-like text later in the URL is not its scheme: the URL's own is https, no port.
      ["https://git.example.com/org/ssh://x.example.com:2222/", 443],
    ];
    for (const [url, port] of cases) assert.equal(gitPort(url), port, url);
  });
});

describe("PROT-001: what a tenant's Application depends on, transitively", () => {
  const U = "urn:pulumi:prod::video-platform::";
  const TENANT = `${U}platform:tenant:Tenant::demo-tv`;
  // Prod is a protected stack: PROT-001 applies.
  const SITE = siteContext("prod", readStackConfig("prod"));
  const child = (type: string, name: string, opts: { protect?: boolean; dependsOn?: string[] } = {}) => ({
    urn: `${U}platform:tenant:Tenant$${type}::${name}`,
    type,
    name,
    parent: TENANT,
    inputs: { metadata: { labels: {} } },
    options: { protect: opts.protect ?? false, dependsOn: opts.dependsOn ?? [] },
  });
  const check = (resources: ReturnType<typeof child>[]) =>
    PROTECT_RULES[0].check(resources, SITE).map((v) => v.urn.split("::").pop());
  const NS = "kubernetes:core/v1:Namespace";
  const CM = "kubernetes:core/v1:ConfigMap";
  const APP = "kubernetes:argoproj.io/v1alpha1:Application";

  it("an unprotected object reached only through another dependency is no violation; one reached by nothing is", () => {
    const ns = child(NS, "demo-tv-ns", { protect: true });
    const deep = child(CM, "deep");
    const middle = child(CM, "middle", { dependsOn: [deep.urn] });
    const loose = child(CM, "loose");
    const app = child(APP, "demo-tv-app", { protect: true, dependsOn: [middle.urn] });
    assert.deepEqual(check([ns, deep, middle, loose, app]), ["loose"]);
  });

  it("a dependency cycle ends (each URN is visited once)", () => {
    const ns = child(NS, "demo-tv-ns", { protect: true });
    const a = child(CM, "a", { dependsOn: [`${U}platform:tenant:Tenant$${CM}::b`] });
    const b = child(CM, "b", { dependsOn: [a.urn] });
    const app = child(APP, "demo-tv-app", { protect: true, dependsOn: [a.urn] });
    assert.deepEqual(check([ns, a, b, app]), []);
  });

  it("a tenant without an Application has no deletion order to check", () => {
    assert.deepEqual(check([child(NS, "demo-tv-ns", { protect: true }), child(CM, "loose")]), []);
  });
});
