/**
 * PENDING issue 13 (Gateway API edge: HTTPRoute admission policies). Not run by
 * .mocharc.cluster.json until issue 13 lands; then move these cases into isolation.test.ts.
 * Today an HTTPRoute for another tenant's hostname, or with no hostname at all, is admitted.
 */
import { caseById } from "./cases";
import { actors, otherTenant, tenants } from "./cluster";
import { clusterReady } from "./ready";

describe("PENDING issue 13: HTTPRoute hostnames", function () {
  before(clusterReady);
  for (const [name, t] of tenants()) {
    const [other, o] = otherTenant(name);
    for (const { label, as } of actors(name, t)) {
      const c = caseById("httproute-hosts");
      it(`${name} as its ${label}: ${c.title} (vs ${other})`, () => c.run({ tenant: name, t, other, o, as }));
    }
  }
});
