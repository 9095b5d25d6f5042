/**
 * The engine harness: the real Pulumi CLI (tools/pulumi/build.sh) and Kubernetes provider run the
 * engine program (program.ts) through the Automation API against the local control plane
 * (tools/cluster/controlplane.ts, one lifecycle with test:cluster), with a file backend and
 * passphrase secrets under build/engine/. Layout of the state directory:
 *   cluster/   the control plane's own state (etcd, pki, logs)
 *   state/     the file backend (file://...): checkpoints, history
 *   home/      PULUMI_HOME (plugin cache, credentials: nothing from the user's ~/.pulumi)
 *   project/   Pulumi.yaml (the repository's) and the generated Pulumi.<stack>.yaml
 *   bin/       the stand-in plugins' executables (standins/)
 *   charts/    the stand-in charts (charts.ts)
 *   real-charts/ the real charts the Go module proxy serves (charts.ts REAL_CHARTS)
 *   passphrase the secrets passphrase of this state (random, 0600)
 */
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { SECRET_KEYS } from "../../components/config/schema";
import { stackK3s } from "../cluster/cli";
import { ClusterState, ensureBinaries, startControlPlane, stopControlPlane } from "../cluster/controlplane";
import { loadCrds } from "../cluster/crds";
import { renderedServerConfig } from "../cluster/flags";
import { readStackConfig, repoRoot } from "../plan/runtime";
import { writeRealCharts, writeStandInCharts } from "./charts";
import { engineProgram } from "./program";

export const ENGINE_DIR = join(repoRoot, "build", "engine");

export interface EngineBinaries {
  /** Directory with `pulumi` and the bundled dynamic-provider host. */
  cliBin: string;
  /** Directory with `pulumi-resource-kubernetes`. */
  providerBin: string;
}

const say = (s: string) => process.stderr.write(`engine: ${s}\n`);

/** The CLI and the provider, built by tools/pulumi/build.sh (cached by version; progress on stderr). */
export function ensureEngineBinaries(root = repoRoot): EngineBinaries {
  const build = (what: string) => {
    try {
      return execFileSync("bash", [join(root, "tools", "pulumi", "build.sh"), what], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
      }).trim();
    } catch {
      throw new Error(`building ${what} failed (tools/pulumi/build.sh ${what}, output above)`);
    }
  };
  return { cliBin: build("cli"), providerBin: build("kubernetes") };
}

/** Writes `bin/pulumi-resource-{random,hcloud}`: the stand-ins, run by this checkout's node. */
function writeStandInPlugins(dir: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const name of ["random", "hcloud"]) {
    const script = join(repoRoot, "build", "tools", "engine", "standins", `${name}.js`);
    writeFileSync(
      join(bin, `pulumi-resource-${name}`),
      `#!/bin/sh\n# Engine-test stand-in (tools/engine/standins/providers.ts), not the ${name} provider.\nexec '${process.execPath}' '${script}' "$@"\n`,
      { mode: 0o755 },
    );
  }
  return bin;
}

export interface EngineOptions {
  /** The stack whose file (Pulumi.<stack>.yaml) is deployed. */
  stack: string;
  /** Tenants directory (default: the stack's, tenants/). */
  tenants?: string;
  /** State directory (default build/engine). */
  dir?: string;
  /** Replaces the stack file's `config:` mapping (the bench's scaled pools). */
  stackConfig?: Record<string, unknown>;
  /** The control plane's state directory (default <dir>/cluster). */
  clusterDir?: string;
  /** Plain config set on top of the stack file (keys without namespace get the project's). */
  overrides?: Record<string, unknown>;
  /** Secret config keys left unset (the missing-secret test). */
  omitSecrets?: readonly string[];
}

/** A prepared engine: the stack (Automation API), the control plane and the environment it runs with. */
export interface Engine {
  stack: Stack;
  cluster: ClusterState;
  dir: string;
  env: Record<string, string>;
  binaries: EngineBinaries;
  /** The k3s server configuration the control plane was started with. */
  k3sConfig: Record<string, unknown>;
  /** The control plane's kubectl (tools/kube/build.sh). */
  kubectl: string;
  /** The stack's checkpoint file in the file backend. */
  stateFile: string;
}

/** The generated secret config values: random, except the Sealed Secrets pair (a real key and certificate). */
function secretValues(cluster: ClusterState): Record<string, string> {
  const hex = (n: number) => randomBytes(n).toString("hex");
  const values: Record<string, string> = {
    hcloudToken: hex(32),
    k3sToken: hex(32),
    etcdS3AccessKey: hex(10),
    etcdS3SecretKey: hex(20),
    sealedSecretsKey: readFileSync(cluster.pki.tlsSecret.key, "utf8"),
    sealedSecretsCert: readFileSync(cluster.pki.tlsSecret.crt, "utf8"),
    gitopsRepoPassword: hex(20),
  };
  const unknown = SECRET_KEYS.filter((k) => !(k in values));
  if (unknown.length)
    throw new Error(`engine: no generated value for secret config ${unknown.join(", ")} (tools/engine/workspace.ts)`);
  return values;
}

/**
 * Pulumi.<stack>.yaml of the engine project: the stack file's plain config plus overrides; secure
 * values kept. Returns the keys the file now sets. (Read from the file: the CLI refuses even
 * `pulumi config` on a stack that lacks a declared secret.)
 */
function writeStackFile(projectDir: string, opts: EngineOptions): string[] {
  const file = join(projectDir, `Pulumi.${opts.stack}.yaml`);
  const current = existsSync(file) ? ((parse(readFileSync(file, "utf8")) as Record<string, unknown>) ?? {}) : {};
  const kept = Object.fromEntries(
    Object.entries((current.config ?? {}) as Record<string, unknown>).filter(
      ([, v]) => !!v && typeof v === "object" && "secure" in (v as object),
    ),
  );
  const full = (k: string) => (k.includes(":") ? k : `video-platform:${k}`);
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts.stackConfig ?? readStackConfig(opts.stack))) plain[full(k)] = v;
  for (const [k, v] of Object.entries(opts.overrides ?? {})) plain[full(k)] = v;
  // The program reads tenant files relative to its working directory; the engine's is the project
  // directory under build/, so the directory is made absolute (against the repository).
  const tenants = opts.tenants ?? (plain["video-platform:tenantsDir"] as string | undefined) ?? "tenants";
  plain["video-platform:tenantsDir"] = resolve(repoRoot, tenants);
  const config = { ...plain, ...kept };
  writeFileSync(file, stringify({ ...current, config }));
  return Object.keys(config);
}

/** Starts (or reuses) the control plane, writes the project, and selects the stack. */
export async function prepareEngine(opts: EngineOptions): Promise<Engine> {
  const dir = opts.dir ?? ENGINE_DIR;
  const binaries = ensureEngineBinaries();
  const kubeBin = ensureBinaries(repoRoot);
  mkdirSync(dir, { recursive: true });
  const k3sConfig = renderedServerConfig(stackK3s(opts.stack));
  const cluster = await startControlPlane({ dir: opts.clusterDir ?? join(dir, "cluster"), binDir: kubeBin, k3sConfig });
  say(`control plane at ${cluster.server}`);
  const charts = {
    standIn: writeStandInCharts(join(dir, "charts"), loadCrds()),
    real: writeRealCharts(join(dir, "real-charts")),
  };

  const passFile = join(dir, "passphrase");
  if (!existsSync(passFile)) writeFileSync(passFile, randomBytes(24).toString("base64url"), { mode: 0o600 });
  for (const d of ["state", "home", "project"]) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(join(repoRoot, "Pulumi.yaml"), join(dir, "project", "Pulumi.yaml"));
  const env: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: readFileSync(passFile, "utf8"),
    PULUMI_HOME: join(dir, "home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The program's provider sets `enablePatchForce` (components/platform/provider.ts), an option
    // 4.25.0 predates (pulumi/pulumi-kubernetes#4242, 2026-03); this variable is the same switch
    // in the same code path (await.go patchForce: annotation, then option, then this variable).
    // The drift step checks that the program asks for it.
    PULUMI_K8S_ENABLE_PATCH_FORCE: "true",
    PATH: [writeStandInPlugins(dir), binaries.providerBin, binaries.cliBin, process.env.PATH ?? ""].join(":"),
  };
  const pulumiCommand = await PulumiCommand.get({ root: dirname(binaries.cliBin) });
  const program = engineProgram({
    cluster: { server: cluster.server, caFile: cluster.pki.ca, kubeconfigFile: cluster.kubeconfig },
    charts,
  });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stack, projectName: "video-platform", program },
    { workDir: join(dir, "project"), pulumiCommand, envVars: env },
  );
  const have = writeStackFile(join(dir, "project"), opts);
  const values = secretValues(cluster);
  const missing = SECRET_KEYS.filter((k) => !have.includes(`video-platform:${k}`) && !opts.omitSecrets?.includes(k));
  if (missing.length)
    await stack.setAllConfig(Object.fromEntries(missing.map((k) => [k, { value: values[k], secret: true }])));
  return {
    stack,
    cluster,
    k3sConfig,
    dir,
    env,
    binaries,
    kubectl: join(kubeBin, "kubectl"),
    stateFile: join(dir, "state", ".pulumi", "stacks", "video-platform", `${opts.stack}.json`),
  };
}

/** One engine operation's record: its events, the warnings and errors the engine reported. */
export interface EngineRun {
  events: EngineEvent[];
  diagnostics: { severity: string; message: string; urn?: string }[];
  seconds: number;
}

/** Collects the events of an operation (pass `onEvent` to it). */
export function recorder(): { onEvent: (e: EngineEvent) => void; done: (t0: number) => EngineRun } {
  const events: EngineEvent[] = [];
  return {
    onEvent: (e) => events.push(e),
    done: (t0) => ({
      events,
      diagnostics: events
        .map((e) => e.diagnosticEvent)
        .filter((d): d is NonNullable<typeof d> => !!d && (d.severity === "warning" || d.severity === "error"))
        .map((d) => ({ severity: d.severity, message: d.message.trim(), ...(d.urn ? { urn: d.urn } : {}) })),
      seconds: (Date.now() - t0) / 1000,
    }),
  };
}

/**
 * Disaster recovery's starting point: the same site address and CA with an empty datastore. Stops
 * the whole control plane, deletes etcd's data and starts it again on the recorded ports. The
 * controller manager restarts too: kept running, its informers could resume their watches on the
 * new etcd from the old resource versions and keep objects that no longer exist (CI saw the
 * `default` ServiceAccount never recreated), which a real site rebuilt from nothing never has.
 */
export async function freshDatastore(e: Engine): Promise<void> {
  await stopControlPlane(e.cluster.dir, 10_000);
  rmSync(join(e.cluster.dir, "etcd"), { recursive: true, force: true });
  const back = await startControlPlane({
    dir: e.cluster.dir,
    binDir: dirname(e.kubectl),
    k3sConfig: e.k3sConfig,
    keepPorts: true,
  });
  if (back.server !== e.cluster.server)
    throw new Error(`the control plane came back at ${back.server}, not at ${e.cluster.server}`);
}
