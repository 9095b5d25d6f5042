/**
 * Tenant hardening (issue 14): each path a hostile tenant (its repository, or its admin group)
 * still had, tested closed — the admission policies' CEL evaluated on the hostile object AND on a
 * normal tenant workload (restricted Deployment, Service, HTTPRoute on its own domain, PVC,
 * ConfigMap, Secret), and the objects the plan declares for Argo CD impersonation, budgets,
 * storage and scheduling. Expectations are written out literally, never read from the constants
 * under test. The cluster-side proof of the same objects is the integrator's (real API server).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { k3sSchema, siteSchema } from "../components/config/schema";
import { hostGuardRules, renderCloudInit } from "../components/site/cloudinit";
import { ClusterSettings, KUBE_APISERVER_ARGS, NodeSpec } from "../components/site/k3s";
import { planSite } from "../components/site/nodes";
import { RULES } from "../components/rules";
import { argocdValuesProblems } from "../components/rules/hardening";
import { argocdValues } from "../components/platform/argocd";
import { priorityClasses, syncClusterRole } from "../components/tenant/shared";
import { denials, Request, tenantNs } from "./helpers/admission";
import { byName, planStack, readStackConfig } from "./helpers/harness";
import { tenantStorageOnly } from "./helpers/tenant-properties";
import { needTool, nftCheck } from "./helpers/tools";
import { planSample } from "./helpers/tenants";

const ingestNs = () => tenantNs({ "platform.video/ingest": "true" });

/** A pod spec Pod Security "restricted" admits, with the tolerations DefaultTolerationSeconds adds. */
function podSpec(extra: Record<string, unknown> = {}) {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "app",
        image: "registry.demo-tv.example/player:1.4.2",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      },
    ],
    tolerations: [
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ],
    ...extra,
  };
}
const deployment = (spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: "player" }) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "player", namespace: "demo-tv" },
  spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(spec) } },
});
const deploy = (spec: Record<string, unknown> = {}, labels?: Record<string, string>, namespace = tenantNs()) => ({
  group: "apps",
  resource: "deployments",
  object: deployment(spec, labels),
  namespace,
});
const pod = (spec: Record<string, unknown> = {}, operation: "CREATE" | "UPDATE" = "CREATE", old?: any) => ({
  operation,
  group: "",
  resource: "pods",
  object: {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "player-1", labels: { app: "player" } },
    spec: podSpec(spec),
  },
  oldObject: old,
});
const cronJob = (spec: Record<string, unknown>) => ({
  group: "batch",
  resource: "cronjobs",
  object: {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "cleanup" },
    spec: {
      schedule: "0 3 * * *",
      jobTemplate: { spec: { template: { spec: { ...podSpec(spec), restartPolicy: "OnFailure" } } } },
    },
  },
});

/** The normal tenant workload: every one must pass every hardening policy that matches it. */
const NORMAL: [string, Request][] = [
  ["restricted Deployment", deploy()],
  ["StatefulSet", { ...deploy(), resource: "statefulsets", object: { ...deployment(), kind: "StatefulSet" } }],
  ["Pod (as the ReplicaSet controller creates it)", pod()],
  [
    "Service",
    {
      group: "",
      resource: "services",
      object: { kind: "Service", spec: { selector: { app: "player" }, ports: [{ port: 80, targetPort: 8080 }] } },
    },
  ],
  [
    "HTTPRoute on its own domain",
    {
      group: "gateway.networking.k8s.io",
      resource: "httproutes",
      object: {
        kind: "HTTPRoute",
        spec: {
          hostnames: ["live.demo-tv.example"],
          rules: [{ backendRefs: [{ name: "player", port: 80 }] }],
        },
      },
    },
  ],
  [
    "PVC",
    {
      group: "",
      resource: "persistentvolumeclaims",
      object: {
        kind: "PersistentVolumeClaim",
        spec: {
          storageClassName: "hcloud-volumes-tenant",
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "10Gi" } },
        },
      },
    },
  ],
  ["ConfigMap", { group: "", resource: "configmaps", object: { kind: "ConfigMap", data: { "player.json": "{}" } } }],
  ["Secret", { group: "", resource: "secrets", object: { kind: "Secret", type: "Opaque", data: { k: "dg==" } } }],
  ["CronJob", cronJob({})],
  ["Deployment on a pool by label", deploy({ nodeSelector: { "platform.video/pool": "general" } })],
  ["Deployment with a tenant PriorityClass", deploy({ priorityClassName: "tenant-standard" })],
  [
    "ingest Deployment of an ingest tenant, tolerating the ingest taint",
    deploy(
      {
        priorityClassName: "tenant-live",
        tolerations: [
          { key: "platform.video/dedicated", operator: "Equal", value: "ingest", effect: "NoSchedule" },
          { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        ],
      },
      { app: "ingest", "platform.video/workload": "ingest" },
      ingestNs(),
    ),
  ],
  [
    "a bound Pod's update (the scheduler's nodeName stays)",
    pod({ nodeName: "prod-general-1" }, "UPDATE", { spec: { nodeName: "prod-general-1" } }),
  ],
  [
    "PodDisruptionBudget allowing one disruption",
    {
      group: "policy",
      resource: "poddisruptionbudgets",
      object: {
        kind: "PodDisruptionBudget",
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: "player" } } },
      },
    },
  ],
  [
    "PodDisruptionBudget with maxUnavailable 25%",
    {
      group: "policy",
      resource: "poddisruptionbudgets",
      object: { kind: "PodDisruptionBudget", spec: { maxUnavailable: "25%" } },
    },
  ],
  [
    "strict-scoped SealedSecret",
    {
      group: "bitnami.com",
      resource: "sealedsecrets",
      object: {
        apiVersion: "bitnami.com/v1alpha1",
        kind: "SealedSecret",
        metadata: { name: "db", namespace: "demo-tv", annotations: { "sealedsecrets.bitnami.com/managed": "true" } },
        spec: { encryptedData: { password: "AgB..." } },
      },
    },
  ],
];

const HARDENING = ["TEN-SCHED-001", "TEN-PRIO-001", "TEN-PDB-001", "TEN-SEAL-001", "TEN-PSS-002"];

describe("tenant hardening at admission (issue 14): the normal tenant workload passes", () => {
  for (const [what, req] of NORMAL)
    it(`admits: ${what}`, () => {
      for (const rule of HARDENING) assert.deepEqual(denials(rule, req) ?? [], [], `${rule} on ${what}`);
    });

  it("matches pods and every template-carrying kind tenants may create, in tenant namespaces only", () => {
    for (const [group, resource] of [
      ["", "pods"],
      ["apps", "deployments"],
      ["apps", "statefulsets"],
      ["apps", "replicasets"],
      ["batch", "jobs"],
      ["batch", "cronjobs"],
    ]) {
      const r = { ...deploy({ nodeName: "prod-cp-1" }), group, resource };
      assert.ok(denials("TEN-SCHED-001", r)?.length, `${group}/${resource}`);
    }
    const platformNs = { metadata: { name: "kube-system", labels: { "kubernetes.io/metadata.name": "kube-system" } } };
    assert.equal(denials("TEN-SCHED-001", { ...deploy({ nodeName: "prod-cp-1" }), namespace: platformNs }), undefined);
  });
});

describe("TEN-SCHED-001: tenant pods stay off control planes and dedicated pools", () => {
  const cp = [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }] as unknown[];
  const cases: [string, Request, RegExp][] = [
    ["nodeName on a Deployment", deploy({ nodeName: "prod-cp-1" }), /spec\.nodeName/],
    ["nodeName on a new Pod", pod({ nodeName: "prod-cp-1" }), /spec\.nodeName/],
    ["the control-plane taint tolerated", deploy({ tolerations: cp }), /tolerate only/],
    ["every taint tolerated (no key)", deploy({ tolerations: [{ operator: "Exists" }] }), /tolerate only/],
    [
      "the ingest taint by a tenant without ingest workers",
      deploy(
        {
          tolerations: [{ key: "platform.video/dedicated", operator: "Equal", value: "ingest", effect: "NoSchedule" }],
        },
        { app: "ingest", "platform.video/workload": "ingest" },
      ),
      /tolerate only/,
    ],
    [
      "the ingest taint by a non-ingest pod of an ingest tenant",
      deploy(
        {
          tolerations: [{ key: "platform.video/dedicated", operator: "Equal", value: "ingest", effect: "NoSchedule" }],
        },
        { app: "player" },
        ingestNs(),
      ),
      /tolerate only/,
    ],
    [
      "the dedicated key with Exists (any pool) by an ingest pod",
      deploy(
        { tolerations: [{ key: "platform.video/dedicated", operator: "Exists", effect: "NoSchedule" }] },
        { app: "ingest", "platform.video/workload": "ingest" },
        ingestNs(),
      ),
      /tolerate only/,
    ],
    [
      "not-ready tolerated for NoSchedule (scheduling onto failing nodes)",
      deploy({ tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" }] }),
      /tolerate only/,
    ],
    ["a CronJob's template tolerating the control plane", cronJob({ tolerations: cp }), /tolerate only/],
    [
      "nodeSelector on control-plane",
      deploy({ nodeSelector: { "node-role.kubernetes.io/control-plane": "true" } }),
      /may not select nodes/,
    ],
    [
      "nodeSelector on master",
      deploy({ nodeSelector: { "node-role.kubernetes.io/master": "true" } }),
      /may not select/,
    ],
    [
      "nodeSelector pinning a host",
      deploy({ nodeSelector: { "kubernetes.io/hostname": "prod-cp-1" } }),
      /may not select/,
    ],
    // The address labels k3s keeps on nodes that had them: each names one node.
    [
      "nodeSelector on k3s.io/hostname",
      deploy({ nodeSelector: { "k3s.io/hostname": "prod-general-1" } }),
      /may not select/,
    ],
    [
      "nodeSelector on k3s.io/internal-ip",
      deploy({ nodeSelector: { "k3s.io/internal-ip": "10.20.1.1" } }),
      /may not select/,
    ],
    [
      "required affinity on k3s.io/external-ip",
      deploy({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "k3s.io/external-ip", operator: "In", values: ["203.0.113.9"] }] },
              ],
            },
          },
        },
      }),
      /node affinity may not/,
    ],
    [
      "the ingest taint by an ingest pod without the tenant-live class (its budget)",
      deploy(
        {
          priorityClassName: "tenant-standard",
          tolerations: [{ key: "platform.video/dedicated", operator: "Equal", value: "ingest", effect: "NoSchedule" }],
        },
        { app: "ingest", "platform.video/workload": "ingest" },
        ingestNs(),
      ),
      /ingest pods \(label platform\.video\/workload=ingest, priorityClassName tenant-live\)/,
    ],
    [
      "the ingest taint by an ingest pod with no class",
      deploy(
        {
          tolerations: [{ key: "platform.video/dedicated", operator: "Equal", value: "ingest", effect: "NoSchedule" }],
        },
        { app: "ingest", "platform.video/workload": "ingest" },
        ingestNs(),
      ),
      /tolerate only/,
    ],
    [
      "required affinity on control-plane",
      deploy({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }] },
              ],
            },
          },
        },
      }),
      /node affinity may not/,
    ],
    [
      "preferred affinity on a host name",
      deploy({
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                preference: {
                  matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["prod-cp-1"] }],
                },
              },
            ],
          },
        },
      }),
      /node affinity may not/,
    ],
    [
      "affinity pinning a node by matchFields",
      deploy({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["prod-cp-1"] }] }],
            },
          },
        },
      }),
      /node affinity may not/,
    ],
  ];
  for (const [what, req, message] of cases)
    it(`denies ${what}`, () => {
      const d = denials("TEN-SCHED-001", req);
      assert.equal(d?.length, 1, JSON.stringify(d));
      assert.match(d[0], message);
    });

  it("admits pool selection and zone spreading by affinity", () => {
    const ok = deploy({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "platform.video/pool", operator: "In", values: ["general"] }] },
            ],
          },
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              podAffinityTerm: {
                topologyKey: "kubernetes.io/hostname",
                labelSelector: { matchLabels: { app: "player" } },
              },
            },
          ],
        },
      },
    });
    assert.deepEqual(denials("TEN-SCHED-001", ok), []);
  });
});

describe("TEN-PRIO-001: tenant pods use the tenant PriorityClasses only", () => {
  for (const cls of ["system-node-critical", "system-cluster-critical", "platform-critical", "tenant-standard-x"])
    it(`denies priorityClassName ${cls}`, () => {
      for (const req of [
        deploy({ priorityClassName: cls }),
        pod({ priorityClassName: cls }),
        cronJob({ priorityClassName: cls }),
      ]) {
        const d = denials("TEN-PRIO-001", req);
        assert.equal(d?.length, 1);
        assert.match(
          d[0],
          new RegExp(`^priorityClassName ${cls} is not a tenant class: use tenant-standard or tenant-live`),
        );
      }
    });
  it("admits none, tenant-standard and tenant-live", () => {
    for (const extra of [{}, { priorityClassName: "tenant-standard" }, { priorityClassName: "tenant-live" }])
      assert.deepEqual(denials("TEN-PRIO-001", deploy(extra)), []);
  });
});

describe("TEN-PDB-001: tenant disruption budgets cannot block drains", () => {
  const pdb = (spec: Record<string, unknown>, operation: "CREATE" | "UPDATE" = "CREATE"): Request => ({
    operation,
    group: "policy",
    resource: "poddisruptionbudgets",
    object: { kind: "PodDisruptionBudget", spec: { selector: { matchLabels: { app: "player" } }, ...spec } },
  });
  const minAvailable =
    /^a tenant PodDisruptionBudget may not set minAvailable \(other than 0\): 99% or 51% of one replica rounds up to every pod, and any count blocks every node drain once the replicas shrink to it; set maxUnavailable \(1, or a percentage, which the disruption controller rounds up to at least one pod\)$/;
  for (const [what, spec, message] of [
    ["maxUnavailable 0", { maxUnavailable: 0 }, /maxUnavailable to 0 or 0%/],
    ['maxUnavailable "0%"', { maxUnavailable: "0%" }, /maxUnavailable to 0 or 0%/],
    ['maxUnavailable "00"', { maxUnavailable: "00" }, /maxUnavailable/],
    ['minAvailable "100%"', { minAvailable: "100%" }, minAvailable],
    // The disruption controller rounds a percentage up: 99 % of up to 100 pods, or 51 % (any
    // percentage) of one, is every pod.
    ['minAvailable "99%"', { minAvailable: "99%" }, minAvailable],
    ['minAvailable "51%"', { minAvailable: "51%" }, minAvailable],
    ['minAvailable "1%"', { minAvailable: "1%" }, minAvailable],
    // A count meets the replicas as soon as they shrink to it (an HPA, a scale to 1).
    ["minAvailable 1", { minAvailable: 1 }, minAvailable],
    ["minAvailable 3", { minAvailable: 3 }, minAvailable],
    ['minAvailable "10"', { minAvailable: "10" }, minAvailable],
  ] as const)
    it(`denies ${what} (on create and update)`, () => {
      for (const op of ["CREATE", "UPDATE"] as const) {
        const d = denials("TEN-PDB-001", pdb(spec, op));
        assert.equal(d?.length, 1);
        assert.match(d[0], message);
      }
    });
  it("admits maxUnavailable 1, 2, 1% or 25%, minAvailable 0 or 0% (which block nothing), and no field at all", () => {
    for (const spec of [
      { maxUnavailable: 1 },
      { maxUnavailable: 2 },
      { maxUnavailable: "1%" },
      { maxUnavailable: "25%" },
      { minAvailable: 0 },
      { minAvailable: "0%" },
      {},
    ])
      assert.deepEqual(denials("TEN-PDB-001", pdb(spec)), [], JSON.stringify(spec));
  });
});

describe("TEN-SEAL-001: tenant SealedSecrets are strict-scoped", () => {
  const sealed = (annotations?: Record<string, string>): Request => ({
    group: "bitnami.com",
    resource: "sealedsecrets",
    object: {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "db", namespace: "demo-tv", ...(annotations ? { annotations } : {}) },
      spec: { encryptedData: { password: "AgB..." } },
    },
  });
  for (const [key, value] of [
    ["sealedsecrets.bitnami.com/cluster-wide", "true"],
    ["sealedsecrets.bitnami.com/namespace-wide", "true"],
    ["sealedsecrets.bitnami.com/cluster-wide", "True"],
    ["sealedsecrets.bitnami.com/namespace-wide", ""],
  ])
    it(`denies ${key}: "${value}"`, () => {
      const d = denials("TEN-SEAL-001", sealed({ [key]: value }));
      assert.equal(d?.length, 1);
      assert.match(d[0], /must be strict-scoped/);
    });
  it('admits no annotations, and both set to "false"', () => {
    assert.deepEqual(denials("TEN-SEAL-001", sealed()), []);
    assert.deepEqual(
      denials(
        "TEN-SEAL-001",
        sealed({
          "sealedsecrets.bitnami.com/cluster-wide": "false",
          "sealedsecrets.bitnami.com/namespace-wide": "false",
        }),
      ),
      [],
    );
  });
});

// --- The plan: what Argo CD syncs as, budgets, storage, priorities ---------------------------

describe("tenant hardening in the plan (issue 14)", () => {
  it("Argo CD syncs each tenant as its own ServiceAccount, within an allow-list of kinds", async () => {
    const p = await planSample("prod");
    const project = byName(p, "demo-tv-project").inputs.spec as any;
    assert.deepEqual(project.destinationServiceAccounts, [
      { server: "https://kubernetes.default.svc", namespace: "demo-tv", defaultServiceAccount: "demo-tv:argocd-sync" },
    ]);
    assert.deepEqual(project.clusterResourceWhitelist, []);
    assert.deepEqual(project.namespaceResourceWhitelist, [
      { group: "", kind: "ConfigMap" },
      { group: "", kind: "Service" },
      { group: "", kind: "PersistentVolumeClaim" },
      { group: "", kind: "ServiceAccount" },
      { group: "apps", kind: "Deployment" },
      { group: "apps", kind: "StatefulSet" },
      { group: "batch", kind: "Job" },
      { group: "batch", kind: "CronJob" },
      { group: "autoscaling", kind: "HorizontalPodAutoscaler" },
      { group: "policy", kind: "PodDisruptionBudget" },
      { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
      { group: "gateway.networking.k8s.io", kind: "GRPCRoute" },
      { group: "bitnami.com", kind: "SealedSecret" },
    ]);
    const kinds = JSON.stringify(project.namespaceResourceWhitelist);
    for (const never of [
      "Role",
      "RoleBinding",
      "ResourceQuota",
      "LimitRange",
      "NetworkPolicy",
      "Ingress",
      "Gateway",
      "ReferenceGrant",
      "Issuer",
      'Secret"',
      "DaemonSet",
      "Endpoints",
    ])
      assert.ok(!kinds.includes(`"kind":"${never.replace('"', "")}"`), never);
    assert.equal(project.namespaceResourceBlacklist, undefined);

    const sa = byName(p, "demo-tv-sync-sa").inputs as any;
    assert.deepEqual(sa.metadata.name, "argocd-sync");
    assert.deepEqual(sa.metadata.namespace, "demo-tv");
    assert.equal(sa.automountServiceAccountToken, false);
    const binding = byName(p, "demo-tv-sync-binding").inputs as any;
    assert.deepEqual(
      [binding.metadata.namespace, binding.roleRef, binding.subjects],
      [
        "demo-tv",
        { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "platform-tenant-sync" },
        [{ kind: "ServiceAccount", name: "argocd-sync", namespace: "demo-tv" }],
      ],
    );
    const all = ["get", "list", "watch", "create", "update", "patch", "delete"];
    assert.deepEqual(byName(p, "platform-tenant-sync").inputs.rules, [
      {
        apiGroups: [""],
        resources: ["configmaps", "services", "persistentvolumeclaims", "serviceaccounts"],
        verbs: all,
      },
      { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: all },
      { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: all },
      { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: all },
      { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: all },
      { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes", "grpcroutes"], verbs: all },
      { apiGroups: ["bitnami.com"], resources: ["sealedsecrets"], verbs: all },
    ]);
    assert.deepEqual(syncClusterRole().rules, byName(p, "platform-tenant-sync").inputs.rules);
    // The Application starts syncing only once its identity exists.
    const app = byName(p, "demo-tv-app");
    for (const dep of ["demo-tv-sync-sa", "demo-tv-sync-binding"])
      assert.ok(app.options.dependsOn.includes(byName(p, dep).urn), dep);
  });

  it("the platform's own project syncs as a cluster-admin ServiceAccount of its own", async () => {
    const p = await planStack("prod");
    const project = byName(p, "platform-argocd-project").inputs.spec as any;
    assert.deepEqual(project.destinationServiceAccounts, [
      {
        server: "https://kubernetes.default.svc",
        namespace: "*",
        defaultServiceAccount: "argocd:argocd-platform-sync",
      },
    ]);
    const crb = p.resources.find(
      (r) =>
        r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding" &&
        r.name === "platform-argocd-platform-sync",
    )!.inputs as any;
    assert.deepEqual(crb.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "cluster-admin",
    });
    assert.deepEqual(crb.subjects, [{ kind: "ServiceAccount", name: "argocd-platform-sync", namespace: "argocd" }]);
  });

  it("the platform's Argo CD: impersonation on and enforced, the controller reads all and impersonates only the platform's sync account, webhooks authenticated", () => {
    const v = argocdValues({
      domain: "argocd.video.example",
      adminPasswordBcrypt: "$2a$10$h",
      webhookSecret: "s3cret",
    }) as any;
    assert.deepEqual(v.configs.cm, {
      "application.sync.impersonation.enabled": "true",
      "application.sync.impersonation.enforced": "true",
    });
    assert.deepEqual(v.controller.clusterRoleRules, {
      enabled: true,
      rules: [
        { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
        { nonResourceURLs: ["*"], verbs: ["get"] },
        {
          apiGroups: [""],
          resources: ["serviceaccounts"],
          verbs: ["impersonate"],
          resourceNames: ["argocd-platform-sync"],
        },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      ],
    });
    assert.deepEqual(v.configs.secret.extra, {
      "webhook.github.secret": "s3cret",
      "webhook.gitlab.secret": "s3cret",
      "webhook.bitbucket.uuid": "s3cret",
      "webhook.bitbucketserver.secret": "s3cret",
      "webhook.gogs.secret": "s3cret",
      "webhook.azuredevops.password": "s3cret",
      "webhook.harbor.secret": "s3cret",
      "webhook.dockerhub.secret": "s3cret",
      "webhook.azuredevops.username": "argocd",
    });
  });

  it("TEN-ARGO-004 accepts argocdValues() and names each weakening", () => {
    const good = () => argocdValues({ domain: "d", adminPasswordBcrypt: "h", webhookSecret: "w" }) as any;
    assert.deepEqual(argocdValuesProblems(good()), []);
    const weakened: [string, (v: any) => void, RegExp][] = [
      [
        "impersonation off",
        (v) => (v.configs.cm["application.sync.impersonation.enabled"] = "false"),
        /enabled" must be "true"/,
      ],
      [
        "not enforced",
        (v) => (v.configs.cm["application.sync.impersonation.enforced"] = "false"),
        /enforced" must not/,
      ],
      ["chart's controller role", (v) => (v.controller.clusterRoleRules.enabled = false), /must be enabled/],
      [
        "impersonates anyone",
        (v) => delete v.controller.clusterRoleRules.rules[2].resourceNames,
        /may impersonate more/,
      ],
      [
        "impersonates the tenants' sync accounts",
        (v) => v.controller.clusterRoleRules.rules[2].resourceNames.push("argocd-sync"),
        /may impersonate more/,
      ],
      [
        "impersonates users",
        (v) => (v.controller.clusterRoleRules.rules[2].resources = ["users"]),
        /may impersonate more/,
      ],
      [
        "writes",
        (v) => v.controller.clusterRoleRules.rules.push({ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }),
        /writes \*/,
      ],
      [
        "GitHub unauthenticated",
        (v) => delete v.configs.secret.extra["webhook.github.secret"],
        /webhook\.github\.secret/,
      ],
      ["Gogs empty", (v) => (v.configs.secret.extra["webhook.gogs.secret"] = ""), /webhook\.gogs\.secret/],
    ];
    for (const [what, f, message] of weakened) {
      const v = good();
      f(v);
      const problems = argocdValuesProblems(v);
      assert.ok(problems.length >= 1 && problems.every((p) => message.test(p) || /rules\[4\]/.test(p)), what);
      assert.ok(
        problems.some((p) => message.test(p)),
        `${what}: ${problems.join("; ")}`,
      );
    }
  });

  it("the webhook secret is generated (40 characters) and reaches the chart only as a secret", async () => {
    const p = await planStack("prod");
    const w = byName(p, "platform-argocd-webhook-secret");
    assert.equal(w.type, "random:index/randomPassword:RandomPassword");
    assert.deepEqual(w.inputs, { length: 40, special: false });
    assert.equal(byName(p, "platform-argocd").inputs.values, "[secret]");
    assert.ok(byName(p, "platform-argocd").options.dependsOn.includes(w.urn));
  });

  it("tenant quotas count objects and bound ephemeral storage; the LimitRange defaults and caps it (staging tiers)", async () => {
    const p = await planSample("staging");
    const hard = (name: string) => (byName(p, `${name}-quota`).inputs.spec as any).hard;
    // demo-tv is standard, demo-radio small (test/fixtures/tenants/sample).
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(hard("demo-radio")).filter(([k]) => k.startsWith("count/") || k.includes("ephemeral")),
      ),
      {
        "count/configmaps": "20",
        "count/secrets": "20",
        "count/serviceaccounts": "5",
        "count/deployments.apps": "10",
        "count/replicasets.apps": "30",
        "count/statefulsets.apps": "5",
        "count/controllerrevisions.apps": "15",
        "count/jobs.batch": "15",
        "count/cronjobs.batch": "3",
        "count/horizontalpodautoscalers.autoscaling": "5",
        "count/poddisruptionbudgets.policy": "5",
        "count/httproutes.gateway.networking.k8s.io": "5",
        "count/grpcroutes.gateway.networking.k8s.io": "5",
        "count/sealedsecrets.bitnami.com": "10",
        "count/rolebindings.rbac.authorization.k8s.io": "4",
        "count/leases.coordination.k8s.io": "0",
        // Per Service (10 in the small tier): one Endpoints, two EndpointSlices.
        "count/endpoints": "10",
        "count/endpointslices.discovery.k8s.io": "20",
        "requests.ephemeral-storage": "10Gi",
        "limits.ephemeral-storage": "20Gi",
      },
    );
    assert.equal(hard("demo-tv")["count/secrets"], "40");
    assert.equal(hard("demo-tv")["requests.ephemeral-storage"], "30Gi");
    const lr = (byName(p, "demo-radio-limits").inputs.spec as any).limits[0];
    assert.deepEqual(
      [lr.defaultRequest["ephemeral-storage"], lr.default["ephemeral-storage"], lr.max["ephemeral-storage"]],
      ["100Mi", "1Gi", "4Gi"],
    );
  });

  it("tenant claims: only hcloud-volumes-tenant (Delete); the platform's retaining class is zero in every tenant quota", async () => {
    const p = await planStack("prod");
    const tenantClass = byName(p, "platform-storageclass-tenant").inputs as any;
    assert.equal(tenantClass.reclaimPolicy, "Delete");
    assert.equal(byName(p, "platform-storageclass").inputs.reclaimPolicy, "Retain");
    // Every tenant file's quota and chart values, whatever tenants/ holds.
    tenantStorageOnly(p);
  });

  it("tenant PriorityClasses: never preempting, never the default, below the system classes", async () => {
    assert.deepEqual(
      priorityClasses().map((c) => [c.metadata.name, c.value, c.preemptionPolicy, c.globalDefault]),
      [
        ["tenant-standard", 0, "Never", false],
        ["tenant-live", 1000, "Never", false],
      ],
    );
    const p = await planStack("staging");
    for (const n of ["tenant-standard", "tenant-live"])
      assert.equal(byName(p, `platform-priority-${n}`).type, "kubernetes:scheduling.k8s.io/v1:PriorityClass");
  });

  it("ingest tenants' namespaces carry platform.video/ingest; the prod ingest pool is tainted, the CSI node plugin tolerates it", async () => {
    const sample = await planSample("prod");
    const labels = (t: string) => (byName(sample, `${t}-ns`).inputs.metadata as any).labels;
    assert.equal(labels("demo-tv")["platform.video/ingest"], "true");
    const p = await planStack("prod");
    const csi = byName(p, "platform-hcloud-csi").inputs as any;
    assert.deepEqual(csi.values.node.tolerations, [
      { key: "platform.video/dedicated", operator: "Exists", effect: "NoSchedule" },
    ]);
  });
});

// --- The nodes: host guard, AlwaysPullImages, the ingest pool's taint -------------------------

describe("the host guard and k3s (issue 14): nodes", () => {
  const cluster = {
    clusterCidr: "10.42.0.0/16",
    networkCidr: "10.20.0.0/16",
    controlPlaneRange: "10.20.0.16/28",
  } as unknown as ClusterSettings;
  const node = (role: "server" | "agent") => ({ role }) as unknown as NodeSpec;
  const checkRules = (rules: string) => {
    const dir = mkdtempSync(join(tmpdir(), "vp-nft-"));
    const f = join(dir, "guard.nft");
    writeFileSync(f, rules);
    const r = nftCheck(f);
    rmSync(dir, { recursive: true, force: true });
    return r;
  };

  it("pods never reach their node's public addresses; metadata answers root only (every node)", () => {
    for (const role of ["server", "agent"] as const) {
      const rules = hostGuardRules(cluster, node(role));
      const lines = rules.split("\n").map((l) => l.trim());
      assert.ok(lines.includes("ip saddr 10.42.0.0/16 ip daddr 169.254.169.254 counter drop"), role);
      assert.ok(lines.includes("ip saddr 10.42.0.0/16 ip daddr != { 10.20.0.0/16, 10.42.0.0/16 } counter drop"), role);
      assert.ok(lines.includes("ip daddr 169.254.169.254 meta skuid != 0 counter drop"), role);
      assert.ok(lines.includes("type filter hook input priority filter - 10; policy accept;"), role);
      assert.ok(lines.includes("type filter hook output priority filter - 10; policy accept;"), role);
      assert.equal(
        lines.includes("tcp dport { 2379, 2380 } ip saddr != { 127.0.0.0/8, 10.20.0.16/28 } counter drop"),
        role === "server",
      );
    }
  });

  it("nft -c accepts the rendered rules of every role (and rejects a broken rule, so the check is real)", function () {
    needTool(this, "nft", "nft -c of the host guard's rules");
    for (const role of ["server", "agent"] as const) {
      const r = checkRules(hostGuardRules(cluster, node(role)));
      assert.equal(r.status, 0, `${role}: ${r.stderr}`);
    }
    const broken = hostGuardRules(cluster, node("agent")).replace("meta skuid != 0", "meta skuid != root-ish");
    assert.notEqual(checkRules(broken).status, 0);
  });

  it("the API server runs AlwaysPullImages and EventRateLimit with the CIS plugins", () => {
    assert.ok(
      KUBE_APISERVER_ARGS.includes(
        "enable-admission-plugins=NodeRestriction,NamespaceLifecycle,ServiceAccount,PodSecurity,AlwaysPullImages,EventRateLimit",
      ),
    );
  });

  it("the prod ingest pool is tainted through k3s node-taint; general workers are not", () => {
    const c = readStackConfig("prod") as Record<string, any>;
    const plan = planSite("prod", siteSchema.parse(c["video-platform:site"]), k3sSchema.parse(c["video-platform:k3s"]));
    const taints = (pool: string) => plan.workers.filter((w) => w.pool === pool).map((w) => w.nodeTaints);
    assert.deepEqual(taints("ingest"), [
      ["platform.video/dedicated=ingest:NoSchedule"],
      ["platform.video/dedicated=ingest:NoSchedule"],
    ]);
    assert.deepEqual(taints("general"), [[], [], []]);
    assert.deepEqual(plan.controlPlanes[0].nodeTaints, ["node-role.kubernetes.io/control-plane:NoSchedule"]);
  });

  it("pool taints are validated: a taint without an effect is refused with the expected shape", () => {
    const c = readStackConfig("prod") as Record<string, any>;
    const site = structuredClone(c["video-platform:site"]);
    site.workerPools[1].taints = ["platform.video/dedicated=ingest"];
    const r = siteSchema.safeParse(site);
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /key\[=value\]:NoSchedule\|PreferNoSchedule\|NoExecute/);
    site.workerPools[1].taints = ["platform.video/dedicated:NoExecute"];
    assert.equal(siteSchema.safeParse(site).success, true);
  });
});

describe("SITE-NODE-001: every node's real user-data carries the host guard, the kubelet's bounds and the API server's plugins", () => {
  const secrets = { token: "t", agentToken: "a", etcdS3AccessKey: "k", etcdS3SecretKey: "s" };
  const nodeRule = () => RULES.find((r) => r.id === "SITE-NODE-001")!;
  const server = (role: "control-plane" | "worker", userData: string) => ({
    urn: `urn:pulumi:prod::video-platform::hcloud:index/server:Server::${role}`,
    type: "hcloud:index/server:Server",
    name: role,
    parent: null,
    inputs: { labels: { "platform.video/role": role }, userData },
    options: { protect: false },
  });

  it("accepts the rendered user-data of a joining control plane and a worker; the plan's marker is skipped", () => {
    const c = readStackConfig("prod") as Record<string, any>;
    const plan = planSite("prod", siteSchema.parse(c["video-platform:site"]), k3sSchema.parse(c["video-platform:k3s"]));
    const cp = renderCloudInit({ cluster: plan.cluster, node: plan.controlPlanes[1], secrets, tlsSans: [] });
    const worker = renderCloudInit({ cluster: plan.cluster, node: plan.workers[0], secrets, tlsSans: [] });
    assert.deepEqual(nodeRule().check([server("control-plane", cp), server("worker", worker)], {} as never), []);
    assert.deepEqual(nodeRule().check([server("worker", "[secret]")], {} as never), []);
    // Each requirement is real: removing it from the rendered text is reported.
    for (const [cut, what] of [
      ["meta skuid != 0", "answers the metadata service to root only"],
      ["AlwaysPullImages", "AlwaysPullImages"],
      ["EventRateLimit", "EventRateLimit"],
      ["quota-backend-bytes", "explicit space quota"],
      ["pod-max-pids", "processes of each pod"],
      ["image-gc-high-threshold", "garbage-collects images"],
      ["imagefs.available<", "garbage-collects images"],
      ["ip daddr != {", "own public addresses"],
    ])
      assert.match(
        JSON.stringify(nodeRule().check([server("control-plane", cp.replace(cut, "x"))], {} as never)),
        new RegExp(what),
        cut,
      );
    // The kubelet's bounds are every node's; etcd and the API server's plugins the servers' only.
    assert.match(
      JSON.stringify(nodeRule().check([server("worker", worker.replace("pod-max-pids", "x"))], {} as never)),
      /processes of each pod/,
    );
    assert.doesNotMatch(worker, /quota-backend-bytes|EventRateLimit/);
  });
});

describe("TEN-PSS-002: tenant workload pod templates meet Pod Security restricted at admission", () => {
  /** The template's only container, with `sc` merged into its securityContext. */
  const container = (sc: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    containers: [
      {
        name: "app",
        image: "registry.demo-tv.example/player:1.4.2",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, ...sc },
        ...extra,
      },
    ],
  });
  const restricted = "^tenant workload pod templates must meet Pod Security restricted: ";
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["hostNetwork", { hostNetwork: true }, /hostNetwork, hostPID and hostIPC must be unset or false/],
    ["hostPID", { hostPID: true }, /hostNetwork, hostPID and hostIPC/],
    ["hostIPC", { hostIPC: true }, /hostNetwork, hostPID and hostIPC/],
    ["a privileged container", container({ privileged: true }), /no container may be privileged/],
    ["a container not dropping ALL", container({ capabilities: { drop: ["NET_RAW"] } }), /drops ALL capabilities/],
    ["a container without capabilities", container({ capabilities: undefined }), /drops ALL capabilities/],
    [
      "SYS_ADMIN added",
      container({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }),
      /adds none but NET_BIND_SERVICE/,
    ],
    ["a hostPath volume", { volumes: [{ name: "root", hostPath: { path: "/" } }] }, /volumes may only be/],
    ["an nfs volume", { volumes: [{ name: "n", nfs: { server: "10.0.0.1", path: "/" } }] }, /no hostPath, no network/],
    ["a hostPort", container({}, { ports: [{ containerPort: 80, hostPort: 80 }] }), /no container may use a hostPort/],
    ["privilege escalation allowed", container({ allowPrivilegeEscalation: true }), /allowPrivilegeEscalation: false/],
    [
      "privilege escalation unset",
      container({ allowPrivilegeEscalation: undefined }),
      /allowPrivilegeEscalation: false/,
    ],
    ["runAsNonRoot false on a container", container({ runAsNonRoot: false }), /runAsNonRoot: true/],
    [
      "runAsUser 0 on the pod",
      { securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } } },
      /runAsUser may not be 0/,
    ],
    ["runAsUser 0 on a container", container({ runAsUser: 0 }), /runAsUser may not be 0/],
    ["seccomp Unconfined on a container", container({ seccompProfile: { type: "Unconfined" } }), /never Unconfined/],
    ["procMount Unmasked", container({ procMount: "Unmasked" }), /procMount must be unset or Default/],
    ["an SELinux user", container({ seLinuxOptions: { user: "system_u" } }), /SELinux: type only/],
    ["an SELinux type of the host", container({ seLinuxOptions: { type: "spc_t" } }), /SELinux: type only/],
    [
      "an unsafe sysctl",
      {
        securityContext: {
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
          sysctls: [{ name: "kernel.msgmax", value: "1" }],
        },
      },
      /only the safe sysctls/,
    ],
    [
      // Safe only from Pod Security v1.37 on; the namespaces enforce v1.36, whose pods would be refused.
      "a sysctl Pod Security allows only from v1.37",
      {
        securityContext: {
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
          sysctls: [{ name: "net.ipv4.tcp_notsent_lowat", value: "16384" }],
        },
      },
      /only the safe sysctls/,
    ],
    ["AppArmor Unconfined", container({ appArmorProfile: { type: "Unconfined" } }), /AppArmor may not be Unconfined/],
    [
      "a probe on another host",
      container({}, { livenessProbe: { httpGet: { host: "169.254.169.254", path: "/", port: 80 } } }),
      /probes and lifecycle handlers may not name a host/,
    ],
    ["a Windows host process", container({ windowsOptions: { hostProcess: true } }), /no Windows host process/],
  ];
  for (const [what, spec, message] of cases)
    it(`denies a Deployment whose template has ${what}`, () => {
      const d = denials("TEN-PSS-002", deploy(spec));
      assert.ok(
        d?.some((m) => new RegExp(restricted).test(m) && message.test(m)),
        JSON.stringify(d),
      );
    });

  it("denies the pod templates of every workload kind tenants may create, and leaves Pods to Pod Security admission", () => {
    const privileged = container({ privileged: true });
    assert.ok(denials("TEN-PSS-002", cronJob(privileged))?.length);
    for (const [group, resource] of [
      ["apps", "statefulsets"],
      ["apps", "replicasets"],
      ["batch", "jobs"],
    ])
      assert.ok(denials("TEN-PSS-002", { ...deploy(privileged), group, resource })?.length, `${group}/${resource}`);
    assert.equal(denials("TEN-PSS-002", pod(privileged)), undefined);
    const platformNs = { metadata: { name: "kube-system", labels: { "kubernetes.io/metadata.name": "kube-system" } } };
    assert.equal(denials("TEN-PSS-002", { ...deploy(privileged), namespace: platformNs }), undefined);
  });

  it("admits restricted templates: runAsNonRoot and seccomp per container instead of on the pod, NET_BIND_SERVICE, the restricted volume types, safe sysctls, a localhost AppArmor profile", () => {
    const perContainer = {
      securityContext: {},
      containers: [
        {
          name: "app",
          image: "registry.demo-tv.example/player:1.4.2",
          ports: [{ containerPort: 8080 }],
          livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
          securityContext: {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            runAsUser: 10001,
            seccompProfile: { type: "RuntimeDefault" },
            capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
            seLinuxOptions: { type: "container_t" },
            procMount: "Default",
            appArmorProfile: { type: "Localhost", localhostProfile: "player" },
          },
        },
      ],
      volumes: [
        { name: "cfg", configMap: { name: "player" } },
        { name: "tmp", emptyDir: {} },
        { name: "data", persistentVolumeClaim: { claimName: "media" } },
        { name: "key", secret: { secretName: "stream-key" } },
        { name: "token", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } },
      ],
    };
    assert.deepEqual(denials("TEN-PSS-002", deploy(perContainer)), []);
    const sysctls = {
      securityContext: {
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
        sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "80" }],
      },
    };
    assert.deepEqual(denials("TEN-PSS-002", deploy(sysctls)), []);
  });

  it("denies a template without runAsNonRoot or without seccomp anywhere", () => {
    const d = denials("TEN-PSS-002", deploy({ securityContext: {} }));
    assert.ok(
      d?.some((m) => /runAsNonRoot: true/.test(m)),
      JSON.stringify(d),
    );
    assert.ok(
      d?.some((m) => /seccompProfile\.type RuntimeDefault or Localhost/.test(m)),
      JSON.stringify(d),
    );
  });
});
