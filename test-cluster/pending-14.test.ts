/**
 * PENDING issue 14 (tenant hardening: Argo CD impersonation accounts, scheduling, priority-class
 * and object-count admission). Not run by .mocharc.cluster.json until issue 14 lands; then move
 * these into isolation.test.ts and quota.test.ts.
 */
import { Impersonate } from "../tools/cluster/client";
import { caseById } from "./cases";
import { actors, admitted, client, core, create, otherTenant, rejected, tenants } from "./cluster";
import { clusterReady } from "./ready";

/** The RBAC cases for the sync identity (isolation.test.ts runs the admission ones already). */
const SYNC_RBAC = [
  "read-other-tenant",
  "write-other-tenant",
  "own-quota",
  "own-limits",
  "own-network-policy",
  "bind-cluster-roles",
];

describe("PENDING issue 14: sync identity RBAC, scheduling, priority classes, object counts", function () {
  before(clusterReady);
  for (const [name, t] of tenants()) {
    const [other, o] = otherTenant(name);
    const sync = actors(name, t).find((a) => a.label === "sync identity");
    if (sync)
      describe(`${name} as its sync identity (${sync.as.user})`, function () {
        for (const id of SYNC_RBAC) {
          const c = caseById(id);
          it(`${c.title} (vs ${other})`, () => c.run({ tenant: name, t, other, o, as: sync.as }));
        }
      });
    for (const { label, as } of actors(name, t)) {
      describe(`${name} as its ${label}`, function () {
        for (const id of ["control-plane-scheduling", "system-priority"]) {
          const c = caseById(id);
          it(`${c.title}`, () => c.run({ tenant: name, t, other, o, as }));
        }
      });
    }

    const admin: Impersonate = actors(name, t)[0].as;
    for (const resource of ["configmaps", "secrets"]) {
      it(`${name}: count/${resource} stops at the quota's limit`, async function () {
        this.timeout(180_000);
        const path = core(t.namespace, resource);
        const label = "platform.video/conformance-fill";
        try {
          const q = (await client().request("GET", `${core(t.namespace, "resourcequotas")}/tenant-quota`)).body
            .status as {
            hard: Record<string, string>;
            used: Record<string, string>;
          };
          const hard = Number(q.hard[`count/${resource}`]);
          if (!Number.isFinite(hard))
            throw new Error(`tenant-quota has no count/${resource}: a tenant can create them without bound`);
          const used = Number(q.used[`count/${resource}`] ?? "0");
          const make = (i: number) => ({
            apiVersion: "v1",
            kind: resource === "secrets" ? "Secret" : "ConfigMap",
            metadata: { name: `fill-${i}`, labels: { [label]: "true" } },
          });
          for (let i = used; i < hard; i++) admitted(await create(path, make(i), admin, false));
          rejected(
            await create(path, make(hard), admin, false),
            403,
            new RegExp(`exceeded quota: tenant-quota, requested: count/${resource}=1`),
          );
        } finally {
          await client().request("DELETE", path, undefined, { query: { labelSelector: label } });
        }
      });
    }
  }
});
