/**
 * `npm ci` on a fresh clone (issue 24): npm's install-script policy (`allowScripts` in
 * package.json, npm 11.16+; `npm install-scripts ls` lists what it does not cover) covers exactly
 * the locked packages that ship an install script, so npm prints no warning and runs no script
 * nobody reviewed. Each entry is decided in docs/ci.md#checks; a new dependency with a script
 * fails here until its pull request approves or denies it there.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./helpers/harness";

const read = (f: string) => JSON.parse(readFileSync(join(repoRoot, f), "utf8")) as Record<string, any>;

/** `name` or `name@version` (a scoped name keeps its leading @). */
function keyName(key: string): { name: string; version?: string } {
  const at = key.indexOf("@", 1);
  return at < 0 ? { name: key } : { name: key.slice(0, at), version: key.slice(at + 1) };
}

describe("npm ci: dependency install scripts", () => {
  const pkg = read("package.json");
  const lock = read("package-lock.json");
  /** Every locked package with an install script, as name and version. */
  const scripted = Object.entries(lock.packages as Record<string, any>)
    .filter(([path, p]) => path && p.hasInstallScript)
    .map(([path, p]) => ({
      name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length),
      version: p.version as string,
    }));

  it("allowScripts decides every locked package that ships an install script", () => {
    assert.ok(scripted.length > 0, "the lockfile records install scripts (hasInstallScript)");
    const allow = (pkg.allowScripts ?? {}) as Record<string, boolean>;
    for (const s of scripted)
      assert.ok(
        Object.keys(allow).some(
          (k) => keyName(k).name === s.name && [undefined, s.version].includes(keyName(k).version),
        ),
        `${s.name}@${s.version} has an install script that allowScripts does not decide: review it, then \`npm install-scripts approve|deny ${s.name}\` and say why in docs/ci.md#checks`,
      );
  });

  it("allowScripts lists nothing else: each entry is a boolean for a locked package that has a script", () => {
    for (const [k, v] of Object.entries((pkg.allowScripts ?? {}) as Record<string, unknown>)) {
      assert.equal(typeof v, "boolean", k);
      const { name, version } = keyName(k);
      assert.ok(
        scripted.some((s) => s.name === name && (version === undefined || s.version === version)),
        `${k}: no locked package of that name has an install script any more (\`npm install-scripts prune\`)`,
      );
    }
  });
});
