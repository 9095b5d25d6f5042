/**
 * The platform: turns the site's bare k3s into what tenants run on, in the same `pulumi up`.
 *
 *   site servers ─► readiness gate (/readyz, cluster CA) ─► Kubernetes provider
 *     ─► hcloud Secret ─► cloud controller manager (untaints nodes) ─┬► CSI driver ─► StorageClass
 *                                                                    ├► cluster-autoscaler (autoscaled pools)
 *                                                                    ├► cert-manager ─► ClusterIssuer
 *                                                                    ├► Gateway API CRDs ─► Envoy Gateway,
 *                                                                    │    Gateway (+ Hetzner LB), routes
 *                                                                    ├► sealing key ─► Sealed Secrets
 *                                                                    └► Argo CD CRDs ─► platform Argo CD ─► project, root app
 *                                              admission policies ─┘     └► tenant Argo CD (tenants' projects, apps)
 *
 * Every Kubernetes object goes through the one provider, and the provider waits for the gate, so
 * nothing reaches the cluster before its API is ready.
 */
import * as hcloud from "@pulumi/hcloud";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import type { Site } from "../site";
import { adminClusterRole } from "../tenant/manifests";
import { priorityClasses, syncClusterRole } from "../tenant/shared";
import { admission } from "./admission";
import { argocd } from "./argocd";
import { argocdTenants } from "./argocd-tenants";
import { controllerClusterRole } from "../tenant/gitops";
import { autoscaler } from "./autoscaler";
import { certManager } from "./cert-manager";
import { ReadinessGate } from "./gate";
import { hcloudIntegration } from "./hcloud";
import { argocdEdge, edge } from "./edge";
import { KubeObject } from "./kube-object";
import { CLUSTER_ISSUER, STORAGE_CLASS } from "./namespaces";
import { clusterProvider, kubeconfigCredentials } from "./provider";
import { k8sOpts, PlatformContext } from "./releases";
import { sealedSecrets } from "./sealed-secrets";

export { CLUSTER_ISSUER, EDGE, PLATFORM_ARGOCD_PROJECT, PLATFORM_NAMESPACES, STORAGE_CLASS } from "./namespaces";

export interface PlatformArgs {
  /** The validated stack configuration. */
  config: StackConfig;
  /** The site whose kubeconfig and API the platform is installed through. */
  site: Site;
}

/** Cluster services and Argo CD on the site's k3s. */
export class Platform extends pulumi.ComponentResource {
  /** Kubernetes provider every cluster object uses; it waits for the readiness gate. */
  public readonly provider: k8s.Provider;
  /**
   * The same cluster with Secret data updated in place (enableSecretMutable), for the tenant Argo
   * CD's cluster Secret only (argocd-tenants.ts TenantArgocdScope): with the default provider a
   * data change deletes and recreates a Secret, and between the two the tenant Argo CD would
   * fall back to the whole in-cluster server.
   */
  public readonly scopeProvider: k8s.Provider;
  /** The tenant-facing Argo CD's CRDs, release and settings: tenant AppProjects/Applications depend on exactly these. */
  public readonly argocdInstall: pulumi.Resource[];
  /** The tenant-facing Argo CD's namespace (its tenant scope is created in it, after the tenants). */
  public readonly tenantArgocdNamespace: pulumi.Resource;
  /** The ClusterRole each tenant namespace binds the tenant Argo CD's controller to (tenant/gitops.ts). */
  public readonly tenantControllerRole: pulumi.Resource;
  /** Envoy Gateway and cert-manager: tenant network policies (which name the edge namespace) depend on these. */
  public readonly ingressInstall: pulumi.Resource[];
  /** What installs the Gateway API CRDs: tenant ListenerSets depend on exactly this. */
  public readonly gatewayApiInstall: pulumi.Resource[];
  /** What installs cert-manager's CRDs: tenant Certificates depend on exactly this. */
  public readonly certManagerInstall: pulumi.Resource[];
  /** The in-cluster guardrails (ValidatingAdmissionPolicies and their Deny bindings). */
  public readonly admissionPolicies: pulumi.Resource[];
  /** The ClusterRole tenants' admin groups are bound to in their own namespace (tenant RoleBindings). */
  public readonly tenantAdminRole: pulumi.Resource;
  /** The ClusterRole Argo CD's tenant syncs run under, bound in each tenant namespace (issue 14). */
  public readonly tenantSyncRole: pulumi.Resource;
  /** The PriorityClasses tenant pods may use (TEN-PRIO-001). */
  public readonly tenantPriorityClasses: pulumi.Resource[];
  /** The API readiness gate; everything Kubernetes waits for it through the provider. */
  public readonly clusterReady: pulumi.Resource[];
  /** https://argocd.<baseDomain> */
  public readonly argocdUrl: pulumi.Output<string>;
  /** Argo CD's admin password (secret). */
  public readonly argocdAdminPassword: pulumi.Output<string>;
  /** The secret Git hosts' webhooks to Argo CD carry (secret; also in argocd-secret webhook.*). */
  public readonly argocdWebhookSecret: pulumi.Output<string>;
  /** Public IPv4 of the ingress load balancer: point the base domain's DNS records here. */
  public readonly ingressAddress: pulumi.Output<string>;
  /** The host name the ingress Service publishes (give it an A record to ingressAddress). */
  public readonly ingressHostname: string;
  /** The ingress load balancer (Hetzner), adopted by the cloud controller. */
  public readonly ingressLoadBalancer: hcloud.LoadBalancer;
  /** ClusterIssuer of every certificate the edge serves (tenants' included). */
  public readonly clusterIssuerName: string;
  /** Default StorageClass (hcloud volumes). */
  public readonly storageClassName: string;
  /** The cluster-autoscaler's objects (none without autoscaled pools). */
  public readonly autoscaler: pulumi.Resource[];

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:platform:Platform", name, {}, opts);
    const { config, site } = args;

    const gate = new ReadinessGate(
      `${name}-gate`,
      {
        apiEndpoint: site.apiEndpoint,
        caCertPem: site.clusterCaCertPem,
        timeoutMinutes: config.platform.readinessTimeoutMinutes,
        credentials: pulumi.secret(site.kubeconfig.apply(kubeconfigCredentials)),
      },
      { parent: this, dependsOn: site.servers },
    );
    this.provider = clusterProvider(`${name}-k8s`, site.kubeconfig, gate, this);
    this.scopeProvider = clusterProvider(`${name}-k8s-argocd-scope`, site.kubeconfig, gate, this, {
      enableSecretMutable: true,
    });

    const ctx: PlatformContext = { name, config, parent: this, provider: this.provider };
    const cloud = hcloudIntegration(ctx, site);
    const certs = certManager(ctx, cloud.ccm);
    const front = edge(ctx, site, cloud.ccm, certs.release);
    sealedSecrets(ctx, cloud.ccm);
    // Elastic capacity for autoscaled pools; its nodes need the CCM (provider ids, addresses).
    this.autoscaler = autoscaler(ctx, {
      groups: site.nodeGroups.groups,
      k3sVersion: config.k3s.version,
      image: config.site.image,
      networkId: site.network.id,
      firewallId: site.firewall.id,
      sshKeyId: site.sshKey.id,
      token: config.secrets.hcloudToken,
      cloudInit: site.nodeGroups.cloudInit,
      dependsOn: [cloud.ccm, ...site.nodeGroups.placementGroups],
    });
    // The cluster's guardrails for what tenants apply (components/rules/admission.ts), bound
    // before Argo CD exists: nothing it syncs ever reaches a cluster without them.
    const guardrails = admission(ctx);
    const gitops = argocd(ctx, cloud.ccm, guardrails.bindings);
    argocdEdge(ctx, front, gitops.namespace);
    // Tenant repositories are rendered and synced by their own Argo CD (docs/tenant-isolation.md §1).
    const tenantGitops = argocdTenants(ctx, gitops.crds, [cloud.ccm, ...guardrails.bindings]);
    this.tenantControllerRole = new KubeObject(
      `${name}-tenant-argocd-controller`,
      controllerClusterRole(),
      k8sOpts(ctx),
    );
    // Defined by the tenant module (what an app team may do), installed once for all tenants.
    this.tenantAdminRole = new KubeObject(`${name}-tenant-admin`, adminClusterRole(), k8sOpts(ctx));
    this.tenantSyncRole = new KubeObject(`${name}-tenant-sync`, syncClusterRole(), k8sOpts(ctx));
    this.tenantPriorityClasses = priorityClasses().map(
      (pc) => new KubeObject(`${name}-priority-${pc.metadata.name}`, pc, k8sOpts(ctx)),
    );

    this.clusterReady = [gate];
    this.admissionPolicies = [...guardrails.policies, ...guardrails.bindings];
    this.argocdInstall = tenantGitops.install;
    this.tenantArgocdNamespace = tenantGitops.namespace;
    this.ingressInstall = [front.release, certs.release];
    this.gatewayApiInstall = [front.crds];
    this.certManagerInstall = [certs.release];
    this.argocdUrl = pulumi.output(gitops.url);
    this.argocdAdminPassword = pulumi.secret(gitops.adminPassword.result);
    this.argocdWebhookSecret = pulumi.secret(gitops.webhookSecret.result);
    this.ingressAddress = front.address;
    this.ingressHostname = front.hostname;
    this.ingressLoadBalancer = front.loadBalancer;
    this.clusterIssuerName = CLUSTER_ISSUER;
    this.storageClassName = STORAGE_CLASS;
    this.registerOutputs({
      argocdUrl: this.argocdUrl,
      argocdAdminPassword: this.argocdAdminPassword,
      ingressAddress: this.ingressAddress,
    });
  }
}
