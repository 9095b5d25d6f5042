import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import type { Site } from "../site";

export interface PlatformArgs {
  /** The validated stack configuration. */
  config: StackConfig;
  /** The site whose kubeconfig and API the platform is installed through. */
  site: Site;
}

/** Namespaces the platform owns; tenant names may not take them, policies reference them. */
export const PLATFORM_NAMESPACES = {
  argocd: "argocd",
  ingress: "ingress-nginx",
  certManager: "cert-manager",
  sealedSecrets: "sealed-secrets",
  hcloud: "kube-system",
} as const;

/**
 * Cluster services and ArgoCD on the site's k3s.
 * SKELETON (issue 5 completes it): the public fields are the contract tenants build on.
 */
export class Platform extends pulumi.ComponentResource {
  /** Kubernetes provider every cluster object uses. */
  public readonly provider: k8s.Provider;
  /** What installs ArgoCD's CRDs: tenant AppProjects/Applications depend on exactly this. */
  public readonly argocdInstall: pulumi.Resource[];
  /** What must exist before tenant network policies reference the ingress namespace. */
  public readonly ingressInstall: pulumi.Resource[];
  /** Everything Kubernetes waits for the API readiness gate through this. */
  public readonly clusterReady: pulumi.Resource[];
  public readonly argocdUrl: pulumi.Output<string>;
  public readonly argocdAdminPassword: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:platform:Platform", name, {}, opts);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: args.site.kubeconfig, enableServerSideApply: true },
      { parent: this },
    );
    this.argocdInstall = [];
    this.ingressInstall = [];
    this.clusterReady = [];
    this.argocdUrl = pulumi.output(`https://argocd.${args.config.platform.baseDomain}`);
    this.argocdAdminPassword = pulumi.secret("");
    this.registerOutputs({ argocdUrl: this.argocdUrl });
  }
}
