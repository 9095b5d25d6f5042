/**
 * Per tenant, per actor (the tenant's admin group and the identity Argo CD syncs its repository
 * as): the isolation cases of cases.ts against the real API server.
 */
import { caseById } from "./cases";
import { actors, otherTenant, tenants } from "./cluster";
import { clusterReady } from "./ready";

/** Which cases run for which actor here. */
export const ISOLATION: Readonly<Record<string, readonly string[]>> = {
  "admin group": [
    "read-other-tenant",
    "write-other-tenant",
    "own-quota",
    "own-limits",
    "own-network-policy",
    "own-namespace-labels",
    "bind-cluster-roles",
    "privileged-pods",
    "service-types",
    "edge-kinds",
    "httproute-hosts",
    "route-backends",
    "control-plane-scheduling",
    "system-priority",
    "disruption-budgets",
  ],
  // What Argo CD applies from the tenant's repository: it syncs as the tenant's own ServiceAccount
  // (AppProject destinationServiceAccounts), so RBAC confines it like the admins, and admission
  // checks what it may create. It creates no bare Pods: Pod Security meets its workloads' pods.
  "sync identity": [
    "read-other-tenant",
    "write-other-tenant",
    "own-quota",
    "own-limits",
    "own-network-policy",
    "own-namespace-labels",
    "bind-cluster-roles",
    "sync-pods-via-workloads",
    "service-types",
    "edge-kinds",
    "httproute-hosts",
    "route-backends",
    "control-plane-scheduling",
    "system-priority",
    "disruption-budgets",
    "sealed-secret-scope",
  ],
};

describe("tenant isolation against the real API server", function () {
  before(clusterReady);
  for (const [name, t] of tenants()) {
    const [other, o] = otherTenant(name);
    for (const { label, as } of actors(name, t)) {
      describe(`${name} as its ${label} (${as.user})`, function () {
        for (const id of ISOLATION[label]) {
          const c = caseById(id);
          it(`${c.rules.length ? `[${c.rules.join(" ")}] ` : ""}${c.title} (vs ${other})`, () =>
            c.run({ tenant: name, t, other, o, as }));
        }
      });
    }
  }
});
