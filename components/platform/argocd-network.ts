/**
 * The NetworkPolicies of an Argo CD namespace (docs/tenant-isolation.md §1, TEN-ARGO-007), as pure
 * manifests: a default deny for every pod of the namespace, then one policy per component that
 * allows exactly its paths. Policies are additive and select pods within their own namespace, so
 * nothing here opens a path between the two instances:
 *   - repo-server: in from its own instance's controller (and server, ApplicationSet controller)
 *     on its gRPC port; out to DNS, to its own Redis, and to Git (and Helm chart repositories) on
 *     the public internet only: the metadata address and the site's node, pod and service ranges
 *     are excepted, so no repository file (a value-file URL, a chart dependency, a submodule) can
 *     make it reach anything inside the site;
 *   - Redis: in from its own instance's pods only, out to nothing;
 *   - application controller: out to the API server, its repo-server, its Redis and DNS;
 *   - the platform instance's server (behind the Gateway), ApplicationSet and notifications
 *     controllers, and the chart's redis-secret-init hook Job: what each needs, nothing else.
 * Pods are selected by the chart's labels (namespaces.ts argocdNames), so a pod the chart adds
 * later falls under the default deny until it gets its own policy.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../config/load";
import { gitPort } from "../rules/argocd";
import { blockedRanges, KUBE_DNS } from "../tenant/manifests";
import type { NamedMeta } from "./kube-object";
import { ArgocdComponent, argocdNames, EDGE_PROXY } from "./namespaces";

type NetworkPolicy = k8s.types.input.networking.v1.NetworkPolicy & {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: NamedMeta;
};
type Rule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The ports each component listens on (argo-cd chart 10.1.1 values `<component>.containerPorts`). */
export const ARGOCD_PORTS = { repoServer: 8081, redis: 6379, server: 8080 } as const;

/** Where an instance's pods run and what they may reach. */
export interface ArgocdNetwork {
  /** The instance's namespace. */
  namespace: string;
  /** Its Helm release (the pods' app.kubernetes.io/instance label). */
  release: string;
  /** Ranges no Argo CD pod reaches on the internet rules: metadata address, node, pod and service ranges. */
  blockedRanges: string[];
  /** The site's private network (control planes serve the API on 6443 there). */
  networkCidr: string;
  /** The `kubernetes` Service's ClusterIP (the API as pods address it, 443). */
  apiServiceIp: string;
  /** TCP ports the repo-server may reach Git and chart repositories on (443 always). */
  gitPorts: number[];
  /** The platform instance: its server behind the Gateway, ApplicationSet and notifications controllers run. */
  platform: boolean;
}

const TCP = (port: number) => ({ protocol: "TCP", port });
const nsSelector = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });

/** The `kubernetes` Service's ClusterIP: the first address of the service range (k3s, kube-apiserver). */
export function apiServiceIp(serviceCidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(serviceCidr);
  if (!m) throw new Error(`argocd network: ${serviceCidr} is not an IPv4 CIDR`);
  const base = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(m[5]));
  const first = base - (base % size) + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(first / 2 ** s) % 256).join(".");
}

/** 443 (chart repositories, https Git) and the port of every repository URL, sorted, once each. */
export function gitPorts(urls: readonly string[]): number[] {
  return [...new Set([443, ...urls.map(gitPort)])].sort((a, b) => a - b);
}

/** The network facts of an Argo CD instance on this site, for the repository URLs it serves. */
export function argocdNetwork(
  config: Pick<StackConfig, "site" | "k3s">,
  instance: { namespace: string; release: string },
  repoUrls: readonly string[],
  platform: boolean,
): ArgocdNetwork {
  return {
    namespace: instance.namespace,
    release: instance.release,
    blockedRanges: blockedRanges(config),
    networkCidr: config.site.networkCidr,
    apiServiceIp: apiServiceIp(config.k3s.serviceCidr),
    gitPorts: gitPorts(repoUrls),
    platform,
  };
}

function policy(net: ArgocdNetwork, name: string, spec: NetworkPolicy["spec"]): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: `${net.release}-${name}`,
      namespace: net.namespace,
      labels: { "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec,
  };
}

/** Egress rules every Argo CD peer uses. */
function peers(net: ArgocdNetwork) {
  const pods = (c: ArgocdComponent) => ({ podSelector: { matchLabels: argocdNames(net.release).podLabels(c) } });
  return {
    pods,
    dns: {
      to: [
        { namespaceSelector: nsSelector(KUBE_DNS.namespace), podSelector: { matchLabels: { ...KUBE_DNS.podLabel } } },
      ],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    } as Rule,
    api: [
      { to: [{ ipBlock: { cidr: `${net.apiServiceIp}/32` } }], ports: [TCP(443)] },
      { to: [{ ipBlock: { cidr: net.networkCidr } }], ports: [TCP(6443)] },
    ] as Rule[],
    repoServer: { to: [pods("repo-server")], ports: [TCP(ARGOCD_PORTS.repoServer)] } as Rule,
    redis: { to: [pods("redis")], ports: [TCP(ARGOCD_PORTS.redis)] } as Rule,
    internet: (ports: number[]): Rule => ({
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...net.blockedRanges] } }],
      ports: ports.map(TCP),
    }),
  };
}

/** Default deny, the controller, Redis and the redis-secret-init Job: every instance has them. */
export function argocdBasePolicies(net: ArgocdNetwork): NetworkPolicy[] {
  const p = peers(net);
  const select = (c: ArgocdComponent) => ({ matchLabels: argocdNames(net.release).podLabels(c) });
  const redisClients: ArgocdComponent[] = [
    "application-controller",
    "repo-server",
    ...(net.platform ? ["server" as const] : []),
  ];
  return [
    policy(net, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    policy(net, "application-controller", {
      podSelector: select("application-controller"),
      policyTypes: ["Ingress", "Egress"],
      egress: [...p.api, p.repoServer, p.redis, p.dns],
    }),
    policy(net, "redis", {
      podSelector: select("redis"),
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: redisClients.map(p.pods), ports: [TCP(ARGOCD_PORTS.redis)] }],
    }),
    // The chart's pre-install hook writes the Redis password Secret through the API.
    policy(net, "redis-secret-init", {
      podSelector: select("redis-secret-init"),
      policyTypes: ["Ingress", "Egress"],
      egress: [...p.api],
    }),
    ...(net.platform ? platformPolicies(net) : []),
  ];
}

/** The repo-server: in from its own instance only, out to DNS, its Redis and the internet's Git ports. */
export function argocdRepoServerPolicy(net: ArgocdNetwork): NetworkPolicy {
  const p = peers(net);
  const clients: ArgocdComponent[] = [
    "application-controller",
    ...(net.platform ? (["server", "applicationset-controller"] as const) : []),
  ];
  return policy(net, "repo-server", {
    podSelector: { matchLabels: argocdNames(net.release).podLabels("repo-server") },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: clients.map(p.pods), ports: [TCP(ARGOCD_PORTS.repoServer)] }],
    egress: [p.dns, p.redis, p.internet(net.gitPorts)],
  });
}

/** The platform instance's server (reached from the Gateway's proxies), ApplicationSet and notifications controllers. */
function platformPolicies(net: ArgocdNetwork): NetworkPolicy[] {
  const p = peers(net);
  const select = (c: ArgocdComponent) => ({ matchLabels: argocdNames(net.release).podLabels(c) });
  return [
    policy(net, "server", {
      podSelector: select("server"),
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: nsSelector(EDGE_PROXY.namespace),
              podSelector: { matchLabels: { ...EDGE_PROXY.podLabels } },
            },
          ],
          ports: [TCP(ARGOCD_PORTS.server)],
        },
      ],
      egress: [...p.api, p.repoServer, p.redis, p.dns],
    }),
    // SCM and pull-request generators call their providers' APIs over HTTPS.
    policy(net, "applicationset-controller", {
      podSelector: select("applicationset-controller"),
      policyTypes: ["Ingress", "Egress"],
      egress: [...p.api, p.repoServer, p.dns, p.internet([443])],
    }),
    // Notification services (chat, webhooks) are reached over HTTPS.
    policy(net, "notifications-controller", {
      podSelector: select("notifications-controller"),
      policyTypes: ["Ingress", "Egress"],
      egress: [...p.api, p.repoServer, p.dns, p.internet([443])],
    }),
  ];
}
