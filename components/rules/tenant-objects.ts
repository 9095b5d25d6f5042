/**
 * Tenant object rules: the Kubernetes objects one tenant gets (plain manifests: what the plan
 * records and what the policy pack sees) → findings, each under a rule id: the one copy the plan,
 * the policy pack and the tests run. The tenant's file rules (input values) are
 * components/tenant/file-rules.ts; the values both check against (labels, PSS level, guardrail
 * kinds) belong to the product, components/tenant/contract.ts, and tests write them out.
 */
import { cidrContains, cidrOverlaps } from "../config/schema";
import { parseBytes, parseCpu } from "../tenant/quantity";
import { IN_CLUSTER, TENANT_ARGOCD } from "../platform/namespaces";
import {
  GUARDRAIL_KINDS,
  PSS_LEVEL,
  PSS_MODES,
  QUOTA_KEYS,
  SYNC_SERVICE_ACCOUNT,
  TENANT_ADMIN_ROLE,
  TENANT_LABEL,
  TENANT_SYNC_ROLE,
  ZERO_QUOTA_KEYS,
} from "../tenant/contract";
import { adminGroupProblem } from "../tenant/file-rules";
import { arr, rec, Rec, str } from "./types";

/** A Kubernetes object as declared (apiVersion, kind, metadata, spec/…), from the plan or a preview. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  [k: string]: unknown;
}

/** What the tenant rules compare against: the tenant and the site's facts. */
export interface RuleContext {
  /** The tenant (its namespace and ArgoCD project). */
  tenant: string;
  /** The tenant's repository: the only source its AppProject may allow. */
  repoURL: string;
  /** The platform ingress controller's namespace: the only other namespace allowed in. */
  ingressNamespace: string;
  /** The edge proxy's pod labels: the only pods of that namespace allowed in (EDGE_PROXY). */
  edgePodLabels?: Record<string, string>;
  /** Ranges tenant pods must never reach: metadata address, node network, pod and service ranges. */
  blockedRanges: string[];
  /**
   * The platform's tenant-admin ClusterRole (TENANT_ADMIN_ROLE) as declared, when the plan has it:
   * what a tenant's admin RoleBinding grants, so its rules are checked with every tenant's.
   */
  adminRole?: K8sObject;
}

/** One problem, on the object at fault when there is one (a missing object has none). */
export interface Finding {
  object?: K8sObject;
  message: string;
}

export interface ObjectRule {
  id: string;
  /** One line: what must hold. */
  describe: string;
  /** What to change when it does not. */
  fix: string;
  /** Checks the tenant's objects (all of them: some rules relate two objects). */
  check(objects: K8sObject[], ctx: RuleContext): Finding[];
}

/** A violation found in one tenant's objects. */
export interface TenantViolation {
  rule: string;
  /** `Kind/name` of the object at fault, or the tenant when an object is missing. */
  object: string;
  message: string;
}

export const FORBIDDEN_VERBS = ["escalate", "bind", "impersonate", "*"] as const;
export const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"] as const;
const of = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);

/** Whether a ResourceQuota is scoped (it then counts only some pods: PriorityClass, terminating, ...). */
export function isScoped(o: K8sObject): boolean {
  const spec = rec(o.spec);
  return arr(spec.scopes).length !== 0 || spec.scopeSelector !== undefined;
}

/** The tenant's own budget: its ResourceQuota without scopes (the tenant-live one counts a subset). */
export function mainQuota(tenant: string, objects: K8sObject[]): K8sObject | undefined {
  return objects.find((o) => o.kind === "ResourceQuota" && o.metadata?.namespace === tenant && !isScoped(o));
}
const at = (object: K8sObject | undefined, message: string): Finding => (object ? { object, message } : { message });
/** Whether a RoleBinding grants the platform's tenant-admin ClusterRole. */
const bindsTenantAdmin = (b: K8sObject): boolean =>
  rec(b.roleRef).kind === "ClusterRole" && rec(b.roleRef).name === TENANT_ADMIN_ROLE;

/** The tenant's Argo CD sync binding, exactly as the platform writes it (TEN-ARGO-003). */
function isSyncBinding(b: K8sObject, tenant: string): boolean {
  const subjects = arr(b.subjects).map(rec);
  return (
    b.metadata?.name === SYNC_SERVICE_ACCOUNT &&
    // Stryker disable next-line OptionalChaining: only reached when metadata.name matched, so metadata is set
    b.metadata?.namespace === tenant &&
    rec(b.roleRef).kind === "ClusterRole" &&
    rec(b.roleRef).name === TENANT_SYNC_ROLE &&
    subjects.length === 1 &&
    subjects[0].kind === "ServiceAccount" &&
    subjects[0].name === SYNC_SERVICE_ACCOUNT &&
    subjects[0].namespace === tenant
  );
}

/** The tenant Argo CD's controller binding, exactly as the platform writes it (TEN-ARGO-006). */
export function isControllerBinding(b: K8sObject, tenant: string): boolean {
  const subjects = arr(b.subjects).map(rec);
  return (
    b.metadata?.name === TENANT_ARGOCD.controllerBinding &&
    b.metadata?.namespace === tenant &&
    rec(b.roleRef).kind === "ClusterRole" &&
    rec(b.roleRef).name === TENANT_ARGOCD.controllerRole &&
    subjects.length === 1 &&
    subjects[0].kind === "ServiceAccount" &&
    subjects[0].name === TENANT_ARGOCD.controller.name &&
    subjects[0].namespace === TENANT_ARGOCD.controller.namespace
  );
}

interface PolicyPeer {
  podSelector?: Rec;
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

/** Whether a port list lets `port` through (no list = every port). */
function portsAllow(ports: PolicyPort[] | undefined, port: number): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return true; // a named port could be anything
    return p.endPort === undefined ? p.port === port : p.port <= port && port <= p.endPort;
  });
}

function isEmptySelector(s: unknown): boolean {
  const o = rec(s);
  return Object.keys(rec(o.matchLabels)).length === 0 && arr(o.matchExpressions).length === 0;
}

function cpuMillis(v: unknown): bigint | undefined {
  const p = typeof v === "string" || typeof v === "number" ? parseCpu(v) : undefined;
  return p?.ok ? p.value : undefined;
}
function bytes(v: unknown): bigint | undefined {
  const p = typeof v === "string" || typeof v === "number" ? parseBytes(v) : undefined;
  return p?.ok ? p.value : undefined;
}

export const OBJECT_RULES: ObjectRule[] = [
  {
    id: "TEN-PSS-001",
    describe:
      "the tenant namespace enforces, audits and warns at Pod Security level restricted, version pinned, and carries its tenant label",
    fix: "build the Namespace with components/tenant/manifests.ts namespace(): pod-security.kubernetes.io/{enforce,audit,warn}=restricted with a pinned -version",
    check(objs, ctx) {
      const ns = of(objs, "Namespace").find((o) => o.metadata?.name === ctx.tenant);
      if (!ns) return [at(undefined, `no Namespace ${ctx.tenant}`)];
      const labels = ns.metadata?.labels ?? {};
      const out: Finding[] = [];
      for (const mode of PSS_MODES) {
        if (labels[`pod-security.kubernetes.io/${mode}`] !== PSS_LEVEL)
          out.push(at(ns, `pod-security.kubernetes.io/${mode} must be ${PSS_LEVEL}`));
        const v = labels[`pod-security.kubernetes.io/${mode}-version`];
        if (!v || !/^v1\.\d+$/.test(v))
          out.push(
            at(ns, `pod-security.kubernetes.io/${mode}-version must pin a version like v1.37, not "${v ?? ""}"`),
          );
      }
      if (labels[TENANT_LABEL] !== ctx.tenant) out.push(at(ns, `label ${TENANT_LABEL} must be ${ctx.tenant}`));
      return out;
    },
  },
  {
    id: "TEN-QTA-001",
    describe:
      "a ResourceQuota bounds cpu, memory (requests and limits), storage, pods, services and PVCs; services.nodeports = services.loadbalancers = 0",
    fix: 'declare the quota with components/tenant/manifests.ts resourceQuota() (every key of QUOTA_KEYS; nodeports and loadbalancers "0")',
    check(objs, ctx) {
      // The tenant's budget is its one quota without scopes; scoped ones (tenant-live) count subsets.
      const quotas = of(objs, "ResourceQuota").filter((o) => o.metadata?.namespace === ctx.tenant && !isScoped(o));
      if (quotas.length !== 1)
        return [at(quotas[1], `expected one unscoped ResourceQuota in ${ctx.tenant}, found ${quotas.length}`)];
      const hard = rec(rec(quotas[0].spec).hard);
      const out: Finding[] = [];
      for (const k of QUOTA_KEYS) if (hard[k] === undefined) out.push(at(quotas[0], `spec.hard.${k} is missing`));
      for (const k of ZERO_QUOTA_KEYS)
        if (hard[k] !== undefined && String(hard[k]) !== "0") out.push(at(quotas[0], `spec.hard.${k} must be 0`));
      return out;
    },
  },
  {
    id: "TEN-LIM-001",
    describe: "a LimitRange sets container defaultRequest ≤ default ≤ max, and max fits the quota's requests",
    fix: "derive the LimitRange from the effective quota (components/tenant/sizing.ts); lower max or raise the quota",
    check(objs, ctx) {
      const lrs = of(objs, "LimitRange").filter((o) => o.metadata?.namespace === ctx.tenant);
      const quota = mainQuota(ctx.tenant, objs);
      if (lrs.length !== 1) return [at(lrs[1], `expected one LimitRange in ${ctx.tenant}, found ${lrs.length}`)];
      const lr = lrs[0];
      const item = arr(rec(lr.spec).limits)
        .map(rec)
        .find((l) => l.type === "Container");
      if (!item) return [at(lr, "no Container limits")];
      const hard = rec(rec(quota?.spec).hard);
      const out: Finding[] = [];
      for (const [res, parse, cap] of [
        ["cpu", cpuMillis, cpuMillis(hard["requests.cpu"])],
        ["memory", bytes, bytes(hard["requests.memory"])],
      ] as const) {
        const req = parse(rec(item.defaultRequest)[res]);
        const def = parse(rec(item.default)[res]);
        const max = parse(rec(item.max)[res]);
        if (req === undefined || def === undefined || max === undefined) {
          out.push(at(lr, `Container defaultRequest, default and max must all set ${res}`));
          continue;
        }
        if (!(req <= def && def <= max)) out.push(at(lr, `${res}: defaultRequest ≤ default ≤ max does not hold`));
        if (cap === undefined || max > cap) out.push(at(lr, `${res}: max exceeds the quota's requests.${res}`));
      }
      return out;
    },
  },
  {
    id: "TEN-NET-001",
    describe: "a NetworkPolicy selects every pod of the tenant for both ingress and egress (default deny)",
    fix: "keep podSelector {} and policyTypes [Ingress, Egress] in components/tenant/manifests.ts networkPolicy()",
    check(objs, ctx) {
      const pols = of(objs, "NetworkPolicy").filter((o) => o.metadata?.namespace === ctx.tenant);
      const ok = pols.some((p) => {
        const spec = rec(p.spec);
        const types = arr(spec.policyTypes);
        return isEmptySelector(spec.podSelector) && types.includes("Ingress") && types.includes("Egress");
      });
      return ok ? [] : [at(pols[0], "no NetworkPolicy selects all pods with policyTypes Ingress and Egress")];
    },
  },
  {
    id: "TEN-NET-002",
    describe:
      "ingress only from the tenant's own pods and the edge proxy's pods (by pod labels, in the edge namespace)",
    fix: "allow only { podSelector: {} } and the edge proxy's namespace + pod selector (components/platform/namespaces.ts EDGE_PROXY) in the policy's ingress rule",
    check(objs, ctx) {
      const out: Finding[] = [];
      for (const p of of(objs, "NetworkPolicy").filter((o) => o.metadata?.namespace === ctx.tenant))
        arr(rec(p.spec).ingress).forEach((rule, i) => {
          const from = arr(rec(rule).from) as PolicyPeer[];
          if (from.length === 0) out.push(at(p, `ingress[${i}] allows every source`));
          for (const peer of from) {
            if (peer.ipBlock) out.push(at(p, `ingress[${i}] allows an ipBlock`));
            else if (peer.namespaceSelector) {
              const want = peer.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"];
              if (want !== ctx.ingressNamespace || Object.keys(peer.namespaceSelector).length !== 1)
                out.push(at(p, `ingress[${i}] admits namespaces other than ${ctx.ingressNamespace}`));
              // The edge proxy's pods only, not everything in its namespace.
              const pods = rec(peer.podSelector);
              const podLabels = rec(pods.matchLabels);
              if (
                arr(pods.matchExpressions).length !== 0 ||
                JSON.stringify(Object.entries(podLabels).sort()) !==
                  JSON.stringify(Object.entries(ctx.edgePodLabels ?? {}).sort()) ||
                Object.keys(podLabels).length === 0
              )
                out.push(at(p, `ingress[${i}] admits pods of ${want} other than the edge proxy's`));
            }
          }
        });
      return out;
    },
  },
  {
    id: "TEN-NET-003",
    describe:
      "egress never reaches the metadata address (169.254.169.254) or the site's node, pod and service ranges; DNS only to kube-dns",
    fix: "list every blocked range (components/tenant/manifests.ts blockedRanges) in the internet ipBlock's except, and allow port 53 only to kube-dns",
    check(objs, ctx) {
      const out: Finding[] = [];
      for (const p of of(objs, "NetworkPolicy").filter((o) => o.metadata?.namespace === ctx.tenant))
        arr(rec(p.spec).egress).forEach((raw, i) => {
          const rule = rec(raw);
          const to = arr(rule.to) as PolicyPeer[];
          const ports = rule.ports as PolicyPort[] | undefined;
          if (to.length === 0) out.push(at(p, `egress[${i}] allows every destination`));
          for (const peer of to) {
            if (peer.ipBlock) {
              for (const blocked of ctx.blockedRanges)
                if (
                  cidrOverlaps(peer.ipBlock.cidr, blocked) &&
                  // Stryker disable next-line ArrayDeclaration: an unparsable except entry contains nothing, as no entry does
                  !(peer.ipBlock.except ?? []).some((e) => cidrContains(e, blocked))
                )
                  out.push(at(p, `egress[${i}] ipBlock ${peer.ipBlock.cidr} reaches ${blocked}`));
              if (portsAllow(ports, 53)) out.push(at(p, `egress[${i}] allows DNS (port 53) outside kube-dns`));
            } else if (peer.namespaceSelector) {
              // The one cross-namespace peer allowed: kube-dns, on port 53 only.
              const dns =
                peer.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"] === "kube-system" &&
                rec(rec(peer.podSelector).matchLabels)["k8s-app"] === "kube-dns";
              const only53 = !!ports?.length && ports.every((x) => x.port === 53 && x.endPort === undefined);
              if (!dns || !only53)
                out.push(at(p, `egress[${i}] reaches other namespaces (only kube-dns on port 53 is allowed)`));
            }
          }
        });
      return out;
    },
  },
  {
    id: "TEN-RBAC-001",
    describe:
      "what tenant admins are granted (the platform's tenant-admin ClusterRole, any Role of the tenant's) has no escalate/bind/impersonate, no wildcards, no nonResourceURLs, no writes on the guardrails (quotas, limits, policies, RBAC, endpoints) and no aggregation",
    fix: "list verbs and resources explicitly in components/tenant/manifests.ts adminRules(); guardrail kinds (GUARDRAIL_KINDS) stay read-only; no aggregationRule or aggregate-to-* labels on the ClusterRole",
    check(objs, ctx) {
      const out: Finding[] = [];
      const roles = of(objs, "Role").filter((o) => o.metadata?.namespace === ctx.tenant);
      // Checked whether or not this tenant lists admins today: it is what any admin binding grants.
      const admin = ctx.adminRole;
      if (admin) {
        roles.push(admin);
        // Aggregation would let any ClusterRole carrying the matching label add rules to it.
        if (admin.aggregationRule !== undefined) out.push(at(admin, `ClusterRole ${TENANT_ADMIN_ROLE} aggregates`));
        for (const l of Object.keys(admin.metadata?.labels ?? {}))
          if (l.startsWith("rbac.authorization.k8s.io/aggregate-to-"))
            out.push(at(admin, `ClusterRole ${TENANT_ADMIN_ROLE} is aggregated into others (${l})`));
      }
      for (const role of roles)
        arr(role.rules).forEach((raw, i) => {
          const rule = rec(raw);
          const verbs = arr(rule.verbs).map(str);
          const groups = arr(rule.apiGroups).map(str);
          const resources = arr(rule.resources).map(str);
          for (const v of verbs)
            if ((FORBIDDEN_VERBS as readonly string[]).includes(v)) out.push(at(role, `rules[${i}] grants verb ${v}`));
          if (groups.includes("*") || resources.some((r) => r === "*" || r.includes("/*")))
            out.push(at(role, `rules[${i}] uses a wildcard`));
          if (arr(rule.nonResourceURLs).length) out.push(at(role, `rules[${i}] grants nonResourceURLs`));
          const writes = verbs.filter((v) => (WRITE_VERBS as readonly string[]).includes(v));
          if (writes.length)
            for (const g of GUARDRAIL_KINDS)
              if (groups.includes(g.group) && resources.includes(g.resource))
                out.push(at(role, `rules[${i}] grants ${writes.join("/")} on ${g.resource}`));
        });
      return out;
    },
  },
  {
    id: "TEN-RBAC-002",
    describe: `tenants get nothing cluster-wide: no ClusterRole(Binding) of their own; RoleBindings live in the tenant namespace, reference the platform's ClusterRole ${TENANT_ADMIN_ROLE} (or a Role of the tenant's) and bind non-system groups`,
    fix: `bind the tenant's identity-provider groups with components/tenant/manifests.ts adminBinding() (ClusterRole ${TENANT_ADMIN_ROLE}, declared by the platform)`,
    check(objs, ctx) {
      const out: Finding[] = [];
      for (const o of objs)
        if (o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding")
          out.push(at(o, `${o.kind} ${o.metadata?.name}: tenants get nothing cluster-wide`));
      for (const b of of(objs, "RoleBinding")) {
        // Argo CD's sync identity and the tenant Argo CD's controller: checked exactly by
        // TEN-ARGO-003 and TEN-ARGO-006 (one ServiceAccount, one role each).
        if (isSyncBinding(b, ctx.tenant) || isControllerBinding(b, ctx.tenant)) continue;
        const name = b.metadata?.name;
        if (b.metadata?.namespace !== ctx.tenant) out.push(at(b, `RoleBinding ${name} outside ${ctx.tenant}`));
        const ref = rec(b.roleRef);
        if (ref.kind !== "Role" && !bindsTenantAdmin(b))
          out.push(
            at(
              b,
              `RoleBinding ${name} references ${str(ref.kind)} ${str(ref.name)}, not ClusterRole ${TENANT_ADMIN_ROLE}`,
            ),
          );
        else if (bindsTenantAdmin(b) && !ctx.adminRole)
          out.push(
            at(
              b,
              `RoleBinding ${name} references ClusterRole ${TENANT_ADMIN_ROLE}, which the platform does not declare`,
            ),
          );
        for (const s of arr(b.subjects).map(rec))
          if (s.kind !== "Group" || adminGroupProblem(str(s.name)))
            out.push(at(b, `RoleBinding ${name} binds ${String(s.kind)} ${String(s.name)}`));
      }
      return out;
    },
  },
  {
    id: "TEN-ARGO-001",
    describe:
      "the tenant's AppProject allows only the tenant's repo and namespace, no cluster-scoped kinds, an allow-list of namespaced kinds without any guardrail kind, no wildcards",
    fix: "build the project with components/tenant/manifests.ts appProject(): sourceRepos [repo], destinations [in-cluster/<tenant>], clusterResourceWhitelist [], namespaceResourceWhitelist = TENANT_KINDS",
    check(objs, ctx) {
      const projects = of(objs, "AppProject").filter((o) => o.metadata?.name === ctx.tenant);
      if (projects.length !== 1)
        return [at(projects[1], `expected one AppProject ${ctx.tenant}, found ${projects.length}`)];
      const project = projects[0];
      const spec = rec(project.spec);
      const out: Finding[] = [];
      const repos = arr(spec.sourceRepos);
      if (repos.length !== 1 || repos[0] !== ctx.repoURL)
        out.push(at(project, `sourceRepos must be exactly [${ctx.repoURL}]`));
      const dests = arr(spec.destinations).map(rec);
      if (dests.length !== 1 || dests[0].namespace !== ctx.tenant || dests[0].server !== IN_CLUSTER)
        out.push(at(project, `destinations must be exactly ${IN_CLUSTER} / ${ctx.tenant}`));
      if (arr(spec.clusterResourceWhitelist).length !== 0)
        out.push(at(project, "clusterResourceWhitelist must be empty"));
      // Argo CD reads a missing or empty whitelist as "every namespaced kind".
      const white = arr(spec.namespaceResourceWhitelist).map(rec);
      if (white.length === 0) out.push(at(project, "namespaceResourceWhitelist must list the allowed kinds"));
      for (const g of GUARDRAIL_KINDS)
        if (white.some((w) => w.group === g.group && w.kind === g.kind))
          out.push(at(project, `namespaceResourceWhitelist allows guardrail kind ${g.group || "core"}/${g.kind}`));
      if (JSON.stringify(spec).includes('"*"')) out.push(at(project, "no field may be a wildcard"));
      return out;
    },
  },
  {
    id: "TEN-ARGO-002",
    describe:
      "the tenant's Application syncs its repo into its namespace within its own project, with prune and self-heal, and no cascading finalizer",
    fix: "build the Application with components/tenant/manifests.ts application(): project <tenant>, destination in-cluster/<tenant>, automated prune+selfHeal, no resources finalizer",
    check(objs, ctx) {
      const apps = of(objs, "Application").filter((o) => o.metadata?.name === ctx.tenant);
      if (apps.length !== 1) return [at(apps[1], `expected one Application ${ctx.tenant}, found ${apps.length}`)];
      const app = apps[0];
      const spec = rec(app.spec);
      const out: Finding[] = [];
      if (spec.project !== ctx.tenant) out.push(at(app, `project must be ${ctx.tenant}`));
      const dest = rec(spec.destination);
      if (dest.namespace !== ctx.tenant || dest.server !== IN_CLUSTER)
        out.push(at(app, `destination must be ${IN_CLUSTER} / ${ctx.tenant}`));
      if (rec(spec.source).repoURL !== ctx.repoURL) out.push(at(app, `source.repoURL must be ${ctx.repoURL}`));
      const auto = rec(rec(spec.syncPolicy).automated);
      if (auto.prune !== true || auto.selfHeal !== true)
        out.push(at(app, "syncPolicy.automated needs prune and selfHeal"));
      // A resources finalizer makes deleting the Application delete the customer's workloads.
      if ((app.metadata?.finalizers ?? []).length) out.push(at(app, "must not carry a cascading finalizer"));
      return out;
    },
  },
];

/** `Kind/name` of an object, for messages. */
export function objectName(o: K8sObject): string {
  return `${o.kind ?? "?"}/${o.metadata?.name ?? "?"}`;
}

/** Runs every object rule over one tenant's objects. */
export function checkTenantObjects(objects: K8sObject[], ctx: RuleContext): TenantViolation[] {
  return OBJECT_RULES.flatMap((r) =>
    r
      .check(objects, ctx)
      .map((f) => ({ rule: r.id, object: f.object ? objectName(f.object) : ctx.tenant, message: f.message })),
  );
}
