import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { autoscaleProblems } from "../site/autoscale";
import { CLUSTER_AUTOSCALER_IMAGES, k3sSupportProblem, kubernetesMinor } from "../versions";
import { siteProblems } from "../site/nodes";
import { formatPath, InputError, keysAt, Problem, unknownKeyMessage } from "./errors";
import {
  cidrOverlaps,
  K3sConfig,
  PlatformConfig,
  PLAIN_KEYS,
  PROJECT,
  SECRET_KEYS,
  SECRETS,
  SecretKey,
  SiteConfig,
  stackConfigSchema,
} from "./schema";

/** The whole validated stack configuration: read once, here, and passed down as plain values. */
export interface StackConfig {
  /** Stack name (staging, prod, ...). */
  stack: string;
  /** The stack file problems are reported against. */
  file: string;
  /** Protected stacks (prod) `protect` stateful resources and tenant namespaces. */
  protected: boolean;
  site: SiteConfig;
  k3s: K3sConfig;
  platform: PlatformConfig;
  /** Secret config values, always as secret Outputs. */
  secrets: Record<SecretKey, pulumi.Output<string>>;
  /** Directory of tenant files, relative to the project root. */
  tenantsDir: string;
}

/**
 * Whether the CLI handed this key over as a secret. The SDK's check is internal (not in its
 * typings) but it is exactly what the CLI's PULUMI_CONFIG_SECRET_KEYS feeds; without it we
 * cannot tell a plain-text secret from an encrypted one, so we skip that one check.
 */
function isConfigSecret(key: string): boolean {
  const check = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  return check ? check(key) : true;
}

/** Decodes a raw runtime config string the way `pulumi config` stores it (objects as JSON). */
function decode(raw: string): unknown {
  const t = raw.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Cross-field rules zod's per-field schema cannot see. */
function crossChecks(c: PlainStackConfig, stack: string, file: string): Problem[] {
  const problems: Problem[] = [];
  const key = (p: string) => `${PROJECT}:${p}`;
  const seen = new Set<string>();
  c.site.workerPools.forEach((pool, i) => {
    if (seen.has(pool.name))
      problems.push({
        file,
        path: key(`site.workerPools[${i}].name`),
        message: `duplicate pool name "${pool.name}": pool names key the servers`,
      });
    seen.add(pool.name);
  });
  if (c.site.workerPools.reduce((n, p) => n + p.count, 0) < 1)
    problems.push({
      file,
      path: key("site.workerPools"),
      message: "at least one worker is required: tenants never run on control planes",
    });
  for (const [name, range] of [
    ["k3s.clusterCidr", c.k3s.clusterCidr],
    ["k3s.serviceCidr", c.k3s.serviceCidr],
  ] as const) {
    if (cidrOverlaps(c.site.networkCidr, range))
      problems.push({
        file,
        path: key(name),
        message: `${range} overlaps site.networkCidr ${c.site.networkCidr}; pick disjoint ranges`,
      });
  }
  if (cidrOverlaps(c.k3s.clusterCidr, c.k3s.serviceCidr))
    problems.push({ file, path: key("k3s.serviceCidr"), message: `overlaps k3s.clusterCidr ${c.k3s.clusterCidr}` });
  // The site's own rules (address plan, pool names, node labels) belong to components/site but
  // are checked here, at the edge, so a bad site config fails before any resource is declared.
  if (c.site.workerPools.some((p) => p.autoscale) && !CLUSTER_AUTOSCALER_IMAGES[kubernetesMinor(c.k3s.version)])
    problems.push({
      file,
      path: key("k3s.version"),
      message: `the cluster-autoscaler has no pinned release for Kubernetes ${kubernetesMinor(c.k3s.version)} (components/versions.ts CLUSTER_AUTOSCALER_IMAGES lists ${Object.keys(CLUSTER_AUTOSCALER_IMAGES).join(", ")}): add the matching cluster-autoscaler release there, or use a listed k3s minor`,
    });
  const k3sProblem = k3sSupportProblem(c.k3s.version);
  if (k3sProblem) problems.push({ file, path: key("k3s.version"), message: k3sProblem });
  for (const p of [...siteProblems(stack, c.site), ...autoscaleProblems(stack, c.site)])
    problems.push({ file, path: p.path ? key(p.path) : "", message: p.message });
  return problems;
}

/** A unit hint for numeric keys whose name or meaning carries a unit. */
function unitHint(path: ReadonlyArray<PropertyKey>): string {
  const leaf = String(path[path.length - 1] ?? "");
  if (/Minutes$/.test(leaf)) return " (a plain number of minutes, like 10)";
  if (/Seconds$/.test(leaf)) return " (a plain number of seconds, like 600)";
  if (leaf === "overcommit") return " (a factor, like 1.5)";
  if (leaf === "retention") return " (a number of snapshots, like 28)";
  if (leaf === "count") return " (a number of servers)";
  return "";
}

/** One zod issue as the problem a person can act on: did-you-mean for keys, units for numbers. */
function configProblems(file: string, error: z.ZodError): Problem[] {
  const prefix = `${PROJECT}:`;
  const out: Problem[] = [];
  for (const iss of error.issues) {
    if (iss.code === "unrecognized_keys") {
      const allowed = keysAt(stackConfigSchema, iss.path);
      for (const key of iss.keys)
        out.push({ file, path: prefix + formatPath([...iss.path, key]), message: unknownKeyMessage(key, allowed) });
      continue;
    }
    let message = iss.message;
    if (
      iss.code === "too_big" ||
      iss.code === "too_small" ||
      (iss.code === "invalid_type" && iss.expected === "number")
    )
      message += unitHint(iss.path);
    out.push({ file, path: prefix + formatPath(iss.path), message });
  }
  return out;
}

/** The validated plain (non-secret) part of a stack's config. */
export type PlainStackConfig = z.infer<typeof stackConfigSchema>;

/**
 * Validates a stack's plain config: the one place the schema, the cross-field checks and the
 * key rules run, for the program (loadStackConfig) and for everything that judges a stack from
 * its file (the guardrails' site context, the policy pack). `raw` is the `config:` mapping as
 * written (`video-platform:site` or, as Pulumi also accepts, unprefixed `site`; values decoded
 * or as the CLI's strings). Other namespaces (hcloud:, kubernetes:) are theirs and skipped;
 * secret keys are skipped here (loadStackConfig checks them).
 */
export function validateStackConfig(
  stack: string,
  raw: Record<string, unknown>,
): { config?: PlainStackConfig; problems: Problem[] } {
  const file = `Pulumi.${stack}.yaml`;
  const problems: Problem[] = [];
  const prefix = `${PROJECT}:`;
  const known = [...PLAIN_KEYS, ...SECRET_KEYS] as string[];
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const fullKey = key.includes(":") ? key : `${prefix}${key}`;
    if (!fullKey.startsWith(prefix)) continue; // provider namespaces are theirs
    const k = fullKey.slice(prefix.length);
    if (!known.includes(k)) {
      problems.push({ file, path: fullKey, message: unknownKeyMessage(k, known) });
      continue;
    }
    if ((SECRET_KEYS as string[]).includes(k)) continue;
    plain[k] = typeof value === "string" ? decode(value) : value;
  }
  const parsed = stackConfigSchema.safeParse(plain);
  if (!parsed.success) return { problems: [...problems, ...configProblems(file, parsed.error)] };
  problems.push(...crossChecks(parsed.data, stack, file));
  return { config: parsed.data, problems };
}

/**
 * Reads and validates the stack's configuration. Throws one InputError listing every problem as
 * `Pulumi.<stack>.yaml: <key path>: <what is wrong>`, before any resource is declared.
 */
export function loadStackConfig(): StackConfig {
  const stack = pulumi.getStack();
  const file = `Pulumi.${stack}.yaml`;
  const all = pulumi.runtime.allConfig();
  const prefix = `${PROJECT}:`;
  const { config, problems } = validateStackConfig(stack, all);

  for (const [fullKey] of Object.entries(all)) {
    const k = fullKey.startsWith(prefix) ? fullKey.slice(prefix.length) : "";
    if ((SECRET_KEYS as string[]).includes(k) && !isConfigSecret(fullKey))
      problems.push({
        file,
        path: fullKey,
        message: `must be a secret, not plain text: run \`pulumi config set --secret ${k} <value> --stack ${stack}\` and remove the plain value`,
      });
  }

  const cfg = new pulumi.Config(PROJECT);
  const secrets = {} as Record<SecretKey, pulumi.Output<string>>;
  for (const k of SECRET_KEYS) {
    const v = cfg.getSecret(k);
    if (v === undefined) {
      if (SECRETS[k].required)
        problems.push({
          file,
          path: `${prefix}${k}`,
          message: `missing secret (${SECRETS[k].describe}); set it with \`pulumi config set --secret ${k} <value> --stack ${stack}\``,
        });
      continue;
    }
    secrets[k] = v;
  }

  if (problems.length || !config) throw new InputError(problems);
  return { stack, file, secrets, ...config };
}
