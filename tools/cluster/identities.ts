/**
 * Who acts inside each tenant, read from the plan's own objects (the code that declares the
 * tenants), not restated: the identity Argo CD syncs the tenant's repository as, the tenant's
 * admin groups, its domains, and the parentRefs its HTTPRoutes must use.
 */
import type { KubeObject } from "./objects";

/** Label every tenant-owned platform object carries (components/tenant). */
const TENANT_LABEL = "platform.video/tenant";
/** Annotation on the tenant namespace listing its domains (read by the cluster's host policies). */
const DOMAINS_ANNOTATION = "platform.video/domains";
/**
 * What the argo-cd chart names its application controller's ServiceAccount (release "argocd").
 * Argo CD applies as this account unless the AppProject names an impersonation account.
 */
export const ARGOCD_NAMESPACE = "argocd";
export const ARGOCD_CONTROLLER_SA = "argocd-application-controller";

export interface Identity {
  user: string;
  groups: string[];
}

export interface ParentRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  sectionName?: string;
}

export interface TenantIdentity {
  namespace: string;
  sync: Identity;
  admins: { groups: string[] };
  domains: string[];
  parentRefs: ParentRef[];
}

export interface Identities {
  tenants: Record<string, TenantIdentity>;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === "object" && !Array.isArray(v) ? (v as Rec) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const labels = (o: KubeObject) => rec(o.metadata.labels);

/** How the API server sees a ServiceAccount. */
export function serviceAccountIdentity(namespace: string, name: string): Identity {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
  };
}

/**
 * The account Argo CD syncs into `namespace` as: the AppProject's destinationServiceAccounts entry
 * for that namespace (Argo CD impersonation; `defaultServiceAccount` is `name` in the destination
 * namespace or `namespace:name`), else the application controller's own account.
 */
export function syncIdentity(project: KubeObject | undefined, namespace: string): Identity {
  for (const d of arr(rec(project?.spec).destinationServiceAccounts)) {
    const dest = rec(d);
    const ns = String(dest.namespace ?? "");
    if (ns !== namespace && ns !== "*") continue;
    const sa = String(dest.defaultServiceAccount ?? "");
    if (!sa) continue;
    const [saNs, saName] = sa.includes(":") ? sa.split(":", 2) : [namespace, sa];
    return serviceAccountIdentity(saNs, saName);
  }
  return serviceAccountIdentity(ARGOCD_NAMESPACE, ARGOCD_CONTROLLER_SA);
}

/** Whether a route namespace selector (`allowedRoutes.namespaces`) admits a namespace with `nsLabels`. */
function admits(namespaces: Record<string, unknown>, nsName: string, nsLabels: Record<string, string>): boolean {
  const from = String(namespaces.from ?? "Same");
  if (from === "All") return true;
  if (from !== "Selector") return false;
  const sel = rec(namespaces.selector);
  const match = rec(sel.matchLabels) as Record<string, unknown>;
  if (arr(sel.matchExpressions).length) return false; // not used by the platform: admit nothing rather than guess
  return Object.entries({ ...match }).every(([k, v]) =>
    k === "kubernetes.io/metadata.name" ? v === nsName : nsLabels[k] === v,
  );
}

/**
 * The parents a tenant's routes may attach to, read from the plan: every ListenerSet (its whole
 * set, no sectionName) and every Gateway listener (with its sectionName) whose allowedRoutes admit
 * the tenant's namespace. With the platform's edge that is the tenant's own ListenerSet.
 */
export function tenantParentRefs(
  objects: readonly KubeObject[],
  nsName: string,
  nsLabels: Record<string, string>,
): ParentRef[] {
  const refs: ParentRef[] = [];
  for (const o of objects) {
    if (!o.apiVersion.startsWith("gateway.networking.k8s.io/")) continue;
    if (o.kind !== "Gateway" && o.kind !== "ListenerSet") continue;
    const listeners = arr(rec(o.spec).listeners).map(rec);
    const open = listeners.filter((l) => admits(rec(rec(l.allowedRoutes).namespaces), nsName, nsLabels));
    if (!open.length) continue;
    const ref = {
      group: "gateway.networking.k8s.io",
      kind: o.kind,
      namespace: o.metadata.namespace ?? "default",
      name: o.metadata.name,
    };
    if (o.kind === "ListenerSet" && open.length === listeners.length) refs.push(ref);
    else for (const l of open) refs.push({ ...ref, sectionName: String(l.name) });
  }
  return refs;
}

/** Identities of every tenant in the plan's objects (tenants: namespaces with the tenant label). */
export function identities(objects: readonly KubeObject[]): Identities {
  const tenants: Record<string, TenantIdentity> = {};
  const namespaces = objects.filter((o) => o.kind === "Namespace" && typeof labels(o)[TENANT_LABEL] === "string");
  for (const ns of [...namespaces].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const tenant = String(labels(ns)[TENANT_LABEL]);
    const namespace = ns.metadata.name;
    const project = objects.find(
      (o) => o.kind === "AppProject" && o.apiVersion.startsWith("argoproj.io/") && labels(o)[TENANT_LABEL] === tenant,
    );
    const groups = new Set<string>();
    for (const rb of objects) {
      if (rb.kind !== "RoleBinding" || rb.metadata.namespace !== namespace) continue;
      for (const s of arr(rb.subjects)) if (rec(s).kind === "Group") groups.add(String(rec(s).name));
    }
    const domains = String(rec(ns.metadata.annotations)[DOMAINS_ANNOTATION] ?? "")
      .split(",")
      .filter(Boolean);
    tenants[tenant] = {
      namespace,
      sync: syncIdentity(project, namespace),
      admins: { groups: [...groups].sort() },
      domains,
      parentRefs: tenantParentRefs(objects, namespace, labels(ns) as Record<string, string>),
    };
  }
  return { tenants };
}
