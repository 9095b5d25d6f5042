/**
 * Preload that runs the plan CLI on a broken program, to see the guardrails fail it:
 *
 *   VP_GUARDRAIL_BREAKS=SITE-FW-001 node -r ./build/test/helpers/break-preload.js \
 *     build/tools/plan/cli.js --stack prod --tenants test/fixtures/tenants/sample
 *
 * (`all`, or rule ids separated by commas; see breaks.ts.) It replaces the cached export of
 * build/index.js with the same program plus the breaks' stack transformation; the CLI itself is
 * unchanged. Test-only: nothing in the program or the CLI loads it.
 */
import { join } from "node:path";
import { repoRoot } from "../../tools/plan/runtime";
import { brokenProgram, selectBreaks } from "./breaks";

const program = join(repoRoot, "build", "index.js");
// Loaded once here so the CLI's later require() finds it in the cache, then swapped.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const real = require(program) as () => Promise<unknown>;
const cached = require.cache[require.resolve(program)];
if (!cached) throw new Error(`break-preload: ${program} did not load`);
cached.exports = brokenProgram(selectBreaks(process.env.VP_GUARDRAIL_BREAKS ?? "all"), real);
