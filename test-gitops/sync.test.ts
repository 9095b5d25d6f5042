/**
 * A legitimate tenant chart, synced by the platform's tenant-facing Argo CD: it reaches Synced,
 * every object of the chart exists, and every write was made by Argo CD's controller
 * impersonating the tenant's sync ServiceAccount (the API server's audit log), never by the
 * controller's own identity, which is not system:masters and cannot write tenant objects itself.
 */
import { strict as assert } from "node:assert";
import { app, auditEvents, client, get, gitops, LEGIT_OBJECTS, statusText, until } from "./gitops";

const served = () => Object.entries(gitops().tenants).filter(([, t]) => t.repo);

describe("a legitimate tenant chart, synced by Argo CD", () => {
  it("the harness serves at least two tenants' repositories", () => {
    assert.ok(
      served().length >= 2,
      `served: ${served()
        .map(([n]) => n)
        .join(", ")}`,
    );
  });

  it("every served tenant's Application reaches Synced, its sync Succeeded, on the revision Git holds", async () => {
    for (const [name] of served()) {
      const a = await until(`${name} Synced`, async () => {
        const v = await app(name);
        return v.sync === "Synced" && v.operation?.phase === "Succeeded" ? v : undefined;
      });
      assert.match(a.revision, /^[0-9a-f]{40}$/, `${name}: ${statusText(a)}`);
      assert.equal(a.operation?.revision, a.revision);
    }
  });

  it("every object of the chart exists in the tenant's namespace (Deployment, Service, HTTPRoute, SealedSecret, PVC, ConfigMap)", async () => {
    for (const [name, t] of served())
      for (const o of LEGIT_OBJECTS) {
        const r = await get(o.path(t.namespace));
        assert.equal(r.status, 200, `${name}: ${o.kind} ${o.path(t.namespace)}: ${r.status}`);
      }
  });

  it("Argo CD applied them (managedFields: the argocd-controller field manager)", async () => {
    for (const [name, t] of served())
      for (const o of LEGIT_OBJECTS) {
        const r = await get(o.path(t.namespace));
        const managers = ((r.body.metadata as { managedFields?: { manager: string }[] }).managedFields ?? []).map(
          (m) => m.manager,
        );
        assert.ok(managers.includes("argocd-controller"), `${name}: ${o.kind} managed by ${managers.join(", ")}`);
      }
  });

  it("every write to a tenant's objects was the controller impersonating that tenant's argocd-sync ServiceAccount (audit log)", () => {
    const ctl = gitops().controller.user;
    const tenantNs = new Set(served().map(([, t]) => t.namespace));
    const writes = auditEvents().filter(
      (e) =>
        e.user.username === ctl &&
        ["create", "update", "patch", "delete"].includes(e.verb) &&
        e.objectRef?.namespace !== undefined &&
        tenantNs.has(e.objectRef.namespace),
    );
    assert.ok(writes.length > 0, "no write by Argo CD's controller in any tenant namespace");
    for (const e of writes)
      assert.equal(
        e.impersonatedUser?.username,
        `system:serviceaccount:${e.objectRef?.namespace}:argocd-sync`,
        `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name} in ${e.objectRef?.namespace}`,
      );
    for (const [name, t] of served())
      for (const resource of [
        "deployments",
        "services",
        "httproutes",
        "sealedsecrets",
        "persistentvolumeclaims",
        "configmaps",
      ])
        assert.ok(
          writes.some(
            (e) =>
              e.objectRef?.namespace === t.namespace &&
              e.objectRef.resource === resource &&
              (e.responseStatus?.code ?? 0) < 300,
          ),
          `${name}: no successful impersonated write of ${resource}`,
        );
  });

  it("the controller runs as its ServiceAccount (TokenRequest), not system:masters, and cannot write a tenant object itself", async () => {
    const g = gitops();
    assert.equal(g.controller.user, `system:serviceaccount:${g.namespace}:${g.controller.serviceAccount}`);
    assert.ok(!g.controller.groups.includes("system:masters"), g.controller.groups.join(", "));
    for (const [, t] of served()) {
      const review = async (verb: string, group: string, resource: string, name?: string) => {
        const r = await client().request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: g.controller.user,
            groups: g.controller.groups,
            resourceAttributes: { verb, group, resource, namespace: t.namespace, ...(name ? { name } : {}) },
          },
        });
        return (r.body.status as { allowed?: boolean }).allowed === true;
      };
      assert.equal(await review("create", "apps", "deployments"), false, "controller may create Deployments itself");
      assert.equal(await review("delete", "", "configmaps"), false, "controller may delete ConfigMaps itself");
      assert.equal(await review("list", "apps", "deployments"), true, "controller cannot read (its cache needs it)");
      assert.equal(await review("impersonate", "", "serviceaccounts", "argocd-sync"), true);
      assert.equal(await review("impersonate", "", "serviceaccounts", "default"), false);
    }
  });
});
