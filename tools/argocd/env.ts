/**
 * How a component's settings reach it: the way its pod does. Argo CD's own manifests at the
 * pinned version (manifests/base/... in the argo-cd module, copied next to the binaries by
 * tools/argocd/build.sh) map each argocd-cm / argocd-cmd-params-cm key to an environment
 * variable of the component (`valueFrom.configMapKeyRef`), and each component reads its flags'
 * defaults from those variables. Reading that mapping from upstream, rather than writing it out,
 * means a key the platform sets reaches the process here exactly when it would in the cluster.
 */
import { parse } from "yaml";
import { rec, arr } from "../../components/rules/types";

export interface EnvSource {
  name: string;
  /** A literal value (`value:`). */
  value?: string;
  /** `valueFrom.configMapKeyRef` / `secretKeyRef`. */
  from?: { kind: "ConfigMap" | "Secret"; name: string; key: string; optional: boolean };
}

/** The env of the named container in a Deployment/StatefulSet manifest's pod template. */
export function containerEnv(manifest: string, container: string, file = "manifest"): EnvSource[] {
  const doc = rec(parse(manifest));
  const containers = arr(rec(rec(rec(rec(doc.spec).template).spec)).containers).map(rec);
  const c = containers.find((x) => x.name === container);
  if (!c)
    throw new Error(`${file}: no container ${container} (has ${containers.map((x) => String(x.name)).join(", ")})`);
  return arr(c.env).map((e) => {
    const entry = rec(e);
    const name = String(entry.name);
    if ("value" in entry) return { name, value: String(entry.value ?? "") };
    const from = rec(entry.valueFrom);
    const ref = from.configMapKeyRef
      ? rec(from.configMapKeyRef)
      : from.secretKeyRef
        ? rec(from.secretKeyRef)
        : undefined;
    if (!ref)
      throw new Error(
        `${file}: env ${name} of ${container}: only value, configMapKeyRef and secretKeyRef are understood`,
      );
    return {
      name,
      from: {
        kind: from.configMapKeyRef ? "ConfigMap" : "Secret",
        name: String(ref.name),
        key: String(ref.key),
        optional: ref.optional === true,
      },
    };
  });
}

/**
 * The environment a pod would get: literal values, and every referenced key that exists in the
 * given ConfigMaps/Secrets (an absent optional key sets nothing, as in Kubernetes; an absent
 * required one is an error, as the kubelet refuses to start such a container).
 */
export function resolveEnv(
  sources: readonly EnvSource[],
  data: { ConfigMap: Record<string, Record<string, string>>; Secret: Record<string, Record<string, string>> },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sources) {
    if (s.value !== undefined) {
      out[s.name] = s.value;
      continue;
    }
    if (!s.from) continue;
    const v = data[s.from.kind][s.from.name]?.[s.from.key];
    if (v !== undefined) out[s.name] = v;
    else if (!s.from.optional)
      throw new Error(
        `env ${s.name}: ${s.from.kind} ${s.from.name} has no key ${s.from.key} (the container would not start)`,
      );
  }
  return out;
}
