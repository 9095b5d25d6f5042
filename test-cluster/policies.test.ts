/**
 * TEN-NSL-001 on its own: an operator whom RBAC allows to patch namespaces (so RBAC is not what
 * stops it) still cannot change the platform's labels and annotations on a tenant namespace; other
 * labels are fine. Only system:masters (Pulumi) may.
 */
import { Impersonate } from "../tools/cluster/client";
import { admitted, client, mergePatch, rejected, tenants } from "./cluster";
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
