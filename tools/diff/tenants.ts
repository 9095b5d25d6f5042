/**
 * What a reviewer approves when a pull request adds or changes a tenant: each tenant's effective
 * spec read from the two plans (the `tenants` stack output, the tenant's Argo CD Application and
 * admin RoleBinding), old → new for changed fields, and the site's remaining capacity after the
 * change. Also the values of changed non-secret stack outputs. Pure, from plans and the stack's
 * validated config, so it adds nothing to diffPlans.
 */
import type { Plan } from "../plan/runtime";
import { siteCapacity } from "../../components/tenant/sizing";
import { describeCpu, formatBytes, parseBytes, parseCpu } from "../../components/tenant/quantity";
import type { SiteConfig } from "../../components/config/schema";

/** The fields of a tenant a reviewer checks, as display strings. */
export type TenantView = Record<
  "tier" | "quota" | "ingest" | "domains" | "admins" | "repo" | "path" | "revision" | "decommission",
  string
>;

export interface TenantReview {
  added: { name: string; spec: TenantView }[];
  changed: { name: string; fields: { field: keyof TenantView; before: string; after: string }[] }[];
  removed: string[];
  /**
   * Removed tenants still protected by the base (a protected stack, and the file did not say
   * `decommission: true`): deleting them fails, runbook 05 is the way.
   */
  protected: string[];
  /** Requests against the site's capacity after the change (the capacity check's numbers). */
  capacity?: {
    cpu: { used: string; total: string; left: string };
    memory: { used: string; total: string; left: string };
  };
  /** Changed stack outputs that are not secret, with their values. */
  outputs: { key: string; before: unknown; after: unknown }[];
}

const SECRET = "[secret]";

/**
 * A CPU quantity as the review shows every CPU figure: in cores (`6 cores`, `1.5 cores`), never
 * a mix of bare numbers and millicores; text that is no quantity is shown as it is.
 */
function cores(v: unknown): string {
  const c = parseCpu(String(v));
  return c.ok ? describeCpu(c.value) : String(v);
}
const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Each tenant's view in a plan, keyed by name. */
export function tenantViews(p: Plan): Map<string, TenantView> {
  const out = new Map<string, TenantView>();
  const tenants = rec(rec(p.outputs).tenants);
  for (const [name, raw] of Object.entries(tenants)) {
    const t = rec(raw);
    const q = rec(t.quota);
    const app = p.resources.find((r) => r.name === `${name}-app` && r.type.endsWith(":Application"));
    const binding = p.resources.find((r) => r.name === `${name}-admin-binding` && r.type.endsWith(":RoleBinding"));
    const source = rec(rec(rec(app?.inputs).spec).source);
    const ingest = rec(rec(rec(source.helm).valuesObject).ingest);
    const req = rec(rec(ingest.resources).requests);
    const subjects = Array.isArray(rec(binding?.inputs).subjects) ? (rec(binding?.inputs).subjects as unknown[]) : [];
    out.set(name, {
      tier: String(t.tier ?? ""),
      quota: `cpu ${cores(q.cpu)}, memory ${String(q.memory)}, storage ${String(q.storage)}, pods ${String(q.pods)}, services ${String(q.services)}, PVCs ${String(q.persistentVolumeClaims)}`,
      ingest:
        ingest.workers !== undefined ? `${String(ingest.workers)} × (${cores(req.cpu)}, ${String(req.memory)})` : "",
      domains: (Array.isArray(t.domains) ? (t.domains as string[]) : []).join(", ") || "(none)",
      admins:
        subjects
          .map((s) => String(rec(s).name))
          .filter(Boolean)
          .join(", ") || "(none)",
      repo: String(source.repoURL ?? ""),
      path: String(source.path ?? ""),
      revision: String(source.targetRevision ?? ""),
      decommission: String(t.decommission ?? false),
    });
  }
  return out;
}

/** The review of tenants and outputs between two plans; `site` (head's config) adds capacity. */
export function tenantReview(base: Plan, head: Plan, site?: SiteConfig): TenantReview {
  const b = tenantViews(base);
  const h = tenantViews(head);
  const review: TenantReview = { added: [], changed: [], removed: [], protected: [], outputs: [] };
  for (const [name, spec] of h) {
    const old = b.get(name);
    if (!old) review.added.push({ name, spec });
    else {
      const fields = (Object.keys(spec) as (keyof TenantView)[])
        .filter((k) => spec[k] !== old[k])
        .map((field) => ({ field, before: old[field], after: spec[field] }));
      if (fields.length) review.changed.push({ name, fields });
    }
  }
  review.removed = [...b.keys()].filter((n) => !h.has(n)).sort();
  review.protected = review.removed.filter((n) =>
    base.resources.some((r) => r.name === `${n}-ns` && r.type === "kubernetes:core/v1:Namespace" && r.options.protect),
  );
  if (site) {
    const cap = siteCapacity(site);
    let cpu = 0n;
    let memory = 0n;
    for (const raw of Object.values(rec(rec(head.outputs).tenants))) {
      const q = rec(rec(raw).quota);
      const c = parseCpu(String(q.cpu));
      const m = parseBytes(String(q.memory));
      if (c.ok) cpu += c.value;
      if (m.ok) memory += m.value;
    }
    review.capacity = {
      cpu: { used: describeCpu(cpu), total: describeCpu(cap.cpu), left: describeCpu(cap.cpu - cpu) },
      memory: { used: formatBytes(memory), total: formatBytes(cap.memory), left: formatBytes(cap.memory - memory) },
    };
  }
  const bo = rec(base.outputs);
  const ho = rec(head.outputs);
  for (const key of [...new Set([...Object.keys(bo), ...Object.keys(ho)])].sort()) {
    const [x, y] = [bo[key], ho[key]];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (JSON.stringify(x ?? "").includes(SECRET) || JSON.stringify(y ?? "").includes(SECRET)) continue;
    if (key === "tenants") continue; // shown per tenant above
    review.outputs.push({ key, before: x, after: y });
  }
  return review;
}
