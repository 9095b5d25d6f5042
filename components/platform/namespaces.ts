/**
 * Namespaces the platform owns; tenant names may not take them, and tenant network policies
 * name them (traffic from the ingress controller). Values are Kubernetes namespace names.
 */
export const PLATFORM_NAMESPACES = {
  argocd: "argocd",
  ingress: "ingress-nginx",
  certManager: "cert-manager",
  sealedSecrets: "sealed-secrets",
  hcloud: "kube-system",
} as const;

/** The Argo CD project of the platform's own root application (tenant projects must not take it). */
export const PLATFORM_ARGOCD_PROJECT = "platform";

/** The ClusterIssuer tenants' Ingresses name in `cert-manager.io/cluster-issuer`, on every site. */
export const CLUSTER_ISSUER = "letsencrypt";

/** The default StorageClass (hcloud volumes), same name as the CSI chart's so manifests port. */
export const STORAGE_CLASS = "hcloud-volumes";

/** The IngressClass ingress-nginx serves; tenants' Ingresses set `ingressClassName` to it. */
export const INGRESS_CLASS = "nginx";

/**
 * The edge proxy's pods: the only pods outside a tenant's namespace that may open connections to
 * its pods (tenant NetworkPolicy, TEN-NET-002). Selected by pod labels, not the whole namespace:
 * anything else that runs there (a webhook, a debug pod) gets no path in. The one place to change
 * when the edge changes: ingress-nginx's chart labels its controller pods with its selector labels
 * and component "controller"; Envoy Gateway's proxy pods carry app.kubernetes.io/name: envoy,
 * app.kubernetes.io/component: proxy, app.kubernetes.io/managed-by: envoy-gateway.
 */
export const EDGE_PROXY = {
  namespace: PLATFORM_NAMESPACES.ingress,
  podLabels: {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/instance": "ingress-nginx",
    "app.kubernetes.io/component": "controller",
  },
} as const;
