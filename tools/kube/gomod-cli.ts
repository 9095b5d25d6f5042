/**
 * `npm run kube:gomod`: regenerates tools/kube/go.mod's replace block from the real
 * k8s.io/kubernetes go.mod at the Kubernetes version of the stacks' k3s, then `go mod tidy`.
 * Both stacks must pin the same k3s (one Kubernetes for the local control plane).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readStackConfig, repoRoot } from "../plan/runtime";
import { kubernetesVersionOf, renderWrapperGoMod } from "./gomod";

export const KUBE_DIR = join(repoRoot, "tools", "kube");

/** The Kubernetes version of the stacks' k3s pin (every Pulumi.<stack>.yaml must agree). */
export function pinnedKubernetesVersion(stacks = ["staging", "prod"]): string {
  const versions = new Set(
    stacks.map((s) =>
      kubernetesVersionOf(String((readStackConfig(s)["video-platform:k3s"] as { version?: string })?.version)),
    ),
  );
  if (versions.size !== 1)
    throw new Error(
      `the stacks pin different Kubernetes versions (${[...versions].join(", ")}); align video-platform:k3s.version`,
    );
  return [...versions][0];
}

/** k8s.io/kubernetes' own go.mod at `version`, as the module proxy serves it. */
export function upstreamGoMod(version: string): string {
  const out = execFileSync("go", ["mod", "download", "-json", `k8s.io/kubernetes@${version}`], {
    cwd: "/",
    encoding: "utf8",
  });
  const info = JSON.parse(out) as { GoMod?: string; Error?: string };
  if (!info.GoMod) throw new Error(`go mod download k8s.io/kubernetes@${version}: ${info.Error ?? "no GoMod"}`);
  return readFileSync(info.GoMod, "utf8");
}

if (require.main === module) {
  const version = pinnedKubernetesVersion();
  const file = join(KUBE_DIR, "go.mod");
  writeFileSync(file, renderWrapperGoMod(readFileSync(file, "utf8"), upstreamGoMod(version), version));
  execFileSync("go", ["mod", "tidy"], { cwd: KUBE_DIR, stdio: "inherit" });
  process.stdout.write(`tools/kube/go.mod: k8s.io/kubernetes ${version}\n`);
}
