// Transpile-only build (esbuild) of every TypeScript file into build/, keeping the layout.
// The plan, the tests and the bench run precompiled JavaScript: the measurements show
// ts-node at about 3x the cost, and type-checking is a separate step (`npm run typecheck`).
import { build } from "esbuild";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const roots = ["index.ts", "components", "tools", "test", "test-cluster", "test-engine", "test-gitops", "policy"];
const skip = new Set(["node_modules", "build", "fixtures"]);

function collect(path, out) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return out;
  }
  if (st.isDirectory()) {
    for (const entry of readdirSync(path)) if (!skip.has(entry)) collect(join(path, entry), out);
  } else if (path.endsWith(".ts") && !path.endsWith(".d.ts")) {
    out.push(path);
  }
  return out;
}

const entryPoints = roots.flatMap((r) => collect(join(root, r), []));
await build({
  entryPoints,
  outdir: join(root, "build"),
  outbase: root,
  format: "cjs",
  platform: "node",
  target: "node20",
  sourcemap: "inline",
  logLevel: "warning",
});
if (process.env.VP_BUILD_VERBOSE)
  console.log(`built ${entryPoints.length} files: ${entryPoints.map((e) => relative(root, e)).join(", ")}`);

// Remove outputs whose source is gone (a deleted test must not keep running). No wholesale
// `rm -rf build`: several processes (a test run, a plan) may be reading build/ at once.
function stale(dir) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) stale(p);
    else if (p.endsWith(".js")) {
      const src = join(root, relative(join(root, "build"), p)).replace(/\.js$/, ".ts");
      if (!existsSync(src)) rmSync(p, { force: true });
    }
  }
}
stale(join(root, "build"));
