/**
 * PENDING issue 13 (Gateway API edge: HTTPRoute admission policies). Not run by
 * .mocharc.cluster.json until issue 13 lands; then move these cases into isolation.test.ts.
 * Today an HTTPRoute for another tenant's hostname, or with no hostname at all, is admitted.
 */
import { collectionPath } from "../tools/cluster/client";
import { caseById } from "./cases";
import { actors, admitted, create, otherTenant, tenants } from "./cluster";
import { clusterReady } from "./ready";

describe("PENDING issue 13: HTTPRoute hostnames", function () {
  before(clusterReady);
  for (const [name, t] of tenants()) {
    const [other, o] = otherTenant(name);
    for (const { label, as } of actors(name, t)) {
      const c = caseById("httproute-hosts");
      it(`${name} as its ${label}: ${c.title} (vs ${other})`, () => c.run({ tenant: name, t, other, o, as }));
      // The admin group's own HTTPRoute (the sync identity's is in workload.test.ts).
      if (label === "admin group" && t.domains.length)
        it(`${name} as its admin group: an HTTPRoute for its own domain is admitted`, async () => {
          admitted(
            await create(
              collectionPath("gateway.networking.k8s.io/v1", "httproutes", t.namespace),
              {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "web" },
                spec: {
                  parentRefs: t.parentRefs,
                  hostnames: [t.domains[0]],
                  rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
                },
              },
              as,
            ),
          );
        });
    }
  }
});
