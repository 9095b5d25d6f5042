/**
 * The ingress edge: a Hetzner load balancer declared here (so its address is a stack output to
 * point DNS at, and it is protected on protected stacks) and ingress-nginx behind it. The cloud
 * controller adopts the load balancer by name (`load-balancer.hetzner.cloud/name`) and manages
 * only its targets and services.
 */
import * as hcloud from "@pulumi/hcloud";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Site } from "../site";
import { addressPlan } from "../site/addresses";
import { REGISTRIES } from "../versions";
import { INGRESS_CLASS, PLATFORM_NAMESPACES } from "./namespaces";
import { PlatformContext, platformNamespace, release } from "./releases";

export interface IngressValuesArgs {
  /** Name of the Hetzner load balancer the CCM adopts. */
  loadBalancerName: string;
  /** Hetzner location of the load balancer. */
  location: string;
  /** Hetzner load balancer type (lb11, lb21, ...). */
  loadBalancerType: string;
  /** Host name published as the Service's address instead of the IP (see below). */
  hostname: string;
}

/** ingress-nginx values: behind the Hetzner LB over the private network, with PROXY protocol. */
export function ingressNginxValues(args: IngressValuesArgs): Record<string, unknown> {
  return {
    global: { image: { registry: REGISTRIES.ingressNginx } },
    controller: {
      replicaCount: 2,
      ingressClassResource: { name: INGRESS_CLASS, enabled: true, default: true },
      // Tenants write Ingresses: no configuration snippets (they run as nginx config, a known
      // privilege escalation path across namespaces).
      allowSnippetAnnotations: false,
      // The LB speaks PROXY protocol so tenants see client addresses; nginx must expect it.
      config: { "use-proxy-protocol": "true" },
      service: {
        type: "LoadBalancer",
        annotations: {
          "load-balancer.hetzner.cloud/name": args.loadBalancerName,
          "load-balancer.hetzner.cloud/location": args.location,
          "load-balancer.hetzner.cloud/type": args.loadBalancerType,
          "load-balancer.hetzner.cloud/use-private-ip": "true",
          "load-balancer.hetzner.cloud/uses-proxyprotocol": "true",
          // With PROXY protocol, kube-proxy must not short-cut in-cluster traffic to the LB's IP
          // straight to nginx (it would arrive without the PROXY header and be rejected, which
          // breaks cert-manager's HTTP-01 self-check): publishing a host name instead of the IP
          // keeps that traffic going through the load balancer.
          "load-balancer.hetzner.cloud/hostname": args.hostname,
        },
      },
    },
  };
}

export interface IngressParts {
  namespace: k8s.core.v1.Namespace;
  loadBalancer: hcloud.LoadBalancer;
  loadBalancerNetwork: hcloud.LoadBalancerNetwork;
  release: k8s.helm.v3.Release;
  /** The load balancer's public IPv4: where DNS for the base domain points. */
  address: pulumi.Output<string>;
  /** The name published on the Service; give it an A record to `address`. */
  hostname: string;
}

export function ingress(ctx: PlatformContext, site: Site, ccm: k8s.helm.v3.Release): IngressParts {
  const { config } = ctx;
  const loadBalancerName = `${config.stack}-ingress`;
  const hostname = `ingress.${config.platform.baseDomain}`;

  const loadBalancer = new hcloud.LoadBalancer(
    `${ctx.name}-ingress-lb`,
    {
      name: loadBalancerName,
      loadBalancerType: config.site.loadBalancerType,
      location: config.site.location,
      labels: { "platform.video/site": config.stack, "platform.video/role": "ingress" },
      // The CCM deletes a load balancer whose Service goes away unless it is delete-protected;
      // on protected stacks the address DNS points at must survive a chart mishap.
      deleteProtection: config.protected,
    },
    // Targets are the CCM's to manage (nodes come and go); Pulumi must not reset them. Same
    // Hetzner provider (token) as the site's resources.
    { parent: ctx.parent, provider: site.hcloudProvider, protect: config.protected, ignoreChanges: ["targets"] },
  );

  // Attached by Pulumi, at the address the site's plan reserves for it, before the CCM sees the
  // Service (which would otherwise attach it at whatever address is free). After the servers,
  // whose fixed private addresses must not be taken first.
  const loadBalancerNetwork = new hcloud.LoadBalancerNetwork(
    `${ctx.name}-ingress-lb-net`,
    {
      loadBalancerId: loadBalancer.id.apply(Number),
      networkId: site.networkId,
      ip: addressPlan(config.site.networkCidr).ingressLoadBalancer,
      enablePublicInterface: true,
    },
    { parent: ctx.parent, provider: site.hcloudProvider, dependsOn: site.servers },
  );

  const namespace = platformNamespace(ctx, "ingress", PLATFORM_NAMESPACES.ingress);
  const rel = release(
    ctx,
    "ingress-nginx",
    {
      chart: "ingressNginx",
      releaseName: "ingress-nginx",
      namespace: namespace.metadata.name,
      values: ingressNginxValues({
        loadBalancerName,
        location: config.site.location,
        loadBalancerType: config.site.loadBalancerType,
        hostname,
      }),
    },
    // Helm waits for the Service to get its address, which the CCM gives it once it runs.
    { dependsOn: [ccm, loadBalancerNetwork] },
  );

  return { namespace, loadBalancer, loadBalancerNetwork, release: rel, address: loadBalancer.ipv4, hostname };
}
