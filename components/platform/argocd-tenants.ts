/**
 * The tenant-facing Argo CD (docs/tenant-isolation.md §1): a second release of the argo-cd chart
 * in its own namespace, with its own repo-server, Redis and application controller, that renders
 * and syncs tenant repositories only. It shares no repo-server, cache or Redis with the platform's
 * own sync (which is cluster-admin), and holds no cluster-wide right: it manages the in-cluster
 * server in namespaced mode (one cluster Secret listing the tenant namespaces, no cluster-scoped
 * resources), reads and impersonates through a RoleBinding in each tenant namespace
 * (tenant/gitops.ts), and writes only as the tenants' sync ServiceAccounts.
 *
 * Its settings are plain data the plan shows (nothing here is secret), built by the exported pure
 * functions below, so the rules, test:cluster and the real Argo CD tests read them from the plan.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import { TENANT_SETTINGS } from "../rules/argocd";
import { ARGOCD_VERSION, REGISTRIES } from "../versions";
import { argocdBasePolicies, argocdNetwork, argocdRepoServerPolicy } from "./argocd-network";
import { KubeObject } from "./kube-object";
import { ARGOCD_INSTANCES, IN_CLUSTER, TENANT_ARGOCD } from "./namespaces";
import { k8sOpts, PlatformContext, platformNamespace, release } from "./releases";

const INSTANCE = ARGOCD_INSTANCES.tenants;

/**
 * argo-cd chart values for the tenant instance (checked against the chart's values.yaml at the
 * pinned chart, 10.1.1, on 2026-12-06). Only what the tenant repositories need runs: the
 * application controller, the repo-server and Redis. No API server (no UI, no API, no webhooks:
 * tenant applications refresh by polling), no Dex, ApplicationSet or notifications controller.
 * The chart creates no ClusterRole at all and no argocd-cm (the platform declares it:
 * argocdTenantSettings); the CRDs are the platform's (components/platform/argocd.ts).
 */
/**
 * The largest render (MiB) the tenant instance moves between its repo-server and controller: a
 * bigger one is refused whole, before anything is applied (Argo CD's ARGOCD_GRPC_MAX_SIZE_MB; the
 * repo-server enforces it on send and receive, the controller on its calls; reposerver/server.go,
 * reposerver/apiclient/clientset.go at v3.6.2, where it defaults to 100). Tenant charts render
 * kilobytes; every render is also cached in the instance's shared Redis, so the bound is that
 * cache's cost per tenant revision too. test:gitops shows a 12 MB render refused with nothing of
 * it applied (issue 26).
 */
export const TENANT_RENDER_MAX_MIB = 8;

export function argocdTenantValues(): Record<string, unknown> {
  const renderBound = [{ name: "ARGOCD_GRPC_MAX_SIZE_MB", value: String(TENANT_RENDER_MAX_MIB) }];
  return {
    global: {
      image: { repository: `${REGISTRIES.argocd}/argoproj/argocd`, tag: ARGOCD_VERSION },
      // The platform declares every policy of the namespace (argocd-network.ts).
      networkPolicy: { create: false },
    },
    crds: { install: false },
    // No ClusterRole or ClusterRoleBinding for any component: the controller's rights are the
    // RoleBindings in tenant namespaces (tenant/gitops.ts).
    createClusterRoles: false,
    configs: { cm: { create: false } },
    dex: { enabled: false },
    notifications: { enabled: false },
    applicationSet: { replicas: 0 },
    server: { replicas: 0 },
    // The name every tenant namespace's RoleBinding grants (tenant/gitops.ts). Written out: the
    // chart's default is the literal `argocd-application-controller` (values.yaml
    // controller.serviceAccount.name), not `<release>-application-controller`, and with that name
    // the controller had no right in any tenant namespace (test:gitops, issue 26: "cannot get
    // resource sealedsecrets ... in the namespace").
    controller: { serviceAccount: { name: TENANT_ARGOCD.controller.name }, env: renderBound },
    // The repo-server never calls the Kubernetes API: it gets no token to call it with.
    repoServer: {
      automountServiceAccountToken: false,
      serviceAccount: { automountServiceAccountToken: false },
      env: renderBound,
    },
    redis: { image: { repository: `${REGISTRIES.redis}/docker/library/redis` } },
  };
}

/**
 * The tenant instance's argocd-cm (Argo CD reads it by name and the part-of label): the settings
 * TEN-ARGO-006 requires (rules/argocd.ts TENANT_SETTINGS, where each is explained with the Argo CD
 * code that reads it), the chart's tracking label and reconciliation period.
 */
export function argocdTenantSettings() {
  return {
    apiVersion: "v1" as const,
    kind: "ConfigMap" as const,
    metadata: {
      name: "argocd-cm",
      namespace: INSTANCE.namespace,
      labels: { "app.kubernetes.io/part-of": "argocd", "app.kubernetes.io/managed-by": "pulumi" },
    },
    data: {
      "application.instanceLabelKey": "argocd.argoproj.io/instance",
      ...TENANT_SETTINGS,
      // Tenant applications refresh by polling: the instance has no webhook endpoint.
      "timeout.reconciliation": "120s",
    },
  };
}

/**
 * The in-cluster server as the tenant instance manages it (Argo CD declarative setup, "Clusters"):
 * only the tenant namespaces (one list/watch each), no cluster-scoped resources, and the
 * controller's own ServiceAccount token (`config` empty: Cluster.rawRestConfig uses the in-cluster
 * config for https://kubernetes.default.svc). Argo CD keys clusters by server URL, so one Secret
 * must list every tenant namespace: adding a tenant updates it (the one shared object an
 * onboarding changes, test/locality.test.ts). It holds no credential, so it stays readable in the
 * plan (rules/secrets.ts isPublicArgocdClusterSecret).
 */
export function tenantClusterSecret(namespaces: readonly string[]) {
  return {
    apiVersion: "v1" as const,
    kind: "Secret" as const,
    metadata: {
      name: "in-cluster-tenants",
      namespace: INSTANCE.namespace,
      labels: { "argocd.argoproj.io/secret-type": "cluster", "app.kubernetes.io/managed-by": "pulumi" },
    },
    type: "Opaque",
    stringData: {
      name: "in-cluster",
      server: IN_CLUSTER,
      namespaces: [...namespaces].sort().join(","),
      clusterResources: "false",
      config: "{}",
    },
  };
}

export interface TenantArgocdParts {
  namespace: k8s.core.v1.Namespace;
  release: k8s.helm.v3.Release;
  /** What tenant AppProjects and Applications need first: the CRDs, the release and its settings. */
  install: pulumi.Resource[];
}

/**
 * Declares the tenant instance: namespace, its NetworkPolicies (before any pod starts), argocd-cm
 * and the release. `crds`: what installs the Argo CD CRDs (the platform instance's); `after`: what
 * must run first (the cloud controller, which untaints nodes, and the admission policies).
 */
export function argocdTenants(
  ctx: PlatformContext,
  crds: pulumi.Resource,
  after: pulumi.Resource[],
): TenantArgocdParts {
  const namespace = platformNamespace(ctx, "argocd-tenants", INSTANCE.namespace);
  const inNs = k8sOpts(ctx, { dependsOn: [namespace] });
  const policies = argocdBasePolicies(argocdNetwork(ctx.config, INSTANCE, [], false)).map(
    (p) => new KubeObject(`${ctx.name}-${p.metadata.name}`, p, inNs),
  );
  const settings = new KubeObject(`${ctx.name}-argocd-tenants-cm`, argocdTenantSettings(), inNs);
  const rel = release(
    ctx,
    "argocd-tenants",
    {
      chart: "argocd",
      releaseName: INSTANCE.release,
      namespace: namespace.metadata.name,
      values: argocdTenantValues(),
    },
    { dependsOn: [crds, settings, ...policies, ...after] },
  );
  return { namespace, release: rel, install: [crds, rel, settings] };
}

export interface TenantArgocdScopeArgs {
  /** The validated stack configuration (the site's ranges for the repo-server's policy). */
  config: StackConfig;
  /** The Kubernetes provider the platform uses. */
  provider: k8s.Provider;
  /** The same cluster with Secret data mutable in place (Platform.scopeProvider), for the cluster Secret. */
  secretProvider: k8s.Provider;
  /** The tenant instance's namespace (its objects are created after it). */
  namespace: pulumi.Resource;
  /** Every tenant: its namespace, its repository, and the RoleBinding that lets the controller in. */
  tenants: readonly { name: string; repoURL: string; access: pulumi.Resource }[];
}

/**
 * What the tenant instance knows about the set of tenants: the cluster Secret that lists their
 * namespaces and the repo-server's policy with the Git ports their repositories use. Created after
 * every tenant's RoleBinding for the controller: a namespace is listed only once the controller
 * may read it (a refused list would drop that kind from the whole cache).
 */
export class TenantArgocdScope extends pulumi.ComponentResource {
  /** The tenant namespaces the instance manages. */
  public readonly namespaces: string[];

  constructor(name: string, args: TenantArgocdScopeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:argocd:TenantScope", name, {}, opts);
    this.namespaces = args.tenants.map((t) => t.name).sort();
    const childOpts: pulumi.CustomResourceOptions = {
      parent: this,
      provider: args.provider,
      dependsOn: [args.namespace],
    };
    new KubeObject(
      `${name}-cluster`,
      tenantClusterSecret(this.namespaces),
      // Updated in place as tenants come and go: never deleted, even for a moment (Platform.scopeProvider).
      pulumi.mergeOptions(childOpts, { provider: args.secretProvider, dependsOn: args.tenants.map((t) => t.access) }),
    );
    const net = argocdNetwork(
      args.config,
      INSTANCE,
      args.tenants.map((t) => t.repoURL),
      false,
    );
    new KubeObject(`${name}-repo-server-netpol`, argocdRepoServerPolicy(net), childOpts);
    this.registerOutputs({ namespaces: this.namespaces });
  }
}
