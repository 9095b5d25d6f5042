/**
 * Per tenant, per actor (the tenant's admin group and the identity Argo CD syncs its repository
 * as): the isolation cases of cases.ts against the real API server.
 */
import { caseById } from "./cases";
import { actors, otherTenant, tenants } from "./cluster";
import { clusterReady } from "./ready";

/** The cases both actors face: what the benchmark asks of anyone acting in a tenant namespace. */
const EVERY_ACTOR = [
  "read-other-tenant",
  "write-other-tenant",
  "own-quota",
  "own-limits",
  "own-network-policy",
  "own-namespace-labels",
  "bind-cluster-roles",
  "service-types",
  "edge-kinds",
  "httproute-hosts",
  "route-backends",
  "control-plane-scheduling",
  "system-priority",
  "disruption-budgets",
  "host-pinning",
  "ingest-priority",
  "sync-identity-pods",
  "platform-service-account",
];

/** Which cases run for which actor here. */
export const ISOLATION: Readonly<Record<string, readonly string[]>> = {
  // Admins may create bare Pods, so Pod Security meets them directly.
  // Secrets are theirs too, but not the platform's stream key, and no token Secrets.
  "admin group": [...EVERY_ACTOR, "privileged-pods", "platform-stream-key", "token-secret"],
  // What Argo CD applies from the tenant's repository: it syncs as the tenant's own ServiceAccount
  // (AppProject destinationServiceAccounts), so RBAC confines it like the admins, and admission
  // checks what it may create. It creates no bare Pods: Pod Security meets its workloads' pods. Its
  // secrets arrive sealed, so the SealedSecret scope is its case.
  "sync identity": [...EVERY_ACTOR, "sync-pods-via-workloads", "sealed-secret-scope", "token-sealed-secret"],
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
