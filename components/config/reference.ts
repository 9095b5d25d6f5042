/**
 * The stack config's reference, made from the zod schema itself (components/config/schema.ts):
 * the JSON Schema editors check `Pulumi.<stack>.yaml` against (schemas/stack.schema.json), and
 * the key table in docs/configuration.md. `npm run schema:config` writes both; a test fails when
 * either differs from what the schema gives, so the docs cannot drift from the code.
 */
import { z } from "zod";
import { PROJECT, SECRETS, stackConfigSchema } from "./schema";

type Json = Record<string, unknown>;

/** The schema of the plain keys, as editors see a stack file (input side: defaults optional). */
function plainJsonSchema(): Json {
  return z.toJSONSchema(stackConfigSchema, { target: "draft-7", io: "input" }) as Json;
}

/** JSON Schema (draft-07) of a whole `Pulumi.<stack>.yaml`. */
export function stackJsonSchema(): Json {
  const plain = plainJsonSchema();
  const props = plain.properties as Record<string, Json>;
  const config: Record<string, Json> = {};
  for (const [k, v] of Object.entries(props)) config[`${PROJECT}:${k}`] = v;
  for (const [k, s] of Object.entries(SECRETS))
    config[`${PROJECT}:${k}`] = {
      description: `Secret: ${s.describe}. Set with \`pulumi config set --secret ${k} <value> --stack <stack>\`.`,
      type: "object",
      properties: { secure: { type: "string", minLength: 1 } },
      required: ["secure"],
      additionalProperties: false,
    };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "video-platform stack file",
    description:
      "Pulumi.<stack>.yaml of the video-platform project. Generated from components/config/schema.ts by `npm run schema:config`; reference: docs/configuration.md.",
    type: "object",
    properties: {
      config: {
        type: "object",
        properties: config,
        required: ["site", "k3s", "platform"].map((k) => `${PROJECT}:${k}`),
        // Other namespaces (providers: hcloud:, kubernetes:) are theirs; any other key of this
        // project's namespace is a typo, and unprefixed keys are written prefixed here.
        patternProperties: { [`^(?!${PROJECT}:)[A-Za-z0-9_.-]+:`]: {} },
        additionalProperties: false,
      },
      secretsprovider: { type: "string" },
      encryptedkey: { type: "string" },
      encryptionsalt: { type: "string" },
      environment: {},
    },
    required: ["config"],
    additionalProperties: false,
  };
}

const show = (v: unknown) => (v === undefined ? "" : `\`${JSON.stringify(v)}\``);

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return "string";
  if (s.type === "array") {
    const items = (s.items ?? {}) as Json;
    return `${typeOf(items)}[]`;
  }
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object")
    return `map of ${typeOf(s.additionalProperties as Json)}`;
  return String(s.type ?? "any");
}

function allowed(s: Json): string {
  const parts: string[] = [];
  if (Array.isArray(s.enum)) parts.push((s.enum as unknown[]).map((v) => String(v)).join(", "));
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? ""}–${s.maximum ?? ""}`);
  if (s.minItems !== undefined) parts.push(`at least ${String(s.minItems)}`);
  if (s.format) parts.push(String(s.format));
  return parts.join("; ");
}

/**
 * Prose for a Markdown table cell: `|` escaped, and `<` `>` outside code spans as entities, so a
 * placeholder such as `<region>` shows as text instead of being taken for an HTML tag and hidden.
 */
export function markdownText(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;")))
    .join("")
    .replace(/\|/g, "\\|");
}

/** One row per key, depth first, in schema order: `[key, type, default, allowed, example, meaning]`. */
export function referenceRows(): string[][] {
  const rows: string[][] = [];
  const walk = (s: Json, path: string, required: boolean) => {
    const desc = String(s.description ?? "");
    const ex = Array.isArray(s.examples) ? s.examples[0] : undefined;
    const obj = s.type === "object" && s.properties ? (s.properties as Record<string, Json>) : undefined;
    const items = s.type === "array" ? (s.items as Json) : undefined;
    rows.push([
      `\`${path}\``,
      obj ? "object" : typeOf(s),
      s.default !== undefined ? show(s.default) : required ? "required" : "optional",
      allowed(s),
      show(ex),
      markdownText(desc),
    ]);
    if (obj) {
      const req = new Set((s.required as string[]) ?? []);
      for (const [k, v] of Object.entries(obj)) walk(v, `${path}.${k}`, req.has(k));
    } else if (items?.type === "object" && items.properties) {
      const req = new Set((items.required as string[]) ?? []);
      for (const [k, v] of Object.entries(items.properties as Record<string, Json>))
        walk(v, `${path}[].${k}`, req.has(k));
    }
  };
  const plain = plainJsonSchema();
  const req = new Set((plain.required as string[]) ?? []);
  for (const [k, v] of Object.entries(plain.properties as Record<string, Json>)) walk(v, `${PROJECT}:${k}`, req.has(k));
  for (const [k, s] of Object.entries(SECRETS))
    rows.push([
      `\`${PROJECT}:${k}\``,
      "secret string",
      s.required ? "required" : "optional",
      "",
      "",
      `${s.describe} (\`pulumi config set --secret ${k} <value>\`)`,
    ]);
  return rows;
}

/** The generated part of docs/configuration.md: the key table. */
export function configReferenceMarkdown(): string {
  const head = ["Key", "Type", "Default", "Allowed", "Example", "Meaning"];
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...referenceRows().map((r) => `| ${r.join(" | ")} |`),
  ];
  return lines.join("\n") + "\n";
}

/** Markers around the generated table in docs/configuration.md. */
export const REFERENCE_BEGIN = "<!-- BEGIN GENERATED: npm run schema:config -->";
export const REFERENCE_END = "<!-- END GENERATED -->";
