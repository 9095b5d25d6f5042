import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StackConfig } from "../config/load";
import type { Platform } from "../platform";
import type { TenantSpec } from "./load";
import * as edge from "./edge";
import { controllerBinding } from "./gitops";
import * as m from "./manifests";
import { KubeObject } from "../platform/kube-object";
import type { EffectiveIngest, EffectiveQuota } from "./sizing";

export interface TenantArgs {
  /** The validated tenant file (loadTenants). */
  spec: TenantSpec;
  /** The validated stack configuration (protection, site ranges for network policy). */
  config: StackConfig;
  /** The platform the tenant runs on: its provider, Argo CD, edge and cert-manager installs, tenant-admin role. */
  platform: Platform;
}

/**
 * One customer: a locked-down, budgeted namespace wired into GitOps. Children, all keyed by the
 * tenant name (adding a tenant never touches another), each needed for a reason:
 * - Namespace: the isolation boundary (Pod Security restricted, tenant label).
 * - ResourceQuota: the tier's budget; without it one tenant can starve the site.
 * - ResourceQuota tenant-live: the ingest workers' budget at the live priority (TEN-PRIO-002).
 * - LimitRange: defaults that make quota-bound pods schedulable, and a per-container cap.
 * - NetworkPolicy: one object for default deny and every allowed path (see manifests.ts).
 * - RoleBinding: the tenant's admin groups get the platform's tenant-admin ClusterRole in this
 *   namespace only (only when admins are listed; one shared ClusterRole instead of a Role each).
 * - RandomBytes + Secret: the stream key, generated (secret in state) and handed to the chart.
 * - ServiceAccount + RoleBinding: who Argo CD syncs the tenant as (impersonation), bound to the
 *   platform's sync ClusterRole in this namespace only.
 * - RoleBinding: lets the tenant-facing Argo CD's controller read this namespace and impersonate
 *   its sync ServiceAccount, here only (tenant/gitops.ts).
 * - AppProject + Application (in the tenant Argo CD's namespace): ArgoCD's lock (repo, namespace,
 *   allow-listed kinds, sync identity) and the sync.
 * - ListenerSet + Certificate (edge namespace): the tenant's HTTPS listeners on the platform
 *   Gateway and their certificate (tenant/edge.ts); its routes attach to the ListenerSet.
 * All of them except the random key are registered as KubeObjects (platform/kube-object.ts).
 * 15 resources with the component itself; one fewer without admins, two fewer without domains.
 */
export class Tenant extends pulumi.ComponentResource {
  public readonly spec: TenantSpec;
  /** The tenant's namespace (its name). */
  public readonly namespace: string;
  /** Effective quota (tier preset + overrides). */
  public readonly quota: EffectiveQuota;
  /** Effective ingest sizing passed to the tenant's chart. */
  public readonly ingest: EffectiveIngest;
  /** Hosts the tenant serves. */
  public readonly domains: string[];
  /** ArgoCD AppProject name (in the argocd-tenants namespace). */
  public readonly argocdProject: string;
  /** ArgoCD Application name (in the argocd-tenants namespace). */
  public readonly argocdApplication: string;
  /** The RoleBinding that lets the tenant Argo CD into this namespace (the tenant scope waits for it). */
  public readonly argocdAccess: pulumi.Resource;
  /** The tenant's stream key (secret). */
  public readonly streamKey: pulumi.Output<string>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tenant:Tenant", name, {}, opts);
    const { spec, config, platform } = args;
    this.spec = spec;
    this.namespace = spec.name;
    this.quota = spec.quota;
    this.ingest = spec.ingest;
    this.domains = spec.domains;
    this.argocdProject = spec.name;
    this.argocdApplication = spec.name;

    const k8sOpts: pulumi.CustomResourceOptions = { parent: this, provider: platform.provider };
    // In protected stacks (prod) the customer's state is protected until a reviewed change sets
    // `decommission: true`: deleting the file alone then fails instead of deleting the namespace
    // (and with it every workload and volume). The stream key is protected with it, because a new
    // key silently breaks the customer's encoders.
    const protect = config.protected && !spec.decommission;

    const ns = new KubeObject(`${name}-ns`, m.namespace(spec), pulumi.mergeOptions(k8sOpts, { protect }));
    // Objects inside the namespace name it as a plain string (manifests.ts) and are ordered after
    // it here; they go when it goes: no separate delete calls on decommission.
    const inNs = pulumi.mergeOptions(k8sOpts, { dependsOn: [ns], deletedWith: ns });

    const quota = new KubeObject(`${name}-quota`, m.resourceQuota(spec), inNs);
    const liveQuota = new KubeObject(`${name}-live-quota`, m.liveQuota(spec), inNs);
    const limits = new KubeObject(`${name}-limits`, m.limitRange(spec), inNs);
    // It names the ingress controller's namespace: allow that to exist first (mergeOptions adds
    // to inNs's dependsOn).
    const netpol = new KubeObject(
      `${name}-netpol`,
      m.networkPolicy(spec, config),
      pulumi.mergeOptions(inNs, { dependsOn: platform.ingressInstall }),
    );

    if (spec.admins.length > 0) {
      // The rights come from the platform's one tenant-admin ClusterRole (manifests.ts).
      new KubeObject(
        `${name}-admin-binding`,
        m.adminBinding(spec),
        pulumi.mergeOptions(inNs, { dependsOn: [platform.tenantAdminRole] }),
      );
    }

    // 24 random bytes as hex: URL-safe (stream keys are pasted into encoder URLs) with 192 bits.
    // RandomBytes rather than RandomPassword: it has 4 outputs instead of 14, and each output
    // costs the SDK several promises per tenant (issue 9's profile). Rotate with
    // `pulumi up --replace <urn of ${name}-stream-key>` (after lifting protect on prod).
    const key = new random.RandomBytes(`${name}-stream-key`, { length: 24 }, { parent: this, protect });
    this.streamKey = pulumi.secret(key.hex);
    const secret = new KubeObject(`${name}-stream-key-secret`, m.streamKeySecret(spec, this.streamKey), inNs);

    this.argocdAccess = this.gitops(name, spec, k8sOpts, inNs, platform, [quota, liveQuota, limits, netpol, secret]);
    this.publish(name, spec, k8sOpts, platform);

    this.registerOutputs({
      namespace: this.namespace,
      quota: this.quota,
      ingest: this.ingest,
      domains: this.domains,
      argocdProject: this.argocdProject,
      argocdApplication: this.argocdApplication,
      streamKey: this.streamKey,
    });
  }

  /**
   * What the tenant Argo CD needs (tenant/gitops.ts): the sync identity, its way into this
   * namespace, the project and the application. The application waits for `guardrails` too: Argo CD
   * must not start the tenant's workloads before the quota, limits, network policy and stream key
   * exist. Returns the controller's RoleBinding (the tenant scope lists the namespace only after it).
   */
  private gitops(
    name: string,
    spec: TenantSpec,
    k8sOpts: pulumi.CustomResourceOptions,
    inNs: pulumi.CustomResourceOptions,
    platform: Platform,
    guardrails: pulumi.Resource[],
  ): pulumi.Resource {
    // The identity Argo CD syncs this tenant as (AppProject destinationServiceAccounts): a
    // ServiceAccount bound to the platform's sync ClusterRole in this namespace only.
    const syncAccount = new KubeObject(`${name}-sync-sa`, m.syncServiceAccount(spec), inNs);
    const syncBinding = new KubeObject(
      `${name}-sync-binding`,
      m.syncBinding(spec),
      pulumi.mergeOptions(inNs, { dependsOn: [platform.tenantSyncRole] }),
    );
    // The tenant Argo CD's controller reads this namespace and impersonates argocd-sync here only.
    const access = new KubeObject(
      `${name}-argocd-access`,
      controllerBinding(spec),
      pulumi.mergeOptions(inNs, { dependsOn: [platform.tenantControllerRole] }),
    );
    // Custom resources need ArgoCD's CRDs: depend on exactly what installs them.
    const project = new KubeObject(
      `${name}-project`,
      m.appProject(spec),
      pulumi.mergeOptions(k8sOpts, { dependsOn: platform.argocdInstall }),
    );
    new KubeObject(
      `${name}-app`,
      m.application(spec),
      pulumi.mergeOptions(k8sOpts, {
        dependsOn: [...platform.argocdInstall, project, ...guardrails, syncAccount, syncBinding, access],
      }),
    );
    return access;
  }

  /**
   * The tenant's listeners and certificate, in the edge namespace: each after exactly the release
   * that installs its CRD. Not protected: both are rebuilt from the tenant file. A tenant without
   * domains publishes nothing (a ListenerSet needs a listener, a certificate a name).
   */
  private publish(name: string, spec: TenantSpec, k8sOpts: pulumi.CustomResourceOptions, platform: Platform): void {
    if (spec.domains.length === 0) return;
    new KubeObject(
      `${name}-listeners`,
      edge.listenerSet(spec),
      pulumi.mergeOptions(k8sOpts, { dependsOn: platform.gatewayApiInstall }),
    );
    new KubeObject(
      `${name}-cert`,
      edge.certificate(spec),
      pulumi.mergeOptions(k8sOpts, { dependsOn: platform.certManagerInstall }),
    );
  }
}
