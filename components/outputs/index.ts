import type { StackConfig } from "../config/load";
import type { Platform } from "../platform";
import type { Site } from "../site";
import type { Tenant } from "../tenant";

export interface OutputsArgs {
  config: StackConfig;
  site: Site;
  platform: Platform;
  tenants: Tenant[];
}

/** Stack outputs: the contract runbooks read. SKELETON (issue 7 pins names and shapes). */
export function stackOutputs({ config, site, platform, tenants }: OutputsArgs) {
  return {
    location: config.site.location,
    apiEndpoint: site.apiEndpoint,
    kubeconfig: site.kubeconfig,
    argocdUrl: platform.argocdUrl,
    argocdAdminPassword: platform.argocdAdminPassword,
    tenants: Object.fromEntries(tenants.map((t) => [t.spec.name, { namespace: t.namespace, tier: t.spec.tier }])),
  };
}
