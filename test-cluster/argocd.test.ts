/**
 * The two Argo CD instances' controllers on the real API server (docs/tenant-isolation.md §1):
 * each acts with its own ServiceAccount's token (the TokenRequest API, as its pod would), so RBAC,
 * impersonation included, is the API server's own verdict. The tenant-facing controller reads the
 * tenant kinds in tenant namespaces only, writes nothing as itself, and may act only as a tenant's
 * `argocd-sync`; the platform's may act as the platform's cluster-admin sync account and never as
 * a tenant's. Each refusal is paired with the nearest legitimate request, which is admitted.
 */
import { strict as assert } from "node:assert";
import { AppliedArgocd, admitted, applied, client, core, rejected, tenants } from "./cluster";
import { clusterReady } from "./ready";

const tokens = new Map<string, string>();

/** A short-lived token for the instance's controller, as its pod gets one. */
async function token(i: AppliedArgocd): Promise<string> {
  const known = tokens.get(i.release);
  if (known) return known;
  const r = await client().request(
    "POST",
    `${core(i.controller.namespace, "serviceaccounts")}/${i.controller.name}/token`,
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
  );
  admitted(r);
  const t = String((r.body.status as { token?: string }).token);
  tokens.set(i.release, t);
  return t;
}

function instance(namespace: string): AppliedArgocd {
  const i = applied().argocd.find((x) => x.namespace === namespace);
  assert.ok(i, `the plan has an Argo CD release in ${namespace}`);
  return i;
}

/** A request as the controller itself, or as the ServiceAccount `<ns>:<name>` it impersonates. */
async function as(i: AppliedArgocd, method: string, path: string, body?: unknown, impersonate?: string) {
  return client().request(method, path, body, {
    bearer: await token(i),
    as: impersonate ? { user: `system:serviceaccount:${impersonate}` } : undefined,
    dryRun: method !== "GET",
  });
}

const forbidden = (verb: string, resource: string) => new RegExp(`cannot ${verb} resource "${resource}"`);
const IMPERSONATE = /cannot impersonate resource "serviceaccounts"/;
const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-probe" }, data: { a: "b" } };

describe("Argo CD controllers on the real API server", function () {
  before(clusterReady);

  it("the plan declares two instances, each with its own controller ServiceAccount", () => {
    assert.deepEqual(
      applied()
        .argocd.map((i) => `${i.namespace}/${i.release} ${i.controller.user}`)
        .sort(),
      [
        "argocd-tenants/argocd-tenants system:serviceaccount:argocd-tenants:argocd-tenants-application-controller",
        "argocd/argocd system:serviceaccount:argocd:argocd-application-controller",
      ],
    );
  });

  for (const [name, t] of tenants()) {
    describe(`the tenant Argo CD in ${name}`, function () {
      it("[TEN-ARGO-006] reads the tenant's Deployments; not its Secrets, not another namespace, nothing cluster-wide", async () => {
        const i = instance("argocd-tenants");
        admitted(await as(i, "GET", `/apis/apps/v1/namespaces/${t.namespace}/deployments`));
        rejected(await as(i, "GET", core(t.namespace, "secrets")), 403, forbidden("list", "secrets"));
        rejected(await as(i, "GET", core("argocd", "configmaps")), 403, forbidden("list", "configmaps"));
        rejected(await as(i, "GET", core("kube-system", "pods")), 403, forbidden("list", "pods"));
        rejected(await as(i, "GET", "/api/v1/pods"), 403, forbidden("list", "pods"));
        rejected(await as(i, "GET", "/api/v1/namespaces"), 403, forbidden("list", "namespaces"));
      });

      it("[TEN-ARGO-006] writes nothing as itself: a ConfigMap is refused, and admitted as the tenant's argocd-sync", async () => {
        const i = instance("argocd-tenants");
        rejected(
          await as(i, "POST", core(t.namespace, "configmaps"), configMap),
          403,
          forbidden("create", "configmaps"),
        );
        admitted(await as(i, "POST", core(t.namespace, "configmaps"), configMap, `${t.namespace}:argocd-sync`));
      });

      it("[TEN-ARGO-006] cannot act as the platform's cluster-admin sync account; acts as the tenant's own", async () => {
        const i = instance("argocd-tenants");
        rejected(
          await as(i, "GET", core("argocd", "configmaps"), undefined, "argocd:argocd-platform-sync"),
          403,
          IMPERSONATE,
        );
        rejected(await as(i, "GET", "/api/v1/namespaces", undefined, "argocd:argocd-platform-sync"), 403, IMPERSONATE);
        // Nor the tenant's admin-free default account, nor another system account.
        rejected(
          await as(i, "GET", core(t.namespace, "configmaps"), undefined, `${t.namespace}:default`),
          403,
          IMPERSONATE,
        );
        admitted(await as(i, "GET", core(t.namespace, "configmaps"), undefined, `${t.namespace}:argocd-sync`));
      });
    });
  }

  it("[TEN-ARGO-004] the platform's controller acts as argocd-platform-sync, never as a tenant's sync account", async () => {
    const i = instance("argocd");
    admitted(await as(i, "GET", "/api/v1/namespaces", undefined, "argocd:argocd-platform-sync"));
    for (const [, t] of tenants()) {
      rejected(
        await as(i, "GET", core(t.namespace, "configmaps"), undefined, `${t.namespace}:argocd-sync`),
        403,
        IMPERSONATE,
      );
      // It reads tenant namespaces as itself (its cache), but writes nothing there as itself.
      admitted(await as(i, "GET", core(t.namespace, "configmaps")));
      rejected(await as(i, "POST", core(t.namespace, "configmaps"), configMap), 403, forbidden("create", "configmaps"));
    }
  });
});
