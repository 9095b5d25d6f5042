/**
 * The isolation cases, derived from the Kubernetes multi-tenancy benchmark (MTB: block access to
 * other tenants' resources, block modification of resource quotas, block privileged containers,
 * block host path/network/ports, block added capabilities, block NodePort/LoadBalancer/ExternalName
 * services, block use of system priority classes, ...), as pairs: the hostile request is refused
 * with the rule's message, and the nearest legitimate request is admitted. Every expectation is
 * written out here literally, not taken from the product's code. The test files choose which
 * cases run for which actor (test-cluster/isolation.test.ts, pending-*.test.ts).
 */
import { collectionPath, Impersonate } from "../tools/cluster/client";
import type { TenantIdentity } from "../tools/cluster/identities";
import {
  admitted,
  client,
  core,
  create,
  deployment,
  domainOwner,
  httpRoute,
  mergePatch,
  rejected,
  restrictedPod,
} from "./cluster";

export interface Ctx {
  tenant: string;
  t: TenantIdentity;
  other: string;
  o: TenantIdentity;
  as: Impersonate;
}

/**
 * The hostname cases: the victim is another tenant that owns domains; the tenant's own first
 * domain is the legitimate twin, or, for a tenant without domains, any name at all is refused.
 */
async function hostCase(
  { tenant, t, as }: Ctx,
  path: string,
  make: (name: string, host: string) => unknown,
  refused: RegExp,
): Promise<void> {
  const [, victim] = domainOwner(tenant);
  rejected(await create(path, make("steal", victim.domains[0]), as), 403, refused);
  if (t.domains.length) admitted(await create(path, make("mine", t.domains[0]), as));
  else rejected(await create(path, make("invented", `${tenant}.example`), as), 403, refused);
}

export interface Case {
  /** Stable id, used by the test files to choose cases. */
  id: string;
  /** The rule ids of components/rules this case proves (if it is one of the catalog's). */
  rules: string[];
  /** What must hold (the `it` title). */
  title: string;
  run(ctx: Ctx): Promise<void>;
}

const forbiddenBy = (verb: string, resource: string) => new RegExp(`cannot ${verb} resource "${resource}"`);

/** Pod Security `restricted` rejection naming what was violated. */
const pss = (what: string) => new RegExp(`violates PodSecurity "restricted:v1\\.\\d+": .*${what}`);

const svc = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name },
  spec: { ports: [{ port: 80, targetPort: 8080 }], ...spec },
});

/** A SealedSecret as a tenant's repository carries one (its ciphertext is never unsealed here). */
const sealedSecret = (name: string, metadata: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: "bitnami.com/v1alpha1",
  kind: "SealedSecret",
  metadata: { name, ...metadata },
  spec: { encryptedData: { key: "AgBy3i4OJSWK+PiTySYZZA==" }, ...spec },
});

const SERVICE_TYPE = (type: string) =>
  new RegExp(`Service type ${type} is not allowed in tenant namespaces: traffic enters through the platform Gateway`);

export const CASES: Case[] = [
  {
    id: "read-other-tenant",
    rules: ["TEN-RBAC-002"],
    title: "cannot read another tenant's Secrets or ConfigMaps; reads its own ConfigMaps",
    async run({ t, o, as }) {
      rejected(
        await client().request("GET", core(o.namespace, "secrets"), undefined, { as }),
        403,
        forbiddenBy("list", "secrets"),
      );
      rejected(
        await client().request("GET", core(o.namespace, "configmaps"), undefined, { as }),
        403,
        forbiddenBy("list", "configmaps"),
      );
      admitted(await client().request("GET", core(t.namespace, "configmaps"), undefined, { as }));
    },
  },
  {
    id: "write-other-tenant",
    rules: ["TEN-RBAC-002"],
    title: "cannot create objects in another tenant's namespace; creates them in its own",
    async run({ t, o, as }) {
      const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "intruder" }, data: { a: "b" } };
      rejected(await create(core(o.namespace, "configmaps"), cm, as), 403, forbiddenBy("create", "configmaps"));
      admitted(await create(core(t.namespace, "configmaps"), cm, as));
    },
  },
  {
    id: "own-quota",
    rules: ["TEN-QTA-001", "TEN-RBAC-001"],
    title: "cannot change its own ResourceQuota or add one; may read its ConfigMaps",
    async run({ t, as }) {
      const path = `${core(t.namespace, "resourcequotas")}/tenant-quota`;
      rejected(
        await mergePatch(path, { spec: { hard: { pods: "100000" } } }, as),
        403,
        forbiddenBy("patch", "resourcequotas"),
      );
      rejected(
        await create(
          core(t.namespace, "resourcequotas"),
          { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "more" }, spec: { hard: { pods: "1" } } },
          as,
        ),
        403,
        forbiddenBy("create", "resourcequotas"),
      );
      admitted(await client().request("GET", core(t.namespace, "configmaps"), undefined, { as }));
    },
  },
  {
    id: "own-limits",
    rules: ["TEN-LIM-001", "TEN-RBAC-001"],
    title: "cannot change or delete its own LimitRange; may read its ConfigMaps",
    async run({ t, as }) {
      const path = `${core(t.namespace, "limitranges")}/tenant-limits`;
      rejected(
        await mergePatch(path, { spec: { limits: [{ type: "Container", max: { cpu: "64" } }] } }, as),
        403,
        forbiddenBy("patch", "limitranges"),
      );
      rejected(
        await client().request("DELETE", path, undefined, { as, dryRun: true }),
        403,
        forbiddenBy("delete", "limitranges"),
      );
      admitted(await client().request("GET", core(t.namespace, "configmaps"), undefined, { as }));
    },
  },
  {
    id: "own-network-policy",
    rules: ["TEN-NET-001", "TEN-RBAC-001"],
    title: "cannot change its NetworkPolicy or add an allow-all one; may create a ConfigMap",
    async run({ t, as }) {
      const np = collectionPath("networking.k8s.io/v1", "networkpolicies", t.namespace);
      rejected(
        await mergePatch(`${np}/tenant-isolation`, { spec: { policyTypes: ["Ingress"] } }, as),
        403,
        forbiddenBy("patch", "networkpolicies"),
      );
      rejected(
        await create(
          np,
          {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "allow-all" },
            spec: { podSelector: {}, ingress: [{}], egress: [{}] },
          },
          as,
        ),
        403,
        forbiddenBy("create", "networkpolicies"),
      );
      admitted(
        await create(
          core(t.namespace, "configmaps"),
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fine" } },
          as,
        ),
      );
    },
  },
  {
    id: "own-namespace-labels",
    rules: ["TEN-NSL-001", "TEN-PSS-001"],
    title: "cannot relabel its namespace (Pod Security level); may read its ConfigMaps",
    async run({ t, as }) {
      const path = `/api/v1/namespaces/${t.namespace}`;
      const r = await mergePatch(
        path,
        { metadata: { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
        as,
      );
      // Refused either by RBAC (no namespace patch for tenants) or, for identities RBAC lets
      // through, by the TEN-NSL-001 admission policy.
      rejected(
        r,
        403,
        /cannot patch resource "namespaces"|the platform's labels \(platform\.video\/, pod-security\.kubernetes\.io\/\*\) on a tenant namespace cannot be removed or changed/,
      );
      admitted(await client().request("GET", core(t.namespace, "configmaps"), undefined, { as }));
    },
  },
  {
    id: "bind-cluster-roles",
    rules: ["TEN-RBAC-001", "TEN-RBAC-002"],
    title: "cannot bind cluster-admin, create ClusterRoleBindings or escalate with a Role; may create a ServiceAccount",
    async run({ t, as }) {
      const rb = collectionPath("rbac.authorization.k8s.io/v1", "rolebindings", t.namespace);
      const binding = (name: string) => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:authenticated" }],
      });
      rejected(
        await create(rb, binding("grab-admin"), as),
        403,
        /cannot create resource "rolebindings"|attempting to grant RBAC permissions not currently held|is attempting to grant RBAC/,
      );
      rejected(
        await create(
          collectionPath("rbac.authorization.k8s.io/v1", "clusterrolebindings"),
          { ...binding("grab-cluster"), kind: "ClusterRoleBinding" },
          as,
        ),
        403,
        forbiddenBy("create", "clusterrolebindings"),
      );
      rejected(
        await create(
          collectionPath("rbac.authorization.k8s.io/v1", "roles", t.namespace),
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "everything" },
            rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
          },
          as,
        ),
        403,
        /cannot create resource "roles"|attempting to grant RBAC permissions not currently held/,
      );
      admitted(
        await create(
          core(t.namespace, "serviceaccounts"),
          { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "worker" } },
          as,
        ),
      );
    },
  },
  {
    id: "privileged-pods",
    rules: ["TEN-PSS-001"],
    title:
      "cannot create privileged, hostPath, hostNetwork, hostPort or added-capability pods; a restricted pod is admitted",
    async run({ t, as }) {
      const pods = core(t.namespace, "pods");
      rejected(
        await create(
          pods,
          restrictedPod("priv", {}, { securityContext: { privileged: true, capabilities: { drop: ["ALL"] } } }),
          as,
        ),
        403,
        pss('privileged \\(container "app" must not set securityContext\\.privileged=true\\)'),
      );
      rejected(
        await create(pods, restrictedPod("hostpath", { volumes: [{ name: "root", hostPath: { path: "/" } }] }), as),
        403,
        pss('restricted volume types \\(volume "root" uses restricted volume type "hostPath"\\)'),
      );
      rejected(
        await create(pods, restrictedPod("hostnet", { hostNetwork: true }), as),
        403,
        pss("host namespaces \\(hostNetwork=true\\)"),
      );
      rejected(
        await create(pods, restrictedPod("hostport", {}, { ports: [{ containerPort: 8080, hostPort: 80 }] }), as),
        403,
        pss('hostPort \\(container "app" uses hostPort 80\\)'),
      );
      rejected(
        await create(
          pods,
          restrictedPod(
            "netadmin",
            {},
            {
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } },
            },
          ),
          as,
        ),
        403,
        pss(
          'unrestricted capabilities \\(container "app" must not include "NET_ADMIN" in securityContext\\.capabilities\\.add\\)',
        ),
      );
      rejected(
        await create(
          pods,
          restrictedPod("root", {
            securityContext: { runAsNonRoot: false, runAsUser: 0, seccompProfile: { type: "RuntimeDefault" } },
          }),
          as,
        ),
        403,
        pss("runAsNonRoot != true|runAsUser=0"),
      );
      admitted(await create(pods, restrictedPod("fine"), as));
    },
  },
  {
    id: "service-types",
    rules: ["TEN-SVC-001"],
    title:
      "cannot create NodePort, LoadBalancer or ExternalName Services or set externalIPs; a ClusterIP Service is admitted",
    async run({ t, as }) {
      const path = core(t.namespace, "services");
      rejected(await create(path, svc("np", { type: "NodePort" }), as), 403, SERVICE_TYPE("NodePort"));
      rejected(await create(path, svc("lb", { type: "LoadBalancer" }), as), 403, SERVICE_TYPE("LoadBalancer"));
      rejected(
        await create(
          path,
          {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "ext" },
            spec: { type: "ExternalName", externalName: "example.com" },
          },
          as,
        ),
        403,
        SERVICE_TYPE("ExternalName"),
      );
      rejected(
        await create(path, svc("eip", { externalIPs: ["203.0.113.10"] }), as),
        403,
        /spec\.externalIPs is not allowed in tenant namespaces \(CVE-2020-8554/,
      );
      admitted(await create(path, svc("web", { type: "ClusterIP", selector: { app: "web" } }), as));
    },
  },
  {
    id: "edge-kinds",
    rules: ["TEN-EDGE-001"],
    title: "cannot create an Ingress, a Gateway or a ReferenceGrant (neither role holds them); may create a ConfigMap",
    async run({ t, as }) {
      const ingress = {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: "old-way" },
        spec: { defaultBackend: { service: { name: "web", port: { number: 80 } } } },
      };
      rejected(
        await create(collectionPath("networking.k8s.io/v1", "ingresses", t.namespace), ingress, as),
        403,
        forbiddenBy("create", "ingresses"),
      );
      const gw = "gateway.networking.k8s.io/v1";
      rejected(
        await create(
          collectionPath(gw, "gateways", t.namespace),
          {
            apiVersion: gw,
            kind: "Gateway",
            metadata: { name: "own-edge" },
            spec: { gatewayClassName: "platform", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
          },
          as,
        ),
        403,
        forbiddenBy("create", "gateways"),
      );
      rejected(
        await create(
          collectionPath("gateway.networking.k8s.io/v1beta1", "referencegrants", t.namespace),
          {
            apiVersion: "gateway.networking.k8s.io/v1beta1",
            kind: "ReferenceGrant",
            metadata: { name: "open" },
            spec: {
              from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "*" }],
              to: [{ group: "", kind: "Service" }],
            },
          },
          as,
        ),
        403,
        forbiddenBy("create", "referencegrants"),
      );
      admitted(
        await create(
          core(t.namespace, "configmaps"),
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "edge-ok" } },
          as,
        ),
      );
    },
  },
  {
    id: "httproute-hosts",
    rules: ["TEN-RTE-001", "TEN-RTE-002"],
    title:
      "cannot claim another tenant's hostname (or none) with an HTTPRoute; its own domain on the platform Gateway is admitted",
    async run(ctx) {
      const path = collectionPath("gateway.networking.k8s.io/v1", "httproutes", ctx.t.namespace);
      const route = (name: string, host: string) => httpRoute(name, ctx.t.parentRefs, [host]);
      // A tenant without domains has no ListenerSet either: every route it writes is refused, by
      // whichever of the host and parent policies the API server evaluates first.
      const alsoParents = (r: RegExp) =>
        ctx.t.domains.length
          ? r
          : new RegExp(`${r.source}|every spec\\.parentRefs entry must be the tenant's ListenerSet`);
      await hostCase(ctx, path, route, alsoParents(/every spec\.hostnames entry must be one of the tenant domains/));
      rejected(
        await create(path, httpRoute("nohost", ctx.t.parentRefs, undefined), ctx.as),
        403,
        alsoParents(/a tenant route must list its host names in spec\.hostnames/),
      );
    },
  },
  {
    id: "control-plane-scheduling",
    rules: ["TEN-SCHED-001"],
    title:
      "cannot send workloads to control planes (nodeSelector, toleration, nodeName); a Deployment on its pools is admitted",
    async run({ t, as }) {
      const path = collectionPath("apps/v1", "deployments", t.namespace);
      const cp = { "node-role.kubernetes.io/control-plane": "true" };
      rejected(
        await create(path, deployment("cp-selector", { nodeSelector: cp }), as),
        403,
        /tenant pods may not select nodes by/,
      );
      rejected(
        await create(
          path,
          deployment("cp-toleration", {
            tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
          }),
          as,
        ),
        403,
        /tenant pods may tolerate only/,
      );
      rejected(
        await create(path, deployment("cp-nodename", { nodeName: "staging-cp-1" }), as),
        403,
        /tenant pods may not set spec\.nodeName/,
      );
      admitted(await create(path, deployment("on-pools", { nodeSelector: { "platform.video/pool": "general" } }), as));
    },
  },
  {
    id: "system-priority",
    rules: ["TEN-PRIO-001"],
    title: "cannot use the system priority classes; the tenant classes are admitted",
    async run({ t, as }) {
      const path = collectionPath("apps/v1", "deployments", t.namespace);
      for (const pc of ["system-cluster-critical", "system-node-critical"])
        rejected(
          await create(path, deployment(`prio-${pc}`, { priorityClassName: pc }), as),
          403,
          new RegExp(`priorityClassName ${pc} is not a tenant class`),
        );
      admitted(await create(path, deployment("prio-tenant", { priorityClassName: "tenant-standard" }), as));
    },
  },
  {
    id: "sync-pods-via-workloads",
    rules: ["TEN-PSS-001", "TEN-PSS-002", "TEN-ARGO-003"],
    title:
      "creates no bare Pods (its role holds none); a Deployment whose pod template is privileged, on the host network or mounts a hostPath is refused at admission; a restricted one is admitted",
    async run({ t, as }) {
      rejected(await create(core(t.namespace, "pods"), restrictedPod("bare"), as), 403, forbiddenBy("create", "pods"));
      const path = collectionPath("apps/v1", "deployments", t.namespace);
      // Pod Security admission only warns on a template; TEN-PSS-002 refuses the workload itself.
      const refused =
        "ValidatingAdmissionPolicy 'platform-tenant-pod-templates' with binding 'platform-tenant-pod-templates' denied request: tenant workload pod templates must meet Pod Security restricted: ";
      rejected(
        await create(path, deployment("priv", {}, { securityContext: { privileged: true } }), as),
        403,
        new RegExp(`${refused}no container may be privileged`),
      );
      rejected(
        await create(path, deployment("hostnet", { hostNetwork: true }), as),
        403,
        new RegExp(`${refused}hostNetwork, hostPID and hostIPC must be unset or false`),
      );
      rejected(
        await create(path, deployment("hostpath", { volumes: [{ name: "root", hostPath: { path: "/" } }] }), as),
        403,
        new RegExp(`${refused}volumes may only be`),
      );
      const job = {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "root-job" },
        spec: {
          template: {
            spec: {
              // Restricted in every other control, so that root is the one refusal.
              ...deployment(
                "root-job",
                {},
                {
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsUser: 0 },
                },
              ).spec.template.spec,
              restartPolicy: "Never",
            },
          },
        },
      };
      rejected(
        await create(collectionPath("batch/v1", "jobs", t.namespace), job, as),
        403,
        new RegExp(`${refused}runAsUser may not be 0`),
      );
      admitted(await create(path, deployment("fine"), as));
    },
  },
];

export const MORE_CASES: Case[] = [
  {
    id: "route-backends",
    rules: ["TEN-RTE-003"],
    title: "cannot send a route's traffic to another namespace's Service; its own Service is admitted",
    async run({ t, o, as }) {
      const path = collectionPath("gateway.networking.k8s.io/v1", "httproutes", t.namespace);
      const route = (name: string, backend: Record<string, unknown>) =>
        httpRoute(name, t.parentRefs, [t.domains[0] ?? "unused.invalid"], backend);
      const refused = /every backendRef \(and requestMirror backendRef\) must be a Service of namespace/;
      rejected(
        await create(path, route("cross", { name: "web", namespace: o.namespace }), as),
        403,
        // A tenant without domains (and so without a ListenerSet) has every route refused: by
        // whichever of the route policies the API server evaluates first.
        t.domains.length
          ? refused
          : /every backendRef \(and requestMirror backendRef\) must be a Service of namespace|every spec\.hostnames entry must be one of the tenant domains|every spec\.parentRefs entry must be the tenant's ListenerSet/,
      );
      // Without domains the host check refuses first; the backend rule is what the tenants with
      // domains prove, and the Service in its own namespace is their nearest legitimate request.
      if (t.domains.length) admitted(await create(path, route("own", { name: "web" }), as));
    },
  },
  {
    id: "disruption-budgets",
    rules: ["TEN-PDB-001"],
    title:
      "cannot create a PodDisruptionBudget that blocks drains in any form (maxUnavailable 0, minAvailable 99%, 51%, 100% or a count); maxUnavailable 1 or 25% is admitted",
    async run({ t, as }) {
      const path = collectionPath("policy/v1", "poddisruptionbudgets", t.namespace);
      const pdb = (name: string, spec: Record<string, unknown>) => ({
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name },
        spec: { selector: { matchLabels: { app: "web" } }, ...spec },
      });
      rejected(
        await create(path, pdb("frozen", { maxUnavailable: 0 }), as),
        403,
        /may not set maxUnavailable to 0 or 0%/,
      );
      // 99 % of up to 100 pods rounds up to all of them; 51 % (any percentage) of one replica too;
      // a count meets the replicas when they shrink to it.
      for (const [name, minAvailable] of [
        ["most", "99%"],
        ["half-of-one", "51%"],
        ["all", "100%"],
        ["one", 1],
      ] as const)
        rejected(
          await create(path, pdb(`min-${name}`, { minAvailable }), as),
          403,
          /a tenant PodDisruptionBudget may not set minAvailable \(other than 0\): 99% or 51% of one replica rounds up to every pod/,
        );
      admitted(await create(path, pdb("one", { maxUnavailable: 1 }), as));
      admitted(await create(path, pdb("quarter", { maxUnavailable: "25%" }), as));
    },
  },
  {
    id: "host-pinning",
    rules: ["TEN-SCHED-001"],
    title:
      "cannot pin pods to a chosen node by host name (nodeSelector or affinity on kubernetes.io/hostname, k3s.io/hostname); spreading by host name is admitted",
    async run({ t, as }) {
      const path = collectionPath("apps/v1", "deployments", t.namespace);
      for (const key of ["kubernetes.io/hostname", "k3s.io/hostname"])
        rejected(
          await create(path, deployment("pinned", { nodeSelector: { [key]: "staging-general-1" } }), as),
          403,
          /tenant pods may not select nodes by kubernetes\.io\/hostname or k3s\.io\/hostname/,
        );
      const required = (key: string) => ({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key, operator: "In", values: ["staging-general-1"] }] }],
            },
          },
        },
      });
      rejected(
        await create(path, deployment("pinned", required("kubernetes.io/hostname")), as),
        403,
        /tenant node affinity may not name kubernetes\.io\/hostname/,
      );
      rejected(
        await create(path, deployment("pinned", required("k3s.io/internal-ip")), as),
        403,
        /tenant node affinity may not name/,
      );
      const spread = {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 50,
                podAffinityTerm: {
                  topologyKey: "kubernetes.io/hostname",
                  labelSelector: { matchLabels: { app: "web" } },
                },
              },
            ],
          },
        },
      };
      admitted(await create(path, deployment("spread", spread), as));
    },
  },
  {
    id: "ingest-priority",
    rules: ["TEN-SCHED-001", "TEN-PRIO-002"],
    title:
      "an ingest pod may tolerate the ingest taint only at priority tenant-live (whose quota is the file's ingest workers); at tenant-live it is admitted",
    async run({ t, as }) {
      const path = collectionPath("apps/v1", "deployments", t.namespace);
      const ingest = (priorityClassName: string) => {
        const d = deployment("ingest", {
          priorityClassName,
          tolerations: [{ key: "platform.video/dedicated", operator: "Equal", value: "ingest", effect: "NoSchedule" }],
        });
        d.spec.selector.matchLabels = { app: "ingest" };
        (d.spec.template.metadata as { labels: Record<string, string> }).labels = {
          app: "ingest",
          "platform.video/workload": "ingest",
        };
        return d;
      };
      rejected(
        await create(path, ingest("tenant-standard"), as),
        403,
        /ingest pods \(label platform\.video\/workload=ingest, priorityClassName tenant-live\) of tenants with ingest workers/,
      );
      // Every tenant of the staging plan has ingest workers (its namespace label says so).
      admitted(await create(path, ingest("tenant-live"), as));
    },
  },
  {
    id: "sync-identity-pods",
    rules: ["TEN-CRED-002"],
    title:
      "cannot run a workload as the ServiceAccount Argo CD syncs the tenant as; its own ServiceAccount is admitted",
    async run({ t, as }) {
      const path = collectionPath("apps/v1", "deployments", t.namespace);
      rejected(
        await create(path, deployment("as-sync", { serviceAccountName: "argocd-sync" }), as),
        403,
        /tenant pods may not run as the ServiceAccount argocd-sync/,
      );
      admitted(await create(path, deployment("as-default", { serviceAccountName: "default" }), as));
    },
  },
  {
    id: "platform-service-account",
    rules: ["TEN-OWN-001"],
    title:
      "cannot change or delete the platform's ServiceAccount argocd-sync, nor forge the platform label on its own; its own ServiceAccount is admitted",
    async run({ t, as }) {
      const sa = `${core(t.namespace, "serviceaccounts")}/argocd-sync`;
      const owned =
        /the ServiceAccount argocd-sync carries the label platform\.video\/tenant: the platform declares it for the tenant/;
      rejected(await mergePatch(sa, { automountServiceAccountToken: true }, as), 403, owned);
      rejected(await mergePatch(sa, { metadata: { labels: { "platform.video/tenant": null } } }, as), 403, owned);
      rejected(await client().request("DELETE", sa, undefined, { as, dryRun: true }), 403, owned);
      rejected(
        await create(
          core(t.namespace, "serviceaccounts"),
          {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "forged", labels: { "platform.video/tenant": t.namespace } },
          },
          as,
        ),
        403,
        /carries the label platform\.video\/tenant/,
      );
      admitted(
        await create(
          core(t.namespace, "serviceaccounts"),
          { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "app", labels: { team: "video" } } },
          as,
        ),
      );
    },
  },
  {
    id: "sealed-secret-scope",
    rules: ["TEN-SEAL-001"],
    title: "cannot create a cluster-wide or namespace-wide SealedSecret; a strict one is admitted",
    async run({ t, as }) {
      const path = collectionPath("bitnami.com/v1alpha1", "sealedsecrets", t.namespace);
      for (const scope of ["cluster-wide", "namespace-wide"])
        rejected(
          await create(
            path,
            sealedSecret(scope, { annotations: { [`sealedsecrets.bitnami.com/${scope}`]: "true" } }),
            as,
          ),
          403,
          /tenant SealedSecrets must be strict-scoped/,
        );
      admitted(await create(path, sealedSecret("strict"), as));
    },
  },
];

/** The admin group's and the sync identity's own cases for what the platform owns and mints. */
export const CREDENTIAL_CASES: Case[] = [
  {
    id: "platform-stream-key",
    rules: ["TEN-OWN-001"],
    title: "cannot change, unlabel or delete the platform's stream-key Secret; a Secret of its own is admitted",
    async run({ t, as }) {
      const path = `${core(t.namespace, "secrets")}/stream-key`;
      const owned =
        /the Secret stream-key carries the label platform\.video\/tenant: the platform declares it for the tenant/;
      rejected(await mergePatch(path, { stringData: { "stream-key": "chosen-by-the-tenant" } }, as), 403, owned);
      rejected(await mergePatch(path, { metadata: { labels: { "platform.video/tenant": null } } }, as), 403, owned);
      rejected(await client().request("DELETE", path, undefined, { as, dryRun: true }), 403, owned);
      admitted(
        await create(
          core(t.namespace, "secrets"),
          { apiVersion: "v1", kind: "Secret", metadata: { name: "encoder" }, stringData: { key: "x" } },
          as,
        ),
      );
    },
  },
  {
    id: "token-secret",
    rules: ["TEN-CRED-001"],
    title:
      "cannot create a Secret of type kubernetes.io/service-account-token (a token that never expires); an Opaque Secret is admitted",
    async run({ t, as }) {
      rejected(
        await create(
          core(t.namespace, "secrets"),
          {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "forever", annotations: { "kubernetes.io/service-account.name": "default" } },
            type: "kubernetes.io/service-account-token",
          },
          as,
        ),
        403,
        /a Secret of type kubernetes\.io\/service-account-token \(or a SealedSecret that unseals into one\) cannot be created in a tenant namespace/,
      );
      admitted(
        await create(
          core(t.namespace, "secrets"),
          { apiVersion: "v1", kind: "Secret", metadata: { name: "opaque" }, type: "Opaque", stringData: { a: "b" } },
          as,
        ),
      );
    },
  },
  {
    id: "token-sealed-secret",
    rules: ["TEN-CRED-001"],
    title: "cannot create a SealedSecret that unseals into a service-account-token Secret; an Opaque one is admitted",
    async run({ t, as }) {
      const path = collectionPath("bitnami.com/v1alpha1", "sealedsecrets", t.namespace);
      const sealed = (name: string, type: string) =>
        sealedSecret(
          name,
          {},
          {
            template: { type, metadata: { annotations: { "kubernetes.io/service-account.name": "default" } } },
          },
        );
      rejected(
        await create(path, sealed("forever", "kubernetes.io/service-account-token"), as),
        403,
        /a Secret of type kubernetes\.io\/service-account-token \(or a SealedSecret that unseals into one\) cannot be created/,
      );
      admitted(await create(path, sealed("opaque", "Opaque"), as));
    },
  },
];

export function caseById(id: string): Case {
  const c = [...CASES, ...MORE_CASES, ...CREDENTIAL_CASES].find((x) => x.id === id);
  if (!c) throw new Error(`no isolation case ${id}`);
  return c;
}
