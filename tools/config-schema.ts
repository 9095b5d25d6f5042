/**
 * `npm run schema:config`: writes schemas/stack.schema.json and the key table in
 * docs/configuration.md from the stack config's zod schema (components/config/reference.ts).
 * Run it after changing components/config/schema.ts; test/config.test.ts fails until you do.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  configReferenceMarkdown,
  REFERENCE_BEGIN,
  REFERENCE_END,
  stackJsonSchema,
} from "../components/config/reference";
import { repoRoot } from "./plan/runtime";

export const STACK_SCHEMA_FILE = "schemas/stack.schema.json";
export const CONFIG_DOC_FILE = "docs/configuration.md";

async function format(text: string, file: string, parser: string): Promise<string> {
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(join(repoRoot, file))) ?? {};
  return prettier.format(text, { ...options, parser });
}

/** The schema file as committed (prettier-formatted JSON). */
export function renderStackSchema(): Promise<string> {
  return format(JSON.stringify(stackJsonSchema()), STACK_SCHEMA_FILE, "json");
}

/** docs/configuration.md with its generated table replaced by the current one (prettier-formatted). */
export function renderConfigDoc(current: string): Promise<string> {
  const a = current.indexOf(REFERENCE_BEGIN);
  const b = current.indexOf(REFERENCE_END);
  if (a < 0 || b < a)
    throw new Error(`${CONFIG_DOC_FILE}: the ${REFERENCE_BEGIN} … ${REFERENCE_END} markers are missing`);
  const text = `${current.slice(0, a + REFERENCE_BEGIN.length)}\n\n${configReferenceMarkdown()}\n${current.slice(b)}`;
  return format(text, CONFIG_DOC_FILE, "markdown");
}

async function main(): Promise<number> {
  const schemaPath = join(repoRoot, STACK_SCHEMA_FILE);
  const docPath = join(repoRoot, CONFIG_DOC_FILE);
  writeFileSync(schemaPath, await renderStackSchema());
  writeFileSync(docPath, await renderConfigDoc(readFileSync(docPath, "utf8")));
  process.stdout.write(`wrote ${STACK_SCHEMA_FILE} and the key table in ${CONFIG_DOC_FILE}\n`);
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
