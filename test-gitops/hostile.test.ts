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

/** Argo CD's words when its controller may not even read a kind (the tenant instance reads the tenant kinds only). */
const unreadable = (resource: string, name: string) =>
  new RegExp(
    `ComparisonError: Failed to load live state: .*${resource.replace(/\./g, "\\.")} "${name}" is forbidden: User "system:serviceaccount:[^"]+" cannot get resource`,
  );
/** ... when the AppProject does not allow a kind the controller can read. */
const notPermitted = (groupKind: string) =>
  new RegExp(`resource ${groupKind.replace(/\./g, "\\.")} is not permitted in project beta`);
/** ... for a cluster-scoped kind (the tenant instance manages its cluster in namespaced mode). */
const clusterLevel = (kind: string, name: string) =>
  new RegExp(
    `ComparisonError: Failed to load live state: cluster level ${kind} "${name}" can not be managed when in namespaced mode`,
  );

/** One commit per object: Argo CD reports the first refusal of a render, so each gets its own. */
const single = (what: string, object: Record<string, any>, refusal: RegExp, absent: () => string): HostileCase => ({
  title: what,
  files: () => ({ "templates/hostile.yaml": yaml(object) }),
  refusal: [refusal],
  absent: () => [absent()],
});

const inNs = (group: string, resource: string, name: string) => () =>
  `${collectionPath(group, resource, ns(HOSTILE))}/${name}`;

const CASES: HostileCase[] = [
  // Kinds outside the AppProject's allow-list (namespaced).
  single(
    "a Role granting everything in the namespace",
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "escalate" },
      rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
    },
    unreadable("roles.rbac.authorization.k8s.io", "escalate"),
    inNs("rbac.authorization.k8s.io/v1", "roles", "escalate"),
  ),
  single(
    "a RoleBinding of admin to every authenticated user",
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "escalate" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
      subjects: [{ kind: "Group", name: "system:authenticated", apiGroup: "rbac.authorization.k8s.io" }],
    },
    unreadable("rolebindings.rbac.authorization.k8s.io", "escalate"),
    inNs("rbac.authorization.k8s.io/v1", "rolebindings", "escalate"),
  ),
  single(
    "a NetworkPolicy opening the namespace",
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "open" },
      spec: { podSelector: {}, ingress: [{}], egress: [{}] },
    },
    unreadable("networkpolicies.networking.k8s.io", "open"),
    inNs("networking.k8s.io/v1", "networkpolicies", "open"),
  ),
  single(
    "a second, bigger ResourceQuota",
    {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "bigger" },
      spec: { hard: { "requests.cpu": "1000" } },
    },
    unreadable("resourcequotas", "bigger"),
    inNs("v1", "resourcequotas", "bigger"),
  ),
  single(
    "a LimitRange",
    {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: "none" },
      spec: { limits: [{ type: "Container", max: { cpu: "1000" } }] },
    },
    unreadable("limitranges", "none"),
    inNs("v1", "limitranges", "none"),
  ),
  single(
    "a plain Secret (secrets reach a tenant's repository sealed)",
    { apiVersion: "v1", kind: "Secret", metadata: { name: "plain" }, stringData: { a: "b" } },
    unreadable("secrets", "plain"),
    inNs("v1", "secrets", "plain"),
  ),
  single(
    "an Ingress",
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "side-door" },
      spec: { defaultBackend: { service: { name: "web", port: { number: 8080 } } } },
    },
    unreadable("ingresses.networking.k8s.io", "side-door"),
    inNs("networking.k8s.io/v1", "ingresses", "side-door"),
  ),
  single(
    "a bare Pod",
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "bare" },
      spec: { containers: [{ name: "c", image: "registry.invalid/x:1" }] },
    },
    notPermitted(":Pod"),
    inNs("v1", "pods", "bare"),
  ),
  // Cluster-scoped objects.
  single(
    "a Namespace",
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "beta-extra" } },
    clusterLevel("Namespace", "beta-extra"),
    () => "/api/v1/namespaces/beta-extra",
  ),
  single(
    "a ClusterRole",
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "beta-everything" },
      rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
    },
    clusterLevel("ClusterRole", "beta-everything"),
    () => "/apis/rbac.authorization.k8s.io/v1/clusterroles/beta-everything",
  ),
  single(
    "a ClusterRoleBinding to cluster-admin",
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "beta-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "default", namespace: "beta" }],
    },
    clusterLevel("ClusterRoleBinding", "beta-admin"),
    () => "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/beta-admin",
  ),
  single(
    "a PriorityClass",
    { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "beta-first" }, value: 1000000000 },
    clusterLevel("PriorityClass", "beta-first"),
    () => "/apis/scheduling.k8s.io/v1/priorityclasses/beta-first",
  ),
  // Objects for other namespaces.
  {
    title: "a ConfigMap for another tenant's namespace",
    files: () => ({ "templates/hostile.yaml": cm("planted", NEIGHBOUR) }),
    refusal: [/namespace gamma is not permitted in project 'beta'/],
    absent: () => [`${collectionPath("v1", "configmaps", ns(NEIGHBOUR))}/planted`],
  },
  {
    title: "a ConfigMap for the Argo CD namespace",
    files: () => ({ "templates/hostile.yaml": cm("planted", gitops().namespace) }),
    refusal: [new RegExp(`namespace "${gitops().namespace}" for ConfigMap "planted" is not managed`)],
    absent: () => [`${collectionPath("v1", "configmaps", gitops().namespace)}/planted`],
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
      // The policy reports the first control a template breaks.
      /tenant workload pod templates must meet Pod Security restricted: hostNetwork, hostPID and hostIPC must be unset or false/,
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
    // 8 MiB: the tenant instance's bound (components/platform/argocd-tenants.ts), written out.
    refusal: [/ComparisonError/, /message larger than max \(\d+ vs\. 8388608\)/],
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
