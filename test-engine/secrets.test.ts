/**
 * A stack without one of its secrets: the real CLI's answer, and the README quoting it. The CLI
 * refuses before the program runs (Pulumi.yaml declares every secret key), so this needs no
 * cluster objects; it uses its own backend and project under build/engine/missing-secret/.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ENGINE_DIR, prepareEngine, recorder } from "../tools/engine/workspace";
import { repoRoot } from "../tools/plan/runtime";
import { OVERRIDES, STACK } from "./engine";

describe("the real CLI on a stack missing a secret", function () {
  this.timeout(10 * 60_000);

  it("refuses before anything is created, naming the key; the README quotes that message", async () => {
    const e = await prepareEngine({
      stack: STACK,
      dir: join(ENGINE_DIR, "missing-secret"),
      clusterDir: join(ENGINE_DIR, "cluster"),
      overrides: OVERRIDES,
      omitSecrets: ["gitopsRepoPassword"],
    });
    const rec = recorder();
    const err = await e.stack.preview({ onEvent: rec.onEvent }).then(
      () => undefined,
      (x: unknown) => x as Error,
    );
    assert.ok(err, "preview ran without gitopsRepoPassword");
    const line = /^.*is missing configuration value.*$/m.exec(err.message)?.[0]?.trim();
    assert.equal(
      line,
      `error: validating stack config: Stack '${STACK}' is missing configuration value 'gitopsRepoPassword'`,
    );
    // Refused before the program ran: no resource was even announced.
    assert.deepEqual(
      rec.done(Date.now()).events.filter((ev) => ev.resourcePreEvent),
      [],
    );
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    assert.ok(readme.includes(line.replace(`'${STACK}'`, "'staging'")), `README.md does not quote: ${line}`);
  });
});
