import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { writeFileSync } from "node:fs";
import { parse } from "yaml";
import { InputError } from "../components/config/errors";
import { loadStackConfig } from "../components/config/load";
import { SECRET_KEYS } from "../components/config/schema";
import { Site } from "../components/site";
import { UsageError } from "../tools/cli/args";
import { parsePlanArgs } from "../tools/plan/cli";
import {
  byName,
  expectInputError,
  planJson,
  planStack,
  planWith,
  repoRoot,
  unwrap,
  withStackConfig,
} from "./helpers/harness";

const cli = join(repoRoot, "build", "tools", "plan", "cli.js");

/** Runs the plan CLI; `root` plans another project directory (VP_PROJECT_ROOT, tools/plan/runtime.ts). */
function runCli(args: string[], root?: string) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: root ? { ...process.env, VP_PROJECT_ROOT: root } : process.env,
  });
}

const withConfig = withStackConfig;

describe("foundation: config validation", () => {
  it("reports every problem with file and key path, and plans nothing", async () => {
    const problems = await expectInputError(() =>
      planWith({
        stack: "staging",
        stackConfig: withConfig("staging", (c) => {
          c["video-platform:site"].location = "mars1";
          c["video-platform:site"].controlPlane.count = "one";
          c["video-platform:site"].workerPools[0].count = -1;
          c["video-platform:site"].adminCidrs = ["0.0.0.0/0"];
          c["video-platform:site"].extra = 1;
        }),
      }),
    );
    const lines = problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
    const expect = [
      "video-platform:site.location",
      "video-platform:site.controlPlane.count",
      "video-platform:site.workerPools[0].count",
      "video-platform:site.adminCidrs[0]",
      "video-platform:site.extra",
    ];
    for (const path of expect)
      assert.ok(
        problems.some((p) => p.path === path && p.file === "Pulumi.staging.yaml"),
        `missing ${path} in\n${lines.join("\n")}`,
      );
    assert.ok(
      problems.some(
        (p) => p.path === "video-platform:site.extra" && /^unknown key \(allowed here: location, /.test(p.message),
      ),
      "unknown key named, with the keys allowed there",
    );
  });

  it("rejects an even control-plane count, unknown keys and plain-text secrets", async () => {
    const problems = await expectInputError(() =>
      planWith({
        stack: "prod",
        stackConfig: withConfig("prod", (c) => {
          c["video-platform:site"].controlPlane.count = 2;
          c["video-platform:sites"] = {};
        }),
        overrides: { hcloudToken: { value: "plaintext-token", secret: false } },
      }),
    );
    assert.ok(problems.some((p) => p.path === "video-platform:site.controlPlane.count" && /odd/.test(p.message)));
    assert.ok(problems.some((p) => p.path === "video-platform:sites" && /unknown key/.test(p.message)));
    assert.ok(
      problems.some(
        (p) => p.path === "video-platform:hcloudToken" && /pulumi config set --secret hcloudToken/.test(p.message),
      ),
    );
    assert.ok(!problems.some((p) => p.message.includes("plaintext-token")), "the secret value is never echoed");
  });

  it("a missing required secret fails with the command that sets it (as a real run would)", async () => {
    // A real run whose stack has no secrets set: no placeholders are filled.
    const problems = await expectInputError(() => planWith({ stack: "staging", placeholders: false }));
    for (const k of SECRET_KEYS)
      assert.ok(
        problems.some(
          (p) =>
            p.path === `video-platform:${k}` &&
            p.message.includes(`pulumi config set --secret ${k} <value> --stack staging`),
        ),
        `no problem for missing ${k}`,
      );
  });

  it("the harness refuses an input error raised after a resource was declared (half-applied)", async () => {
    await assert.rejects(
      expectInputError(() =>
        planWith({
          stack: "staging",
          program: async () => {
            new hcloud.Network("early", { ipRange: "10.0.0.0/16" });
            throw new InputError([{ file: "tenants/x.yaml", path: "name", message: "late" }]);
          },
        }),
      ),
      /input error raised after resources were declared: .*::early/,
    );
  });

  it("Pulumi.yaml declares exactly the program's secrets, as secrets", () => {
    const project = parse(readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { secret?: boolean }>;
    };
    const declared = Object.entries(project.config)
      .filter(([, v]) => v.secret)
      .map(([k]) => k)
      .sort();
    assert.deepEqual(declared, [...SECRET_KEYS].sort());
  });

  it("the sample stack files hold no ciphertext and no plain secret", () => {
    for (const f of ["Pulumi.staging.yaml", "Pulumi.prod.yaml"]) {
      const text = readFileSync(join(repoRoot, f), "utf8");
      assert.ok(!/secure:/.test(text), `${f} must not carry ciphertext (no CLI here can make it)`);
      for (const k of SECRET_KEYS)
        assert.ok(!new RegExp(`^\\s*(video-platform:)?${k}:`, "m").test(text), `${f} sets ${k} in clear`);
    }
  });
});

describe("foundation: offline plan", () => {
  it("captures protect, dependsOn and provider from the register requests", async () => {
    const prod = await planStack("prod");
    const staging = await planStack("staging");
    assert.equal(byName(prod, "site-net").options.protect, true, "prod network is protected");
    assert.equal(byName(staging, "site-net").options.protect, false, "staging network is not");
    const subnet = byName(prod, "site-subnet");
    assert.ok(subnet.options.dependsOn.includes(byName(prod, "site-net").urn), "subnet depends on the network");
    const ns = prod.resources.find((r) => r.type === "kubernetes:core/v1:Namespace");
    assert.ok(
      ns?.options.provider?.startsWith(byName(prod, "platform-k8s").urn),
      "namespace uses the platform's provider",
    );
  });

  it("captures ignoreChanges, retainOnDelete and explicit dependsOn from real options", async () => {
    const p = await planWith({
      stack: "staging",
      program: async () => {
        const a = new hcloud.Network("a", { ipRange: "10.0.0.0/16" });
        new hcloud.Network(
          "b",
          { ipRange: "10.1.0.0/16" },
          { dependsOn: [a], ignoreChanges: ["labels"], retainOnDelete: true, protect: true },
        );
        return { secretOut: pulumi.secret("s3cr3t-output") };
      },
    });
    const b = byName(p, "b");
    assert.deepEqual(b.options.ignoreChanges, ["labels"]);
    assert.equal(b.options.retainOnDelete, true);
    assert.equal(b.options.protect, true);
    assert.deepEqual(b.options.dependsOn, [byName(p, "a").urn]);
    assert.equal(p.outputs.secretOut, "[secret]");
    assert.ok(!planJson(p).includes("s3cr3t-output"));
  });

  it("unwrap() gives a component's public Outputs with their secretness", async () => {
    let fields: { endpoint: unknown; kubeconfig: unknown } | undefined;
    await planWith({
      stack: "staging",
      program: async () => {
        const site = new Site("site", { config: loadStackConfig() });
        fields = { endpoint: await unwrap(site.apiEndpoint), kubeconfig: await unwrap(site.kubeconfig) };
        return {};
      },
    });
    const { endpoint, kubeconfig } = fields as {
      endpoint: { value: string; secret: boolean };
      kubeconfig: { value: string; secret: boolean };
    };
    assert.match(endpoint.value, /^https:\/\/[0-9.]+:6443$/);
    assert.equal(endpoint.secret, false);
    assert.equal(kubeconfig.secret, true, "the kubeconfig is a secret Output");
    assert.match(kubeconfig.value, /certificate-authority-data/);
  });

  it("never writes a secret in clear: a seeded secret is masked everywhere", async () => {
    const seed = "SEEDED-SECRET-7f3a9c";
    const p = await planWith({
      stack: "prod",
      overrides: { hcloudToken: { value: seed, secret: true }, k3sToken: { value: `${seed}-k3s`, secret: true } },
    });
    const text = planJson(p);
    assert.ok(!text.includes(seed), "seeded secret found in plan JSON");
    assert.ok(text.includes('"[secret]"'));
  });

  it("is deterministic: the same tree twice gives byte-identical JSON", async () => {
    const a = await planWith({ stack: "prod" });
    const b = await planWith({ stack: "prod" });
    assert.equal(planJson(a), planJson(b));
  });

  it("registers the same resources under the CLI and under the test harness", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-plan-"));
    try {
      const out = join(dir, "p.json");
      const r = runCli(["--stack", "prod", "--json", out, "--quiet"]);
      assert.equal(r.status, 0, r.stderr);
      const fromCli = JSON.parse(readFileSync(out, "utf8"));
      const fromHarness = JSON.parse(planJson(await planStack("prod")));
      assert.deepEqual(fromCli, fromHarness);
      assert.deepEqual(Object.keys(fromCli).sort(), ["outputs", "project", "resources", "stack"]);
      for (const r of fromCli.resources) {
        assert.deepEqual(Object.keys(r).sort(), ["custom", "inputs", "name", "options", "parent", "type", "urn"]);
        for (const k of ["protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges", "dependsOn", "provider"])
          assert.ok(k in r.options, k);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("CLI: broken stack file exits 1, names file and key, writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-bad-"));
    try {
      // A copy of the project in a temp dir whose stack file is broken: nothing is written into
      // the working tree (other test files list its stack files while this one runs).
      execFileSync("cp", ["Pulumi.yaml", join(dir, "Pulumi.yaml")], { cwd: repoRoot });
      for (const d of ["build", "tenants"]) symlinkSync(join(repoRoot, d), join(dir, d));
      const bad = readFileSync(join(repoRoot, "Pulumi.staging.yaml"), "utf8").replace("count: 1", "count: -3");
      writeFileSync(join(dir, "Pulumi.brokentest.yaml"), bad);
      const out = join(dir, "p.json");
      const r = runCli(["--stack", "brokentest", "--json", out], dir);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^Pulumi\.brokentest\.yaml: video-platform:site\.controlPlane\.count: /m);
      assert.ok(!existsSync(out), "no plan written");
      const none = runCli(["--stack", "nosuchstack", "--json", out], dir);
      assert.equal(none.status, 1);
      assert.match(none.stderr, /Pulumi\.nosuchstack\.yaml: no such stack file/);
      // The temp project's only stack file is the broken one.
      assert.match(
        none.stderr,
        /existing stacks: brokentest \(pass --stack <one of them>/,
        "lists the stacks there are",
      );
      assert.ok(!existsSync(out));
      assert.ok(!existsSync(join(repoRoot, "Pulumi.brokentest.yaml")), "nothing written into the working tree");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("foundation: the plan CLI's flags and output", () => {
  it("reads flags with parseArgs: --flag=value, usage errors exit 2 naming the flag", () => {
    assert.deepEqual(parsePlanArgs(["--stack=prod", "--tree"]), {
      stack: "prod",
      tenants: undefined,
      json: undefined,
      base: undefined,
      markdown: undefined,
      quiet: false,
      tree: true,
    });
    assert.equal(parsePlanArgs(["--stack", "prod"]).stack, "prod");
    assert.equal(parsePlanArgs([]).stack, "staging");
    const usage = (argv: string[]) => {
      try {
        parsePlanArgs(argv);
      } catch (e) {
        assert.ok(e instanceof UsageError, String(e));
        return { code: e.code, message: e.message };
      }
      assert.fail(`${argv.join(" ")} was accepted`);
    };
    assert.match(usage(["--stack"]).message, /--stack <value>' argument missing/);
    assert.match(usage(["--stack", "--quiet"]).message, /'--stack' argument is ambiguous/);
    assert.match(usage(["--stack="]).message, /--stack needs a value/);
    assert.match(usage(["--bogus"]).message, /Unknown option '--bogus'\nusage: npm run plan/);
    assert.match(usage(["prod"]).message, /Unexpected argument 'prod'/);
    assert.match(usage(["--stack", "../etc"]).message, /not a stack name/);
    assert.match(usage(["--markdown", "x.md"]).message, /--markdown goes with --base/);
    assert.equal(usage(["--bogus"]).code, 2);
    assert.equal(usage(["-h"]).code, 0);
  });

  it("prints one line per component by default and every resource with --tree", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-plan-"));
    try {
      const summary = runCli(["--stack=staging", `--json=${join(dir, "a.json")}`]);
      assert.equal(summary.status, 0, summary.stderr);
      assert.match(summary.stdout, /^video-platform-staging \(pulumi:pulumi:Stack\) — \d+ resources: /m);
      assert.match(summary.stdout, /^├─ platform \(platform:platform:Platform\) — \d+ resources: /m);
      assert.doesNotMatch(summary.stdout, /hcloud:Server {2}site-cp-1/, "no resource lines in the summary");
      assert.match(summary.stdout, /^video-platform\/staging: \d+ resources in \d+ components$/m);
      const tree = runCli(["--stack", "staging", "--tree", "--json", join(dir, "b.json")]);
      assert.equal(tree.status, 0, tree.stderr);
      assert.match(tree.stdout, /hcloud:Server {2}site-cp-1/);
      assert.ok(tree.stdout.split("\n").length > summary.stdout.split("\n").length + 40, "the tree lists resources");
      assert.equal(readFileSync(join(dir, "a.json"), "utf8"), readFileSync(join(dir, "b.json"), "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
