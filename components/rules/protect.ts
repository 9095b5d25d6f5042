/**
 * On protected stacks (prod), what holds customers' state or the site's identity is `protect`ed:
 * deleting or replacing it then fails the preview instead of happening. Tenant namespaces (and the
 * stream keys their encoders use) are protected until a reviewed `decommission: true` lifts it.
 *
 * A tenant's Application is protected with them, and everything else of the tenant is something
 * the Application depends on: `pulumi up` without a preview (the Automation API, pulumi/actions)
 * runs deletes dependents first and stops at the first protected one, so a tenant file deleted
 * without `decommission: true` must fail at its first delete, or its Application, AppProject and
 * listeners go before the namespace's protect is reached (the real engine did exactly that:
 * docs/engine-tests.md, "What the real engine found").
 */
import { DECOMMISSION_LABEL } from "../tenant/contract";
import { TENANT_TYPE } from "./view";
import { rec, Rule, RuleResource, urnType, Violation } from "./types";

/**
 * Stateful resources by type: servers, the network and its subnet, addresses, load balancers,
 * volumes, namespaces, and the site's identity: the cluster PKI's private keys and self-signed CA
 * certificates (components/site/pki.ts; the renewable admin certificate is a LocallySignedCert).
 */
export const PROTECTED_TYPES: readonly string[] = [
  "hcloud:index/server:Server",
  "hcloud:index/network:Network",
  "hcloud:index/networkSubnet:NetworkSubnet",
  "hcloud:index/primaryIp:PrimaryIp",
  "hcloud:index/loadBalancer:LoadBalancer",
  "hcloud:index/volume:Volume",
  "kubernetes:core/v1:Namespace",
  "tls:index/privateKey:PrivateKey",
  "tls:index/selfSignedCert:SelfSignedCert",
];
const STREAM_KEY_TYPE = "random:index/randomBytes:RandomBytes";
const APPLICATION_TYPE = "kubernetes:argoproj.io/v1alpha1:Application";

/** URNs `from` depends on, directly or through others (options.dependsOn, inputs included). */
function dependencies(from: RuleResource, byUrn: Map<string, RuleResource>): Set<string> {
  const seen = new Set<string>();
  const todo = [...(from.options.dependsOn ?? [])];
  for (let u = todo.pop(); u !== undefined; u = todo.pop()) {
    if (seen.has(u)) continue;
    seen.add(u);
    todo.push(...(byUrn.get(u)?.options.dependsOn ?? []));
  }
  return seen;
}

/**
 * A tenant's unprotected resources its Application does not depend on: the engine would delete
 * them before reaching the protected Application when the tenant's file is deleted.
 */
function deletedBeforeTheApplication(
  resources: readonly RuleResource[],
  tenant: string,
  byUrn: Map<string, RuleResource>,
): Violation[] {
  const own = resources.filter((r) => r.parent === tenant);
  const app = own.find((r) => r.type === APPLICATION_TYPE);
  if (!app) return [];
  const deps = dependencies(app, byUrn);
  return own
    .filter((r) => r !== app && !r.options.protect && !deps.has(r.urn))
    .map((r) => ({
      rule: "PROT-001",
      urn: r.urn,
      message: `${r.type.split(":").pop()} ${r.name} would be deleted before the protected Application ${app.name} when the tenant's file is deleted: make the Application depend on it`,
    }));
}

const decommissioned = (ns: RuleResource | undefined) =>
  rec(rec(ns?.inputs.metadata).labels)[DECOMMISSION_LABEL] === "true";

export const PROTECT_RULES: Rule[] = [
  {
    id: "PROT-001",
    description:
      "on protected stacks, servers, networks, subnets, primary IPs, load balancers, volumes, namespaces, the cluster PKI's keys and CA certificates, and tenant stream keys and Applications are protected (tenant ones until decommissioned); every other resource of a tenant is a dependency of its Application, so a deleted tenant file fails before anything of it is deleted",
    fix: "pass protect: config.protected for stateful resources; lift a tenant's protection only with decommission: true in its file; add a tenant's new resources to its Application's dependsOn",
    enforcedIn: ["plan", "preview"],
    check(resources, ctx): Violation[] {
      if (!ctx.protected) return [];
      const tenantNamespace = new Map<string, RuleResource>();
      for (const r of resources)
        if (r.type === "kubernetes:core/v1:Namespace" && r.parent && urnType(r.parent) === TENANT_TYPE)
          tenantNamespace.set(r.parent, r);
      const out: Violation[] = [];
      for (const r of resources) {
        if (r.options.protect) continue;
        const inTenant = !!r.parent && urnType(r.parent) === TENANT_TYPE;
        const stateful =
          PROTECTED_TYPES.includes(r.type) || (inTenant && (r.type === STREAM_KEY_TYPE || r.type === APPLICATION_TYPE));
        if (!stateful) continue;
        if (inTenant && decommissioned(tenantNamespace.get(r.parent as string))) continue;
        out.push({
          rule: "PROT-001",
          urn: r.urn,
          message: `${r.type.split(":").pop()} ${r.name} is not protected on protected stack ${ctx.stack}`,
        });
      }
      const byUrn = new Map(resources.map((r) => [r.urn, r]));
      for (const [tenant, ns] of tenantNamespace)
        if (!decommissioned(ns)) out.push(...deletedBeforeTheApplication(resources, tenant, byUrn));
      return out;
    },
  },
];
