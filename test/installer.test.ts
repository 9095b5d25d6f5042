/**
 * components/site/installer.ts: the k3s installer runs only when its SHA-256 is the one pinned
 * in the repository (issue 25 item 6). The bootstrap's installer step is run here for real in
 * bash, with `curl` replaced by a stub serving local files: a tampered copy is refused and never
 * run, a good copy from the next source is taken, and no good copy stops the bootstrap. The pin
 * itself is written out literally; test-cluster/installer.test.ts re-derives it from the Go module
 * proxy.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INSTALLER_PATH, installerLines, InstallerPin, K3S_INSTALLER } from "../components/site/installer";
import { needTool } from "./helpers/tools";

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

describe("k3s installer: pinned by SHA-256 in the repository", () => {
  it("is install.sh of k3s commit c5b158798933 with its SHA-256, from the commit or the Go module proxy's zip of it", () => {
    assert.deepEqual(K3S_INSTALLER, {
      sha256: "f6dd79c73ff9823378e92cfc0855e725e5dea26c91e2b0c3f80d1d59c05d5f02",
      sources: [
        { url: "https://raw.githubusercontent.com/k3s-io/k3s/c5b158798933/install.sh" },
        {
          url: "https://proxy.golang.org/github.com/k3s-io/k3s/@v/v1.35.1-0.20260211145931-c5b158798933.zip",
          member: "github.com/k3s-io/k3s@v1.35.1-0.20260211145931-c5b158798933/install.sh",
        },
      ],
    });
    assert.equal(INSTALLER_PATH, "/usr/local/sbin/k3s-install.sh");
  });

  it("the rendered step checks the checksum with sha256sum before anything runs the file", () => {
    const script = installerLines().join("\n");
    assert.ok(
      script.includes(
        "readonly K3S_INSTALLER_SHA256='f6dd79c73ff9823378e92cfc0855e725e5dea26c91e2b0c3f80d1d59c05d5f02'",
      ),
    );
    assert.match(script, /sha256sum -c --status/);
    // Fetched to a temporary name; only a verified file is moved to where the bootstrap runs it.
    assert.ok(script.indexOf("sha256sum -c") < script.indexOf('mv "$tmp" "$installer"'));
    assert.doesNotMatch(script, /\|\s*(ba)?sh\b/, "nothing is piped into a shell");
  });

  it("refuses a pin that is no SHA-256, no source, a source that is not HTTPS, or text a shell would read", () => {
    const src = [{ url: "https://x.example/install.sh" }];
    const hex = "a".repeat(64);
    assert.throws(() => installerLines({ sha256: "abc", sources: src }), /is not a SHA-256/);
    assert.throws(() => installerLines({ sha256: `x${hex}`, sources: src }), /is not a SHA-256/);
    assert.throws(() => installerLines({ sha256: `${hex}x`, sources: src }), /is not a SHA-256/);
    assert.throws(() => installerLines({ sha256: hex.toUpperCase(), sources: src }), /is not a SHA-256/);
    for (const url of ["https://x.example/it's.sh", "https://x.example/$(id).sh", "https://x.example/a b.sh"])
      assert.throws(
        () => installerLines({ sha256: hex, sources: [{ url }] }),
        /has characters a shell would read/,
        url,
      );
    assert.throws(
      () => installerLines({ sha256: hex, sources: [{ url: "https://x.example/k.zip", member: "a;b" }] }),
      /"a;b" has characters a shell would read/,
    );
    assert.throws(() => installerLines({ sha256: hex, sources: src }, "/tmp/x y"), /"\/tmp\/x y" has characters/);
    assert.throws(
      () => installerLines({ sha256: hex, sources: [{ url: "ftp://x.example/https://" }] }),
      /not an HTTPS URL/,
    );
    assert.throws(() => installerLines({ sha256: "a".repeat(64), sources: [] }), /no source/);
    assert.throws(
      () => installerLines({ sha256: "a".repeat(64), sources: [{ url: "http://x.example/install.sh" }] }),
      /is not an HTTPS URL/,
    );
    assert.doesNotThrow(() => installerLines({ sha256: "a".repeat(64), sources: src }));
  });
});

describe("k3s installer: the step run in bash against served copies", function () {
  let dir: string;
  const good = '#!/bin/sh\necho installed > "$MARK"\n';
  const evil = '#!/bin/sh\necho pwned > "$MARK"\n';

  before(function () {
    needTool(this, "python3", "the installer step (it unpacks the Go module proxy's zip with python3)");
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vp-installer-"));
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "served"));
    mkdirSync(join(dir, "work"));
    // curl stand-in: `-o FILE URL` copies served/<last path segment of URL>, or fails like curl -f.
    writeFileSync(
      join(dir, "bin", "curl"),
      [
        "#!/bin/bash",
        'out=""; url=""',
        'while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2 ;; --retry|--retry-delay) shift 2 ;; -*) shift ;; *) url="$1"; shift ;; esac; done',
        'src="$SERVED/${url##*/}"',
        '[ -f "$src" ] || exit 22',
        'cp "$src" "$out"',
      ].join("\n") + "\n",
    );
    chmodSync(join(dir, "bin", "curl"), 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const pin = (): InstallerPin => ({
    sha256: sha256(good),
    sources: [
      { url: "https://a.example/k3s/install.sh" },
      { url: "https://b.example/mod/k3s.zip", member: "k3s@v1/install.sh" },
    ],
  });

  /** Serves `install.sh` (plain) and/or `k3s.zip` (holding the member) with the given contents. */
  function serve(plain?: string, zipped?: string) {
    if (plain !== undefined) writeFileSync(join(dir, "served", "install.sh"), plain);
    if (zipped !== undefined) {
      writeFileSync(join(dir, "member"), zipped);
      const r = spawnSync("python3", [
        "-c",
        "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').write(sys.argv[2], sys.argv[3])",
        join(dir, "served", "k3s.zip"),
        join(dir, "member"),
        "k3s@v1/install.sh",
      ]);
      assert.equal(r.status, 0, String(r.stderr));
    }
  }

  /** Files the step left in its directory besides the installer. */
  const leftovers = () => readdirSync(join(dir, "work")).filter((f) => f !== "k3s-install.sh");

  /** Runs the step, then the installer as the bootstrap does. */
  function run(p: InstallerPin) {
    const target = join(dir, "work", "k3s-install.sh");
    const script = [
      "#!/bin/bash",
      "set -euo pipefail",
      "log() { printf 'vp-bootstrap: %s\\n' \"$*\" >&2; }",
      'fail() { log "FAILED: $*"; exit 1; }',
      ...installerLines(p, target),
      'sh "$installer"',
    ].join("\n");
    const r = spawnSync("bash", ["-c", script], {
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${join(dir, "bin")}:${process.env.PATH}`,
        SERVED: join(dir, "served"),
        MARK: join(dir, "mark"),
      },
    });
    const mark = existsSync(join(dir, "mark")) ? readFileSync(join(dir, "mark"), "utf8").trim() : undefined;
    return { status: r.status, stderr: r.stderr, mark, target };
  }

  it("a good copy from the first source is installed (0700) and run", () => {
    serve(good);
    const r = run(pin());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.mark, "installed");
    assert.equal(statSync(r.target).mode & 0o777, 0o700);
    assert.equal(readFileSync(r.target, "utf8"), good);
    assert.deepEqual(leftovers(), []);
  });

  it("a tampered first copy is refused and never run; the good copy inside the second source's zip is", () => {
    serve(evil, good);
    const r = run(pin());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.mark, "installed");
    assert.match(
      r.stderr,
      new RegExp(
        `the installer from https://a\\.example/k3s/install\\.sh is not the pinned one \\(SHA-256 ${sha256(evil)}\\); not running it`,
      ),
    );
    // Nothing fetched is left beside the installer: not the refused copy, not the zip.
    assert.deepEqual(leftovers(), []);
  });

  it("an unreachable first source falls through to the second", () => {
    serve(undefined, good);
    const r = run(pin());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.mark, "installed");
    assert.doesNotMatch(r.stderr, /not the pinned one/);
  });

  it("no good copy anywhere stops the bootstrap before anything runs", () => {
    serve(evil, evil);
    const r = run(pin());
    assert.equal(r.status, 1);
    assert.equal(r.mark, undefined, "the tampered installer ran");
    assert.equal(existsSync(r.target), false);
    assert.ok(!leftovers().some((f) => f === "k3s-install.sh.part"), "the refused copy is removed");
    assert.match(
      r.stderr,
      new RegExp(
        `FAILED: no copy of the k3s installer with the pinned SHA-256 ${sha256(good)} \\(components/site/installer\\.ts\\)`,
      ),
    );
  });
});
