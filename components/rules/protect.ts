/**
 * On protected stacks (prod), what holds customers' state or the site's identity is `protect`ed:
 * deleting or replacing it then fails the preview instead of happening. Tenant namespaces (and the
 * stream keys their encoders use) are protected until a reviewed `decommission: true` lifts it.
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

const decommissioned = (ns: RuleResource | undefined) =>
  rec(rec(ns?.inputs.metadata).labels)[DECOMMISSION_LABEL] === "true";

export const PROTECT_RULES: Rule[] = [
  {
    id: "PROT-001",
    description:
      "on protected stacks, servers, networks, subnets, primary IPs, load balancers, volumes, namespaces, the cluster PKI's keys and CA certificates, and tenant stream keys are protected (tenant ones until decommissioned)",
    fix: "pass protect: config.protected for stateful resources; lift a tenant's protection only with decommission: true in its file",
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
        const stateful = PROTECTED_TYPES.includes(r.type) || (inTenant && r.type === STREAM_KEY_TYPE);
        if (!stateful) continue;
        if (inTenant && decommissioned(tenantNamespace.get(r.parent as string))) continue;
        out.push({
          rule: "PROT-001",
          urn: r.urn,
          message: `${r.type.split(":").pop()} ${r.name} is not protected on protected stack ${ctx.stack}`,
        });
      }
      return out;
    },
  },
];
