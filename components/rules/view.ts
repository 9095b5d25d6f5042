/**
 * Reading a plan's resource list the way the rules need it: the tenants (each
 * `platform:tenant:Tenant` and the Kubernetes objects below it), the platform component, and
 * look-ups by URN. Works on what both the offline plan and the policy API provide: a tenant is
 * found from its component or, if the engine left components out, from its children's parent URN.
 */
import { EDGE_PROXY, PLATFORM_NAMESPACES } from "../platform/namespaces";
import { TENANT_ADMIN_ROLE } from "../tenant/contract";
import { K8sObject, RuleContext } from "./tenant-objects";
import { rec, RuleResource, SiteContext, str, urnName, urnType, Violation } from "./types";

export const TENANT_TYPE = "platform:tenant:Tenant";
export const PLATFORM_TYPE = "platform:platform:Platform";
export const STACK_TYPE = "pulumi:pulumi:Stack";
const CLUSTER_ROLE_TYPE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";

/** One tenant as the plan shows it. */
export interface TenantView {
  name: string;
  /** The Tenant component's URN. */
  urn: string;
  /** Every resource below the component. */
  resources: RuleResource[];
  /** Its Kubernetes objects as manifests (the resources' inputs). */
  objects: K8sObject[];
  /** Which resource each object came from. */
  urnOf: Map<K8sObject, string>;
  /** The tenant rules' context: the site's ranges, and the repository its Application syncs. */
  ctx: RuleContext;
}

/** Everything below `root` (by parent URN), in list order. */
export function descendantsOf(resources: readonly RuleResource[], root: string): RuleResource[] {
  const children = new Map<string, RuleResource[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const out: RuleResource[] = [];
  const walk = (u: string) => {
    for (const c of children.get(u) ?? []) {
      out.push(c);
      walk(c.urn);
    }
  };
  walk(root);
  return out;
}

/** The tenants in a plan, by component URN (sorted by name). */
export function tenantsOf(resources: readonly RuleResource[], site: SiteContext): TenantView[] {
  // The platform's tenant-admin ClusterRole: what every tenant's admin binding grants.
  const adminRes = resources.find(
    (r) => r.type === CLUSTER_ROLE_TYPE && rec(rec(r.inputs).metadata).name === TENANT_ADMIN_ROLE,
  );
  const adminRole = adminRes?.inputs as K8sObject | undefined;
  const urns = new Set<string>();
  for (const r of resources) {
    if (r.type === TENANT_TYPE) urns.add(r.urn);
    if (r.parent && urnType(r.parent) === TENANT_TYPE) urns.add(r.parent);
  }
  return [...urns].sort().map((urn) => {
    const name = urnName(urn);
    const below = descendantsOf(resources, urn);
    const urnOf = new Map<K8sObject, string>();
    if (adminRes && adminRole) urnOf.set(adminRole, adminRes.urn);
    const objects: K8sObject[] = [];
    for (const r of below)
      if (r.type.startsWith("kubernetes:")) {
        const o = r.inputs as K8sObject;
        objects.push(o);
        urnOf.set(o, r.urn);
      }
    // In a plan, the tenant's declared repository is the one its Application syncs (both come
    // from its file); its AppProject must allow exactly that one.
    const app = objects.find((o) => o.kind === "Application" && o.metadata?.name === name);
    const repoURL = str(rec(rec(app?.spec).source).repoURL);
    return {
      name,
      urn,
      resources: below,
      objects,
      urnOf,
      ctx: {
        tenant: name,
        repoURL,
        ingressNamespace: PLATFORM_NAMESPACES.ingress,
        edgePodLabels: { ...EDGE_PROXY.podLabels },
        blockedRanges: site.blockedRanges,
        adminRole,
      },
    };
  });
}

/** Where a finding about the platform (or the whole stack) is reported. */
export function platformUrn(resources: readonly RuleResource[]): string {
  return (
    resources.find((r) => r.type === PLATFORM_TYPE)?.urn ??
    resources.find((r) => r.type === STACK_TYPE)?.urn ??
    resources[0]?.urn ??
    ""
  );
}

/** Deterministic order for reports: by rule, then URN, then message. */
export function byRuleUrn(a: { rule: string; urn: string; message: string }, b: typeof a): number {
  return a.rule.localeCompare(b.rule) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message);
}

/** Violations on a tenant's objects, at the object's URN (or the tenant's). */
export function perTenant(
  id: string,
  resources: readonly RuleResource[],
  site: SiteContext,
  f: (tenant: string, objects: K8sObject[]) => { object?: K8sObject; message: string }[],
): Violation[] {
  return tenantsOf(resources, site).flatMap((t) =>
    f(t.name, t.objects).map((x) => ({
      rule: id,
      urn: (x.object && t.urnOf.get(x.object)) || t.urn,
      message: `${t.name}: ${x.message}`,
    })),
  );
}
