/**
 * The admin kubeconfig, rendered from values Pulumi already holds (the server CA, an admin client
 * certificate signed by the client CA, the API address): no SSH to a server, and the same text on
 * every run as long as those inputs are unchanged. A kubeconfig that changed for no reason would
 * make every Kubernetes resource under its provider look changed (pulumi-kubernetes#4019).
 */
import { stringify } from "yaml";

export interface KubeconfigInput {
  /** Cluster, user and context name (the stack). */
  name: string;
  /** https://<address>:6443 */
  server: string;
  caCertPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export function renderKubeconfig(k: KubeconfigInput): string {
  if (!/^https:\/\/[^\s/]+:\d+$/.test(k.server))
    throw new Error(`kubeconfig: server must be https://host:port, got ${k.server}`);
  const user = `${k.name}-admin`;
  return stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: k.name, cluster: { server: k.server, "certificate-authority-data": b64(k.caCertPem) } }],
      users: [
        {
          name: user,
          user: { "client-certificate-data": b64(k.clientCertPem), "client-key-data": b64(k.clientKeyPem) },
        },
      ],
      contexts: [{ name: k.name, context: { cluster: k.name, user } }],
      "current-context": k.name,
      preferences: {},
    },
    { lineWidth: 0 },
  );
}
