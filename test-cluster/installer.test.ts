/**
 * The k3s installer's pinned SHA-256 (components/site/installer.ts) re-derived from upstream: the
 * Go module proxy's copy of the pinned k3s commit holds install.sh with exactly that checksum, and
 * upstream's own install.sh.sha256sum beside it agrees. Needs Go and the module proxy (hence here,
 * not in `npm test`); no API server.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { K3S_INSTALLER } from "../components/site/installer";
import { moduleDir } from "../tools/cluster/crds";

describe("the pinned k3s installer is upstream's install.sh", function () {
  this.timeout(300_000);

  it("the Go module proxy's k3s at commit c5b158798933 holds install.sh with the pinned SHA-256, as its install.sh.sha256sum says", () => {
    const zip = K3S_INSTALLER.sources.find((s) => s.member);
    assert.ok(zip?.member, "a Go module proxy source");
    const [module, version] = zip.member.slice(0, zip.member.lastIndexOf("/")).split("@");
    assert.deepEqual([module, version], ["github.com/k3s-io/k3s", "v1.35.1-0.20260211145931-c5b158798933"]);
    assert.equal(zip.url, `https://proxy.golang.org/${module}/@v/${version}.zip`);
    const dir = moduleDir(module, version);
    const script = readFileSync(join(dir, "install.sh"));
    const digest = createHash("sha256").update(script).digest("hex");
    assert.equal(digest, K3S_INSTALLER.sha256);
    assert.equal(readFileSync(join(dir, "install.sh.sha256sum"), "utf8"), `${digest}  install.sh\n`);
    // The raw source names the same commit as the module version.
    const raw = K3S_INSTALLER.sources.find((s) => !s.member);
    assert.equal(raw?.url, `https://raw.githubusercontent.com/k3s-io/k3s/${version.slice(-12)}/install.sh`);
  });
});
