/**
 * Tenants: one file under tenants/ per customer → one platform:tenant:Tenant component.
 *   schema.ts    the file contract (zod; also published as schemas/tenant.schema.json)
 *   load.ts      reading and validating every file, all problems in one InputError
 *   presets.ts   tier presets and bounds, with the reasoning for their numbers
 *   quantity.ts  the Kubernetes quantity grammar, exactly
 *   sizing.ts    quota math: presets + overrides, ingest fit, site capacity
 *   file-rules.ts  rules for tenant-file values (the object rules with ids: components/rules)
 *   contract.ts  what every tenant is made of: labels, PSS level, guardrail kinds, quota keys
 *   manifests.ts the Kubernetes objects as pure functions
 *   gitops.ts    what the tenant-facing Argo CD may do in a tenant namespace (its role and binding)
 *   tenant.ts    the component
 */
export { loadTenants, readTenantSources, validateTenants } from "./load";
export type { TenantSpec, TenantSource } from "./load";
export { Tenant } from "./tenant";
export type { TenantArgs } from "./tenant";
export type { EffectiveIngest, EffectiveQuota } from "./sizing";
export { PRESETS, TIERS } from "./presets";
export type { Tier } from "./presets";
