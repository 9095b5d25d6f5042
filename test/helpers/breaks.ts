/**
 * Guardrail breaks: the real program with one resource changed per rule, the way a careless
 * edit to a component or a tenant would change it. Each break is a stack transformation on one
 * resource of the prod stack (protected, so PROT-001 applies), planned with the sample tenants
 * (test/fixtures/tenants/sample, never the committed customer files), and names the rule that
 * must catch it. The tests plan the broken program in-process (`brokenPlan`), hand it to the policy pack, and
 * run the plan CLI on it through `break-preload.ts`, so all three must name each rule id.
 *
 * Why transformations and not fixture files: every fixture a user could write is rejected by
 * config and tenant validation before a resource exists (e.g. 0.0.0.0/0 in adminCidrs); the
 * guardrails are the second line, against code changes, so the breaks change what the code
 * declares. Nothing here is reachable from the program: only tests load it.
 */
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { Plan, planWith, repoRoot } from "./harness";
import { SAMPLE_TENANTS } from "./tenants";

type Props = Record<string, any>;

export interface Break {
  /** The rules that must catch it (usually one). */
  rules: string[];
  /** Logical name of the resource changed; the violation must name its URN. */
  name: string;
  /** What was done, for test titles. */
  what: string;
  props?: (p: Props) => Props;
  protect?: boolean;
}

const ns = (p: Props, f: (m: Props) => Props): Props => ({ ...p, metadata: f({ ...p.metadata }) });
const spec = (p: Props, f: (s: Props) => Props): Props => ({ ...p, spec: f({ ...p.spec }) });

export const BREAKS: readonly Break[] = [
  {
    rules: ["TEN-PSS-001"],
    name: "demo-tv-ns",
    what: "tenant namespace enforces privileged",
    props: (p) => ns(p, (m) => ({ ...m, labels: { ...m.labels, "pod-security.kubernetes.io/enforce": "privileged" } })),
  },
  {
    // 5000 pods at 1.5 MiB each is 7.3 GiB: more than prod's datastore leaves all tenants.
    rules: ["TEN-QTA-001", "TEN-ETCD-001"],
    name: "demo-radio-quota",
    what: "quota allows NodePorts and 5000 pods",
    props: (p) => spec(p, (s) => ({ ...s, hard: { ...s.hard, "services.nodeports": "5", pods: "5000" } })),
  },
  {
    rules: ["TEN-PRIO-002"],
    name: "demo-tv-live-quota",
    what: "tenant-live allows more pods than the ingest workers",
    props: (p) => spec(p, (s) => ({ ...s, hard: { ...s.hard, pods: "30" } })),
  },
  {
    rules: ["TEN-LIM-001"],
    name: "demo-football-limits",
    what: "container max above the quota",
    props: (p) => spec(p, (s) => ({ ...s, limits: [{ ...s.limits[0], max: { ...s.limits[0].max, cpu: "64" } }] })),
  },
  {
    rules: ["TEN-NET-001"],
    name: "demo-tv-netpol",
    what: "network policy no longer covers egress",
    props: (p) => spec(p, (s) => ({ ...s, policyTypes: ["Ingress"] })),
  },
  {
    rules: ["TEN-NET-002"],
    name: "demo-radio-netpol",
    what: "ingress from every namespace",
    props: (p) => spec(p, (s) => ({ ...s, ingress: [{ from: [...s.ingress[0].from, { namespaceSelector: {} }] }] })),
  },
  {
    rules: ["TEN-NET-003"],
    name: "demo-football-netpol",
    what: "metadata address reachable",
    props: (p) =>
      spec(p, (s) => {
        const internet = s.egress[2];
        const block = internet.to[0].ipBlock;
        const except = block.except.filter((c: string) => c !== "169.254.169.254/32");
        return { ...s, egress: [s.egress[0], s.egress[1], { ...internet, to: [{ ipBlock: { ...block, except } }] }] };
      }),
  },
  {
    rules: ["TEN-RBAC-001"],
    name: "platform-tenant-admin",
    what: "tenant admins may impersonate",
    props: (p) => ({
      ...p,
      rules: [...p.rules, { apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }],
    }),
  },
  {
    rules: ["TEN-RBAC-002"],
    name: "demo-football-admin-binding",
    what: "binds system:authenticated",
    props: (p) => ({
      ...p,
      subjects: [...p.subjects, { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:authenticated" }],
    }),
  },
  {
    rules: ["TEN-ARGO-001"],
    name: "demo-radio-project",
    what: "project takes any repository",
    props: (p) => spec(p, (s) => ({ ...s, sourceRepos: ["*"] })),
  },
  {
    rules: ["TEN-ARGO-002"],
    name: "demo-tv-app",
    what: "Application without self-heal",
    props: (p) =>
      spec(p, (s) => ({ ...s, syncPolicy: { ...s.syncPolicy, automated: { prune: true, selfHeal: false } } })),
  },
  {
    rules: ["TEN-ARGO-003"],
    name: "platform-tenant-sync",
    what: "tenant syncs may write RoleBindings",
    props: (p) => ({
      ...p,
      rules: [
        ...p.rules,
        {
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["rolebindings"],
          verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
      ],
    }),
  },
  {
    rules: ["TEN-ARGO-004"],
    name: "platform-argocd",
    what: "Argo CD without sync impersonation (values in clear, so the plan sees them as a preview would)",
    props: (p) => ({ ...p, values: { configs: { cm: { "application.sync.impersonation.enabled": "false" } } } }),
  },
  {
    rules: ["TEN-ARGO-005"],
    name: "platform-argocd-tenants",
    what: "a config management plugin sidecar in the tenant Argo CD's repo-server",
    props: (p) => ({
      ...p,
      values: {
        ...p.values,
        repoServer: { ...p.values.repoServer, extraContainers: [{ name: "cmp", image: "registry.invalid/cmp:1" }] },
      },
    }),
  },
  {
    rules: ["TEN-ARGO-006"],
    name: "platform-argocd-tenants-cm",
    what: "the tenant Argo CD may switch a repository to Kustomize",
    props: (p) => ({ ...p, data: { ...p.data, "kustomize.enable": "true" } }),
  },
  {
    rules: ["TEN-ARGO-007"],
    name: "platform-argocd-tenants-redis",
    what: "the tenant Argo CD's Redis reachable from every namespace",
    props: (p) =>
      spec(p, (s) => ({
        ...s,
        ingress: [{ ...s.ingress[0], from: [...s.ingress[0].from, { namespaceSelector: {} }] }],
      })),
  },
  {
    rules: ["TEN-QTA-002"],
    name: "demo-tv-quota",
    what: "Secrets no longer counted",
    props: (p) =>
      spec(p, (s) => {
        const hard = { ...s.hard };
        delete hard["count/secrets"];
        return { ...s, hard };
      }),
  },
  {
    rules: ["TEN-PVC-001"],
    name: "demo-football-quota",
    what: "tenant claims may use the retaining class",
    props: (p) =>
      spec(p, (s) => ({
        ...s,
        hard: { ...s.hard, "hcloud-volumes.storageclass.storage.k8s.io/requests.storage": "100Gi" },
      })),
  },
  {
    rules: ["TEN-SCHED-001"],
    name: "platform-vap-scheduling",
    what: "the toleration check is dropped",
    props: (p) => spec(p, (s) => ({ ...s, validations: s.validations.filter((_: unknown, i: number) => i !== 1) })),
  },
  {
    rules: ["TEN-PRIO-001"],
    name: "platform-vap-priority-binding",
    what: "the priority policy only warns",
    props: (p) => spec(p, (s) => ({ ...s, validationActions: ["Warn"] })),
  },
  {
    rules: ["TEN-PDB-001"],
    name: "platform-vap-disruption-budgets",
    what: "the disruption budget policy fails open",
    props: (p) => spec(p, (s) => ({ ...s, failurePolicy: "Ignore" })),
  },
  {
    rules: ["TEN-SEAL-001"],
    name: "platform-vap-sealed-secret-scope",
    what: "the SealedSecret policy matches one namespace only",
    props: (p) =>
      spec(p, (s) => ({
        ...s,
        matchConstraints: { ...s.matchConstraints, namespaceSelector: { matchLabels: { x: "y" } } },
      })),
  },
  {
    rules: ["TEN-PSS-002"],
    name: "platform-vap-pod-templates",
    what: "the pod template policy stops matching Deployments",
    props: (p) =>
      spec(p, (s) => ({
        ...s,
        matchConstraints: {
          ...s.matchConstraints,
          resourceRules: [
            { apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["jobs"] },
          ],
        },
      })),
  },
  {
    rules: ["TEN-RTE-001"],
    name: "demo-football-ns",
    what: "namespace admits a host the tenant does not declare",
    props: (p) =>
      ns(p, (m) => ({
        ...m,
        annotations: {
          ...m.annotations,
          "platform.video/domains": `${m.annotations["platform.video/domains"]},www.other-tenant.example`,
        },
      })),
  },
  {
    rules: ["TEN-RTE-002"],
    name: "demo-tv-listeners",
    what: "a tenant listener admits routes from every namespace",
    props: (p) =>
      spec(p, (s) => ({
        ...s,
        listeners: s.listeners.map((l: Props) => ({
          ...l,
          allowedRoutes: { ...l.allowedRoutes, namespaces: { from: "All" } },
        })),
      })),
  },
  {
    rules: ["TEN-RTE-003"],
    name: "platform-vap-route-backends-binding",
    what: "the backend check only warns",
    props: (p) => spec(p, (s) => ({ ...s, validationActions: ["Warn"] })),
  },
  {
    rules: ["TEN-EDGE-001"],
    name: "platform-vap-edge-kinds-binding",
    what: "the edge-kinds policy only audits",
    props: (p) => spec(p, (s) => ({ ...s, validationActions: ["Audit"] })),
  },
  {
    rules: ["TEN-SVC-001"],
    name: "platform-vap-service-types",
    what: "the Service type check is dropped from its admission policy",
    props: (p) => spec(p, (s) => ({ ...s, validations: s.validations.slice(1) })),
  },
  {
    rules: ["TEN-OWN-001"],
    name: "platform-vap-platform-objects-binding",
    what: "the platform-objects policy only audits",
    props: (p) => spec(p, (s) => ({ ...s, validationActions: ["Audit"] })),
  },
  {
    rules: ["TEN-CRED-001"],
    name: "platform-vap-token-secrets",
    what: "the token Secret policy fails open",
    props: (p) => spec(p, (s) => ({ ...s, failurePolicy: "Ignore" })),
  },
  {
    rules: ["TEN-CRED-002"],
    name: "platform-vap-service-accounts-binding",
    what: "the sync-identity pod policy only warns",
    props: (p) => spec(p, (s) => ({ ...s, validationActions: ["Warn"] })),
  },
  {
    rules: ["TEN-EVT-001"],
    name: "platform-vap-event-size",
    what: "events may carry a megabyte of message",
    props: (p) =>
      spec(p, (s) => ({
        ...s,
        validations: [{ ...s.validations[0], expression: "size(variables.message) <= 1048576" }],
      })),
  },
  {
    rules: ["TEN-NSL-001"],
    name: "platform-vap-namespace-labels-binding",
    what: "the namespace label policy only audits",
    props: (p) => spec(p, (s) => ({ ...s, validationActions: ["Audit"] })),
  },
  {
    rules: ["SITE-FW-001", "SITE-FW-002"],
    name: "site-fw",
    what: "6443 opened to the world",
    props: (p) => ({
      ...p,
      rules: [
        ...p.rules,
        { direction: "in", protocol: "tcp", port: "6443", sourceIps: ["0.0.0.0/0"], description: "debugging" },
      ],
    }),
  },
  {
    rules: ["SITE-FW-003"],
    name: "site-worker-ingest-2",
    what: "a server without the firewall",
    props: (p) => ({ ...p, firewallIds: [] }),
  },
  {
    rules: ["SITE-NODE-001"],
    name: "site-worker-ingest-1",
    what: "a node's user-data without the host guard (in clear, so the plan sees it as a preview would)",
    props: (p) => ({ ...p, userData: "#cloud-config\npackages: [curl]\n" }),
  },
  {
    rules: ["SITE-LB-001"],
    name: "site-api-lb-net",
    what: "the API load balancer gets a public interface",
    props: (p) => ({ ...p, enablePublicInterface: true }),
  },
  {
    rules: ["SEC-001"],
    name: "demo-radio-stream-key-secret",
    what: "the stream key Secret in clear",
    props: (p) => ({ ...p, stringData: { "stream-key": "in-clear-stream-key" } }),
  },
  {
    rules: ["PROT-001"],
    name: "site-worker-general-1",
    what: "a prod server unprotected",
    protect: false,
  },
];

/** The breaks for `spec`: "all", or a comma-separated list of rule ids. */
export function selectBreaks(spec: string | undefined): Break[] {
  if (!spec) return [];
  if (spec === "all") return [...BREAKS];
  const ids = spec.split(",").map((s) => s.trim());
  const chosen = BREAKS.filter((b) => b.rules.some((r) => ids.includes(r)));
  const unknown = ids.filter((id) => !BREAKS.some((b) => b.rules.includes(id)));
  if (unknown.length) throw new Error(`no guardrail break for ${unknown.join(", ")}`);
  return chosen;
}

/** A stack transformation applying `breaks` to their resources. */
export function breakTransformation(breaks: readonly Break[]): pulumi.ResourceTransformation {
  return (args) => {
    const b = breaks.find((x) => x.name === args.name);
    if (!b) return undefined;
    return {
      props: b.props ? b.props(args.props as Props) : args.props,
      opts: b.protect === undefined ? args.opts : { ...args.opts, protect: b.protect },
    };
  };
}

type Program = () => Promise<unknown>;

/** The real program (build/index.js, or `program`) with `breaks` applied. */
export function brokenProgram(breaks: readonly Break[], program?: Program): Program {
  return () => {
    pulumi.runtime.registerStackTransformation(breakTransformation(breaks));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (program ?? (require(join(repoRoot, "build", "index.js")) as Program))();
  };
}

let broken: Promise<Plan> | undefined;
/** The prod plan with every break applied (planned once per test run). */
export function brokenPlan(): Promise<Plan> {
  broken ??= planWith({ stack: "prod", tenantsDir: SAMPLE_TENANTS, program: brokenProgram(BREAKS) });
  return broken;
}
