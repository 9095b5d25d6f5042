/**
 * Every chart and image the platform installs, pinned in one place so an upgrade is a one-line
 * reviewed change. A stack may override a chart version (`platform.charts.<name>.version`) to try
 * an upgrade on staging first.
 */
export const DEFAULT_VERSIONS = {
  charts: {
    hcloudCcm: { repo: "https://charts.hetzner.cloud", chart: "hcloud-cloud-controller-manager", version: "1.26.0" },
    hcloudCsi: { repo: "https://charts.hetzner.cloud", chart: "hcloud-csi", version: "2.16.0" },
    ingressNginx: { repo: "https://kubernetes.github.io/ingress-nginx", chart: "ingress-nginx", version: "4.13.0" },
    certManager: { repo: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.18.2" },
    sealedSecrets: {
      repo: "https://bitnami-labs.github.io/sealed-secrets",
      chart: "sealed-secrets",
      version: "2.17.3",
    },
    argocd: { repo: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "8.1.3" },
  },
  /** Registries images are pulled from (charts' defaults point at these). */
  registries: {
    argocd: "quay.io",
    ingressNginx: "registry.k8s.io",
    certManager: "quay.io",
    sealedSecrets: "docker.io",
    hcloud: "docker.io",
  },
} as const;

export type ChartName = keyof typeof DEFAULT_VERSIONS.charts;
