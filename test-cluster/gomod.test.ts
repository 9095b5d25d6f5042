/**
 * tools/kube/go.mod is what the generator makes of the real k8s.io/kubernetes go.mod at the
 * stacks' Kubernetes version (needs Go and the module proxy, hence here and not in `npm test`).
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { committedReplaceBlock, replaceBlock } from "../tools/kube/gomod";
import { KUBE_DIR, pinnedKubernetesVersion, upstreamGoMod } from "../tools/kube/gomod-cli";

describe("tools/kube/go.mod", function () {
  it("requires k8s.io/kubernetes v1.36.4, the stacks' k3s v1.36.4+k3s1", () => {
    assert.equal(pinnedKubernetesVersion(), "v1.36.4");
    assert.match(readFileSync(join(KUBE_DIR, "go.mod"), "utf8"), /^\s*k8s\.io\/kubernetes v1\.36\.4\b/m);
  });

  it("has exactly the generated replace lines (npm run kube:gomod), one per staging module of the real go.mod", function () {
    this.timeout(120_000);
    const upstream = upstreamGoMod("v1.36.4");
    const committed = committedReplaceBlock(readFileSync(join(KUBE_DIR, "go.mod"), "utf8"));
    assert.equal(committed, replaceBlock(upstream, "v1.36.4"));
    assert.match(committed ?? "", /\tk8s\.io\/apiserver => k8s\.io\/apiserver v0\.36\.4\n/);
  });
});
