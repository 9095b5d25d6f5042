/**
 * The edge (docs/edge.md): a Hetzner load balancer declared here (its address is a stack output
 * to point DNS at, protected on protected stacks) and behind it Envoy Gateway serving the Gateway
 * API. The cloud controller adopts the load balancer by name (`load-balancer.hetzner.cloud/name`
 * on the Envoy Service, set through the EnvoyProxy) and manages only its targets and services.
 *
 *   Gateway API + Envoy Gateway CRDs (gateway-crds-helm, standard channel; helm.v4.Chart, releases.ts crdChart)
 *     ├► Envoy Gateway controller (gateway-helm, its own CRD copy skipped)
 *     └► EnvoyProxy ─► GatewayClass ─► Gateway "edge" ─► ClientTrafficPolicy (PROXY protocol)
 *                                                    ├► HTTPRoute: HTTP → HTTPS redirect
 *                                                    ├► Argo CD's HTTPRoute + SecurityPolicy (admin CIDRs)
 *                                                    └◄ tenants' ListenerSets (components/tenant/edge.ts)
 *
 * The Gateway holds only the platform's listeners; each tenant's HTTPS listeners come in its own
 * ListenerSet (standard channel since Gateway API v1.5), so adding a tenant never changes the
 * Gateway (locality), and each ListenerSet admits routes from its tenant's namespace only.
 */
import * as hcloud from "@pulumi/hcloud";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSite } from "./site-inputs";
import { addressPlan } from "../site/addresses";
import { REGISTRIES } from "../versions";
import { KubeObject } from "./kube-object";
import { CLUSTER_ISSUER, EDGE, GATEWAY_API_GROUP, PLATFORM_NAMESPACES } from "./namespaces";
import { crdChart, k8sOpts, PlatformContext, platformNamespace, release } from "./releases";

const EG_API = "gateway.envoyproxy.io/v1alpha1";
const GW_API = `${GATEWAY_API_GROUP}/v1`;
const EDGE_NS = PLATFORM_NAMESPACES.ingress;

/** The Envoy Service's Hetzner annotations: which load balancer the CCM adopts, and how. */
export interface EdgeServiceArgs {
  /** Name of the Hetzner load balancer the CCM adopts. */
  loadBalancerName: string;
  /** Hetzner location of the load balancer. */
  location: string;
  /** Hetzner load balancer type (lb11, lb21, ...). */
  loadBalancerType: string;
  /** Host name published as the Service's address instead of the IP (see below). */
  hostname: string;
}

/** gateway-crds-helm values: the Gateway API standard channel (pinned by the chart) and Envoy Gateway's own CRDs. */
export function gatewayCrdsValues(): Record<string, unknown> {
  return { crds: { gatewayAPI: { enabled: true, channel: "standard" }, envoyGateway: { enabled: true } } };
}

/** gateway-helm values: the controller only (CRDs come from gatewayCrds), images from the pinned registry. */
export function envoyGatewayValues(): Record<string, unknown> {
  return {
    global: { imageRegistry: REGISTRIES.envoyGateway },
    // The chart's bundled CRD subchart carries the experimental channel; the platform installs
    // the standard channel itself (gatewayCrds), before this release.
    crds: { enabled: false },
  };
}

/**
 * The EnvoyProxy the GatewayClass points at: how Envoy Gateway deploys the proxies and their
 * Service. The Service is the one the hcloud CCM turns into the declared load balancer.
 */
export function envoyProxyManifest(args: EdgeServiceArgs) {
  return {
    apiVersion: EG_API,
    kind: "EnvoyProxy",
    metadata: { name: EDGE.envoyProxy, namespace: EDGE_NS },
    spec: {
      provider: {
        type: "Kubernetes",
        kubernetes: {
          envoyDeployment: { replicas: 2 },
          envoyService: {
            type: "LoadBalancer",
            // The client address travels in the PROXY header, so spreading over every node costs
            // nothing and keeps every node a healthy LB target (Local would mark nodes without a
            // proxy unhealthy).
            externalTrafficPolicy: "Cluster",
            annotations: {
              "load-balancer.hetzner.cloud/name": args.loadBalancerName,
              "load-balancer.hetzner.cloud/location": args.location,
              "load-balancer.hetzner.cloud/type": args.loadBalancerType,
              "load-balancer.hetzner.cloud/use-private-ip": "true",
              "load-balancer.hetzner.cloud/uses-proxyprotocol": "true",
              // With PROXY protocol, kube-proxy must not short-cut in-cluster traffic to the LB's
              // IP straight to Envoy (it would arrive without the PROXY header and be refused,
              // which breaks cert-manager's HTTP-01 self-check): publishing a host name instead of
              // the IP keeps that traffic going through the load balancer.
              "load-balancer.hetzner.cloud/hostname": args.hostname,
            },
          },
        },
      },
    },
  };
}

/** The platform's GatewayClass, served by Envoy Gateway with the edge's EnvoyProxy. */
export function gatewayClassManifest() {
  return {
    apiVersion: GW_API,
    kind: "GatewayClass",
    metadata: { name: EDGE.gatewayClass },
    spec: {
      controllerName: EDGE.controllerName,
      parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: EDGE.envoyProxy, namespace: EDGE_NS },
    },
  };
}

/** Secret of the Argo CD host's certificate (in the edge namespace, where the Gateway reads it). */
export const ARGOCD_TLS_SECRET = "argocd-tls";

/**
 * The platform's Gateway: port 80 for the redirect and the ACME solvers (routes of the edge
 * namespace only), Argo CD's HTTPS host (routes of the argocd namespace only), and ListenerSets
 * from the edge namespace only (the tenants', declared by Pulumi; tenants cannot create them).
 */
export function gatewayManifest(argocdHost: string) {
  const only = (ns: string) => ({ from: "Selector", selector: { matchLabels: { "kubernetes.io/metadata.name": ns } } });
  return {
    apiVersion: GW_API,
    kind: "Gateway",
    metadata: { name: EDGE.gateway, namespace: EDGE_NS },
    spec: {
      gatewayClassName: EDGE.gatewayClass,
      allowedListeners: { namespaces: { from: "Same" } },
      listeners: [
        {
          name: EDGE.httpListener,
          port: 80,
          protocol: "HTTP",
          allowedRoutes: { namespaces: { from: "Same" }, kinds: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute" }] },
        },
        {
          name: EDGE.argocdListener,
          hostname: argocdHost,
          port: 443,
          protocol: "HTTPS",
          tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: ARGOCD_TLS_SECRET }] },
          allowedRoutes: {
            namespaces: only(PLATFORM_NAMESPACES.argocd),
            kinds: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute" }],
          },
        },
      ],
    },
  };
}

/**
 * PROXY protocol on every listener of the Gateway (ListenerSets' included): the Hetzner LB sends
 * the header (`uses-proxyprotocol`), Envoy takes the client address from it, so tenant apps see
 * it in X-Forwarded-For and the admin-CIDR policy judges the real client. Not optional: a
 * connection without the header is refused rather than trusted.
 */
export function proxyProtocolManifest() {
  return {
    apiVersion: EG_API,
    kind: "ClientTrafficPolicy",
    metadata: { name: "edge-proxy-protocol", namespace: EDGE_NS },
    spec: {
      targetRefs: [{ group: GATEWAY_API_GROUP, kind: "Gateway", name: EDGE.gateway }],
      proxyProtocol: {},
    },
  };
}

/** Every plain-HTTP request (but the ACME solvers' more specific ones) is redirected to HTTPS. */
export function httpsRedirectManifest() {
  return {
    apiVersion: GW_API,
    kind: "HTTPRoute",
    metadata: { name: "https-redirect", namespace: EDGE_NS },
    spec: {
      parentRefs: [{ group: GATEWAY_API_GROUP, kind: "Gateway", name: EDGE.gateway, sectionName: EDGE.httpListener }],
      rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
    },
  };
}

/** A certificate the edge serves, from the platform's ClusterIssuer, into a Secret of the edge namespace. */
export function edgeCertificateManifest(name: string, secretName: string, dnsNames: string[]) {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: EDGE_NS },
    spec: {
      secretName,
      dnsNames,
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: CLUSTER_ISSUER },
    },
  };
}

/** Argo CD's route: its host on the platform's argocd listener, to the argocd-server Service (HTTP). */
export function argocdRouteManifest(host: string) {
  return {
    apiVersion: GW_API,
    kind: "HTTPRoute",
    metadata: { name: "argocd-server", namespace: PLATFORM_NAMESPACES.argocd },
    spec: {
      parentRefs: [
        {
          group: GATEWAY_API_GROUP,
          kind: "Gateway",
          namespace: EDGE_NS,
          name: EDGE.gateway,
          sectionName: EDGE.argocdListener,
        },
      ],
      hostnames: [host],
      rules: [{ backendRefs: [{ group: "", kind: "Service", name: "argocd-server", port: 80 }] }],
    },
  };
}

/**
 * Argo CD's UI and API answer the admin CIDRs only (the same ranges SSH and the Kubernetes API
 * admit): Envoy Gateway's SecurityPolicy authorization, by the client address PROXY protocol
 * delivered. Everyone else gets 403 before Argo CD sees the request.
 */
export function argocdAdminOnlyManifest(adminCidrs: readonly string[]) {
  return {
    apiVersion: EG_API,
    kind: "SecurityPolicy",
    metadata: { name: "argocd-admin-cidrs", namespace: PLATFORM_NAMESPACES.argocd },
    spec: {
      targetRefs: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute", name: "argocd-server" }],
      authorization: {
        defaultAction: "Deny",
        rules: [{ name: "admin-cidrs", action: "Allow", principal: { clientCIDRs: [...adminCidrs] } }],
      },
    },
  };
}

export interface EdgeParts {
  namespace: k8s.core.v1.Namespace;
  loadBalancer: hcloud.LoadBalancer;
  loadBalancerNetwork: hcloud.LoadBalancerNetwork;
  /** Installs the Gateway API and Envoy Gateway CRDs: every edge custom resource depends on exactly this. */
  crds: k8s.helm.v4.Chart;
  /** The Envoy Gateway controller. */
  release: k8s.helm.v3.Release;
  gateway: KubeObject;
  /** The load balancer's public IPv4: where DNS for the base domain points. */
  address: pulumi.Output<string>;
  /** The name published on the Service; give it an A record to `address`. */
  hostname: string;
}

export function edge(
  ctx: PlatformContext,
  site: PlatformSite,
  ccm: k8s.helm.v3.Release,
  certManagerInstall: k8s.helm.v3.Release,
): EdgeParts {
  const hostname = `ingress.${ctx.config.platform.baseDomain}`;
  const { loadBalancer, loadBalancerNetwork } = edgeLoadBalancer(ctx, site);

  // A new logical name: the ingress-nginx namespace (platform-ingress-ns) is a different object,
  // deleted with its chart (docs/edge.md, migration).
  const namespace = platformNamespace(ctx, "edge", EDGE_NS);
  // The CRDs as a helm.v4.Chart (no release Secret: this bundle does not fit one; releases.ts
  // crdChart). Same logical name as the helm.v3.Release it was, and no alias: a Release cannot
  // become a component, and no state holds that Release (Helm stores the release record before it
  // creates anything, that store failed, and the provider records nothing for a release it could
  // not store). Sites whose last `up` stopped there: runbook 11, step 6.
  const crds = crdChart(ctx, "gateway-crds", {
    chart: "gatewayCrds",
    releaseName: "gateway-crds",
    namespace: namespace.metadata.name,
    values: gatewayCrdsValues(),
  });
  const rel = release(
    ctx,
    "envoy-gateway",
    {
      chart: "envoyGateway",
      releaseName: "envoy-gateway",
      namespace: namespace.metadata.name,
      values: envoyGatewayValues(),
      skipCrds: true,
    },
    { dependsOn: [crds, ccm] },
  );
  const gateway = edgeObjects(ctx, { crds, loadBalancerNetwork, certManagerInstall, hostname });

  return {
    namespace,
    loadBalancer,
    loadBalancerNetwork,
    crds,
    release: rel,
    gateway,
    address: loadBalancer.ipv4,
    hostname,
  };
}

/** The Hetzner load balancer in front of the edge, attached to the site's network. */
function edgeLoadBalancer(
  ctx: PlatformContext,
  site: PlatformSite,
): { loadBalancer: hcloud.LoadBalancer; loadBalancerNetwork: hcloud.LoadBalancerNetwork } {
  const { config } = ctx;
  // Same logical name, Hetzner name and labels as under ingress-nginx: the address DNS points at
  // stays when the edge behind it changes.
  const loadBalancer = new hcloud.LoadBalancer(
    `${ctx.name}-ingress-lb`,
    {
      name: `${config.stack}-ingress`,
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
  return { loadBalancer, loadBalancerNetwork };
}

/**
 * The edge's custom resources (proxy, class, Gateway, PROXY protocol, HTTPS redirect, Argo CD's
 * certificate): each depends on exactly the chart or release that installs its CRD. Returns the Gateway.
 */
function edgeObjects(
  ctx: PlatformContext,
  deps: {
    crds: k8s.helm.v4.Chart;
    loadBalancerNetwork: hcloud.LoadBalancerNetwork;
    certManagerInstall: k8s.helm.v3.Release;
    hostname: string;
  },
): KubeObject {
  const { config } = ctx;
  const argocdHost = `argocd.${config.platform.baseDomain}`;
  const onCrds = k8sOpts(ctx, { dependsOn: [deps.crds] });
  new KubeObject(
    `${ctx.name}-edge-proxy`,
    envoyProxyManifest({
      loadBalancerName: `${config.stack}-ingress`,
      location: config.site.location,
      loadBalancerType: config.site.loadBalancerType,
      hostname: deps.hostname,
    }),
    onCrds,
  );
  new KubeObject(`${ctx.name}-gateway-class`, gatewayClassManifest(), onCrds);
  // The Gateway makes Envoy Gateway create the LoadBalancer Service: the network attachment first.
  const gateway = new KubeObject(
    `${ctx.name}-gateway`,
    gatewayManifest(argocdHost),
    k8sOpts(ctx, { dependsOn: [deps.crds, deps.loadBalancerNetwork] }),
  );
  new KubeObject(`${ctx.name}-edge-proxy-protocol`, proxyProtocolManifest(), onCrds);
  new KubeObject(`${ctx.name}-https-redirect`, httpsRedirectManifest(), onCrds);
  new KubeObject(
    `${ctx.name}-argocd-cert`,
    edgeCertificateManifest("argocd", ARGOCD_TLS_SECRET, [argocdHost]),
    k8sOpts(ctx, { dependsOn: [deps.certManagerInstall] }),
  );
  return gateway;
}

/**
 * Argo CD behind the edge: its route and the admin-CIDR policy, in Argo CD's namespace (after
 * it: `argocdNamespace`) and after the edge's CRDs.
 */
export function argocdEdge(ctx: PlatformContext, parts: EdgeParts, argocdNamespace: k8s.core.v1.Namespace): void {
  const argocdHost = `argocd.${ctx.config.platform.baseDomain}`;
  const opts = k8sOpts(ctx, { dependsOn: [parts.crds, argocdNamespace] });
  new KubeObject(`${ctx.name}-argocd-route`, argocdRouteManifest(argocdHost), opts);
  new KubeObject(`${ctx.name}-argocd-admin-only`, argocdAdminOnlyManifest(ctx.config.site.adminCidrs), opts);
}
