/**
 * The engine harness's pure parts (tools/engine, tools/pulumi), fast and without Go: the pins the
 * build uses, the stand-in providers' values, the chart swap and the CLI's flags. What the real
 * engine does is `npm run test:engine` (test-engine/).
 */
import { strict as assert } from "node:assert";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { chartOf, localCharts, localFiles, writeRealCharts, writeStandInCharts } from "../tools/engine/charts";
import { parseEngineArgs } from "../tools/engine/cli";
import { changedKeys, password } from "../tools/engine/standins/providers";
import { repoRoot } from "./helpers/harness";

const read = (p: string) => readFileSync(join(repoRoot, p), "utf8");

describe("engine harness", () => {
  it("builds the CLI at .pulumi-version and the provider at its v4.25.0 tag commit", () => {
    const cli = read("tools/pulumi/cli/go.mod");
    const version = read(".pulumi-version").trim();
    assert.match(
      cli,
      new RegExp(`^require github\\.com/pulumi/pulumi/pkg/v3 v${version.replace(/\./g, "\\.")}\\b`, "m"),
    );
    assert.match(
      cli,
      new RegExp(`^require github\\.com/pulumi/pulumi/sdk/v3 v${version.replace(/\./g, "\\.")}\\b`, "m"),
    );
    assert.match(cli, /^replace github\.com\/atotto\/clipboard => github\.com\/tgummerer\/clipboard /m);
    const k8s = read("tools/pulumi/kubernetes/go.mod");
    assert.match(
      k8s,
      /^require github\.com\/pulumi\/pulumi-kubernetes\/provider\/v4 v4\.0\.0-20260115033456-f47bc2d6f199$/m,
    );
    assert.match(k8s, /^require github\.com\/pulumi\/pulumi-kubernetes\/sdk\/v4 v4\.25\.0\b/m);
    assert.match(
      read("tools/pulumi/build.sh"),
      /-s -w -X github\.com\/pulumi\/pulumi\/sdk\/v3\/go\/common\/version\.Version=/,
    );
  });

  it("the random stand-in makes passwords of the asked length from the enabled classes only", () => {
    const p = password({ length: 32, special: false });
    assert.equal(p.length, 32);
    assert.match(p, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(password({ length: 32, special: false }), p);
    assert.match(password({ length: 40, upper: false, lower: false, numeric: false, overrideSpecial: "#" }), /^#{40}$/);
    assert.throws(
      () => password({ length: 8, upper: false, lower: false, numeric: false, special: false }),
      /cannot make a password/,
    );
  });

  it("the stand-ins diff by input, outputs left out", () => {
    assert.deepEqual(changedKeys({ length: 24, hex: "aa" }, { length: 24 }, ["hex"]), []);
    assert.deepEqual(changedKeys({ length: 24, a: [1] }, { length: 32, a: [1] }), ["length"]);
  });

  it("every pinned chart's source maps back to its name; Releases get the stand-in chart, v4 Charts the real one", () => {
    assert.equal(chartOf("argo-cd"), "argocd");
    assert.equal(chartOf("oci://docker.io/envoyproxy/gateway-crds-helm"), "gatewayCrds");
    assert.equal(chartOf("nginx"), undefined);
    const swap = localCharts({
      standIn: { argocd: "/charts/argocd", gatewayCrds: "/charts/gatewayCrds" } as never,
      real: { gatewayCrds: "/real/gatewayCrds" },
    });
    const call = (type: string, name: string, props: Record<string, unknown>) =>
      swap({ type, name, props, opts: {}, resource: undefined as never });
    const release = "kubernetes:helm.sh/v3:Release";
    const chart = "kubernetes:helm.sh/v4:Chart";
    const out = call(release, "platform-argocd", {
      chart: "argo-cd",
      version: "10.1.1",
      repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" },
    });
    assert.deepEqual(out?.props, { chart: "/charts/argocd", version: "10.1.1" });
    const crds = { chart: "oci://docker.io/envoyproxy/gateway-crds-helm", version: "v1.9.1", values: { a: 1 } };
    assert.deepEqual(call(chart, "platform-gateway-crds", crds)?.props, { ...crds, chart: "/real/gatewayCrds" });
    // A Release of the same chart would install workloads' waits: always the stand-in.
    assert.equal(call(release, "r", crds)?.props.chart, "/charts/gatewayCrds");
    assert.equal(call("kubernetes:core/v1:Namespace", "n", {}), undefined);
    assert.throws(
      () => call(release, "x", { chart: "nginx" }),
      /x: Release of chart nginx, which components\/versions\.ts does not pin/,
    );
    assert.throws(
      () => call(chart, "y", { ...crds, version: "v1.8.0" }),
      /y: the engine harness prepared gatewayCrds v1\.9\.1, the stack asks for v1\.8\.0/,
    );
  });

  it("a real chart is copied from its module at the pinned tag, with Chart.yaml's versions set as upstream packages it", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-real-"));
    try {
      const mod = join(dir, "mod");
      mkdirSync(join(mod, "charts", "gateway-crds-helm", "templates"), { recursive: true });
      writeFileSync(
        join(mod, "charts", "gateway-crds-helm", "Chart.yaml"),
        "apiVersion: v2\nname: gateway-crds-helm\nversion: v0.0.0-latest\nappVersion: latest\n",
      );
      writeFileSync(join(mod, "charts", "gateway-crds-helm", "templates", "a.yaml"), "kind: X\n");
      chmodSync(join(mod, "charts", "gateway-crds-helm", "Chart.yaml"), 0o444);
      const asked: string[] = [];
      const out = writeRealCharts(join(dir, "out"), (m, v) => (asked.push(`${m}@${v}`), mod));
      assert.deepEqual(asked, ["github.com/envoyproxy/gateway@v1.9.1"]);
      assert.deepEqual(Object.keys(out), ["gatewayCrds"]);
      const meta = parse(readFileSync(join(out.gatewayCrds!, "Chart.yaml"), "utf8")) as Record<string, string>;
      assert.deepEqual([meta.name, meta.version, meta.appVersion], ["gateway-crds-helm", "v1.9.1", "v1.9.1"]);
      assert.equal(readFileSync(join(out.gatewayCrds!, "templates", "a.yaml"), "utf8"), "kind: X\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stand-in charts carry exactly the CRDs their release installs (CRDs in crds/, other objects in templates/)", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-charts-"));
    try {
      const crd = (name: string) => ({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name },
      });
      const charts = writeStandInCharts(dir, [
        {
          source: "gatewayApi",
          module: "m",
          version: "v1",
          objects: [
            crd("gateways.gateway.networking.k8s.io"),
            {
              apiVersion: "admissionregistration.k8s.io/v1",
              kind: "ValidatingAdmissionPolicy",
              metadata: { name: "safe-upgrades" },
            },
          ],
        },
        { source: "argocd", module: "m", version: "v1", objects: [crd("applications.argoproj.io")] },
      ]);
      assert.deepEqual(readdirSync(join(charts.gatewayCrds, "crds")), ["000-gateways.gateway.networking.k8s.io.yaml"]);
      assert.deepEqual(readdirSync(join(charts.gatewayCrds, "templates")), ["001-safe-upgrades.yaml"]);
      // Argo CD's CRDs come from its repository (a ConfigGroup), not its chart: no stand-in carries them.
      assert.deepEqual(readdirSync(join(charts.argocd, "crds")), []);
      assert.deepEqual(readdirSync(join(charts.hcloudCcm, "crds")), []);
      const meta = parse(readFileSync(join(charts.argocd, "Chart.yaml"), "utf8")) as Record<string, string>;
      assert.deepEqual([meta.name, meta.version], ["argo-cd", "10.1.1"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a ConfigGroup's files at a module's raw GitHub address are read from that module at that tag; others are refused", () => {
    const swap = localFiles((module, version) => `/mod/${module}@${version}`);
    const url = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.6.2/manifests/crds/application-crd.yaml";
    const out = swap({
      type: "kubernetes:yaml/v2:ConfigGroup",
      name: "platform-argocd-crds",
      props: { files: [url] },
      opts: {},
      resource: undefined as never,
    });
    assert.deepEqual(out?.props, {
      files: ["/mod/github.com/argoproj/argo-cd/v3@v3.6.2/manifests/crds/application-crd.yaml"],
    });
    assert.throws(
      () =>
        swap({
          type: "kubernetes:yaml/v2:ConfigGroup",
          name: "x",
          props: { files: ["https://example.com/a.yaml"] },
          opts: {},
          resource: undefined as never,
        }),
      /x: https:\/\/example\.com\/a\.yaml is no file of a module components\/versions\.ts CRD_SOURCES pins/,
    );
    assert.equal(
      swap({ type: "kubernetes:core/v1:Namespace", name: "n", props: {}, opts: {}, resource: undefined as never }),
      undefined,
    );
  });

  it("`npm run engine` reads its command and flags, and refuses others", () => {
    assert.deepEqual(parseEngineArgs(["preview", "--stack=prod", "--refresh", "--expect-no-changes"]), {
      command: "preview",
      stack: "prod",
      refresh: true,
      expectNoChanges: true,
      diff: false,
    });
    assert.equal(parseEngineArgs(["up", "--tenants", "x"]).tenants, "x");
    assert.throws(() => parseEngineArgs(["apply"]), /unknown command apply/);
    assert.throws(() => parseEngineArgs(["down", "--stack", "prod"]), /Unknown option '--stack'/);
  });
});
