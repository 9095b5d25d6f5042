/**
 * `npm run argocd:gomod`: regenerates tools/argocd/go.mod (requirement and replace block) from
 * argo-cd's own go.mod at the platform's Argo CD pin, and tools/argocd/helm/go.mod at the Helm
 * version that release ships, then `go mod tidy` in both (tools/argocd/gomod.ts says why).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CRD_SOURCES } from "../../components/versions";
import { moduleDir } from "../cluster/crds";
import { repoRoot } from "../plan/runtime";
import { ARGOCD_MODULE, helmModuleOf, helmVersionOf, renderArgocdGoMod, renderHelmGoMod } from "./gomod";

export const ARGOCD_DIR = join(repoRoot, "tools", "argocd");
/** argo-cd v3.6's go.mod says `go 1.27.0`: the toolchain Go fetches for it (BRIEF: go1.27.3). */
export const GOTOOLCHAIN = process.env.VP_GOTOOLCHAIN ?? "go1.27.3";

/** The platform's Argo CD version: the one pin the chart, the CRDs and this build share. */
export function pinnedArgocdVersion(): string {
  const s = CRD_SOURCES.argocd;
  if (s.module !== ARGOCD_MODULE)
    throw new Error(`CRD_SOURCES.argocd.module is ${s.module}, expected ${ARGOCD_MODULE}`);
  return s.version;
}

if (require.main === module) {
  const version = pinnedArgocdVersion();
  const dir = moduleDir(ARGOCD_MODULE, version);
  const argoGoMod = readFileSync(join(dir, "go.mod"), "utf8");
  const helm = helmVersionOf(readFileSync(join(dir, "hack", "tool-versions.sh"), "utf8"));
  writeFileSync(join(ARGOCD_DIR, "go.mod"), renderArgocdGoMod(argoGoMod, version));
  // Helm's own go line: the wrapper asks for no newer Go than Helm does.
  const helmGoLine = /^go (\S+)$/m.exec(readFileSync(join(moduleDir(helmModuleOf(helm), helm), "go.mod"), "utf8"))?.[1];
  writeFileSync(join(ARGOCD_DIR, "helm", "go.mod"), renderHelmGoMod(helm, helmGoLine ?? "1.26.0"));
  const env = { ...process.env, GOTOOLCHAIN, GOFLAGS: "-mod=mod" };
  for (const d of [ARGOCD_DIR, join(ARGOCD_DIR, "helm")])
    execFileSync("go", ["mod", "tidy"], { cwd: d, stdio: "inherit", env });
  process.stdout.write(`tools/argocd/go.mod: argo-cd ${version}; tools/argocd/helm/go.mod: helm ${helm}\n`);
}
