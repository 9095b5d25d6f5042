/**
 * The etcd restore path (`k3s.restore`), end to end: stack config → Site component → rendered
 * user-data. test/site.test.ts checks the rendered restore step itself (flags, schema, shellcheck)
 * from a hand-built plan; this file checks what only the real wiring shows: the restoring first
 * control plane uses the stack's own token and snapshot settings, every other node's user-data is
 * byte-identical to a normal build (so nothing else resets, and the others can only join once the
 * restored server runs), it is off by default, and bad restore config is rejected by file and key.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { loadStackConfig } from "../components/config/load";
import { Site } from "../components/site";
import { BOOTSTRAP_PATH, RESTORE_ENV_PATH } from "../components/site/cloudinit";
import { expectInputError, planWith, withStackConfig } from "./helpers/harness";

const P = "video-platform";
const TOKEN = "restore-test-k3s-token-5d1e";
const S3_ACCESS = "restore-test-s3-access-0c9a";
const S3_SECRET = "restore-test-s3-secret-77f3";
const SNAPSHOT = "etcd-snapshot-prod-cp-1-1767225600.zip";
const overrides = {
  k3sToken: { value: TOKEN, secret: true },
  etcdS3AccessKey: { value: S3_ACCESS, secret: true },
  etcdS3SecretKey: { value: S3_SECRET, secret: true },
};

function config(stack: string, restore?: Record<string, unknown>): Record<string, unknown> {
  return withStackConfig(stack, (c) => {
    if (restore) c[`${P}:k3s`].restore = restore;
  });
}

/** Every node's user-data, rendered by the real Site component from the stack's config. */
async function userData(stack: string, restore?: Record<string, unknown>): Promise<Record<string, string>> {
  const p = await planWith({
    stack,
    overrides,
    stackConfig: config(stack, restore),
    program: async () => {
      const site = new Site("site", { config: loadStackConfig() });
      return { userData: Object.fromEntries(site.nodes.map((n) => [n.spec.name, pulumi.unsecret(n.userData)])) };
    },
  });
  return p.outputs.userData as Record<string, string>;
}

type Doc = { write_files: { path: string; content: string; permissions: string }[] };
const file = (text: string, path: string) => {
  const f = (parse(text) as Doc).write_files.find((w) => w.path === path);
  assert.ok(f, `no ${path}`);
  return f;
};
const script = (text: string) => file(text, BOOTSTRAP_PATH).content;

describe("restore: k3s.restore through the Site component", () => {
  for (const stack of ["prod", "staging"]) {
    describe(stack, () => {
      let normal: Record<string, string>;
      let restoring: Record<string, string>;
      let first: string;
      before(async () => {
        normal = await userData(stack);
        restoring = await userData(stack, { enabled: true, snapshot: SNAPSHOT });
        first = `${stack}-cp-1`;
      });

      it("the first control plane resets etcd from the named snapshot, with the bucket's S3 settings, before k3s starts", () => {
        const s = script(restoring[first]);
        const e = (config(stack) as Record<string, any>)[`${P}:k3s`].etcdSnapshots;
        assert.ok(s.includes(`readonly RESTORE_SNAPSHOT='${SNAPSHOT}'`));
        const install = s.indexOf('INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC="$K3S_ROLE" sh "$installer"');
        const reset = s.indexOf("k3s server --cluster-reset \\");
        const start = s.indexOf('systemctl start "$K3S_UNIT"');
        assert.ok(install > 0 && install < reset && reset < start, "installed (not started) → reset → start");
        const command = s.slice(reset, s.indexOf("\n", s.indexOf('--etcd-s3-secret-key="$ETCD_S3_SECRET_KEY"')));
        for (const flag of [
          '--cluster-reset-restore-path="$RESTORE_SNAPSHOT"',
          `--etcd-s3-endpoint='${e.endpoint}'`,
          `--etcd-s3-region='${e.region}'`,
          `--etcd-s3-bucket='${e.bucket}'`,
        ])
          assert.ok(command.includes(flag), `${flag} on the reset command line`);
        assert.equal(command.includes("--etcd-s3-folder"), e.folder !== undefined, "folder flag only when configured");
        assert.equal((s.match(/^\s*k3s server --cluster-reset\b/gm) ?? []).length, 1, "one reset command");
      });

      it("uses the stack's own token: config.yaml (which the reset reads) is byte-identical to a normal build", () => {
        const k3s = (t: string) => file(t, "/etc/rancher/k3s/config.yaml").content;
        assert.equal(k3s(restoring[first]), k3s(normal[first]));
        assert.equal((parse(k3s(restoring[first])) as { token: string }).token, TOKEN);
        assert.ok(!script(restoring[first]).includes("--token"), "no other token on the command line");
      });

      it("keeps the S3 keys off the command line: a root-only env file the script sources", () => {
        const env = file(restoring[first], RESTORE_ENV_PATH);
        assert.equal(env.permissions, "0600");
        assert.equal(env.content, `ETCD_S3_ACCESS_KEY='${S3_ACCESS}'\nETCD_S3_SECRET_KEY='${S3_SECRET}'\n`);
        const s = script(restoring[first]);
        assert.ok(s.includes(`. ${RESTORE_ENV_PATH}`));
        assert.ok(!s.includes(S3_ACCESS) && !s.includes(S3_SECRET), "no key value in the script (ps would show it)");
      });

      it("no other node resets: every other node's user-data is byte-identical to a normal build", () => {
        assert.deepEqual(Object.keys(restoring).sort(), Object.keys(normal).sort());
        for (const node of Object.keys(normal).filter((n) => n !== first)) {
          assert.equal(restoring[node], normal[node], node);
          assert.ok(!restoring[node].includes("cluster-reset"), node);
        }
        assert.notEqual(restoring[first], normal[first]);
      });

      it("the others can only join the restored server: none initialises a cluster, all join its address", () => {
        const joinUrls = new Set<string>();
        for (const [node, text] of Object.entries(restoring)) {
          if (node === first) continue;
          const k3s = parse(file(text, "/etc/rancher/k3s/config.yaml").content) as Record<string, unknown>;
          assert.equal(k3s["cluster-init"], undefined, node);
          joinUrls.add(String(k3s.server));
        }
        assert.equal(joinUrls.size, 1, "one join address");
        const s = script(restoring[first]);
        assert.ok(!s.includes("cacerts"), "the restoring server never joins an existing cluster instead");
        assert.ok(parse(file(restoring[first], "/etc/rancher/k3s/config.yaml").content)["cluster-init"]);
      });

      it("is off by default, and `enabled: false` with a snapshot named restores nothing", async () => {
        assert.equal((config(stack) as Record<string, any>)[`${P}:k3s`].restore, undefined, "the stack file sets none");
        for (const text of Object.values(normal)) assert.ok(!text.includes("cluster-reset"));
        const off = await userData(stack, { enabled: false, snapshot: SNAPSHOT });
        assert.deepEqual(off, normal);
      });
    });
  }

  it("changes nothing but the first control plane's (ignored) user-data in the plan", async () => {
    const key = "cd".repeat(32);
    const a = await planWith({ stack: "prod", overrides, secretDigestKey: key });
    const b = await planWith({
      stack: "prod",
      overrides,
      secretDigestKey: key,
      stackConfig: config("prod", { enabled: true, snapshot: SNAPSHOT }),
    });
    const changed = a.resources
      .map((r, i) => ({ r, o: b.resources[i] }))
      .filter(({ r, o }) => JSON.stringify(r) !== JSON.stringify(o))
      .map(({ r, o }) => ({
        name: r.name,
        secrets: Object.keys(r.secretDigests ?? {}).filter((k) => r.secretDigests![k] !== o.secretDigests?.[k]),
        ignoreChanges: r.options.ignoreChanges,
      }));
    assert.deepEqual(changed, [
      { name: "site-cp-1", secrets: ["userData"], ignoreChanges: ["image", "sshKeys", "userData"] },
    ]);
  });

  it("rejects a restore without a snapshot, or with a path instead of an object name, by file and key", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ enabled: true }, /restore\.enabled needs restore\.snapshot/],
      [{ enabled: true, snapshot: "../etc/passwd" }, /must be a snapshot object name from the bucket/],
      [{ enabled: true, snapshot: "s3://vp-prod-etcd/etcd-snapshot-prod-cp-1-1" }, /must be a snapshot object name/],
    ];
    for (const [restore, message] of cases) {
      const problems = await expectInputError(() => planWith({ stack: "prod", stackConfig: config("prod", restore) }));
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0].file, "Pulumi.prod.yaml");
      assert.equal(problems[0].path, `${P}:k3s.restore.snapshot`);
      assert.match(problems[0].message, message);
    }
  });
});
