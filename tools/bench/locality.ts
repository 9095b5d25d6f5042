/**
 * Change locality (issue 9, item 4), measured with the offline diff (tools/diff): a small change
 * must touch only what it is about. Three changes against one base plan (prod with a few generated
 * tenants, the worker pools sized for one more tenant so the base and every head share them):
 *   - adding one tenant file        → creates only that tenant's resources, and updates in place
 *     the one object every tenant shares by design: the tenant Argo CD's cluster Secret, which
 *     lists the namespaces it may manage (components/platform/argocd-tenants.ts; Argo CD keys
 *     clusters by server URL, so that list cannot be split per tenant);
 *   - raising a worker pool by one  → creates only the new server's resources;
 *   - changing one tenant's quota   → updates exactly one resource (its ResourceQuota).
 * Used by the bench (printed) and test/locality.test.ts (asserted).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diffPlans, newDigestKey, type PlanDiff } from "../diff";
import { plan, readStackConfig, type Plan } from "../plan/runtime";
import { generateTenants, scaledStackConfig, syntheticTenant, tenantYaml } from "./generate";

export interface LocalityCase {
  /** What was changed. */
  change: string;
  /** The diff's counts (components included, as the engine counts them). */
  counts: PlanDiff["counts"];
  created: string[];
  updated: string[];
  replaced: string[];
  deleted: string[];
  /** The resources the change is about (URNs); everything else must stay the same. */
  expected: string[];
  /** Shared resources the change must update in place, and nothing else about them (URNs). */
  sharedUpdates: string[];
  /** True when exactly the expected resources changed, in the expected way. */
  local: boolean;
}

const TENANT_TYPE = "platform:tenant:Tenant";

function subtree(p: Plan, rootUrn: string): string[] {
  const out = [rootUrn];
  for (let i = 0; i < out.length; i++) for (const r of p.resources) if (r.parent === out[i]) out.push(r.urn);
  return out;
}

/** The tenant Argo CD's cluster Secret: the one shared object adding or removing a tenant updates. */
export const TENANT_SCOPE_SECRET = "argocd-tenant-scope-cluster";

/** Whether a diff touched exactly `expected`, each with `action`, plus `shared` updated in place. */
export function judge(
  change: string,
  d: PlanDiff,
  expected: string[],
  action: "create" | "update",
  shared: string[] = [],
): LocalityCase {
  const of = (a: string) => d.resources.filter((r) => r.action === a).map((r) => r.urn);
  const c: LocalityCase = {
    change,
    counts: d.counts,
    created: of("create"),
    updated: of("update"),
    replaced: of("replace"),
    deleted: of("delete"),
    expected,
    sharedUpdates: shared,
    local: false,
  };
  const touched = d.resources.map((r) => r.urn).sort();
  c.local =
    expected.length > 0 &&
    JSON.stringify(touched) === JSON.stringify([...expected, ...shared].sort()) &&
    d.resources.every((r) => r.action === (shared.includes(r.urn) ? "update" : action));
  return c;
}

/** Plans the base and the three changed trees and diffs each against the base. */
export async function localityCases(opts: { stack?: string; tenants?: number } = {}): Promise<LocalityCase[]> {
  const stack = opts.stack ?? "prod";
  const n = opts.tenants ?? 6;
  const work = mkdtempSync(join(tmpdir(), "vp-locality-"));
  try {
    const baseDir = join(work, "base");
    const tenants = generateTenants(n, baseDir);
    const extra = syntheticTenant(n + 1);
    // Pools sized for n+1 tenants in every plan: only the change under test differs.
    const cfg = scaledStackConfig(readStackConfig(stack), [...tenants, extra]).stackConfig;
    const key = newDigestKey();
    const planOf = (tenantsDir: string, stackConfig = cfg) =>
      plan({ stack, tenantsDir, stackConfig, secretDigestKey: key });

    const base = await planOf(baseDir);

    // 1. One more tenant.
    const plusDir = join(work, "plus");
    cpSync(baseDir, plusDir, { recursive: true });
    writeFileSync(join(plusDir, `${extra.name}.yaml`), tenantYaml(extra));
    const plus = await planOf(plusDir);
    const newTenant = plus.resources.find((r) => r.type === TENANT_TYPE && r.name === extra.name);
    const scope = plus.resources.filter((r) => r.name === TENANT_SCOPE_SECRET).map((r) => r.urn);
    const c1 = judge(
      "adding one tenant",
      diffPlans(base, plus),
      newTenant ? subtree(plus, newTenant.urn) : [],
      "create",
      scope,
    );

    // 2. One more worker in the first pool.
    const bigger = JSON.parse(JSON.stringify(cfg)) as Record<string, { workerPools: { count: number }[] }>;
    bigger[`video-platform:site`].workerPools[0].count += 1;
    const grown = await planOf(baseDir, bigger);
    const baseUrns = new Set(base.resources.map((r) => r.urn));
    const newServers = grown.resources.filter((r) => r.type === "hcloud:index/server:Server" && !baseUrns.has(r.urn));
    // The new server and what exists only for it (its own IP, attachments): named after it.
    const newResources = grown.resources.filter(
      (r) => !baseUrns.has(r.urn) && newServers.some((s) => r.name === s.name || r.name.startsWith(`${s.name}-`)),
    );
    const c2 = judge(
      "raising a worker pool by one",
      diffPlans(base, grown),
      newResources.map((r) => r.urn),
      "create",
    );

    // 3. One tenant's pod quota raised.
    const quotaDir = join(work, "quota");
    cpSync(baseDir, quotaDir, { recursive: true });
    const t = tenants[0];
    writeFileSync(
      join(quotaDir, `${t.name}.yaml`),
      tenantYaml({ ...t, quota: { ...t.quota, pods: t.quota.pods + 5 } }),
    );
    const changed = await planOf(quotaDir);
    // The tenant's budget (its tenant-live quota, scoped to the class, is another ResourceQuota).
    const quota = changed.resources.find(
      (r) => r.type === "kubernetes:core/v1:ResourceQuota" && r.name === `${t.name}-quota`,
    );
    const c3 = judge(
      "changing one tenant's quota (pods)",
      diffPlans(base, changed),
      quota ? [quota.urn] : [],
      "update",
    );
    return [c1, c2, c3];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One line per case, for the bench. */
export function renderLocality(cases: LocalityCase[]): string {
  return cases
    .map((c) => {
      const counts = `${c.created.length} created, ${c.updated.length} updated, ${c.replaced.length} replaced, ${c.deleted.length} deleted`;
      const shared = c.sharedUpdates.length
        ? `; shared, updated in place: ${c.sharedUpdates.map((u) => u.split("::").pop()).join(", ")}`
        : "";
      return `  ${c.local ? "LOCAL " : "SPREAD"}  ${c.change} → ${counts} (expected ${c.expected.length}: ${c.expected
        .map((u) => u.split("::").pop())
        .join(", ")}${shared})`;
    })
    .join("\n");
}
