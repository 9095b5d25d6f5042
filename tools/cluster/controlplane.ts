/**
 * Starts and stops etcd, kube-apiserver and kube-controller-manager as background processes on
 * loopback, each with a pidfile and a log under the state directory (build/cluster/). A process
 * that fails to come up is reported by name with its log file and the log's last lines.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { KubeClient } from "./client";
import { ControlPlaneFlags, controlPlaneFlags, k3sDefaultApiserverFlags } from "./flags";
import { ensurePki, kubeconfig, Pki } from "./pki";

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager"] as const;
export type Component = (typeof COMPONENTS)[number];

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
}

export interface ClusterState {
  dir: string;
  ports: Ports;
  pki: Pki;
  server: string;
  kubeconfig: string;
}

/** A free loopback port (the OS picks; closed again at once, so the component can bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

const pidFile = (dir: string, c: string) => join(dir, "pids", `${c}.pid`);
export const logFile = (dir: string, c: string) => join(dir, "logs", `${c}.log`);

/**
 * The pid of a running component (a control-plane component, or any other process the harness
 * started with startProcess), or undefined (a stale pidfile counts as not running).
 */
export function runningPid(dir: string, c: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dir, c), "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // A recycled pid belongs to something else: only ours carries our state dir on its command line.
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

export class StartError extends Error {
  constructor(
    readonly component: string,
    readonly log: string,
    detail: string,
  ) {
    super(`${component} did not start: ${detail}; see ${log}`);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Starts a background process with a pidfile and a log under `dir` (its command line must name
 * `dir`, which is how runningPid tells it from a recycled pid). `env` replaces the environment.
 */
export function startProcess(
  dir: string,
  c: string,
  bin: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; builtBy?: string } = {},
): number {
  for (const sub of ["pids", "logs"]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const log = logFile(dir, c);
  if (!existsSync(bin))
    throw new StartError(
      c,
      shown(process.cwd(), log),
      `no binary at ${bin} (${opts.builtBy ?? "tools/kube/build.sh"} builds it)`,
    );
  const fd = openSync(log, "a");
  const child = spawn(bin, args, { detached: true, stdio: ["ignore", fd, fd], env: opts.env, cwd: opts.cwd });
  closeSync(fd);
  child.on("error", () => undefined); // reported below: no pid, or the process is gone when polled
  if (child.pid === undefined) throw new StartError(c, shown(process.cwd(), log), `could not run ${bin}`);
  child.unref();
  writeFileSync(pidFile(dir, c), `${child.pid}\n`);
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns true, the process dies, or `timeoutMs` passes; the error names
 * the component and its log either way.
 */
/** Is this process still there (not gone, not a zombie)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

export async function waitFor(
  dir: string,
  c: string,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  // The pid as recorded; checked by liveness only, since right after spawn the child's command
  // line may not show its own arguments yet (runningPid's check is for pidfiles of earlier runs).
  const pid = runningPid(dir, c) ?? Number(readFileSync(pidFile(dir, c), "utf8").trim());
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    const log = shown(process.cwd(), logFile(dir, c));
    if (!alive(pid))
      throw new StartError(c, log, `it exited before ${what}\n--- last lines of ${log}:\n${tail(logFile(dir, c))}`);
    if (Date.now() > deadline)
      throw new StartError(
        c,
        log,
        `no ${what} within ${timeoutMs / 1000} s${last ? ` (last: ${last})` : ""}\n--- last lines of ${log}:\n${tail(logFile(dir, c))}`,
      );
    await sleep(250);
  }
}

export interface StartOptions {
  dir: string;
  binDir: string;
  /** The stack's rendered k3s server configuration (flags.ts renderedServerConfig). */
  k3sConfig: Record<string, unknown>;
  /** How long each component may take to become ready. */
  timeoutMs?: number;
  /**
   * Start on the ports recorded in ports.json even when nothing is running (the same site address
   * after a full stop, as disaster recovery needs); fresh ports otherwise.
   */
  keepPorts?: boolean;
}

/** Starts whatever is not running yet and waits until the API server is ready (/readyz). */
export async function startControlPlane(opts: StartOptions): Promise<ClusterState> {
  const { dir } = opts;
  const timeoutMs = opts.timeoutMs ?? 180_000;
  for (const sub of ["pids", "logs", "etcd"]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const pki = ensurePki(dir);
  const ports = await controlPlanePorts(dir, opts.keepPorts ?? false);
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const files = writeControlPlaneFiles(dir, opts.k3sConfig, pki, server);
  const etcdUrl = await startEtcd(opts, ports, files.flags.etcd, timeoutMs);

  if (runningPid(dir, "kube-apiserver") === undefined) startApiserver(opts, ports, etcdUrl, pki, files.flags);
  const client = new KubeClient({ server, ca: pki.ca, crt: pki.admin.crt, key: pki.admin.key });
  try {
    await waitFor(
      dir,
      "kube-apiserver",
      "ready /readyz",
      async () => {
        const res = await client.request("GET", "/readyz", undefined, { timeoutMs: 3000 });
        return res.status === 200;
      },
      timeoutMs,
    );
    if (runningPid(dir, "kube-controller-manager") === undefined)
      startControllerManager(opts, ports, pki, files.controllerManagerKubeconfig, files.flags);
    // Ready when the ServiceAccount controller has run: tenant pods need their namespace's
    // `default` account (ServiceAccount admission) and quota admission needs the quota controller.
    await waitFor(
      dir,
      "kube-controller-manager",
      "`default` ServiceAccount in namespace default",
      async () => {
        const res = await client.request("GET", "/api/v1/namespaces/default/serviceaccounts/default");
        return res.status === 200;
      },
      timeoutMs,
    );
  } finally {
    client.close();
  }
  return { dir, ports, pki, server, kubeconfig: files.adminKubeconfig };
}

/**
 * The ports of a running control plane (or the recorded ones when `keep` asks), or fresh free ones
 * (written to ports.json) for a new one.
 */
async function controlPlanePorts(dir: string, keep: boolean): Promise<Ports> {
  const portsFile = join(dir, "ports.json");
  const running = COMPONENTS.filter((c) => runningPid(dir, c) !== undefined);
  if ((running.length || keep) && existsSync(portsFile)) return JSON.parse(readFileSync(portsFile, "utf8")) as Ports;
  const ports: Ports = {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
  };
  writeFileSync(portsFile, `${JSON.stringify(ports, null, 2)}\n`);
  return ports;
}

/**
 * The admin and controller-manager kubeconfigs, the encryption key (kept across restarts: etcd
 * holds data encrypted with it) and the files the k3s-derived flags name.
 */
function writeControlPlaneFiles(
  dir: string,
  k3sConfig: Record<string, unknown>,
  pki: Pki,
  server: string,
): { adminKubeconfig: string; controllerManagerKubeconfig: string; flags: ControlPlaneFlags } {
  const adminKubeconfig = join(dir, "kubeconfig");
  writeFileSync(adminKubeconfig, kubeconfig(server, pki.ca, pki.admin.crt, pki.admin.key, "admin"), { mode: 0o600 });
  const controllerManagerKubeconfig = join(dir, "controller-manager.kubeconfig");
  writeFileSync(
    controllerManagerKubeconfig,
    kubeconfig(server, pki.ca, pki.controllerManager.crt, pki.controllerManager.key, "system:kube-controller-manager"),
    { mode: 0o600 },
  );
  const keyFile = join(dir, "pki", "encryption.key");
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString("base64"), { mode: 0o600 });
  const flags = controlPlaneFlags(k3sConfig, dir, readFileSync(keyFile, "utf8").trim());
  for (const f of flags.files) {
    mkdirSync(join(dir, f.path, ".."), { recursive: true });
    writeFileSync(join(dir, f.path), f.content, { mode: 0o600 });
  }
  return { adminKubeconfig, controllerManagerKubeconfig, flags };
}

/** Starts etcd unless it runs (with the site's etcd flags), and waits until it is healthy; returns its client URL. */
async function startEtcd(opts: StartOptions, ports: Ports, siteFlags: string[], timeoutMs: number): Promise<string> {
  const { dir, binDir } = opts;
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
  if (runningPid(dir, "etcd") === undefined) {
    const peer = `http://127.0.0.1:${ports.etcdPeer}`;
    startProcess(dir, "etcd", join(binDir, "etcd"), [
      "--name=local",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=local=${peer}`,
      // A throwaway test datastore on a shared machine: fsync would only make every write slower.
      "--unsafe-no-fsync",
      "--log-level=warn",
      ...siteFlags,
    ]);
  }
  await waitFor(
    dir,
    "etcd",
    "healthy /health",
    async () => {
      const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok && ((await res.json()) as { health?: string }).health === "true";
    },
    timeoutMs,
  );
  return etcdUrl;
}

/** kube-apiserver with k3s's defaults and the site's k3s-derived flags (tools/cluster/flags.ts). */
function startApiserver(opts: StartOptions, ports: Ports, etcdUrl: string, pki: Pki, flags: ControlPlaneFlags): void {
  const { dir, binDir } = opts;
  startProcess(dir, "kube-apiserver", join(binDir, "kube-apiserver"), [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    // The `kubernetes` Service's endpoints may not be loopback; nothing in-cluster dials it here.
    "--endpoint-reconciler-type=none",
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(dir, "pki")}`,
    `--tls-cert-file=${pki.serving.crt}`,
    `--tls-private-key-file=${pki.serving.key}`,
    `--client-ca-file=${pki.ca}`,
    `--service-account-key-file=${pki.serviceAccount.pub}`,
    `--service-account-signing-key-file=${pki.serviceAccount.key}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    ...k3sDefaultApiserverFlags(),
    ...flags.apiserver,
  ]);
}

/** kube-controller-manager: one instance, signing with the harness CA, the site's flags. */
function startControllerManager(
  opts: StartOptions,
  ports: Ports,
  pki: Pki,
  kcmKubeconfig: string,
  flags: ControlPlaneFlags,
): void {
  const { dir, binDir } = opts;
  startProcess(dir, "kube-controller-manager", join(binDir, "kube-controller-manager"), [
    `--kubeconfig=${kcmKubeconfig}`,
    `--authentication-kubeconfig=${kcmKubeconfig}`,
    `--authorization-kubeconfig=${kcmKubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${join(dir, "pki", "controller-manager-serving")}`,
    `--service-account-private-key-file=${pki.serviceAccount.key}`,
    `--root-ca-file=${pki.ca}`,
    `--cluster-signing-cert-file=${pki.ca}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    // One instance: nothing to elect, and no Lease writes competing with the tests.
    "--leader-elect=false",
    // Harness only (k3s keeps the 5 m default): the CRDs here are seconds older than the tenant
    // quotas that count their kinds (count/httproutes..., count/sealedsecrets...), and until a
    // full quota resync counts them, quota admission refuses those kinds ("status unknown").
    // Not shorter: a resync racing with the count tests' bursts of creates can write a stale
    // low count (quota is eventually consistent) and let one object too many through.
    "--resource-quota-sync-period=60s",
    ...flags.controllerManager,
  ]);
}

/** Stops every component (controller manager first, etcd last); returns what was stopped. */
export async function stopControlPlane(dir: string, timeoutMs = 30_000): Promise<Component[]> {
  return (await stopProcesses(dir, [...COMPONENTS].reverse(), timeoutMs)) as Component[];
}

/**
 * Stops the named processes in order: SIGTERM, then SIGKILL once `timeoutMs` has passed (an API
 * server's graceful shutdown can outlast a dead etcd); returns when each is gone, with what was
 * stopped.
 */
export async function stopProcesses(dir: string, names: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  const stopped: string[] = [];
  for (const c of names) {
    const pid = runningPid(dir, c);
    if (pid === undefined) {
      rmSync(pidFile(dir, c), { force: true });
      continue;
    }
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + timeoutMs;
    while (runningPid(dir, c) !== undefined && Date.now() < deadline) await sleep(100);
    if (runningPid(dir, c) !== undefined) {
      process.kill(pid, "SIGKILL");
      while (runningPid(dir, c) !== undefined) await sleep(100);
    }
    rmSync(pidFile(dir, c), { force: true });
    stopped.push(c);
  }
  return stopped;
}

/** Relative path for messages (build/cluster/logs/etcd.log rather than an absolute path). */
export function shown(root: string, p: string): string {
  return relative(root, p) || p;
}

/** The Go-built binaries (tools/kube/build.sh: cached by version, built only when the pin changes). */
export function ensureBinaries(root: string): string {
  try {
    return execFileSync("bash", [join(root, "tools", "kube", "build.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  } catch {
    throw new Error("building the Kubernetes binaries failed (tools/kube/build.sh, output above)");
  }
}
