/**
 * Everything the program declares on the cluster, given the site: the platform, one Tenant per
 * tenant file, and the tenant Argo CD's view of the tenant set. index.ts calls it with the real
 * site; the engine tests (tools/engine/program.ts) with the local control plane standing in for
 * the site, so what they run is exactly this and cannot drift from the product.
 */
import type { StackConfig } from "./config/load";
import { Platform, PlatformSite } from "./platform";
import { TenantArgocdScope } from "./platform/argocd-tenants";
import { Tenant, type TenantSpec } from "./tenant";

export function clusterLayer(
  config: StackConfig,
  site: PlatformSite,
  tenants: readonly TenantSpec[],
): { platform: Platform; tenants: Tenant[] } {
  const platform = new Platform("platform", { config, site });
  const deployed = tenants.map((spec) => new Tenant(spec.name, { spec, config, platform }));
  // The tenant Argo CD's view of the tenant set: the namespaces it manages, its repo-server's ports.
  new TenantArgocdScope(
    "argocd-tenant-scope",
    {
      config,
      provider: platform.provider,
      secretProvider: platform.scopeProvider,
      namespace: platform.tenantArgocdNamespace,
      tenants: deployed.map((t) => ({ name: t.namespace, repoURL: t.spec.gitops.repoURL, access: t.argocdAccess })),
    },
    { parent: platform },
  );
  return { platform, tenants: deployed };
}
