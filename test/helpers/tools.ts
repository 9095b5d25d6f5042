/**
 * System tools some tests run against (real software beats an imitation): shellcheck, jq,
 * openssl, python3, and Debian's cloud-init schema. `npm test` never installs them (no apt, no root):
 * on a developer's machine a test that needs a missing tool is skipped with a notice naming the
 * tool and the command that installs it; with CI=true (`.ci/run`, which runs
 * tools/ensure-tools.sh first) a missing tool fails the test instead, so CI never passes by
 * skipping.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./harness";

export type Tool = "shellcheck" | "jq" | "openssl" | "python3" | "cloud-init-schema";

/** Where tools/ensure-tools.sh unpacks Debian's cloud-init schema. */
export const CLOUD_INIT_SCHEMA = join(
  repoRoot,
  ".cache/cloud-init/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json",
);

const INSTALL = "install it with `sudo bash tools/ensure-tools.sh` (apt)";

const found = new Map<Tool, boolean>();
const noticed = new Set<Tool>();

/** Whether the tool can be used here (probed once per process). */
export function hasTool(tool: Tool): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok =
      tool === "cloud-init-schema"
        ? existsSync(CLOUD_INIT_SCHEMA)
        : !spawnSync(tool, [tool === "openssl" ? "version" : "--version"], { stdio: "ignore" }).error;
    found.set(tool, ok);
  }
  return ok;
}

/** True when CI requires every tool (CI=true, as `.ci/run` and GitHub Actions set). */
export function toolsRequired(): boolean {
  return process.env.CI === "true";
}

/**
 * For checks inside a larger test: true when the tool is usable. When it is not: throws under
 * CI=true; otherwise prints one notice per tool and returns false, and the caller skips only
 * the part that needs the tool.
 */
export function withTool(tool: Tool, what: string): boolean {
  if (hasTool(tool)) return true;
  if (toolsRequired()) throw new Error(`${tool} is required with CI=true (for ${what}) but missing: ${INSTALL}`);
  if (!noticed.has(tool)) {
    noticed.add(tool);
    process.stderr.write(`\n  NOTICE: ${tool} not found, skipping ${what}: ${INSTALL}; CI=true requires it\n`);
  }
  return false;
}

/**
 * For a whole test (or a `before` hook) that needs the tool: skips it with a notice when the
 * tool is missing (it shows as pending in mocha's report), fails under CI=true.
 */
export function needTool(ctx: Mocha.Context, tool: Tool, what: string): void {
  if (!withTool(tool, what)) ctx.skip();
}
