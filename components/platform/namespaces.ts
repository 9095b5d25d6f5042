/**
 * Namespaces the platform owns; tenant names may not take them, and tenant network policies
 * name them (traffic from the edge's proxies). Values are Kubernetes namespace names.
 */
export const PLATFORM_NAMESPACES = {
  argocd: "argocd",
  /**
   * The edge (docs/edge.md): Envoy Gateway's controller, the Envoy proxies it runs for the
   * platform Gateway (same namespace by default), the Gateway, the tenants' ListenerSets and
   * every certificate the edge serves. The key keeps its name: it is "where traffic comes in from".
   */
  ingress: "envoy-gateway-system",
  certManager: "cert-manager",
  sealedSecrets: "sealed-secrets",
  hcloud: "kube-system",
} as const;

/** The Argo CD project of the platform's own root application (tenant projects must not take it). */
export const PLATFORM_ARGOCD_PROJECT = "platform";

/** The ClusterIssuer every certificate of the edge comes from, on every site (staging's is ACME staging). */
export const CLUSTER_ISSUER = "letsencrypt";

/** The default StorageClass (hcloud volumes), same name as the CSI chart's so manifests port. */
export const STORAGE_CLASS = "hcloud-volumes";

/**
 * Names of the edge's objects (components/platform/edge.ts). Plain data: the rules (admission
 * policies, plan checks) and the tenant manifests name them too, without the SDK.
 */
export const EDGE = {
  /** The GatewayClass the platform owns (cluster-scoped), served by Envoy Gateway. */
  gatewayClass: "platform",
  /** Envoy Gateway's controller name, which GatewayClass.spec.controllerName must carry. */
  controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
  /** The one Gateway (in the edge namespace) behind the Hetzner load balancer. */
  gateway: "edge",
  /** Its EnvoyProxy (Service type, annotations, replicas), named by the GatewayClass. */
  envoyProxy: "edge",
  /** Port-80 listener: the HTTPS redirect and the ACME HTTP-01 solvers, platform routes only. */
  httpListener: "http",
  /** The platform's HTTPS listener for Argo CD (argocd.<baseDomain>). */
  argocdListener: "argocd",
} as const;

/** The Gateway API group (routes' parentRefs, ListenerSets, policy targets). */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/**
 * The edge proxy's pods: the only pods outside a tenant's namespace that may open connections to
 * its pods (tenant NetworkPolicy, TEN-NET-002). Selected by pod labels, not the whole namespace:
 * anything else that runs there (the Envoy Gateway controller, a debug pod) gets no path in.
 * Envoy Gateway labels the proxy pods it creates for a Gateway with these (checked in the
 * envoyproxy/gateway v1.9.1 source, internal/infrastructure/kubernetes/proxy).
 */
export const EDGE_PROXY = {
  namespace: PLATFORM_NAMESPACES.ingress,
  podLabels: {
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
  },
} as const;

/** The cluster the platform runs in, as Argo CD names it (destinations of every Application). */
export const IN_CLUSTER = "https://kubernetes.default.svc";
