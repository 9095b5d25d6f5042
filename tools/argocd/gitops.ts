/**
 * `npm run cluster -- up --gitops`: the tenant-facing Argo CD of the plan running against the
 * local API server (tools/cluster): its application controller and repo server (the multicall
 * binary tools/argocd/build.sh builds at the platform's Argo CD pin), a Redis (Debian's
 * redis-server) and the tenants' Git hosts (tools/argocd/gitserver.ts), each a background process
 * with a pidfile and a log under the cluster's state directory, as the control plane's are.
 *
 * Configured from the plan only: the instance that watches the tenant Applications' namespace
 * (tools/argocd/instance.ts), its argocd-cm and argocd-cmd-params-cm as the chart renders them
 * from the values the program sets (tools/argocd/chart.ts; applied by `up` with the other chart
 * stand-ins), reaching each process through the environment variables Argo CD's own manifests map
 * them to (tools/argocd/env.ts). The controller authenticates with a token the TokenRequest API
 * issues for its ServiceAccount, so the API server sees the identity and RBAC the platform gives
 * it (never the harness's system:masters certificate).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import type { ClusterState } from "../cluster/controlplane";
import { freePort, runningPid, startProcess, stopProcesses, waitFor } from "../cluster/controlplane";
import { KubeClient } from "../cluster/client";
import type { KubeObject } from "../cluster/objects";
import { signServing } from "../cluster/pki";
import { argocdReleases, chartSecrets, PlannedRelease } from "./chart";
import { containerEnv, EnvSource, resolveEnv } from "./env";
import { rec } from "../../components/rules/types";
import { GitopsInstance, tenantInstance } from "./instance";
import { pushChart, TenantRepo, tenantRepo, unservable } from "./repos";

export const CONTROLLER = "argocd-application-controller";
export const REPO_SERVER = "argocd-repo-server";
/** Stop order: the controller first, the Git hosts last. */
export const GITOPS_PROCESSES = [CONTROLLER, REPO_SERVER, "redis", "git-server"] as const;

interface GitopsPorts {
  git: number;
  redis: number;
  repoServer: number;
  repoServerMetrics: number;
  controllerMetrics: number;
}

/** What `up --gitops` leaves in `<state>/gitops/gitops.json` for the tests and the bench. */
export interface GitopsState {
  /** The instance's namespace and release, and the identity its controller runs as. */
  namespace: string;
  release: string;
  controller: { serviceAccount: string; user: string; groups: string[] };
  /** argocd-cm and argocd-cmd-params-cm as the instance reads them. */
  cm: Record<string, string>;
  params: Record<string, string>;
  ports: GitopsPorts;
  /** Per tenant: its Application and repository (absent: the tenant's repoURL is not served here). */
  tenants: Record<string, { application: string; applicationNamespace: string; namespace: string; repo?: TenantRepo }>;
  /** Tenants whose repository is not served, with the reason. */
  unserved: Record<string, string>;
  /** The argo-cd binaries' directory and the Git hosts' proxy log. */
  binDir: string;
  gitLog: string;
}

const say = (s: string) => process.stderr.write(`cluster: ${s}\n`);
export const gitopsDir = (dir: string) => join(dir, "gitops");

/** Argo CD and Helm from Go modules (tools/argocd/build.sh: cached by version); the bin directory. */
export function ensureArgocd(root: string): string {
  const r = spawnSync("bash", [join(root, "tools", "argocd", "build.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error("building Argo CD failed (tools/argocd/build.sh, output above)");
  return r.stdout.trim();
}

export function readGitopsState(dir: string): GitopsState {
  try {
    return JSON.parse(readFileSync(join(gitopsDir(dir), "gitops.json"), "utf8")) as GitopsState;
  } catch {
    throw new Error(`no ${join(gitopsDir(dir), "gitops.json")}: run \`npm run cluster -- up --gitops\` first`);
  }
}

async function gitopsPorts(dir: string): Promise<GitopsPorts> {
  const file = join(gitopsDir(dir), "ports.json");
  if (existsSync(file) && GITOPS_PROCESSES.some((p) => runningPid(dir, p) !== undefined))
    return JSON.parse(readFileSync(file, "utf8")) as GitopsPorts;
  const ports = {
    git: await freePort(),
    redis: await freePort(),
    repoServer: await freePort(),
    repoServerMetrics: await freePort(),
    controllerMetrics: await freePort(),
  };
  writeFileSync(file, `${JSON.stringify(ports, null, 2)}\n`);
  return ports;
}

/**
 * The tenants' repositories: created from `<tenantRepos>/<tenant>/` when missing (an existing one
 * is kept: Git outlives the site), served at their repoURL.
 */
function prepareRepos(
  dir: string,
  inst: GitopsInstance,
  tenantRepos: string | undefined,
): Pick<GitopsState, "tenants" | "unserved"> {
  const tenants: GitopsState["tenants"] = {};
  const unserved: Record<string, string> = {};
  for (const app of inst.apps) {
    const entry = { application: app.name, applicationNamespace: app.namespace, namespace: app.destinationNamespace };
    const problem = unservable(app.repoURL);
    if (problem) {
      unserved[app.tenant] = `${app.repoURL}: ${problem}`;
      tenants[app.tenant] = entry;
      continue;
    }
    const repo = tenantRepo(app, join(gitopsDir(dir), "repos"));
    const chart = tenantRepos ? join(tenantRepos, app.tenant) : undefined;
    if (!existsSync(repo.bare)) {
      if (!chart || !existsSync(chart)) {
        unserved[app.tenant] = `no chart directory ${chart ?? "(--tenant-repos not given)"}`;
        tenants[app.tenant] = entry;
        continue;
      }
      pushChart(repo, chart, `${app.tenant}: initial chart`);
    }
    tenants[app.tenant] = { ...entry, repo };
  }
  return { tenants, unserved };
}

/** The Git hosts' certificate (harness CA, one SAN per host) and the trust Argo CD reads per host. */
function gitTls(dir: string, state: ClusterState, hosts: string[]): { cert: string; key: string; tlsData: string } {
  const name = `git-${createHash("sha256").update(hosts.join(",")).digest("hex").slice(0, 12)}`;
  const { crt, key } = signServing(
    state.pki.dir,
    name,
    `/CN=${hosts[0] ?? "git.invalid"}`,
    hosts.map((h) => `DNS:${h}`).join(","),
  );
  // argocd-tls-certs-cm's layout (one file per host name, PEM): Argo CD passes it to git as
  // GIT_SSL_CAINFO and to its own HTTP client as the roots for that host.
  const tlsData = join(gitopsDir(dir), "tls");
  rmSync(tlsData, { recursive: true, force: true });
  mkdirSync(tlsData, { recursive: true });
  for (const h of hosts) writeFileSync(join(tlsData, h), readFileSync(state.pki.ca));
  return { cert: crt, key, tlsData };
}

/** Resolves once something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Redis answers PONG to an authenticated PING. */
function redisPong(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let out = "";
    s.setTimeout(2000, () => s.destroy());
    s.on("data", (d) => {
      out += d.toString();
      if (out.includes("+PONG")) {
        s.destroy();
        resolve(true);
      }
    });
    s.once("connect", () => s.write(`AUTH ${password}\r\nPING\r\n`));
    s.once("error", () => resolve(false));
    s.once("close", () => resolve(out.includes("+PONG")));
  });
}

async function startRedis(dir: string, port: number, password: string, timeoutMs: number): Promise<void> {
  const g = gitopsDir(dir);
  const conf = join(g, "redis.conf");
  mkdirSync(join(g, "redis"), { recursive: true });
  // In memory only (the chart's Redis keeps nothing either): a cache Argo CD refills.
  writeFileSync(
    conf,
    [
      "bind 127.0.0.1",
      `port ${port}`,
      `dir ${join(g, "redis")}`,
      'save ""',
      "appendonly no",
      `requirepass ${password}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  if (runningPid(dir, "redis") === undefined) {
    // Debian's redis-tools ships the server as redis-check-rdb, which runs as a server when called
    // by another name (redis-server is only that name): a link under the state directory.
    const real = "/usr/bin/redis-check-rdb";
    if (!existsSync(real))
      throw new Error("Redis is not installed: run `bash tools/ensure-tools.sh` (as root; redis-tools)");
    const link = join(g, "bin", "redis-server");
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(real, link);
    startProcess(dir, "redis", link, [conf]);
  }
  await waitFor(dir, "redis", "PONG", () => redisPong(port, password), timeoutMs);
}

/**
 * A kubeconfig with a TokenRequest token for the controller's ServiceAccount (24 h; `up` again
 * issues a fresh one), and the identity the API server sees for it (a SelfSubjectReview).
 */
async function controllerKubeconfig(
  dir: string,
  state: ClusterState,
  inst: GitopsInstance,
): Promise<{ file: string; user: string; groups: string[] }> {
  const admin = new KubeClient({
    server: state.server,
    ca: state.pki.ca,
    crt: state.pki.admin.crt,
    key: state.pki.admin.key,
  });
  let token: string;
  try {
    const res = await admin.request(
      "POST",
      `/api/v1/namespaces/${inst.namespace}/serviceaccounts/${inst.serviceAccount}/token`,
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 86400 } },
    );
    token = String((res.body.status as { token?: string } | undefined)?.token ?? "");
    if (res.status !== 201 || !token)
      throw new Error(
        `TokenRequest for ${inst.namespace}/${inst.serviceAccount}: ${res.status} ${String(res.body.message ?? "")}`,
      );
  } finally {
    admin.close();
  }
  const self = new KubeClient({ server: state.server, ca: state.pki.ca, token });
  let user: string;
  let groups: string[];
  try {
    const r = await self.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "SelfSubjectReview",
    });
    const info = ((r.body.status as { userInfo?: { username?: string; groups?: string[] } }) ?? {}).userInfo ?? {};
    user = String(info.username ?? "");
    groups = info.groups ?? [];
  } finally {
    self.close();
  }
  if (groups.includes("system:masters"))
    throw new Error(`the controller's token authenticates as system:masters (${user})`);
  const file = join(gitopsDir(dir), "controller.kubeconfig");
  writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: local",
      "    cluster:",
      `      server: ${state.server}`,
      `      certificate-authority-data: ${readFileSync(state.pki.ca).toString("base64")}`,
      "users:",
      `  - name: ${inst.serviceAccount}`,
      "    user:",
      `      token: ${token}`,
      "contexts:",
      "  - name: local",
      "    context:",
      "      cluster: local",
      `      user: ${inst.serviceAccount}`,
      `      namespace: ${inst.namespace}`,
      "current-context: local",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { file, user, groups };
}

/**
 * The environment each component's pod would get from the instance's ConfigMaps and Secrets
 * (upstream's manifests decide which key feeds which variable), then the harness's own: paths
 * that are volumes in the pod, and the proxy to the local Git hosts.
 */
function componentEnv(
  binDir: string,
  component: typeof CONTROLLER | typeof REPO_SERVER,
  inst: GitopsInstance,
  redisPassword: string,
): Record<string, string> {
  const file =
    component === CONTROLLER ? "argocd-application-controller-statefulset.yaml" : "argocd-repo-server-deployment.yaml";
  const manifest = join(binDir, "..", "manifests", file);
  // The chart's container env: upstream's entries, then `<component>.env` from the values
  // (templates/argocd-*/deployment.yaml, statefulset.yaml); a later entry wins, as in a pod.
  const sources = [...containerEnv(readFileSync(manifest, "utf8"), component, manifest), ...chartEnv(inst, component)];
  return resolveEnv(sources, {
    ConfigMap: { "argocd-cm": inst.cm, "argocd-cmd-params-cm": inst.params },
    Secret: { "argocd-redis": { auth: redisPassword } },
  });
}

const valuesKey = (component: typeof CONTROLLER | typeof REPO_SERVER) =>
  component === CONTROLLER ? "controller" : "repoServer";

/** `global.env` then `<component>.env` of the release's values (the chart concatenates them), as env sources. */
function chartEnv(inst: GitopsInstance, component: typeof CONTROLLER | typeof REPO_SERVER): EnvSource[] {
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  const env = [
    ...list(rec(inst.release.values.global).env),
    ...list(rec(inst.release.values[valuesKey(component)]).env),
  ];
  if (!env.length) return [];
  const asManifest = JSON.stringify({ spec: { template: { spec: { containers: [{ name: component, env }] } } } });
  return containerEnv(asManifest, component, `values.${valuesKey(component)}.env`);
}

/** `<component>.extraArgs` of the release's values (the chart appends them to the container's args). */
function chartArgs(inst: GitopsInstance, component: typeof CONTROLLER | typeof REPO_SERVER): string[] {
  const extra = rec(inst.release.values[valuesKey(component)]).extraArgs;
  return Array.isArray(extra) ? extra.map(String) : [];
}

function processEnv(
  dir: string,
  binDir: string,
  ports: GitopsPorts,
  fromPod: Record<string, string>,
  extra: Record<string, string>,
) {
  const g = gitopsDir(dir);
  for (const sub of ["home", "tmp", "helm", "kubecache", "ssh", "gpg", "plugins"])
    mkdirSync(join(g, sub), { recursive: true });
  writeFileSync(join(g, "ssh", "ssh_known_hosts"), "");
  return {
    ...fromPod,
    // Volumes in the pod, directories here.
    HELM_CACHE_HOME: join(g, "helm"),
    HELM_CONFIG_HOME: join(g, "helm"),
    HELM_DATA_HOME: join(g, "helm"),
    KUBECACHEDIR: join(g, "kubecache"),
    HOME: join(g, "home"),
    TMPDIR: join(g, "tmp"),
    ARGOCD_TLS_DATA_PATH: join(g, "tls"),
    ARGOCD_SSH_DATA_PATH: join(g, "ssh"),
    ARGOCD_GNUPGHOME: join(g, "gpg"),
    ARGOCD_PLUGINSOCKFILEPATH: join(g, "plugins"),
    ARGOCD_ASK_PASS_SOCK: join(g, "askpass.sock"),
    // The image's PATH: the binary, Helm and upstream's wrapper scripts, then git and gpg.
    PATH: `${binDir}:/usr/local/bin:/usr/bin:/bin`,
    // Every outbound request goes to the local Git hosts' proxy, which refuses anything else.
    HTTPS_PROXY: `http://127.0.0.1:${ports.git}`,
    https_proxy: `http://127.0.0.1:${ports.git}`,
    HTTP_PROXY: `http://127.0.0.1:${ports.git}`,
    http_proxy: `http://127.0.0.1:${ports.git}`,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    ...extra,
  };
}

/** A name under the state directory that runs the multicall binary as `component` (argv[0]). */
function componentBin(dir: string, binDir: string, component: string): string {
  const link = join(gitopsDir(dir), "bin", component);
  mkdirSync(dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(join(binDir, "argocd"), link);
  return link;
}

export interface GitopsOptions {
  dir: string;
  state: ClusterState;
  resources: readonly PlannedRelease[];
  objects: readonly KubeObject[];
  tenantRepos?: string;
  /** The Argo CD bin directory (ensureArgocd). */
  binDir: string;
  timeoutMs?: number;
}

/** Starts (or reuses) the Git hosts, Redis, the repo server and the controller. */
export async function startGitops(opts: GitopsOptions): Promise<GitopsState> {
  const { dir, state, binDir } = opts;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const g = gitopsDir(dir);
  mkdirSync(g, { recursive: true, mode: 0o700 });
  const inst = tenantInstance(argocdReleases(opts.resources), opts.objects);
  const ports = await gitopsPorts(dir);
  const repos = prepareRepos(dir, inst, opts.tenantRepos);
  const hosts = [...new Set(Object.values(repos.tenants).flatMap((t) => (t.repo ? [t.repo.host] : [])))].sort();
  for (const [t, why] of Object.entries(repos.unserved)) say(`tenant ${t}: repository not served (${why})`);

  const tls = gitTls(dir, state, hosts);
  const gitConfig = JSON.stringify({ hosts, cert: tls.cert, key: tls.key }, null, 2);
  const gitConfigFile = join(g, "gitserver.json");
  // A changed host set needs a fresh Git server (it reads its configuration once).
  if (existsSync(gitConfigFile) && readFileSync(gitConfigFile, "utf8") !== gitConfig)
    await stopProcesses(dir, ["git-server"]);
  writeFileSync(gitConfigFile, gitConfig);
  if (runningPid(dir, "git-server") === undefined)
    startProcess(dir, "git-server", process.execPath, [join(__dirname, "gitserver.js"), g, String(ports.git)], {
      builtBy: "npm run build",
    });
  await waitFor(dir, "git-server", "an answer on /healthz", () => listening(ports.git), timeoutMs);

  const secrets = chartSecrets(inst.release, storeOf(dir));
  await startRedis(dir, ports.redis, secrets.redisPassword, timeoutMs);
  const kc = await controllerKubeconfig(dir, state, inst);
  await startArgoProcesses(dir, binDir, inst, ports, secrets.redisPassword, kc.file, timeoutMs);

  const out: GitopsState = {
    namespace: inst.namespace,
    release: inst.release.release,
    controller: { serviceAccount: inst.serviceAccount, user: kc.user, groups: kc.groups },
    cm: inst.cm,
    params: inst.params,
    ports,
    ...repos,
    binDir,
    gitLog: join(dir, "logs", "git-server.log"),
  };
  writeFileSync(join(g, "gitops.json"), `${JSON.stringify(out, null, 2)}\n`);
  say(
    `Argo CD (${inst.namespace}/${inst.release.release}) controller as ${kc.user}, repo server on 127.0.0.1:${ports.repoServer}, ${Object.keys(repos.tenants).length} tenant applications`,
  );
  return out;
}

/** The harness's secret store (build/cluster/secrets.json, written by planObjects). */
function storeOf(dir: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(join(dir, "secrets.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function startArgoProcesses(
  dir: string,
  binDir: string,
  inst: GitopsInstance,
  ports: GitopsPorts,
  redisPassword: string,
  kubeconfigFile: string,
  timeoutMs: number,
): Promise<void> {
  const redis = `127.0.0.1:${ports.redis}`;
  if (runningPid(dir, REPO_SERVER) === undefined) {
    const env = processEnv(dir, binDir, ports, componentEnv(binDir, REPO_SERVER, inst, redisPassword), {
      // GPG verification needs the image's gpg setup; no platform project requires signed commits.
      ARGOCD_GPG_ENABLED: "false",
    });
    startProcess(
      dir,
      REPO_SERVER,
      componentBin(dir, binDir, REPO_SERVER),
      [
        "--address=127.0.0.1",
        `--port=${ports.repoServer}`,
        "--metrics-address=127.0.0.1",
        `--metrics-port=${ports.repoServerMetrics}`,
        // Loopback between two processes of one machine (in the cluster: TLS, or the NetworkPolicy).
        "--disable-tls",
        // Its default is the pod's mTLS mount, which conflicts with --disable-tls.
        "--client-ca-path=",
        `--redis=${redis}`,
        "--logformat=text",
        ...chartArgs(inst, REPO_SERVER),
      ],
      { env, cwd: gitopsDir(dir), builtBy: "tools/argocd/build.sh" },
    );
  }
  await waitFor(dir, REPO_SERVER, "its gRPC port", () => listening(ports.repoServer), timeoutMs);
  if (runningPid(dir, CONTROLLER) === undefined) {
    const env = processEnv(dir, binDir, ports, componentEnv(binDir, CONTROLLER, inst, redisPassword), {
      KUBECONFIG: kubeconfigFile,
      // The in-cluster destination (https://kubernetes.default.svc) through KUBECONFIG: the pod
      // would read the same identity's token from its mounted ServiceAccount.
      ARGOCD_FAKE_IN_CLUSTER: "true",
    });
    startProcess(
      dir,
      CONTROLLER,
      componentBin(dir, binDir, CONTROLLER),
      [
        `--kubeconfig=${kubeconfigFile}`,
        `--namespace=${inst.namespace}`,
        `--repo-server=127.0.0.1:${ports.repoServer}`,
        "--repo-server-plaintext",
        `--redis=${redis}`,
        `--metrics-port=${ports.controllerMetrics}`,
        "--logformat=text",
        ...chartArgs(inst, CONTROLLER),
      ],
      { env, cwd: gitopsDir(dir), builtBy: "tools/argocd/build.sh" },
    );
  }
  await waitFor(
    dir,
    CONTROLLER,
    "/healthz",
    async () =>
      (await fetch(`http://127.0.0.1:${ports.controllerMetrics}/healthz`).catch(() => undefined))?.ok === true,
    timeoutMs,
  );
}

/** Stops the controller, repo server, Redis and Git hosts; returns what was stopped. */
export async function stopGitops(dir: string): Promise<string[]> {
  return stopProcesses(dir, GITOPS_PROCESSES);
}
