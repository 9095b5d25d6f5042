/**
 * Reads and validates every tenant file before any resource is declared. Every problem in every
 * file is collected (YAML, schema, file name, ingest vs quota, then across files: duplicate names
 * and domains, the site's capacity) and thrown as one InputError, so one run shows everything a
 * reviewer must fix and a bad file never half-applies.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument } from "yaml";
import type { z } from "zod";
import type { StackConfig } from "../config/load";
import { formatPath, InputError, Problem, unknownKeyMessage } from "../config/errors";
import { BOUNDS, Tier } from "./presets";
import { describeBytes, describeCpu, formatBytes, formatCpu } from "./quantity";
import { platformHosts } from "./file-rules";
import { allowedKeys, TenantFile, tenantFileSchema } from "./schema";
import {
  EffectiveIngest,
  EffectiveQuota,
  effectiveIngest,
  effectiveQuota,
  ingestProblems,
  Resources,
  siteCapacity,
  Sizing,
  sizingFor,
} from "./sizing";

/** A validated tenant: the file's values with the tier preset applied. */
export interface TenantSpec {
  /** Namespace, ArgoCD project and application name; the stable key of every child. */
  name: string;
  displayName: string;
  tier: Tier;
  /** The file it came from, relative to the project root (or as given when the dir is absolute). */
  file: string;
  /** Effective quota: preset + overrides, canonical quantity text. */
  quota: EffectiveQuota;
  /** Effective ingest sizing (per worker), passed to the tenant's chart. */
  ingest: EffectiveIngest;
  /** Per-container LimitRange, derived from tier, quota and ingest. */
  container: Record<"defaultRequest" | "default" | "max", { cpu: string; memory: string }>;
  domains: string[];
  gitops: { repoURL: string; path: string; targetRevision: string };
  admins: string[];
  decommission: boolean;
}

/** Exact sizes behind a spec, for cross-tenant sums. */
interface Loaded {
  spec: TenantSpec;
  sizing: Sizing;
}

const fmtResources = (r: Resources) => ({ cpu: formatCpu(r.cpu), memory: formatBytes(r.memory) });

/** The path of the key or value at `offset` in a YAML document (for duplicate keys and bad tags). */
function pathAt(node: unknown, offset: number, path: (string | number)[] = []): (string | number)[] {
  const range = (n: unknown) => (n as Node | null)?.range;
  const within = (n: unknown) => {
    const r = range(n);
    return !!r && offset >= r[0] && offset < r[2];
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      // A pair spans from its key to the end of its value (a tag sits between the two).
      const start = range(pair.key)?.[0] ?? -1;
      const end = range(pair.value)?.[2] ?? range(pair.key)?.[2] ?? -1;
      if (offset < start || offset >= end) continue;
      return within(pair.value) ? pathAt(pair.value, offset, [...path, key]) : [...path, key];
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) if (within(item)) return pathAt(item, offset, [...path, i]);
  }
  return path;
}

/**
 * YAML text → a plain value. Strict: duplicate keys are errors (the last one would silently win),
 * one document per file, unknown tags rejected, aliases capped (an alias bomb expands a few
 * hundred bytes into gigabytes).
 */
export function parseTenantYaml(file: string, text: string): { value?: unknown; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true, lineCounter: lines });
  const problems: Problem[] = [];
  const at = (pos: number) => {
    const { line, col } = lines.linePos(pos);
    return `line ${line}, column ${col}`;
  };
  for (const e of doc.errors) {
    if (e.code === "DUPLICATE_KEY")
      problems.push({
        file,
        path: formatPath(pathAt(doc.contents, e.pos[0])),
        message: `duplicate key (${at(e.pos[0])}): YAML would silently keep only one value; remove one`,
      });
    else if (e.code === "MULTIPLE_DOCS")
      problems.push({ file, path: "", message: `more than one YAML document (${at(e.pos[0])}): one tenant per file` });
    else problems.push({ file, path: "", message: `YAML syntax error at ${at(e.pos[0])}: ${e.message}` });
  }
  for (const w of doc.warnings)
    problems.push({
      file,
      path: formatPath(pathAt(doc.contents, w.pos[0])),
      message: `${w.message} (${at(w.pos[0])}): tenant files use plain YAML values, no tags`,
    });
  if (problems.length) return { problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: BOUNDS.yamlAliases });
  } catch (e) {
    return {
      problems: [
        {
          file,
          path: "",
          message: `YAML aliases expand too much (${(e as Error).message}); tenant files need no anchors or aliases`,
        },
      ],
    };
  }
  if (value === null || value === undefined)
    return {
      problems: [
        { file, path: "", message: "empty file: a tenant is a mapping with name, displayName, tier and gitops" },
      ],
    };
  if (typeof value !== "object" || Array.isArray(value))
    return {
      problems: [
        {
          file,
          path: "",
          message: `must be a mapping (key: value lines), not ${Array.isArray(value) ? "a list" : `a ${typeof value}`}`,
        },
      ],
    };
  return { value, problems };
}

/** zod issue → message in the product's voice (the schema's own messages win where set). */
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.input === undefined && (iss.code === "invalid_type" || iss.code === "invalid_value")) return "required";
  switch (iss.code) {
    case "invalid_type":
      return `must be ${iss.expected === "int" ? "a whole number" : `a ${iss.expected}`}, not ${Array.isArray(iss.input) ? "a list" : iss.input === null ? "empty" : `a ${typeof iss.input}`}`;
    case "invalid_value":
      return `must be one of ${iss.values.map(String).join(", ")}`;
    case "too_small":
      return iss.origin === "array"
        ? `must list at least ${iss.minimum}`
        : iss.origin === "string"
          ? `must be at least ${iss.minimum} characters`
          : `must be at least ${iss.minimum}`;
    case "too_big":
      return iss.origin === "array"
        ? `must list at most ${iss.maximum}`
        : iss.origin === "string"
          ? `must be at most ${iss.maximum} characters`
          : `must be at most ${iss.maximum}`;
    default:
      return undefined;
  }
}

/**
 * One file's value → its spec and its problems. A file that passes the schema yields a spec even
 * with other problems (a wrong file name, an ingest that does not fit), so the checks across
 * files still see its name, domains and quota; any problem fails the run anyway. `fileName` is
 * the base name (`acme-tv.yaml`); `config` gives the platform's hosts.
 */
export function validateTenant(
  file: string,
  fileName: string,
  value: unknown,
  config: Pick<StackConfig, "platform">,
): { loaded?: Loaded; problems: Problem[] } {
  const problems: Problem[] = [];
  const parsed = tenantFileSchema.safeParse(value, { error: issueMessage });
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      if (iss.code === "unrecognized_keys") {
        const allowed = allowedKeys(iss.path);
        for (const key of iss.keys)
          problems.push({ file, path: formatPath([...iss.path, key]), message: unknownKeyMessage(key, allowed) });
      } else problems.push({ file, path: formatPath(iss.path), message: iss.message });
    }
    return { problems };
  }
  const t: TenantFile = parsed.data;
  if (fileName !== `${t.name}.yaml`)
    problems.push({
      file,
      path: "name",
      message: `"${t.name}" does not match the file name ${fileName}: rename the file to ${t.name}.yaml (one file per tenant, named after it)`,
    });
  const reserved = platformHosts(config.platform.baseDomain);
  const seen = new Set<string>();
  t.domains.forEach((d, i) => {
    if (seen.has(d)) problems.push({ file, path: `domains[${i}]`, message: `"${d}" is listed twice` });
    seen.add(d);
    if (reserved.includes(d))
      problems.push({ file, path: `domains[${i}]`, message: `"${d}" is the platform's own host; pick a tenant host` });
  });
  const groups = new Set<string>();
  t.admins.forEach((g, i) => {
    if (groups.has(g)) problems.push({ file, path: `admins[${i}]`, message: `"${g}" is listed twice` });
    groups.add(g);
  });
  const sizing = sizingFor(t.tier, { quota: t.quota, ingest: t.ingest });
  for (const p of ingestProblems(sizing)) problems.push({ file, ...p });

  const spec: TenantSpec = {
    name: t.name,
    displayName: t.displayName,
    tier: t.tier,
    file,
    quota: effectiveQuota(sizing),
    ingest: effectiveIngest(sizing),
    container: {
      defaultRequest: fmtResources(sizing.container.defaultRequest),
      default: fmtResources(sizing.container.default),
      max: fmtResources(sizing.container.max),
    },
    domains: t.domains,
    gitops: { repoURL: t.gitops.repoURL, path: t.gitops.path, targetRevision: t.gitops.targetRevision },
    admins: t.admins,
    decommission: t.decommission,
  };
  return { loaded: { spec, sizing }, problems };
}

/**
 * Rules across files: names and domains unique, and the sum of quotas within the site's worker
 * capacity × overcommit. `dirLabel` names the directory in the capacity problem.
 */
export function crossTenantProblems(
  loaded: Loaded[],
  config: Pick<StackConfig, "site" | "file">,
  dirLabel: string,
): Problem[] {
  const problems: Problem[] = [];
  const names = new Map<string, string>();
  const domains = new Map<string, string>();
  // Files named after their tenant claim first, so a duplicate is blamed on the misnamed copy.
  const named = (l: Loaded) => (basename(l.spec.file) === `${l.spec.name}.yaml` ? 0 : 1);
  for (const { spec } of [...loaded].sort((a, b) => named(a) - named(b))) {
    const other = names.get(spec.name);
    if (other)
      problems.push({ file: spec.file, path: "name", message: `"${spec.name}" is already the name in ${other}` });
    else names.set(spec.name, spec.file);
    spec.domains.forEach((d, i) => {
      const owner = domains.get(d);
      if (owner === spec.file) return; // listed twice in one file: reported with that file
      if (owner)
        problems.push({ file: spec.file, path: `domains[${i}]`, message: `"${d}" is already claimed by ${owner}` });
      else domains.set(d, spec.file);
    });
  }

  const cap = siteCapacity(config.site);
  const sum = loaded.reduce(
    (acc, { sizing }) => ({ cpu: acc.cpu + sizing.quota.cpu, memory: acc.memory + sizing.quota.memory }),
    { cpu: 0n, memory: 0n },
  );
  const top = (key: "cpu" | "memory", fmt: (v: bigint) => string) =>
    [...loaded]
      .sort((a, b) =>
        b.sizing.quota[key] > a.sizing.quota[key] ? 1 : b.sizing.quota[key] < a.sizing.quota[key] ? -1 : 0,
      )
      .slice(0, 3)
      .map((l) => `${l.spec.name} ${fmt(l.sizing.quota[key])}`)
      .join(", ");
  // Quotas are guaranteed by fixed workers and autoscaled minimums only; the nodes up to each
  // pool's max are named as headroom so the reader sees why they do not count.
  const burst =
    cap.headroom.cpu > 0n || cap.headroom.memory > 0n
      ? `; autoscaled nodes above their min add up to ${describeCpu(cap.headroom.cpu)} and ${describeBytes(cap.headroom.memory)} of headroom for bursts, not counted for quotas`
      : "";
  const site = `${cap.pools.join(" + ")} (minus per-node reserve) × overcommit ${cap.overcommit}${burst}`;
  const fix = `lower quotas, add workers (site.workerPools count or autoscale.min) or raise site.overcommit in ${config.file}`;
  if (sum.cpu > cap.cpu)
    problems.push({
      file: dirLabel,
      path: "quota.cpu",
      message: `the ${loaded.length} tenants' CPU quotas add up to ${describeCpu(sum.cpu)}, more than the site's ${describeCpu(cap.cpu)} (${site}); largest: ${top("cpu", formatCpu)}; ${fix}`,
    });
  if (sum.memory > cap.memory)
    problems.push({
      file: dirLabel,
      path: "quota.memory",
      message: `the ${loaded.length} tenants' memory quotas add up to ${describeBytes(sum.memory)}, more than the site's ${describeBytes(cap.memory)} (${site}); largest: ${top("memory", formatBytes)}; ${fix}`,
    });
  return problems;
}

/** One source file: its reported path, base name and text (tests feed these without a disk). */
export interface TenantSource {
  file: string;
  fileName: string;
  text: string;
}

/** Validates a set of sources (pure: tests call it without a disk). */
export function validateTenants(
  sources: TenantSource[],
  config: Pick<StackConfig, "site" | "platform" | "file">,
  dirLabel: string,
): { specs: TenantSpec[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const loaded: Loaded[] = [];
  for (const s of sources) {
    const y = parseTenantYaml(s.file, s.text);
    problems.push(...y.problems);
    if (y.problems.length) continue;
    const v = validateTenant(s.file, s.fileName, y.value, config);
    problems.push(...v.problems);
    if (v.loaded) loaded.push(v.loaded);
  }
  problems.push(...crossTenantProblems(loaded, config, dirLabel));
  return { specs: loaded.map((l) => l.spec), problems };
}

/**
 * Reads the tenant directory: every `*.yaml` is a tenant; a `.yml` (or `.json`) file is an error
 * rather than silently skipped; other files (README.md) and subdirectories are ignored.
 */
export function readTenantSources(dir: string, label: string): { sources: TenantSource[]; problems: Problem[] } {
  const abs = resolve(dir);
  let entries: string[];
  try {
    entries = readdirSync(abs).sort();
  } catch {
    return { sources: [], problems: [{ file: label, path: "", message: "no such directory of tenant files" }] };
  }
  const sources: TenantSource[] = [];
  const problems: Problem[] = [];
  for (const f of entries) {
    const file = join(label, f);
    const full = join(abs, f);
    if (f.startsWith(".")) continue;
    if (/\.(yml|json)$/i.test(f) || (/\.yaml$/i.test(f) && !f.endsWith(".yaml"))) {
      problems.push({
        file,
        path: "",
        message: `tenant files end in .yaml; rename it to ${basename(f).replace(/\.[^.]+$/, "")}.yaml`,
      });
      continue;
    }
    if (!f.endsWith(".yaml")) continue;
    const st = statSync(full);
    if (!st.isFile()) continue;
    if (st.size > BOUNDS.fileBytes) {
      problems.push({
        file,
        path: "",
        message: `file is ${st.size} bytes; a tenant file is at most ${BOUNDS.fileBytes / 1024} KiB (about 1 KiB is normal)`,
      });
      continue;
    }
    sources.push({ file, fileName: f, text: readFileSync(full, "utf8") });
  }
  return { sources, problems };
}

/**
 * Loads and validates every tenant file under config.tenantsDir. Throws one InputError listing
 * every problem as `<file>: <field path>: <message>` before any resource is declared.
 */
export function loadTenants(config: StackConfig): TenantSpec[] {
  // Relative directories resolve against the project root (the CLI's and the plan's cwd) and are
  // reported as written (`tenants/acme-tv.yaml`); an absolute one (`--tenants`) as given.
  const label = isAbsolute(config.tenantsDir) ? config.tenantsDir : config.tenantsDir.replace(/\/+$/, "");
  const read = readTenantSources(config.tenantsDir, label);
  const { specs, problems } = validateTenants(read.sources, config, label);
  const all = [...read.problems, ...problems];
  if (all.length) throw new InputError(all);
  return specs;
}
