/**
 * `npm run preview` / `npm run up` (tools/cli/pulumi-run.ts): the operator's path to the real CLI
 * carries the guardrails. Run through package.json's own scripts against a stand-in `pulumi`
 * (a shell script first on PATH that answers `version` and records every other call), so the
 * argv, working directory and exit code pulumi would get are observed, not assumed; and a CLI
 * whose version differs from `.pulumi-version` is refused before it runs anything.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePulumiRunArgs, pulumiArgv } from "../tools/cli/pulumi-run";
import { repoRoot } from "./helpers/harness";

const PINNED = readFileSync(join(repoRoot, ".pulumi-version"), "utf8").trim();
const scripts = (
  JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;

describe("npm run preview / up: the real CLI with the guardrails", () => {
  const dir = mkdtempSync(join(tmpdir(), "vp-pulumi-run-"));
  const log = join(dir, "calls");
  const fake = join(dir, "bin", "pulumi");
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(() => {
    mkdirSync(join(dir, "bin"));
    writeFileSync(
      fake,
      [
        "#!/bin/sh",
        'if [ "$1" = version ]; then echo "v$FAKE_PULUMI_VERSION"; exit 0; fi',
        'printf "cwd=%s\\n" "$PWD" >> "$FAKE_PULUMI_LOG"',
        'for a in "$@"; do printf "%s\\n" "$a" >> "$FAKE_PULUMI_LOG"; done',
        'exit "${FAKE_PULUMI_EXIT:-0}"',
        "",
      ].join("\n"),
    );
    chmodSync(fake, 0o755);
  });

  /** package.json's script (its build step skipped: `npm test` has just built) with `args`. */
  function npmRun(script: "preview" | "up", args: string[], env: Record<string, string> = {}) {
    rmSync(log, { force: true });
    const body = scripts[script].replace(/^node tools\/build\.mjs && /, "");
    const r = spawnSync("sh", ["-c", `${body} "$@"`, "sh", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${join(dir, "bin")}:${process.env.PATH}`,
        FAKE_PULUMI_LOG: log,
        FAKE_PULUMI_VERSION: PINNED,
        ...env,
      },
    });
    const calls = existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : [];
    return { ...r, calls };
  }

  it("package.json runs the wrapper for both, after the build", () => {
    assert.equal(scripts.preview, "node tools/build.mjs && node build/tools/cli/pulumi-run.js preview");
    assert.equal(scripts.up, "node tools/build.mjs && node build/tools/cli/pulumi-run.js up");
  });

  it("preview: pulumi preview in the project root with --policy-pack policy and --diff, the operator's flags after", () => {
    const urn = "urn:pulumi:prod::video-platform::platform:site:Site$hcloud:index/server:Server::site-cp-1";
    const r = npmRun("preview", ["--stack", "prod", "--replace", urn]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.calls, [
      `cwd=${repoRoot}`,
      "preview",
      "--stack",
      "prod",
      "--policy-pack",
      "policy",
      "--diff",
      "--replace",
      urn,
    ]);
    assert.match(
      r.stderr,
      /^\+ pulumi preview --stack prod --policy-pack policy --diff --replace /m,
      "says what it runs",
    );
  });

  it("up: the same guardrails; --stack=<name> and -s work; --diff is not doubled; pulumi's exit code is the wrapper's", () => {
    const a = npmRun("up", ["--stack=staging", "--exclude", "X", "--exclude-dependents"]);
    assert.equal(a.status, 0, a.stderr);
    assert.deepEqual(a.calls.slice(1), [
      "up",
      "--stack",
      "staging",
      "--policy-pack",
      "policy",
      "--diff",
      "--exclude",
      "X",
      "--exclude-dependents",
    ]);
    const b = npmRun("up", ["-s", "prod", "--diff", "--yes"], { FAKE_PULUMI_EXIT: "3" });
    assert.equal(b.status, 3, "a failed update fails the command");
    assert.deepEqual(b.calls.slice(1), ["up", "--stack", "prod", "--policy-pack", "policy", "--diff", "--yes"]);
  });

  it("refuses a CLI whose version is not .pulumi-version's, naming both, before running anything", () => {
    const r = npmRun("up", ["--stack", "prod"], { FAKE_PULUMI_VERSION: "3.200.0" });
    assert.equal(r.status, 1);
    assert.deepEqual(r.calls, [], "pulumi up never ran");
    assert.match(
      r.stderr,
      new RegExp(`pulumi is 3\\.200\\.0, but \\.pulumi-version pins ${PINNED.replace(/\./g, "\\.")}`),
    );
    assert.match(r.stderr, /set PULUMI_BIN/);
  });

  it("PULUMI_BIN points at another CLI; a missing one is refused with the same advice", () => {
    const r = npmRun("preview", ["--stack", "staging"], { PATH: "/usr/bin:/bin", PULUMI_BIN: fake });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls[1], "preview");
    const missing = npmRun("preview", ["--stack", "staging"], { PULUMI_BIN: join(dir, "no-such-pulumi") });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot run `.*no-such-pulumi version`.*install the Pulumi CLI .* \.pulumi-version/);
  });

  it("refuses a run without --stack, and flags that would drop or replace the guardrails", () => {
    for (const [args, message] of [
      [[], /--stack is required/],
      [["--stack"], /--stack needs a value/],
      [["--stack", "--diff"], /--stack needs a value/],
      [["--stack", "prod", "--policy-pack", "other"], /--policy-pack: the wrapper passes --policy-pack policy itself/],
      [["--stack", "prod", "--policy-pack=other"], /--policy-pack: /],
      [["--stack", "prod", "--cwd", "/elsewhere"], /--cwd: /],
      [["--stack", "prod", "-s", "staging"], /--stack given twice/],
      [["--stack", "no/such"], /not a stack name/],
    ] as const) {
      const r = npmRun("preview", [...args]);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.deepEqual(r.calls, [], "nothing ran");
    }
    assert.throws(() => parsePulumiRunArgs(["destroy", "--stack", "prod"]), /preview or up, not destroy/);
    assert.deepEqual(pulumiArgv(parsePulumiRunArgs(["preview", "--stack", "prod", "--diff"])), [
      "preview",
      "--stack",
      "prod",
      "--policy-pack",
      "policy",
      "--diff",
    ]);
  });
});
