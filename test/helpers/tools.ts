/**
 * System tools some tests run against (real software beats an imitation): shellcheck, jq,
 * openssl, python3, nft and Debian's cloud-init schema. `npm test` never installs them (no apt, no
 * root): on a developer's machine a test that needs a missing tool is skipped with one notice naming the
 * tool and the command that installs it; with CI=true (`.ci/run`, which runs
 * tools/ensure-tools.sh first) a missing tool fails the test instead, so CI never passes by
 * skipping. A tool that needs privileges runs unprivileged where it can: `nft -c` needs a netlink
 * socket root may open, so as any other user it runs inside `unshare -rn` (a user namespace in
 * which the user is root, with a network namespace of its own: nothing is loaded anywhere).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./harness";

export type Tool = "shellcheck" | "jq" | "openssl" | "python3" | "nft" | "cloud-init-schema";

/** Where tools/ensure-tools.sh unpacks Debian's cloud-init schema. */
export const CLOUD_INIT_SCHEMA = join(
  repoRoot,
  ".cache/cloud-init/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json",
);

/** The command that installs each tool on Debian (tools/ensure-tools.sh installs them all). */
const INSTALL: Record<Tool, string> = {
  shellcheck: "sudo apt-get install shellcheck",
  jq: "sudo apt-get install jq",
  openssl: "sudo apt-get install openssl",
  python3: "sudo apt-get install python3",
  nft: "sudo apt-get install nftables",
  "cloud-init-schema": "sudo bash tools/ensure-tools.sh",
};

const problems = new Map<Tool, string | undefined>();
const noticed = new Set<Tool>();
let nft: string[] | undefined;

/** An empty table: what `nft -c` must accept wherever it can check rules at all. */
const NFT_PROBE = "table inet vp_probe {\n}\n";

/** The argv that runs `nft -c` here (plain, or in a user namespace), or why none does. */
function nftRunner(): { argv?: string[]; problem?: string } {
  // /usr/sbin is not on every user's PATH.
  const bin = ["nft", "/usr/sbin/nft"].find((b) => !spawnSync(b, ["--version"], { stdio: "ignore" }).error);
  if (!bin) return { problem: "not found" };
  const probe = (argv: string[]) =>
    spawnSync(argv[0], [...argv.slice(1), "-c", "-f", "-"], { input: NFT_PROBE, encoding: "utf8" });
  if (probe([bin]).status === 0) return { argv: [bin] };
  const userns = probe(["unshare", "-rn", bin]);
  if (userns.status === 0) return { argv: ["unshare", "-rn", bin] };
  const why = (userns.error?.message ?? userns.stderr).trim().split("\n")[0];
  return {
    problem: `cannot check rules as this user, not even in a user namespace (\`unshare -rn nft -c\`: ${why}); run as root or allow unprivileged user namespaces`,
  };
}

/** Why the tool cannot be used here (probed once per process), or undefined when it can. */
function problemOf(tool: Tool): string | undefined {
  if (problems.has(tool)) return problems.get(tool);
  let problem: string | undefined;
  if (tool === "cloud-init-schema") problem = existsSync(CLOUD_INIT_SCHEMA) ? undefined : "not found";
  else if (tool === "nft") ({ argv: nft, problem } = nftRunner());
  else
    problem = spawnSync(tool, [tool === "openssl" ? "version" : "--version"], { stdio: "ignore" }).error
      ? "not found"
      : undefined;
  problems.set(tool, problem);
  return problem;
}

/** Whether the tool can be used here (probed once per process). */
export function hasTool(tool: Tool): boolean {
  return problemOf(tool) === undefined;
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
  const problem = problemOf(tool);
  if (problem === undefined) return true;
  const fix = problem === "not found" ? `install it with \`${INSTALL[tool]}\`` : "";
  if (toolsRequired())
    throw new Error(`${tool} is required with CI=true (for ${what}) but ${problem}${fix ? `: ${fix}` : ""}`);
  if (!noticed.has(tool)) {
    noticed.add(tool);
    process.stderr.write(
      `\n  NOTICE: ${tool} ${problem}, skipping ${what}${fix ? `: ${fix}` : ""}; CI=true requires it\n`,
    );
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

/** `nft -c -f <file>` the way it runs here (plain as root, else in a user namespace); needs hasTool("nft"). */
export function nftCheck(file: string): SpawnSyncReturns<string> {
  if (problemOf("nft") !== undefined || !nft) throw new Error("nftCheck: nft is not usable here (needTool first)");
  return spawnSync(nft[0], [...nft.slice(1), "-c", "-f", file], { encoding: "utf8" });
}
