/**
 * Waits until the cluster enforces what the tests check: the controller manager has filled every
 * tenant quota's status (quota admission refuses everything until then), the tenant namespaces have
 * their `default` ServiceAccount, and the admission policies have taken effect (they compile a
 * moment after they are created).
 */
import { client, core, create, eventually, tenants } from "./cluster";

let done: Promise<void> | undefined;

export function clusterReady(): Promise<void> {
  done ??= (async () => {
    for (const [, t] of tenants()) {
      await eventually(`${t.namespace}: ResourceQuota status filled by the controller manager`, async () => {
        const r = await client().request("GET", `${core(t.namespace, "resourcequotas")}/tenant-quota`);
        return r.status === 200 && !!(r.body.status as { hard?: unknown } | undefined)?.hard;
      });
      await eventually(`${t.namespace}: default ServiceAccount`, async () => {
        const r = await client().request("GET", `${core(t.namespace, "serviceaccounts")}/default`);
        return r.status === 200;
      });
    }
    const [name, t] = tenants()[0];
    await eventually("admission policies in effect (a NodePort Service in a tenant namespace refused)", async () => {
      const r = await create(
        core(t.namespace, "services"),
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "probe" },
          spec: { type: "NodePort", ports: [{ port: 80 }] },
        },
        { user: `${name}-probe@tenant.invalid`, groups: [...t.admins.groups, "system:authenticated"] },
      );
      return r.status === 403 && String(r.body.message).includes("is not allowed in tenant namespaces");
    });
  })();
  return done;
}
