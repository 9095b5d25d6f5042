/**
 * Tier presets: what a customer gets per tier, in one place. A tenant file picks a tier and may
 * override quota fields one by one; everything else (limits, per-container defaults, object
 * counts) follows from here. Changing a number here changes every tenant of that tier on the
 * next `pulumi up`, so a change is a reviewed, priced decision.
 *
 * Sizing model: a live channel's ingest worker (RTMP/SRT in, a 1080p ABR ladder out with
 * software x264 at a "veryfast" preset) needs about 2–3 cores and 4–6 GiB; the rest of a
 * tenant (packager, player API, small databases) needs about a third of its ingest budget again.
 * Storage holds DVR windows and VOD recordings (at 6 Mbit/s, one hour is about 2.7 GB).
 *
 * The totals are chosen so the committed samples (one tenant per tier) fit the small staging
 * site (2 × cx43 at overcommit 2: 30 cores, 60 GiB for tenants) and leave prod (5 workers at
 * 1.5: about 56 cores, 160 GiB) room to grow; loadTenants checks the sum on every run.
 */

export const TIERS = ["small", "standard", "premium"] as const;
export type Tier = (typeof TIERS)[number];

/** A namespace's ResourceQuota budget (requests; limits follow from LIMIT_FACTOR). */
export interface QuotaPreset {
  cpu: string;
  memory: string;
  storage: string;
  pods: number;
  services: number;
  persistentVolumeClaims: number;
}

/** Ingest sizing: how many workers, and each worker's CPU and memory. */
export interface IngestPreset {
  workers: number;
  /** Per worker. */
  cpu: string;
  /** Per worker. */
  memory: string;
}

/**
 * How many objects of each kind a tenant may keep (ResourceQuota `count/<resource>.<group>`):
 * every kind a tenant's identities can create, and every kind controllers create for it, costs
 * etcd space (up to the API server's 1.5 MiB per object) and controller work, so each has a
 * ceiling (TEN-QTA-002 derives the kinds from the tenant roles; TEN-ETCD-001 adds up the worst
 * case over the site's tenants and compares it with the datastore's quota). Pods, Services and
 * PVCs are in QuotaPreset; Endpoints and EndpointSlices follow the Services (manifests.ts). Not
 * overridable per file.
 */
export interface ObjectCounts {
  configmaps: number;
  secrets: number;
  serviceaccounts: number;
  deployments: number;
  /** The Deployment controller's: a rollout needs one more, so about three per Deployment. */
  replicasets: number;
  statefulsets: number;
  /** The StatefulSet controller's revisions: about three per StatefulSet, like ReplicaSets. */
  controllerrevisions: number;
  jobs: number;
  cronjobs: number;
  horizontalpodautoscalers: number;
  poddisruptionbudgets: number;
  httproutes: number;
  grpcroutes: number;
  sealedsecrets: number;
  /** The platform's bindings in the namespace (tenants create none: a guardrail kind). */
  rolebindings: number;
  /** No tenant identity may create Leases (neither role grants them): zero until one does. */
  leases: number;
}

/**
 * Node-local disk (emptyDir, container writable layers, logs): without a quota one tenant can
 * fill a node's disk and get every pod on it evicted. Quota on the namespace's requests (limits
 * twice that), and the per-container LimitRange values.
 */
export interface EphemeralStoragePreset {
  quota: string;
  defaultRequest: string;
  default: string;
  max: string;
}

export interface TierPreset {
  /** One line on who the tier is for (shown in docs and the JSON Schema). */
  describe: string;
  /** Namespace ResourceQuota. */
  quota: QuotaPreset;
  /** Default ingest sizing when the file has no (or a partial) `ingest:` section. */
  ingest: IngestPreset;
  /**
   * LimitRange per container. `max` is raised to fit one ingest worker and capped at the quota
   * (see containerLimits in sizing.ts), so it is a default, not a promise.
   */
  container: {
    defaultRequest: { cpu: string; memory: string };
    default: { cpu: string; memory: string };
    max: { cpu: string; memory: string };
  };
  /** Object-count ceilings (not overridable per file). */
  objects: ObjectCounts;
  /** Ephemeral storage: namespace quota (requests) and per-container LimitRange values. */
  ephemeralStorage: EphemeralStoragePreset;
}

/*
 * Object counts (issue 25): each is what the tier's apps need, because each one is also up to
 * 1.5 MiB of etcd a hostile tenant can fill (TEN-ETCD-001 adds them up per site). Per tier:
 * - configmaps, secrets: a few per app (config files, scripts; image pull secrets), plus what the
 *   platform puts there (kube-root-ca.crt, the stream key) and one Secret per SealedSecret, so
 *   secrets ≥ sealedsecrets + 5. Helm's own release Secrets (an admin running `helm install`
 *   keeps 10 revisions per release) do not fit many releases: charts come through Argo CD.
 * - serviceaccounts: `default` and the sync account are the platform's; the rest one per app.
 * - deployments/statefulsets: the apps; replicasets = 3 × deployments and controllerrevisions =
 *   3 × statefulsets: the live one, one old and the next rollout's. Tenant workloads set
 *   revisionHistoryLimit ≤ 1 (docs/tenant-contract.md): Git is the history; at the default of 10 a
 *   busy Deployment would take its neighbours' ReplicaSets and the next rollout would stall.
 * - jobs = 4 × cronjobs (their history at the default limits, 3 succeeded + 1 failed) + 3/5/10
 *   one-off Jobs (migrations, backfills).
 * - HPAs, PDBs: one per scaled or disrupted workload, about half the Deployments.
 * - routes: a route serves several hosts (domains ≤ 50 per tenant), so a few per app.
 * - Events are not here: Kubernetes' quota ignores them (k8s.io/kubernetes pkg/quota/v1/install
 *   registry.go). Tenants only read them; the kubelet and controllers write them, at the rate
 *   EventRateLimit allows per namespace and at the size TEN-EVT-001 allows (components/site/k3s.ts,
 *   components/rules/budgets.ts counts them in the etcd sum).
 * - rolebindings: the platform's two (admins, sync) and room for two more of the platform's.
 * - leases: 0 (no tenant identity may create one).
 * Worst case into etcd (every object at 1.5 MiB, the platform's per-tenant objects and the
 * events included; components/rules/budgets.ts): small ≈ 0.41 GiB, standard ≈ 0.76 GiB,
 * premium ≈ 1.55 GiB at the preset pods.
 */
export const PRESETS: Record<Tier, TierPreset> = {
  small: {
    describe: "one channel, occasional live events",
    // One ingest worker (1 core, 2 GiB: a 720p ladder) plus a packager and a player API.
    quota: { cpu: "2", memory: "4Gi", storage: "50Gi", pods: 20, services: 10, persistentVolumeClaims: 5 },
    ingest: { workers: 1, cpu: "1", memory: "2Gi" },
    container: {
      defaultRequest: { cpu: "100m", memory: "128Mi" },
      default: { cpu: "500m", memory: "512Mi" },
      max: { cpu: "2", memory: "4Gi" },
    },
    objects: {
      configmaps: 20,
      secrets: 20,
      serviceaccounts: 5,
      deployments: 10,
      replicasets: 30,
      statefulsets: 5,
      controllerrevisions: 15,
      jobs: 15,
      cronjobs: 3,
      horizontalpodautoscalers: 5,
      poddisruptionbudgets: 5,
      httproutes: 5,
      grpcroutes: 5,
      sealedsecrets: 10,
      rolebindings: 4,
      leases: 0,
    },
    ephemeralStorage: { quota: "10Gi", defaultRequest: "100Mi", default: "1Gi", max: "4Gi" },
  },
  standard: {
    describe: "a broadcaster with a few concurrent 1080p channels",
    // Two workers at 2 cores / 4 GiB use 4 of 6 cores and 8 of 12 GiB; the rest runs the apps.
    quota: { cpu: "6", memory: "12Gi", storage: "200Gi", pods: 50, services: 20, persistentVolumeClaims: 10 },
    ingest: { workers: 2, cpu: "2", memory: "4Gi" },
    container: {
      defaultRequest: { cpu: "100m", memory: "128Mi" },
      default: { cpu: "1", memory: "1Gi" },
      max: { cpu: "4", memory: "8Gi" },
    },
    objects: {
      configmaps: 40,
      secrets: 40,
      serviceaccounts: 10,
      deployments: 25,
      replicasets: 75,
      statefulsets: 10,
      controllerrevisions: 30,
      jobs: 25,
      cronjobs: 5,
      horizontalpodautoscalers: 10,
      poddisruptionbudgets: 10,
      httproutes: 10,
      grpcroutes: 10,
      sealedsecrets: 20,
      rolebindings: 4,
      leases: 0,
    },
    ephemeralStorage: { quota: "30Gi", defaultRequest: "100Mi", default: "2Gi", max: "10Gi" },
  },
  premium: {
    describe: "a large broadcaster: many concurrent channels, DVR and VOD archives",
    // Four workers at 3 cores / 6 GiB use 12 of 16 cores and 24 of 32 GiB.
    quota: { cpu: "16", memory: "32Gi", storage: "1Ti", pods: 150, services: 40, persistentVolumeClaims: 30 },
    ingest: { workers: 4, cpu: "3", memory: "6Gi" },
    container: {
      defaultRequest: { cpu: "250m", memory: "256Mi" },
      default: { cpu: "2", memory: "2Gi" },
      max: { cpu: "8", memory: "16Gi" },
    },
    objects: {
      configmaps: 80,
      secrets: 80,
      serviceaccounts: 20,
      deployments: 50,
      replicasets: 150,
      statefulsets: 20,
      controllerrevisions: 60,
      jobs: 50,
      cronjobs: 10,
      horizontalpodautoscalers: 25,
      poddisruptionbudgets: 25,
      httproutes: 25,
      grpcroutes: 25,
      sealedsecrets: 40,
      rolebindings: 4,
      leases: 0,
    },
    ephemeralStorage: { quota: "100Gi", defaultRequest: "250Mi", default: "4Gi", max: "20Gi" },
  },
};

/**
 * Quota limits relative to requests. CPU is compressible: a tenant may burst into idle cores up
 * to twice its budget and is only throttled. Memory is not: a limit above the request is memory
 * the node may not have, and the kernel then OOM-kills someone else's pods, so limits = requests.
 */
export const LIMIT_FACTOR = { cpu: 2, memory: 1 } as const;

/**
 * Per worker node, what Kubernetes itself needs before tenants get anything: kubelet, k3s agent,
 * containerd, flannel/kube-router and the platform's DaemonSets (CSI node, log/metrics agents).
 * k3s's own kube-reserved/system-reserved guidance is 0.5 core and about 1 GiB on small nodes.
 */
export const NODE_RESERVED = { cpu: "500m", memory: "1Gi" } as const;

/**
 * Sanity bounds for a tenant file. Anything outside is a typo (a missing unit, an extra zero),
 * not a customer: the largest worker type has 48 cores / 192 GiB, and a whole site rarely has
 * more than a few hundred cores.
 */
export const BOUNDS = {
  quota: {
    cpu: { min: "100m", max: "512" },
    memory: { min: "128Mi", max: "4Ti" },
    storage: { min: "0", max: "100Ti" },
    pods: { min: 1, max: 5000 },
  },
  ingest: {
    workers: { min: 0, max: 50 },
    cpu: { min: "100m", max: "64" },
    memory: { min: "128Mi", max: "256Gi" },
  },
  /** Domains per tenant: each is an ingress host and a certificate; more is a sign of misuse. */
  domains: 50,
  /** Admin groups per tenant. */
  admins: 20,
  /** A tenant file is about 1 KiB; anything near this cap is a mistake or an attack. */
  fileBytes: 64 * 1024,
  /** YAML aliases a tenant file may expand (none are needed; a few are harmless). */
  yamlAliases: 10,
} as const;
