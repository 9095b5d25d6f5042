/**
 * Chart releases in the engine tests: no chart repository is reachable here, so each of the
 * platform's helm.v3.Releases installs a local stand-in chart instead of the pinned one. The
 * release itself is real (the Kubernetes provider runs Helm: install, atomic wait, upgrade,
 * uninstall, its release Secrets); the chart holds only what test:cluster also stands in with: the
 * CRDs the real chart installs, taken from each project's Go module (components/versions.ts
 * CRD_SOURCES, whose `chart` says which release installs them). So every custom resource of the
 * program really depends on the release that installs its CRD, or the engine fails to create it.
 *
 * The swap is a stack transformation in the harness's program (program.ts): components are unchanged.
 */
import * as pulumi from "@pulumi/pulumi";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { chartSource } from "../../components/platform/releases";
import { ChartName, CRD_SOURCES, DEFAULT_VERSIONS } from "../../components/versions";
import type { CrdBundle } from "../cluster/crds";

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

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
    const mine = bundles.filter((b) => (CRD_SOURCES as Record<string, { chart: ChartName }>)[b.source]?.chart === name);
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

/**
 * The stack transformation that points each Release at its stand-in chart (a local path, so no
 * repository options). Anything else passes unchanged; a Release naming no pinned chart fails.
 */
export function standInReleases(charts: Record<ChartName, string>): pulumi.ResourceTransformation {
  return (args) => {
    if (args.type !== RELEASE_TYPE) return undefined;
    const props = args.props as Record<string, unknown>;
    const name = chartOf(props.chart);
    if (!name)
      throw new Error(
        `${args.name}: Release of chart ${String(props.chart)}, which components/versions.ts does not pin`,
      );
    const rest: Record<string, unknown> = { ...props, chart: charts[name] };
    delete rest.repositoryOpts;
    return { props: rest, opts: args.opts };
  };
}
