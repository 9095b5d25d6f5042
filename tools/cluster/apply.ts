/**
 * Server-side apply of the Kubernetes layer: the CRDs, then what the charts would create, then the
 * plan's objects, each stream with one `kubectl apply --server-side` so the field manager owns every
 * field the plan declares and a second apply of the same objects changes nothing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { PlannedResource } from "../plan/runtime";
import { collectionPath, KubeClient } from "./client";
import type { CrdBundle } from "./crds";
import { fillSecrets, KubeObject, orderedObjects } from "./objects";
import { chartPrerequisites } from "./prereqs";
import { argocdReleases, RELEASE_TYPE } from "../argocd/chart";

export const FIELD_MANAGER = "video-platform";

/**
 * What the harness plans with `reveal`: Helm releases, whose values (a secret for argo-cd, as they
 * carry the admin password hash) decide the chart stand-ins (prereqs.ts).
 */
export const PLAN_REVEAL = [RELEASE_TYPE] as const;

/** The plan's objects (secrets filled from/into `<dir>/secrets.json`), namespaces first, then the chart stand-ins. */
export function planObjects(
  dir: string,
  resources: readonly PlannedResource[],
  tls: { crt: string; key: string },
): KubeObject[] {
  const storeFile = join(dir, "secrets.json");
  const store = existsSync(storeFile) ? (JSON.parse(readFileSync(storeFile, "utf8")) as Record<string, unknown>) : {};
  const tlsPem = { crt: readFileSync(tls.crt, "utf8"), key: readFileSync(tls.key, "utf8") };
  const planned = orderedObjects(resources).map((r) => fillSecrets(r.inputs, store, tlsPem));
  const chart = chartPrerequisites(planned, argocdReleases(resources), store);
  writeFileSync(storeFile, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  const namespaces = planned.filter((o) => o.kind === "Namespace");
  const rest = planned.filter((o) => o.kind !== "Namespace");
  return [...namespaces, ...chart, ...rest];
}

export function yamlStream(objects: readonly KubeObject[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join("");
}

export interface Kubectl {
  bin: string;
  kubeconfig: string;
  cacheDir: string;
}

export function kubectl(k: Kubectl, args: string[], input?: string): string {
  try {
    return execFileSync(k.bin, [`--kubeconfig=${k.kubeconfig}`, `--cache-dir=${k.cacheDir}`, ...args], {
      encoding: "utf8",
      input,
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`kubectl ${args.join(" ")} failed:\n${(e.stderr || e.stdout || String(err)).trim()}`);
  }
}

/** Server-side applies one stream of objects; returns the seconds it took. */
export function applyStream(k: Kubectl, file: string, objects: readonly KubeObject[]): number {
  writeFileSync(file, yamlStream(objects), { mode: 0o600 });
  const t0 = process.hrtime.bigint();
  kubectl(k, ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "--force-conflicts=false", "-f", file]);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The CRDs, then waits until every one is Established (custom resources need it). */
export function applyCrds(k: Kubectl, dir: string, bundles: readonly CrdBundle[]): number {
  const objects = bundles.flatMap((b) => b.objects);
  const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
  const others = objects.filter((o) => o.kind !== "CustomResourceDefinition");
  const secs = applyStream(k, join(dir, "crds.yaml"), [...crds, ...others]);
  kubectl(k, ["wait", "--for=condition=Established", "--timeout=120s", ...crds.map((c) => `crd/${c.metadata.name}`)]);
  // kubectl's discovery cache predates the new kinds.
  rmSync(k.cacheDir, { recursive: true, force: true });
  mkdirSync(k.cacheDir, { recursive: true });
  return secs;
}

/** Plural resource name of a kind, from the API server's discovery (cached per client). */
export async function discover(client: KubeClient): Promise<Map<string, { plural: string; namespaced: boolean }>> {
  const out = new Map<string, { plural: string; namespaced: boolean }>();
  const groups = await client.request("GET", "/apis");
  const versions = [
    "v1",
    ...(
      (groups.body.groups as { preferredVersion: { groupVersion: string }; versions: { groupVersion: string }[] }[]) ??
      []
    ).flatMap((g) => g.versions.map((v) => v.groupVersion)),
  ];
  for (const gv of versions) {
    const res = await client.request("GET", gv === "v1" ? "/api/v1" : `/apis/${gv}`);
    for (const r of (res.body.resources as { name: string; kind: string; namespaced: boolean }[]) ?? []) {
      if (r.name.includes("/")) continue;
      out.set(`${gv}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
    }
  }
  return out;
}

/** resourceVersion of every object (by `apiVersion/kind/namespace/name`); a missing one is "missing". */
export async function resourceVersions(
  client: KubeClient,
  objects: readonly KubeObject[],
): Promise<Record<string, string>> {
  const kinds = await discover(client);
  const out: Record<string, string> = {};
  await Promise.all(
    objects.map(async (o) => {
      const key = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
      const k = kinds.get(`${o.apiVersion}/${o.kind}`);
      if (!k) {
        out[key] = "missing (kind not served)";
        return;
      }
      const path = `${collectionPath(o.apiVersion, k.plural, k.namespaced ? o.metadata.namespace : undefined)}/${o.metadata.name}`;
      const res = await client.request("GET", path);
      out[key] =
        res.status === 200
          ? String((res.body.metadata as { resourceVersion?: string }).resourceVersion)
          : `missing (${res.status})`;
    }),
  );
  return out;
}
