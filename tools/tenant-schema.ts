/**
 * `npm run schema:tenant`: writes schemas/tenant.schema.json from the tenant zod schema, the one
 * definition behind both the loader and editors' checks. A test fails when the committed file
 * differs from what this generates; run this after changing components/tenant/schema.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tenantJsonSchema } from "../components/tenant/schema";
import { repoRoot } from "./plan/runtime";

export const TENANT_SCHEMA_FILE = "schemas/tenant.schema.json";

/** The schema as committed: JSON formatted by the project's prettier settings. */
export async function renderTenantSchema(): Promise<string> {
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(join(repoRoot, TENANT_SCHEMA_FILE))) ?? {};
  return prettier.format(JSON.stringify(tenantJsonSchema()), { ...options, parser: "json" });
}

async function main(): Promise<number> {
  const path = join(repoRoot, TENANT_SCHEMA_FILE);
  const text = await renderTenantSchema();
  let old = "";
  try {
    old = readFileSync(path, "utf8");
  } catch {
    // first generation
  }
  if (old === text) {
    process.stdout.write(`${TENANT_SCHEMA_FILE} is up to date\n`);
    return 0;
  }
  writeFileSync(path, text);
  process.stdout.write(`wrote ${TENANT_SCHEMA_FILE}\n`);
  return 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
