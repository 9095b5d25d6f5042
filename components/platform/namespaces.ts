/**
 * Namespaces the platform owns; tenant names may not take them, and tenant network policies
 * name them (traffic from the edge's proxies). Values are Kubernetes namespace names.
 */
export const PLATFORM_NAMESPACES = {
  /** The platform's Argo CD: the platform project and its root application only. */
  argocd: "argocd",
  /** The tenant-facing Argo CD: every tenant AppProject and Application (docs/tenant-isolation.md §1). */
  argocdTenants: "argocd-tenants",
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

/**
 * The two Argo CD instances (docs/tenant-isolation.md §1), each a release of the argo-cd chart in
 * its own namespace with its own repo-server, Redis and application controller. The platform's
 * syncs the platform repository as cluster-admin; the tenants' renders tenant repositories and may
 * act only as the tenants' sync ServiceAccounts, in tenant namespaces.
 */
export const ARGOCD_INSTANCES = {
  platform: { namespace: PLATFORM_NAMESPACES.argocd, release: "argocd" },
  tenants: { namespace: PLATFORM_NAMESPACES.argocdTenants, release: "argocd-tenants" },
} as const;
export type ArgocdInstance = (typeof ARGOCD_INSTANCES)[keyof typeof ARGOCD_INSTANCES];

/**
 * What the argo-cd chart names an instance's parts (argo-helm charts/argo-cd/templates/_helpers.tpl
 * at 10.1.1: the full name is the release name when that contains "argocd", components are
 * `<full name>-<component>`; pods carry `app.kubernetes.io/name: argocd-<component>` and
 * `app.kubernetes.io/instance: <release>`).
 */
export const argocdNames = (release: string) => ({
  controllerServiceAccount: `${release}-application-controller`,
  podLabels: (component: ArgocdComponent) => ({
    "app.kubernetes.io/name": `argocd-${component}`,
    "app.kubernetes.io/instance": release,
  }),
});
/**
 * How the tenant Argo CD reaches into a tenant namespace (components/tenant/gitops.ts): the
 * ClusterRole each tenant namespace binds its controller to, the RoleBinding that does, and the
 * controller's ServiceAccount (the chart's name for it).
 */
export const TENANT_ARGOCD = {
  controllerRole: "platform-tenant-argocd-controller",
  controllerBinding: "argocd-tenants-controller",
  controller: {
    name: argocdNames(ARGOCD_INSTANCES.tenants.release).controllerServiceAccount,
    namespace: ARGOCD_INSTANCES.tenants.namespace,
  },
} as const;

/** The chart's component names (values `<component>.name`), as its pod labels carry them. */
export type ArgocdComponent =
  | "application-controller"
  | "repo-server"
  | "redis"
  | "server"
  | "applicationset-controller"
  | "notifications-controller"
  | "redis-secret-init";

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
