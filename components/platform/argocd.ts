/**
 * Argo CD: the chart (CRDs included), a generated admin password, read access to the platform's
 * GitOps repository, and the root Application (app of apps) that hands the rest of the platform's
 * cluster state to Git.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../config/schema";
import { ARGOCD_RELEASE, PLATFORM_SYNC_SERVICE_ACCOUNT, WEBHOOK_SECRET_KEYS } from "../rules/hardening";
import { SYNC_SERVICE_ACCOUNT } from "../tenant/contract";
import { REGISTRIES } from "../versions";
import { IN_CLUSTER, PLATFORM_ARGOCD_PROJECT, PLATFORM_NAMESPACES } from "./namespaces";
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
 * it may impersonate exactly those: each tenant's argocd-sync and the platform's own.
 * Its Applications and projects in the argocd namespace come from the chart's namespaced Role.
 */
export const CONTROLLER_CLUSTER_RULES = [
  { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
  { nonResourceURLs: ["*"], verbs: ["get"] },
  {
    apiGroups: [""],
    resources: ["serviceaccounts"],
    verbs: ["impersonate"],
    resourceNames: [SYNC_SERVICE_ACCOUNT, PLATFORM_SYNC_SERVICE_ACCOUNT],
  },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
];

/** argo-cd chart values. Holds the admin password hash: pass it to the release as a secret. */
export function argocdValues(args: ArgocdValuesArgs): Record<string, unknown> {
  return {
    global: { domain: args.domain, image: { repository: `${REGISTRIES.argocd}/argoproj/argocd` } },
    crds: { install: true, keep: true },
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

export interface ArgocdParts {
  namespace: k8s.core.v1.Namespace;
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
    { dependsOn: [ccm, ...guardrails] },
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

  const project = platformProject(ctx, namespace, gitops.repoURL, rel);
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
    k8sOpts(ctx, { dependsOn: [rel, repository, project, platformSyncBinding] }),
  );

  return {
    namespace,
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
 * The platform's own project: only its GitOps repository as a source. Its CRD comes with the
 * release: depend on exactly that.
 */
function platformProject(
  ctx: PlatformContext,
  namespace: k8s.core.v1.Namespace,
  repoURL: string,
  rel: k8s.helm.v3.Release,
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
    k8sOpts(ctx, { dependsOn: [rel] }),
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
