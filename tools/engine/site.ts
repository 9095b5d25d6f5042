/**
 * The site in the engine tests: no Hetzner servers, so what the Site component would hand the
 * platform comes from the local control plane (tools/cluster/controlplane.ts): its API endpoint,
 * CA and admin kubeconfig. The Hetzner ids the platform names are fixed stand-ins, its Hetzner
 * provider is served by the hcloud stand-in (standins/providers.ts), and autoscaled pools keep the
 * node groups the stack file plans (components/site/autoscale.ts) with stand-in cloud-init.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import type { StackConfig } from "../../components/config/load";
import type { PlatformSite } from "../../components/platform";
import { planNodeGroups } from "../../components/site/autoscale";

/** What the local control plane gives the site: its API and the admin credentials. */
export interface LocalCluster {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Path of the cluster CA's PEM. */
  caFile: string;
  /** Path of the admin kubeconfig (embedded credentials). */
  kubeconfigFile: string;
}

/** Hetzner ids the platform's objects name; nothing at Hetzner has them. */
export const STAND_IN_IDS = { network: "1000001", firewall: "1000002", sshKey: "1000003" } as const;

/** The site's outputs for the platform, declared inside the engine program (it creates the provider). */
export function localSite(config: StackConfig, cluster: LocalCluster): PlatformSite {
  const groups = planNodeGroups(config.stack, config.site);
  const id = (v: string) => ({ id: pulumi.output(v) as pulumi.Output<pulumi.ID> });
  return {
    apiEndpoint: pulumi.output(cluster.server),
    clusterCaCertPem: pulumi.output(readFileSync(cluster.caFile, "utf8")),
    kubeconfig: pulumi.secret(readFileSync(cluster.kubeconfigFile, "utf8")),
    servers: [],
    hcloudProvider: new hcloud.Provider("site-hcloud", { token: config.secrets.hcloudToken }),
    networkId: pulumi.output(Number(STAND_IN_IDS.network)),
    network: id(STAND_IN_IDS.network),
    firewall: id(STAND_IN_IDS.firewall),
    sshKey: id(STAND_IN_IDS.sshKey),
    nodeGroups: {
      groups,
      cloudInit: pulumi.secret(
        Object.fromEntries(groups.map((g) => [g.id, `#cloud-config\n# engine-test stand-in for ${g.id}\n`])),
      ),
      placementGroups: [],
    },
  };
}
