/**
 * The Kubernetes layer of an offline plan as objects a real API server can take: every planned
 * `kubernetes:*` custom resource except Helm releases (no chart repository is reachable here),
 * in dependency order, with each "[secret]" replaced by a generated value that is kept across runs
 * (so `up` again applies identical objects and changes nothing).
 */
import { randomBytes } from "node:crypto";

/** The fields of a planned resource this module reads (tools/plan/runtime.ts PlannedResource). */
export interface PlannedObject {
  urn: string;
  type: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  options: { dependsOn: string[] };
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const SECRET = "[secret]";

/** Kinds applied before everything else at the same depth: what other objects live in or refer to. */
const KIND_RANK: Readonly<Record<string, number>> = {
  Namespace: 0,
  CustomResourceDefinition: 1,
  PriorityClass: 2,
  StorageClass: 2,
  ClusterRole: 3,
  ServiceAccount: 4,
  ValidatingAdmissionPolicy: 5,
  ValidatingAdmissionPolicyBinding: 6,
};

/** Is this planned resource a Kubernetes object the local API server should get? */
export function isKubeObject(r: PlannedObject): boolean {
  return (
    r.custom &&
    r.type.startsWith("kubernetes:") &&
    !r.type.startsWith("kubernetes:helm.sh/") &&
    typeof r.inputs.apiVersion === "string" &&
    typeof r.inputs.kind === "string"
  );
}

/**
 * The plan's Kubernetes objects in apply order: a resource after every Kubernetes resource it
 * depends on (the plan's dependsOn, explicit and through inputs), kinds in KIND_RANK order among
 * equals, then by URN so the order is stable. A dependency cycle is an error (Pulumi rejects it too).
 */
export function orderedObjects(resources: readonly PlannedObject[]): PlannedObject[] {
  const objs = resources.filter(isKubeObject);
  const byUrn = new Map(objs.map((r) => [r.urn, r]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (r: PlannedObject): number => {
    const known = depth.get(r.urn);
    if (known !== undefined) return known;
    if (visiting.has(r.urn)) throw new Error(`dependency cycle through ${r.urn}`);
    visiting.add(r.urn);
    let d = 0;
    for (const u of r.options.dependsOn) {
      const dep = byUrn.get(u);
      if (dep) d = Math.max(d, depthOf(dep) + 1);
    }
    visiting.delete(r.urn);
    depth.set(r.urn, d);
    return d;
  };
  const rank = (r: PlannedObject) => KIND_RANK[String(r.inputs.kind)] ?? 10;
  return [...objs].sort(
    (a, b) => depthOf(a) - depthOf(b) || rank(a) - rank(b) || (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0),
  );
}

/** A stable key for one secret field of one object. */
function secretKey(o: Record<string, unknown>, path: string): string {
  const md = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(o.kind)}/${md.namespace ?? ""}/${md.name ?? ""}${path}`;
}

const generated = () => randomBytes(24).toString("base64url");

/**
 * The data a whole-map secret (`stringData: "[secret]"`) is replaced with. The API server checks
 * the keys some Secret types must have, so those get them; the values are random, never real.
 */
function secretMap(type: unknown, tls: { crt: string; key: string }): Record<string, string> {
  switch (type) {
    case "kubernetes.io/tls":
      return { "tls.crt": tls.crt, "tls.key": tls.key };
    case "kubernetes.io/dockerconfigjson":
      return { ".dockerconfigjson": JSON.stringify({ auths: { "registry.invalid": { auth: generated() } } }) };
    case "kubernetes.io/ssh-auth":
      return { "ssh-privatekey": generated() };
    default:
      return { value: generated() };
  }
}

/**
 * The object with every "[secret]" replaced: from `store` when this field was filled before, else
 * generated and recorded in `store` (the caller persists it). `tls` is a generated certificate for
 * kubernetes.io/tls Secrets.
 */
export function fillSecrets(
  inputs: Record<string, unknown>,
  store: Record<string, unknown>,
  tls: { crt: string; key: string },
): KubeObject {
  const walk = (v: unknown, path: string, parent: Record<string, unknown>): unknown => {
    if (v === SECRET) {
      const key = secretKey(inputs, path);
      if (!(key in store))
        store[key] = path === ".stringData" || path === ".data" ? secretMap(parent.type, tls) : generated();
      const value = store[key];
      // `data` wants base64; the generated maps are plain text.
      if (path === ".data" && value && typeof value === "object")
        return Object.fromEntries(
          Object.entries(value as Record<string, string>).map(([k, s]) => [k, Buffer.from(s).toString("base64")]),
        );
      return value;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, parent));
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).map((k) => [k, walk(o[k], `${path}.${k}`, o)]));
    }
    return v;
  };
  const out = walk(inputs, "", inputs) as KubeObject;
  if (JSON.stringify(out).includes("[unknown]"))
    throw new Error(`${out.kind} ${out.metadata?.name}: an input is unknown before the update; it cannot be applied`);
  return out;
}
