/**
 * Pins components/rules/tenant-objects.ts, the tenant object rules (Pod Security, quota, limits,
 * network policy, RBAC, Argo CD objects), condition by condition (issue 18: a weakened rule must
 * fail a test). Each case starts from one tenant's complete, admitted set of objects written out
 * here (the shape of test/fixtures/manifests/demo-tv.yaml), breaks one field and asserts every
 * violation checkTenantObjects reports: rule id, object and full message, written out literally.
 * The accepted neighbours (equal bounds, reordered labels, objects of other namespaces) pin the
 * other side: a rule that flags everything is as wrong as one that flags nothing.
 */
import { strict as assert } from "node:assert";
import { checkTenantObjects, K8sObject, RuleContext, TenantViolation } from "../components/rules/tenant-objects";

const T = "demo-tv";
const REPO = "https://git.example.com/demo-tv/video-apps.git";
const IN_CLUSTER = "https://kubernetes.default.svc";

/** The platform's tenant-admin ClusterRole, as declared: read-only on the guardrails. */
function adminRole(): K8sObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "platform-tenant-admin", labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    rules: [
      { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: ["get", "list", "create", "patch"] },
      { apiGroups: [""], resources: ["resourcequotas", "limitranges"], verbs: ["get", "list", "watch"] },
    ],
  };
}

function ctx(over: Partial<RuleContext> = {}): RuleContext {
  return {
    tenant: T,
    repoURL: REPO,
    ingressNamespace: "envoy-gateway-system",
    edgePodLabels: {
      "app.kubernetes.io/name": "envoy",
      "app.kubernetes.io/component": "proxy",
      "app.kubernetes.io/managed-by": "envoy-gateway",
    },
    blockedRanges: ["169.254.169.254/32", "10.10.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
    adminRole: adminRole(),
    ...over,
  };
}

/** One tenant's admitted objects, fresh on every call (cases mutate them). */
function objects() {
  return {
    namespace: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: T,
        labels: {
          "platform.video/tenant": T,
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "v1.37",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/audit-version": "v1.37",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": "v1.37",
        } as Record<string, string>,
      },
    } as K8sObject,
    resourceQuota: {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "tenant-quota", namespace: T },
      spec: {
        hard: {
          "requests.cpu": "6",
          "limits.cpu": "12",
          "requests.memory": "12Gi",
          "limits.memory": "12Gi",
          "requests.storage": "200Gi",
          pods: "50",
          services: "20",
          persistentvolumeclaims: "10",
          "services.nodeports": "0",
          "services.loadbalancers": "0",
        } as Record<string, unknown>,
      },
    },
    limitRange: {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: "tenant-limits", namespace: T },
      spec: {
        limits: [
          {
            type: "Container",
            defaultRequest: { cpu: "100m", memory: "128Mi" } as Record<string, unknown>,
            default: { cpu: "1", memory: "1Gi" } as Record<string, unknown>,
            max: { cpu: "4", memory: "8Gi" } as Record<string, unknown>,
          } as Record<string, unknown>,
        ],
      },
    },
    networkPolicy: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "tenant-isolation", namespace: T },
      spec: {
        podSelector: {} as Record<string, unknown>,
        policyTypes: ["Ingress", "Egress"],
        ingress: [
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
            ] as unknown[],
          } as Record<string, unknown>,
        ],
        egress: [
          { to: [{ podSelector: {} }] },
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
                ipBlock: {
                  cidr: "0.0.0.0/0",
                  except: ["169.254.169.254/32", "10.10.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
                },
              },
            ],
            ports: [
              { protocol: "TCP", port: 1, endPort: 52 },
              { protocol: "TCP", port: 54, endPort: 65535 },
              { protocol: "UDP", port: 1, endPort: 52 },
              { protocol: "UDP", port: 54, endPort: 65535 },
            ],
          },
        ] as Record<string, unknown>[],
      },
    },
    adminBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "tenant-admin", namespace: T },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "platform-tenant-admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "demo-tv-admins" }] as Record<
        string,
        unknown
      >[],
    },
    syncBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "argocd-sync", namespace: T },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "platform-tenant-sync" },
      subjects: [{ kind: "ServiceAccount", name: "argocd-sync", namespace: T }] as Record<string, unknown>[],
    },
    appProject: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: T, namespace: "argocd" },
      spec: {
        sourceRepos: [REPO],
        destinations: [{ server: IN_CLUSTER, namespace: T }] as Record<string, unknown>[],
        clusterResourceWhitelist: [] as unknown[],
        namespaceResourceWhitelist: [
          { group: "", kind: "ConfigMap" },
          { group: "", kind: "Service" },
          { group: "apps", kind: "Deployment" },
          { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
        ] as unknown[],
      } as Record<string, unknown>,
    },
    application: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: T, namespace: "argocd" } as K8sObject["metadata"],
      spec: {
        project: T,
        source: { repoURL: REPO, path: "deploy/production", targetRevision: "main" },
        destination: { server: IN_CLUSTER, namespace: T } as Record<string, unknown>,
        syncPolicy: { automated: { prune: true, selfHeal: true } as Record<string, unknown> },
      } as Record<string, unknown>,
    },
  };
}
type Objects = ReturnType<typeof objects>;

/** Every violation of every object rule, for the objects (a map is taken in declaration order). */
function check(objs: Objects | K8sObject[], c: RuleContext = ctx()): TenantViolation[] {
  return checkTenantObjects(Array.isArray(objs) ? objs : (Object.values(objs) as K8sObject[]), c);
}
const v = (rule: string, object: string, message: string): TenantViolation => ({ rule, object, message });
const without = (objs: Objects, key: keyof Objects): K8sObject[] =>
  Object.entries(objs)
    .filter(([k]) => k !== key)
    .map(([, o]) => o as K8sObject);

describe("tenant object rules (components/rules/tenant-objects.ts)", () => {
  it("admits a tenant's complete, correct set of objects", () => {
    assert.deepEqual(check(objects()), []);
  });

  describe("TEN-PSS-001 Pod Security on the tenant namespace", () => {
    it("reports a missing tenant namespace on the tenant, and ignores other namespaces", () => {
      const o = objects();
      const other: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "beta" } };
      assert.deepEqual(check([other, ...without(o, "namespace")]), [
        v("TEN-PSS-001", "demo-tv", "no Namespace demo-tv"),
      ]);
      // Another namespace first in the list, without labels: the tenant's own is the one checked.
      assert.deepEqual(check([other, ...Object.values(o)]), []);
    });

    it("requires each mode at level restricted", () => {
      const o = objects();
      o.namespace.metadata!.labels!["pod-security.kubernetes.io/enforce"] = "baseline";
      delete o.namespace.metadata!.labels!["pod-security.kubernetes.io/warn"];
      assert.deepEqual(check(o), [
        v("TEN-PSS-001", "Namespace/demo-tv", "pod-security.kubernetes.io/enforce must be restricted"),
        v("TEN-PSS-001", "Namespace/demo-tv", "pod-security.kubernetes.io/warn must be restricted"),
      ]);
    });

    it("requires each mode's version pinned as exactly v1.<minor>", () => {
      const o = objects();
      const labels = o.namespace.metadata!.labels!;
      labels["pod-security.kubernetes.io/enforce-version"] = "xv1.37";
      labels["pod-security.kubernetes.io/audit-version"] = "v1.37-rc";
      delete labels["pod-security.kubernetes.io/warn-version"];
      assert.deepEqual(check(o), [
        v(
          "TEN-PSS-001",
          "Namespace/demo-tv",
          'pod-security.kubernetes.io/enforce-version must pin a version like v1.37, not "xv1.37"',
        ),
        v(
          "TEN-PSS-001",
          "Namespace/demo-tv",
          'pod-security.kubernetes.io/audit-version must pin a version like v1.37, not "v1.37-rc"',
        ),
        v(
          "TEN-PSS-001",
          "Namespace/demo-tv",
          'pod-security.kubernetes.io/warn-version must pin a version like v1.37, not ""',
        ),
      ]);
    });

    it("rejects latest as a version", () => {
      const o = objects();
      o.namespace.metadata!.labels!["pod-security.kubernetes.io/warn-version"] = "latest";
      assert.deepEqual(check(o), [
        v(
          "TEN-PSS-001",
          "Namespace/demo-tv",
          'pod-security.kubernetes.io/warn-version must pin a version like v1.37, not "latest"',
        ),
      ]);
    });

    it("requires the tenant label to name the tenant", () => {
      const o = objects();
      o.namespace.metadata!.labels!["platform.video/tenant"] = "beta";
      assert.deepEqual(check(o), [
        v("TEN-PSS-001", "Namespace/demo-tv", "label platform.video/tenant must be demo-tv"),
      ]);
    });
  });

  describe("TEN-QTA-001 ResourceQuota", () => {
    it("requires exactly one quota in the tenant namespace, ignoring other namespaces'", () => {
      const o = objects();
      const beta = { ...objects().resourceQuota, metadata: { name: "beta-quota", namespace: "beta" } };
      assert.deepEqual(check([...Object.values(o), beta] as K8sObject[]), []);
      const second = { ...objects().resourceQuota, metadata: { name: "second", namespace: T } };
      assert.deepEqual(check([...Object.values(o), second] as K8sObject[]), [
        v("TEN-QTA-001", "ResourceQuota/second", "expected one unscoped ResourceQuota in demo-tv, found 2"),
      ]);
      const none = without(o, "resourceQuota");
      const found = check(none).filter((x) => x.rule === "TEN-QTA-001");
      assert.deepEqual(found, [v("TEN-QTA-001", "demo-tv", "expected one unscoped ResourceQuota in demo-tv, found 0")]);
    });

    it("a scoped quota (tenant-live's, or by scopes) is no second budget, and is not taken for the budget", () => {
      const o = objects();
      const byClass = {
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: "tenant-live", namespace: T },
        spec: {
          hard: { pods: "0" },
          scopeSelector: {
            matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: ["tenant-live"] }],
          },
        },
      };
      const byScopes = {
        ...byClass,
        metadata: { name: "terminating", namespace: T },
        spec: { hard: { pods: "1" }, scopes: ["Terminating"] },
      };
      // Listed first: TEN-LIM-001 must still compare the LimitRange with the unscoped quota.
      assert.deepEqual(check([byClass, byScopes, ...Object.values(o)] as K8sObject[]), []);
      // Scoped only: no budget at all.
      const none = without(o, "resourceQuota");
      assert.deepEqual(
        check([byClass, ...Object.values(none)] as K8sObject[]).filter((x) => x.rule === "TEN-QTA-001"),
        [v("TEN-QTA-001", "demo-tv", "expected one unscoped ResourceQuota in demo-tv, found 0")],
      );
      // An empty scopes list scopes nothing.
      const emptyScopes = { ...byScopes, spec: { ...objects().resourceQuota.spec, scopes: [] } };
      assert.deepEqual(
        check([...Object.values(o), emptyScopes] as K8sObject[]).filter((x) => x.rule === "TEN-QTA-001"),
        [v("TEN-QTA-001", "ResourceQuota/terminating", "expected one unscoped ResourceQuota in demo-tv, found 2")],
      );
    });

    it("requires every quota key", () => {
      const o = objects();
      delete o.resourceQuota.spec.hard.pods;
      delete o.resourceQuota.spec.hard["services.nodeports"];
      assert.deepEqual(check(o), [
        v("TEN-QTA-001", "ResourceQuota/tenant-quota", "spec.hard.pods is missing"),
        v("TEN-QTA-001", "ResourceQuota/tenant-quota", "spec.hard.services.nodeports is missing"),
      ]);
    });

    it("pins nodeports and loadbalancers to 0 (a number 0 included)", () => {
      const o = objects();
      o.resourceQuota.spec.hard["services.loadbalancers"] = "1";
      o.resourceQuota.spec.hard["services.nodeports"] = 0;
      assert.deepEqual(check(o), [
        v("TEN-QTA-001", "ResourceQuota/tenant-quota", "spec.hard.services.loadbalancers must be 0"),
      ]);
    });
  });

  describe("TEN-LIM-001 LimitRange", () => {
    it("requires exactly one LimitRange in the tenant namespace, ignoring other namespaces'", () => {
      const o = objects();
      const beta = { ...objects().limitRange, metadata: { name: "beta-limits", namespace: "beta" } };
      assert.deepEqual(check([...Object.values(o), beta] as K8sObject[]), []);
      const second = { ...objects().limitRange, metadata: { name: "second", namespace: T } };
      assert.deepEqual(check([...Object.values(o), second] as K8sObject[]), [
        v("TEN-LIM-001", "LimitRange/second", "expected one LimitRange in demo-tv, found 2"),
      ]);
      assert.deepEqual(check(without(o, "limitRange")), [
        v("TEN-LIM-001", "demo-tv", "expected one LimitRange in demo-tv, found 0"),
      ]);
    });

    it("reads the Container item, not another type's", () => {
      const o = objects();
      const container = o.limitRange.spec.limits[0];
      const pod = { type: "Pod", max: { cpu: "100", memory: "100Gi" } };
      o.limitRange.spec.limits = [pod, container];
      assert.deepEqual(check(o), []);
      o.limitRange.spec.limits = [pod];
      assert.deepEqual(check(o), [v("TEN-LIM-001", "LimitRange/tenant-limits", "no Container limits")]);
    });

    it("requires defaultRequest, default and max for cpu and memory", () => {
      const o = objects();
      delete (o.limitRange.spec.limits[0].default as Record<string, unknown>).cpu;
      (o.limitRange.spec.limits[0].max as Record<string, unknown>).memory = "lots";
      assert.deepEqual(check(o), [
        v("TEN-LIM-001", "LimitRange/tenant-limits", "Container defaultRequest, default and max must all set cpu"),
        v("TEN-LIM-001", "LimitRange/tenant-limits", "Container defaultRequest, default and max must all set memory"),
      ]);
    });

    it("accepts defaultRequest = default = max = the quota's requests, as strings or numbers", () => {
      const o = objects();
      o.limitRange.spec.limits[0] = {
        type: "Container",
        defaultRequest: { cpu: 6, memory: "12Gi" },
        default: { cpu: "6", memory: "12Gi" },
        max: { cpu: "6000m", memory: 12884901888 },
      };
      assert.deepEqual(check(o), []);
    });

    it("requires defaultRequest ≤ default ≤ max", () => {
      const o = objects();
      (o.limitRange.spec.limits[0].defaultRequest as Record<string, unknown>).cpu = "2";
      (o.limitRange.spec.limits[0].default as Record<string, unknown>).memory = "9Gi";
      assert.deepEqual(check(o), [
        v("TEN-LIM-001", "LimitRange/tenant-limits", "cpu: defaultRequest ≤ default ≤ max does not hold"),
        v("TEN-LIM-001", "LimitRange/tenant-limits", "memory: defaultRequest ≤ default ≤ max does not hold"),
      ]);
    });

    it("requires max within the tenant's quota requests, not another namespace's quota", () => {
      const o = objects();
      (o.limitRange.spec.limits[0].max as Record<string, unknown>).cpu = "6001m";
      (o.limitRange.spec.limits[0].max as Record<string, unknown>).memory = "13Gi";
      assert.deepEqual(check(o), [
        v("TEN-LIM-001", "LimitRange/tenant-limits", "cpu: max exceeds the quota's requests.cpu"),
        v("TEN-LIM-001", "LimitRange/tenant-limits", "memory: max exceeds the quota's requests.memory"),
      ]);
      // A smaller quota of another namespace, listed first, is not the cap.
      const small = objects().resourceQuota;
      small.metadata = { name: "beta-quota", namespace: "beta" };
      small.spec.hard["requests.cpu"] = "1";
      small.spec.hard["requests.memory"] = "1Gi";
      assert.deepEqual(check([small, ...Object.values(objects())] as K8sObject[]), []);
    });
  });

  describe("TEN-NET-001 default deny", () => {
    it("requires a policy of the tenant's selecting every pod for Ingress and Egress", () => {
      const o = objects();
      o.networkPolicy.spec.policyTypes = ["Ingress"];
      // A complete default deny in another namespace does not count.
      const beta = { ...objects().networkPolicy, metadata: { name: "deny", namespace: "beta" } };
      assert.deepEqual(check([...Object.values(o), beta] as K8sObject[]), [
        v(
          "TEN-NET-001",
          "NetworkPolicy/tenant-isolation",
          "no NetworkPolicy selects all pods with policyTypes Ingress and Egress",
        ),
      ]);
    });

    it("refuses a pod selector with match expressions", () => {
      const o = objects();
      o.networkPolicy.spec.podSelector = { matchExpressions: [{ key: "app", operator: "Exists" }] };
      assert.deepEqual(check(o), [
        v(
          "TEN-NET-001",
          "NetworkPolicy/tenant-isolation",
          "no NetworkPolicy selects all pods with policyTypes Ingress and Egress",
        ),
      ]);
    });

    it("is satisfied by one default deny among narrower policies", () => {
      const narrower: K8sObject = {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "app-only", namespace: T },
        spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] },
      };
      assert.deepEqual(check([...Object.values(objects()), narrower] as K8sObject[]), []);
    });
  });

  describe("TEN-NET-002 ingress sources", () => {
    it("refuses a rule without sources and an ipBlock source", () => {
      const o = objects();
      o.networkPolicy.spec.ingress.push({}, { from: [{ ipBlock: { cidr: "10.0.0.0/8" } }] });
      assert.deepEqual(check(o), [
        v("TEN-NET-002", "NetworkPolicy/tenant-isolation", "ingress[1] allows every source"),
        v("TEN-NET-002", "NetworkPolicy/tenant-isolation", "ingress[2] allows an ipBlock"),
      ]);
    });

    it("ignores policies of other namespaces", () => {
      const beta: K8sObject = {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "open", namespace: "beta" },
        spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}], egress: [{}] },
      };
      assert.deepEqual(check([...Object.values(objects()), beta] as K8sObject[]), []);
    });

    it("refuses another namespace than the edge proxy's", () => {
      const o = objects();
      const peer = o.networkPolicy.spec.ingress[0].from as Record<string, unknown>[];
      peer[1].namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } };
      assert.deepEqual(check(o), [
        v(
          "TEN-NET-002",
          "NetworkPolicy/tenant-isolation",
          "ingress[0] admits namespaces other than envoy-gateway-system",
        ),
      ]);
    });

    it("refuses a namespace selector with more than the namespace name", () => {
      const o = objects();
      const peer = o.networkPolicy.spec.ingress[0].from as Record<string, unknown>[];
      peer[1].namespaceSelector = {
        matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" },
        matchExpressions: [],
      };
      assert.deepEqual(check(o), [
        v(
          "TEN-NET-002",
          "NetworkPolicy/tenant-isolation",
          "ingress[0] admits namespaces other than envoy-gateway-system",
        ),
      ]);
    });

    it("admits the edge proxy's labels in any order", () => {
      const o = objects();
      const peer = o.networkPolicy.spec.ingress[0].from as Record<string, unknown>[];
      peer[1].podSelector = {
        matchLabels: {
          "app.kubernetes.io/managed-by": "envoy-gateway",
          "app.kubernetes.io/name": "envoy",
          "app.kubernetes.io/component": "proxy",
        },
      };
      assert.deepEqual(check(o), []);
    });

    it("refuses pods of the edge namespace other than the edge proxy's", () => {
      const o = objects();
      const peer = o.networkPolicy.spec.ingress[0].from as Record<string, unknown>[];
      peer[1].podSelector = {
        matchLabels: (peer[1].podSelector as Record<string, unknown>).matchLabels,
        matchExpressions: [{ key: "app.kubernetes.io/name", operator: "Exists" }],
      };
      assert.deepEqual(check(o), [
        v(
          "TEN-NET-002",
          "NetworkPolicy/tenant-isolation",
          "ingress[0] admits pods of envoy-gateway-system other than the edge proxy's",
        ),
      ]);
      peer[1].podSelector = { matchLabels: { "app.kubernetes.io/name": "envoy" } };
      assert.deepEqual(check(o), [
        v(
          "TEN-NET-002",
          "NetworkPolicy/tenant-isolation",
          "ingress[0] admits pods of envoy-gateway-system other than the edge proxy's",
        ),
      ]);
    });

    it("refuses every pod of the edge namespace even when the edge proxy's labels are unknown", () => {
      const o = objects();
      const peer = o.networkPolicy.spec.ingress[0].from as Record<string, unknown>[];
      peer[1].podSelector = {};
      assert.deepEqual(check(o, ctx({ edgePodLabels: undefined })), [
        v(
          "TEN-NET-002",
          "NetworkPolicy/tenant-isolation",
          "ingress[0] admits pods of envoy-gateway-system other than the edge proxy's",
        ),
      ]);
    });
  });

  describe("TEN-NET-003 egress destinations", () => {
    it("refuses a rule without destinations, ignoring other namespaces' policies", () => {
      const o = objects();
      o.networkPolicy.spec.egress.push({});
      const beta: K8sObject = {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "open", namespace: "beta" },
        spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{}] },
      };
      assert.deepEqual(check([...Object.values(o), beta] as K8sObject[]), [
        v("TEN-NET-003", "NetworkPolicy/tenant-isolation", "egress[3] allows every destination"),
      ]);
    });

    it("refuses an ipBlock reaching blocked ranges it does not except", () => {
      const o = objects();
      o.networkPolicy.spec.egress = [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 443 }] }];
      assert.deepEqual(check(o), [
        v("TEN-NET-003", "NetworkPolicy/tenant-isolation", "egress[0] ipBlock 10.0.0.0/8 reaches 10.10.0.0/16"),
        v("TEN-NET-003", "NetworkPolicy/tenant-isolation", "egress[0] ipBlock 10.0.0.0/8 reaches 10.42.0.0/16"),
        v("TEN-NET-003", "NetworkPolicy/tenant-isolation", "egress[0] ipBlock 10.0.0.0/8 reaches 10.43.0.0/16"),
      ]);
    });

    const dnsLeak = (ports: unknown): TenantViolation[] => {
      const o = objects();
      const rule = o.networkPolicy.spec.egress[2];
      if (ports === "none") delete rule.ports;
      else rule.ports = ports;
      return check(o);
    };
    const leak = [
      v("TEN-NET-003", "NetworkPolicy/tenant-isolation", "egress[2] allows DNS (port 53) outside kube-dns"),
    ];

    it("refuses an ipBlock open on port 53: no port list, an empty one, any port, a named port", () => {
      assert.deepEqual(dnsLeak("none"), leak);
      assert.deepEqual(dnsLeak([]), leak);
      assert.deepEqual(dnsLeak([{ protocol: "TCP" }]), leak);
      assert.deepEqual(dnsLeak([{ protocol: "UDP", port: "dns" }]), leak);
    });

    it("refuses an ipBlock port list that includes 53 among others", () => {
      assert.deepEqual(dnsLeak([{ port: 443 }, { port: 53 }]), leak);
      assert.deepEqual(dnsLeak([{ port: 53 }, { port: 443 }]), leak);
      assert.deepEqual(dnsLeak([{ port: 1, endPort: 65535 }]), leak);
    });

    it("counts a range's bounds as inside it", () => {
      assert.deepEqual(dnsLeak([{ port: 53, endPort: 60 }]), leak);
      assert.deepEqual(dnsLeak([{ port: 40, endPort: 53 }]), leak);
    });

    it("admits an ipBlock on other ports only", () => {
      assert.deepEqual(dnsLeak([{ port: 443 }, { port: 54, endPort: 100 }, { port: 1, endPort: 52 }]), []);
    });

    const crossNs = (peer: Record<string, unknown>, ports?: unknown): TenantViolation[] => {
      const o = objects();
      const rule = o.networkPolicy.spec.egress[1];
      rule.to = [peer];
      if (ports === "none") delete rule.ports;
      else if (ports !== undefined) rule.ports = ports;
      return check(o);
    };
    const other = [
      v(
        "TEN-NET-003",
        "NetworkPolicy/tenant-isolation",
        "egress[1] reaches other namespaces (only kube-dns on port 53 is allowed)",
      ),
    ];
    const kubeDns = (ns: string, app: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
      podSelector: { matchLabels: { "k8s-app": app } },
    });

    it("refuses a namespace peer other than kube-dns in kube-system", () => {
      assert.deepEqual(crossNs(kubeDns("kube-system", "kube-dns")), []);
      assert.deepEqual(crossNs(kubeDns("kube-public", "kube-dns")), other);
      assert.deepEqual(crossNs(kubeDns("kube-system", "metrics-server")), other);
    });

    it("refuses kube-dns on any port but 53 alone", () => {
      const dns = kubeDns("kube-system", "kube-dns");
      assert.deepEqual(crossNs(dns, "none"), other);
      assert.deepEqual(crossNs(dns, []), other);
      assert.deepEqual(crossNs(dns, [{ port: 53 }, { port: 443 }]), other);
      assert.deepEqual(crossNs(dns, [{ port: 443 }]), other);
      assert.deepEqual(crossNs(dns, [{ port: 53, endPort: 60 }]), other);
    });
  });

  describe("TEN-RBAC-001 what tenant admins are granted", () => {
    it("refuses an aggregating or aggregated tenant-admin ClusterRole", () => {
      const role = adminRole();
      role.aggregationRule = { clusterRoleSelectors: [] };
      role.metadata!.labels!["rbac.authorization.k8s.io/aggregate-to-admin"] = "true";
      assert.deepEqual(check(objects(), ctx({ adminRole: role })), [
        v("TEN-RBAC-001", "ClusterRole/platform-tenant-admin", "ClusterRole platform-tenant-admin aggregates"),
        v(
          "TEN-RBAC-001",
          "ClusterRole/platform-tenant-admin",
          "ClusterRole platform-tenant-admin is aggregated into others (rbac.authorization.k8s.io/aggregate-to-admin)",
        ),
      ]);
    });

    it("names an object without kind or name ?/?", () => {
      assert.deepEqual(check(objects(), ctx({ adminRole: { aggregationRule: {} } })), [
        v("TEN-RBAC-001", "?/?", "ClusterRole platform-tenant-admin aggregates"),
      ]);
    });

    it("refuses forbidden verbs, wildcards and nonResourceURLs", () => {
      const role = adminRole();
      role.rules = [
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "escalate"] },
        { apiGroups: [""], resources: ["pods", "*"], verbs: ["get"] },
        { apiGroups: [""], resources: ["configmaps", "pods/*"], verbs: ["get"] },
        { nonResourceURLs: ["/metrics"], verbs: ["get"] },
      ];
      assert.deepEqual(check(objects(), ctx({ adminRole: role })), [
        v("TEN-RBAC-001", "ClusterRole/platform-tenant-admin", "rules[0] grants verb escalate"),
        v("TEN-RBAC-001", "ClusterRole/platform-tenant-admin", "rules[1] uses a wildcard"),
        v("TEN-RBAC-001", "ClusterRole/platform-tenant-admin", "rules[2] uses a wildcard"),
        v("TEN-RBAC-001", "ClusterRole/platform-tenant-admin", "rules[3] grants nonResourceURLs"),
      ]);
    });

    it("refuses writes on a guardrail, naming every write verb", () => {
      const role = adminRole();
      role.rules = [{ apiGroups: [""], resources: ["resourcequotas"], verbs: ["get", "create", "patch"] }];
      assert.deepEqual(check(objects(), ctx({ adminRole: role })), [
        v("TEN-RBAC-001", "ClusterRole/platform-tenant-admin", "rules[0] grants create/patch on resourcequotas"),
      ]);
    });

    it("checks the tenant's own Roles, not other namespaces'", () => {
      const mine: K8sObject = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "mine", namespace: T },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["impersonate"] }],
      };
      const beta: K8sObject = { ...mine, metadata: { name: "theirs", namespace: "beta" } };
      assert.deepEqual(check([...Object.values(objects()), beta] as K8sObject[]), []);
      assert.deepEqual(check([...Object.values(objects()), mine] as K8sObject[]), [
        v("TEN-RBAC-001", "Role/mine", "rules[0] grants verb impersonate"),
      ]);
    });
  });

  describe("TEN-RBAC-002 tenant bindings", () => {
    const withBinding = (b: Record<string, unknown>, c?: RuleContext) =>
      check([...Object.values(objects()), b as K8sObject], c);
    const sync = () => objects().syncBinding;

    it("refuses any ClusterRole or ClusterRoleBinding of the tenant's", () => {
      const crb: K8sObject = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "mine" },
      };
      assert.deepEqual(check([...Object.values(objects()), crb]), [
        v("TEN-RBAC-002", "ClusterRoleBinding/mine", "ClusterRoleBinding mine: tenants get nothing cluster-wide"),
      ]);
    });

    it("refuses a RoleBinding outside the tenant namespace", () => {
      const b = { ...objects().adminBinding, metadata: { name: "elsewhere", namespace: "beta" } };
      assert.deepEqual(withBinding(b), [
        v("TEN-RBAC-002", "RoleBinding/elsewhere", "RoleBinding elsewhere outside demo-tv"),
      ]);
    });

    it("admits a binding of a tenant Role", () => {
      const b = { ...objects().adminBinding, metadata: { name: "readers", namespace: T } };
      b.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "reader" };
      assert.deepEqual(withBinding(b), []);
    });

    it("refuses a binding of another ClusterRole", () => {
      const b = { ...objects().adminBinding, metadata: { name: "root", namespace: T } };
      b.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" };
      assert.deepEqual(withBinding(b), [
        v(
          "TEN-RBAC-002",
          "RoleBinding/root",
          "RoleBinding root references ClusterRole cluster-admin, not ClusterRole platform-tenant-admin",
        ),
      ]);
      b.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "Other", name: "platform-tenant-admin" };
      assert.deepEqual(withBinding(b), [
        v(
          "TEN-RBAC-002",
          "RoleBinding/root",
          "RoleBinding root references Other platform-tenant-admin, not ClusterRole platform-tenant-admin",
        ),
      ]);
    });

    it("refuses a binding of the tenant-admin ClusterRole when the platform does not declare it", () => {
      assert.deepEqual(check(objects(), ctx({ adminRole: undefined })), [
        v(
          "TEN-RBAC-002",
          "RoleBinding/tenant-admin",
          "RoleBinding tenant-admin references ClusterRole platform-tenant-admin, which the platform does not declare",
        ),
      ]);
    });

    it("binds groups only, and no system group", () => {
      const o = objects();
      o.adminBinding.subjects = [
        { kind: "User", name: "alice" },
        { kind: "Group", name: "system:masters" },
        { kind: "Group", name: "demo-tv-ops" },
      ];
      assert.deepEqual(check(o), [
        v("TEN-RBAC-002", "RoleBinding/tenant-admin", "RoleBinding tenant-admin binds User alice"),
        v("TEN-RBAC-002", "RoleBinding/tenant-admin", "RoleBinding tenant-admin binds Group system:masters"),
      ]);
    });

    // The sync binding is exempt only exactly as the platform writes it: each field off by one
    // makes it an ordinary binding, refused for its role and its ServiceAccount subject.
    const notAdmin = (name: string) =>
      v(
        "TEN-RBAC-002",
        `RoleBinding/${name}`,
        `RoleBinding ${name} references ClusterRole platform-tenant-sync, not ClusterRole platform-tenant-admin`,
      );

    it("treats a sync-like binding of another name as ordinary", () => {
      const b = { ...sync(), metadata: { name: "argocd-sync2", namespace: T } };
      assert.deepEqual(withBinding(b), [
        notAdmin("argocd-sync2"),
        v("TEN-RBAC-002", "RoleBinding/argocd-sync2", "RoleBinding argocd-sync2 binds ServiceAccount argocd-sync"),
      ]);
    });

    it("treats a sync-like binding in another namespace as ordinary", () => {
      const b = { ...sync(), metadata: { name: "argocd-sync", namespace: "beta" } };
      assert.deepEqual(withBinding(b), [
        v("TEN-RBAC-002", "RoleBinding/argocd-sync", "RoleBinding argocd-sync outside demo-tv"),
        notAdmin("argocd-sync"),
        v("TEN-RBAC-002", "RoleBinding/argocd-sync", "RoleBinding argocd-sync binds ServiceAccount argocd-sync"),
      ]);
    });

    it("treats a sync binding of a Role as ordinary", () => {
      const o = objects();
      o.syncBinding.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "platform-tenant-sync" };
      assert.deepEqual(check(o), [
        v("TEN-RBAC-002", "RoleBinding/argocd-sync", "RoleBinding argocd-sync binds ServiceAccount argocd-sync"),
      ]);
    });

    it("treats a sync binding with a second subject as ordinary", () => {
      const o = objects();
      o.syncBinding.subjects.push({ kind: "Group", name: "demo-tv-admins" });
      assert.deepEqual(check(o), [
        notAdmin("argocd-sync"),
        v("TEN-RBAC-002", "RoleBinding/argocd-sync", "RoleBinding argocd-sync binds ServiceAccount argocd-sync"),
      ]);
    });

    it("treats a sync binding of another subject as ordinary", () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ kind: "User", name: "argocd-sync", namespace: T }, "User argocd-sync"],
        [{ kind: "ServiceAccount", name: "default", namespace: T }, "ServiceAccount default"],
        [{ kind: "ServiceAccount", name: "argocd-sync", namespace: "beta" }, "ServiceAccount argocd-sync"],
      ];
      for (const [subject, shown] of cases) {
        const o = objects();
        o.syncBinding.subjects = [subject];
        assert.deepEqual(check(o), [
          notAdmin("argocd-sync"),
          v("TEN-RBAC-002", "RoleBinding/argocd-sync", `RoleBinding argocd-sync binds ${shown}`),
        ]);
      }
    });
  });

  describe("TEN-ARGO-001 AppProject", () => {
    it("requires exactly one AppProject named for the tenant, ignoring others", () => {
      const o = objects();
      const beta = { ...objects().appProject, metadata: { name: "beta", namespace: "argocd" } };
      beta.spec.sourceRepos = ["*"];
      assert.deepEqual(check([...Object.values(o), beta] as K8sObject[]), []);
      assert.deepEqual(check(without(o, "appProject")), [
        v("TEN-ARGO-001", "demo-tv", "expected one AppProject demo-tv, found 0"),
      ]);
      const second = { ...objects().appProject, metadata: { name: T, namespace: "other" } };
      assert.deepEqual(check([...Object.values(o), second] as K8sObject[]), [
        v("TEN-ARGO-001", "AppProject/demo-tv", "expected one AppProject demo-tv, found 2"),
      ]);
    });

    it("allows exactly the tenant's repository", () => {
      const want = [
        v(
          "TEN-ARGO-001",
          "AppProject/demo-tv",
          "sourceRepos must be exactly [https://git.example.com/demo-tv/video-apps.git]",
        ),
      ];
      for (const repos of [[REPO, "https://git.example.com/other.git"], ["https://git.example.com/other.git"], []]) {
        const o = objects();
        o.appProject.spec.sourceRepos = repos;
        assert.deepEqual(check(o), want, JSON.stringify(repos));
      }
    });

    it("allows exactly the tenant namespace on the local cluster", () => {
      const want = [
        v(
          "TEN-ARGO-001",
          "AppProject/demo-tv",
          "destinations must be exactly https://kubernetes.default.svc / demo-tv",
        ),
      ];
      const cases = [
        [
          { server: IN_CLUSTER, namespace: T },
          { server: IN_CLUSTER, namespace: "kube-system" },
        ],
        [{ server: IN_CLUSTER, namespace: "kube-system" }],
        [{ server: "https://other.example:6443", namespace: T }],
      ];
      for (const dests of cases) {
        const o = objects();
        o.appProject.spec.destinations = dests;
        assert.deepEqual(check(o), want, JSON.stringify(dests));
      }
    });

    it("refuses cluster-scoped kinds and an empty namespaced allow-list", () => {
      const o = objects();
      o.appProject.spec.clusterResourceWhitelist = [{ group: "", kind: "Namespace" }];
      o.appProject.spec.namespaceResourceWhitelist = [];
      assert.deepEqual(check(o), [
        v("TEN-ARGO-001", "AppProject/demo-tv", "clusterResourceWhitelist must be empty"),
        v("TEN-ARGO-001", "AppProject/demo-tv", "namespaceResourceWhitelist must list the allowed kinds"),
      ]);
    });

    it("refuses guardrail kinds in the allow-list, by group and kind", () => {
      const o = objects();
      (o.appProject.spec.namespaceResourceWhitelist as unknown[]).push(
        { group: "", kind: "ResourceQuota" },
        { group: "networking.k8s.io", kind: "NetworkPolicy" },
        { group: "apps", kind: "LimitRange" },
      );
      assert.deepEqual(check(o), [
        v("TEN-ARGO-001", "AppProject/demo-tv", "namespaceResourceWhitelist allows guardrail kind core/ResourceQuota"),
        v(
          "TEN-ARGO-001",
          "AppProject/demo-tv",
          "namespaceResourceWhitelist allows guardrail kind networking.k8s.io/NetworkPolicy",
        ),
      ]);
    });

    it("refuses a wildcard anywhere", () => {
      const o = objects();
      (o.appProject.spec.namespaceResourceWhitelist as unknown[]).push({ group: "apps", kind: "*" });
      assert.deepEqual(check(o), [v("TEN-ARGO-001", "AppProject/demo-tv", "no field may be a wildcard")]);
    });
  });

  describe("TEN-ARGO-002 Application", () => {
    it("requires exactly one Application named for the tenant, ignoring others", () => {
      const o = objects();
      const beta = { ...objects().application, metadata: { name: "beta", namespace: "argocd" } };
      beta.spec.project = "default";
      assert.deepEqual(check([...Object.values(o), beta] as K8sObject[]), []);
      assert.deepEqual(check(without(o, "application")), [
        v("TEN-ARGO-002", "demo-tv", "expected one Application demo-tv, found 0"),
      ]);
      const second = { ...objects().application, metadata: { name: T, namespace: "other" } };
      assert.deepEqual(check([...Object.values(o), second] as K8sObject[]), [
        v("TEN-ARGO-002", "Application/demo-tv", "expected one Application demo-tv, found 2"),
      ]);
    });

    it("requires the tenant's project", () => {
      const o = objects();
      o.application.spec.project = "default";
      assert.deepEqual(check(o), [v("TEN-ARGO-002", "Application/demo-tv", "project must be demo-tv")]);
    });

    it("requires the tenant namespace on the local cluster", () => {
      const want = [
        v("TEN-ARGO-002", "Application/demo-tv", "destination must be https://kubernetes.default.svc / demo-tv"),
      ];
      for (const dest of [
        { server: IN_CLUSTER, namespace: "kube-system" },
        { server: "https://other.example:6443", namespace: T },
      ]) {
        const o = objects();
        o.application.spec.destination = dest;
        assert.deepEqual(check(o), want, JSON.stringify(dest));
      }
    });

    it("requires the tenant's repository", () => {
      const o = objects();
      o.application.spec.source = { repoURL: "https://git.example.com/other.git", path: "." };
      assert.deepEqual(check(o), [
        v(
          "TEN-ARGO-002",
          "Application/demo-tv",
          "source.repoURL must be https://git.example.com/demo-tv/video-apps.git",
        ),
      ]);
    });

    it("requires automated prune and self-heal", () => {
      const want = [v("TEN-ARGO-002", "Application/demo-tv", "syncPolicy.automated needs prune and selfHeal")];
      for (const automated of [{ prune: false, selfHeal: true }, { prune: true }, {}]) {
        const o = objects();
        o.application.spec.syncPolicy = { automated };
        assert.deepEqual(check(o), want, JSON.stringify(automated));
      }
    });

    it("refuses a cascading finalizer", () => {
      const o = objects();
      o.application.metadata = { name: T, namespace: "argocd", finalizers: ["resources-finalizer.argocd.argoproj.io"] };
      assert.deepEqual(check(o), [v("TEN-ARGO-002", "Application/demo-tv", "must not carry a cascading finalizer")]);
    });
  });
});
