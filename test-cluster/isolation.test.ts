/**
 * Per tenant, per actor (the tenant's admin group and the identity Argo CD syncs its repository
 * as): the isolation cases of cases.ts against the real API server. Cases the product does not
 * enforce yet are in pending-*.test.ts (not run by .mocharc.cluster.json until their issue lands).
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
    "ingress-hosts",
  ],
  // The RBAC cases for the sync identity are in pending-14.test.ts: today Argo CD applies tenant
  // repositories as its application controller, which the argo-cd chart binds to a cluster-wide
  // `*` role, so only admission (Pod Security, the platform's policies) bounds it.
  "sync identity": ["own-namespace-labels", "privileged-pods", "service-types", "ingress-hosts"],
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
