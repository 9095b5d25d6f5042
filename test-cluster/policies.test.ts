/**
 * The admission policies on their own, with RBAC out of the way (an operator bound to the verbs):
 * TEN-NSL-001 (the platform's namespace labels), TEN-EDGE-001 (edge kinds), TEN-OWN-001 (the
 * platform's objects in a tenant namespace, and the namespace controller still deleting them on
 * decommission). Events, which only platform components write: TEN-EVT-001's size bound and
 * EventRateLimit's per-namespace burst, as the cluster admin.
 */
import { Impersonate } from "../tools/cluster/client";
import { strict as assert } from "node:assert";
import { admitted, client, create, eventually, mergePatch, rbacGranted, rejected, tenants } from "./cluster";
import { clusterReady } from "./ready";

const OPERATOR: Impersonate = { user: "operator@platform.invalid", groups: ["system:authenticated"] };
const RBAC = "/apis/rbac.authorization.k8s.io/v1";

/** Binds `user` cluster-wide to a ClusterRole `name` of `rules`: RBAC out of the way. */
async function grant(name: string, user: string, rules: Record<string, unknown>[]): Promise<void> {
  await client().request("POST", `${RBAC}/clusterroles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name },
    rules,
  });
  await client().request("POST", `${RBAC}/clusterrolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  });
}

/** Removes what grant() made. */
async function revoke(name: string): Promise<void> {
  await client().request("DELETE", `${RBAC}/clusterrolebindings/${name}`);
  await client().request("DELETE", `${RBAC}/clusterroles/${name}`);
}

describe("[TEN-NSL-001] tenant namespace labels, with RBAC out of the way", function () {
  before(async () => {
    await clusterReady();
    await grant("conformance-namespace-editor", OPERATOR.user, [
      { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "patch", "update"] },
    ]);
    for (const [name] of tenants()) await rbacGranted(OPERATOR.user, "patch", "", "namespaces", name);
  });
  after(() => revoke("conformance-namespace-editor"));

  for (const [name, t] of tenants()) {
    it(`${name}: Pod Security level, tenant label and domains annotation cannot change; a team label can`, async () => {
      const path = `/api/v1/namespaces/${t.namespace}`;
      rejected(
        await mergePatch(
          path,
          { metadata: { labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
          OPERATOR,
        ),
        403,
        /the platform's labels \(platform\.video\/, pod-security\.kubernetes\.io\/\*\) on a tenant namespace cannot be removed or changed/,
      );
      rejected(
        await mergePatch(path, { metadata: { labels: { "platform.video/tenant": null } } }, OPERATOR),
        403,
        /cannot be removed or changed/,
      );
      rejected(
        await mergePatch(path, { metadata: { labels: { "platform.video/extra": "x" } } }, OPERATOR),
        403,
        /labels with platform\.video\/ or pod-security\.kubernetes\.io\/ prefixes on a tenant namespace are set by the platform only/,
      );
      rejected(
        await mergePatch(path, { metadata: { annotations: { "platform.video/domains": "evil.example" } } }, OPERATOR),
        403,
        /the platform's annotations \(platform\.video\/\*, e\.g\. the tenant's domains\) cannot be removed or changed/,
      );
      admitted(await mergePatch(path, { metadata: { labels: { team: "video" } } }, OPERATOR));
    });
  }
});

describe("[TEN-EDGE-001] edge kinds in tenant namespaces, with RBAC out of the way", function () {
  const EDGE_OPERATOR: Impersonate = { user: "edge-operator@platform.invalid", groups: ["system:authenticated"] };
  before(async () => {
    await clusterReady();
    await grant("conformance-edge-writer", EDGE_OPERATOR.user, [
      { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["create"] },
      { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways", "referencegrants"], verbs: ["create"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
    ]);
    for (const [name] of tenants())
      await rbacGranted(EDGE_OPERATOR.user, "create", "networking.k8s.io", "ingresses", name);
  });
  after(() => revoke("conformance-edge-writer"));

  for (const [name, t] of tenants()) {
    it(`${name}: an Ingress or a Gateway is refused by the policy itself; a ConfigMap is admitted`, async () => {
      const ingress = {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: "old-way" },
        spec: { defaultBackend: { service: { name: "web", port: { number: 80 } } } },
      };
      rejected(
        await create(`/apis/networking.k8s.io/v1/namespaces/${t.namespace}/ingresses`, ingress, EDGE_OPERATOR),
        403,
        /Ingress cannot be created in a tenant namespace: tenants publish with an HTTPRoute or GRPCRoute on their ListenerSet/,
      );
      rejected(
        await create(
          `/apis/gateway.networking.k8s.io/v1/namespaces/${t.namespace}/gateways`,
          {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: "own-edge" },
            spec: { gatewayClassName: "platform", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
          },
          EDGE_OPERATOR,
        ),
        403,
        /Gateway cannot be created in a tenant namespace/,
      );
      admitted(
        await create(
          `/api/v1/namespaces/${t.namespace}/configmaps`,
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "edge-ok" } },
          EDGE_OPERATOR,
        ),
      );
    });
  }
});

describe("[TEN-OWN-001] the platform's objects in tenant namespaces, with RBAC out of the way", function () {
  // An operator whom RBAC lets edit ConfigMaps everywhere: the policy itself must stop it.
  const EDITOR: Impersonate = { user: "cm-editor@platform.invalid", groups: ["system:authenticated"] };
  const NS = "conformance-decommission";
  before(async () => {
    await clusterReady();
    await grant("conformance-cm-editor", EDITOR.user, [
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "create", "patch", "delete"] },
    ]);
    // A namespace shaped like a tenant's, with an object the platform declared in it (the cluster
    // admin writes both, as Pulumi does).
    admitted(
      await create(
        "/api/v1/namespaces",
        { apiVersion: "v1", kind: "Namespace", metadata: { name: NS, labels: { "platform.video/tenant": NS } } },
        undefined,
        false,
      ),
    );
    admitted(
      await create(
        `/api/v1/namespaces/${NS}/configmaps`,
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "declared", labels: { "platform.video/tenant": NS } },
        },
        undefined,
        false,
      ),
    );
    await rbacGranted(EDITOR.user, "delete", "", "configmaps", NS);
  });
  after(async () => {
    await revoke("conformance-cm-editor");
    await client().request("DELETE", `/api/v1/namespaces/${NS}`);
  });

  it("an operator cannot change, unlabel or delete a labelled object, nor label one of its own; an unlabelled one is admitted", async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const owned =
      /the ConfigMap declared carries the label platform\.video\/tenant: the platform declares it for the tenant \(Pulumi, from the tenant file\), and only the platform may create, change or delete it/;
    rejected(await mergePatch(`${path}/declared`, { data: { a: "b" } }, EDITOR), 403, owned);
    rejected(
      await mergePatch(`${path}/declared`, { metadata: { labels: { "platform.video/tenant": null } } }, EDITOR),
      403,
      owned,
    );
    rejected(await client().request("DELETE", `${path}/declared`, undefined, { as: EDITOR, dryRun: true }), 403, owned);
    rejected(
      await create(
        path,
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "forged", labels: { "platform.video/tenant": NS } } },
        EDITOR,
      ),
      403,
      /carries the label platform\.video\/tenant/,
    );
    admitted(await create(path, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "own" } }, EDITOR));
    // The platform (cluster admins: Pulumi) still changes what it declared.
    admitted(await mergePatch(`${path}/declared`, { data: { a: "b" } }));
  });

  it("deleting the namespace (decommission) removes the platform's objects in it: the namespace controller may", async function () {
    this.timeout(120_000);
    admitted(await client().request("DELETE", `/api/v1/namespaces/${NS}`));
    await eventually(
      `${NS} deleted by the namespace controller`,
      async () => (await client().request("GET", `/api/v1/namespaces/${NS}`)).status === 404,
      90_000,
    );
  });
});

describe("events about tenant objects: size (TEN-EVT-001) and rate (EventRateLimit)", function () {
  const event = (name: string, namespace: string, message: string) => ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name },
    involvedObject: { kind: "Pod", name: "web", namespace, apiVersion: "v1" },
    reason: "Probe",
    message,
    type: "Warning",
    source: { component: "kubelet" },
  });
  before(clusterReady);

  it("[TEN-EVT-001] an Event in a tenant namespace with a 2049-character message is refused; 2048 are admitted", async () => {
    const [, t] = tenants()[0];
    const path = `/api/v1/namespaces/${t.namespace}/events`;
    rejected(
      await create(path, event("long", t.namespace, "x".repeat(2049))),
      403,
      /an Event about a tenant object may carry at most 2048 characters of message/,
    );
    admitted(await create(path, event("short", t.namespace, "x".repeat(2048))));
  });

  it("a namespace's burst of events (100) is cut off with 429 by EventRateLimit; another namespace still takes events", async function () {
    this.timeout(120_000);
    const namespaces = ["conformance-events-a", "conformance-events-b"];
    for (const ns of namespaces)
      admitted(
        await create(
          "/api/v1/namespaces",
          { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
          undefined,
          false,
        ),
      );
    try {
      // Real writes: the plugin lets dry runs through (they never reach etcd).
      const started = Date.now();
      let refused: { at: number; message: string } | undefined;
      for (let i = 0; i < 400 && !refused; i++) {
        const r = await create(
          `/api/v1/namespaces/${namespaces[0]}/events`,
          event(`e-${i}`, namespaces[0], "m"),
          undefined,
          false,
        );
        if (r.status === 429) refused = { at: i, message: String(r.body.message) };
        else admitted(r);
      }
      const seconds = (Date.now() - started) / 1000;
      assert.ok(refused, "400 events in one namespace were all admitted: no rate limit");
      assert.match(refused.message, new RegExp(`limit reached on type Namespace for key ${namespaces[0]}`));
      // The burst, plus one refill a second while the loop ran.
      assert.ok(
        refused.at >= 100 && refused.at <= 100 + Math.ceil(seconds) + 1,
        `refused after ${refused.at} events in ${seconds} s`,
      );
      admitted(
        await create(`/api/v1/namespaces/${namespaces[1]}/events`, event("e-0", namespaces[1], "m"), undefined, false),
      );
    } finally {
      for (const ns of namespaces) await client().request("DELETE", `/api/v1/namespaces/${ns}`);
    }
  });
});
