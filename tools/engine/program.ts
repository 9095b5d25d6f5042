/**
 * The program the engine tests run through the Automation API (an inline program: the engine talks
 * to this Node process, so no language host binary is needed). It is index.ts with the site taken
 * from the local control plane (site.ts), the charts and Argo CD's CRD files pointed at local
 * directories (charts.ts) and no wait for pods that cannot run without a kubelet (kubelet.ts): the
 * same config loader, tenant loader, Platform and Tenant components, unchanged, under the same
 * logical names, so its URNs are the product's.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../components/config/load";
import { Platform } from "../../components/platform";
import { loadTenants, Tenant } from "../../components/tenant";
import { EngineCharts, localCharts, localFiles } from "./charts";
import { noKubelet } from "./kubelet";
import { LocalCluster, localSite } from "./site";

export interface EngineProgramArgs {
  /** The local control plane the site stands in with. */
  cluster: LocalCluster;
  /** Local chart directories (charts.ts: stand-ins, and the real charts the module proxy serves). */
  charts: EngineCharts;
}

export function engineProgram(args: EngineProgramArgs): () => Promise<Record<string, unknown>> {
  return async () => {
    pulumi.runtime.registerStackTransformation(localCharts(args.charts));
    pulumi.runtime.registerStackTransformation(localFiles());
    pulumi.runtime.registerStackTransformation(noKubelet());
    const config = loadStackConfig();
    const tenants = loadTenants(config);

    const site = localSite(config, args.cluster);
    const platform = new Platform("platform", { config, site });
    const deployed = tenants.map((spec) => new Tenant(spec.name, { spec, config, platform }));

    // The outputs the tests read: which tenants exist and their stream keys (secret).
    return {
      tenants: Object.fromEntries(
        deployed.map((t) => [t.spec.name, { namespace: t.namespace, streamKey: t.streamKey }]),
      ),
      argocdAdminPassword: platform.argocdAdminPassword,
      ingressAddress: platform.ingressAddress,
    };
  };
}
