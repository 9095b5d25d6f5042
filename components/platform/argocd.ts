/**
 * The platform's Argo CD (namespaces.ts ARGOCD_INSTANCES.platform): the Argo CD CRDs, the chart, a
 * generated admin password, read access to the platform's GitOps repository, and the root
 * Application (app of apps) that hands the rest of the platform's cluster state to Git, synced as
 * the cluster-admin `argocd-platform-sync`. It holds nothing of the tenants': their projects and
 * applications live in the tenant-facing instance (argocd-tenants.ts), which shares no repo-server,
 * Redis or cache with this one (docs/tenant-isolation.md §1).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../config/schema";
import { ARGOCD_RELEASE, PLATFORM_SYNC_SERVICE_ACCOUNT, WEBHOOK_SECRET_KEYS } from "../rules/hardening";
import { ARGOCD_VERSION, CRD_SOURCES, githubRawUrl, REGISTRIES } from "../versions";
import { argocdBasePolicies, argocdNetwork, argocdRepoServerPolicy } from "./argocd-network";
import { KubeObject } from "./kube-object";
import { ARGOCD_INSTANCES, IN_CLUSTER, PLATFORM_ARGOCD_PROJECT, PLATFORM_NAMESPACES } from "./namespaces";
import { k8sOpts, PlatformContext, platformNamespace, release } from "./releases";

export interface ArgocdValuesArgs {
  /** argocd.<baseDomain>: the UI/API host (its route and certificate are the edge's, edge.ts). */
  domain: string;
  /** bcrypt hash of the admin password (secret). */
  adminPasswordBcrypt: pulumi.Input<string>;
  /** Shared secret every Git host's webhook must carry (secret, generated). */
  webhookSecret: pulumi.Input<string>;
}

/**
 * The application controller's own ClusterRole (replacing the chart's `*` on `*`): it reads
 * everything (caches, diffs, health) and writes nothing itself. Every sync, prune and finalizer
 * deletion runs as the ServiceAccount the project maps (sync impersonation, Argo CD ≥ 2.13), so
 * it may impersonate exactly that: the platform's own `argocd-platform-sync` (which it holds in
 * `argocd` only; tenants are synced by the tenant instance, never by this controller).
 * Its Applications and projects in the argocd namespace come from the chart's namespaced Role.
 */
export const CONTROLLER_CLUSTER_RULES = [
  { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
  { nonResourceURLs: ["*"], verbs: ["get"] },
  {
    apiGroups: [""],
    resources: ["serviceaccounts"],
    verbs: ["impersonate"],
    resourceNames: [PLATFORM_SYNC_SERVICE_ACCOUNT],
  },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
];

/** argo-cd chart values. Holds the admin password hash: pass it to the release as a secret. */
export function argocdValues(args: ArgocdValuesArgs): Record<string, unknown> {
  return {
    global: {
      domain: args.domain,
      // The pinned Argo CD, whatever the chart's appVersion (components/versions.ts).
      image: { repository: `${REGISTRIES.argocd}/argoproj/argocd`, tag: ARGOCD_VERSION },
      // The platform declares every policy of the namespace (argocd-network.ts).
      networkPolicy: { create: false },
    },
    // The CRDs come from Argo CD itself at the pinned version (argocdCrds), not from the chart.
    crds: { install: false },
    configs: {
      // TLS ends at the Gateway (certificate from cert-manager); the server speaks HTTP behind it.
      params: { "server.insecure": true },
      // Argo CD stores only the bcrypt hash. The chart stamps the modification time on each
      // upgrade, which logs admin sessions out then; upgrades are reviewed changes, so that is fine.
      secret: {
        argocdServerAdminPassword: args.adminPasswordBcrypt,
        extra: {
          ...Object.fromEntries(WEBHOOK_SECRET_KEYS.map((k) => [k, args.webhookSecret])),
          "webhook.azuredevops.username": "argocd",
        },
      },
      // Sync impersonation (issue 14): every Application syncs as its project's mapped
      // ServiceAccount, and a project without one fails to sync instead of falling back to the
      // controller's identity (enforced, the default, written out).
      cm: {
        "application.sync.impersonation.enabled": "true",
        "application.sync.impersonation.enforced": "true",
      },
    },
    controller: { clusterRoleRules: { enabled: true, rules: structuredClone(CONTROLLER_CLUSTER_RULES) } },
    // No SSO configured yet: no Dex.
    dex: { enabled: false },
    redis: { image: { repository: `${REGISTRIES.redis}/docker/library/redis` } },
    // The repo-server never calls the Kubernetes API: it gets no token to call it with.
    repoServer: { automountServiceAccountToken: false, serviceAccount: { automountServiceAccountToken: false } },
    // No chart Ingress: Argo CD is served through the platform Gateway, by an HTTPRoute and an
    // admin-CIDR SecurityPolicy the platform declares (components/platform/edge.ts argocdEdge).
    server: { ingress: { enabled: false } },
  };
}

/** The repository credentials Argo CD finds by label (https token, or an ssh key for ssh URLs). */
export function repositoryStringData(
  gitops: PlatformConfig["gitops"],
  secret: pulumi.Input<string>,
): Record<string, pulumi.Input<string>> {
  const ssh = !gitops.repoURL.startsWith("https://");
  return ssh
    ? { type: "git", url: gitops.repoURL, sshPrivateKey: secret }
    : { type: "git", url: gitops.repoURL, username: gitops.username, password: secret };
}

/** The root Application's spec: the platform repo, pruned and self-healed. */
export function rootApplicationSpec(gitops: PlatformConfig["gitops"]) {
  return {
    project: PLATFORM_ARGOCD_PROJECT,
    source: { repoURL: gitops.repoURL, path: gitops.path, targetRevision: gitops.targetRevision },
    destination: { server: IN_CLUSTER, namespace: PLATFORM_NAMESPACES.argocd },
    syncPolicy: {
      automated: { prune: true, selfHeal: true },
      // The first sync may race the repo credentials or a child's CRDs: retry, bounded.
      retry: { limit: 10, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
    },
  };
}

/** Where the platform installs the Argo CD CRDs from: Argo CD's repository at ARGOCD_VERSION. */
export function argocdCrdUrls(): string[] {
  const s = CRD_SOURCES.argocd;
  return s.files.map((f) => githubRawUrl(s.module, ARGOCD_VERSION, f));
}

/** CRDs become Pulumi's on a site where the chart installed them before (Helm's field manager held them). */
export const forceCrdOwnership: pulumi.ResourceTransform = (args) => {
  if (args.type !== "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition") return undefined;
  const metadata = (args.props.metadata ?? {}) as { annotations?: Record<string, string> };
  return {
    props: {
      ...args.props,
      metadata: { ...metadata, annotations: { ...metadata.annotations, "pulumi.com/patchForce": "true" } },
    },
    opts: args.opts,
  };
};

/**
 * The Argo CD CRDs at the pin, from Argo CD's own repository at that tag (the files test:cluster
 * installs from the Go module), not from the chart, whose appVersion may lag the pin. Deleting a
 * CRD deletes every Application and AppProject with it: retained on delete, protected on
 * protected stacks.
 */
function argocdCrds(ctx: PlatformContext, deps: pulumi.Resource[]): k8s.yaml.v2.ConfigGroup {
  return new k8s.yaml.v2.ConfigGroup(
    `${ctx.name}-argocd-crds`,
    { files: argocdCrdUrls() },
    {
      parent: ctx.parent,
      provider: ctx.provider,
      dependsOn: deps,
      protect: ctx.config.protected,
      retainOnDelete: true,
      transforms: [forceCrdOwnership],
    },
  );
}

/** The platform instance's NetworkPolicies: before its pods (re)start, so none runs without them. */
function platformPolicies(ctx: PlatformContext, namespace: k8s.core.v1.Namespace): pulumi.Resource[] {
  const net = argocdNetwork(ctx.config, ARGOCD_INSTANCES.platform, [ctx.config.platform.gitops.repoURL], true);
  return [...argocdBasePolicies(net), argocdRepoServerPolicy(net)].map(
    (p) => new KubeObject(`${ctx.name}-${p.metadata.name}`, p, k8sOpts(ctx, { dependsOn: [namespace] })),
  );
}

export interface ArgocdParts {
  namespace: k8s.core.v1.Namespace;
  /** The Argo CD CRDs (both instances' custom resources need them). */
  crds: k8s.yaml.v2.ConfigGroup;
  adminPassword: random.RandomPassword;
  /** The webhook secret every Git host's webhook carries (argocd-secret webhook.*). */
  webhookSecret: random.RandomPassword;
  release: k8s.helm.v3.Release;
  repository: k8s.core.v1.Secret;
  project: k8s.apiextensions.CustomResource;
  rootApplication: k8s.apiextensions.CustomResource;
  url: string;
}

/** `guardrails`: what must be in place before Argo CD syncs anything (the admission policies). */
export function argocd(
  ctx: PlatformContext,
  ccm: k8s.helm.v3.Release,
  guardrails: pulumi.Resource[] = [],
): ArgocdParts {
  const { config } = ctx;
  const { gitops } = config.platform;
  const domain = `argocd.${config.platform.baseDomain}`;
  const namespace = platformNamespace(ctx, "argocd", PLATFORM_NAMESPACES.argocd);

  // Generated once and kept in state; @pulumi/random marks result and bcryptHash secret.
  const adminPassword = new random.RandomPassword(
    `${ctx.name}-argocd-admin-password`,
    { length: 32, special: false },
    { parent: ctx.parent },
  );

  // One secret for every webhook kind (WEBHOOK_SECRET_KEYS); rotate with `pulumi up --replace`.
  const webhookSecret = new random.RandomPassword(
    `${ctx.name}-argocd-webhook-secret`,
    { length: 40, special: false },
    { parent: ctx.parent },
  );

  const crds = argocdCrds(ctx, [ccm, ...guardrails]);
  const policies = platformPolicies(ctx, namespace);
  const rel = release(
    ctx,
    "argocd",
    {
      chart: "argocd",
      releaseName: ARGOCD_RELEASE,
      namespace: namespace.metadata.name,
      // Secret as a whole: the values carry the password hash.
      values: pulumi.secret(
        argocdValues({ domain, adminPasswordBcrypt: adminPassword.bcryptHash, webhookSecret: webhookSecret.result }),
      ),
    },
    { dependsOn: [ccm, crds, ...policies, ...guardrails] },
  );

  const repository = new k8s.core.v1.Secret(
    `${ctx.name}-argocd-repo`,
    {
      metadata: {
        name: "argocd-repo-platform",
        namespace: namespace.metadata.name,
        labels: { "argocd.argoproj.io/secret-type": "repository" },
      },
      type: "Opaque",
      stringData: repositoryStringData(gitops, config.secrets.gitopsRepoPassword),
    },
    k8sOpts(ctx),
  );

  const project = platformProject(ctx, namespace, gitops.repoURL, [crds, rel]);
  const platformSyncBinding = platformSyncIdentity(ctx, namespace);

  // No resources-finalizer: removing the root app from Pulumi must not cascade-delete everything
  // it deployed.
  const rootApplication = new k8s.apiextensions.CustomResource(
    `${ctx.name}-root-app`,
    {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "platform-root", namespace: namespace.metadata.name },
      spec: rootApplicationSpec(gitops),
    },
    k8sOpts(ctx, { dependsOn: [crds, rel, repository, project, platformSyncBinding] }),
  );

  return {
    namespace,
    crds,
    adminPassword,
    webhookSecret,
    release: rel,
    repository,
    project,
    rootApplication,
    url: `https://${domain}`,
  };
}

/**
 * The platform's own project: only its GitOps repository as a source. `install`: its CRD and the
 * release that serves it.
 */
function platformProject(
  ctx: PlatformContext,
  namespace: k8s.core.v1.Namespace,
  repoURL: string,
  install: pulumi.Resource[],
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    `${ctx.name}-argocd-project`,
    {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AppProject",
      metadata: { name: PLATFORM_ARGOCD_PROJECT, namespace: namespace.metadata.name },
      spec: {
        description: "The platform's own cluster state (root application of the platform GitOps repository)",
        sourceRepos: [repoURL],
        destinations: [{ server: IN_CLUSTER, namespace: "*" }],
        clusterResourceWhitelist: [{ group: "*", kind: "*" }],
        // With sync impersonation on, the platform's own syncs need an identity too: its
        // cluster-admin ServiceAccount (platformSyncIdentity), never a tenant's.
        destinationServiceAccounts: [
          {
            server: IN_CLUSTER,
            namespace: "*",
            defaultServiceAccount: `${PLATFORM_NAMESPACES.argocd}:${PLATFORM_SYNC_SERVICE_ACCOUNT}`,
          },
        ],
      },
    },
    k8sOpts(ctx, { dependsOn: install }),
  );
}

/**
 * The platform repository manages the whole cluster: its sync identity is cluster-admin, as the
 * controller's was before impersonation. Tenants' projects can never name it (TEN-ARGO-003).
 * Returns the binding: the root application syncs only once it exists.
 */
function platformSyncIdentity(ctx: PlatformContext, namespace: k8s.core.v1.Namespace): k8s.rbac.v1.ClusterRoleBinding {
  const account = new k8s.core.v1.ServiceAccount(
    `${ctx.name}-argocd-platform-sync`,
    {
      metadata: { name: PLATFORM_SYNC_SERVICE_ACCOUNT, namespace: namespace.metadata.name },
      automountServiceAccountToken: false,
    },
    k8sOpts(ctx),
  );
  return new k8s.rbac.v1.ClusterRoleBinding(
    `${ctx.name}-argocd-platform-sync`,
    {
      metadata: { name: PLATFORM_SYNC_SERVICE_ACCOUNT },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [
        { kind: "ServiceAccount", name: PLATFORM_SYNC_SERVICE_ACCOUNT, namespace: PLATFORM_NAMESPACES.argocd },
      ],
    },
    k8sOpts(ctx, { dependsOn: [account] }),
  );
}
