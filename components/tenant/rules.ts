/**
 * Tenant rules as small named functions and data, kept apart from the schema and the component
 * so the guardrails work (issue 8) can lift them into one shared rule set (tests, policy pack,
 * plan checks) without rewriting them.
 *
 * Two kinds:
 * - input rules: one tenant-file value → a message, or undefined when fine;
 * - object rules: the Kubernetes objects a tenant gets (plain manifests: what the plan records and
 *   what a policy pack sees) → violations, each with a rule id.
 */
import { cidrContains, cidrOverlaps } from "../config/schema";
import { parseBytes, parseCpu } from "./quantity";

// ---------------------------------------------------------------------------------------------
// Input rules

/** Names Kubernetes or ArgoCD own; a tenant namespace or ArgoCD project must not take them. */
export const RESERVED_NAMES: readonly string[] = [
  "default", // Kubernetes' default namespace and ArgoCD's default project
  "argocd",
];
export const RESERVED_PREFIXES: readonly string[] = ["kube-"];

export const TENANT_NAME = { min: 2, max: 40, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" } as const;

/** What the platform itself takes: its namespaces, its ArgoCD project and that project's prefix. */
export interface PlatformNames {
  names: readonly string[];
  prefixes: readonly string[];
}

/**
 * DNS-1123 label of 2–40 characters (derived names such as `<name>-stream-key` stay within 63),
 * not reserved by Kubernetes, ArgoCD or the platform.
 */
export function tenantNameProblem(
  name: string,
  platform: PlatformNames = { names: [], prefixes: [] },
): string | undefined {
  if (name.length < TENANT_NAME.min || name.length > TENANT_NAME.max)
    return `must be ${TENANT_NAME.min}–${TENANT_NAME.max} characters (it is ${name.length}): derived names must stay within 63`;
  if (!new RegExp(TENANT_NAME.pattern).test(name))
    return `"${name}" is not a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit`;
  if (RESERVED_NAMES.includes(name) || platform.names.includes(name))
    return `"${name}" is reserved: the platform or Kubernetes uses it; pick another name`;
  const prefix = [...RESERVED_PREFIXES, ...platform.prefixes].find((p) => name.startsWith(p));
  if (prefix)
    return `"${name}" is reserved: names starting with "${prefix}" belong to ${prefix === "kube-" ? "Kubernetes" : "the platform"}`;
  return undefined;
}

/** Printable text without control characters (it ends up in annotations and dashboards). */
export function displayNameProblem(s: string): string | undefined {
  if (s.trim().length === 0) return "must not be empty";
  if (s.length > 100) return `must be at most 100 characters (it is ${s.length})`;
  if (/[\u0000-\u001f\u007f]/.test(s)) return "must be one line of printable text";
  return undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A lowercase, fully qualified host name; no wildcards (each host is listed, and certified, explicitly). */
export function domainProblem(d: string): string | undefined {
  if (d.includes("*")) return `"${d}": wildcards are not allowed; list each host the tenant serves`;
  if (d !== d.toLowerCase()) return `"${d}" must be lowercase`;
  if (d.length > 253) return `is ${d.length} characters; a DNS name is at most 253`;
  const labels = d.split(".");
  if (labels.length < 2 || !labels.every((l) => DNS_LABEL.test(l)))
    return `"${d}" is not a DNS name like live.example.com (labels of a-z, 0-9 and '-', at most 63 each)`;
  if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(labels[labels.length - 1]))
    return `"${d}" does not end in a top-level domain`;
  return undefined;
}

/** Hosts the platform itself serves under its base domain; a tenant must not claim them. */
export function platformHosts(baseDomain: string): string[] {
  return [baseDomain, `argocd.${baseDomain}`];
}

/**
 * Where a tenant's apps come from: https:// without credentials, query or fragment, or ssh
 * (`git@host:path`, `ssh://git@host[:port]/path`). Plain http is readable and forgeable on the
 * way; file:// reads the ArgoCD repo server's own disk; credentials in a URL end up in Git, in
 * state and in ArgoCD's UI (repository credentials belong in ArgoCD's repo secrets).
 */
export function repoUrlProblem(url: string): string | undefined {
  if (/\s/.test(url)) return "must not contain whitespace";
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === "https") {
    const m = /^https:\/\/([^/?#]*)(\/[^?#]*)?([?#].*)?$/.exec(url);
    if (!m) return "is not a valid https URL";
    const [, authority, path, rest] = m;
    if (authority.includes("@"))
      return "must not embed credentials (user:token@); give ArgoCD repository credentials instead";
    if (rest) return "must not have a query or fragment (they can carry tokens); use the plain repository URL";
    if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(authority)) return `"${authority}" is not a host name`;
    if (!path || path === "/") return "must name a repository path, like https://git.example.com/org/repo.git";
    return undefined;
  }
  if (scheme === "ssh") {
    const m = /^ssh:\/\/([a-z_][a-z0-9_.-]*)@([a-z0-9.-]+)(:\d{1,5})?\/\S+$/i.exec(url);
    if (!m) {
      if (/^ssh:\/\/[^@/]*:[^@/]*@/.test(url)) return "must not embed a password; ssh uses keys";
      return "must be like ssh://git@host[:port]/org/repo.git";
    }
    return undefined;
  }
  if (scheme === "http")
    return "plain http is not allowed: anyone on the path could read or forge the repo; use https://";
  if (scheme) return `scheme ${scheme}:// is not allowed; use https:// or ssh (git@host:org/repo.git)`;
  // scp-like ssh: user@host:path (no scheme).
  if (/^[a-z_][a-z0-9_.-]*@[a-z0-9.-]+:[^/\s]\S*$/i.test(url)) {
    if (/^[^@]*:[^@]*@/.test(url)) return "must not embed a password; ssh uses keys";
    return undefined;
  }
  return "must be an https:// URL or an ssh URL like git@host:org/repo.git";
}

/** A path inside the repository: relative, no `..`, no backslashes (Windows-style escapes). */
export function repoPathProblem(p: string): string | undefined {
  if (p.length === 0) return "must not be empty (use . for the repository root)";
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return `"${p}" is absolute; give a path inside the repository`;
  if (p.includes("\\")) return `"${p}" contains a backslash; use / between directories`;
  if (p.split("/").includes("..")) return `"${p}" escapes the repository with ..`;
  if (/[\u0000-\u001f\u007f]/.test(p) || p.startsWith("~")) return `"${p}" is not a plain relative path`;
  return undefined;
}

/** A branch, tag or commit: git ref characters only (no `..`, no leading '-', no spaces). */
export function revisionProblem(r: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(r) || r.includes("..") || r.endsWith(".lock") || r.length > 200)
    return `"${r}" is not a branch, tag or commit name`;
  return undefined;
}

/**
 * An identity-provider group bound to the tenant's admin Role. `system:` groups are Kubernetes'
 * own (system:masters is cluster-admin; system:authenticated is everyone): binding one would
 * hand the tenant's namespace to every user, or the reverse.
 */
export function adminGroupProblem(g: string): string | undefined {
  if (g.trim().length === 0 || /\s/.test(g)) return `"${g}" is not a group name (no whitespace)`;
  if (g.length > 128) return `is ${g.length} characters; group names are at most 128`;
  if (g.toLowerCase().startsWith("system:"))
    return `"${g}" is a Kubernetes system group (system:authenticated is every user, system:masters is cluster-admin); bind the customer's own groups`;
  if (g.includes("*")) return `"${g}": wildcards are not allowed`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Object rules

/** A Kubernetes object as declared (apiVersion, kind, metadata, spec/…), from the plan or a preview. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; finalizers?: string[] };
  [k: string]: unknown;
}

export interface RuleContext {
  /** The tenant (its namespace and ArgoCD project). */
  tenant: string;
  /** The tenant's repository: the only source its AppProject may allow. */
  repoURL: string;
  /** The platform ingress controller's namespace: the only other namespace allowed in. */
  ingressNamespace: string;
  /** Ranges tenant pods must never reach: metadata address, node network, pod and service ranges. */
  blockedRanges: string[];
}

export interface Violation {
  rule: string;
  object: string;
  message: string;
}

export interface ObjectRule {
  id: string;
  describe: string;
  /** Checks the tenant's objects (all of them: some rules relate two objects). */
  check(objects: K8sObject[], ctx: RuleContext): string[];
}

export const PSS_LEVEL = "restricted";
export const PSS_MODES = ["enforce", "audit", "warn"] as const;
export const TENANT_LABEL = "platform.video/tenant";

/** Kinds a tenant may never change itself: they are its guardrails. */
export const GUARDRAIL_KINDS = [
  { group: "", kind: "ResourceQuota", resource: "resourcequotas" },
  { group: "", kind: "LimitRange", resource: "limitranges" },
  { group: "networking.k8s.io", kind: "NetworkPolicy", resource: "networkpolicies" },
  { group: "rbac.authorization.k8s.io", kind: "Role", resource: "roles" },
  { group: "rbac.authorization.k8s.io", kind: "RoleBinding", resource: "rolebindings" },
  // Hand-written endpoints point a Service (and so the ingress controller) at any IP, around
  // network policies: the CVE-2021-25740 pattern. Tenants get Services with selectors only.
  { group: "", kind: "Endpoints", resource: "endpoints" },
  { group: "discovery.k8s.io", kind: "EndpointSlice", resource: "endpointslices" },
] as const;

export const FORBIDDEN_VERBS = ["escalate", "bind", "impersonate", "*"] as const;
export const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"] as const;
/** ResourceQuota keys every tenant has; the service type ones are pinned to zero. */
export const QUOTA_KEYS = [
  "requests.cpu",
  "limits.cpu",
  "requests.memory",
  "limits.memory",
  "requests.storage",
  "pods",
  "services",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
] as const;
export const ZERO_QUOTA_KEYS = ["services.nodeports", "services.loadbalancers"] as const;
export const METADATA_CIDR = "169.254.169.254/32";
export const IN_CLUSTER = "https://kubernetes.default.svc";

const of = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === "object" ? (v as Rec) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

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
    id: "tenant-namespace-pss-restricted",
    describe: "the tenant namespace enforces, audits and warns at Pod Security level restricted, version pinned",
    check(objs, ctx) {
      const ns = of(objs, "Namespace").find((o) => o.metadata?.name === ctx.tenant);
      if (!ns) return [`no Namespace ${ctx.tenant}`];
      const labels = ns.metadata?.labels ?? {};
      const out: string[] = [];
      for (const mode of PSS_MODES) {
        if (labels[`pod-security.kubernetes.io/${mode}`] !== PSS_LEVEL)
          out.push(`pod-security.kubernetes.io/${mode} must be ${PSS_LEVEL}`);
        const v = labels[`pod-security.kubernetes.io/${mode}-version`];
        if (!v || !/^v1\.\d+$/.test(v))
          out.push(`pod-security.kubernetes.io/${mode}-version must pin a version like v1.32, not "${v ?? ""}"`);
      }
      if (labels[TENANT_LABEL] !== ctx.tenant) out.push(`label ${TENANT_LABEL} must be ${ctx.tenant}`);
      return out;
    },
  },
  {
    id: "tenant-quota-complete",
    describe:
      "a ResourceQuota bounds cpu, memory (requests and limits), storage, pods, services and PVCs; no NodePort or LoadBalancer services",
    check(objs, ctx) {
      const quotas = of(objs, "ResourceQuota").filter((o) => o.metadata?.namespace === ctx.tenant);
      if (quotas.length !== 1) return [`expected one ResourceQuota in ${ctx.tenant}, found ${quotas.length}`];
      const hard = rec(rec(quotas[0].spec).hard);
      const out: string[] = [];
      for (const k of QUOTA_KEYS) if (hard[k] === undefined) out.push(`spec.hard.${k} is missing`);
      for (const k of ZERO_QUOTA_KEYS)
        if (hard[k] !== undefined && String(hard[k]) !== "0") out.push(`spec.hard.${k} must be 0`);
      return out;
    },
  },
  {
    id: "tenant-limitrange-within-quota",
    describe: "a LimitRange sets container defaultRequest ≤ default ≤ max, and max fits the quota",
    check(objs, ctx) {
      const lrs = of(objs, "LimitRange").filter((o) => o.metadata?.namespace === ctx.tenant);
      const quota = of(objs, "ResourceQuota").find((o) => o.metadata?.namespace === ctx.tenant);
      if (lrs.length !== 1) return [`expected one LimitRange in ${ctx.tenant}, found ${lrs.length}`];
      const item = arr(rec(lrs[0].spec).limits)
        .map(rec)
        .find((l) => l.type === "Container");
      if (!item) return ["no Container limits"];
      const hard = rec(rec(quota?.spec).hard);
      const out: string[] = [];
      for (const [res, parse, cap] of [
        ["cpu", cpuMillis, cpuMillis(hard["requests.cpu"])],
        ["memory", bytes, bytes(hard["requests.memory"])],
      ] as const) {
        const req = parse(rec(item.defaultRequest)[res]);
        const def = parse(rec(item.default)[res]);
        const max = parse(rec(item.max)[res]);
        if (req === undefined || def === undefined || max === undefined) {
          out.push(`Container defaultRequest, default and max must all set ${res}`);
          continue;
        }
        if (!(req <= def && def <= max)) out.push(`${res}: defaultRequest ≤ default ≤ max does not hold`);
        if (cap === undefined || max > cap) out.push(`${res}: max exceeds the quota's requests.${res}`);
      }
      return out;
    },
  },
  {
    id: "tenant-netpol-default-deny",
    describe: "network policy selects every pod for both ingress and egress (default deny)",
    check(objs, ctx) {
      const pols = of(objs, "NetworkPolicy").filter((o) => o.metadata?.namespace === ctx.tenant);
      const ok = pols.some((p) => {
        const spec = rec(p.spec);
        const types = arr(spec.policyTypes);
        return isEmptySelector(spec.podSelector) && types.includes("Ingress") && types.includes("Egress");
      });
      return ok ? [] : ["no NetworkPolicy selects all pods with policyTypes Ingress and Egress"];
    },
  },
  {
    id: "tenant-netpol-ingress-platform-only",
    describe: "ingress only from the tenant's own pods and the platform's ingress controller namespace",
    check(objs, ctx) {
      const out: string[] = [];
      for (const p of of(objs, "NetworkPolicy").filter((o) => o.metadata?.namespace === ctx.tenant))
        arr(rec(p.spec).ingress).forEach((rule, i) => {
          const from = arr(rec(rule).from) as PolicyPeer[];
          if (from.length === 0) out.push(`${p.metadata?.name}: ingress[${i}] allows every source`);
          for (const peer of from) {
            if (peer.ipBlock) out.push(`${p.metadata?.name}: ingress[${i}] allows an ipBlock`);
            else if (peer.namespaceSelector) {
              const want = peer.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"];
              if (want !== ctx.ingressNamespace || Object.keys(peer.namespaceSelector).length !== 1)
                out.push(`${p.metadata?.name}: ingress[${i}] admits namespaces other than ${ctx.ingressNamespace}`);
            }
          }
        });
      return out;
    },
  },
  {
    id: "tenant-netpol-egress-blocks-private",
    describe:
      "egress to the internet never reaches the metadata address or the site's private ranges; DNS only to kube-dns",
    check(objs, ctx) {
      const out: string[] = [];
      for (const p of of(objs, "NetworkPolicy").filter((o) => o.metadata?.namespace === ctx.tenant))
        arr(rec(p.spec).egress).forEach((raw, i) => {
          const rule = rec(raw);
          const to = arr(rule.to) as PolicyPeer[];
          const ports = rule.ports as PolicyPort[] | undefined;
          if (to.length === 0) out.push(`${p.metadata?.name}: egress[${i}] allows every destination`);
          for (const peer of to) {
            if (peer.ipBlock) {
              for (const blocked of ctx.blockedRanges)
                if (
                  cidrOverlaps(peer.ipBlock.cidr, blocked) &&
                  !(peer.ipBlock.except ?? []).some((e) => cidrContains(e, blocked))
                )
                  out.push(`${p.metadata?.name}: egress[${i}] ipBlock ${peer.ipBlock.cidr} reaches ${blocked}`);
              if (portsAllow(ports, 53))
                out.push(`${p.metadata?.name}: egress[${i}] allows DNS (port 53) outside kube-dns`);
            } else if (peer.namespaceSelector) {
              // The one cross-namespace peer allowed: kube-dns, on port 53 only.
              const dns =
                peer.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"] === "kube-system" &&
                rec(rec(peer.podSelector).matchLabels)["k8s-app"] === "kube-dns";
              const only53 = !!ports?.length && ports.every((x) => x.port === 53 && x.endPort === undefined);
              if (!dns || !only53)
                out.push(
                  `${p.metadata?.name}: egress[${i}] reaches other namespaces (only kube-dns on port 53 is allowed)`,
                );
            }
          }
        });
      return out;
    },
  },
  {
    id: "tenant-rbac-no-escalation",
    describe: "the tenant admin Role has no escalate/bind/impersonate, no wildcards and no writes on guardrail kinds",
    check(objs, ctx) {
      const out: string[] = [];
      for (const role of of(objs, "Role").filter((o) => o.metadata?.namespace === ctx.tenant))
        arr(role.rules).forEach((raw, i) => {
          const rule = rec(raw);
          const verbs = arr(rule.verbs).map(str);
          const groups = arr(rule.apiGroups).map(str);
          const resources = arr(rule.resources).map(str);
          for (const v of verbs)
            if ((FORBIDDEN_VERBS as readonly string[]).includes(v)) out.push(`rules[${i}] grants verb ${v}`);
          if (groups.includes("*") || resources.some((r) => r === "*" || r.includes("/*")))
            out.push(`rules[${i}] uses a wildcard`);
          if (arr(rule.nonResourceURLs).length) out.push(`rules[${i}] grants nonResourceURLs`);
          const writes = verbs.filter((v) => (WRITE_VERBS as readonly string[]).includes(v));
          if (writes.length)
            for (const g of GUARDRAIL_KINDS)
              if (groups.includes(g.group) && resources.includes(g.resource))
                out.push(`rules[${i}] grants ${writes.join("/")} on ${g.resource}`);
        });
      return out;
    },
  },
  {
    id: "tenant-rbac-namespaced",
    describe: "tenants get nothing cluster-wide: no ClusterRole(Binding); bindings name a Role and non-system groups",
    check(objs, ctx) {
      const out: string[] = [];
      for (const o of objs)
        if (o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding") out.push(`${o.kind} ${o.metadata?.name}`);
      for (const b of of(objs, "RoleBinding")) {
        if (b.metadata?.namespace !== ctx.tenant) out.push(`RoleBinding ${b.metadata?.name} outside ${ctx.tenant}`);
        if (rec(b.roleRef).kind !== "Role") out.push(`RoleBinding ${b.metadata?.name} must reference a Role`);
        for (const s of arr(b.subjects).map(rec))
          if (s.kind !== "Group" || adminGroupProblem(str(s.name)))
            out.push(`RoleBinding ${b.metadata?.name} binds ${String(s.kind)} ${String(s.name)}`);
      }
      return out;
    },
  },
  {
    id: "tenant-appproject-locked",
    describe:
      "the AppProject allows only the tenant's repo and namespace, no cluster resources, guardrail kinds blacklisted",
    check(objs, ctx) {
      const projects = of(objs, "AppProject").filter((o) => o.metadata?.name === ctx.tenant);
      if (projects.length !== 1) return [`expected one AppProject ${ctx.tenant}, found ${projects.length}`];
      const spec = rec(projects[0].spec);
      const out: string[] = [];
      const repos = arr(spec.sourceRepos);
      if (repos.length !== 1 || repos[0] !== ctx.repoURL) out.push(`sourceRepos must be exactly [${ctx.repoURL}]`);
      const dests = arr(spec.destinations).map(rec);
      if (dests.length !== 1 || dests[0].namespace !== ctx.tenant || dests[0].server !== IN_CLUSTER)
        out.push(`destinations must be exactly ${IN_CLUSTER} / ${ctx.tenant}`);
      if (arr(spec.clusterResourceWhitelist).length !== 0) out.push("clusterResourceWhitelist must be empty");
      const black = arr(spec.namespaceResourceBlacklist).map(rec);
      for (const g of GUARDRAIL_KINDS)
        if (!black.some((b) => b.group === g.group && b.kind === g.kind))
          out.push(`namespaceResourceBlacklist lacks ${g.group || "core"}/${g.kind}`);
      if (JSON.stringify(spec).includes('"*"')) out.push("no field may be a wildcard");
      return out;
    },
  },
  {
    id: "tenant-application-synced",
    describe: "the Application syncs the tenant repo into its namespace within its project, with prune and self-heal",
    check(objs, ctx) {
      const apps = of(objs, "Application").filter((o) => o.metadata?.name === ctx.tenant);
      if (apps.length !== 1) return [`expected one Application ${ctx.tenant}, found ${apps.length}`];
      const spec = rec(apps[0].spec);
      const out: string[] = [];
      if (spec.project !== ctx.tenant) out.push(`project must be ${ctx.tenant}`);
      const dest = rec(spec.destination);
      if (dest.namespace !== ctx.tenant || dest.server !== IN_CLUSTER)
        out.push(`destination must be ${IN_CLUSTER} / ${ctx.tenant}`);
      if (rec(spec.source).repoURL !== ctx.repoURL) out.push(`source.repoURL must be ${ctx.repoURL}`);
      const auto = rec(rec(spec.syncPolicy).automated);
      if (auto.prune !== true || auto.selfHeal !== true) out.push("syncPolicy.automated needs prune and selfHeal");
      // A resources finalizer makes deleting the Application delete the customer's workloads.
      if ((apps[0].metadata?.finalizers ?? []).length) out.push("must not carry a cascading finalizer");
      return out;
    },
  },
];

/** Runs every object rule over one tenant's objects. */
export function checkTenantObjects(objects: K8sObject[], ctx: RuleContext): Violation[] {
  return OBJECT_RULES.flatMap((r) =>
    r.check(objects, ctx).map((message) => ({ rule: r.id, object: ctx.tenant, message })),
  );
}
