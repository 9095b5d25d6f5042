/**
 * The Kubernetes provider every cluster object goes through, and the credentials the readiness
 * gate borrows from the same kubeconfig.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { KubeCredentials } from "./gate";

/**
 * The client credentials of a kubeconfig's current context (or its only user): what the gate
 * presents to `/readyz`, because k3s turns anonymous auth off. Only inline data is read; a
 * kubeconfig that points at files on disk yields no credentials (and the gate says 401).
 */
export function kubeconfigCredentials(kubeconfig: string): KubeCredentials {
  let doc: unknown;
  try {
    doc = parse(kubeconfig);
  } catch {
    return {};
  }
  if (!doc || typeof doc !== "object") return {};
  const kc = doc as {
    "current-context"?: string;
    contexts?: { name?: string; context?: { user?: string } }[];
    users?: { name?: string; user?: Record<string, unknown> }[];
  };
  const users = Array.isArray(kc.users) ? kc.users : [];
  const contextUser = (Array.isArray(kc.contexts) ? kc.contexts : []).find((c) => c?.name === kc["current-context"])
    ?.context?.user;
  const user = (contextUser !== undefined ? users.find((u) => u?.name === contextUser) : users[0])?.user ?? {};
  const b64 = (v: unknown) => (typeof v === "string" && v ? Buffer.from(v, "base64").toString("utf8") : undefined);
  const out: KubeCredentials = {};
  const cert = b64(user["client-certificate-data"]);
  const key = b64(user["client-key-data"]);
  if (cert) out.clientCertPem = cert;
  if (key) out.clientKeyPem = key;
  if (typeof user.token === "string" && user.token) out.token = user.token;
  return out;
}

/**
 * The provider, built from the kubeconfig alone so it is as deterministic as the kubeconfig (any
 * change replaces every object under it: pulumi-kubernetes#4019). It waits for the gate through
 * `dependsOn` rather than by threading the kubeconfig through the gate's outputs: outputs are
 * unknown while the gate updates, and an unknown kubeconfig in a preview would show every
 * Kubernetes object as possibly replaced.
 */
export function clusterProvider(
  name: string,
  kubeconfig: pulumi.Input<string>,
  gate: pulumi.Resource,
  parent: pulumi.Resource,
  extra: Pick<k8s.ProviderArgs, "enableSecretMutable"> = {},
): k8s.Provider {
  return new k8s.Provider(
    name,
    {
      kubeconfig: pulumi.secret(kubeconfig),
      // Server-side apply (the default in v4, set so a provider default change cannot flip it):
      // the Kubernetes API owns field merging, and the chart-managed objects are left alone.
      enableServerSideApply: true,
      ...extra,
    },
    { parent, dependsOn: [gate] },
  );
}
