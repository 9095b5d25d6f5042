/**
 * Planning a git ref offline: the ref's files are extracted into a temporary directory with
 * `git archive` (read-only for the repository: no worktree, index or ref is touched), its code
 * is built there, and its own plan CLI runs as a child process. The base therefore plans with
 * the base's program AND the base's plan tool, exactly as a checkout of that commit would.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Plan } from "../plan/runtime";

export class DiffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DiffError";
  }
}

function git(root: string, args: string[]): string {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new DiffError(`git ${args.join(" ")}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/** The commit a ref names, or a DiffError naming the ref. */
export function resolveRef(root: string, ref: string): string {
  if (ref.startsWith("-")) throw new DiffError(`--base: "${ref}" is not a git ref`);
  try {
    return git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new DiffError(`--base: "${ref}" is not a commit in ${root} (fetch it first, e.g. git fetch origin ${ref})`);
  }
}

/** A fresh random key for the plans' secret digests; shared by the two plans of one diff. */
export function newDigestKey(): string {
  return randomBytes(32).toString("hex");
}

/** Extracts `commit` into a new temporary directory that shares the working tree's node_modules. */
export function extractCommit(root: string, commit: string): string {
  const dir = mkdtempSync(join(tmpdir(), "vp-base-"));
  const archive = spawnSync("git", ["archive", "--format=tar", commit], { cwd: root, maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new DiffError(`git archive ${commit}: ${archive.stderr.toString().trim()}`);
  const tar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (tar.status !== 0) throw new DiffError(`tar -x: ${tar.stderr.toString().trim()}`);
  // The base is planned with the working tree's dependencies: installing the base's lockfile
  // would need the network and minutes. When the lockfiles differ the diff says so.
  if (existsSync(join(root, "node_modules")) && !existsSync(join(dir, "node_modules")))
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

export interface ChildPlanOptions {
  /** Project directory to plan (a checkout or an extracted ref). */
  dir: string;
  stack: string;
  /** Tenants directory, relative to the project (the same relative path is used for both sides). */
  tenants?: string;
  /** Secret digest key (hex) shared by both plans of a diff. */
  digestKey: string;
  /** Run `node tools/build.mjs` first (an extracted ref has no build/). */
  build: boolean;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * Plans a project directory in a child process with that directory's own code. A stack that
 * does not exist there yet (a PR adding a site) plans as empty; any other failure is an error
 * carrying the child's output (e.g. the base's config was already invalid).
 */
export async function planInChild(o: ChildPlanOptions): Promise<Plan | null> {
  if (!existsSync(join(o.dir, `Pulumi.${o.stack}.yaml`))) return null;
  // Guardrails are off in the child plans: a base commit is what it is, and the head's violations
  // are reported by `npm run plan` / CI, not by the diff.
  const env = { ...process.env, VP_PLAN_DIGEST_KEY: o.digestKey, VP_PLAN_GUARDRAILS: "off" };
  if (o.build) {
    const b = await run(process.execPath, ["tools/build.mjs"], o.dir, env);
    if (b.code !== 0) throw new DiffError(`build failed in ${o.dir}:\n${b.out.trim()}`);
  }
  const cli = join(o.dir, "build", "tools", "plan", "cli.js");
  if (!existsSync(cli)) throw new DiffError(`${o.dir} has no offline plan tool (build/tools/plan/cli.js)`);
  const outDir = mkdtempSync(join(tmpdir(), "vp-plan-"));
  try {
    const json = join(outDir, "plan.json");
    const args = [cli, "--stack", o.stack, "--json", json, "--quiet"];
    if (o.tenants) {
      if (isAbsolute(o.tenants)) throw new DiffError("--tenants must be relative to the project when diffing");
      args.push("--tenants", o.tenants);
    }
    const r = await run(process.execPath, args, o.dir, env);
    if (r.code !== 0) throw new DiffError(`plan of ${o.stack} failed in ${o.dir}:\n${r.out.trim()}`);
    return JSON.parse(readFileSync(json, "utf8")) as Plan;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Whether the dependency lockfile differs between the commit and the working tree. */
export function lockfileDiffers(root: string, dir: string): boolean {
  const read = (d: string) =>
    existsSync(join(d, "package-lock.json")) ? readFileSync(join(d, "package-lock.json")) : null;
  const a = read(root);
  const b = read(dir);
  return !(a && b && a.equals(b));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
