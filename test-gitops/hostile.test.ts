/**
 * A hostile tenant repository: each commit adds one attack to the legitimate chart. Argo CD must
 * refuse it and say why in the Application's status (the sync's or the comparison's message), and
 * nothing of it may exist in the cluster afterwards, while the tenant's legitimate objects stay.
 * The expectations are written out: kinds, namespaces, the messages' wording.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { collectionPath } from "../tools/cluster/client";
import { app, chartWith, get, gitops, legitimate, LEGIT_OBJECTS, push, settled, statusText } from "./gitops";

/** The fixture tenant whose repository turns hostile, and a neighbour it attacks. */
const HOSTILE = "beta";
const NEIGHBOUR = "gamma";
const ns = (t: string) => gitops().tenants[t].namespace;

interface HostileCase {
  title: string;
  /** Files added to the legitimate chart (paths relative to the chart). */
  files: () => Record<string, string>;
  /** What Argo CD's status must say (each pattern must match). */
  refusal: RegExp[];
  /** API paths that must not exist afterwards. */
  absent: () => string[];
  /** Hosts the repo server must not have tried to reach (the Git hosts' proxy log). */
  unreached?: string[];
}

const yaml = (o: unknown) => JSON.stringify(o, null, 2);
const cm = (name: string, namespace?: string) =>
  yaml({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...(namespace ? { namespace } : {}) },
    data: { a: "b" },
  });

const CASES: HostileCase[] = [
  {
    title:
      "namespaced kinds outside the AppProject's allow-list (Role, RoleBinding, NetworkPolicy, ResourceQuota, LimitRange, Secret, Pod, Ingress)",
    files: () => ({
      "templates/role.yaml": yaml({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "escalate" },
        rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
      }),
      "templates/rolebinding.yaml": yaml({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "escalate" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
        subjects: [{ kind: "Group", name: "system:authenticated", apiGroup: "rbac.authorization.k8s.io" }],
      }),
      "templates/netpol.yaml": yaml({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "open" },
        spec: { podSelector: {}, ingress: [{}], egress: [{}] },
      }),
      "templates/quota.yaml": yaml({
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: "bigger" },
        spec: { hard: { "requests.cpu": "1000" } },
      }),
      "templates/limits.yaml": yaml({
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: "none" },
        spec: { limits: [{ type: "Container", max: { cpu: "1000" } }] },
      }),
      "templates/secret.yaml": yaml({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "plain" },
        stringData: { a: "b" },
      }),
      "templates/pod.yaml": yaml({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "bare" },
        spec: { containers: [{ name: "c", image: "registry.invalid/x:1" }] },
      }),
      "templates/ingress.yaml": yaml({
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: "side-door" },
        spec: { defaultBackend: { service: { name: "web", port: { number: 8080 } } } },
      }),
    }),
    refusal: [
      /resource rbac\.authorization\.k8s\.io:Role is not permitted in project beta/,
      /resource rbac\.authorization\.k8s\.io:RoleBinding is not permitted in project beta/,
      /resource networking\.k8s\.io:NetworkPolicy is not permitted in project beta/,
      /resource :ResourceQuota is not permitted in project beta/,
      /resource :LimitRange is not permitted in project beta/,
      /resource :Secret is not permitted in project beta/,
      /resource :Pod is not permitted in project beta/,
      /resource networking\.k8s\.io:Ingress is not permitted in project beta/,
    ],
    absent: () => [
      `${collectionPath("rbac.authorization.k8s.io/v1", "roles", ns(HOSTILE))}/escalate`,
      `${collectionPath("rbac.authorization.k8s.io/v1", "rolebindings", ns(HOSTILE))}/escalate`,
      `${collectionPath("networking.k8s.io/v1", "networkpolicies", ns(HOSTILE))}/open`,
      `${collectionPath("v1", "resourcequotas", ns(HOSTILE))}/bigger`,
      `${collectionPath("v1", "limitranges", ns(HOSTILE))}/none`,
      `${collectionPath("v1", "secrets", ns(HOSTILE))}/plain`,
      `${collectionPath("v1", "pods", ns(HOSTILE))}/bare`,
      `${collectionPath("networking.k8s.io/v1", "ingresses", ns(HOSTILE))}/side-door`,
    ],
  },
  {
    title: "cluster-scoped objects (Namespace, ClusterRole, ClusterRoleBinding, PriorityClass)",
    files: () => ({
      "templates/cluster.yaml": [
        yaml({ apiVersion: "v1", kind: "Namespace", metadata: { name: "beta-extra" } }),
        yaml({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRole",
          metadata: { name: "beta-everything" },
          rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
        }),
        yaml({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRoleBinding",
          metadata: { name: "beta-admin" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
          subjects: [{ kind: "ServiceAccount", name: "default", namespace: "beta" }],
        }),
        yaml({
          apiVersion: "scheduling.k8s.io/v1",
          kind: "PriorityClass",
          metadata: { name: "beta-first" },
          value: 1000000000,
        }),
      ].join("\n---\n"),
    }),
    refusal: [
      /resource :Namespace is not permitted in project beta/,
      /resource rbac\.authorization\.k8s\.io:ClusterRole is not permitted in project beta/,
      /resource rbac\.authorization\.k8s\.io:ClusterRoleBinding is not permitted in project beta/,
      /resource scheduling\.k8s\.io:PriorityClass is not permitted in project beta/,
    ],
    absent: () => [
      "/api/v1/namespaces/beta-extra",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/beta-everything",
      "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/beta-admin",
      "/apis/scheduling.k8s.io/v1/priorityclasses/beta-first",
    ],
  },
  {
    title: "objects for another tenant's namespace and for the Argo CD namespace",
    files: () => ({
      "templates/elsewhere.yaml": [cm("planted", NEIGHBOUR), cm("planted", gitops().namespace)].join("\n---\n"),
    }),
    refusal: [/namespace gamma is not permitted in project 'beta'/, /is not permitted in project 'beta'/],
    absent: () => [
      `${collectionPath("v1", "configmaps", ns(NEIGHBOUR))}/planted`,
      `${collectionPath("v1", "configmaps", gitops().namespace)}/planted`,
    ],
  },
  {
    title: "a chart that templates a privileged pod (privileged, host network, the node's root file system)",
    files: () => ({
      "templates/miner.yaml": yaml({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "miner" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "miner" } },
          template: {
            metadata: { labels: { app: "miner" } },
            spec: {
              hostNetwork: true,
              containers: [
                {
                  name: "m",
                  image: "registry.invalid/m:1",
                  securityContext: { privileged: true },
                  volumeMounts: [{ name: "root", mountPath: "/host" }],
                },
              ],
              volumes: [{ name: "root", hostPath: { path: "/" } }],
            },
          },
        },
      }),
    }),
    refusal: [
      /deployments\.apps "miner" is forbidden: ValidatingAdmissionPolicy 'platform-tenant-pod-templates'/,
      /privileged/,
    ],
    absent: () => [`${collectionPath("apps/v1", "deployments", ns(HOSTILE))}/miner`],
  },
  {
    title: "an HTTPRoute for another tenant's hostname",
    files: () => ({
      "templates/steal.yaml": yaml({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "steal" },
        spec: {
          parentRefs: [
            {
              group: "gateway.networking.k8s.io",
              kind: "ListenerSet",
              namespace: "envoy-gateway-system",
              name: HOSTILE,
            },
          ],
          hostnames: ["live.alpha.example"],
          rules: [{ backendRefs: [{ name: "web", port: 8080 }] }],
        },
      }),
    }),
    refusal: [
      /httproutes\.gateway\.networking\.k8s\.io "steal" is forbidden: ValidatingAdmissionPolicy 'platform-tenant-route-hosts'/,
      /every spec\.hostnames entry must be one of the tenant domains \[live\.beta\.example\]/,
    ],
    absent: () => [`${collectionPath("gateway.networking.k8s.io/v1", "httproutes", ns(HOSTILE))}/steal`],
  },
  {
    title: ".argocd-source.yaml: a remote values file (the repo server fetching a URL for the tenant)",
    files: () => ({ ".argocd-source.yaml": yaml({ helm: { valueFiles: ["https://evil.example/values.yaml"] } }) }),
    refusal: [/ComparisonError/, /the URL scheme 'https' is not allowed/],
    absent: () => [],
    unreached: ["evil.example"],
  },
  {
    title: ".argocd-source.yaml: a values file outside the repository (path traversal)",
    files: () => ({ ".argocd-source.yaml": yaml({ helm: { valueFiles: ["../../../../../../etc/passwd"] } }) }),
    refusal: [/ComparisonError/, /resolved to outside repository root/],
    absent: () => [],
  },
  {
    title: ".argocd-source.yaml: switching the tool to Kustomize (with a remote base) or to a config management plugin",
    files: () => ({
      ".argocd-source.yaml": yaml({ helm: null, kustomize: { namePrefix: "x-" } }),
      "kustomization.yaml": "resources:\n  - https://evil.example/base\n",
      ".argocd-source-beta.yaml": yaml({ plugin: { name: "evil" } }),
    }),
    refusal: [
      /ComparisonError/,
      /multiple application sources defined: (Kustomize,Helm,Plugin|Kustomize,Helm|Helm,Plugin)/,
    ],
    absent: () => [],
    unreached: ["evil.example"],
  },
  {
    title: ".argocd-source.yaml: overriding the platform's values (a system PriorityClass for the tenant's pods)",
    files: () => ({
      ".argocd-source.yaml": yaml({ helm: { valuesObject: { priorityClassName: "system-node-critical" } } }),
    }),
    refusal: [
      /deployments\.apps "web" is forbidden: ValidatingAdmissionPolicy 'platform-tenant-priority'/,
      /priorityClassName system-node-critical is not a tenant class/,
    ],
    absent: () => [],
  },
  {
    title: "an oversized render (60 ConfigMaps of 200 kB: above the repo server's message bound)",
    files: () => ({
      "templates/bulk.yaml":
        "{{- range $i := until 60 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bulk-{{ $i }}\ndata:\n  blob: {{ randAlphaNum 200000 | quote }}\n{{- end }}\n",
    }),
    refusal: [/ComparisonError/, /larger than max/],
    absent: () => Array.from({ length: 60 }, (_, i) => `${collectionPath("v1", "configmaps", ns(HOSTILE))}/bulk-${i}`),
  },
];

describe("a hostile tenant repository: Argo CD refuses, says why, and nothing of it exists", () => {
  for (const c of CASES)
    it(c.title, async () => {
      await legitimate(HOSTILE);
      const sha = await push(HOSTILE, chartWith(c.files()), c.title);
      const a = await settled(HOSTILE, sha);
      const text = statusText(a, sha);
      assert.notEqual(a.sync, "Synced", `Argo CD reports Synced:\n${text}`);
      for (const re of c.refusal) assert.match(text, re);
      for (const path of c.absent()) assert.equal((await get(path)).status, 404, `${path} exists`);
      for (const o of LEGIT_OBJECTS)
        assert.equal((await get(o.path(ns(HOSTILE)))).status, 200, `the tenant's ${o.kind} is gone`);
      // The chart's values stay the platform's: the Deployment keeps its tenant class.
      const web = await get(`${collectionPath("apps/v1", "deployments", ns(HOSTILE))}/web`);
      assert.equal((web.body.spec as any).template.spec.priorityClassName, "tenant-standard");
      for (const host of c.unreached ?? [])
        assert.doesNotMatch(
          readFileSync(gitops().gitLog, "utf8"),
          new RegExp(host.replace(/\./g, "\\.")),
          `${host} was contacted`,
        );
    });

  it("the repository made legitimate again syncs (the refusals left nothing stuck)", async () => {
    const sha = await legitimate(HOSTILE);
    const a = await app(HOSTILE);
    assert.equal(a.sync, "Synced", statusText(a));
    assert.equal(a.revision, sha);
  });
});
