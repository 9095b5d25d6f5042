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
  /*
   * Each entry is written `{ repo: "<url>", chart: "<name>", version: "<version>" }` in that order:
   * renovate.json5's helm manager reads exactly that shape (whitespace and line breaks free), and
   * test/renovate.test.ts fails for an entry it does not capture. Each entry's comment: app
   * version, upstream release date, the version it moved from, and what was checked when, where.
   */
  charts: {
    // hcloud CCM v1.35.0 (2026-08-11), from 1.26.0. Re-checked 2026-12-06 in hetznercloud/hcloud-cloud-controller-manager
    // (the newest copy readable here, 2026-08-20: no release after v1.35.0; the Go module proxy does not serve the module):
    // docs/reference/version-policy.md at v1.35.0 lists Kubernetes 1.33-1.36, e2e on k3s v1.33-v1.36. The stacks
    // therefore run k3s 1.36 (`kubernetes` below; config validation refuses a minor outside it). Renovate proposes the
    // release that adds 1.37; record its matrix here and in this comment in the same PR (test/renovate.test.ts).
    hcloudCcm: {
      repo: "https://charts.hetzner.cloud",
      chart: "hcloud-cloud-controller-manager",
      version: "1.35.0",
      kubernetes: { min: "1.33", max: "1.36" },
    },
    // hcloud CSI v2.22.1 (2026-07-30), from 2.16.0. Re-checked 2026-12-06 in hetznercloud/csi-driver (newest copy
    // readable here 2026-08-22, no release after v2.22.1): docs/kubernetes/reference/version-policy.md at v2.22.1:
    // v2.20.2+ supports Kubernetes 1.33-1.36.
    hcloudCsi: {
      repo: "https://charts.hetzner.cloud",
      chart: "hcloud-csi",
      version: "2.22.1",
      kubernetes: { min: "1.33", max: "1.36" },
    },
    /**
     * The Gateway API edge (docs/edge.md): Envoy Gateway v1.9.1 (2026-08-28), the newest release
     * on the Go module proxy on 2026-12-06 (github.com/envoyproxy/gateway: v1.9.0, v1.9.1). 1.9 is
     * the supported line (site/content/en/news/releases/matrix.md: v1.9 end of life 2027-02-14,
     * v1.8 ended 2026-11-08; Kubernetes 1.33-1.36; Gateway API v1.6.1). v1.9.1 fixes
     * GHSA-w42f-28h3-998w (EnvoyProxy securityContext replacing the hardened default) and
     * CVE-2026-47775 (OIDC cookie padding oracle) (release-notes/v1.9.1.yaml). Its Envoy is the
     * compiled-in default, not overridden here: docker.io/envoyproxy/envoy:distroless-v1.39.1,
     * pinned by digest (api/v1alpha1/shared_types.go DefaultEnvoyProxyImage at v1.9.1).
     * gateway-crds-helm v1.9.1 carries the Gateway API bundle v1.6.1, standard channel (its go.mod
     * pins sigs.k8s.io/gateway-api v1.6.1). Both charts are OCI artifacts, so `repo` is the OCI
     * location and releases.ts passes `<repo>/<chart>` as the chart reference. The CRDs come from
     * their own chart (Gateway API standard channel + Envoy Gateway's CRDs), installed before the
     * controller chart (which then skips its bundled, experimental-channel copy).
     */
    gatewayCrds: { repo: "oci://docker.io/envoyproxy", chart: "gateway-crds-helm", version: "v1.9.1" },
    // Envoy Gateway v1.9.1, the same release as gatewayCrds (above), re-checked 2026-12-06: supports Kubernetes 1.33-1.36.
    envoyGateway: {
      repo: "oci://docker.io/envoyproxy",
      chart: "gateway-helm",
      version: "v1.9.1",
      kubernetes: { min: "1.33", max: "1.36" },
    },
    // cert-manager v1.21.2 (2026-09-10; chart version = app version), from v1.18.2, unchanged: re-checked 2026-12-06,
    // the newest tag on the Go module proxy (github.com/cert-manager/cert-manager: v1.21.0, v1.21.1, v1.21.2); values
    // reviewed against deploy/charts/cert-manager at v1.21.2 (crds.enabled/keep, <component>.image.repository).
    certManager: { repo: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.2" },
    // Sealed Secrets chart 2.19.3 (controller 0.39.1 as shipped; IMAGE_OVERRIDES.sealedSecrets runs 0.40.0), from 2.18.5
    // (0.36.6). Checked 2026-12-06: upstream patches only its newest release; the Go module proxy lists controller
    // v0.40.0 (2026-09-10), whose tree still carries helm/sealed-secrets/Chart.yaml 2.19.3 (appVersion 0.39.1): the chart
    // that ships 0.40.0 is in no source readable here. Since 2026-06-15 the project lives at github.com/bitnami and
    // publishes its chart repository at bitnami.github.io (README "helm repo add"). Values reviewed against
    // helm/sealed-secrets/values.yaml at v0.40.0 (fullnameOverride, image.registry/repository/tag, keyrenewperiod,
    // podAnnotations unchanged).
    sealedSecrets: {
      repo: "https://bitnami.github.io/sealed-secrets",
      chart: "sealed-secrets",
      version: "2.19.3",
    },
    // argo-cd chart 10.1.1 (ships v3.4.4) is the newest chart whose templates and values.yaml can be read here: the
    // argo-helm snapshot readable on 2026-12-06 ends at 10.1.1 (2026-07-02), and no readable source names the chart that
    // ships v3.6.x (third-party pins place v3.5.4 in chart 10.10.0, 2026-10-07). The platform does not run the chart's
    // appVersion: ARGOCD_VERSION below sets every Argo CD image and the CRDs, and the chart only renders the workloads
    // around them. Checked 2026-12-06: upstream's own manifests (manifests/install.yaml) between v3.4.4 and v3.6.2 differ
    // outside the CRDs only by image tags and optional argocd-cmd-params-cm environment entries, so the 10.1.1 templates
    // run v3.6.2 as upstream's install does. Renovate's helm PR proposes the chart that ships v3.6.x; test/argocd.test.ts
    // holds the chart → appVersion mapping that PR must extend.
    argocd: { repo: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1" },
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
    /** Envoy Gateway's controller, the Envoy proxies it runs and its certgen job (envoyproxy/*). */
    envoyGateway: "docker.io",
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

/**
 * Images run newer than their chart's appVersion, because upstream has released a fix the charts
 * readable here do not ship yet. Each is `{ image: "<registry>/<repository>", tag: "<tag>" }`
 * (renovate.json's docker manager reads that shape); drop an entry once its chart ships the tag.
 */
export const IMAGE_OVERRIDES = {
  // Sealed Secrets controller v0.40.0 (2026-09-10, Go module proxy), over chart 2.19.3's 0.39.1: upstream patches only
  // the newest release, and 0.40.0 stops /v1/rotate acting as a decryption oracle (bitnami/sealed-secrets#2049; 0.39.0
  // fixed the same for /v1/verify, #2019). Its chart is not readable here (charts.sealedSecrets above). Same registry
  // and repository as the chart's values (image.registry, image.repository).
  sealedSecrets: { image: "docker.io/bitnami/sealed-secrets-controller", tag: "0.40.0" },
} as const;

/** Charts whose supported Kubernetes range is recorded beside their pin (`kubernetes: { min, max }`). */
export interface KubernetesSupport {
  /** The chart key in DEFAULT_VERSIONS.charts. */
  name: ChartName;
  /** The chart's name and pinned version. */
  chart: string;
  version: string;
  /** Oldest and newest Kubernetes minor the pinned release supports, like "1.33". */
  min: string;
  max: string;
}

/** Every pinned chart with a recorded Kubernetes range. */
export function kubernetesSupport(): KubernetesSupport[] {
  const out: KubernetesSupport[] = [];
  for (const [name, pin] of Object.entries(DEFAULT_VERSIONS.charts) as [
    ChartName,
    ChartPin & { kubernetes?: { min: string; max: string } },
  ][])
    if (pin.kubernetes) out.push({ name, chart: pin.chart, version: pin.version, ...pin.kubernetes });
  return out;
}

/** `1.36` → 36 (Kubernetes minors compare by their second number). */
const minorNumber = (minor: string) => Number(minor.split(".")[1]);

/**
 * Why a k3s release cannot run with the pinned cloud integration (the hcloud CCM and CSI, Envoy
 * Gateway: each chart's `kubernetes` range above), or undefined when every range holds its minor.
 * An unsupported CCM can leave nodes uninitialised or misaddressed, an unsupported CSI driver
 * volumes unattached; config validation refuses such a `k3s.version` (components/config/load.ts).
 */
export function k3sSupportProblem(k3sVersion: string, all = kubernetesSupport()): string | undefined {
  const minor = kubernetesMinor(k3sVersion);
  const n = minorNumber(minor);
  const out = all.filter((s) => n < minorNumber(s.min) || n > minorNumber(s.max));
  if (!out.length) return undefined;
  const charts = out.map((s) => `${s.chart} ${s.version} (Kubernetes ${s.min}–${s.max})`).join(", ");
  const lo = Math.max(...all.map((s) => minorNumber(s.min)));
  const hi = Math.min(...all.map((s) => minorNumber(s.max)));
  const fix =
    lo <= hi
      ? `pin a k3s release of Kubernetes 1.${lo}–1.${hi} (runbook 10)`
      : "no Kubernetes minor is in every pinned range: move a chart first";
  return `Kubernetes ${minor} (${k3sVersion}) is outside what the pinned ${charts} support (components/versions.ts): ${fix}, or move those charts to releases that support ${minor} and record their range there`;
}

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
 * The cluster-autoscaler image per Kubernetes minor: upstream supports each release only with the
 * control plane of the same minor (it simulates that scheduler), so the image follows
 * `k3s.version` and a k3s minor missing here fails config validation on a site with autoscaled
 * pools. No chart: the platform declares the autoscaler's objects itself
 * (components/platform/autoscaler.ts), so the image is pinned here rather than by a chart.
 *
 * Newest patch per minor as tagged in kubernetes/autoscaler, re-checked 2026-12-06 against the
 * newest copy readable here (2026-08-22). k8s.io/autoscaler/cluster-autoscaler is a nested module,
 * but its releases are tagged `cluster-autoscaler-<x.y.z>` (not the `cluster-autoscaler/v<x.y.z>`
 * form Go needs), so the Go module proxy serves no version of it; the image tag is `v<x.y.z>`.
 * 1.36: tag cluster-autoscaler-1.36.1 (2026-07-22, commit 35e8a280). 1.37: the release branch
 * exists, no tag yet, so no entry: the stacks run 1.36 (the hcloud CCM/CSI matrix, DEFAULT_VERSIONS).
 */
export const CLUSTER_AUTOSCALER_IMAGES: Readonly<Record<string, string>> = {
  "1.32": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.7",
  "1.33": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.6",
  "1.34": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.5",
  "1.35": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2",
  "1.36": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.36.1",
};

/** The Kubernetes minor of a k3s release (`v<major>.<minor>.<patch>+k3s<n>` → `<major>.<minor>`). */
export function kubernetesMinor(k3sVersion: string): string {
  const m = /^v(\d+)\.(\d+)\./.exec(k3sVersion);
  if (!m) throw new Error(`versions: ${k3sVersion} is not a k3s release like v<major>.<minor>.<patch>+k3s<n>`);
  return `${m[1]}.${m[2]}`;
}

/**
 * The CustomResourceDefinitions the platform's charts install, taken for the local API server
 * (`npm run cluster`, docs/cluster-tests.md) from each project's own Go module at the app version
 * its chart ships (the module proxy serves every tagged release; no chart repository is reachable
 * from CI). `files` are paths inside the module; `helmTemplate` marks copies that are chart
 * templates whose few `{{ }}` guards tools/cluster/crds.ts renders deterministically.
 * Checked against the Go module proxy on 2026-11-30 and 2026-12-06.
 */
export const CRD_SOURCES = {
  argocd: {
    // THE Argo CD pin (ARGOCD_VERSION): the images both Argo CD instances run, the CRDs the platform installs
    // (components/platform/argocd.ts argocdCrds, from this tag), the CRDs test:cluster installs (this module) and the
    // build the real-Argo-CD tests run (issue 26). v3.6.2 (2026-11-18, Go module proxy), from v3.4.4: the newest patch
    // of the newest supported line (3.6, 3.5, 3.4; checked on the module proxy 2026-12-06). It carries every repo-server
    // and hook fix of the 3.4.5-3.4.14 patches (docs/versions.md lists the advisories).
    module: "github.com/argoproj/argo-cd/v3",
    version: "v3.6.2",
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
    // The bundle gateway-crds-helm v1.9.1 installs. Re-checked 2026-12-06: the proxy also lists v1.6.2, v1.6.3
    // (2026-10-06) and v1.7.0 (2026-10-29); v1.6.3's standard CRDs differ from v1.6.1's only in descriptions, the
    // bundle-version annotation and whitespace (conformance-test fixes), and v1.7.0 is outside Envoy Gateway 1.9's
    // Gateway API v1.6. Moves with the chart.
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
    // The controller the site runs: IMAGE_OVERRIDES.sealedSecrets (0.40.0, over chart 2.19.3). The proxy serves
    // the release under its old path; the tree's go.mod already says github.com/bitnami/sealed-secrets.
    module: "github.com/bitnami-labs/sealed-secrets",
    version: "v0.40.0",
    files: ["helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml"],
    helmTemplate: false,
  },
  envoyGateway: {
    // Envoy Gateway's own CRDs (EnvoyProxy, ClientTrafficPolicy, SecurityPolicy, ...) at the
    // version of charts.gatewayCrds / charts.envoyGateway: the plain copies the controller chart
    // carries (the CRD chart's templates are the same files behind a Helm guard).
    module: "github.com/envoyproxy/gateway",
    version: "v1.9.1",
    files: [
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_backends.yaml",
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_clienttrafficpolicies.yaml",
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyextensionpolicies.yaml",
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoypatchpolicies.yaml",
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyproxies.yaml",
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_httproutefilters.yaml",
      "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_securitypolicies.yaml",
    ],
    helmTemplate: false,
  },
} as const;

/**
 * The Argo CD release the platform runs (CRD_SOURCES.argocd.version, the one pin): every image of
 * both Argo CD instances (`global.image.tag`), the CRDs the platform installs and the build the
 * real-Argo-CD tests use. A chart's appVersion is not trusted to match it (see charts.argocd).
 */
export const ARGOCD_VERSION: string = CRD_SOURCES.argocd.version;

/**
 * Where a CRD file of a GitHub-hosted Go module is served at a tag: the same file `go mod download`
 * yields for test:cluster (a module path is `github.com/<owner>/<repo>[/vN]`).
 */
export function githubRawUrl(module: string, version: string, file: string): string {
  const m = /^github\.com\/([^/]+)\/([^/]+)(\/v\d+)?$/.exec(module);
  if (!m) throw new Error(`versions: ${module} is not a github.com module path`);
  return `https://raw.githubusercontent.com/${m[1]}/${m[2]}/${version}/${file}`;
}
