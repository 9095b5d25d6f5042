/**
 * Tenant hardening at admission (issue 14): where tenant pods may run, at which priority, how
 * their disruption budgets may block a drain, and which SealedSecret scopes they may create.
 * Plain data like the policies in admission.ts, which lists these after its own and gives each
 * the same plan check (the policy and its Deny binding declared exactly as written here). Kept
 * in a file of their own so the edge's policies (admission.ts) and these change independently.
 *
 * The expressions keep to standard CEL (has, in, all, exists, startsWith, matches, string(),
 * the conditional operator) so the test evaluator (@marcbachmann/cel-js) and the API server
 * agree: `object` is dynamically typed in ValidatingAdmissionPolicy, so one expression serves
 * Pods and every workload kind whose pod template sits at a different path.
 */
import type { AdmissionPolicy } from "./types";
import { TENANT_LABEL } from "../tenant/contract";

/**
 * Taints tenant pods may tolerate: the two the DefaultTolerationSeconds admission plugin adds to
 * every pod (NoExecute, for 300 s), which only delay eviction from a failing node. Everything
 * else a node is tainted with is the platform's (control planes, dedicated pools) and stays out.
 */
export const TOLERABLE_TAINT_KEYS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] as const;

/**
 * The ingest pool's taint (site config `workerPools[].taints`, k3s node-taint): only tenants
 * whose file has ingest workers, and only their ingest pods, may tolerate it.
 */
export const INGEST_TAINT = { key: "platform.video/dedicated", value: "ingest", effect: "NoSchedule" } as const;
/** Namespace label the platform sets on tenants with ingest workers (protected by TEN-NSL-001). */
export const INGEST_NAMESPACE_LABEL = "platform.video/ingest";
/** Pod (template) label that marks an ingest workload; the tenant chart sets it on its workers. */
export const INGEST_WORKLOAD_LABEL = { key: "platform.video/workload", value: "ingest" } as const;

/**
 * Node label keys tenant pods may not select or require: the control-plane roles k3s labels its
 * servers with (control-plane, master, etcd), and every label that names one node and so pins a
 * pod to a node of the tenant's choosing: the host name, and the address labels k3s keeps on
 * nodes that carried them before it moved them to annotations (k3s.io/hostname, internal-ip,
 * external-ip: k3s-io/k3s pkg/agent/run.go updateLegacyAddressLabels, checked 2026-12-06 in the
 * k3s module of the Go module cache).
 */
export const FORBIDDEN_NODE_LABEL_PREFIXES = ["node-role.kubernetes.io/"] as const;
export const FORBIDDEN_NODE_LABEL_KEYS = [
  "kubernetes.io/hostname",
  "k3s.io/hostname",
  "k3s.io/internal-ip",
  "k3s.io/external-ip",
] as const;

/** The PriorityClasses tenants may use (declared by the platform, components/platform/scheduling.ts). */
export const TENANT_PRIORITY_CLASSES = { standard: "tenant-standard", live: "tenant-live" } as const;

/** SealedSecret annotations that widen a sealed value's scope past its own name and namespace. */
export const SEALED_SECRET_SCOPE_ANNOTATIONS = [
  "sealedsecrets.bitnami.com/cluster-wide",
  "sealedsecrets.bitnami.com/namespace-wide",
] as const;

const tenantNamespaces = { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] };
const lit = (s: string) => `'${s}'`;
const list = (xs: readonly string[]) => `[${xs.map(lit).join(", ")}]`;
const rw = ["CREATE", "UPDATE"];

/**
 * Pods and every kind that carries a pod template tenants may create. DaemonSets are not among
 * them: tenants cannot create any (neither their RBAC nor their AppProject lists the kind), and
 * the DaemonSet controller adds tolerations to its pods that this policy would refuse.
 */
export const POD_RESOURCES = [
  { apiGroups: [""], apiVersions: ["v1"], operations: rw, resources: ["pods"] },
  {
    apiGroups: ["apps"],
    apiVersions: ["v1"],
    operations: rw,
    resources: ["deployments", "statefulsets", "replicasets"],
  },
  { apiGroups: ["batch"], apiVersions: ["v1"], operations: rw, resources: ["jobs", "cronjobs"] },
];

/** The pod spec and pod labels of a Pod, a CronJob or any other workload (spec.template). */
export const POD_VARIABLES = [
  {
    name: "template",
    expression:
      "object.kind == 'Pod' ? object : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template)",
  },
  { name: "spec", expression: "variables.template.spec" },
  {
    name: "labels",
    expression:
      "has(variables.template.metadata) && has(variables.template.metadata.labels) ? variables.template.metadata.labels : {}",
  },
];

/** CEL: node label key `k` is one tenants may not select. */
const forbiddenNodeKey = (k: string) =>
  `(${[
    ...FORBIDDEN_NODE_LABEL_KEYS.map((x) => `${k} == ${lit(x)}`),
    ...FORBIDDEN_NODE_LABEL_PREFIXES.map((p) => `${k}.startsWith(${lit(p)})`),
  ].join(" || ")})`;

/** CEL: a node selector term `t` names no forbidden key and pins no node by field (metadata.name). */
const termAllowed = (t: string) =>
  `((!has(${t}.matchFields) || size(${t}.matchFields) == 0) && (!has(${t}.matchExpressions) || ${t}.matchExpressions.all(e, !${forbiddenNodeKey("e.key")})))`;

const NA = "variables.spec.affinity.nodeAffinity";
const REQUIRED = `${NA}.requiredDuringSchedulingIgnoredDuringExecution`;
const PREFERRED = `${NA}.preferredDuringSchedulingIgnoredDuringExecution`;

export const WORKLOAD_POLICIES: readonly AdmissionPolicy[] = [
  {
    rule: "TEN-SCHED-001",
    key: "scheduling",
    name: "platform-tenant-scheduling",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: POD_RESOURCES },
      variables: [
        ...POD_VARIABLES,
        {
          // An ingest pod of a tenant whose file has ingest workers: the namespace label comes
          // from the platform (and TEN-NSL-001 keeps tenants from adding it), the pod label from
          // the tenant's chart.
          name: "ingest",
          expression: `has(namespaceObject.metadata.labels) && ${lit(INGEST_NAMESPACE_LABEL)} in namespaceObject.metadata.labels && namespaceObject.metadata.labels[${lit(INGEST_NAMESPACE_LABEL)}] == 'true' && ${lit(INGEST_WORKLOAD_LABEL.key)} in variables.labels && variables.labels[${lit(INGEST_WORKLOAD_LABEL.key)}] == ${lit(INGEST_WORKLOAD_LABEL.value)}`,
        },
      ],
      validations: [
        {
          // A bound Pod carries the node the scheduler chose (through the pods/binding subresource,
          // which this policy does not match); a Pod's spec.nodeName cannot change on UPDATE (the
          // API server's pod validation refuses it), so only new objects and workload templates
          // are checked. Written without oldObject.spec: the API server type-checks each
          // expression against every matched kind, and a Deployment's spec has no nodeName.
          expression: "!has(variables.spec.nodeName) || (object.kind == 'Pod' && request.operation == 'UPDATE')",
          message:
            "tenant pods may not set spec.nodeName: the scheduler places them on the tenant worker pools (nodeName skips the scheduler, taints and quotas of the node)",
          reason: "Forbidden",
        },
        {
          // The ingest toleration needs the tenant-live class too: the quota scoped to that class
          // (TEN-PRIO-002) allows the tenant file's ingest workers and no more, so no tenant can
          // make the autoscaler buy ingest nodes past its own workers.
          expression: `!has(variables.spec.tolerations) || variables.spec.tolerations.all(t, has(t.key) && ((t.key in ${list(TOLERABLE_TAINT_KEYS)} && has(t.effect) && t.effect == 'NoExecute') || (variables.ingest && t.key == ${lit(INGEST_TAINT.key)} && has(t.value) && t.value == ${lit(INGEST_TAINT.value)} && (!has(t.operator) || t.operator == 'Equal') && has(variables.spec.priorityClassName) && variables.spec.priorityClassName == ${lit(TENANT_PRIORITY_CLASSES.live)})))`,
          message: `tenant pods may tolerate only ${TOLERABLE_TAINT_KEYS.join(" and ")} (effect NoExecute), and ingest pods (label ${INGEST_WORKLOAD_LABEL.key}=${INGEST_WORKLOAD_LABEL.value}, priorityClassName ${TENANT_PRIORITY_CLASSES.live}) of tenants with ingest workers ${INGEST_TAINT.key}=${INGEST_TAINT.value}: control planes and dedicated pools are the platform's (a toleration without a key tolerates every taint)`,
          reason: "Forbidden",
        },
        {
          expression: `!has(variables.spec.nodeSelector) || variables.spec.nodeSelector.all(k, !${forbiddenNodeKey("k")})`,
          message: `tenant pods may not select nodes by ${[...FORBIDDEN_NODE_LABEL_KEYS, ...FORBIDDEN_NODE_LABEL_PREFIXES.map((p) => `${p}*`)].join(" or ")} (control planes, or one pinned node); select a pool with platform.video/pool`,
          reason: "Forbidden",
        },
        {
          expression: `!has(variables.spec.affinity) || !has(${NA}) || ((!has(${REQUIRED}) || !has(${REQUIRED}.nodeSelectorTerms) || ${REQUIRED}.nodeSelectorTerms.all(t, ${termAllowed("t")})) && (!has(${PREFERRED}) || ${PREFERRED}.all(p, !has(p.preference) || ${termAllowed("p.preference")})))`,
          message: `tenant node affinity may not name ${[...FORBIDDEN_NODE_LABEL_KEYS, ...FORBIDDEN_NODE_LABEL_PREFIXES.map((p) => `${p}*`)].join(" or ")}, nor pin nodes with matchFields`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-PRIO-001",
    key: "priority",
    name: "platform-tenant-priority",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: POD_RESOURCES },
      variables: POD_VARIABLES,
      validations: [
        {
          expression: `!has(variables.spec.priorityClassName) || variables.spec.priorityClassName in ${list(Object.values(TENANT_PRIORITY_CLASSES))}`,
          messageExpression: `'priorityClassName ' + variables.spec.priorityClassName + ' is not a tenant class: use ${Object.values(TENANT_PRIORITY_CLASSES).join(" or ")} (system and platform classes would preempt or outlive the platform itself)'`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-PDB-001",
    key: "disruption-budgets",
    name: "platform-tenant-disruption-budgets",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        namespaceSelector: tenantNamespaces,
        resourceRules: [
          { apiGroups: ["policy"], apiVersions: ["v1"], operations: rw, resources: ["poddisruptionbudgets"] },
        ],
      },
      validations: [
        {
          // int-or-string: string() reads 0 and "0%" alike.
          expression: "!has(object.spec.maxUnavailable) || !string(object.spec.maxUnavailable).matches('^0+%?$')",
          message:
            "a tenant PodDisruptionBudget may not set maxUnavailable to 0 or 0%: it would block every node drain (upgrades, repairs) forever",
          reason: "Forbidden",
        },
        {
          // minAvailable blocks every eviction as soon as it reaches the pods the budget selects:
          // the disruption controller rounds a percentage up (99 % of up to 100 pods, 51 % of one,
          // any percentage of one), and an integer meets the replicas when they shrink (an HPA,
          // a scale to 1), which live in another object admission cannot see. maxUnavailable of
          // 1 or more, or a percentage above 0 (rounded up to at least one pod), always leaves
          // one eviction to a healthy workload (k8s.io/kubernetes pkg/controller/disruption
          // getExpectedPodCount at v1.37.2).
          expression: "!has(object.spec.minAvailable) || string(object.spec.minAvailable).matches('^0+%?$')",
          message:
            "a tenant PodDisruptionBudget may not set minAvailable (other than 0): 99% or 51% of one replica rounds up to every pod, and any count blocks every node drain once the replicas shrink to it; set maxUnavailable (1, or a percentage, which the disruption controller rounds up to at least one pod)",
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-SEAL-001",
    key: "sealed-secret-scope",
    name: "platform-tenant-sealed-secret-scope",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        namespaceSelector: tenantNamespaces,
        resourceRules: [
          { apiGroups: ["bitnami.com"], apiVersions: ["*"], operations: rw, resources: ["sealedsecrets"] },
        ],
      },
      validations: [
        {
          // The controller widens the scope only for the exact value "true"; anything but absent
          // or "false" is refused so no spelling slips through.
          expression: `!has(object.metadata.annotations) || ${list(SEALED_SECRET_SCOPE_ANNOTATIONS)}.all(a, !(a in object.metadata.annotations) || object.metadata.annotations[a] == 'false')`,
          message: `tenant SealedSecrets must be strict-scoped (sealed for their own name and namespace): ${SEALED_SECRET_SCOPE_ANNOTATIONS.join(" and ")} must be absent or "false", or a tenant could unseal ciphertext sealed for another namespace`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
];

/** The catalog entries of these policies (admission.ts adds their plan check). */
export const WORKLOAD_RULE_TEXT: readonly { id: string; description: string; fix: string }[] = [
  {
    id: "TEN-SCHED-001",
    description:
      "tenant pods (and workload templates) set no nodeName, tolerate no platform taint (only not-ready/unreachable; the ingest taint only for ingest pods of ingest tenants, at priority tenant-live) and select no control-plane node and no single node by a host name or address label",
    fix: "schedule tenant workloads by pool label (platform.video/pool); keep the platform-tenant-scheduling policy and binding as components/rules/workloads.ts declares them",
  },
  {
    id: "TEN-PRIO-001",
    description: "tenant pods use only the platform's tenant PriorityClasses (tenant-standard, tenant-live) or none",
    fix: "set priorityClassName to tenant-standard or tenant-live; keep the platform-tenant-priority policy and binding, and the PriorityClasses the platform declares",
  },
  {
    id: "TEN-PDB-001",
    description:
      "tenant PodDisruptionBudgets cannot block drains in any form: maxUnavailable of at least 1 or 1%; no minAvailable but 0 (a percentage rounds up to every pod of a small workload, a count meets shrinking replicas)",
    fix: "write the budget as maxUnavailable (1, or a percentage); keep the platform-tenant-disruption-budgets policy and binding as components/rules/workloads.ts declares them",
  },
  {
    id: "TEN-SEAL-001",
    description: "tenant SealedSecrets are strict-scoped (no cluster-wide or namespace-wide annotation)",
    fix: "seal with `kubeseal --scope strict` (the default); keep the platform-tenant-sealed-secret-scope policy and binding as components/rules/workloads.ts declares them",
  },
];
