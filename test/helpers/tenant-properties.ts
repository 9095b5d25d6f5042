/**
 * What every valid set of tenant files gives, on every stack: the properties the suite asserts
 * over the committed tenants/ (customer data), written so that adding, changing, decommissioning
 * or removing a tenant file never needs a test edit. Each property reads what a tenant declared
 * from its file (test/helpers/tenants.ts, plain YAML) and checks the plan against it; security
 * values are written out literally, never imported from the code under test.
 *
 * Used over the committed tenants (tenant, platform, rules and hardening tests) and, all of them,
 * over the sample set and over a copy of tenants/ with one generated tenant added and one removed
 * (test/tenant-sets.test.ts): that is the proof that onboarding stays a one-file pull request.
 */
import { strict as assert } from "node:assert";
import { PLATFORM_NAMESPACES } from "../../components/platform";
import { kubeType } from "../../components/platform/kube-object";
import { checkTenantObjects, K8sObject, RuleContext } from "../../components/rules/tenant-objects";
import { adminClusterRole, blockedRanges, STREAM_KEY_FIELD } from "../../components/tenant/manifests";
import { byName, Plan, PlannedResource, readStackConfig, SECRET } from "./harness";
import { TenantFile, tenantResources, tenantsIn } from "./tenants";

const RELEASE = "kubernetes:helm.sh/v3:Release";

/** The tenant's Kubernetes objects as plain manifests, rebuilt from the plan's recorded inputs. */
export function tenantObjects(p: Plan, name: string): K8sObject[] {
  return tenantResources(p, name)
    .children.filter((r) => r.type.startsWith("kubernetes:"))
    .map((r) => JSON.parse(JSON.stringify(r.inputs)) as K8sObject);
}

/** The rule context of one tenant on a committed stack, built from the stack file. */
export function ctxFor(stack: string, spec: { name: string; repoURL: string }): RuleContext {
  const c = readStackConfig(stack) as Record<string, Record<string, unknown>>;
  const site = c["video-platform:site"] as { networkCidr: string };
  const k3s = c["video-platform:k3s"] as { clusterCidr?: string; serviceCidr?: string };
  return {
    tenant: spec.name,
    repoURL: spec.repoURL,
    ingressNamespace: PLATFORM_NAMESPACES.ingress,
    // The edge proxy's pods (Envoy Gateway's proxies), written out: not the constant under test.
    edgePodLabels: {
      "app.kubernetes.io/name": "envoy",
      "app.kubernetes.io/component": "proxy",
      "app.kubernetes.io/managed-by": "envoy-gateway",
    },
    blockedRanges: blockedRanges({
      site: { networkCidr: site.networkCidr } as never,
      k3s: { clusterCidr: k3s.clusterCidr ?? "10.42.0.0/16", serviceCidr: k3s.serviceCidr ?? "10.43.0.0/16" } as never,
    }),
    adminRole: JSON.parse(JSON.stringify(adminClusterRole())) as K8sObject,
  };
}

/** A tenant's children by role (its logical name without the `<tenant>-` prefix) and type. */
export function expectedChildren(t: Pick<TenantFile, "admins" | "domains">): string[][] {
  return [
    ["ns", "kubernetes:core/v1:Namespace"],
    ["quota", "kubernetes:core/v1:ResourceQuota"],
    ["live-quota", "kubernetes:core/v1:ResourceQuota"],
    ["limits", "kubernetes:core/v1:LimitRange"],
    ["netpol", "kubernetes:networking.k8s.io/v1:NetworkPolicy"],
    ...(t.admins.length > 0 ? [["admin-binding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"]] : []),
    ["stream-key", "random:index/randomBytes:RandomBytes"],
    ["stream-key-secret", "kubernetes:core/v1:Secret"],
    ["sync-sa", "kubernetes:core/v1:ServiceAccount"],
    ["sync-binding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"],
    ["argocd-access", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"],
    ["project", "kubernetes:argoproj.io/v1alpha1:AppProject"],
    ["app", "kubernetes:argoproj.io/v1alpha1:Application"],
    ...(t.domains.length > 0
      ? [
          ["listeners", "kubernetes:gateway.networking.k8s.io/v1:ListenerSet"],
          ["cert", "kubernetes:cert-manager.io/v1:Certificate"],
        ]
      : []),
  ].sort();
}

/** One Tenant component per file, top-level, with exactly the children its file asks for (≤ 16 resources). */
export function oneComponentPerFile(p: Plan, files: TenantFile[]): void {
  assert.deepEqual(tenantsIn(p), files.map((t) => t.name).sort(), `${p.stack}: one Tenant per file`);
  for (const t of files) {
    const { component, children } = tenantResources(p, t.name);
    assert.equal(component.parent?.endsWith(`::video-platform-${p.stack}`), true, `${t.name}: a top-level component`);
    const got = children.map((r) => [r.name.slice(t.name.length + 1), r.type]).sort();
    assert.deepEqual(got, expectedChildren(t), `${p.stack}: ${t.name}'s children`);
    assert.ok(
      children.every((r) => r.parent === component.urn),
      `${t.name}: children are direct`,
    );
    assert.ok(children.length + 1 <= 16, `${t.name}: ${children.length + 1} resources`);
  }
}

/**
 * Every tenant object registers as @pulumi/kubernetes's typed class would (same type token, no
 * legacy aliases), through the platform's provider, with an explicit metadata.name; the stream
 * key Secret's fields are secret outputs, the quota's are not.
 */
export function registeredAsTyped(p: Plan): void {
  const provider = byName(p, "platform-k8s").urn;
  for (const name of tenantsIn(p)) {
    for (const r of tenantResources(p, name).children.filter((x) => x.type.startsWith("kubernetes:"))) {
      const o = r.inputs as { apiVersion: string; kind: string; metadata: { name?: string } };
      assert.equal(r.type, kubeType(o.apiVersion, o.kind), r.name);
      assert.equal(r.options.aliases, 0, `${r.name}: no legacy-version aliases`);
      assert.ok(r.options.provider?.startsWith(`${provider}::`), `${r.name} provider ${r.options.provider}`);
      assert.equal(typeof o.metadata.name, "string", `${r.name} has metadata.name`);
    }
    const secret = byName(p, `${name}-stream-key-secret`);
    assert.deepEqual(secret.options.additionalSecretOutputs, ["data", "stringData"], name);
    assert.equal(secret.inputs.stringData, SECRET, name);
    assert.deepEqual(byName(p, `${name}-quota`).options.additionalSecretOutputs, [], name);
  }
}

/** Every core and Argo CD object of every tenant validates against its schema (kubernetes-models). */
export async function validAgainstSchemas(p: Plan, files: TenantFile[]): Promise<void> {
  const core = await import("kubernetes-models/v1");
  const net = await import("kubernetes-models/networking.k8s.io/v1");
  const rbac = await import("kubernetes-models/rbac.authorization.k8s.io/v1");
  const argo = await import("@kubernetes-models/argo-cd/argoproj.io/v1alpha1");
  const models: Record<string, any> = {
    Namespace: core.Namespace,
    ResourceQuota: core.ResourceQuota,
    LimitRange: core.LimitRange,
    Secret: core.Secret,
    ServiceAccount: core.ServiceAccount,
    NetworkPolicy: net.NetworkPolicy,
    Role: rbac.Role,
    RoleBinding: rbac.RoleBinding,
    AppProject: argo.AppProject,
    Application: argo.Application,
  };
  // The Gateway API and cert-manager objects are checked against the real CRDs by a real API
  // server (npm run test:cluster): their npm model packages need Node >= 22.
  const checkedByTheClusterSuite = new Set(["ListenerSet", "Certificate"]);
  let n = 0;
  for (const name of tenantsIn(p))
    for (const o of tenantObjects(p, name)) {
      if (checkedByTheClusterSuite.has(String(o.kind))) continue;
      const Model = models[String(o.kind)];
      assert.ok(Model, `no model for ${o.kind}`);
      // The provider marks a Secret's stringData secret as a whole, so the plan records the
      // marker; validate the shape the component builds (one key, a string).
      if ((o as any).stringData === SECRET) (o as any).stringData = { [STREAM_KEY_FIELD]: "redacted" };
      new Model(o).validate();
      n++;
    }
  // Per tenant: namespace, quota, tenant-live quota, limits, policy, key Secret, sync
  // ServiceAccount and binding, the tenant Argo CD's binding, project, application (11), plus the admins' RoleBinding when it lists admins.
  assert.equal(
    n,
    files.reduce((sum, t) => sum + 11 + (t.admins.length > 0 ? 1 : 0), 0),
    `${p.stack}: objects checked`,
  );
  (new rbac.ClusterRole(byName(p, "platform-tenant-admin").inputs as any) as any).validate();
}

/** The exact guardrail kinds no tenant's Argo CD project may allow, written out. */
const GUARDRAIL_KINDS = [
  "/ResourceQuota",
  "/LimitRange",
  "networking.k8s.io/NetworkPolicy",
  "rbac.authorization.k8s.io/Role",
  "rbac.authorization.k8s.io/RoleBinding",
  "/Endpoints",
  "discovery.k8s.io/EndpointSlice",
];

/** Blocked egress ranges per committed stack, written out (metadata, node network, pods, services). */
const BLOCKED: Record<string, string[]> = {
  staging: ["169.254.169.254/32", "10.10.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
  prod: ["169.254.169.254/32", "10.20.0.0/16", "10.42.0.0/16", "10.43.0.0/16"],
};

/** PSS restricted, no guardrail kind allowed, in-cluster only, no adoption, blocked ranges: every tenant. */
export function isolationValues(p: Plan): void {
  for (const name of tenantsIn(p)) {
    const labels = (byName(p, `${name}-ns`).inputs.metadata as any).labels;
    for (const mode of ["enforce", "audit", "warn"]) {
      assert.equal(labels[`pod-security.kubernetes.io/${mode}`], "restricted", `${name} ${mode}`);
      assert.match(labels[`pod-security.kubernetes.io/${mode}-version`], /^v1\.\d+$/, `${name} ${mode}-version`);
    }
    assert.equal(labels["platform.video/tenant"], name);
    const project = (byName(p, `${name}-project`).inputs as any).spec;
    // An allow-list (its exact kinds: test/hardening.test.ts): none of the guardrail kinds in it.
    assert.equal(project.namespaceResourceBlacklist, undefined, name);
    const allowed = project.namespaceResourceWhitelist.map((k: any) => `${k.group}/${k.kind}`);
    assert.ok(allowed.length > 0, name);
    for (const g of GUARDRAIL_KINDS) assert.ok(!allowed.includes(g), `${name}: guardrail kind ${g} allowed`);
    assert.deepEqual(project.clusterResourceWhitelist, []);
    assert.deepEqual(project.destinations, [{ namespace: name, server: "https://kubernetes.default.svc" }]);
    assert.equal(project.sourceRepos.length, 1);
    const app = (byName(p, `${name}-app`).inputs as any).spec;
    assert.deepEqual(app.destination, { namespace: name, server: "https://kubernetes.default.svc" });
    assert.equal(app.project, name);
    // Argo CD must refuse to take over an object another Application (tenant) manages.
    assert.deepEqual(app.syncPolicy.syncOptions, ["FailOnSharedResource=true"], name);
    assert.deepEqual(app.syncPolicy.automated, { prune: true, selfHeal: true });
    const egress = (byName(p, `${name}-netpol`).inputs as any).spec.egress;
    const world = egress.flatMap((e: any) => e.to).filter((t: any) => t.ipBlock);
    assert.deepEqual(world, [{ ipBlock: { cidr: "0.0.0.0/0", except: BLOCKED[p.stack] } }], `${name} egress`);
  }
}

/** Objects inside a tenant's namespace go with it (deletedWith); the namespace, key and Argo CD objects do not. */
export function deletedWithNamespace(p: Plan): void {
  const inside = [
    "quota",
    "live-quota",
    "limits",
    "netpol",
    "admin-binding",
    "stream-key-secret",
    "sync-sa",
    "sync-binding",
    "argocd-access",
  ];
  for (const name of tenantsIn(p)) {
    const ns = byName(p, `${name}-ns`).urn;
    for (const { name: child, options } of tenantResources(p, name).children)
      assert.equal(
        options.deletedWith,
        inside.includes(child.slice(name.length + 1)) ? ns : null,
        `${child}: deletedWith`,
      );
  }
}

/** Every tenant-object rule holds for every tenant, against the repository its file declares. */
export function isolationRulesHold(p: Plan, files: TenantFile[]): void {
  for (const t of files)
    assert.deepEqual(checkTenantObjects(tenantObjects(p, t.name), ctxFor(p.stack, t)), [], `${p.stack}: ${t.name}`);
}

/** No tenant's resource waits for another tenant's. */
export function noChainsBetweenTenants(p: Plan): void {
  const owner = new Map<string, string>();
  for (const name of tenantsIn(p)) for (const r of tenantResources(p, name).children) owner.set(r.urn, name);
  for (const [urn, name] of owner) {
    const r = p.resources.find((x) => x.urn === urn) as PlannedResource;
    for (const d of r.options.dependsOn) {
      const other = owner.get(d);
      assert.ok(!other || other === name, `${r.name} depends on ${other}'s ${d}`);
    }
  }
}

/** One NetworkPolicy per tenant file (none vanishes), each after Envoy Gateway and cert-manager. */
export function networkPoliciesAfterEdge(p: Plan, files: TenantFile[]): void {
  const policies = p.resources.filter(
    (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.parent?.includes("platform:tenant:Tenant::"),
  );
  assert.deepEqual(policies.map((r) => r.name).sort(), files.map((t) => `${t.name}-netpol`).sort());
  const needed = [byName(p, "platform-envoy-gateway", RELEASE).urn, byName(p, "platform-cert-manager", RELEASE).urn];
  for (const r of policies)
    for (const u of needed) assert.ok(r.options.dependsOn.includes(u), `${r.name} does not depend on ${u}`);
}

/**
 * The edge's custom resources: the platform's seven (GatewayClass, EnvoyProxy, Gateway,
 * ClientTrafficPolicy, two HTTPRoutes, SecurityPolicy) plus one ListenerSet per tenant with
 * domains; Argo CD's Certificate plus one per tenant with domains.
 */
export function edgeObjectsPerTenant(p: Plan, files: TenantFile[]): void {
  const served = files.filter((t) => t.domains.length > 0);
  const listenerSets = p.resources.filter((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:ListenerSet");
  assert.deepEqual(listenerSets.map((r) => r.name).sort(), served.map((t) => `${t.name}-listeners`).sort());
  const edgeCrs = p.resources.filter((r) =>
    /^kubernetes:(gateway\.networking\.k8s\.io|gateway\.envoyproxy\.io)\//.test(r.type),
  );
  assert.equal(edgeCrs.length, 7 + served.length);
  const certs = p.resources.filter((r) => r.type === "kubernetes:cert-manager.io/v1:Certificate");
  assert.deepEqual(
    certs.map((r) => r.name).sort(),
    ["platform-argocd-cert", ...served.map((t) => `${t.name}-cert`)].sort(),
    "Argo CD's and one per tenant with domains",
  );
}

/** Every tenant namespace carries exactly its file's domains for the admission policy to read. */
export function domainsOnNamespaces(p: Plan, files: TenantFile[]): void {
  for (const t of files)
    assert.equal(
      (byName(p, `${t.name}-ns`).inputs.metadata as any).annotations["platform.video/domains"],
      t.domains.join(","),
      t.name,
    );
}

/** Tenant claims use only hcloud-volumes-tenant: the platform's retaining class is zero in every quota. */
export function tenantStorageOnly(p: Plan): void {
  for (const t of tenantsIn(p)) {
    const hard = (byName(p, `${t}-quota`).inputs.spec as any).hard;
    assert.equal(hard["hcloud-volumes.storageclass.storage.k8s.io/requests.storage"], "0", t);
    assert.equal(hard["hcloud-volumes.storageclass.storage.k8s.io/persistentvolumeclaims"], "0", t);
    const values = (byName(p, `${t}-app`).inputs.spec as any).source.helm.valuesObject;
    assert.deepEqual(values.storage, { className: "hcloud-volumes-tenant" }, t);
  }
}

/**
 * On prod a tenant's namespace and stream key are protected unless its file says
 * `decommission: true` (then the namespace is labelled so); nothing of a tenant is protected on
 * staging, and quotas never are.
 */
export function protectedUnlessDecommissioned(p: Plan, files: TenantFile[]): void {
  for (const t of files) {
    const want = p.stack === "prod" && !t.decommission;
    const ns = byName(p, `${t.name}-ns`);
    assert.equal(ns.options.protect, want, `${p.stack}: ${t.name} namespace`);
    assert.equal(byName(p, `${t.name}-stream-key`).options.protect, want, `${p.stack}: ${t.name} stream key`);
    assert.equal(byName(p, `${t.name}-quota`).options.protect, false, `${t.name}: quota updates stay free`);
    const label = (ns.inputs.metadata as any).labels["platform.video/decommission"];
    assert.equal(label, t.decommission ? "true" : undefined, `${t.name}: decommission label`);
  }
}

/** Each property with the title its test carries; run over a plan and the files it was planned from. */
export const TENANT_PROPERTIES: {
  title: string;
  check: (p: Plan, files: TenantFile[]) => void | Promise<void>;
}[] = [
  { title: "one component per file with exactly the children it asks for", check: oneComponentPerFile },
  { title: "objects register as the typed classes would, through the platform's provider", check: registeredAsTyped },
  { title: "every core and Argo CD object validates against its schema", check: validAgainstSchemas },
  {
    title: "isolation values: PSS restricted, guardrail kinds, in-cluster only, blocked ranges",
    check: isolationValues,
  },
  { title: "objects inside a namespace go with it (deletedWith)", check: deletedWithNamespace },
  { title: "every tenant-object rule holds for every tenant", check: isolationRulesHold },
  { title: "no tenant depends on another tenant", check: noChainsBetweenTenants },
  { title: "one NetworkPolicy per tenant, after Envoy Gateway and cert-manager", check: networkPoliciesAfterEdge },
  { title: "one ListenerSet and Certificate per tenant with domains", check: edgeObjectsPerTenant },
  { title: "every namespace carries its file's domains", check: domainsOnNamespaces },
  { title: "tenant claims only on hcloud-volumes-tenant", check: tenantStorageOnly },
  { title: "prod protects namespace and stream key unless decommissioned", check: protectedUnlessDecommissioned },
];
