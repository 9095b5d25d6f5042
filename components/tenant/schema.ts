/**
 * The tenant file contract (`tenants/<name>.yaml`), as one zod schema. The same schema validates
 * files at plan/preview time and is published as JSON Schema (schemas/tenant.schema.json, made by
 * tools/tenant-schema.ts) so editors autocomplete and check tenant files. Keep it representable
 * in JSON Schema: shapes, patterns and bounds here; rules that need code go through superRefine
 * (editors skip them, the loader does not).
 */
import { z } from "zod";
import { keysAt } from "../config/errors";
import { PLATFORM_ARGOCD_PROJECT, PLATFORM_NAMESPACES } from "../platform/namespaces";
import { BOUNDS, PRESETS, TIERS } from "./presets";
import { describeBytes, parseBytes, parseCpu, QUANTITY_PATTERN } from "./quantity";
import {
  adminGroupProblem,
  displayNameProblem,
  domainProblem,
  PlatformNames,
  repoPathProblem,
  repoUrlProblem,
  revisionProblem,
  TENANT_NAME,
  tenantNameProblem,
} from "./file-rules";

/** Adds `problem(value)`'s message, if any, as the field's one issue. */
function rule<T>(problem: (v: T) => string | undefined) {
  return (v: T, ctx: z.RefinementCtx) => {
    const message = problem(v);
    if (message) ctx.addIssue({ code: "custom", message });
  };
}

type Bound = { min: string; max: string };

/** A quantity within bounds; below the minimum with no unit is almost always a missing unit. */
export function quantityProblem(kind: "cpu" | "bytes", v: string | number, b: Bound): string | undefined {
  const parse = kind === "cpu" ? parseCpu : parseBytes;
  const p = parse(v);
  if (!p.ok) return p.message;
  const min = (parse(b.min) as { value: bigint }).value;
  const max = (parse(b.max) as { value: bigint }).value;
  const text = String(v);
  if (p.value < min) {
    if (kind === "bytes" && /^[\d.]+$/.test(text))
      return `"${text}" is ${text} bytes; sizes need a unit, like "${text}Gi" (minimum ${b.min})`;
    return `"${text}" is below the minimum ${b.min}`;
  }
  if (p.value > max)
    return `"${text}" is above the maximum ${b.max}${kind === "bytes" ? ` (${describeBytes(max)})` : " cores"}: an extra zero or a wrong unit?`;
  return undefined;
}

function quantity(kind: "cpu" | "bytes", b: Bound, description: string, examples: string[]) {
  return z
    .union([z.string(), z.number()], {
      error: `must be a Kubernetes quantity like ${examples.map((e) => `"${e}"`).join(" or ")}`,
    })
    .superRefine(rule((v: string | number) => quantityProblem(kind, v, b)))
    .meta({ description, examples, pattern: QUANTITY_PATTERN.source });
}

/** Names the platform takes: its namespaces, its ArgoCD project, and that project's prefix (its apps). */
export const PLATFORM_NAMES: PlatformNames = {
  names: [...Object.values(PLATFORM_NAMESPACES), PLATFORM_ARGOCD_PROJECT],
  prefixes: [`${PLATFORM_ARGOCD_PROJECT}-`],
};

export const tenantFileSchema = z
  .strictObject({
    name: z
      .string()
      .superRefine(rule((n: string) => tenantNameProblem(n, PLATFORM_NAMES)))
      .meta({
        description:
          "Tenant name: its namespace and ArgoCD project. A DNS-1123 label, 2–40 characters, equal to the file name without .yaml.",
        pattern: TENANT_NAME.pattern,
        minLength: TENANT_NAME.min,
        maxLength: TENANT_NAME.max,
      }),
    displayName: z
      .string()
      .superRefine(rule(displayNameProblem))
      .meta({ description: "Customer name shown to people, 1–100 characters.", minLength: 1, maxLength: 100 }),
    tier: z.enum(TIERS).meta({
      description: `Quota preset: ${TIERS.map((t) => `${t} (${PRESETS[t].describe})`).join("; ")}.`,
    }),
    quota: z
      .strictObject({
        cpu: quantity("cpu", BOUNDS.quota.cpu, "CPU requests for the namespace, in cores or millicores.", [
          "8",
          "500m",
        ]).optional(),
        memory: quantity("bytes", BOUNDS.quota.memory, "Memory requests (and limits) for the namespace.", [
          "16Gi",
        ]).optional(),
        storage: quantity("bytes", BOUNDS.quota.storage, "Total persistent volume storage requests.", [
          "500Gi",
        ]).optional(),
        pods: z
          .int()
          .min(BOUNDS.quota.pods.min)
          .max(BOUNDS.quota.pods.max)
          .optional()
          .meta({ description: "Maximum number of pods." }),
      })
      .optional()
      .meta({ description: "Overrides of the tier's quota, field by field." }),
    ingest: z
      .strictObject({
        workers: z
          .int()
          .min(BOUNDS.ingest.workers.min)
          .max(BOUNDS.ingest.workers.max)
          .optional()
          .meta({ description: "Number of ingest workers (the video engine's replicas), 0–50." }),
        cpu: quantity("cpu", BOUNDS.ingest.cpu, "CPU per ingest worker.", ["4", "1500m"]).optional(),
        memory: quantity("bytes", BOUNDS.ingest.memory, "Memory per ingest worker.", ["8Gi"]).optional(),
      })
      .optional()
      .meta({
        description:
          "Ingest sizing passed to the tenant's chart as Helm values; defaults to the tier's. workers × cpu/memory must fit the quota.",
      }),
    domains: z
      .array(z.string().superRefine(rule(domainProblem)).meta({ description: "A host name, no wildcard." }))
      .max(BOUNDS.domains)
      .default([])
      .meta({ description: "Lowercase host names the tenant serves; each may belong to one tenant only." }),
    gitops: z
      .strictObject({
        repoURL: z.string().superRefine(rule(repoUrlProblem)).meta({
          description: "The tenant's apps repository: https:// or ssh (git@host:org/repo.git), no credentials.",
        }),
        path: z
          .string()
          .superRefine(rule(repoPathProblem))
          .meta({ description: "Directory of the tenant's Helm chart inside the repository (relative, no ..)." }),
        targetRevision: z
          .string()
          .superRefine(rule(revisionProblem))
          .default("main")
          .meta({ description: "Branch, tag or commit to sync." }),
      })
      .meta({ description: "Where the tenant's video apps live; ArgoCD keeps the namespace equal to it." }),
    admins: z
      .array(z.string().superRefine(rule(adminGroupProblem)))
      .max(BOUNDS.admins)
      .default([])
      .meta({
        description:
          "Identity-provider groups given the platform's tenant-admin ClusterRole inside the tenant's namespace only (a RoleBinding there; never system:*).",
      }),
    decommission: z.boolean().default(false).meta({
      description:
        "Step one of removal: lifts `protect` on protected stacks so the next change may delete the file (see README).",
    }),
  })
  .meta({
    title: "video-platform tenant",
    description: "One customer of the video platform: tenants/<name>.yaml. Unknown keys are errors.",
  });

export type TenantFile = z.infer<typeof tenantFileSchema>;

/** The JSON Schema editors use (draft-07: what yaml-language-server understands best). */
export function tenantJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(tenantFileSchema, { target: "draft-7", io: "input" }) as Record<string, unknown>;
}

/** Keys allowed at a path of the file (for "unknown key" messages with a suggestion). */
export function allowedKeys(path: ReadonlyArray<PropertyKey>): string[] {
  return keysAt(tenantFileSchema, path);
}
