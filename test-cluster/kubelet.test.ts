/**
 * The kubelet settings every node's k3s config carries (components/site/k3s.ts KUBELET_ARGS: the
 * process, image and eviction bounds of issue 25 among them), checked by the pinned kubelet's own
 * code: tools/kube/kubelet-flags parses them with kubelet's flag set, validates the result with
 * kubelet's configuration validation and reads the thresholds with its eviction parser
 * (k8s.io/kubernetes at the version of tools/kube/go.mod). No kubelet runs here (no nodes), so
 * this is what proves a flag name or value the kubelet would refuse at start. Needs Go.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KUBE_DIR } from "../tools/kube/gomod-cli";
import { renderedServerConfig } from "../tools/cluster/flags";

/**
 * What k3s itself gives every kubelet through its config file besides our flags, where it bears on
 * ours: the minimum reclaim per eviction signal (k3s-io/k3s pkg/daemons/agent/agent.go, read in the
 * k3s module of the Go module cache on 2026-12-06), which must name signals the thresholds have.
 */
const K3S_KUBELET_DEFAULTS = ["--eviction-minimum-reclaim=imagefs.available=10%,nodefs.available=10%"];

describe("the nodes' kubelet arguments, checked by the pinned kubelet's own code", function () {
  let dir = "";
  let bin = "";
  before(function () {
    this.timeout(1_800_000);
    dir = mkdtempSync(join(tmpdir(), "vp-kubelet-flags-"));
    bin = join(dir, "kubelet-flags");
    process.stderr.write(
      "    building tools/kube/kubelet-flags (kubelet's options, validation and eviction packages)...\n",
    );
    const started = Date.now();
    execFileSync("go", ["build", "-trimpath", "-o", bin, "./kubelet-flags"], {
      cwd: KUBE_DIR,
      env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    process.stderr.write(`    built in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const check = (args: string[]) => {
    const r = spawnSync(bin, [...K3S_KUBELET_DEFAULTS, ...args], { encoding: "utf8" });
    return { status: r.status, out: r.stdout.trim() };
  };
  const kubeletArgs = () => {
    const k3s = renderedServerConfig({
      version: "v1.37.2+k3s1",
      clusterCidr: "10.42.0.0/16",
      serviceCidr: "10.43.0.0/16",
      etcdQuotaBytes: 4294967296,
    });
    return (k3s["kubelet-arg"] as string[]).map((a) => `--${a}`);
  };

  it("every kubelet-arg of the site's k3s config is a flag the kubelet takes, with a value it accepts", () => {
    const args = kubeletArgs();
    // The bounds of issue 25 are among them (their values are the site's; test/site.test.ts writes them out).
    for (const flag of [
      "--pod-max-pids=",
      "--image-gc-high-threshold=",
      "--image-gc-low-threshold=",
      "--eviction-hard=",
    ])
      assert.ok(
        args.some((a) => a.startsWith(flag)),
        `${flag} missing`,
      );
    assert.deepEqual(check(args), { status: 0, out: "ok" });
  });

  it("the check is the kubelet's: a misspelt flag, an unknown signal, a percentage over 100 and inverted GC thresholds fail", () => {
    const args = kubeletArgs();
    const swap = (from: RegExp, to: string) => args.map((a) => a.replace(from, to));
    assert.deepEqual(check([...args, "--pod-max-pid=10"]), { status: 1, out: "unknown flag: --pod-max-pid" });
    assert.deepEqual(check(swap(/pid\.available</, "pids.available<")), {
      status: 1,
      out: "unsupported eviction signal pids.available",
    });
    assert.deepEqual(check(swap(/imagefs\.available<15%/, "imagefs.available<150%")), {
      status: 1,
      out: "eviction percentage threshold imagefs.available must be <= 100%: 150%",
    });
    assert.match(
      check(swap(/--image-gc-low-threshold=\d+/, "--image-gc-low-threshold=90")).out,
      /imageGCLowThresholdPercent \(--image-gc-low-threshold\) 90 must be less than imageGCHighThresholdPercent \(--image-gc-high-threshold\) 80/,
    );
  });
});
