/**
 * video-platform: one Pulumi stack per site.
 *   config → site (Hetzner servers, network, k3s) → platform (gate, cluster services, ArgoCD)
 *   → tenants (one component per file under tenants/) → stack outputs for runbooks.
 * Everything is validated before the first resource is declared, so bad input changes nothing.
 */
import { loadStackConfig } from "./components/config/load";
import { Platform } from "./components/platform";
import { TenantArgocdScope } from "./components/platform/argocd-tenants";
import { Site } from "./components/site";
import { loadTenants, Tenant } from "./components/tenant";
import { stackOutputs } from "./components/outputs";

export = async () => {
  const config = loadStackConfig();
  const tenants = loadTenants(config);

  const site = new Site("site", { config });
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

  return stackOutputs({ config, site, platform, tenants: deployed });
};
