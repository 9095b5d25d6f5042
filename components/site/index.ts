import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { createHmac } from "node:crypto";
import type { StackConfig } from "../config/load";
import { PROJECT } from "../config/schema";
import { NETWORK_ZONE } from "./catalog";
import { renderAgentCloudInit, renderCloudInit } from "./cloudinit";
import type { NodeSecrets, NodeSpec } from "./k3s";
import { renderKubeconfig } from "./kubeconfig";
import { firewallRules } from "./firewall";
import { API_PORT, LABELS, planSite, SitePlan } from "./nodes";
import { declareNodeGroups, type SiteNodeGroups } from "./node-groups";
import { ClusterPki, createClusterPki } from "./pki";

export interface SiteArgs {
  /** The validated stack configuration (site, k3s, secrets, protected). */
  config: StackConfig;
}

/** A node's addresses, for outputs and runbooks. */
export interface NodeAddresses {
  name: string;
  /** Public IPv4: a primary IP that outlives the server for control planes, the server's own for workers. */
  publicIpv4: pulumi.Output<string>;
  privateIp: string;
  /** Worker pool (workers only). */
  pool?: string;
}

/** One node as declared: its plan, its server and its (secret) user-data. */
export interface SiteNode {
  spec: NodeSpec;
  server: hcloud.Server;
  userData: pulumi.Output<string>;
}

export { firewallRules } from "./firewall";

/** The agent join token, derived from the server token so it survives rebuilds with it. */
export function deriveAgentToken(serverToken: string): string {
  return createHmac("sha256", serverToken).update(`${PROJECT}/k3s-agent-token/v1`).digest("hex");
}

/**
 * One site: Hetzner network, firewall, servers and the k3s bootstrap.
 *
 * Network exposure, and what Hetzner firewalls do not cover:
 * - The firewall is attached to every server at creation: inbound is denied except 22 and 6443
 *   from the admin CIDRs and 80/443 from anywhere; outbound is open (image pulls, snapshots).
 * - Hetzner firewalls filter only public-interface traffic: load balancer → target traffic and
 *   private-network traffic pass unfiltered. So the private network belongs to this site alone
 *   (nothing else is attached to it), NodePorts listen only on it (kube-proxy
 *   nodeport-addresses), etcd accepts only the control planes' /28 (node-level nftables rule),
 *   and load balancers reach nodes over it rather than over public addresses.
 * - The API load balancer (HA sites) has NO public interface: Hetzner load balancers cannot filter
 *   clients, so a public one would open 6443 to the world past the firewall. It is the
 *   registration address for agents and joining servers (answers while any server is healthy).
 *   Admins and Pulumi reach the API on the control planes' primary IPs, where the firewall
 *   admits only admin CIDRs; the kubeconfig uses the first control plane's, and every control
 *   plane's is in `controlPlanes` and in its own certificate for failover.
 */
export class Site extends pulumi.ComponentResource {
  /** The private network every server is attached to. */
  public readonly network: hcloud.Network;
  /** Numeric id of the private network (for the cloud controller and load balancers). */
  public readonly networkId: pulumi.Output<number>;
  /** The network's only subnet (the whole network range). */
  public readonly subnet: hcloud.NetworkSubnet;
  /** https://<address>:6443 — what the kubeconfig points at. */
  public readonly apiEndpoint: pulumi.Output<string>;
  /** PEM of the cluster's server CA, for verifying the API (readiness gate). */
  public readonly clusterCaCertPem: pulumi.Output<string>;
  /** Admin kubeconfig (secret), deterministic across runs. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly controlPlanes: NodeAddresses[];
  public readonly workers: NodeAddresses[];
  /** Resources whose creation means the servers exist (the gate waits after these). */
  public readonly servers: pulumi.Resource[];
  /** The Hetzner provider every Hetzner resource here uses (token from `secure:` config). */
  public readonly hcloudProvider: hcloud.Provider;
  /** The firewall attached to every server. */
  public readonly firewall: hcloud.Firewall;
  /** The private API load balancer (HA sites only). */
  public readonly apiLoadBalancer?: hcloud.LoadBalancer;
  /** Private addresses others need: the network, the reserved ingress LB address, the API LB's. */
  public readonly privateRanges: {
    network: string;
    controlPlanes: string;
    podCidr: string;
    serviceCidr: string;
    apiLoadBalancer?: string;
    /** Reserved for the platform's ingress load balancer (hcloud CCM `private-ipv4` annotation). */
    ingressLoadBalancer: string;
  };
  /** Where etcd snapshots go (the bucket is created outside Pulumi, like the state bucket). */
  public readonly etcdSnapshots: { bucket: string; endpoint: string; region: string; folder?: string };
  /** Every node with its server and secret user-data. */
  public readonly nodes: SiteNode[];
  /** The break-glass key as registered at Hetzner (every server, the autoscaler's too, gets it). */
  public readonly sshKey: hcloud.SshKey;
  /** Autoscaled pools: node groups, their cloud-init (secret) and placement groups. */
  public readonly nodeGroups: SiteNodeGroups;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:site:Site", name, {}, opts);
    const { config } = args;
    const { site, k3s, stack } = config;

    // siteProblems already ran in loadStackConfig (before any resource was declared); planSite
    // re-checks and throws should this component ever be built from unvalidated config.
    const plan = planSite(stack, site, k3s);
    this.hcloudProvider = new hcloud.Provider(
      `${name}-hcloud`,
      { token: config.secrets.hcloudToken },
      { parent: this },
    );
    const scope = siteScope(name, config, plan, this, this.hcloudProvider);

    ({ network: this.network, networkId: this.networkId, subnet: this.subnet } = declareNetwork(scope));
    this.firewall = declareFirewall(scope);
    const pki = createClusterPki(name, stack, this, config.protected);
    this.clusterCaCertPem = pki.serverCaCertPem;

    this.sshKey = declareBreakGlassKey(scope);
    const shared: ServerInputs = {
      sshKeyId: this.sshKey.id,
      firewallId: this.firewall.id.apply(Number),
      networkId: this.networkId,
      subnet: this.subnet,
      placementGroups: declarePlacementGroups(scope),
      secrets: nodeSecrets(config),
      pki,
    };
    const controlPlanes = declareControlPlanes(scope, shared);
    const workers = declareWorkers(scope, shared);
    this.controlPlanes = controlPlanes.map((n) => n.addresses);
    this.workers = workers.map((n) => n.addresses);
    this.nodes = [...controlPlanes, ...workers].map((n) => n.node);
    this.servers = this.nodes.map((n) => n.server);
    this.nodeGroups = declareNodeGroups(
      name,
      { stack, site, cluster: plan.cluster, agentToken: shared.secrets.agentToken },
      scope.hc(),
    );
    this.apiLoadBalancer = plan.cluster.ha ? declareApiLoadBalancer(scope, this.subnet) : undefined;

    this.apiEndpoint = pulumi.interpolate`https://${this.controlPlanes[0].publicIpv4}:${API_PORT}`;
    this.kubeconfig = adminKubeconfig(stack, this.apiEndpoint, pki);
    this.privateRanges = {
      network: site.networkCidr,
      controlPlanes: plan.addresses.controlPlaneRange,
      podCidr: k3s.clusterCidr,
      serviceCidr: k3s.serviceCidr,
      ...(plan.cluster.ha ? { apiLoadBalancer: plan.addresses.apiLoadBalancer } : {}),
      ingressLoadBalancer: plan.addresses.ingressLoadBalancer,
    };
    const { bucket, endpoint, region, folder } = k3s.etcdSnapshots;
    this.etcdSnapshots = { bucket, endpoint, region, ...(folder ? { folder } : {}) };

    this.registerOutputs({
      apiEndpoint: this.apiEndpoint,
      kubeconfig: this.kubeconfig,
      networkId: this.networkId,
      clusterCaCertPem: this.clusterCaCertPem,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The site's steps, in the order the constructor takes them. Each declares its resources under
// the Site with logical names derived from the component's name (unchanged by this split).

/** What every step needs: names, the validated config, the address plan and resource options. */
interface SiteScope {
  name: string;
  stack: string;
  site: StackConfig["site"];
  plan: SitePlan;
  /** Protected stacks (prod) protect stateful resources. */
  protect: boolean;
  parent: Site;
  /** Options for a Hetzner resource under the Site, merged with `extra`. */
  hc(extra?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions;
}

function siteScope(
  name: string,
  config: StackConfig,
  plan: SitePlan,
  parent: Site,
  provider: hcloud.Provider,
): SiteScope {
  return {
    name,
    stack: config.stack,
    site: config.site,
    plan,
    protect: config.protected,
    parent,
    hc: (extra = {}) => pulumi.mergeOptions({ parent, provider }, extra),
  };
}

const siteLabels = (stack: string) => ({ [LABELS.site]: stack });

function declareNetwork({ name, stack, site, protect, hc }: SiteScope) {
  const network = new hcloud.Network(
    `${name}-net`,
    { name: `${stack}-net`, ipRange: site.networkCidr, labels: siteLabels(stack) },
    hc({ protect }),
  );
  const networkId = network.id.apply(Number);
  const subnet = new hcloud.NetworkSubnet(
    `${name}-subnet`,
    { networkId, type: "cloud", networkZone: NETWORK_ZONE[site.location], ipRange: site.networkCidr },
    hc({ protect }),
  );
  return { network, networkId, subnet };
}

/** The firewall every server is attached to (see the Site's comment for what it does not cover). */
function declareFirewall({ name, stack, site, hc }: SiteScope): hcloud.Firewall {
  return new hcloud.Firewall(
    `${name}-fw`,
    { name: `${stack}-nodes`, rules: firewallRules(site.adminCidrs), labels: siteLabels(stack) },
    hc(),
  );
}

/**
 * Admin keys from config go in through cloud-init: Hetzner refuses a second SSH key with the same
 * fingerprint in a project, so registering them would stop staging and prod from sharing one.
 * Hetzner still needs one registered key per server, or it sets and e-mails a root password: a
 * key of this stack's own. Its private half is not exported anywhere; it exists only in the
 * stack's state (the `tls:PrivateKey` resource, a secret output), read with
 * `pulumi stack export --show-secrets` when every admin key is lost.
 */
function declareBreakGlassKey({ name, stack, protect, parent, hc }: SiteScope): hcloud.SshKey {
  const key = new tls.PrivateKey(`${name}-ssh-breakglass-key`, { algorithm: "ED25519" }, { parent, protect });
  return new hcloud.SshKey(
    `${name}-ssh-breakglass`,
    { name: `${stack}-breakglass`, publicKey: key.publicKeyOpenssh, labels: siteLabels(stack) },
    hc(),
  );
}

/** Spread placement groups, per role and per 10 workers of a pool, by the plan's key. */
function declarePlacementGroups({ name, stack, plan, hc }: SiteScope): Map<string, pulumi.Output<number>> {
  const groups = new Map<string, pulumi.Output<number>>();
  for (const pg of plan.placementGroups) {
    const group = new hcloud.PlacementGroup(
      `${name}-pg-${pg.key}`,
      {
        name: pg.name,
        type: "spread",
        labels: { ...siteLabels(stack), [LABELS.role]: pg.role, ...(pg.pool ? { [LABELS.pool]: pg.pool } : {}) },
      },
      hc(),
    );
    groups.set(pg.key, group.id.apply(Number));
  }
  return groups;
}

/**
 * The join secrets per role. Agents (Pulumi's workers and the autoscaler's nodes alike) get their
 * own token only: never the server token (which decrypts the CA keys in the datastore) nor the S3
 * credentials.
 */
export function nodeSecrets(config: Pick<StackConfig, "secrets">): {
  server: pulumi.Output<NodeSecrets>;
  agentToken: pulumi.Output<string>;
} {
  const { k3sToken, etcdS3AccessKey, etcdS3SecretKey } = config.secrets;
  const agentToken = pulumi.secret(k3sToken.apply(deriveAgentToken));
  const server = pulumi.secret(
    pulumi
      .all([k3sToken, agentToken, etcdS3AccessKey, etcdS3SecretKey])
      .apply(([token, agent, accessKey, secretKey]) => ({
        token,
        agentToken: agent,
        etcdS3AccessKey: accessKey,
        etcdS3SecretKey: secretKey,
      })),
  );
  return { server, agentToken };
}

/** What every server is declared with besides its own spec. */
interface ServerInputs {
  sshKeyId: pulumi.Output<string>;
  firewallId: pulumi.Output<number>;
  networkId: pulumi.Output<number>;
  subnet: hcloud.NetworkSubnet;
  placementGroups: Map<string, pulumi.Output<number>>;
  secrets: ReturnType<typeof nodeSecrets>;
  pki: ClusterPki;
}

interface DeclaredNode {
  node: SiteNode;
  addresses: NodeAddresses;
}

function declareServer(
  { name, site, plan, protect, hc }: SiteScope,
  inputs: ServerInputs,
  spec: NodeSpec,
  userData: pulumi.Output<string>,
  primaryIpv4?: pulumi.Output<number>,
): hcloud.Server {
  const serverType =
    spec.role === "server"
      ? site.controlPlane.serverType
      : site.workerPools.find((p) => p.name === spec.pool)?.serverType;
  if (!serverType) throw new Error(`site: unknown pool ${spec.pool}`);
  return new hcloud.Server(
    spec.role === "server" ? `${name}-${spec.key}` : `${name}-worker-${spec.key}`,
    {
      name: spec.name,
      serverType,
      image: site.image,
      location: site.location,
      labels: plan.serverLabels(spec),
      sshKeys: [inputs.sshKeyId],
      firewallIds: [inputs.firewallId],
      placementGroupId: inputs.placementGroups.get(plan.placementGroupOf(spec)),
      networks: [{ networkId: inputs.networkId, ip: spec.privateIp }],
      publicNets: [{ ipv4Enabled: true, ...(primaryIpv4 ? { ipv4: primaryIpv4 } : {}), ipv6Enabled: true }],
      userData,
      // Lets k3s stop cleanly (etcd leaves, pods get SIGTERM) before a server is deleted.
      shutdownBeforeDeletion: true,
    },
    hc({
      protect,
      dependsOn: [inputs.subnet], // Hetzner attaches a server only to a network that has a subnet
      // Hetzner replaces a server when user-data, SSH keys or image change
      // (hetznercloud/terraform-provider-hcloud#338, #372): a live node is never rebuilt for
      // that. New servers get the new values; existing ones are upgraded in place (README,
      // "Upgrading k3s").
      ignoreChanges: ["userData", "sshKeys", "image"],
    }),
  );
}

/**
 * Control planes, each behind a primary IP created before the server: its address goes into the
 * server's certificate (tls-san) and the kubeconfig, and survives a rebuild of the server. Only
 * the first (init) server's user-data carries the CA keys.
 */
function declareControlPlanes(scope: SiteScope, inputs: ServerInputs): DeclaredNode[] {
  const { name, site, plan, protect, hc } = scope;
  return plan.controlPlanes.map((spec) => {
    const ip = new hcloud.PrimaryIp(
      `${name}-${spec.key}-ipv4`,
      {
        name: `${spec.name}-ipv4`,
        type: "ipv4",
        assigneeType: "server",
        location: site.location,
        autoDelete: false,
        labels: plan.serverLabels(spec),
      },
      hc({ protect }),
    );
    const sans = pulumi
      .all([ip.ipAddress])
      .apply(([addr]) => [addr, ...(plan.cluster.ha ? [plan.addresses.apiLoadBalancer] : [])]);
    const userData = pulumi.secret(
      pulumi
        .all([inputs.secrets.server, sans, spec.init ? inputs.pki.pems : pulumi.output(undefined)])
        .apply(([secrets, tlsSans, pems]) =>
          renderCloudInit({ cluster: plan.cluster, node: spec, secrets, tlsSans, pki: pems ?? undefined }),
        ),
    );
    const server = declareServer(scope, inputs, spec, userData, ip.id.apply(Number));
    return {
      node: { spec, server, userData },
      addresses: { name: spec.name, publicIpv4: ip.ipAddress, privateIp: spec.privateIp },
    };
  });
}

/** Workers: the agent token only (the same cloud-init as autoscaled nodes), the server's own public IPv4. */
function declareWorkers(scope: SiteScope, inputs: ServerInputs): DeclaredNode[] {
  const { plan } = scope;
  return plan.workers.map((spec) => {
    const userData = pulumi.secret(
      inputs.secrets.agentToken.apply((token) => renderAgentCloudInit(plan.cluster, spec, token)),
    );
    const server = declareServer(scope, inputs, spec, userData);
    return {
      node: { spec, server, userData },
      addresses: { name: spec.name, publicIpv4: server.ipv4Address, privateIp: spec.privateIp, pool: spec.pool },
    };
  });
}

/** The HA sites' API load balancer: private only (see the Site's comment). */
function declareApiLoadBalancer({ name, stack, site, plan, protect, hc }: SiteScope, subnet: hcloud.NetworkSubnet) {
  const lb = new hcloud.LoadBalancer(
    `${name}-api-lb`,
    {
      name: `${stack}-api`,
      loadBalancerType: site.loadBalancerType,
      location: site.location,
      labels: siteLabels(stack),
    },
    hc({ protect }),
  );
  const lbId = lb.id.apply(Number);
  const lbNet = new hcloud.LoadBalancerNetwork(
    `${name}-api-lb-net`,
    { loadBalancerId: lbId, subnetId: subnet.id, ip: plan.addresses.apiLoadBalancer, enablePublicInterface: false },
    hc(),
  );
  new hcloud.LoadBalancerService(
    `${name}-api-lb-${API_PORT}`,
    {
      loadBalancerId: lb.id,
      protocol: "tcp",
      listenPort: API_PORT,
      destinationPort: API_PORT,
      healthCheck: { protocol: "tcp", port: API_PORT, interval: 5, timeout: 3, retries: 3 },
    },
    hc(),
  );
  // A label selector, not one target per server: adding a control plane changes nothing here.
  // The API value is `label_selector` (the provider passes it through unchanged).
  new hcloud.LoadBalancerTarget(
    `${name}-api-lb-targets`,
    {
      loadBalancerId: lbId,
      type: "label_selector",
      labelSelector: `${LABELS.site}=${stack},${LABELS.role}=control-plane`,
      usePrivateIp: true,
    },
    hc({ dependsOn: [lbNet] }),
  );
  return lb;
}

/** The admin kubeconfig (secret): deterministic, so it changes only when its inputs do. */
function adminKubeconfig(stack: string, server: pulumi.Output<string>, pki: ClusterPki): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([server, pki.serverCaCertPem, pki.adminCertPem, pki.adminKeyPem])
      .apply(([srv, caCertPem, clientCertPem, clientKeyPem]) =>
        renderKubeconfig({ name: stack, server: srv, caCertPem, clientCertPem, clientKeyPem }),
      ),
  );
}
