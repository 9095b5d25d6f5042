/**
 * The Kubernetes cluster-autoscaler with its Hetzner provider, for the site's autoscaled pools.
 *
 * Declared as the platform's own objects (ServiceAccount, RBAC, Secret, Deployment), not the
 * upstream chart: the chart cannot be rendered offline, so its RBAC and Deployment could be
 * neither reviewed in the plan nor admitted by the API-server harness; and what the chart would
 * add for Hetzner is little more than these objects. The RBAC follows the upstream chart's
 * cluster-scoped rules (charts/cluster-autoscaler/templates/clusterrole.yaml, 1.37 branch) minus
 * what only other cloud providers use (Cluster API, CoreWeave, kwok, PodSecurityPolicy).
 *
 * Secrets: the Hetzner token and HCLOUD_CLUSTER_CONFIG (it holds every node group's cloud-init,
 * which holds the agent join token) live in one Kubernetes Secret the Deployment reads through
 * `secretKeyRef`; the Deployment's own manifest holds ids and flags only.
 *
 * Scale-down safety (docs/autoscaling.md): the autoscaler only ever removes servers of its node
 * groups, found by the `hcloud/node-group` server label its own servers carry; control planes and
 * Pulumi-made workers belong to no group. It drains through the eviction API, so PodDisruptionBudgets
 * hold; it leaves nodes alone whose pods are marked `cluster-autoscaler.kubernetes.io/safe-to-evict:
 * "false"`, run in kube-system without a PDB, or use local storage. It runs on the control planes
 * itself, so it never drains the node it runs on.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { clusterConfig, type NodeGroupSpec } from "../site/autoscale";
import { CONTROL_PLANE_TAINT } from "../site/nodes";
import { CLUSTER_AUTOSCALER_IMAGES, kubernetesMinor } from "../versions";
import { KubeObject, type KubeManifest } from "./kube-object";
import { k8sOpts, type PlatformContext } from "./releases";

export const AUTOSCALER_NAME = "cluster-autoscaler";
export const AUTOSCALER_NAMESPACE = "kube-system";
/** Keys of the autoscaler's Secret. */
export const AUTOSCALER_SECRET_KEYS = { token: "token", clusterConfig: "cluster-config" } as const;

/** Inputs for the autoscaler's objects; ids are the site's Hetzner resources. */
export interface AutoscalerArgs {
  /** The site's node groups (one per autoscaled pool). */
  groups: NodeGroupSpec[];
  /** k3s release: picks the autoscaler of the same Kubernetes minor. */
  k3sVersion: string;
  /** OS image for both architectures (site.image). */
  image: string;
  /** Hetzner ids of the site's private network, firewall and break-glass SSH key. */
  networkId: pulumi.Input<string>;
  firewallId: pulumi.Input<string>;
  sshKeyId: pulumi.Input<string>;
}

type Manifest = KubeManifest & Record<string, unknown>;

const labels = { "app.kubernetes.io/name": AUTOSCALER_NAME, "app.kubernetes.io/part-of": "video-platform" };
const meta = (extra: Record<string, unknown> = {}) => ({ name: AUTOSCALER_NAME, labels, ...extra });
const nsMeta = () => meta({ namespace: AUTOSCALER_NAMESPACE });
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});
const READ = ["get", "list", "watch"];

/** Cluster-wide permissions: read what scheduling simulation needs; write nodes, evictions, status. */
export function autoscalerClusterRole(): Manifest {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: meta(),
    rules: [
      rule([""], ["events", "endpoints"], ["create", "patch"]),
      rule([""], ["pods/eviction"], ["create"]),
      rule([""], ["pods/status"], ["update"]),
      rule([""], ["endpoints"], ["get", "update"], [AUTOSCALER_NAME]),
      // Taints and cordons nodes it scales down; never creates or deletes Node objects itself.
      rule([""], ["nodes"], ["get", "list", "watch", "update"]),
      rule([""], ["podtemplates"], ["get", "list", "watch", "create", "update", "patch"]),
      rule(
        [""],
        ["namespaces", "pods", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes"],
        READ,
      ),
      rule([""], ["configmaps"], READ),
      rule(["resource.k8s.io"], ["resourceslices", "deviceclasses", "resourceclaims"], READ),
      rule(["batch"], ["jobs", "cronjobs"], READ),
      rule(["policy"], ["poddisruptionbudgets"], ["list", "watch"]),
      rule(["apps"], ["daemonsets", "deployments", "replicasets", "statefulsets"], READ),
      rule(
        ["storage.k8s.io"],
        ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"],
        READ,
      ),
      rule(["coordination.k8s.io"], ["leases"], ["create"]),
      rule(["coordination.k8s.io"], ["leases"], ["get", "update"], [AUTOSCALER_NAME]),
    ],
  };
}

/** In its namespace: its status ConfigMap only. */
export function autoscalerRole(): Manifest {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: nsMeta(),
    rules: [
      rule([""], ["configmaps"], ["create"]),
      rule([""], ["configmaps"], ["get", "update", "delete"], ["cluster-autoscaler-status"]),
    ],
  };
}

const subjects = [{ kind: "ServiceAccount", name: AUTOSCALER_NAME, namespace: AUTOSCALER_NAMESPACE }];

export function autoscalerRbac(): Manifest[] {
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: nsMeta(), automountServiceAccountToken: true },
    autoscalerClusterRole(),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: meta(),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: AUTOSCALER_NAME },
      subjects,
    },
    autoscalerRole(),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: nsMeta(),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: AUTOSCALER_NAME },
      subjects,
    },
  ];
}

/**
 * Flags. Scale-down waits 10 minutes of low use and 10 minutes after any scale-up (an event's
 * load comes in waves); a node that has not joined in 15 minutes is given up and deleted.
 * `--v` stays at 2: from 5 up the provider logs Hetzner API requests with their headers (the token).
 */
export function autoscalerArgs(groups: NodeGroupSpec[]): string[] {
  return [
    "--cloud-provider=hetzner",
    ...groups.map((g) => `--nodes=${g.nodesFlag}`),
    "--expander=least-waste",
    "--balance-similar-node-groups=false",
    "--skip-nodes-with-local-storage=true",
    "--skip-nodes-with-system-pods=true",
    "--scale-down-enabled=true",
    "--scale-down-unneeded-time=10m",
    "--scale-down-delay-after-add=10m",
    "--max-node-provision-time=15m",
    "--max-graceful-termination-sec=600",
    "--cordon-node-before-terminating=true",
    "--leader-elect=true",
    "--logtostderr=true",
    "--stderrthreshold=info",
    "--v=2",
  ];
}

/** The Deployment: one replica on a control plane, every secret through secretKeyRef. */
export function autoscalerDeployment(args: AutoscalerArgs & { configChecksum: pulumi.Input<string> }): Manifest {
  const image = CLUSTER_AUTOSCALER_IMAGES[kubernetesMinor(args.k3sVersion)];
  if (!image) throw new Error(`autoscaler: no cluster-autoscaler pinned for k3s ${args.k3sVersion}`);
  const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: AUTOSCALER_NAME, key } } });
  const [cpTaintKey, cpTaintEffect] = CONTROL_PLANE_TAINT.split(":");
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: nsMeta(),
    spec: {
      replicas: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": AUTOSCALER_NAME } },
      template: {
        metadata: {
          labels,
          annotations: {
            // Never evicted by its own scale-down (it runs on control planes anyway).
            "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
            // Environment from a Secret is read at start only: a new token (runbook 06), k3s
            // version or pool rolls the pod through this digest of the Secret's data.
            "platform.video/config-sha256": args.configChecksum,
          },
        },
        spec: {
          serviceAccountName: AUTOSCALER_NAME,
          priorityClassName: "system-cluster-critical",
          // On the control planes: never on a node it could remove, and up while workers churn.
          nodeSelector: { "node-role.kubernetes.io/control-plane": "true" },
          tolerations: [{ key: cpTaintKey, operator: "Exists", effect: cpTaintEffect }],
          securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: AUTOSCALER_NAME,
              image,
              command: ["./cluster-autoscaler"],
              args: autoscalerArgs(args.groups),
              env: [
                { name: "HCLOUD_TOKEN", ...fromSecret(AUTOSCALER_SECRET_KEYS.token) },
                { name: "HCLOUD_CLUSTER_CONFIG", ...fromSecret(AUTOSCALER_SECRET_KEYS.clusterConfig) },
                { name: "HCLOUD_NETWORK", value: args.networkId },
                { name: "HCLOUD_FIREWALL", value: args.firewallId },
                { name: "HCLOUD_SSH_KEY", value: args.sshKeyId },
                // Like Pulumi's workers: public IPv4 and IPv6 (image pulls, outbound traffic).
                { name: "HCLOUD_PUBLIC_IPV4", value: "true" },
                { name: "HCLOUD_PUBLIC_IPV6", value: "true" },
              ],
              resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              ports: [{ name: "metrics", containerPort: 8085 }],
              livenessProbe: { httpGet: { path: "/health-check", port: 8085 }, periodSeconds: 30 },
            },
          ],
        },
      },
    },
  };
}

/** The Secret's data: the token and the base64 HCLOUD_CLUSTER_CONFIG (both secret Outputs). */
export function autoscalerSecretData(args: {
  token: pulumi.Input<string>;
  groups: NodeGroupSpec[];
  image: string;
  cloudInit: pulumi.Input<Record<string, string>>;
}): pulumi.Output<Record<string, string>> {
  return pulumi.secret(
    pulumi.all([args.token, args.cloudInit]).apply(([token, cloudInit]): Record<string, string> => ({
      [AUTOSCALER_SECRET_KEYS.token]: token,
      [AUTOSCALER_SECRET_KEYS.clusterConfig]: Buffer.from(
        JSON.stringify(clusterConfig({ image: args.image, groups: args.groups, cloudInit })),
        "utf8",
      ).toString("base64"),
    })),
  );
}

/** Declares the autoscaler's objects; nothing when the site has no autoscaled pool. */
export function autoscaler(
  ctx: PlatformContext,
  args: AutoscalerArgs & {
    token: pulumi.Input<string>;
    cloudInit: pulumi.Input<Record<string, string>>;
    dependsOn: pulumi.Input<pulumi.Resource>[];
  },
): KubeObject[] {
  if (!args.groups.length) return [];
  const opts = k8sOpts(ctx, { dependsOn: args.dependsOn });
  const rbac = autoscalerRbac().map((m) => new KubeObject(`${ctx.name}-autoscaler-${m.kind.toLowerCase()}`, m, opts));
  const data = autoscalerSecretData(args);
  const secret = new KubeObject(
    `${ctx.name}-autoscaler-secret`,
    { apiVersion: "v1", kind: "Secret", metadata: nsMeta(), type: "Opaque", stringData: data } as Manifest,
    opts,
  );
  // A SHA-256 of the data reveals nothing of it (the token and the agent token are 256-bit
  // random), so it may be a plain annotation.
  const configChecksum = pulumi.unsecret(
    data.apply((d) => createHash("sha256").update(JSON.stringify(d)).digest("hex")),
  );
  const deployment = new KubeObject(
    `${ctx.name}-autoscaler`,
    autoscalerDeployment({ ...args, configChecksum }),
    k8sOpts(ctx, { dependsOn: [...rbac, secret, ...args.dependsOn] }),
  );
  return [...rbac, secret, deployment];
}
