/**
 * The tenants' Git repositories on this machine: one bare repository per tenant repoURL under
 * `<gitops state>/repos/<host>/<path>`, served by tools/argocd/gitserver.ts at the repoURL itself.
 * A tenant's chart directory (`--tenant-repos <dir>`: `<dir>/<tenant>/`) is committed at the
 * Application's `path` on its `targetRevision`. A repository outlives `down` and a site loss (Git
 * is not on the site); `pushChart` is how tests and the bench change what a tenant's Git holds.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TenantApp } from "./instance";

export interface TenantRepo {
  tenant: string;
  repoURL: string;
  host: string;
  /** The bare repository on disk. */
  bare: string;
  /** The chart's directory inside the repository ("." for the root). */
  path: string;
  /** The Application's targetRevision, and the branch commits go to (tags point into "main"). */
  revision: string;
  branch: string;
  tag?: string;
}

/** Why a tenant's repoURL cannot be served here, or undefined. */
export function unservable(repoURL: string): string | undefined {
  if (!repoURL.startsWith("https://")) return "only https:// repoURLs are served locally (ssh is not)";
  try {
    const u = new URL(repoURL);
    if (u.port && u.port !== "443") return "only the default HTTPS port is served";
    if (u.username || u.password || u.search || u.hash) return "credentials, queries and fragments are not served";
  } catch {
    return "not a URL";
  }
  return undefined;
}

const TAG_LIKE = /^v?\d+(\.\d+)*([-+][0-9A-Za-z.-]+)?$/;

/** Where and on which ref a tenant Application's repository lives here. */
export function tenantRepo(app: TenantApp, reposRoot: string): TenantRepo {
  const u = new URL(app.repoURL);
  const rev = app.targetRevision;
  const tag = TAG_LIKE.test(rev) ? rev : undefined;
  return {
    tenant: app.tenant,
    repoURL: app.repoURL,
    host: u.hostname,
    bare: join(reposRoot, u.hostname, decodeURIComponent(u.pathname)),
    path: app.path || ".",
    revision: rev,
    branch: rev === "HEAD" || tag ? "main" : rev,
    ...(tag ? { tag } : {}),
  };
}

/** Git with a fixed identity and no user or system configuration. */
export function git(args: string[], cwd: string): string {
  try {
    return execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: cwd,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_AUTHOR_NAME: "tenant",
        GIT_AUTHOR_EMAIL: "tenant@tenant.invalid",
        GIT_COMMITTER_NAME: "tenant",
        GIT_COMMITTER_EMAIL: "tenant@tenant.invalid",
      },
    });
  } catch (err) {
    const e = err as { stderr?: string; code?: string };
    if (e.code === "ENOENT") throw new Error("git is not installed (apt-get install git)");
    throw new Error(`git ${args.join(" ")}: ${String(e.stderr ?? err).trim()}`);
  }
}

/**
 * Commits `chartDir`'s content (dotfiles included) as the repository's `path` on its branch (and
 * moves its tag there), replacing what was there; returns the new commit.
 */
export function pushChart(repo: TenantRepo, chartDir: string, message: string): string {
  if (!existsSync(repo.bare)) {
    mkdirSync(repo.bare, { recursive: true });
    git(["init", "-q", "--bare", "-b", "main"], repo.bare);
  }
  const work = mkdtempSync(join(tmpdir(), "vp-tenant-repo-"));
  try {
    git(["clone", "-q", repo.bare, "."], work);
    const remoteHas = git(["ls-remote", "--heads", "origin", repo.branch], work).trim() !== "";
    git(["checkout", "-q", "-B", repo.branch, ...(remoteHas ? [`origin/${repo.branch}`] : [])], work);
    const target = join(work, repo.path);
    if (repo.path === ".") {
      for (const e of readdirSync(work)) if (e !== ".git") rmSync(join(work, e), { recursive: true, force: true });
    } else rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    cpSync(chartDir, target, { recursive: true, dereference: true });
    git(["add", "-A"], work);
    git(["commit", "-q", "--allow-empty", "-m", message], work);
    git(["push", "-q", "origin", `HEAD:refs/heads/${repo.branch}`], work);
    if (repo.tag) {
      git(["tag", "-f", repo.tag], work);
      git(["push", "-q", "-f", "origin", `refs/tags/${repo.tag}`], work);
    }
    return git(["rev-parse", "HEAD"], work).trim();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A `--tenant-repos` directory giving every tenant file of `tenantsDir` the same chart
 * (`<out>/<tenant>/`, a copy of `chartDir`): what test:gitops and the bench start from.
 */
export function sameChartForEveryTenant(tenantsDir: string, chartDir: string, out: string): string {
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(tenantsDir))
    if (/\.ya?ml$/.test(f)) cpSync(chartDir, join(out, f.replace(/\.ya?ml$/, "")), { recursive: true });
  return out;
}
