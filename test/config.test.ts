/**
 * The stack config's reference and errors (components/config): the generated key table and
 * JSON Schema match the zod schema, both stack files validate against that schema, and bad
 * config is refused naming the key and the fix (did-you-mean, units, cron fields). The rules'
 * site context comes from the validated config, the program's way.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { isInputError } from "../components/config/errors";
import { validateStackConfig } from "../components/config/load";
import { cronProblem } from "../components/config/schema";
import { siteContext } from "../components/rules";
import { renderConfigDoc, renderStackSchema } from "../tools/config-schema";
import { readStackConfig, repoRoot, withStackConfig } from "./helpers/harness";

const P = "video-platform";
const read = (f: string) => readFileSync(join(repoRoot, f), "utf8");
const messages = (stack: string, raw: Record<string, unknown>) =>
  validateStackConfig(stack, raw).problems.map((p) => `${p.path}: ${p.message}`);

describe("config: generated reference and editor schema", () => {
  it("schemas/stack.schema.json and docs/configuration.md are what `npm run schema:config` writes", async () => {
    assert.equal(read("schemas/stack.schema.json"), await renderStackSchema(), "run npm run schema:config");
    const doc = read("docs/configuration.md");
    assert.equal(doc, await renderConfigDoc(doc), "run npm run schema:config");
  });

  it("the reference has a row with a meaning for every key, secrets included", () => {
    const doc = read("docs/configuration.md");
    for (const key of [
      "site.location",
      "site.workerPools[].labels",
      "k3s.etcdSnapshots.schedule",
      "platform.helmTimeoutSeconds",
      "tenantsDir",
      "hcloudToken",
    ]) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${P}:${key}\``));
      assert.ok(row, `no row for ${key}`);
      const meaning = row.split(" | ").pop()!.replace(/\|$/, "").trim();
      assert.ok(meaning.length > 10, `${key} has no meaning`);
    }
    assert.match(doc, /`video-platform:platform\.helmTimeoutSeconds` *\| integer *\| `600` *\| 60–3600 /);
  });

  it("each stack file names the schema, and validates against it; a typo and a wrong type do not", () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(read("schemas/stack.schema.json")));
    for (const stack of ["staging", "prod"]) {
      const text = read(`Pulumi.${stack}.yaml`);
      assert.equal(text.split("\n")[0], "# yaml-language-server: $schema=./schemas/stack.schema.json");
      const doc = parse(text) as Record<string, unknown>;
      assert.ok(validate(doc), `${stack}: ${JSON.stringify(validate.errors)}`);
      const typo = JSON.parse(JSON.stringify(doc));
      typo.config[`${P}:site`].locaton = typo.config[`${P}:site`].location;
      delete typo.config[`${P}:site`].location;
      assert.ok(!validate(typo), `${stack}: a misspelt key passes`);
      const wrong = JSON.parse(JSON.stringify(doc));
      wrong.config[`${P}:platform`].readinessTimeoutMinutes = "10m";
      assert.ok(!validate(wrong), `${stack}: a string for minutes passes`);
      const unknownTop = JSON.parse(JSON.stringify(doc));
      unknownTop.config[`${P}:sites`] = {};
      assert.ok(!validate(unknownTop), `${stack}: an unknown project key passes`);
      const provider = JSON.parse(JSON.stringify(doc));
      provider.config["hcloud:endpoint"] = "https://api.hetzner.cloud/v1";
      assert.ok(validate(provider), `${stack}: a provider's own key is refused`);
      const secret = JSON.parse(JSON.stringify(doc));
      secret.config[`${P}:hcloudToken`] = "plain-text-token";
      assert.ok(!validate(secret), `${stack}: a plain-text secret passes`);
      secret.config[`${P}:hcloudToken`] = { secure: "v1:abc" };
      assert.ok(validate(secret), `${stack}: an encrypted secret is refused`);
    }
  });
});

describe("config: errors a person can act on", () => {
  it("an unknown key gets a did-you-mean, at the top and inside a section", () => {
    const top = withStackConfig("staging", (c) => (c[`${P}:platfrom`] = {}));
    assert.ok(
      messages("staging", top).some((m) => /^video-platform:platfrom: unknown key; did you mean "platform"\?/.test(m)),
      messages("staging", top).join("\n"),
    );
    const inner = withStackConfig("staging", (c) => {
      c[`${P}:site`].locaton = c[`${P}:site`].location;
      delete c[`${P}:site`].location;
    });
    const got = messages("staging", inner);
    assert.ok(
      got.some((m) =>
        /^video-platform:site\.locaton: unknown key; did you mean "location"\? \(allowed here: location, /.test(m),
      ),
      got.join("\n"),
    );
  });

  it("numbers with units say the unit", () => {
    const bad = withStackConfig("staging", (c) => {
      c[`${P}:platform`].readinessTimeoutMinutes = "10m";
      c[`${P}:platform`].helmTimeoutSeconds = 5;
    });
    const got = messages("staging", bad);
    assert.ok(
      got.some((m) =>
        /^video-platform:platform\.readinessTimeoutMinutes: .*\(a plain number of minutes, like 10\)$/.test(m),
      ),
      got.join("\n"),
    );
    assert.ok(
      got.some((m) =>
        /^video-platform:platform\.helmTimeoutSeconds: .*\(a plain number of seconds, like 600\)$/.test(m),
      ),
      got.join("\n"),
    );
  });

  it("cron schedules are parsed by a cron library: a bad field is named; good ones pass", () => {
    assert.equal(
      cronProblem("99 */6 * * *"),
      'minute field: 99 is outside 0-59; a cron expression has five fields (minute hour day-of-month month day-of-week), like "0 */6 * * *"',
    );
    assert.match(cronProblem("0 25 * * *")!, /^hour field: 25 is outside 0-23/);
    assert.match(cronProblem("0 0 32 * *")!, /^day-of-month field: 32/);
    assert.match(cronProblem("0 */6 * * * *")!, /got 6 field\(s\)/);
    assert.match(cronProblem("0 */6 * *")!, /got 4 field\(s\)/);
    for (const ok of ["0 */6 * * *", "30 2 * * 1-5", "0 0 1 */2 *", "0 3 * * SUN"])
      assert.equal(cronProblem(ok), undefined, ok);
    const bad = withStackConfig("staging", (c) => (c[`${P}:k3s`].etcdSnapshots.schedule = "99 */6 * * *"));
    assert.ok(
      messages("staging", bad).some((m) => m.startsWith("video-platform:k3s.etcdSnapshots.schedule: minute field: 99")),
    );
  });
});

describe("config: the rules' site context is built from the validated config", () => {
  it("reads unprefixed keys as Pulumi does (no false SITE-FW-002), and defaults from the schema", () => {
    const raw = readStackConfig("staging");
    const unprefixed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) unprefixed[k.replace(`${P}:`, "")] = v;
    const a = siteContext("staging", raw);
    const b = siteContext("staging", unprefixed);
    assert.deepEqual(b, a);
    assert.deepEqual(a.adminCidrs, ["198.51.100.0/28"]);
    assert.ok(a.blockedRanges.includes("10.42.0.0/16") && a.blockedRanges.includes("10.43.0.0/16"), "defaults");
    assert.ok(a.blockedRanges.includes("169.254.169.254/32"));
  });

  it("refuses to judge a plan by invalid config", () => {
    const bad = withStackConfig("staging", (c) => delete c[`${P}:site`].adminCidrs);
    let err: unknown;
    try {
      siteContext("staging", bad);
    } catch (e) {
      err = e;
    }
    assert.ok(isInputError(err), String(err));
    assert.ok(err.problems.some((p) => p.path === "video-platform:site.adminCidrs"));
  });
});
