import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import { NETWORK_ZONE } from "./catalog";

export interface SiteArgs {
  /** The validated stack configuration (site, k3s, secrets, protected). */
  config: StackConfig;
}

/** A node's addresses, for outputs and runbooks. */
export interface NodeAddresses {
  name: string;
  publicIpv4: pulumi.Output<string>;
  privateIp: string;
}

/**
 * One site: Hetzner network, firewall, servers and the k3s bootstrap.
 * SKELETON (issue 4 completes it): the public fields below are the contract the platform,
 * outputs and tests build on.
 */
export class Site extends pulumi.ComponentResource {
  /** The private network every server is attached to. */
  public readonly network: hcloud.Network;
  /** Numeric id of the private network (for the cloud controller and load balancers). */
  public readonly networkId: pulumi.Output<number>;
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

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:site:Site", name, {}, opts);
    const { site } = args.config;
    this.network = new hcloud.Network(
      `${name}-net`,
      { name: `${args.config.stack}-net`, ipRange: site.networkCidr },
      { parent: this, protect: args.config.protected },
    );
    this.networkId = this.network.id.apply(Number);
    new hcloud.NetworkSubnet(
      `${name}-subnet`,
      { networkId: this.networkId, type: "cloud", networkZone: NETWORK_ZONE[site.location], ipRange: site.networkCidr },
      { parent: this },
    );
    this.apiEndpoint = pulumi.output("https://192.0.2.1:6443");
    this.clusterCaCertPem = pulumi.output("");
    this.kubeconfig = pulumi.secret("");
    this.controlPlanes = [];
    this.workers = [];
    this.servers = [];
    this.registerOutputs({ apiEndpoint: this.apiEndpoint });
  }
}
