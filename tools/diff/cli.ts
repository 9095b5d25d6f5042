/**
 * `npm run plan -- --stack <s> --base <git-ref> [--markdown <file>] [--json <file>] [--quiet]`
 * (routed here by tools/plan/cli.ts). Plans the base ref and the working tree offline, prints
 * what changes, and writes the PR comment (--markdown) and the diff as data (--json).
 * Exit 0 when the diff was made (whatever it contains); 1 when either side cannot be planned.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { repoRoot } from "../plan/runtime";
import { diffAgainstRef, renderMarkdown, renderText } from "./index";
import { renderFailureMarkdown } from "./markdown";

/** The plan CLI's flags that matter to a diff (tools/plan/cli.ts reads them). */
export interface DiffCliArgs {
  stack: string;
  base: string;
  tenants?: string;
  json?: string;
  markdown?: string;
  quiet: boolean;
}

export async function runDiffCli(args: DiffCliArgs): Promise<number> {
  let result;
  try {
    result = await diffAgainstRef({
      root: repoRoot,
      base: args.base,
      stack: args.stack,
      tenants: args.tenants,
      // `npm run plan` has just built the working tree; the base is built in its own directory.
      buildHead: false,
    });
  } catch (err) {
    const e = err as Error;
    if (e.name === "DiffError") {
      // The PR still gets a comment: the error lines, under the same marker.
      if (args.markdown) {
        const path = resolve(args.markdown);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, renderFailureMarkdown(args.stack, args.base, e.message));
        process.stderr.write(`${e.message}\ndiff: failed; the error comment is written to ${path}\n`);
      } else process.stderr.write(`${e.message}\ndiff: nothing written\n`);
      return 1;
    }
    throw err;
  }
  const { diff, meta } = result;
  const write = (file: string, text: string) => {
    const path = resolve(file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  if (!args.quiet) process.stdout.write(renderText(diff, meta));
  if (args.markdown) process.stdout.write(`comment written to ${write(args.markdown, renderMarkdown(diff, meta))}\n`);
  if (args.json)
    process.stdout.write(`diff written to ${write(args.json, JSON.stringify({ meta, diff }, null, 2) + "\n")}\n`);
  const n = diff.counts;
  process.stdout.write(
    `${diff.stack}: ${n.create} to create, ${n.update} to update, ${n.replace} to replace, ${n.delete} to delete ` +
      `(${result.ms} ms)\n`,
  );
  return 0;
}
