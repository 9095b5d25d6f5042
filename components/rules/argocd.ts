/**
 * The Argo CD blast radius (issue 25, docs/tenant-isolation.md §1), the plan side: a tenant's
 * repository is rendered and synced by the tenant-facing instance only, which shares no
 * repo-server, Redis or controller with a cluster-admin sync (TEN-ARGO-005), reaches only tenant
 * namespaces and renders only Helm or plain manifests from the tenant's own repository
 * (TEN-ARGO-006), and every Argo CD namespace is fenced by NetworkPolicies (TEN-ARGO-007).
 * Everything these rules read is plain in the plan: the tenant instance's values, argocd-cm, its
 * cluster Secret, RBAC objects and policies (the platform instance's values are secret; what a
 * preview sees of them is TEN-ARGO-004's, rules/hardening.ts).
 */
import {
  ARGOCD_INSTANCES,
  argocdNames,
  IN_CLUSTER,
  PLATFORM_ARGOCD_PROJECT,
  TENANT_ARGOCD,
} from "../platform/namespaces";
import { SYNC_SERVICE_ACCOUNT } from "../tenant/contract";
import { isControllerBinding } from "./tenant-objects";
import { arr, rec, Rec, Rule, RuleResource, SiteContext, str, Violation } from "./types";
import { platformUrn, tenantsOf } from "./view";
import { TENANT_KINDS } from "./hardening";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ARGO = "kubernetes:argoproj.io/v1alpha1:";
const CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SECRET = "kubernetes:core/v1:Secret";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const TENANTS_NS = ARGOCD_INSTANCES.tenants.namespace;
const PLATFORM_NS = ARGOCD_INSTANCES.platform.namespace;
/** The platform's own root Application (components/platform/argocd.ts). */
export const PLATFORM_ROOT_APP = "platform-root";

const meta = (r: RuleResource) => rec(r.inputs.metadata);
const nsOf = (r: RuleResource) => str(meta(r).namespace);
const nameOf = (r: RuleResource) => str(meta(r).name);
const v = (rule: string, urn: string, message: string): Violation => ({ rule, urn, message });
const path = (o: unknown, keys: string[]): unknown => keys.reduce<unknown>((x, k) => rec(x)[k], o);

/**
 * Whether a ServiceAccount (`<namespace>:<name>`) holds cluster-wide rights: a ClusterRoleBinding
 * names it, or a group every ServiceAccount (of its namespace) is in.
 */
function clusterWide(resources: readonly RuleResource[]): (sa: string) => boolean {
  const subjects = resources.filter((x) => x.type === CRB).flatMap((r) => arr(r.inputs.subjects).map(rec));
  return (sa) => {
    const ns = sa.split(":")[0];
    return subjects.some((s) =>
      s.kind === "ServiceAccount"
        ? `${str(s.namespace)}:${str(s.name)}` === sa
        : s.kind === "Group" && (s.name === "system:serviceaccounts" || s.name === `system:serviceaccounts:${ns}`),
    );
  };
}

/**
 * The heart of TEN-ARGO-005: an Argo CD namespace is one instance (one repo-server, Redis and
 * controller render and sync every Application in it), so no namespace may hold a tenant's
 * Application and a project that syncs as an identity with cluster-wide rights.
 */
export function sharedInstanceProblems(resources: readonly RuleResource[], site: SiteContext): Violation[] {
  const wide = clusterWide(resources);
  const out: Violation[] = [];
  for (const t of tenantsOf(resources, site))
    for (const app of t.resources.filter((r) => r.type === `${ARGO}Application`))
      for (const p of resources.filter((r) => r.type === `${ARGO}AppProject` && nsOf(r) === nsOf(app)))
        for (const d of arr(rec(p.inputs.spec).destinationServiceAccounts).map(rec)) {
          // A bare name is the ServiceAccount of that name in the destination namespace.
          const raw = str(d.defaultServiceAccount);
          const sa = raw.includes(":") ? raw : `${str(d.namespace)}:${raw}`;
          if (wide(sa))
            out.push(
              v(
                "TEN-ARGO-005",
                app.urn,
                `Application ${nameOf(app)} shares the Argo CD instance in ${nsOf(app)} (repo-server, Redis, controller) with project ${nameOf(p)}, which syncs as ${sa}, bound cluster-wide`,
              ),
            );
        }
  return out;
}

/** Where Argo CD's custom resources live: tenants' in the tenant instance, the platform's in its own. */
function placementProblems(resources: readonly RuleResource[], site: SiteContext): Violation[] {
  const out: Violation[] = [];
  const tenantUrns = new Set(tenantsOf(resources, site).flatMap((t) => t.resources.map((r) => r.urn)));
  for (const r of resources.filter((x) => x.type === `${ARGO}AppProject` || x.type === `${ARGO}Application`)) {
    const kind = r.type.slice(ARGO.length);
    if (tenantUrns.has(r.urn)) {
      if (nsOf(r) !== TENANTS_NS)
        out.push(
          v(
            "TEN-ARGO-005",
            r.urn,
            `tenant ${kind} ${nameOf(r)} is in ${nsOf(r)}, not the tenant Argo CD's ${TENANTS_NS}`,
          ),
        );
    } else if (
      nsOf(r) !== PLATFORM_NS ||
      nameOf(r) !== (kind === "AppProject" ? PLATFORM_ARGOCD_PROJECT : PLATFORM_ROOT_APP)
    )
      out.push(
        v(
          "TEN-ARGO-005",
          r.urn,
          `${kind} ${nsOf(r)}/${nameOf(r)}: the platform declares only ${PLATFORM_NS}/${PLATFORM_ARGOCD_PROJECT} and ${PLATFORM_NS}/${PLATFORM_ROOT_APP} outside the tenants`,
        ),
      );
  }
  return out;
}

/** Values of the tenant instance's release that must hold, as [path, required value, why]. */
const TENANT_RELEASE_VALUES: readonly [string, unknown, string][] = [
  ["crds.install", false, "the platform instance installs the CRDs once"],
  ["createClusterRoles", false, "no component of it gets a ClusterRole"],
  ["configs.cm.create", false, "its argocd-cm is the platform's (TEN-ARGO-006)"],
  ["dex.enabled", false, "it has no users"],
  ["notifications.enabled", false, "it sends nothing"],
  ["applicationSet.replicas", 0, "no ApplicationSet controller"],
  ["server.replicas", 0, "no API server, UI or webhook endpoint"],
  ["repoServer.automountServiceAccountToken", false, "the repo-server gets no API token"],
  ["repoServer.serviceAccount.automountServiceAccountToken", false, "the repo-server gets no API token"],
  ["global.networkPolicy.create", false, "its NetworkPolicies are the platform's (TEN-ARGO-007)"],
];

/** The tenant instance's release: its own namespace, and only the components tenant repositories need. */
function tenantReleaseProblems(resources: readonly RuleResource[]): Violation[] {
  const { release, namespace } = ARGOCD_INSTANCES.tenants;
  const rel = resources.find((r) => r.type === RELEASE && r.inputs.name === release);
  if (!rel)
    return [
      v(
        "TEN-ARGO-005",
        platformUrn(resources),
        `no Helm release ${release}: tenant repositories have no Argo CD of their own`,
      ),
    ];
  const out: Violation[] = [];
  if (rel.inputs.namespace !== namespace)
    out.push(v("TEN-ARGO-005", rel.urn, `release ${release} must be in ${namespace}`));
  const values = rec(rel.inputs.values);
  for (const [p, want, why] of TENANT_RELEASE_VALUES)
    if (path(values, p.split(".")) !== want)
      out.push(v("TEN-ARGO-005", rel.urn, `values ${p} must be ${String(want)}: ${why}`));
  const repo = rec(values.repoServer);
  if (arr(repo.extraContainers).length || arr(repo.initContainers).length)
    out.push(
      v("TEN-ARGO-005", rel.urn, "the repo-server runs no extra or init container (no config management plugin)"),
    );
  if (Object.keys(rec(path(values, ["configs", "cmp", "plugins"]))).length)
    out.push(v("TEN-ARGO-005", rel.urn, "configs.cmp declares no config management plugin"));
  return out;
}

/**
 * The settings of the tenant instance's argocd-cm that must hold (the platform declares that
 * ConfigMap with them: argocd-tenants.ts argocdTenantSettings). Each was read in Argo CD's own code
 * at v3.6.2 (util/settings/settings.go, reposerver/repository/repository.go, util/io/path/resolved.go):
 * - sync impersonation enabled and enforced: every sync runs as the project's mapped
 *   ServiceAccount, and a project without one fails instead of using the controller's identity;
 * - `kustomize.enable` and `jsonnet.enable` "false": a repository's `.argocd-source.yaml` or
 *   `.argocd-source-<app>.yaml` is merged into the Application's source (mergeSourceParameters; no
 *   setting turns that off) and can switch the tool to Kustomize or a Jsonnet directory; with these
 *   off GetAppSourceType falls back to plain YAML and findManifests skips *.jsonnet, so only Helm or
 *   plain manifests from the tenant's own repository render. Config management plugins cannot be
 *   disabled by setting; the repo-server runs no plugin sidecar (TEN-ARGO-005), so a `plugin:`
 *   source fails;
 * - `helm.valuesFileSchemes` empty: no URL scheme is allowed for a value file (isURLSchemeAllowed
 *   needs a listed scheme; the key absent would mean "https, http"); local value files stay confined
 *   to the repository (resolveFileOrDirectory);
 * - `resource.respectRBAC` "normal": the cluster cache skips kinds the controller may not list (it
 *   reads only the tenant kinds, pods and ReplicaSets) instead of failing;
 * - no local admin and no exec: there is no API server to log in to, and nothing to exec with.
 */
export const TENANT_SETTINGS: Readonly<Record<string, string>> = {
  "application.sync.impersonation.enabled": "true",
  "application.sync.impersonation.enforced": "true",
  "kustomize.enable": "false",
  "jsonnet.enable": "false",
  "helm.valuesFileSchemes": "",
  "resource.respectRBAC": "normal",
  "admin.enabled": "false",
  "exec.enabled": "false",
};

function settingsProblems(resources: readonly RuleResource[]): Violation[] {
  const cm = resources.find((r) => r.type === CONFIG_MAP && nsOf(r) === TENANTS_NS && nameOf(r) === "argocd-cm");
  if (!cm)
    return [
      v(
        "TEN-ARGO-006",
        platformUrn(resources),
        `no ConfigMap ${TENANTS_NS}/argocd-cm: the tenant Argo CD would run with Argo CD's defaults`,
      ),
    ];
  const data = rec(cm.inputs.data);
  const out: Violation[] = [];
  if (rec(meta(cm).labels)["app.kubernetes.io/part-of"] !== "argocd")
    out.push(
      v(
        "TEN-ARGO-006",
        cm.urn,
        "argocd-cm must carry app.kubernetes.io/part-of: argocd (Argo CD ignores it otherwise)",
      ),
    );
  for (const [k, want] of Object.entries(TENANT_SETTINGS))
    if (data[k] !== want) out.push(v("TEN-ARGO-006", cm.urn, `argocd-cm "${k}" must be "${want}"`));
  for (const k of Object.keys(data))
    if (k.startsWith("configManagementPlugins") || k.startsWith("kustomize.buildOptions"))
      out.push(v("TEN-ARGO-006", cm.urn, `argocd-cm must not set "${k}"`));
  return out;
}

/** The cluster Secret: the in-cluster server, exactly the tenant namespaces, no cluster-scoped resources. */
function clusterProblems(resources: readonly RuleResource[], site: SiteContext): Violation[] {
  const secrets = resources.filter(
    (r) =>
      r.type === SECRET &&
      nsOf(r) === TENANTS_NS &&
      rec(meta(r).labels)["argocd.argoproj.io/secret-type"] === "cluster",
  );
  if (secrets.length !== 1)
    return [
      v(
        "TEN-ARGO-006",
        secrets[1]?.urn ?? platformUrn(resources),
        `expected one cluster Secret in ${TENANTS_NS}, found ${secrets.length}`,
      ),
    ];
  const d = rec(secrets[0].inputs.stringData);
  const want = tenantsOf(resources, site)
    .map((t) => t.name)
    .sort()
    .join(",");
  const out: Violation[] = [];
  const wrong = (m: string) => out.push(v("TEN-ARGO-006", secrets[0].urn, m));
  if (d.server !== IN_CLUSTER) wrong(`cluster Secret server must be ${IN_CLUSTER}`);
  if (d.namespaces !== want) wrong(`cluster Secret namespaces must be exactly the tenant namespaces (${want})`);
  if (d.clusterResources !== "false") wrong('cluster Secret clusterResources must be "false"');
  if (d.config !== "{}")
    wrong("cluster Secret config must be {} (the controller's own ServiceAccount, no other credential)");
  return out;
}

const pair = (g: unknown, r: unknown) => `${str(g) || "core"}/${str(r)}`;

/** The controller's ClusterRole: read on the tenant kinds, pods and ReplicaSets; impersonate argocd-sync only. */
function controllerRoleProblems(resources: readonly RuleResource[]): Violation[] {
  const role = resources.find((r) => r.type === CLUSTER_ROLE && nameOf(r) === TENANT_ARGOCD.controllerRole);
  if (!role) return [v("TEN-ARGO-006", platformUrn(resources), `no ClusterRole ${TENANT_ARGOCD.controllerRole}`)];
  const readable = new Set([
    ...TENANT_KINDS.map((k) => pair(k.group, k.resource)),
    pair("", "pods"),
    pair("apps", "replicasets"),
  ]);
  const out: Violation[] = [];
  arr(role.inputs.rules).forEach((raw, i) => {
    const r = rec(raw);
    const verbs = arr(r.verbs).map(str);
    const res = arr(r.apiGroups).flatMap((g) => arr(r.resources).map((x) => pair(g, x)));
    const wrong = (m: string) =>
      out.push(v("TEN-ARGO-006", role.urn, `${TENANT_ARGOCD.controllerRole} rules[${i}] ${m}`));
    if (arr(r.nonResourceURLs).length) wrong("grants nonResourceURLs");
    if (verbs.join() === "impersonate") {
      const names = arr(r.resourceNames).map(str);
      if (res.join() !== "core/serviceaccounts" || names.join() !== SYNC_SERVICE_ACCOUNT)
        wrong(`may impersonate only ServiceAccount ${SYNC_SERVICE_ACCOUNT}`);
    } else if (verbs.some((x) => !["get", "list", "watch"].includes(x)))
      wrong(`grants ${verbs.join(", ")}: reads only`);
    else for (const x of res) if (!readable.has(x)) wrong(`reads ${x}, which is no tenant kind, pod or ReplicaSet`);
  });
  if (role.inputs.aggregationRule !== undefined)
    out.push(v("TEN-ARGO-006", role.urn, `${TENANT_ARGOCD.controllerRole} aggregates other ClusterRoles`));
  return out;
}

/** Who may use the controller's role, and where: a RoleBinding in each tenant namespace, nothing cluster-wide. */
function controllerBindingProblems(resources: readonly RuleResource[], site: SiteContext): Violation[] {
  const out: Violation[] = [];
  const controller = `${TENANT_ARGOCD.controller.namespace}:${TENANT_ARGOCD.controller.name}`;
  for (const r of resources.filter((x) => x.type === CRB)) {
    const subjects = arr(r.inputs.subjects).map(rec);
    if (
      rec(r.inputs.roleRef).name === TENANT_ARGOCD.controllerRole ||
      subjects.some((s) => `${str(s.namespace)}:${str(s.name)}` === controller)
    )
      out.push(
        v("TEN-ARGO-006", r.urn, `ClusterRoleBinding ${nameOf(r)}: the tenant Argo CD gets nothing cluster-wide`),
      );
  }
  const tenants = tenantsOf(resources, site);
  const names = new Set(tenants.map((t) => t.name));
  for (const r of resources.filter((x) => x.type === RB && rec(x.inputs.roleRef).name === TENANT_ARGOCD.controllerRole))
    if (!names.has(nsOf(r)) || !isControllerBinding(r.inputs, nsOf(r)))
      out.push(
        v(
          "TEN-ARGO-006",
          r.urn,
          `RoleBinding ${nsOf(r)}/${nameOf(r)}: ${TENANT_ARGOCD.controllerRole} is bound only by each tenant's ${TENANT_ARGOCD.controllerBinding}`,
        ),
      );
  for (const t of tenants)
    if (!t.objects.some((o) => o.kind === "RoleBinding" && isControllerBinding(o, t.name)))
      out.push(
        v(
          "TEN-ARGO-006",
          t.urn,
          `${t.name}: no RoleBinding ${TENANT_ARGOCD.controllerBinding} lets the tenant Argo CD into ${t.name}`,
        ),
      );
  return out;
}

// --- TEN-ARGO-007: NetworkPolicies ---------------------------------------------------------------

interface Instance {
  namespace: string;
  release: string;
  /** Git ports its repo-server may reach: 443 and those of the repositories its Applications sync. */
  gitPorts: Set<number>;
}

/** The TCP port a Git URL is reached on: its explicit port, else 443 (https) or 22 (ssh, scp-like). */
export function gitPort(url: string): number {
  const explicit = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?[^/:]+:(\d{1,5})\//i.exec(url);
  if (explicit) return Number(explicit[1]);
  return url.toLowerCase().startsWith("https://") ? 443 : 22;
}

function instances(resources: readonly RuleResource[]): Instance[] {
  return Object.values(ARGOCD_INSTANCES).map(({ namespace, release }) => ({
    namespace,
    release,
    gitPorts: new Set([
      443,
      ...resources
        .filter((r) => r.type === `${ARGO}Application` && nsOf(r) === namespace)
        .map((r) => gitPort(str(path(r.inputs, ["spec", "source", "repoURL"])))),
    ]),
  }));
}

/**
 * Whether a policy's podSelector may select the pods with `labels` (their name and instance
 * labels). It errs towards "yes": a label it does not know (the chart sets more) or an expression
 * may match, so a policy is judged unless it names another component or instance.
 */
function selects(policy: Rec, labels: Record<string, string>): boolean {
  const sel = rec(rec(policy.spec).podSelector);
  return Object.entries(rec(sel.matchLabels)).every(([k, x]) => !(k in labels) || labels[k] === x);
}

/** A peer that is one of this instance's own components (same namespace: no namespaceSelector, no ipBlock). */
function ownPod(peer: Rec, inst: Instance, components: string[]): boolean {
  if (peer.namespaceSelector !== undefined || peer.ipBlock !== undefined) return false;
  const ml = rec(rec(peer.podSelector).matchLabels);
  return ml["app.kubernetes.io/instance"] === inst.release && components.includes(str(ml["app.kubernetes.io/name"]));
}

const tcpPorts = (rule: Rec) => arr(rule.ports).map(rec);
const onlyPorts = (rule: Rec, allowed: number[], protocols = ["TCP"]) => {
  const ports = tcpPorts(rule);
  return (
    ports.length > 0 &&
    ports.every(
      (p) =>
        allowed.includes(Number(p.port)) && protocols.includes(str(p.protocol) || "TCP") && p.endPort === undefined,
    )
  );
};
const isDns = (rule: Rec) => {
  const to = arr(rule.to).map(rec);
  return (
    to.length > 0 &&
    to.every(
      (p) =>
        rec(rec(p.namespaceSelector).matchLabels)["kubernetes.io/metadata.name"] === "kube-system" &&
        rec(rec(p.podSelector).matchLabels)["k8s-app"] === "kube-dns" &&
        p.ipBlock === undefined,
    ) &&
    onlyPorts(rule, [53], ["UDP", "TCP"])
  );
};

/** The internet minus the site: 0.0.0.0/0 except (at least) every blocked range. */
function publicOnly(rule: Rec, site: SiteContext): boolean {
  const to = arr(rule.to).map(rec);
  return (
    to.length > 0 &&
    to.every((p) => {
      const b = rec(p.ipBlock);
      const except = arr(b.except).map(str);
      return (
        b.cidr === "0.0.0.0/0" &&
        p.podSelector === undefined &&
        p.namespaceSelector === undefined &&
        site.blockedRanges.every((x) => except.includes(x))
      );
    })
  );
}

/** One component's paths: every rule of every policy that selects its pods must be one `allowed` accepts. */
function componentProblems(
  policies: RuleResource[],
  inst: Instance,
  component: string,
  allowed: { ingress: (rule: Rec) => boolean; egress: (rule: Rec) => boolean; what: string },
): Violation[] {
  const labels = argocdNames(inst.release).podLabels(component as never);
  const out: Violation[] = [];
  for (const p of policies.filter((x) => selects(x.inputs, labels))) {
    const spec = rec(p.inputs.spec);
    for (const dir of ["ingress", "egress"] as const)
      arr(spec[dir]).forEach((raw, i) => {
        if (!allowed[dir](rec(raw)))
          out.push(
            v(
              "TEN-ARGO-007",
              p.urn,
              `${inst.namespace}/${nameOf(p)} ${dir}[${i}] opens ${component} beyond ${allowed.what}`,
            ),
          );
      });
  }
  return out;
}

function instanceNetworkProblems(resources: readonly RuleResource[], site: SiteContext, inst: Instance): Violation[] {
  const policies = resources.filter((r) => r.type === NETPOL && nsOf(r) === inst.namespace);
  const out: Violation[] = [];
  const denyAll = policies.some((p) => {
    const spec = rec(p.inputs.spec);
    const types = arr(spec.policyTypes).map(str);
    return (
      Object.keys(rec(spec.podSelector)).length === 0 &&
      types.includes("Ingress") &&
      types.includes("Egress") &&
      !arr(spec.ingress).length &&
      !arr(spec.egress).length
    );
  });
  if (!denyAll)
    out.push(
      v(
        "TEN-ARGO-007",
        platformUrn(resources),
        `${inst.namespace}: no default-deny NetworkPolicy (every pod, ingress and egress)`,
      ),
    );
  const own = (components: string[]) => (rule: Rec) => {
    const peers = arr(rule.from ?? rule.to).map(rec);
    return peers.length > 0 && peers.every((x) => ownPod(x, inst, components));
  };
  const ports = [...inst.gitPorts];
  out.push(
    ...componentProblems(policies, inst, "repo-server", {
      what: "its own instance's clients, DNS, its Redis and Git on the public internet",
      ingress: (r) =>
        own(["argocd-application-controller", "argocd-server", "argocd-applicationset-controller"])(r) &&
        onlyPorts(r, [8081]),
      egress: (r) =>
        isDns(r) || (own(["argocd-redis"])(r) && onlyPorts(r, [6379])) || (publicOnly(r, site) && onlyPorts(r, ports)),
    }),
    ...componentProblems(policies, inst, "redis", {
      what: "its own instance's pods",
      ingress: (r) =>
        own(["argocd-application-controller", "argocd-repo-server", "argocd-server"])(r) && onlyPorts(r, [6379]),
      egress: () => false,
    }),
    ...componentProblems(policies, inst, "application-controller", {
      what: "the API server, its repo-server, its Redis and DNS",
      ingress: () => false,
      egress: (r) =>
        isDns(r) ||
        (own(["argocd-repo-server"])(r) && onlyPorts(r, [8081])) ||
        (own(["argocd-redis"])(r) && onlyPorts(r, [6379])) ||
        isApi(r, site),
    }),
  );
  return out;
}

/**
 * The API server: one address on 443 (the `kubernetes` Service's ClusterIP) or one of the site's
 * private ranges on 6443 (the control planes, where that Service leads).
 */
function isApi(rule: Rec, site: SiteContext): boolean {
  const to = arr(rule.to).map(rec);
  const cidrs = to.map((p) =>
    p.podSelector === undefined && p.namespaceSelector === undefined ? str(rec(p.ipBlock).cidr) : "",
  );
  if (to.length === 0 || cidrs.includes("")) return false;
  if (onlyPorts(rule, [443])) return cidrs.every((c) => c.endsWith("/32") && !c.startsWith("169.254."));
  return onlyPorts(rule, [6443]) && cidrs.every((c) => site.blockedRanges.includes(c) && !c.startsWith("169.254."));
}

export const ARGOCD_ISOLATION_RULES: Rule[] = [
  {
    id: "TEN-ARGO-005",
    description:
      "tenant Applications and AppProjects live only in the tenant-facing Argo CD (argocd-tenants: its own release, repo-server, Redis and controller, no CRDs, cluster roles, API server, Dex, ApplicationSet, notifications, plugin sidecar or repo-server token), which holds no project syncing as a cluster-wide identity",
    fix: "build tenant projects and applications with components/tenant/manifests.ts (namespace argocd-tenants) and the instance with components/platform/argocd-tenants.ts argocdTenantValues(); keep the platform's project and root app in argocd",
    enforcedIn: ["plan", "preview"],
    check: (resources, site) => [
      ...sharedInstanceProblems(resources, site),
      ...placementProblems(resources, site),
      ...tenantReleaseProblems(resources),
    ],
  },
  {
    id: "TEN-ARGO-006",
    description:
      "the tenant Argo CD reaches tenant namespaces only (cluster Secret listing exactly them, no cluster resources; a read-only, argocd-sync-impersonating role bound per tenant namespace, nothing cluster-wide) and renders Helm or plain manifests from the tenant's repository only (impersonation enforced, Kustomize and Jsonnet off, no remote value files)",
    fix: "declare argocd-cm and the cluster Secret with components/platform/argocd-tenants.ts (argocdTenantSettings, tenantClusterSecret), the role and bindings with components/tenant/gitops.ts",
    enforcedIn: ["plan", "preview"],
    check: (resources, site) => [
      ...settingsProblems(resources),
      ...clusterProblems(resources, site),
      ...controllerRoleProblems(resources),
      ...controllerBindingProblems(resources, site),
    ],
  },
  {
    id: "TEN-ARGO-007",
    description:
      "every Argo CD namespace denies by default; its repo-server is reached only by its own instance and reaches only DNS, its Redis and Git ports on the public internet (never the site's ranges); its Redis only by its own instance; its controller only the API server, repo-server, Redis and DNS",
    fix: "declare the policies with components/platform/argocd-network.ts (argocdBasePolicies, argocdRepoServerPolicy)",
    enforcedIn: ["plan", "preview"],
    check: (resources, site) => instances(resources).flatMap((inst) => instanceNetworkProblems(resources, site, inst)),
  },
];
