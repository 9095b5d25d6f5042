/**
 * The site's side of autoscaled pools: the empty spread placement group each node group's servers
 * join (where Hetzner allows one), and the node groups' cloud-init, rendered by the same function
 * as Pulumi's workers. No server is declared here: the cluster-autoscaler creates them
 * (components/platform/autoscaler.ts), and Pulumi state never lists them.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../config/schema";
import { planNodeGroups, type NodeGroupSpec } from "./autoscale";
import { renderAgentCloudInit } from "./cloudinit";
import type { ClusterSettings } from "./k3s";
import { LABELS } from "./nodes";

/** What the platform needs to run the autoscaler for a site's node groups. */
export interface SiteNodeGroups {
  /** The autoscaled pools' groups, plain data (bounds, server type, labels, taints). */
  groups: NodeGroupSpec[];
  /** Rendered cloud-init per node group id (secret: it carries the agent join token). */
  cloudInit: pulumi.Output<Record<string, string>>;
  /** The groups' placement groups (max <= 10 only): the autoscaler refuses to start without them. */
  placementGroups: hcloud.PlacementGroup[];
}

export function declareNodeGroups(
  name: string,
  args: { stack: string; site: SiteConfig; cluster: ClusterSettings; agentToken: pulumi.Output<string> },
  opts: pulumi.CustomResourceOptions,
): SiteNodeGroups {
  const groups = planNodeGroups(args.stack, args.site);
  const placementGroups: hcloud.PlacementGroup[] = [];
  for (const g of groups) {
    if (!g.placementGroup) continue;
    // Empty when created; the autoscaler puts its servers in it. Its `servers` attribute is
    // computed (never an input here), so the servers it lists are not drift (docs/autoscaling.md).
    const pg = new hcloud.PlacementGroup(
      `${name}-pg-${g.pool}-autoscaled`,
      {
        name: g.placementGroup,
        type: "spread",
        labels: { [LABELS.site]: args.stack, [LABELS.role]: "worker", [LABELS.pool]: g.pool },
      },
      opts,
    );
    placementGroups.push(pg);
  }
  const cloudInit = pulumi.secret(
    args.agentToken.apply((token) =>
      Object.fromEntries(groups.map((g) => [g.id, renderAgentCloudInit(args.cluster, g.template, token)])),
    ),
  );
  return { groups, cloudInit, placementGroups };
}
