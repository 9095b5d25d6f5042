/**
 * TEN-NSL-001 on its own: an operator whom RBAC allows to patch namespaces (so RBAC is not what
 * stops it) still cannot change the platform's labels and annotations on a tenant namespace; other
 * labels are fine. Only system:masters (Pulumi) may.
 */
import { Impersonate } from "../tools/cluster/client";
import { admitted, client, create, mergePatch, rbacGranted, rejected, tenants } from "./cluster";
import { clusterReady } from "./ready";

const OPERATOR: Impersonate = { user: "operator@platform.invalid", groups: ["system:authenticated"] };

describe("[TEN-NSL-001] tenant namespace labels, with RBAC out of the way", function () {
  before(async () => {
    await clusterReady();
    const rbac = "/apis/rbac.authorization.k8s.io/v1";
    await client().request("POST", `${rbac}/clusterroles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "conformance-namespace-editor" },
      rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "patch", "update"] }],
    });
    await client().request("POST", `${rbac}/clusterrolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "conformance-namespace-editor" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "conformance-namespace-editor" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: OPERATOR.user }],
    });
    for (const [name] of tenants()) await rbacGranted(OPERATOR.user, "patch", "", "namespaces", name);
  });
  after(async () => {
    const rbac = "/apis/rbac.authorization.k8s.io/v1";
    await client().request("DELETE", `${rbac}/clusterrolebindings/conformance-namespace-editor`);
    await client().request("DELETE", `${rbac}/clusterroles/conformance-namespace-editor`);
  });

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
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  before(async () => {
    await clusterReady();
    await client().request("POST", `${rbac}/clusterroles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "conformance-edge-writer" },
      rules: [
        { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["create"] },
        { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways", "referencegrants"], verbs: ["create"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
      ],
    });
    await client().request("POST", `${rbac}/clusterrolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "conformance-edge-writer" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "conformance-edge-writer" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: EDGE_OPERATOR.user }],
    });
    for (const [name] of tenants())
      await rbacGranted(EDGE_OPERATOR.user, "create", "networking.k8s.io", "ingresses", name);
  });
  after(async () => {
    await client().request("DELETE", `${rbac}/clusterrolebindings/conformance-edge-writer`);
    await client().request("DELETE", `${rbac}/clusterroles/conformance-edge-writer`);
  });

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
