/**
 * Tenant input rules as small named functions and data, kept apart from the schema and the
 * component: one tenant-file value → a message, or undefined when fine.
 *
 * The object rules (what the Kubernetes objects a tenant gets must satisfy, each with an id) moved
 * to components/rules/tenant-objects.ts, the one rule set the plan, the policy pack and the tests share.
 */

// ---------------------------------------------------------------------------------------------
// Input rules

/** Names Kubernetes or ArgoCD own; a tenant namespace or ArgoCD project must not take them. */
export const RESERVED_NAMES: readonly string[] = [
  "default", // Kubernetes' default namespace and ArgoCD's default project
  "argocd",
];
export const RESERVED_PREFIXES: readonly string[] = ["kube-"];

export const TENANT_NAME = { min: 2, max: 40, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" } as const;

/** What the platform itself takes: its namespaces, its ArgoCD project and that project's prefix. */
export interface PlatformNames {
  names: readonly string[];
  prefixes: readonly string[];
}

/**
 * DNS-1123 label of 2–40 characters (derived names such as `<name>-stream-key` stay within 63),
 * not reserved by Kubernetes, ArgoCD or the platform.
 */
export function tenantNameProblem(
  name: string,
  platform: PlatformNames = { names: [], prefixes: [] },
): string | undefined {
  if (name.length < TENANT_NAME.min || name.length > TENANT_NAME.max)
    return `must be ${TENANT_NAME.min}–${TENANT_NAME.max} characters (it is ${name.length}): derived names must stay within 63`;
  if (!new RegExp(TENANT_NAME.pattern).test(name))
    return `"${name}" is not a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit`;
  if (RESERVED_NAMES.includes(name) || platform.names.includes(name))
    return `"${name}" is reserved: the platform or Kubernetes uses it; pick another name`;
  const prefix = [...RESERVED_PREFIXES, ...platform.prefixes].find((p) => name.startsWith(p));
  if (prefix)
    return `"${name}" is reserved: names starting with "${prefix}" belong to ${prefix === "kube-" ? "Kubernetes" : "the platform"}`;
  return undefined;
}

/** Printable text without control characters (it ends up in annotations and dashboards). */
export function displayNameProblem(s: string): string | undefined {
  if (s.trim().length === 0) return "must not be empty";
  if (s.length > 100) return `must be at most 100 characters (it is ${s.length})`;
  if (/[\u0000-\u001f\u007f]/.test(s)) return "must be one line of printable text";
  return undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A lowercase, fully qualified host name; no wildcards (each host is listed, and certified, explicitly). */
export function domainProblem(d: string): string | undefined {
  if (d.includes("*")) return `"${d}": wildcards are not allowed; list each host the tenant serves`;
  if (d !== d.toLowerCase()) return `"${d}" must be lowercase`;
  if (d.length > 253) return `is ${d.length} characters; a DNS name is at most 253`;
  const labels = d.split(".");
  if (labels.length < 2 || !labels.every((l) => DNS_LABEL.test(l)))
    return `"${d}" is not a DNS name like live.example.com (labels of a-z, 0-9 and '-', at most 63 each)`;
  if (!/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(labels[labels.length - 1]))
    return `"${d}" does not end in a top-level domain`;
  return undefined;
}

/** Hosts the platform itself serves under its base domain; a tenant must not claim them. */
export function platformHosts(baseDomain: string): string[] {
  return [baseDomain, `argocd.${baseDomain}`];
}

/**
 * Where a tenant's apps come from: https:// without credentials, query or fragment, or ssh
 * (`git@host:path`, `ssh://git@host[:port]/path`). Plain http is readable and forgeable on the
 * way; file:// reads the ArgoCD repo server's own disk; credentials in a URL end up in Git, in
 * state and in ArgoCD's UI (repository credentials belong in ArgoCD's repo secrets).
 */
export function repoUrlProblem(url: string): string | undefined {
  if (/\s/.test(url)) return "must not contain whitespace";
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === "https") {
    const m = /^https:\/\/([^/?#]*)(\/[^?#]*)?([?#].*)?$/.exec(url);
    if (!m) return "is not a valid https URL";
    const [, authority, path, rest] = m;
    if (authority.includes("@"))
      return "must not embed credentials (user:token@); give ArgoCD repository credentials instead";
    if (rest) return "must not have a query or fragment (they can carry tokens); use the plain repository URL";
    if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(authority)) return `"${authority}" is not a host name`;
    if (!path || path === "/") return "must name a repository path, like https://git.example.com/org/repo.git";
    return undefined;
  }
  if (scheme === "ssh") {
    const m = /^ssh:\/\/([a-z_][a-z0-9_.-]*)@([a-z0-9.-]+)(:\d{1,5})?\/\S+$/i.exec(url);
    if (!m) {
      if (/^ssh:\/\/[^@/]*:[^@/]*@/.test(url)) return "must not embed a password; ssh uses keys";
      return "must be like ssh://git@host[:port]/org/repo.git";
    }
    return undefined;
  }
  if (scheme === "http")
    return "plain http is not allowed: anyone on the path could read or forge the repo; use https://";
  if (scheme) return `scheme ${scheme}:// is not allowed; use https:// or ssh (git@host:org/repo.git)`;
  // scp-like ssh: user@host:path (no scheme).
  if (/^[a-z_][a-z0-9_.-]*@[a-z0-9.-]+:[^/\s]\S*$/i.test(url)) {
    if (/^[^@]*:[^@]*@/.test(url)) return "must not embed a password; ssh uses keys";
    return undefined;
  }
  return "must be an https:// URL or an ssh URL like git@host:org/repo.git";
}

/** A path inside the repository: relative, no `..`, no backslashes (Windows-style escapes). */
export function repoPathProblem(p: string): string | undefined {
  if (p.length === 0) return "must not be empty (use . for the repository root)";
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return `"${p}" is absolute; give a path inside the repository`;
  if (p.includes("\\")) return `"${p}" contains a backslash; use / between directories`;
  if (p.split("/").includes("..")) return `"${p}" escapes the repository with ..`;
  if (/[\u0000-\u001f\u007f]/.test(p) || p.startsWith("~")) return `"${p}" is not a plain relative path`;
  return undefined;
}

/** A branch, tag or commit: git ref characters only (no `..`, no leading '-', no spaces). */
export function revisionProblem(r: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(r) || r.includes("..") || r.endsWith(".lock") || r.length > 200)
    return `"${r}" is not a branch, tag or commit name`;
  return undefined;
}

/**
 * An identity-provider group bound to the tenant's admin Role. `system:` groups are Kubernetes'
 * own (system:masters is cluster-admin; system:authenticated is everyone): binding one would
 * hand the tenant's namespace to every user, or the reverse.
 */
export function adminGroupProblem(g: string): string | undefined {
  if (g.trim().length === 0 || /\s/.test(g)) return `"${g}" is not a group name (no whitespace)`;
  if (g.length > 128) return `is ${g.length} characters; group names are at most 128`;
  if (g.toLowerCase().startsWith("system:"))
    return `"${g}" is a Kubernetes system group (system:authenticated is every user, system:masters is cluster-admin); bind the customer's own groups`;
  if (g.includes("*")) return `"${g}": wildcards are not allowed`;
  return undefined;
}
