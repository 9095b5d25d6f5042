/**
 * Pins components/rules/argocd.ts (TEN-ARGO-005, -006, -007) on a small hand-built plan: the two
 * Argo CD instances, one platform project and root app, two tenants with their project,
 * application and controller binding, the tenant instance's release, argocd-cm, cluster Secret,
 * controller ClusterRole and both namespaces' NetworkPolicies. Each refusal is asserted exactly
 * (rule, URN, message) next to the nearest input that is accepted. Everything is written out
 * literally (issue 18), never built from the product's constants.
 */
import { strict as assert } from "node:assert";
import { ARGOCD_ISOLATION_RULES } from "../components/rules/argocd";
import { RuleResource, SiteContext, Violation } from "../components/rules/types";

const SITE: SiteContext = {
  stack: "staging",
  protected: false,
  adminCidrs: ["203.0.113.0/24"],
  blockedRanges: ["169.254.169.254/32", "10.10.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
  datastore: { quotaBytes: 4294967296, serverType: "cx33" },
};
const U = "urn:pulumi:staging::video-platform::";
const PLATFORM = `${U}platform:platform:Platform::platform`;
const tenantUrn = (t: string) => `${U}platform:tenant:Tenant::${t}`;
const PLAT = (type: string, name: string) => `${U}platform:platform:Platform$${type}::${name}`;
const CHILD = (type: string, name: string) => `${U}platform:tenant:Tenant$${type}::${name}`;

const T = {
  app: "kubernetes:argoproj.io/v1alpha1:Application",
  project: "kubernetes:argoproj.io/v1alpha1:AppProject",
  release: "kubernetes:helm.sh/v3:Release",
  crb: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  rb: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  role: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  secret: "kubernetes:core/v1:Secret",
  cm: "kubernetes:core/v1:ConfigMap",
};

type World = Record<string, RuleResource>;
const res = (urn: string, type: string, name: string, parent: string, inputs: Record<string, any>): RuleResource => ({
  urn,
  type,
  name,
  parent,
  inputs,
  options: { protect: false },
});
const own = (release: string, name: string) => ({
  podSelector: { matchLabels: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": release } },
});
const dns = () => ({
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
});
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
const INTERNET = (...ports: number[]) => ({
  to: [
    { ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32", "10.10.0.0/16", "10.42.0.0/16", "10.43.0.0/16"] } },
  ],
  ports: tcp(...ports),
});
const api = () => [
  { to: [{ ipBlock: { cidr: "10.43.0.1/32" } }], ports: tcp(443) },
  { to: [{ ipBlock: { cidr: "10.10.0.0/16" } }], ports: tcp(6443) },
];

/** The NetworkPolicies of one instance, as the platform writes them. */
function policies(ns: string, release: string, gitPorts: number[]): World {
  const np = (name: string, spec: Record<string, any>) =>
    res(PLAT(T.netpol, `${release}-${name}`), T.netpol, `${release}-${name}`, PLATFORM, {
      metadata: { name: `${release}-${name}`, namespace: ns },
      spec,
    });
  const sel = (c: string) => own(release, c).podSelector;
  const both = ["Ingress", "Egress"];
  return {
    [`${release}-deny`]: np("default-deny", { podSelector: {}, policyTypes: both }),
    [`${release}-controller`]: np("application-controller", {
      podSelector: sel("argocd-application-controller"),
      policyTypes: both,
      egress: [
        ...api(),
        { to: [own(release, "argocd-repo-server")], ports: tcp(8081) },
        { to: [own(release, "argocd-redis")], ports: tcp(6379) },
        dns(),
      ],
    }),
    [`${release}-redis`]: np("redis", {
      podSelector: sel("argocd-redis"),
      policyTypes: both,
      ingress: [
        {
          from: [own(release, "argocd-application-controller"), own(release, "argocd-repo-server")],
          ports: tcp(6379),
        },
      ],
    }),
    [`${release}-repo`]: np("repo-server", {
      podSelector: sel("argocd-repo-server"),
      policyTypes: both,
      ingress: [{ from: [own(release, "argocd-application-controller")], ports: tcp(8081) }],
      egress: [dns(), { to: [own(release, "argocd-redis")], ports: tcp(6379) }, INTERNET(...gitPorts)],
    }),
  };
}

/** One tenant's Argo CD objects. */
function tenant(t: string, repoURL: string): World {
  return {
    [`${t}-component`]: res(
      tenantUrn(t),
      "platform:tenant:Tenant",
      t,
      `${U}pulumi:pulumi:Stack::video-platform-staging`,
      {},
    ),
    [`${t}-project`]: res(CHILD(T.project, `${t}-project`), T.project, `${t}-project`, tenantUrn(t), {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: t, namespace: "argocd-tenants" },
      spec: {
        destinationServiceAccounts: [
          { server: "https://kubernetes.default.svc", namespace: t, defaultServiceAccount: `${t}:argocd-sync` },
        ],
      },
    }),
    [`${t}-app`]: res(CHILD(T.app, `${t}-app`), T.app, `${t}-app`, tenantUrn(t), {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: t, namespace: "argocd-tenants" },
      spec: { project: t, source: { repoURL } },
    }),
    [`${t}-access`]: res(CHILD(T.rb, `${t}-argocd-access`), T.rb, `${t}-argocd-access`, tenantUrn(t), {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "argocd-tenants-controller", namespace: t },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "platform-tenant-argocd-controller",
      },
      subjects: [
        { kind: "ServiceAccount", name: "argocd-tenants-application-controller", namespace: "argocd-tenants" },
      ],
    }),
  };
}

const READ = () => ["get", "list", "watch"];

/** The whole hand-built plan: accepted by every rule. */
function world(): World {
  return {
    platformComponent: res(PLATFORM, "platform:platform:Platform", "platform", `${U}pulumi:pulumi:Stack::x`, {}),
    platformProject: res(PLAT(T.project, "platform-argocd-project"), T.project, "platform-argocd-project", PLATFORM, {
      metadata: { name: "platform", namespace: "argocd" },
      spec: {
        destinationServiceAccounts: [
          {
            server: "https://kubernetes.default.svc",
            namespace: "*",
            defaultServiceAccount: "argocd:argocd-platform-sync",
          },
        ],
      },
    }),
    rootApp: res(PLAT(T.app, "platform-root-app"), T.app, "platform-root-app", PLATFORM, {
      metadata: { name: "platform-root", namespace: "argocd" },
      spec: { source: { repoURL: "https://git.example.com/platform/gitops.git" } },
    }),
    platformSync: res(PLAT(T.crb, "platform-argocd-platform-sync"), T.crb, "platform-argocd-platform-sync", PLATFORM, {
      metadata: { name: "argocd-platform-sync" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "argocd-platform-sync", namespace: "argocd" }],
    }),
    release: res(PLAT(T.release, "platform-argocd-tenants"), T.release, "platform-argocd-tenants", PLATFORM, {
      name: "argocd-tenants",
      namespace: "argocd-tenants",
      chart: "argo-cd",
      values: {
        global: { image: { tag: "v3.6.2" }, networkPolicy: { create: false } },
        crds: { install: false },
        createClusterRoles: false,
        configs: { cm: { create: false } },
        dex: { enabled: false },
        notifications: { enabled: false },
        applicationSet: { replicas: 0 },
        server: { replicas: 0 },
        repoServer: { automountServiceAccountToken: false, serviceAccount: { automountServiceAccountToken: false } },
      },
    }),
    cm: res(PLAT(T.cm, "platform-argocd-tenants-cm"), T.cm, "platform-argocd-tenants-cm", PLATFORM, {
      metadata: { name: "argocd-cm", namespace: "argocd-tenants", labels: { "app.kubernetes.io/part-of": "argocd" } },
      data: {
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
    }),
    cluster: res(PLAT(T.secret, "argocd-tenant-scope-cluster"), T.secret, "argocd-tenant-scope-cluster", PLATFORM, {
      metadata: {
        name: "in-cluster-tenants",
        namespace: "argocd-tenants",
        labels: { "argocd.argoproj.io/secret-type": "cluster" },
      },
      stringData: {
        name: "in-cluster",
        server: "https://kubernetes.default.svc",
        namespaces: "alpha,beta",
        clusterResources: "false",
        config: "{}",
      },
    }),
    controllerRole: res(
      PLAT(T.role, "platform-tenant-argocd-controller"),
      T.role,
      "platform-tenant-argocd-controller",
      PLATFORM,
      {
        metadata: { name: "platform-tenant-argocd-controller" },
        rules: [
          { apiGroups: [""], resources: ["configmaps", "services", "pods"], verbs: READ() },
          { apiGroups: ["apps"], resources: ["deployments", "replicasets"], verbs: READ() },
          { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"], resourceNames: ["argocd-sync"] },
        ],
      },
    ),
    // The platform's repository is https; the tenants' are https and scp-like ssh.
    ...policies("argocd", "argocd", [443]),
    ...policies("argocd-tenants", "argocd-tenants", [22, 443]),
    ...tenant("alpha", "https://git.example.com/alpha/apps.git"),
    ...tenant("beta", "git@git.example.com:beta/apps.git"),
  };
}

const rule = (id: string) => {
  const r = ARGOCD_ISOLATION_RULES.find((x) => x.id === id);
  assert.ok(r, id);
  return r;
};
/** `id`'s findings on the world changed by `f` (a key set to null is removed). */
function check(id: string, f: (w: Record<string, any>) => void = () => {}): Violation[] {
  const w = structuredClone(world()) as Record<string, any>;
  f(w);
  return rule(id).check(
    Object.values(w).filter((r) => r !== null),
    SITE,
  );
}
const at = (id: string, urn: string, ...messages: string[]) => messages.map((message) => ({ rule: id, urn, message }));

describe("TEN-ARGO-005..007 on the hand-built plan: all accepted", () => {
  for (const id of ["TEN-ARGO-005", "TEN-ARGO-006", "TEN-ARGO-007"])
    it(`${id} accepts the two instances as the platform writes them`, () => assert.deepEqual(check(id), []));

  it("the rules are enforced in the plan and in previews, each with its fix", () => {
    for (const r of ARGOCD_ISOLATION_RULES) {
      assert.deepEqual(r.enforcedIn, ["plan", "preview"], r.id);
      assert.ok(r.fix.includes("components/"), r.id);
    }
  });
});

describe("TEN-ARGO-005: tenant applications in the tenant Argo CD only, sharing nothing with a cluster-wide sync", () => {
  const appUrn = CHILD(T.app, "alpha-app");
  const SHARED = (sa: string) =>
    `Application alpha shares the Argo CD instance in argocd (repo-server, Redis, controller) with project platform, which syncs as ${sa}, bound cluster-wide`;

  it("refuses a tenant Application in the platform's instance: shared with its cluster-admin sync, and misplaced", () => {
    assert.deepEqual(
      check("TEN-ARGO-005", (w) => (w["alpha-app"].inputs.metadata.namespace = "argocd")),
      [
        ...at("TEN-ARGO-005", appUrn, SHARED("argocd:argocd-platform-sync")),
        ...at("TEN-ARGO-005", appUrn, "tenant Application alpha is in argocd, not the tenant Argo CD's argocd-tenants"),
      ],
    );
  });

  it("refuses a project beside tenant applications that syncs as a cluster-wide identity, however it is bound", () => {
    const wide = (f: (w: Record<string, any>) => void) =>
      check("TEN-ARGO-005", (w) => {
        w.platformProject.inputs.metadata.namespace = "argocd-tenants";
        f(w);
      }).filter((x) => x.urn === appUrn);
    const shared = (sa: string) => at("TEN-ARGO-005", appUrn, SHARED(sa).replace("in argocd", "in argocd-tenants"));
    assert.deepEqual(
      wide(() => {}),
      shared("argocd:argocd-platform-sync"),
    );
    // A bare name means the ServiceAccount of that name in the destination namespace.
    assert.deepEqual(
      wide((w) => {
        w.platformProject.inputs.spec.destinationServiceAccounts[0] = {
          namespace: "argocd",
          defaultServiceAccount: "argocd-platform-sync",
        };
      }),
      shared("argocd:argocd-platform-sync"),
    );
    // Bound through the group of its namespace's ServiceAccounts, or of every one (then the
    // tenants' own accounts are cluster-wide too).
    assert.deepEqual(
      wide((w) => (w.platformSync.inputs.subjects = [{ kind: "Group", name: "system:serviceaccounts:argocd" }])),
      shared("argocd:argocd-platform-sync"),
    );
    assert.deepEqual(
      wide((w) => (w.platformSync.inputs.subjects = [{ kind: "Group", name: "system:serviceaccounts" }])).map(
        (x) => x.message,
      ),
      [
        SHARED("argocd:argocd-platform-sync").replace("in argocd", "in argocd-tenants"),
        SHARED("alpha:argocd-sync")
          .replace("in argocd", "in argocd-tenants")
          .replace("project platform", "project alpha"),
        SHARED("beta:argocd-sync")
          .replace("in argocd", "in argocd-tenants")
          .replace("project platform", "project beta"),
      ],
    );
    // The nearest legitimate: the same project whose identity no ClusterRoleBinding grants.
    assert.deepEqual(
      wide((w) => (w.platformSync.inputs.subjects = [{ kind: "Group", name: "system:serviceaccounts:kube-system" }])),
      [],
    );
    assert.deepEqual(
      wide((w) => (w.platformSync.inputs.subjects = [{ kind: "User", name: "argocd:argocd-platform-sync" }])),
      [],
    );
  });

  it("a tenant's own project mapping its own namespaced account is not shared", () => {
    assert.deepEqual(
      check(
        "TEN-ARGO-005",
        (w) => (w["beta-project"].inputs.spec.destinationServiceAccounts[0].defaultServiceAccount = "argocd-sync"),
      ),
      [],
    );
  });

  it("refuses a misplaced tenant project and anything but the platform's project and root app outside the tenants", () => {
    assert.deepEqual(
      check("TEN-ARGO-005", (w) => (w["beta-project"].inputs.metadata.namespace = "beta")),
      at(
        "TEN-ARGO-005",
        CHILD(T.project, "beta-project"),
        "tenant AppProject beta is in beta, not the tenant Argo CD's argocd-tenants",
      ),
    );
    const only = "the platform declares only argocd/platform and argocd/platform-root outside the tenants";
    assert.deepEqual(
      check("TEN-ARGO-005", (w) => (w.rootApp.inputs.metadata.name = "extra")),
      at("TEN-ARGO-005", w().rootApp.urn, `Application argocd/extra: ${only}`),
    );
    assert.deepEqual(
      check("TEN-ARGO-005", (w) => (w.rootApp.inputs.metadata.namespace = "argocd-tenants")),
      at("TEN-ARGO-005", w().rootApp.urn, `Application argocd-tenants/platform-root: ${only}`),
    );
    assert.deepEqual(
      check("TEN-ARGO-005", (w) => (w.platformProject.inputs.metadata.name = "platform-root")),
      at("TEN-ARGO-005", w().platformProject.urn, `AppProject argocd/platform-root: ${only}`),
    );
  });

  it("refuses a tenant instance that is missing, elsewhere, or runs more than tenant repositories need", () => {
    const rel = w().release.urn;
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => (x.release = null)),
      at("TEN-ARGO-005", PLATFORM, "no Helm release argocd-tenants: tenant repositories have no Argo CD of their own"),
    );
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => (x.release.inputs.name = "argocd-tenant")),
      at("TEN-ARGO-005", PLATFORM, "no Helm release argocd-tenants: tenant repositories have no Argo CD of their own"),
    );
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => (x.release.type = "kubernetes:helm.sh/v4:Chart")),
      at("TEN-ARGO-005", PLATFORM, "no Helm release argocd-tenants: tenant repositories have no Argo CD of their own"),
    );
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => (x.release.inputs.namespace = "argocd")),
      at("TEN-ARGO-005", rel, "release argocd-tenants must be in argocd-tenants"),
    );
    const values: [string, (v: any) => void, string][] = [
      [
        "crds.install",
        (v) => (v.crds.install = true),
        "values crds.install must be false: the platform instance installs the CRDs once",
      ],
      [
        "createClusterRoles",
        (v) => delete v.createClusterRoles,
        "values createClusterRoles must be false: no component of it gets a ClusterRole",
      ],
      [
        "configs.cm.create",
        (v) => (v.configs.cm.create = true),
        "values configs.cm.create must be false: its argocd-cm is the platform's (TEN-ARGO-006)",
      ],
      ["dex", (v) => (v.dex.enabled = true), "values dex.enabled must be false: it has no users"],
      ["notifications", (v) => delete v.notifications, "values notifications.enabled must be false: it sends nothing"],
      [
        "applicationSet",
        (v) => (v.applicationSet.replicas = 1),
        "values applicationSet.replicas must be 0: no ApplicationSet controller",
      ],
      [
        "server",
        (v) => (v.server.replicas = "0"),
        "values server.replicas must be 0: no API server, UI or webhook endpoint",
      ],
      [
        "token",
        (v) => (v.repoServer.automountServiceAccountToken = true),
        "values repoServer.automountServiceAccountToken must be false: the repo-server gets no API token",
      ],
      [
        "sa token",
        (v) => delete v.repoServer.serviceAccount,
        "values repoServer.serviceAccount.automountServiceAccountToken must be false: the repo-server gets no API token",
      ],
      [
        "policies",
        (v) => (v.global.networkPolicy.create = true),
        "values global.networkPolicy.create must be false: its NetworkPolicies are the platform's (TEN-ARGO-007)",
      ],
    ];
    for (const [what, f, message] of values)
      assert.deepEqual(
        check("TEN-ARGO-005", (x) => f(x.release.inputs.values)),
        at("TEN-ARGO-005", rel, message),
        what,
      );
    const plugin = "the repo-server runs no extra or init container (no config management plugin)";
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => (x.release.inputs.values.repoServer.extraContainers = [{ name: "cmp" }])),
      at("TEN-ARGO-005", rel, plugin),
    );
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => (x.release.inputs.values.repoServer.initContainers = [{ name: "cmp" }])),
      at("TEN-ARGO-005", rel, plugin),
    );
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => (x.release.inputs.values.configs.cmp = { create: true, plugins: { p: {} } })),
      at("TEN-ARGO-005", rel, "configs.cmp declares no config management plugin"),
    );
    // Empty lists and an empty plugin map are the legitimate twins.
    assert.deepEqual(
      check("TEN-ARGO-005", (x) => {
        Object.assign(x.release.inputs.values.repoServer, { extraContainers: [], initContainers: [] });
        x.release.inputs.values.configs.cmp = { create: false, plugins: {} };
      }),
      [],
    );
  });
});

/** The hand-built world's resources, for URNs. */
const w = () => world();

describe("TEN-ARGO-006: the tenant Argo CD reaches tenant namespaces only and renders Helm or plain manifests only", () => {
  const cm = w().cm.urn;
  it("refuses a missing, unlabelled or weakened argocd-cm, naming each setting", () => {
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.cm = null)),
      at(
        "TEN-ARGO-006",
        PLATFORM,
        "no ConfigMap argocd-tenants/argocd-cm: the tenant Argo CD would run with Argo CD's defaults",
      ),
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.cm.inputs.metadata.namespace = "argocd")),
      at(
        "TEN-ARGO-006",
        PLATFORM,
        "no ConfigMap argocd-tenants/argocd-cm: the tenant Argo CD would run with Argo CD's defaults",
      ),
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.cm.inputs.metadata.name = "argocd-cmd-params-cm")),
      at(
        "TEN-ARGO-006",
        PLATFORM,
        "no ConfigMap argocd-tenants/argocd-cm: the tenant Argo CD would run with Argo CD's defaults",
      ),
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => delete x.cm.inputs.metadata.labels),
      at("TEN-ARGO-006", cm, "argocd-cm must carry app.kubernetes.io/part-of: argocd (Argo CD ignores it otherwise)"),
    );
    const settings: [string, string][] = [
      ["application.sync.impersonation.enabled", "true"],
      ["application.sync.impersonation.enforced", "true"],
      ["kustomize.enable", "false"],
      ["jsonnet.enable", "false"],
      ["helm.valuesFileSchemes", ""],
      ["resource.respectRBAC", "normal"],
      ["admin.enabled", "false"],
      ["exec.enabled", "false"],
    ];
    for (const [k, want] of settings) {
      assert.deepEqual(
        check("TEN-ARGO-006", (x) => delete x.cm.inputs.data[k]),
        at("TEN-ARGO-006", cm, `argocd-cm "${k}" must be "${want}"`),
        k,
      );
      assert.deepEqual(
        check("TEN-ARGO-006", (x) => (x.cm.inputs.data[k] = `${want}x`)),
        at("TEN-ARGO-006", cm, `argocd-cm "${k}" must be "${want}"`),
        k,
      );
    }
    for (const k of ["configManagementPlugins", "kustomize.buildOptions", "kustomize.buildOptions.v5"])
      assert.deepEqual(
        check("TEN-ARGO-006", (x) => (x.cm.inputs.data[k] = "--enable-helm")),
        at("TEN-ARGO-006", cm, `argocd-cm must not set "${k}"`),
        k,
      );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.cm.inputs.data["kustomize.path.v5"] = "/usr/bin/kustomize")),
      [],
      "other keys are Argo CD's business",
    );
  });

  it("refuses anything but one cluster Secret for the in-cluster server, listing exactly the tenant namespaces", () => {
    const s = w().cluster.urn;
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.cluster = null)),
      at("TEN-ARGO-006", PLATFORM, "expected one cluster Secret in argocd-tenants, found 0"),
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.cluster.inputs.metadata.labels["argocd.argoproj.io/secret-type"] = "repository")),
      at("TEN-ARGO-006", PLATFORM, "expected one cluster Secret in argocd-tenants, found 0"),
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => {
        x.second = structuredClone(x.cluster);
        x.second.urn = `${x.cluster.urn}-2`;
      }),
      at("TEN-ARGO-006", `${s}-2`, "expected one cluster Secret in argocd-tenants, found 2"),
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.cluster.inputs.metadata.namespace = "argocd")),
      at("TEN-ARGO-006", PLATFORM, "expected one cluster Secret in argocd-tenants, found 0"),
    );
    const fields: [string, (d: any) => void, string][] = [
      [
        "server",
        (d) => (d.server = "https://10.0.0.1:6443"),
        "cluster Secret server must be https://kubernetes.default.svc",
      ],
      [
        "a missing tenant",
        (d) => (d.namespaces = "alpha"),
        "cluster Secret namespaces must be exactly the tenant namespaces (alpha,beta)",
      ],
      [
        "another namespace",
        (d) => (d.namespaces = "alpha,beta,kube-system"),
        "cluster Secret namespaces must be exactly the tenant namespaces (alpha,beta)",
      ],
      [
        "every namespace",
        (d) => delete d.namespaces,
        "cluster Secret namespaces must be exactly the tenant namespaces (alpha,beta)",
      ],
      ["cluster resources", (d) => (d.clusterResources = "true"), 'cluster Secret clusterResources must be "false"'],
      ["cluster resources unset", (d) => delete d.clusterResources, 'cluster Secret clusterResources must be "false"'],
      [
        "a token",
        (d) => (d.config = '{"bearerToken":"t"}'),
        "cluster Secret config must be {} (the controller's own ServiceAccount, no other credential)",
      ],
    ];
    for (const [what, f, message] of fields)
      assert.deepEqual(
        check("TEN-ARGO-006", (x) => f(x.cluster.inputs.stringData)),
        at("TEN-ARGO-006", s, message),
        what,
      );
  });

  it("refuses a controller role that writes, reads more than tenant kinds, pods and ReplicaSets, or impersonates anyone but argocd-sync", () => {
    const role = w().controllerRole.urn;
    const R = "platform-tenant-argocd-controller";
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.controllerRole = null)),
      at("TEN-ARGO-006", PLATFORM, `no ClusterRole ${R}`),
    );
    const cases: [string, (rules: any[]) => void, string][] = [
      ["a write", (r) => r[0].verbs.push("patch"), `${R} rules[0] grants get, list, watch, patch: reads only`],
      ["a wildcard verb", (r) => (r[1].verbs = ["*"]), `${R} rules[1] grants *: reads only`],
      [
        "Secrets",
        (r) => r[0].resources.push("secrets"),
        `${R} rules[0] reads core/secrets, which is no tenant kind, pod or ReplicaSet`,
      ],
      [
        "every kind",
        (r) => (r[1].resources = ["*"]),
        `${R} rules[1] reads apps/*, which is no tenant kind, pod or ReplicaSet`,
      ],
      [
        "RBAC",
        (r) => (r[1] = { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: READ() }),
        `${R} rules[1] reads rbac.authorization.k8s.io/rolebindings, which is no tenant kind, pod or ReplicaSet`,
      ],
      ["nonResourceURLs", (r) => (r[0].nonResourceURLs = ["/metrics"]), `${R} rules[0] grants nonResourceURLs`],
      [
        "another account",
        (r) => (r[2].resourceNames = ["argocd-platform-sync"]),
        `${R} rules[2] may impersonate only ServiceAccount argocd-sync`,
      ],
      [
        "any account",
        (r) => delete r[2].resourceNames,
        `${R} rules[2] may impersonate only ServiceAccount argocd-sync`,
      ],
      [
        "two accounts",
        (r) => r[2].resourceNames.push("default"),
        `${R} rules[2] may impersonate only ServiceAccount argocd-sync`,
      ],
      ["users", (r) => (r[2].resources = ["users"]), `${R} rules[2] may impersonate only ServiceAccount argocd-sync`],
      [
        "another group",
        (r) => (r[2].apiGroups = ["apps"]),
        `${R} rules[2] may impersonate only ServiceAccount argocd-sync`,
      ],
    ];
    for (const [what, f, message] of cases)
      assert.deepEqual(
        check("TEN-ARGO-006", (x) => f(x.controllerRole.inputs.rules)),
        at("TEN-ARGO-006", role, message),
        what,
      );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x.controllerRole.inputs.aggregationRule = { clusterRoleSelectors: [] })),
      at("TEN-ARGO-006", role, `${R} aggregates other ClusterRoles`),
    );
    // Every tenant kind, pods and ReplicaSets, read: accepted.
    assert.deepEqual(
      check("TEN-ARGO-006", (x) =>
        x.controllerRole.inputs.rules.push(
          { apiGroups: ["bitnami.com"], resources: ["sealedsecrets"], verbs: READ() },
          { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes", "grpcroutes"], verbs: ["list"] },
        ),
      ),
      [],
    );
  });

  it("refuses the controller role bound cluster-wide or outside tenant namespaces, and a tenant the controller cannot enter", () => {
    const crb = (f: (b: any) => void) =>
      check("TEN-ARGO-006", (x) => {
        x.extra = res(PLAT(T.crb, "extra"), T.crb, "extra", PLATFORM, {
          metadata: { name: "extra" },
          roleRef: { kind: "ClusterRole", name: "view" },
          subjects: [{ kind: "User", name: "someone" }],
        });
        f(x.extra.inputs);
      });
    const nothing = at(
      "TEN-ARGO-006",
      PLAT(T.crb, "extra"),
      "ClusterRoleBinding extra: the tenant Argo CD gets nothing cluster-wide",
    );
    assert.deepEqual(
      crb(() => {}),
      [],
    );
    assert.deepEqual(
      crb((b) => (b.roleRef.name = "platform-tenant-argocd-controller")),
      nothing,
    );
    assert.deepEqual(
      crb((b) =>
        b.subjects.push({
          kind: "ServiceAccount",
          name: "argocd-tenants-application-controller",
          namespace: "argocd-tenants",
        }),
      ),
      nothing,
    );
    assert.deepEqual(
      crb((b) =>
        b.subjects.push({ kind: "ServiceAccount", name: "argocd-tenants-application-controller", namespace: "argocd" }),
      ),
      [],
      "the platform's namesake account elsewhere is not the tenant controller",
    );
    const bound = "platform-tenant-argocd-controller is bound only by each tenant's argocd-tenants-controller";
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x["alpha-access"].inputs.metadata.namespace = "kube-system")),
      [
        ...at(
          "TEN-ARGO-006",
          CHILD(T.rb, "alpha-argocd-access"),
          `RoleBinding kube-system/argocd-tenants-controller: ${bound}`,
        ),
        ...at(
          "TEN-ARGO-006",
          tenantUrn("alpha"),
          "alpha: no RoleBinding argocd-tenants-controller lets the tenant Argo CD into alpha",
        ),
      ],
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x["beta-access"].inputs.subjects[0].name = "default")),
      [
        ...at(
          "TEN-ARGO-006",
          CHILD(T.rb, "beta-argocd-access"),
          `RoleBinding beta/argocd-tenants-controller: ${bound}`,
        ),
        ...at(
          "TEN-ARGO-006",
          tenantUrn("beta"),
          "beta: no RoleBinding argocd-tenants-controller lets the tenant Argo CD into beta",
        ),
      ],
    );
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => (x["beta-access"] = null)),
      at(
        "TEN-ARGO-006",
        tenantUrn("beta"),
        "beta: no RoleBinding argocd-tenants-controller lets the tenant Argo CD into beta",
      ),
    );
    // A RoleBinding to another role is not this rule's business.
    assert.deepEqual(
      check("TEN-ARGO-006", (x) => {
        x.other = structuredClone(x["alpha-access"]);
        x.other.urn = `${x.other.urn}-other`;
        x.other.inputs.metadata.namespace = "kube-system";
        x.other.inputs.roleRef.name = "view";
      }),
      [],
    );
  });
});

describe("TEN-ARGO-007: both Argo CD namespaces are fenced", () => {
  const np = (release: string, key: string) => w()[`${release}-${key}`].urn;
  const beyond = (ns: string, name: string, dir: string, i: number, component: string, what: string) =>
    `${ns}/${name} ${dir}[${i}] opens ${component} beyond ${what}`;
  const REPO = "its own instance's clients, DNS, its Redis and Git on the public internet";
  const REDIS = "its own instance's pods";
  const CTRL = "the API server, its repo-server, its Redis and DNS";

  it("refuses a namespace without a default deny (every pod, both directions, no rule)", () => {
    const missing = at(
      "TEN-ARGO-007",
      PLATFORM,
      "argocd-tenants: no default-deny NetworkPolicy (every pod, ingress and egress)",
    );
    assert.deepEqual(
      check("TEN-ARGO-007", (x) => (x["argocd-tenants-deny"] = null)),
      missing,
    );
    assert.deepEqual(
      check("TEN-ARGO-007", (x) => (x["argocd-tenants-deny"].inputs.spec.policyTypes = ["Ingress"])),
      missing,
    );
    assert.deepEqual(
      check("TEN-ARGO-007", (x) => (x["argocd-tenants-deny"].inputs.spec.policyTypes = ["Egress"])),
      missing,
    );
    assert.deepEqual(
      check("TEN-ARGO-007", (x) => (x["argocd-deny"].inputs.spec.podSelector = { matchLabels: { a: "b" } })),
      at("TEN-ARGO-007", PLATFORM, "argocd: no default-deny NetworkPolicy (every pod, ingress and egress)"),
    );
  });

  it("refuses a default deny that allows something (it then opens every component)", () => {
    const v = check("TEN-ARGO-007", (x) => (x["argocd-tenants-deny"].inputs.spec.egress = [{}]));
    assert.deepEqual(
      v.map((x) => x.message),
      [
        "argocd-tenants: no default-deny NetworkPolicy (every pod, ingress and egress)",
        beyond("argocd-tenants", "argocd-tenants-default-deny", "egress", 0, "repo-server", REPO),
        beyond("argocd-tenants", "argocd-tenants-default-deny", "egress", 0, "redis", REDIS),
        beyond("argocd-tenants", "argocd-tenants-default-deny", "egress", 0, "application-controller", CTRL),
      ],
    );
    assert.deepEqual(
      check(
        "TEN-ARGO-007",
        (x) => (x["argocd-tenants-deny"].inputs.spec.ingress = [{ from: [{ podSelector: {} }] }]),
      ).map((x) => x.message),
      [
        "argocd-tenants: no default-deny NetworkPolicy (every pod, ingress and egress)",
        beyond("argocd-tenants", "argocd-tenants-default-deny", "ingress", 0, "repo-server", REPO),
        beyond("argocd-tenants", "argocd-tenants-default-deny", "ingress", 0, "redis", REDIS),
        beyond("argocd-tenants", "argocd-tenants-default-deny", "ingress", 0, "application-controller", CTRL),
      ],
    );
  });

  it("refuses a repo-server reachable from beyond its instance, or reaching the site, any port, another Redis", () => {
    const urn = np("argocd-tenants", "repo");
    const name = "argocd-tenants-repo-server";
    const out = (dir: string, i: number) =>
      at("TEN-ARGO-007", urn, beyond("argocd-tenants", name, dir, i, "repo-server", REPO));
    const repo = (f: (s: any) => void) => check("TEN-ARGO-007", (x) => f(x["argocd-tenants-repo"].inputs.spec));
    const cases: [string, (s: any) => void, Violation[]][] = [
      ["from every namespace", (s) => s.ingress[0].from.push({ namespaceSelector: {} }), out("ingress", 0)],
      [
        "from the other instance",
        (s) => (s.ingress[0].from = [own("argocd", "argocd-application-controller")]),
        out("ingress", 0),
      ],
      [
        "from a tenant's pods",
        (s) =>
          (s.ingress[0].from = [{ ...own("argocd-tenants", "argocd-application-controller"), namespaceSelector: {} }]),
        out("ingress", 0),
      ],
      [
        "from an address block",
        (s) => s.ingress[0].from.push({ ipBlock: { cidr: "10.42.0.0/16" } }),
        out("ingress", 0),
      ],
      ["from anyone", (s) => delete s.ingress[0].from, out("ingress", 0)],
      ["on every port", (s) => delete s.ingress[0].ports, out("ingress", 0)],
      ["on its metrics port", (s) => s.ingress[0].ports.push({ protocol: "TCP", port: 8084 }), out("ingress", 0)],
      [
        "to the site's node network",
        (s) => (s.egress[2].to[0].ipBlock.except = ["169.254.169.254/32", "10.42.0.0/16", "10.43.0.0/16"]),
        out("egress", 2),
      ],
      ["to the metadata address", (s) => s.egress[2].to[0].ipBlock.except.shift(), out("egress", 2)],
      ["to a narrower internet", (s) => (s.egress[2].to[0].ipBlock.cidr = "10.0.0.0/8"), out("egress", 2)],
      [
        "to a port no repository uses",
        (s) => s.egress[2].ports.push({ protocol: "TCP", port: 6443 }),
        out("egress", 2),
      ],
      ["to a port range", (s) => (s.egress[2].ports[0].endPort = 8000), out("egress", 2)],
      ["over UDP", (s) => (s.egress[2].ports[0].protocol = "UDP"), out("egress", 2)],
      ["to every port", (s) => delete s.egress[2].ports, out("egress", 2)],
      ["to everywhere", (s) => delete s.egress[2].to, out("egress", 2)],
      ["to the internet and a pod", (s) => s.egress[2].to.push({ podSelector: {} }), out("egress", 2)],
      ["to the other Redis", (s) => (s.egress[1].to = [own("argocd", "argocd-redis")]), out("egress", 1)],
      ["to its Redis on every port", (s) => delete s.egress[1].ports, out("egress", 1)],
      ["to any DNS", (s) => (s.egress[0].to[0].podSelector = {}), out("egress", 0)],
      ["to DNS elsewhere", (s) => (s.egress[0].to[0].namespaceSelector = {}), out("egress", 0)],
      ["DNS and an address", (s) => (s.egress[0].to[0].ipBlock = { cidr: "0.0.0.0/0" }), out("egress", 0)],
      ["DNS on another port", (s) => s.egress[0].ports.push({ protocol: "TCP", port: 80 }), out("egress", 0)],
      ["DNS on every port", (s) => delete s.egress[0].ports, out("egress", 0)],
      ["DNS nowhere", (s) => (s.egress[0].to = []), out("egress", 0)],
    ];
    for (const [what, f, want] of cases) assert.deepEqual(repo(f), want, what);
    // The nearest legitimate: a port one of its Applications' repositories uses; an omitted protocol (TCP).
    assert.deepEqual(
      check("TEN-ARGO-007", (x) => {
        x["alpha-app"].inputs.spec.source.repoURL = "ssh://git@git.example.com:2222/alpha/apps.git";
        x["argocd-tenants-repo"].inputs.spec.egress[2].ports.push({ port: 2222 });
      }),
      [],
    );
    // ...but not a port only the other instance's repositories use.
    assert.deepEqual(
      check("TEN-ARGO-007", (x) => {
        x.rootApp.inputs.spec.source.repoURL = "https://git.example.com:8443/platform/gitops.git";
        x["argocd-tenants-repo"].inputs.spec.egress[2].ports.push({ protocol: "TCP", port: 8443 });
      }),
      out("egress", 2),
    );
  });

  it("judges every policy that may select the repo-server: a broader selector or an expression included", () => {
    const extra = (podSelector: Record<string, any>) =>
      check("TEN-ARGO-007", (x) => {
        x.extra = structuredClone(x["argocd-tenants-repo"]);
        x.extra.urn = `${x.extra.urn}-extra`;
        x.extra.inputs.metadata.name = "extra";
        x.extra.inputs.spec = { podSelector, policyTypes: ["Egress"], egress: [{}] };
      }).map((x) => x.message);
    const opens = (c: string, what: string) => beyond("argocd-tenants", "extra", "egress", 0, c, what);
    assert.deepEqual(extra({ matchLabels: { "app.kubernetes.io/part-of": "argocd" } }), [
      opens("repo-server", REPO),
      opens("redis", REDIS),
      opens("application-controller", CTRL),
    ]);
    assert.deepEqual(extra({ matchExpressions: [{ key: "x", operator: "Exists" }] }), [
      opens("repo-server", REPO),
      opens("redis", REDIS),
      opens("application-controller", CTRL),
    ]);
    assert.deepEqual(extra({ matchLabels: { "app.kubernetes.io/name": "argocd-repo-server" } }), [
      opens("repo-server", REPO),
    ]);
    // Another instance's or component's pods: not these.
    assert.deepEqual(extra({ matchLabels: { "app.kubernetes.io/instance": "argocd" } }), []);
    assert.deepEqual(extra({ matchLabels: { "app.kubernetes.io/name": "argocd-server" } }), []);
  });

  it("refuses a Redis reachable beyond its own instance or reaching out; a controller reached or reaching beyond its peers", () => {
    const redis = np("argocd", "redis");
    const out = (i: number, dir = "ingress") =>
      at("TEN-ARGO-007", redis, beyond("argocd", "argocd-redis", dir, i, "redis", REDIS));
    const r = (f: (s: any) => void) => check("TEN-ARGO-007", (x) => f(x["argocd-redis"].inputs.spec));
    assert.deepEqual(
      r((s) => s.ingress[0].from.push(own("argocd-tenants", "argocd-repo-server"))),
      out(0),
    );
    assert.deepEqual(
      r((s) => s.ingress[0].from.push(own("argocd", "argocd-notifications-controller"))),
      out(0),
    );
    assert.deepEqual(
      r((s) => (s.ingress[0].ports = tcp(6379, 9121))),
      out(0),
    );
    assert.deepEqual(
      r((s) => (s.egress = [{ to: [own("argocd", "argocd-repo-server")], ports: tcp(8081) }])),
      out(0, "egress"),
    );
    // The platform's server is a Redis client of its own instance.
    assert.deepEqual(
      r((s) => s.ingress[0].from.push(own("argocd", "argocd-server"))),
      [],
    );

    const ctrl = np("argocd-tenants", "controller");
    const c = (f: (s: any) => void) => check("TEN-ARGO-007", (x) => f(x["argocd-tenants-controller"].inputs.spec));
    const cout = (dir: string, i: number) =>
      at(
        "TEN-ARGO-007",
        ctrl,
        beyond("argocd-tenants", "argocd-tenants-application-controller", dir, i, "application-controller", CTRL),
      );
    const cases: [string, (s: any) => void, Violation[]][] = [
      ["reached from anywhere", (s) => (s.ingress = [{ ports: tcp(8082) }]), cout("ingress", 0)],
      ["the API on a network block", (s) => (s.egress[0].to[0].ipBlock.cidr = "10.43.0.0/16"), cout("egress", 0)],
      [
        "the metadata address as the API",
        (s) => (s.egress[0].to[0].ipBlock.cidr = "169.254.169.254/32"),
        cout("egress", 0),
      ],
      ["the API port on the internet", (s) => (s.egress[1].to[0].ipBlock.cidr = "0.0.0.0/0"), cout("egress", 1)],
      [
        "the API port on the metadata address",
        (s) => (s.egress[1].to[0].ipBlock.cidr = "169.254.169.254/32"),
        cout("egress", 1),
      ],
      [
        "the API port on a range outside the site",
        (s) => (s.egress[1].to[0].ipBlock.cidr = "192.168.0.0/16"),
        cout("egress", 1),
      ],
      ["the API and a pod", (s) => s.egress[1].to.push({ podSelector: {} }), cout("egress", 1)],
      ["the API by namespace", (s) => (s.egress[1].to = [{ namespaceSelector: {} }]), cout("egress", 1)],
      ["the API nowhere", (s) => (s.egress[1].to = []), cout("egress", 1)],
      ["another API port", (s) => (s.egress[1].ports = tcp(10250)), cout("egress", 1)],
      ["the repo-server on every port", (s) => delete s.egress[2].ports, cout("egress", 2)],
      [
        "the other instance's repo-server",
        (s) => (s.egress[2].to = [own("argocd", "argocd-repo-server")]),
        cout("egress", 2),
      ],
      [
        "the Redis port of the repo-server",
        (s) => (s.egress[3].to = [own("argocd-tenants", "argocd-repo-server")]),
        cout("egress", 3),
      ],
      [
        "the internet",
        (s) => s.egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(443) }),
        cout("egress", 5),
      ],
    ];
    for (const [what, f, want] of cases) assert.deepEqual(c(f), want, what);
  });
});
