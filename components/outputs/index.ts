/**
 * Stack outputs: the contract runbooks read (`pulumi stack output --json`). Names and shapes are
 * pinned by test/outputs.test.ts and documented in docs/outputs.md; changing one is a
 * breaking change for every runbook and script, so it bumps OUTPUTS_VERSION and says so there.
 *
 * Shape rules, so `jq` paths never shift:
 * - every key is always present (absent things are `null`, never a missing key);
 * - lists are arrays of objects that carry their own stable `name`, ordered by stable keys
 *   (control-plane index; pool name, then index), never by config order;
 * - per-tenant data is a map keyed by tenant name;
 * - exactly two secrets: `kubeconfig` and `argocdAdminPassword`. Stream keys stay out (they are in
 *   each tenant's `stream-key` Secret and in the Tenant component's own secret output).
 *
 * Everything here is a plain value or an Output of an existing resource: no resource is declared,
 * inside an apply or otherwise.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import type { Platform } from "../platform";
import type { Site, SiteNode } from "../site";
import { NETWORK_ZONE } from "../site/catalog";
import type { EffectiveQuota, Tenant } from "../tenant";

/** Version of this contract; bumped (and documented in docs/outputs.md) only with a breaking change. */
// 2: `autoscaledPools` added, and `workers` is no longer every worker node (autoscaled nodes are
// not Pulumi's servers): a script that took `workers` as the whole fleet must now read both.
export const OUTPUTS_VERSION = 2;

export interface OutputsArgs {
  /** The validated stack configuration (location, k3s version, base domain). */
  config: StackConfig;
  /** The site: API endpoint, kubeconfig, nodes, API load balancer, snapshot bucket. */
  site: Site;
  /** The platform: ingress load balancer and address, Argo CD URL and password. */
  platform: Platform;
  /** Every declared tenant, in any order (the map is keyed by name). */
  tenants: Tenant[];
}

/** A control plane, as runbooks address it (ssh, kubectl --server, etcd membership). */
export interface ControlPlaneOutput {
  /** Hetzner server name = hostname = Kubernetes node name (`<stack>-cp-<n>`). */
  name: string;
  role: "control-plane";
  /** Primary IPv4 (outlives a rebuild of the server); SSH and the API from adminCidrs. */
  publicIpv4: pulumi.Output<string>;
  /** The server's IPv6 address. */
  publicIpv6: pulumi.Output<string>;
  /** Address on the private network (etcd, kubelet, load balancer targets). */
  privateIpv4: string;
}

/** A worker. */
export interface WorkerOutput {
  /** Hetzner server name = hostname = Kubernetes node name (`<stack>-<pool>-<n>`). */
  name: string;
  role: "worker";
  /** Worker pool (`site.workerPools[].name`). */
  pool: string;
  publicIpv4: pulumi.Output<string>;
  publicIpv6: pulumi.Output<string>;
  privateIpv4: string;
}

/** An autoscaled pool: the node group the cluster-autoscaler manages, with its bounds. */
export interface AutoscaledPoolOutput {
  /** Worker pool (`site.workerPools[].name`). */
  pool: string;
  /** Node group id; its servers are named `<nodeGroup>-<hex>` and labelled `hcloud/node-group=<nodeGroup>`. */
  nodeGroup: string;
  serverType: string;
  location: string;
  /** Autoscaled nodes on top of `fixed`: always at least `min`, at most `max`. */
  min: number;
  max: number;
  /** The pool's Pulumi-made workers (in `workers`). */
  fixed: number;
  /** Spread placement group of the autoscaled nodes; null when max exceeds 10 (Hetzner's limit). */
  placementGroup: string | null;
}

/** Per tenant: what onboarding, decommissioning and DNS runbooks need. No secrets. */
export interface TenantOutput {
  /** The tenant's namespace (its name). */
  namespace: string;
  tier: string;
  /** Effective quota: the tier preset with the file's overrides, canonical quantities. */
  quota: EffectiveQuota;
  /** Hosts the tenant serves; their DNS records point at `ingressAddress`. */
  domains: string[];
  /** Argo CD AppProject (namespace argocd). */
  argocdProject: string;
  /** Argo CD Application (namespace argocd). */
  argocdApplication: string;
  /** Step one of removal is done (protection lifted; the file may be deleted next). */
  decommission: boolean;
}

function nodeOutput(node: SiteNode) {
  return {
    name: node.spec.name,
    publicIpv6: node.server.ipv6Address,
    privateIpv4: node.spec.privateIp,
  };
}

/** The stack's outputs. Names and shapes: docs/outputs.md (pinned by test/outputs.test.ts). */
export function stackOutputs({ config, site, platform, tenants }: OutputsArgs) {
  const servers = site.nodes.filter((n) => n.spec.role === "server").sort((a, b) => a.spec.index - b.spec.index);
  const controlPlanes: ControlPlaneOutput[] = servers.map((n) => ({
    ...nodeOutput(n),
    role: "control-plane",
    // The primary IP, not the server's own address: it is what the certificate and kubeconfig name.
    publicIpv4: site.controlPlanes.find((c) => c.name === n.spec.name)!.publicIpv4,
  }));
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const byPoolThenIndex = (a: SiteNode, b: SiteNode) =>
    cmp(a.spec.pool ?? "", b.spec.pool ?? "") || a.spec.index - b.spec.index;
  const workers: WorkerOutput[] = site.nodes
    .filter((n) => n.spec.role === "agent")
    .sort(byPoolThenIndex)
    .map((n) => ({ ...nodeOutput(n), role: "worker", pool: n.spec.pool ?? "", publicIpv4: n.server.ipv4Address }));

  const autoscaledPools: AutoscaledPoolOutput[] = [...site.nodeGroups.groups]
    .sort((a, b) => cmp(a.pool, b.pool))
    .map((g) => ({
      pool: g.pool,
      nodeGroup: g.id,
      serverType: g.serverType,
      location: g.location,
      min: g.min,
      max: g.max,
      fixed: config.site.workerPools.find((p) => p.name === g.pool)?.count ?? 0,
      placementGroup: g.placementGroup ?? null,
    }));

  const tenantMap: Record<string, TenantOutput> = {};
  for (const t of [...tenants].sort((a, b) => cmp(a.spec.name, b.spec.name)))
    tenantMap[t.spec.name] = {
      namespace: t.namespace,
      tier: t.spec.tier,
      quota: { ...t.quota },
      domains: [...t.domains],
      argocdProject: t.argocdProject,
      argocdApplication: t.argocdApplication,
      decommission: t.spec.decommission,
    };

  const base = config.platform.baseDomain;
  // Every name whose A/AAAA records must point at the ingress load balancer: the published
  // ingress host name, Argo CD, and each tenant's domains. The DNS step of every runbook reads it.
  const ingressHosts = [
    ...new Set([platform.ingressHostname, `argocd.${base}`, ...tenants.flatMap((t) => t.domains)]),
  ].sort();
  const { bucket, endpoint, region, folder } = site.etcdSnapshots;

  return {
    outputsVersion: OUTPUTS_VERSION,
    location: config.site.location,
    networkZone: NETWORK_ZONE[config.site.location],
    k3sVersion: config.k3s.version,
    apiEndpoint: site.apiEndpoint,
    kubeconfig: site.kubeconfig,
    controlPlanes,
    workers,
    autoscaledPools,
    loadBalancers: {
      // Private only (HA sites); single-control-plane sites have none, and agents join cp-1.
      api: site.apiLoadBalancer
        ? { name: site.apiLoadBalancer.name, privateIpv4: site.privateRanges.apiLoadBalancer ?? null }
        : null,
      ingress: {
        name: platform.ingressLoadBalancer.name,
        publicIpv4: platform.ingressLoadBalancer.ipv4,
        publicIpv6: platform.ingressLoadBalancer.ipv6,
        privateIpv4: site.privateRanges.ingressLoadBalancer,
      },
    },
    ingressAddress: platform.ingressAddress,
    // The name the ingress Service publishes; tenants CNAME their domains to it, so a relocation
    // changes only the platform's own A/AAAA records.
    ingressHostname: platform.ingressHostname,
    ingressHosts,
    argocdUrl: platform.argocdUrl,
    argocdAdminPassword: platform.argocdAdminPassword,
    etcdSnapshots: { bucket, endpoint, region, folder: folder ?? null },
    tenants: tenantMap,
  };
}

/** The outputs object's type, for tools that read it. */
export type StackOutputs = ReturnType<typeof stackOutputs>;
