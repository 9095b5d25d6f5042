/**
 * video-platform: one Pulumi stack per site.
 *   config → site (Hetzner servers, network, k3s) → platform (gate, cluster services, ArgoCD)
 *   → tenants (one component per file under tenants/; components/cluster-layer.ts) → stack outputs
 *   for runbooks.
 * Everything is validated before the first resource is declared, so bad input changes nothing.
 */
import { clusterLayer } from "./components/cluster-layer";
import { loadStackConfig } from "./components/config/load";
import { stackOutputs } from "./components/outputs";
import { Site } from "./components/site";
import { loadTenants } from "./components/tenant";

export = async () => {
  const config = loadStackConfig();
  const tenants = loadTenants(config);

  const site = new Site("site", { config });
  const { platform, tenants: deployed } = clusterLayer(config, site, tenants);

  return stackOutputs({ config, site, platform, tenants: deployed });
};
