/**
 * How the tenants' Kubernetes objects (and the platform's tenant-admin ClusterRole) are
 * registered: one generic resource class for every kind, under exactly the type token the
 * typed class of `@pulumi/kubernetes` uses (so state, the provider's behaviour, previews, policies
 * and rules see the same resource), without what the typed classes add per object that these
 * objects do not need:
 * - legacy-version aliases (Role and RoleBinding carry v1alpha1 and v1beta1 aliases, NetworkPolicy
 *   extensions/v1beta1): this project never had objects of those versions, and the SDK resolves
 *   every alias through several Outputs per object, on every preview and up;
 * - output properties the program never reads (`status`, and for a Secret `data`, `immutable`).
 * Issue 9's bench measured 1.4 ms per typed Role under the SDK against 0.9 ms for this class, with
 * the same inputs; with hundreds of tenants that was a third of the program's cost above the floor.
 *
 * What the typed Secret does that matters is kept: `data` and `stringData` go in as secrets and
 * are listed in additionalSecretOutputs, so they are encrypted in state whatever the caller passes,
 * except an Argo CD cluster Secret that holds no credential (rules/secrets.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import k8sPackage from "@pulumi/kubernetes/package.json";
import { isPublicArgocdClusterSecret } from "../rules/secrets";

/** Metadata with an explicit name: never auto-named, so the object's identity is stable. */
export type NamedMeta = k8s.types.input.meta.v1.ObjectMeta & { name: string };

/** A complete object: apiVersion and kind are part of the manifest, as in a YAML file. */
export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: NamedMeta;
}

/**
 * The type token @pulumi/kubernetes gives a kind: `kubernetes:<group>/<version>:<Kind>`, the core
 * group spelled `core` (apiVersion `v1` → `core/v1`). A test pins it against the typed classes'
 * own `__pulumiType` for every kind a tenant has.
 */
export function kubeType(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** The @pulumi/kubernetes version the typed classes send, so the same provider plugin is chosen. */
const K8S_SDK_VERSION = k8sPackage.version;

const SECRET_FIELDS = ["data", "stringData"];

export class KubeObject extends pulumi.CustomResource {
  /** The object's metadata as the cluster returns it. */
  declare public readonly metadata: pulumi.Output<k8s.types.output.meta.v1.ObjectMeta>;

  constructor(name: string, manifest: KubeManifest, opts?: pulumi.CustomResourceOptions) {
    const inputs: Record<string, unknown> = { ...manifest };
    // An Argo CD cluster Secret without a credential stays readable (rules/secrets.ts, SEC-001).
    const isSecret = manifest.apiVersion === "v1" && manifest.kind === "Secret" && !isPublicArgocdClusterSecret(inputs);
    if (isSecret)
      for (const f of SECRET_FIELDS)
        if (inputs[f] !== undefined) inputs[f] = pulumi.secret(inputs[f] as pulumi.Input<Record<string, string>>);
    super(
      kubeType(manifest.apiVersion, manifest.kind),
      name,
      inputs,
      pulumi.mergeOptions(
        { version: K8S_SDK_VERSION, ...(isSecret ? { additionalSecretOutputs: SECRET_FIELDS } : {}) },
        opts,
      ),
    );
  }
}
