import type { Site } from "../site";

/**
 * What the platform reads from the site: its API, CA and kubeconfig, the servers the readiness gate
 * waits after, and the Hetzner ids and node groups the load balancer and the autoscaler name. The
 * Site component is one; the engine tests (tools/engine/site.ts) give a local control plane's.
 */
export type PlatformSite = Pick<
  Site,
  "apiEndpoint" | "clusterCaCertPem" | "kubeconfig" | "servers" | "hcloudProvider" | "networkId" | "nodeGroups"
> & {
  /** The private network (its id names it to the autoscaler). */
  network: Pick<Site["network"], "id">;
  /** The servers' firewall (its id names it to the autoscaler). */
  firewall: Pick<Site["firewall"], "id">;
  /** The break-glass SSH key (its id names it to the autoscaler). */
  sshKey: Pick<Site["sshKey"], "id">;
};
