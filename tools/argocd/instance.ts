/**
 * Which Argo CD instance of the plan syncs the tenants, and what it syncs: read from the plan's
 * own objects, never restated. Tenant Applications are the argoproj.io Applications carrying the
 * tenant label; the instance is the argo-cd release that watches their namespace (its own
 * namespace, or one its `application.namespaces` parameter lists). Where the platform runs a
 * platform and a tenant-facing instance, this is the tenant-facing one.
 */
import type { KubeObject } from "../cluster/objects";
import { arr, rec, str } from "../../components/rules/types";
import { ArgoRelease, controllerServiceAccount, effectiveConfigMap } from "./chart";

/** Label every tenant-owned platform object carries (components/tenant/contract.ts TENANT_LABEL). */
const TENANT_LABEL = "platform.video/tenant";

export interface TenantApp {
  tenant: string;
  /** The Application's name and namespace. */
  name: string;
  namespace: string;
  project: string;
  repoURL: string;
  path: string;
  targetRevision: string;
  /** Where it deploys. */
  destinationNamespace: string;
}

export interface GitopsInstance {
  release: ArgoRelease;
  /** argocd-cm and argocd-cmd-params-cm as the instance reads them (chart-rendered or declared). */
  cm: Record<string, string>;
  params: Record<string, string>;
  /** The instance's namespace (its ConfigMaps, Secrets, controller identity). */
  namespace: string;
  /** The controller's ServiceAccount (in `namespace`). */
  serviceAccount: string;
  apps: TenantApp[];
}

/** `application.namespaces` globs (comma separated), as Argo CD matches them (`*` only). */
function watches(r: ArgoRelease, namespace: string, objects: readonly KubeObject[]): boolean {
  if (r.namespace === namespace) return true;
  const globs = (effectiveConfigMap(r, "argocd-cmd-params-cm", objects)["application.namespaces"] ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter(Boolean);
  return globs.some((g) =>
    new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(namespace),
  );
}

/** Every tenant Application of the plan, as the harness needs it. */
export function tenantApps(objects: readonly KubeObject[]): TenantApp[] {
  return objects
    .filter((o) => o.kind === "Application" && o.apiVersion.startsWith("argoproj.io/"))
    .filter((o) => typeof rec(o.metadata.labels)[TENANT_LABEL] === "string")
    .map((o) => {
      const spec = rec(o.spec);
      // One source per tenant Application (components/tenant/manifests.ts application()).
      const source = rec(spec.source ?? arr(spec.sources)[0]);
      return {
        tenant: String(rec(o.metadata.labels)[TENANT_LABEL]),
        name: o.metadata.name,
        namespace: o.metadata.namespace ?? "",
        project: str(spec.project),
        repoURL: str(source.repoURL),
        path: str(source.path),
        targetRevision: str(source.targetRevision) || "HEAD",
        destinationNamespace: str(rec(spec.destination).namespace),
      };
    })
    .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
}

/** The instance that syncs the tenants (exactly one must). */
export function tenantInstance(releases: readonly ArgoRelease[], objects: readonly KubeObject[]): GitopsInstance {
  const apps = tenantApps(objects);
  if (!apps.length) throw new Error("the plan has no tenant Applications: nothing for Argo CD to sync");
  const namespaces = [...new Set(apps.map((a) => a.namespace))];
  const serving = releases.filter((r) => namespaces.every((ns) => watches(r, ns, objects)));
  if (serving.length !== 1)
    throw new Error(
      `tenant Applications live in ${namespaces.join(", ")}; ${serving.length ? `${serving.length} argo-cd releases watch all of them (${serving.map((r) => `${r.namespace}/${r.release}`).join(", ")})` : `no argo-cd release watches ${namespaces.length > 1 ? "all of them" : "it"} (releases: ${releases.map((r) => `${r.namespace}/${r.release}`).join(", ") || "none"})`}`,
    );
  const release = serving[0];
  return {
    release,
    cm: effectiveConfigMap(release, "argocd-cm", objects),
    params: effectiveConfigMap(release, "argocd-cmd-params-cm", objects),
    namespace: release.namespace,
    serviceAccount: controllerServiceAccount(release),
    apps,
  };
}
