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
import { API_PORT, LABELS, planSite } from "./nodes";
import { declareNodeGroups, type SiteNodeGroups } from "./node-groups";
import { createClusterPki } from "./pki";

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

/** Firewall rules, as data the tests read: who may reach what from where. */
export function firewallRules(adminCidrs: string[]): hcloud.types.input.FirewallRule[] {
  const world = ["0.0.0.0/0", "::/0"];
  return [
    { direction: "in", protocol: "tcp", port: "22", sourceIps: [...adminCidrs], description: "SSH from admins" },
    {
      direction: "in",
      protocol: "tcp",
      port: String(API_PORT),
      sourceIps: [...adminCidrs],
      description: "Kubernetes API from admins",
    },
    { direction: "in", protocol: "tcp", port: "80", sourceIps: world, description: "HTTP (ACME, redirects)" },
    { direction: "in", protocol: "tcp", port: "443", sourceIps: world, description: "HTTPS" },
  ];
}

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
  /** Break-glass SSH private key (secret) installed on every server besides the admins' keys. */
  public readonly breakGlassSshPrivateKey: pulumi.Output<string>;
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

    const protect = config.protected;
    this.hcloudProvider = new hcloud.Provider(
      `${name}-hcloud`,
      { token: config.secrets.hcloudToken },
      { parent: this },
    );
    const provider = this.hcloudProvider;
    const hc = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
      parent: this,
      provider,
      ...extra,
    });

    // --- network ---------------------------------------------------------------------------
    this.network = new hcloud.Network(
      `${name}-net`,
      { name: `${stack}-net`, ipRange: site.networkCidr, labels: { [LABELS.site]: stack } },
      hc({ protect }),
    );
    this.networkId = this.network.id.apply(Number);
    this.subnet = new hcloud.NetworkSubnet(
      `${name}-subnet`,
      { networkId: this.networkId, type: "cloud", networkZone: NETWORK_ZONE[site.location], ipRange: site.networkCidr },
      hc({ protect }),
    );

    // --- firewall (see the class comment for what it does not cover) -----------------------
    this.firewall = new hcloud.Firewall(
      `${name}-fw`,
      { name: `${stack}-nodes`, rules: firewallRules(site.adminCidrs), labels: { [LABELS.site]: stack } },
      hc(),
    );
    const firewallId = this.firewall.id.apply(Number);

    // --- SSH ---------------------------------------------------------------------------------
    // Admin keys from config go in through cloud-init: Hetzner refuses a second SSH key with the
    // same fingerprint in a project, so registering them would stop staging and prod from sharing
    // one. Hetzner still needs one registered key per server, or it sets and e-mails a root
    // password: a key of this stack's own, whose private half stays in state as break-glass.
    const breakGlassKey = new tls.PrivateKey(`${name}-ssh-breakglass-key`, { algorithm: "ED25519" }, { parent: this });
    this.breakGlassSshPrivateKey = pulumi.secret(breakGlassKey.privateKeyOpenssh);
    const sshKey = new hcloud.SshKey(
      `${name}-ssh-breakglass`,
      { name: `${stack}-breakglass`, publicKey: breakGlassKey.publicKeyOpenssh, labels: { [LABELS.site]: stack } },
      hc(),
    );

    // --- placement groups: spread, per role and per 10 workers of a pool ---------------------
    const placementGroups = new Map<string, pulumi.Output<number>>();
    for (const pg of plan.placementGroups) {
      const group = new hcloud.PlacementGroup(
        `${name}-pg-${pg.key}`,
        {
          name: pg.name,
          type: "spread",
          labels: { [LABELS.site]: stack, [LABELS.role]: pg.role, ...(pg.pool ? { [LABELS.pool]: pg.pool } : {}) },
        },
        hc(),
      );
      placementGroups.set(pg.key, group.id.apply(Number));
    }

    // --- cluster PKI and secrets -------------------------------------------------------------
    const pki = createClusterPki(name, stack, this);
    this.clusterCaCertPem = pki.serverCaCertPem;
    const agentToken = pulumi.secret(config.secrets.k3sToken.apply(deriveAgentToken));
    const serverSecrets: pulumi.Output<NodeSecrets> = pulumi.secret(
      pulumi
        .all([config.secrets.k3sToken, agentToken, config.secrets.etcdS3AccessKey, config.secrets.etcdS3SecretKey])
        .apply(([token, agent, accessKey, secretKey]) => ({
          token,
          agentToken: agent,
          etcdS3AccessKey: accessKey,
          etcdS3SecretKey: secretKey,
        })),
    );

    // --- servers -------------------------------------------------------------------------------
    const serverOpts = hc({
      protect,
      dependsOn: [this.subnet], // Hetzner attaches a server only to a network that has a subnet
      // Hetzner replaces a server when user-data, SSH keys or image change
      // (hetznercloud/terraform-provider-hcloud#338, #372): a live node is never rebuilt for
      // that. New servers get the new values; existing ones are upgraded in place (README,
      // "Upgrading k3s").
      ignoreChanges: ["userData", "sshKeys", "image"],
    });
    const poolType = (pool?: string) => {
      const found = site.workerPools.find((p) => p.name === pool);
      if (!found) throw new Error(`site: unknown pool ${pool}`);
      return found.serverType;
    };
    const declareServer = (spec: NodeSpec, userData: pulumi.Output<string>, primaryIpv4?: pulumi.Output<number>) =>
      new hcloud.Server(
        spec.role === "server" ? `${name}-${spec.key}` : `${name}-worker-${spec.key}`,
        {
          name: spec.name,
          serverType: spec.role === "server" ? site.controlPlane.serverType : poolType(spec.pool),
          image: site.image,
          location: site.location,
          labels: plan.serverLabels(spec),
          sshKeys: [sshKey.id],
          firewallIds: [firewallId],
          placementGroupId: placementGroups.get(plan.placementGroupOf(spec)),
          networks: [{ networkId: this.networkId, ip: spec.privateIp }],
          publicNets: [{ ipv4Enabled: true, ...(primaryIpv4 ? { ipv4: primaryIpv4 } : {}), ipv6Enabled: true }],
          userData,
          // Lets k3s stop cleanly (etcd leaves, pods get SIGTERM) before a server is deleted.
          shutdownBeforeDeletion: true,
        },
        serverOpts,
      );

    this.nodes = [];
    this.controlPlanes = plan.controlPlanes.map((spec) => {
      // A primary IP created before the server: its address goes into the server's certificate
      // (tls-san) and the kubeconfig, and survives a rebuild of the server.
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
          .all([serverSecrets, sans, spec.init ? pki.pems : pulumi.output(undefined)])
          .apply(([secrets, tlsSans, pems]) =>
            renderCloudInit({ cluster: plan.cluster, node: spec, secrets, tlsSans, pki: pems ?? undefined }),
          ),
      );
      const server = declareServer(spec, userData, ip.id.apply(Number));
      this.nodes.push({ spec, server, userData });
      return { name: spec.name, publicIpv4: ip.ipAddress, privateIp: spec.privateIp };
    });
    this.workers = plan.workers.map((spec) => {
      const userData = pulumi.secret(agentToken.apply((token) => renderAgentCloudInit(plan.cluster, spec, token)));
      const server = declareServer(spec, userData);
      this.nodes.push({ spec, server, userData });
      return { name: spec.name, publicIpv4: server.ipv4Address, privateIp: spec.privateIp, pool: spec.pool };
    });
    this.servers = this.nodes.map((n) => n.server);
    this.sshKey = sshKey;
    this.nodeGroups = declareNodeGroups(name, { stack, site, cluster: plan.cluster, agentToken }, hc());

    // --- API load balancer (HA): private only, see the class comment ---------------------------
    if (plan.cluster.ha) {
      const lb = new hcloud.LoadBalancer(
        `${name}-api-lb`,
        {
          name: `${stack}-api`,
          loadBalancerType: site.loadBalancerType,
          location: site.location,
          labels: { [LABELS.site]: stack },
        },
        hc({ protect }),
      );
      const lbId = lb.id.apply(Number);
      const lbNet = new hcloud.LoadBalancerNetwork(
        `${name}-api-lb-net`,
        {
          loadBalancerId: lbId,
          subnetId: this.subnet.id,
          ip: plan.addresses.apiLoadBalancer,
          enablePublicInterface: false,
        },
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
      this.apiLoadBalancer = lb;
    }

    // --- what the rest of the program uses ----------------------------------------------------
    this.apiEndpoint = pulumi.interpolate`https://${this.controlPlanes[0].publicIpv4}:${API_PORT}`;
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.apiEndpoint, pki.serverCaCertPem, pki.adminCertPem, pki.adminKeyPem])
        .apply(([server, caCertPem, clientCertPem, clientKeyPem]) =>
          renderKubeconfig({ name: stack, server, caCertPem, clientCertPem, clientKeyPem }),
        ),
    );
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
