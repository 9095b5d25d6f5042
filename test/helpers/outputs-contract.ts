/**
 * The stack outputs contract (components/outputs), written out by hand on purpose, not imported:
 * a change to the outputs that renames, drops, adds or retypes anything fails test/outputs.test.ts
 * until it is re-pinned here and in docs/outputs.md. test/runbooks.test.ts checks every output name a
 * runbook reads against OUTPUT_NAMES.
 */
import { isDeepStrictEqual } from "node:util";
import { SECRET } from "./harness";

/** A value's shape: type names for leaves, the literal for enums, "[secret]" for secrets. */
export type Shape = string | null | Shape[] | { [k: string]: Shape };
export const STR = "string";
export const NUM = "number";
export const BOOL = "boolean";

export const CONTROL_PLANE: Shape = {
  name: STR,
  role: "=control-plane",
  publicIpv4: STR,
  publicIpv6: STR,
  privateIpv4: STR,
};
const WORKER: Shape = { name: STR, role: "=worker", pool: STR, publicIpv4: STR, publicIpv6: STR, privateIpv4: STR };
const AUTOSCALED_POOL: Shape = {
  pool: STR,
  nodeGroup: STR,
  serverType: STR,
  location: STR,
  min: NUM,
  max: NUM,
  fixed: NUM,
  placementGroup: "string|null",
};
const QUOTA: Shape = {
  cpu: STR,
  memory: STR,
  storage: STR,
  pods: NUM,
  services: NUM,
  persistentVolumeClaims: NUM,
  limitsCpu: STR,
  limitsMemory: STR,
};
const TENANT: Shape = {
  namespace: STR,
  tier: STR,
  quota: QUOTA,
  domains: [STR],
  argocdProject: STR,
  argocdApplication: STR,
  decommission: BOOL,
};

/** The whole contract for a stack: `api` is null on single-control-plane sites. */
export function contract(ha: boolean, tenants: string[]): Record<string, Shape> {
  return {
    outputsVersion: NUM,
    location: STR,
    networkZone: STR,
    k3sVersion: STR,
    apiEndpoint: STR,
    kubeconfig: SECRET,
    controlPlanes: [CONTROL_PLANE],
    workers: [WORKER],
    autoscaledPools: [AUTOSCALED_POOL],
    loadBalancers: {
      api: ha ? { name: STR, privateIpv4: STR } : null,
      ingress: { name: STR, publicIpv4: STR, publicIpv6: STR, privateIpv4: STR },
    },
    ingressAddress: STR,
    ingressHostname: STR,
    ingressHosts: "string[]",
    argocdUrl: STR,
    argocdAdminPassword: SECRET,
    etcdSnapshots: { bucket: STR, endpoint: STR, region: STR, folder: "string|null" },
    tenants: Object.fromEntries(tenants.map((t) => [t, TENANT])),
  };
}

/** The names runbooks may read: the contract's keys. */
export const OUTPUT_NAMES = Object.keys(contract(true, [])).sort();

/**
 * The shape of a plan value against an expected shape: secrets stay "[secret]", enum literals
 * ("=x") and the two list/nullable forms are checked in place, everything else becomes its type.
 */
export function shapeOf(v: unknown, expected: Shape): Shape {
  if (typeof expected === "string" && expected.startsWith("="))
    return v === expected.slice(1) ? expected : `${String(v)}`;
  if (expected === "string[]")
    return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string") ? expected : JSON.stringify(v);
  if (expected === "string|null") return v === null || typeof v === "string" ? expected : typeof v;
  if (v === SECRET) return SECRET;
  if (v === null) return null;
  if (Array.isArray(v)) {
    // `[item]` is a list of any length whose every element has the item's shape.
    const item = Array.isArray(expected) && expected.length === 1 ? expected[0] : STR;
    const shapes = v.map((x) => shapeOf(x, item));
    return shapes.every((s) => isDeepStrictEqual(s, item)) ? [item] : shapes;
  }
  if (typeof v === "object") {
    const e = (expected && typeof expected === "object" && !Array.isArray(expected) ? expected : {}) as Record<
      string,
      Shape
    >;
    return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, shapeOf(x, e[k] ?? STR)]));
  }
  return typeof v;
}
