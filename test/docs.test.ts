/**
 * The docs an operator copies commands from (README.md, docs/**): every `pulumi preview` or
 * `pulumi up` they tell someone to run carries the guardrails, i.e. goes through
 * `npm run preview|up -- --stack <s>` (tools/cli/pulumi-run.ts adds them) or passes
 * `--policy-pack policy` itself (issue 24). A command is any such invocation in a code block, and
 * any in the prose or an inline code span that has arguments; the bare name (`pulumi up`, the
 * concept) is prose. Markdown style itself is checked by markdownlint-cli2 (`npm run lint:md`).
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { markdownText } from "../components/config/reference";
import { repoRoot } from "./helpers/harness";

/** README.md and every Markdown file under docs/. */
function markdownFiles(dir = join(repoRoot, "docs"), out = [join(repoRoot, "README.md")]): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) markdownFiles(p, out);
    else if (e.endsWith(".md")) out.push(p);
  }
  return out;
}

/** One `pulumi preview|up` invocation: the words after the command, up to a shell separator or the span's end. */
const INVOCATION = /\bpulumi\s+(preview|up)\b((?:[ \t]+(?:"[^"]*"|'[^']*'|[^\s`|;&)]+))*)/g;

/** `file:line: text` for every invocation that lacks the guardrails. */
function unguarded(file: string, text: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  text.split("\n").forEach((line, i) => {
    const marker = /^\s*(```|~~~)/.exec(line)?.[1];
    if (marker && (!fence || fence === marker)) {
      fence = fence ? undefined : marker;
      return;
    }
    for (const m of line.matchAll(INVOCATION)) {
      const args = m[2].trim();
      // In a code block every invocation is a command; in prose only one with arguments is.
      if (!fence && !args) continue;
      if (!/(^|\s)--policy-pack[ =]policy(\s|$)/.test(args))
        out.push(`${relative(repoRoot, file)}:${i + 1}: ${m[0].trim()}`);
    }
  });
  return out;
}

describe("docs: hand-run previews and updates carry the guardrails", () => {
  it("no `pulumi preview|up` command in README.md or docs/ without --policy-pack policy (use npm run preview|up)", () => {
    const files = markdownFiles();
    assert.ok(files.length > 20, "README and the docs are read");
    assert.deepEqual(
      files.flatMap((f) => unguarded(f, readFileSync(f, "utf8"))),
      [],
      "run `npm run preview -- --stack <s>` / `npm run up -- --stack <s>` instead (tools/cli/pulumi-run.ts)",
    );
  });

  it("the check finds what an operator would copy, in blocks and in prose, and lets the guarded forms and the bare name pass", () => {
    const doc = [
      "Run `pulumi up --stack prod` by hand, or `npm run up -- --stack prod`.",
      "The first `pulumi up` converges; run `pulumi preview --policy-pack policy --stack prod`.",
      "then run pulumi preview --diff --stack staging here",
      "```sh",
      'pulumi preview --stack "$STACK" --diff',
      '    PULUMI_K8S_UPSERT_EXISTING_OBJECTS=true pulumi up --stack "$STACK"',
      "pulumi up",
      "pulumi up --stack prod --policy-pack=policy",
      "pulumi preview --policy-pack other --stack prod",
      'npm run preview -- --stack "$STACK" --replace "$URN"',
      "pulumi stack output tenants --json | jq .",
      "```",
    ].join("\n");
    assert.deepEqual(unguarded(join(repoRoot, "x.md"), doc), [
      "x.md:1: pulumi up --stack prod",
      "x.md:3: pulumi preview --diff --stack staging here",
      'x.md:5: pulumi preview --stack "$STACK" --diff',
      'x.md:6: pulumi up --stack "$STACK"',
      "x.md:7: pulumi up",
      "x.md:9: pulumi preview --policy-pack other --stack prod",
    ]);
  });
});

describe("docs: generated tables", () => {
  it("a placeholder in a description shows as text, not as an HTML tag Markdown would hide", () => {
    assert.equal(markdownText("argocd.<baseDomain>"), "argocd.&lt;baseDomain&gt;");
    assert.equal(markdownText("a | b, `x <y>` stays code"), "a \\| b, `x <y>` stays code");
    const doc = readFileSync(join(repoRoot, "docs", "configuration.md"), "utf8");
    assert.ok(
      doc.includes("argocd.&lt;baseDomain&gt;"),
      "docs/configuration.md is regenerated (npm run schema:config)",
    );
  });
});
