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

/** The cluster the platform runs in, as Argo CD names it (destinations of every Application). */
export const IN_CLUSTER = "https://kubernetes.default.svc";
