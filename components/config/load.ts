import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { autoscaleProblems } from "../site/autoscale";
import { CLUSTER_AUTOSCALER_IMAGES, kubernetesMinor } from "../versions";
import { siteProblems } from "../site/nodes";
import { InputError, Problem, zodProblems } from "./errors";
import {
  cidrOverlaps,
  K3sConfig,
  k3sSchema,
  PlatformConfig,
  platformSchema,
  PLAIN_KEYS,
  PROJECT,
  SECRET_KEYS,
  SECRETS,
  SecretKey,
  SiteConfig,
  siteSchema,
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

const stackConfigSchema = z.strictObject({
  protected: z.boolean().default(false),
  site: siteSchema,
  k3s: k3sSchema,
  platform: platformSchema,
  tenantsDir: z.string().min(1).default("tenants"),
});

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
function crossChecks(c: z.infer<typeof stackConfigSchema>, stack: string, file: string): Problem[] {
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
  for (const p of [...siteProblems(stack, c.site), ...autoscaleProblems(stack, c.site)])
    problems.push({ file, path: p.path ? key(p.path) : "", message: p.message });
  return problems;
}

/**
 * Reads and validates the stack's configuration. Throws one InputError listing every problem as
 * `Pulumi.<stack>.yaml: <key path>: <what is wrong>`, before any resource is declared.
 */
export function loadStackConfig(): StackConfig {
  const stack = pulumi.getStack();
  const file = `Pulumi.${stack}.yaml`;
  const all = pulumi.runtime.allConfig();
  const problems: Problem[] = [];
  const prefix = `${PROJECT}:`;
  const known = new Set<string>([...PLAIN_KEYS, "tenantsDir", ...SECRET_KEYS]);

  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue; // provider namespaces (hcloud:, kubernetes:) are theirs
    const k = fullKey.slice(prefix.length);
    if (!known.has(k)) {
      problems.push({ file, path: fullKey, message: `unknown key; known keys are ${[...known].join(", ")}` });
      continue;
    }
    if ((SECRET_KEYS as string[]).includes(k)) {
      if (!isConfigSecret(fullKey))
        problems.push({
          file,
          path: fullKey,
          message: `must be a secret, not plain text: run \`pulumi config set --secret ${k} <value> --stack ${stack}\` and remove the plain value`,
        });
      continue;
    }
    raw[k] = decode(value);
  }

  const parsed = stackConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const p of zodProblems(file, parsed.error)) {
      // zod paths start with the config key: render as `video-platform:site.location`.
      problems.push({ ...p, path: `${prefix}${p.path}` });
    }
  } else {
    problems.push(...crossChecks(parsed.data, stack, file));
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

  if (problems.length || !parsed.success) throw new InputError(problems);
  return { stack, file, secrets, ...parsed.data };
}
