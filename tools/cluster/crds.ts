/**
 * The CRDs the platform's charts install (components/versions.ts CRD_SOURCES), read from each
 * project's own Go module as `go mod download` fetches it from the module proxy.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { CRD_SOURCES } from "../../components/versions";
import type { KubeObject } from "./objects";

/** Where `go mod download` put a module version (a failure says which module and why). */
export function moduleDir(module: string, version: string): string {
  const run = (toolchain: string) =>
    execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      // Outside any module, so the project's own go.mod files play no part.
      cwd: "/",
      env: { ...process.env, GOTOOLCHAIN: toolchain, GOFLAGS: "-mod=mod" },
    });
  let out: string;
  try {
    out = run("local");
  } catch (err) {
    // `go mod download` refuses a module whose go.mod asks for a newer Go than the local one
    // (argo-cd v3.6 asks for go 1.27): let Go fetch that toolchain from the module proxy.
    const text = String((err as { stdout?: string }).stdout ?? "") + String((err as { stderr?: string }).stderr ?? "");
    if (!/requires go (>=|\\u003e=)/.test(text))
      throw new Error(`go mod download ${module}@${version}: ${text.trim()}`);
    out = run("auto");
  }
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (info.Error || !info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? "no Dir"}`);
  return info.Dir;
}

/**
 * A CRD chart template as the chart renders it with its defaults: the `{{- if }}`/`{{- end }}`
 * guards around the whole file and around the keep annotation hold (crds.enabled/keep default to
 * true), and the labels include becomes the chart's name label. Anything else is refused, so an
 * upstream template that grows logic fails here instead of being installed half-rendered.
 */
export function renderCrdTemplate(text: string, chartName: string, file: string): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*\{\{-?\s*(if\s.*|end\s*)-?\}\}\s*$/.test(line)) continue;
    const include = /^(\s*)\{\{-?\s*include\s+"[^"]+\.crd-labels"\s+\.\s*\|\s*nindent\s+(\d+)\s*-?\}\}\s*$/.exec(line);
    if (include) {
      out.push(`${" ".repeat(Number(include[2]))}app.kubernetes.io/name: ${chartName}`);
      continue;
    }
    if (line.includes("{{")) throw new Error(`${file}: template expression not understood: ${line.trim()}`);
    out.push(line);
  }
  return out.join("\n");
}

export interface CrdBundle {
  source: string;
  module: string;
  version: string;
  objects: KubeObject[];
}

/** Every CRD (and the Gateway API's safe-upgrades policy) from CRD_SOURCES. */
export function loadCrds(dirOf: (module: string, version: string) => string = moduleDir): CrdBundle[] {
  return Object.entries(CRD_SOURCES).map(([source, s]) => {
    const dir = dirOf(s.module, s.version);
    const objects: KubeObject[] = [];
    for (const f of s.files) {
      let text = readFileSync(join(dir, f), "utf8");
      if (s.helmTemplate) text = renderCrdTemplate(text, source === "certManager" ? "cert-manager" : source, f);
      for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length) throw new Error(`${s.module}@${s.version}/${f}: ${doc.errors[0].message}`);
        const o = doc.toJS() as KubeObject | null;
        if (o) objects.push(o);
      }
    }
    return { source, module: s.module, version: s.version, objects };
  });
}
