/**
 * The NetworkPolicies of both Argo CD namespaces, written out (TEN-ARGO-007). The rules check the
 * repo-server, Redis and controller fences; the other components' policies (the platform
 * instance's server, ApplicationSet and notifications controllers, the redis-secret-init hook)
 * were checked by nothing, so a weakened one passed (the mutation run of 2026-12-06 left 44
 * mutants of argocd-network.ts alive). Here each instance's policies, built for the staging config,
 * must equal the reviewed text in test/fixtures/manifests/ exactly; the real API server proves
 * they are valid objects (npm run test:cluster applies them).
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { validateStackConfig } from "../components/config/load";
import {
  apiServiceIp,
  argocdBasePolicies,
  argocdNetwork,
  argocdRepoServerPolicy,
} from "../components/platform/argocd-network";
import { readStackConfig, repoRoot } from "./helpers/harness";

const fixture = (name: string) =>
  (
    parse(readFileSync(join(repoRoot, "test", "fixtures", "manifests", `${name}.yaml`), "utf8")) as {
      policies: unknown;
    }
  ).policies;

function staging() {
  const { config, problems } = validateStackConfig("staging", readStackConfig("staging"));
  assert.ok(config, JSON.stringify(problems));
  return config;
}

describe("Argo CD namespaces' NetworkPolicies, written out", () => {
  it("the platform instance: default deny, controller, Redis, redis-secret-init, server, ApplicationSet, notifications, repo-server", () => {
    const net = argocdNetwork(
      staging(),
      { namespace: "argocd", release: "argocd" },
      ["https://git.example.com/platform/gitops.git", "ssh://git@git.example.com:2222/x.git"],
      true,
    );
    assert.deepEqual([...argocdBasePolicies(net), argocdRepoServerPolicy(net)], fixture("argocd-network-platform"));
  });

  it("the tenant-facing instance: default deny, controller, Redis, redis-secret-init, repo-server; no server or other controllers", () => {
    const net = argocdNetwork(staging(), { namespace: "argocd-tenants", release: "argocd-tenants" }, [], false);
    assert.deepEqual([...argocdBasePolicies(net), argocdRepoServerPolicy(net)], fixture("argocd-network-tenants"));
  });

  it("the API Service's address: the first of the service range, any prefix; anything but a whole IPv4 CIDR is refused", () => {
    assert.equal(apiServiceIp("10.43.0.0/16"), "10.43.0.1");
    assert.equal(apiServiceIp("10.43.128.0/17"), "10.43.128.1");
    assert.equal(apiServiceIp("172.20.100.64/26"), "172.20.100.65");
    for (const bad of ["x10.43.0.0/16", "10.43.0.0/16x", "10.43.0/16", "10.43.0.0", "fd00::/108"])
      assert.throws(() => apiServiceIp(bad), new RegExp(`${bad.replace(/[./]/g, "\\$&")} is not an IPv4 CIDR`), bad);
  });
});
