/**
 * Charts in the engine tests: no chart repository is reachable here, so each chart the program
 * installs comes from a local directory instead of the pinned repository, swapped in by a stack
 * transformation in the harness's program (program.ts; components are unchanged).
 *
 * - helm.v3.Release (charts that run workloads): the release is real (the Kubernetes provider runs
 *   Helm: install, atomic wait, upgrade, uninstall, its release Secrets); the chart stands in,
 *   holding only what test:cluster also stands in with: the CRDs the real chart installs, taken
 *   from each project's Go module (components/versions.ts CRD_SOURCES, whose `chart` says which
 *   chart installs them). So every custom resource of the program really depends on what installs
 *   its CRD, or the engine fails to create it. The real charts' workloads could not become ready
 *   here (no kubelet, no images), and `atomic` would roll them back.
 * - helm.v4.Chart (the chart of API types only): the real chart where the Go module proxy serves
 *   its source at the pinned tag (REAL_CHARTS), packaged as upstream packages it (`helm package
 *   --version <tag> --app-version <tag>`: only Chart.yaml's version fields differ); the provider
 *   renders it with the program's values and applies what it renders. Otherwise the stand-in.
 */
import * as pulumi from "@pulumi/pulumi";
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { chartSource } from "../../components/platform/releases";
import { ChartName, CRD_SOURCES, DEFAULT_VERSIONS, githubRawUrl } from "../../components/versions";
import { CrdBundle, moduleDir } from "../cluster/crds";

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
export const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";

/**
 * Charts whose source the Go module proxy serves at the tag of their pinned version: the module
 * and the chart's directory in it. Envoy Gateway tags its charts with the release (tools/make/helm.mk:
 * `helm package charts/<chart> --app-version ${TAG} --version ${CHART_VERSION}`).
 */
export const REAL_CHARTS: Partial<Record<ChartName, { module: string; path: string }>> = {
  gatewayCrds: { module: "github.com/envoyproxy/gateway", path: "charts/gateway-crds-helm" },
};

/** Where the engine finds each chart: the stand-in per pinned chart, and the real ones it has. */
export interface EngineCharts {
  standIn: Record<ChartName, string>;
  real: Partial<Record<ChartName, string>>;
}

/** Which pinned chart a Release's `chart` input names (as releases.ts chartSource spells it). */
export function chartOf(chart: unknown): ChartName | undefined {
  const names = Object.keys(DEFAULT_VERSIONS.charts) as ChartName[];
  return names.find((n) => chartSource(DEFAULT_VERSIONS.charts[n]).chart === chart);
}

/**
 * Writes one stand-in chart per pinned chart under `dir`: Chart.yaml with the pin's name and
 * version, its CRDs in crds/ (installed before templates, never templated: CRD descriptions may
 * hold `{{`), anything else from the same source in templates/. Returns each chart's directory.
 */
export function writeStandInCharts(dir: string, bundles: readonly CrdBundle[]): Record<ChartName, string> {
  rmSync(dir, { recursive: true, force: true });
  const out = {} as Record<ChartName, string>;
  for (const [name, pin] of Object.entries(DEFAULT_VERSIONS.charts) as [
    ChartName,
    { chart: string; version: string },
  ][]) {
    const chartDir = join(dir, name);
    mkdirSync(join(chartDir, "crds"), { recursive: true });
    mkdirSync(join(chartDir, "templates"), { recursive: true });
    writeFileSync(
      join(chartDir, "Chart.yaml"),
      stringify({
        apiVersion: "v2",
        name: pin.chart,
        version: pin.version,
        description: `Stand-in for ${pin.chart} ${pin.version} in the engine tests: its CRDs only (tools/engine/charts.ts)`,
      }),
    );
    const mine = bundles.filter(
      (b) => (CRD_SOURCES as Record<string, { chart?: ChartName }>)[b.source]?.chart === name,
    );
    const objects = mine.flatMap((b) => b.objects);
    objects.forEach((o, i) => {
      const crd = o.kind === "CustomResourceDefinition";
      const text = stringify(o, { lineWidth: 0 });
      if (!crd && text.includes("{{"))
        throw new Error(`${o.kind} ${o.metadata.name}: holds "{{", which Helm would template; put it elsewhere`);
      writeFileSync(
        join(chartDir, crd ? "crds" : "templates", `${String(i).padStart(3, "0")}-${o.metadata.name}.yaml`),
        text,
      );
    });
    out[name] = chartDir;
  }
  return out;
}

/** The module cache is read-only; a copy of it must not be (or it could not be edited or removed). */
function writable(path: string): void {
  if (statSync(path).isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) writable(join(path, entry));
  } else chmodSync(path, 0o644);
}

/**
 * Copies each REAL_CHARTS chart from its module at the pinned version into `dir`, with Chart.yaml's
 * `version` and `appVersion` set to the pin (as upstream's packaging does). Returns each chart's directory.
 */
export function writeRealCharts(
  dir: string,
  dirOf: (module: string, version: string) => string = moduleDir,
): Partial<Record<ChartName, string>> {
  rmSync(dir, { recursive: true, force: true });
  const out: Partial<Record<ChartName, string>> = {};
  for (const [name, src] of Object.entries(REAL_CHARTS) as [ChartName, { module: string; path: string }][]) {
    const { version } = DEFAULT_VERSIONS.charts[name];
    const chartDir = join(dir, name);
    cpSync(join(dirOf(src.module, version.startsWith("v") ? version : `v${version}`), src.path), chartDir, {
      recursive: true,
    });
    writable(chartDir);
    const file = join(chartDir, "Chart.yaml");
    const meta = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, stringify({ ...meta, version, appVersion: version }));
    out[name] = chartDir;
  }
  return out;
}

/**
 * The stack transformation that points each Release at its stand-in chart, and each helm.v4.Chart
 * at its real chart where there is one (a local path, so no repository options). Anything else
 * passes unchanged; a chart no pin names, or a version the harness did not prepare, fails.
 */
export function localCharts(charts: EngineCharts): pulumi.ResourceTransformation {
  return (args) => {
    if (args.type !== RELEASE_TYPE && args.type !== CHART_TYPE) return undefined;
    const props = args.props as Record<string, unknown>;
    const kind = args.type === RELEASE_TYPE ? "Release" : "Chart";
    const name = chartOf(props.chart);
    if (!name)
      throw new Error(
        `${args.name}: ${kind} of chart ${String(props.chart)}, which components/versions.ts does not pin`,
      );
    const real = args.type === CHART_TYPE ? charts.real[name] : undefined;
    const pinned = DEFAULT_VERSIONS.charts[name].version;
    if (real && props.version !== pinned)
      throw new Error(
        `${args.name}: the engine harness prepared ${name} ${pinned}, the stack asks for ${String(props.version)}`,
      );
    const rest: Record<string, unknown> = { ...props, chart: real ?? charts.standIn[name] };
    delete rest.repositoryOpts;
    return { props: rest, opts: args.opts };
  };
}

export const CONFIG_GROUP_TYPE = "kubernetes:yaml/v2:ConfigGroup";

/**
 * The stack transformation that points a ConfigGroup's files at the same files in the Go module
 * cache: the program reads Argo CD's CRDs from its GitHub repository at the pin
 * (components/platform/argocd.ts), which is not reachable here; the module proxy serves the same
 * tag (CRD_SOURCES). Any other address fails, naming it.
 */
export function localFiles(
  dirOf: (module: string, version: string) => string = moduleDir,
): pulumi.ResourceTransformation {
  // Each module is looked up (`go mod download`) only when a file of it is asked for.
  const local = new Map<string, () => string>();
  for (const s of Object.values(CRD_SOURCES) as { module: string; version: string; files: readonly string[] }[])
    for (const f of s.module.startsWith("github.com/") ? s.files : [])
      local.set(githubRawUrl(s.module, s.version, f), () => join(dirOf(s.module, s.version), f));
  return (args) => {
    if (args.type !== CONFIG_GROUP_TYPE) return undefined;
    const props = args.props as { files?: unknown };
    const files = (Array.isArray(props.files) ? props.files : []).map((f: unknown) => {
      const path = local.get(String(f));
      if (!path)
        throw new Error(`${args.name}: ${String(f)} is no file of a module components/versions.ts CRD_SOURCES pins`);
      return path();
    });
    return { props: { ...args.props, files }, opts: args.opts };
  };
}
