/**
 * The program the engine tests run through the Automation API (an inline program: the engine talks
 * to this Node process, so no language host binary is needed). It is index.ts with the site taken
 * from the local control plane (site.ts), the charts and Argo CD's CRD files pointed at local
 * directories (charts.ts) and no wait for pods that cannot run without a kubelet (kubelet.ts): the
 * same config loader, tenant loader and cluster layer (components/cluster-layer.ts: Platform,
 * Tenants, the tenant Argo CD's scope) as index.ts, unchanged, under the same logical names, so its
 * URNs are the product's.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../components/config/load";
import { clusterLayer } from "../../components/cluster-layer";
import { loadTenants } from "../../components/tenant";
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

    const { platform, tenants: deployed } = clusterLayer(config, localSite(config, args.cluster), tenants);

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
