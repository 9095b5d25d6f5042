/**
 * A normal tenant workload is admitted, as each actor: a restricted Pod and Deployment (without
 * Pod Security warnings), a ClusterIP Service, an HTTPRoute on the tenant's own domain attached to
 * the platform's Gateway listener, a claim, a ConfigMap and a Secret. Server-side dry run: every
 * admission step runs, nothing is stored.
 */
import { strict as assert } from "node:assert";
import { collectionPath } from "../tools/cluster/client";
import { actors, admitted, core, create, httpRoute, restrictedPod, tenants } from "./cluster";
import { clusterReady } from "./ready";

describe("a normal tenant workload is admitted by the real API server", function () {
  before(clusterReady);
  for (const [name, t] of tenants()) {
    for (const { label, as } of actors(name, t)) {
      describe(`${name} as its ${label}`, function () {
        it("[TEN-PSS-001] restricted Pod (admins) and Deployment, admitted without Pod Security warnings", async () => {
          // The sync identity creates no bare Pods (its role holds none): its pods come from workloads.
          if (label === "admin group") {
            const pod = await create(core(t.namespace, "pods"), restrictedPod("web"), as);
            admitted(pod);
            assert.deepEqual(pod.warnings, []);
          }
          const template = restrictedPod("web");
          const dep = await create(
            collectionPath("apps/v1", "deployments", t.namespace),
            {
              apiVersion: "apps/v1",
              kind: "Deployment",
              metadata: { name: "web" },
              spec: {
                replicas: 2,
                selector: { matchLabels: { app: "web" } },
                template: { metadata: { labels: { app: "web" } }, spec: template.spec },
              },
            },
            as,
          );
          admitted(dep);
          assert.deepEqual(dep.warnings, []);
        });

        it("[TEN-SVC-001] ClusterIP Service", async () => {
          admitted(
            await create(
              core(t.namespace, "services"),
              {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "web" },
                spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
              },
              as,
            ),
          );
        });

        // A tenant without domains has nothing to route (every hostname is refused to it).
        if (t.domains.length)
          it("HTTPRoute for its own domain on its ListenerSet", async () => {
            admitted(
              await create(
                collectionPath("gateway.networking.k8s.io/v1", "httproutes", t.namespace),
                httpRoute("web", t.parentRefs, [t.domains[0]]),
                as,
              ),
            );
          });

        it("PersistentVolumeClaim on the tenant class, ConfigMap, and a Secret (admins) or SealedSecret (sync)", async () => {
          admitted(
            await create(
              core(t.namespace, "persistentvolumeclaims"),
              {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: "media" },
                spec: {
                  // The tenant class (reclaimPolicy Delete); the platform's Retain class is closed to
                  // tenants by their quota (TEN-PVC-001).
                  storageClassName: "hcloud-volumes-tenant",
                  accessModes: ["ReadWriteOnce"],
                  resources: { requests: { storage: "5Gi" } },
                },
              },
              as,
            ),
          );
          admitted(
            await create(
              core(t.namespace, "configmaps"),
              { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } },
              as,
            ),
          );
          // Secrets reach a tenant's repository sealed: Argo CD syncs SealedSecrets, not Secrets.
          if (label === "admin group")
            admitted(
              await create(
                core(t.namespace, "secrets"),
                { apiVersion: "v1", kind: "Secret", metadata: { name: "token" }, stringData: { token: "x" } },
                as,
              ),
            );
          else
            admitted(
              await create(
                collectionPath("bitnami.com/v1alpha1", "sealedsecrets", t.namespace),
                {
                  apiVersion: "bitnami.com/v1alpha1",
                  kind: "SealedSecret",
                  metadata: { name: "token" },
                  spec: { encryptedData: { token: "AgBy3i4OJSWK+PiTySYZZA==" } },
                },
                as,
              ),
            );
        });
      });
    }
  }
});
