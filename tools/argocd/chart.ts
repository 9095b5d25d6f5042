/**
 * The argo-cd chart as the local harness stands in for it (no chart repository is reachable
 * here): what its templates render, from the values the program sets, for the objects and
 * settings the application controller and repo server read. Each piece names the template it
 * follows in argoproj/argo-helm charts/argo-cd (read at chart 10.1.1, 2026-12-06); chart
 * defaults the harness relies on are the values.yaml defaults of that chart, named where used.
 * What the chart renders that no process here reads (Deployments, Services, NetworkPolicies,
 * the server's and Dex's objects) is not stood in for.
 */
import { randomBytes } from "node:crypto";
import type { KubeObject } from "../cluster/objects";
import { rec } from "../../components/rules/types";

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/** A planned resource as this module reads it (a plan made with `reveal: [RELEASE_TYPE]`). */
export interface PlannedRelease {
  urn: string;
  type: string;
  inputs: Record<string, unknown>;
  revealedInputs?: Record<string, unknown>;
}

/** One argo-cd release of the plan: its name, namespace and (revealed) values. */
export interface ArgoRelease {
  urn: string;
  release: string;
  namespace: string;
  values: Record<string, unknown>;
}

type Rule = Record<string, unknown>;

/** Is this release the argo-cd chart (a classic repository's chart name, or an OCI reference)? */
function isArgoCdChart(chart: unknown): boolean {
  return typeof chart === "string" && /(^|\/)argo-cd$/.test(chart);
}

/** Every argo-cd release of a plan, with its values unmasked. */
export function argocdReleases(resources: readonly PlannedRelease[]): ArgoRelease[] {
  return resources
    .filter((r) => r.type === RELEASE_TYPE && isArgoCdChart(r.inputs.chart))
    .map((r) => {
      // Values that are no secret are readable in any plan; a secret's only when revealed.
      const values = r.revealedInputs?.values ?? r.inputs.values;
      if (!values || typeof values !== "object" || Array.isArray(values))
        throw new Error(
          `${r.urn}: the argo-cd release's values are not readable; plan with reveal: ["${RELEASE_TYPE}"] (tools/plan/runtime.ts)`,
        );
      return {
        urn: r.urn,
        release: String(r.inputs.name),
        namespace: String(r.inputs.namespace),
        values: values as Record<string, unknown>,
      };
    });
}

const trunc = (s: string, n: number) => s.slice(0, n).replace(/-+$/, "");

/**
 * templates/_common.tpl `argo-cd.fullname`: fullnameOverride, else the release name when it
 * contains the chart's name (values.yaml default `nameOverride: argocd`), else `<release>-<name>`.
 */
export function fullname(r: ArgoRelease): string {
  const override = r.values.fullnameOverride;
  if (typeof override === "string" && override) return trunc(override, 63);
  const name = typeof r.values.nameOverride === "string" && r.values.nameOverride ? r.values.nameOverride : "argocd";
  return trunc(r.release.includes(name) ? r.release : `${r.release}-${name}`, 63);
}

/** templates/_helpers.tpl `argo-cd.controller.fullname` (controller.name defaults to application-controller). */
export function controllerFullname(r: ArgoRelease): string {
  const name = String(rec(r.values.controller).name ?? "application-controller");
  return trunc(`${fullname(r)}-${name}`, 52);
}

/**
 * templates/_helpers.tpl `argo-cd.controller.serviceAccountName`: controller.serviceAccount.name
 * (values.yaml default `argocd-application-controller`) when the chart creates it (default), else
 * that name or `default`.
 */
export function controllerServiceAccount(r: ArgoRelease): string {
  const sa = rec(rec(r.values.controller).serviceAccount);
  const create = sa.create ?? true;
  const name = typeof sa.name === "string" ? sa.name : create ? "argocd-application-controller" : "";
  return name || (create ? controllerFullname(r) : "default");
}

/**
 * templates/argocd-application-controller/clusterrole.yaml: with createClusterRoles (default
 * true), controller.clusterRoleRules.rules when enabled, else every verb on everything.
 * Undefined when the chart creates no ClusterRole.
 */
export function controllerClusterRules(r: ArgoRelease): Rule[] | undefined {
  if ((r.values.createClusterRoles ?? true) === false) return undefined;
  const custom = rec(rec(r.values.controller).clusterRoleRules);
  if (custom.enabled === true) return structuredClone((custom.rules as Rule[] | undefined) ?? []);
  return [
    { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
    { nonResourceURLs: ["*"], verbs: ["*"] },
  ];
}

/** templates/argocd-application-controller/role.yaml: controller.roleRules, else the chart's own rules. */
export function controllerRoleRules(r: ArgoRelease): Rule[] {
  const custom = rec(r.values.controller).roleRules;
  if (Array.isArray(custom) && custom.length) return structuredClone(custom as Rule[]);
  return [
    { apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["get", "list", "watch"] },
    {
      apiGroups: ["argoproj.io"],
      resources: ["applications", "applicationsets", "appprojects"],
      verbs: ["create", "get", "list", "watch", "update", "patch", "delete"],
    },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "list"] },
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
  ];
}

/**
 * A ConfigMap value as the chart writes it (`toString`): strings as they are, booleans and
 * numbers as text. A map or list would render as Go's `map[...]`, which no Argo CD setting
 * parses: refused here, so such a value fails the harness instead of being silently mangled.
 */
function chartString(where: string, key: string, v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  throw new Error(
    `${where}.${key}: the chart renders a ${Array.isArray(v) ? "list" : typeof v} with toString (Go's map[...]/[...] text); write it as a YAML string`,
  );
}

/**
 * templates/_helpers.tpl `argo-cd.config.cm`: configs.cm without create/annotations over the
 * presets (`url: https://<global.domain>`), empty values dropped. The chart's own defaults for
 * keys the platform does not set (values.yaml configs.cm) are not reproduced: Argo CD's built-in
 * defaults apply to those here (docs/gitops-tests.md lists them).
 */
export function argocdCm(r: ArgoRelease): Record<string, string> {
  const cm = { ...rec(rec(r.values.configs).cm) };
  delete cm.create;
  delete cm.annotations;
  const domain = rec(r.values.global).domain;
  const merged: Record<string, unknown> = {
    ...(typeof domain === "string" ? { url: `https://${domain}` } : {}),
    ...cm,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) {
    if (v === null || v === undefined) continue;
    const s = chartString("configs.cm", k, v);
    if (s !== "") out[k] = s;
  }
  return out;
}

/**
 * templates/_helpers.tpl `argo-cd.config.params`: configs.params without create/annotations.
 * The presets the chart adds (repo.server, redis.server, log settings) name in-cluster Services;
 * the harness passes its own loopback addresses as flags instead.
 */
export function argocdCmdParams(r: ArgoRelease): Record<string, string> {
  const params = { ...rec(rec(r.values.configs).params) };
  delete params.create;
  delete params.annotations;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params))
    if (v !== null && v !== undefined) out[k] = chartString("configs.params", k, v);
  return out;
}

/** templates/argocd-configs/argocd-rbac-cm.yaml: configs.rbac without create/annotations. */
export function argocdRbacCm(r: ArgoRelease): Record<string, string> {
  const rbac = { ...rec(rec(r.values.configs).rbac) };
  delete rbac.create;
  delete rbac.annotations;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rbac))
    if (v !== null && v !== undefined) out[k] = chartString("configs.rbac", k, v);
  return out;
}

/** The chart's common labels that matter here: Argo CD reads only settings labelled part-of=argocd. */
const labels = (component: string) => ({
  "app.kubernetes.io/part-of": "argocd",
  "app.kubernetes.io/component": component,
  "app.kubernetes.io/managed-by": "video-platform-cluster-tests",
});

/** Generated values the chart's objects carry (kept across `up`s in the state's secret store). */
export interface ChartSecrets {
  /** argocd-redis `auth` (the chart's redis-secret-init hook Job generates it). */
  redisPassword: string;
  /** argocd-secret `server.secretkey` (argocd-server generates it on first start). */
  serverSecretKey: string;
}

/** The generated values of a release, from/into the harness's secret store. */
export function chartSecrets(r: ArgoRelease, store: Record<string, unknown>): ChartSecrets {
  const get = (name: string) => {
    const key = `argo-cd/${r.namespace}/${r.release}/${name}`;
    if (typeof store[key] !== "string") store[key] = randomBytes(24).toString("base64url");
    return store[key] as string;
  };
  return { redisPassword: get("redis-auth"), serverSecretKey: get("server-secretkey") };
}

/** A `configs.<key>.create`-style switch of the chart (default true). */
const creates = (r: ArgoRelease, section: string, flag = "create") =>
  rec(rec(r.values.configs)[section])[flag] !== false;

/**
 * What the chart creates that the controller and repo server read: the controller's
 * ServiceAccount, ClusterRole (unless createClusterRoles is false) and Role with their bindings,
 * and, each unless its `configs.*.create` switch is off (the platform then declares it itself),
 * argocd-cm, argocd-cmd-params-cm, argocd-rbac-cm and argocd-secret; argocd-redis always (the
 * chart's redis-secret-init hook creates it).
 */
export function chartObjects(r: ArgoRelease, secrets: ChartSecrets): KubeObject[] {
  const ns = r.namespace;
  const sa = controllerServiceAccount(r);
  const name = controllerFullname(r);
  const controller = labels("application-controller");
  const server = labels("server");
  const cluster = controllerClusterRules(r);
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const saCreate = rec(rec(r.values.controller).serviceAccount).create ?? true;
  const configMap = (cmName: string, data: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: cmName, namespace: ns, labels: server },
    data,
  });
  return [
    ...(saCreate
      ? [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: ns, labels: controller } }]
      : []),
    ...(cluster
      ? [
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name, labels: controller },
            rules: cluster,
          },
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name, labels: controller },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
            subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
          },
        ]
      : []),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name, namespace: ns, labels: controller },
      rules: controllerRoleRules(r),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace: ns, labels: controller },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
    },
    ...(creates(r, "cm") ? [configMap("argocd-cm", argocdCm(r))] : []),
    ...(creates(r, "params") ? [configMap("argocd-cmd-params-cm", argocdCmdParams(r))] : []),
    ...(creates(r, "rbac") ? [configMap("argocd-rbac-cm", argocdRbacCm(r))] : []),
    ...(creates(r, "secret", "createSecret")
      ? [
          {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "argocd-secret", namespace: ns, labels: server },
            type: "Opaque",
            data: { "server.secretkey": b64(secrets.serverSecretKey) },
          },
        ]
      : []),
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "argocd-redis", namespace: ns, labels: labels("redis") },
      type: "Opaque",
      data: { auth: b64(secrets.redisPassword) },
    },
  ];
}

/**
 * The data of a ConfigMap the instance reads (argocd-cm, argocd-cmd-params-cm): the chart's
 * rendering, or, where the chart does not create it, the platform's own object from the plan
 * (an empty map when neither exists: Argo CD's built-in defaults).
 */
export function effectiveConfigMap(
  r: ArgoRelease,
  name: "argocd-cm" | "argocd-cmd-params-cm",
  objects: readonly KubeObject[],
): Record<string, string> {
  const section = name === "argocd-cm" ? "cm" : "params";
  if (creates(r, section)) return name === "argocd-cm" ? argocdCm(r) : argocdCmdParams(r);
  const declared = objects.find(
    (o) =>
      o.apiVersion === "v1" &&
      o.kind === "ConfigMap" &&
      o.metadata.name === name &&
      o.metadata.namespace === r.namespace,
  );
  const data = rec(declared?.data);
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)]));
}
