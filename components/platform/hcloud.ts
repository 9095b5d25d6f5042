/**
 * Hetzner integration inside the cluster: the cloud controller manager (node addresses and
 * lifecycle, load balancers), the CSI driver (volumes) and the default StorageClass. The site
 * starts k3s with `--disable-cloud-controller` and external cloud provider kubelets, so nodes
 * carry the `uninitialized` taint until the CCM runs: every other release waits for it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformSite } from "./site-inputs";
import { INGEST_TAINT } from "../rules/workloads";
import { TENANT_STORAGE_CLASS } from "../rules/hardening";
import { REGISTRIES } from "../versions";
import { PLATFORM_NAMESPACES, STORAGE_CLASS } from "./namespaces";
import { k8sOpts, PlatformContext, release } from "./releases";

/** The CCM chart's values for a site: private network support, no routes (flannel carries pods). */
export function ccmValues(args: { clusterCidr: string; location: string }): Record<string, unknown> {
  return {
    image: { repository: `${REGISTRIES.hcloud}/hetznercloud/hcloud-cloud-controller-manager` },
    // Networking on: the CCM reads the network id from the `hcloud` Secret, which load
    // balancers need to reach nodes by private IP.
    networking: { enabled: true, clusterCIDR: args.clusterCidr },
    env: {
      // Routes off: pods talk over flannel on the private interface, and the pod range lies
      // outside the Hetzner network (config validation keeps them disjoint), where Hetzner
      // routes could not live anyway.
      HCLOUD_NETWORK_ROUTES_ENABLED: { value: "false" },
      // Cluster-wide defaults for every Service of type LoadBalancer.
      HCLOUD_LOAD_BALANCERS_LOCATION: { value: args.location },
      HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: { value: "true" },
    },
  };
}

/** The CSI chart's values: images from the pinned registries, no chart StorageClass (ours below). */
export function csiValues(args: { location: string }): Record<string, unknown> {
  const sidecar = (image: string) => ({ name: `${REGISTRIES.csiSidecars}/sig-storage/${image}` });
  const driver = { name: `${REGISTRIES.hcloud}/hetznercloud/hcloud-csi-driver` };
  return {
    controller: {
      hcloudVolumeDefaultLocation: args.location,
      image: {
        csiAttacher: sidecar("csi-attacher"),
        csiResizer: sidecar("csi-resizer"),
        csiProvisioner: sidecar("csi-provisioner"),
        livenessProbe: sidecar("livenessprobe"),
        hcloudCSIDriver: driver,
      },
    },
    node: {
      // The node plugin asks Hetzner's metadata service which server it runs on. The site's host
      // guard drops pod-network traffic to 169.254.169.254 (user-data holds cluster secrets), so
      // the plugin must use the host's network namespace to reach it.
      hostNetwork: true,
      // Volumes are mounted on every pool, the dedicated ingest pool included (its taint keeps
      // other pods off, not the node plugin).
      tolerations: [{ key: INGEST_TAINT.key, operator: "Exists", effect: INGEST_TAINT.effect }],
      image: {
        csiNodeDriverRegistrar: sidecar("csi-node-driver-registrar"),
        livenessProbe: sidecar("livenessprobe"),
        hcloudCSIDriver: driver,
      },
    },
    storageClasses: [],
  };
}

export interface HcloudParts {
  secret: k8s.core.v1.Secret;
  ccm: k8s.helm.v3.Release;
  csi: k8s.helm.v3.Release;
  storageClass: k8s.storage.v1.StorageClass;
  /** The class tenant claims use (reclaimPolicy Delete). */
  tenantStorageClass: k8s.storage.v1.StorageClass;
}

export function hcloudIntegration(ctx: PlatformContext, site: PlatformSite): HcloudParts {
  const { config } = ctx;
  // Both charts read `token` (and the CCM `network`) from this Secret by default.
  const secret = new k8s.core.v1.Secret(
    `${ctx.name}-hcloud-secret`,
    {
      metadata: { name: "hcloud", namespace: PLATFORM_NAMESPACES.hcloud },
      type: "Opaque",
      stringData: pulumi.secret({
        token: config.secrets.hcloudToken,
        network: pulumi.output(site.networkId).apply(String),
      }),
    },
    k8sOpts(ctx),
  );

  const ccm = release(
    ctx,
    "hcloud-ccm",
    {
      chart: "hcloudCcm",
      releaseName: "hcloud-ccm",
      namespace: PLATFORM_NAMESPACES.hcloud,
      values: ccmValues({ clusterCidr: config.k3s.clusterCidr, location: config.site.location }),
    },
    { dependsOn: [secret] },
  );

  const csi = release(
    ctx,
    "hcloud-csi",
    {
      chart: "hcloudCsi",
      releaseName: "hcloud-csi",
      namespace: PLATFORM_NAMESPACES.hcloud,
      values: csiValues({ location: config.site.location }),
    },
    { dependsOn: [secret, ccm] },
  );

  // Declared here rather than with the chart's `storageClasses[].defaultStorageClass` so the
  // reclaim policy follows the stack: protected sites (prod) Retain a volume when its claim is
  // deleted (the Kubernetes side of `protect`), others Delete. WaitForFirstConsumer creates the
  // volume in the location of the node the pod lands on.
  const storageClass = new k8s.storage.v1.StorageClass(
    `${ctx.name}-storageclass`,
    {
      metadata: {
        name: STORAGE_CLASS,
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "csi.hetzner.cloud",
      reclaimPolicy: config.protected ? "Retain" : "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    },
    k8sOpts(ctx, { dependsOn: [csi] }),
  );

  // Tenant claims use this class only (their quota zeroes every other, TEN-PVC-001): a deleted
  // claim deletes its Hetzner volume on every stack, so claim churn leaves no billed volumes
  // behind. Not the default: the platform's own claims keep the class above and its Retain.
  const tenantStorageClass = new k8s.storage.v1.StorageClass(
    `${ctx.name}-storageclass-tenant`,
    {
      metadata: { name: TENANT_STORAGE_CLASS },
      provisioner: "csi.hetzner.cloud",
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    },
    k8sOpts(ctx, { dependsOn: [csi] }),
  );

  return { secret, ccm, csi, storageClass, tenantStorageClass };
}
