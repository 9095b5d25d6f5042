/**
 * Every chart and image registry the platform installs, pinned in one place so an upgrade is a
 * one-line reviewed change. A stack may override a chart version (`platform.charts.<name>.version`
 * in its stack file) to try an upgrade on staging first; `chartPin()` resolves the two.
 *
 * Image tags are not repeated here: each chart pins its own images to its appVersion, so the
 * chart version pins the images too. What the platform does set is the registry every image
 * comes from (`REGISTRIES`), passed into each chart's values, so moving to a mirror is one line.
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
  /**
   * Registries images are pulled from, each wired into the chart values that choose it
   * (components/platform/*.ts). These are the charts' own defaults at the versions above.
   */
  registries: {
    /** hcloud-cloud-controller-manager and hcloud-csi-driver images (hetznercloud/*). */
    hcloud: "docker.io",
    /** The CSI sidecars the hcloud-csi chart runs (sig-storage/csi-attacher, -provisioner, ...). */
    csiSidecars: "registry.k8s.io",
    /** ingress-nginx controller and its admission webhook certgen (ingress-nginx/*). */
    ingressNginx: "registry.k8s.io",
    /** cert-manager controller, webhook, cainjector, acmesolver, startupapicheck (jetstack/*). */
    certManager: "quay.io",
    /** The Sealed Secrets controller (bitnami/sealed-secrets-controller). */
    sealedSecrets: "docker.io",
    /** Every Argo CD component (argoproj/argocd). */
    argocd: "quay.io",
    /** Argo CD's Redis (the Docker library image, as the argo-cd chart mirrors it on ECR Public). */
    redis: "ecr-public.aws.com",
  },
} as const;

export type ChartName = keyof typeof DEFAULT_VERSIONS.charts;
export const REGISTRIES = DEFAULT_VERSIONS.registries;

/** Where a chart comes from and which exact version a stack installs. */
export interface ChartPin {
  repo: string;
  chart: string;
  version: string;
}

/** The chart a stack installs: the default pin, or the stack's `platform.charts.<name>` override. */
export function chartPin(name: ChartName, overrides: Partial<Record<ChartName, { version: string }>> = {}): ChartPin {
  const d = DEFAULT_VERSIONS.charts[name];
  return { repo: d.repo, chart: d.chart, version: overrides[name]?.version ?? d.version };
}

/**
 * The CustomResourceDefinitions the platform's charts install, taken for the local API server
 * (`npm run cluster`, docs/cluster-tests.md) from each project's own Go module at the app version
 * its chart ships (the module proxy serves every tagged release; no chart repository is reachable
 * from CI). `files` are paths inside the module; `helmTemplate` marks copies that are chart
 * templates whose few `{{ }}` guards tools/cluster/crds.ts renders deterministically.
 * Checked against the Go module proxy on 2026-11-30.
 */
export const CRD_SOURCES = {
  argocd: {
    module: "github.com/argoproj/argo-cd/v3",
    version: "v3.6.1",
    files: [
      "manifests/crds/application-crd.yaml",
      "manifests/crds/applicationset-crd.yaml",
      "manifests/crds/appproject-crd.yaml",
    ],
    helmTemplate: false,
  },
  certManager: {
    module: "github.com/cert-manager/cert-manager",
    version: "v1.21.2",
    // The chart's templates, not deploy/crds (whose README says that copy "might be incomplete").
    files: [
      "deploy/charts/cert-manager/templates/crd-acme.cert-manager.io_challenges.yaml",
      "deploy/charts/cert-manager/templates/crd-acme.cert-manager.io_orders.yaml",
      "deploy/charts/cert-manager/templates/crd-cert-manager.io_certificaterequests.yaml",
      "deploy/charts/cert-manager/templates/crd-cert-manager.io_certificates.yaml",
      "deploy/charts/cert-manager/templates/crd-cert-manager.io_clusterissuers.yaml",
      "deploy/charts/cert-manager/templates/crd-cert-manager.io_issuers.yaml",
    ],
    helmTemplate: true,
  },
  gatewayApi: {
    module: "sigs.k8s.io/gateway-api",
    version: "v1.6.1",
    // The standard channel; the upstream directory also holds a safe-upgrades
    // ValidatingAdmissionPolicy, installed with the CRDs as the release's standard-install does.
    files: [
      "config/crd/standard/gateway.networking.k8s.io_backendtlspolicies.yaml",
      "config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml",
      "config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
      "config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml",
      "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
      "config/crd/standard/gateway.networking.k8s.io_listenersets.yaml",
      "config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml",
      "config/crd/standard/gateway.networking.k8s.io_tcproutes.yaml",
      "config/crd/standard/gateway.networking.k8s.io_tlsroutes.yaml",
      "config/crd/standard/gateway.networking.k8s.io_udproutes.yaml",
      "config/crd/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml",
    ],
    helmTemplate: false,
  },
  sealedSecrets: {
    module: "github.com/bitnami-labs/sealed-secrets",
    version: "v0.40.0",
    files: ["helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml"],
    helmTemplate: false,
  },
} as const;
