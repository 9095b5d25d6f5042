/**
 * `npm run cluster -- up [--stack <name>] [--tenants <dir>] [--gitops [--tenant-repos <dir>]]`
 *                                                              start (or reuse) the local control
 *                                                              plane and apply the stack's Kubernetes layer;
 *                                                              --gitops also starts the tenant-facing
 *                                                              Argo CD (tools/argocd/gitops.ts)
 * `npm run cluster -- down`                                    stop it
 * `npm run cluster -- identities [--json] [--stack <name>] [--tenants <dir>]`
 *                                                              who acts in each tenant (from the plan)
 * See docs/cluster-tests.md. Input problems are reported exactly as `npm run plan` reports them.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { InputError, isInputError } from "../../components/config/errors";
import { validateStackConfig } from "../../components/config/load";
import { etcdQuotaBytes } from "../../components/site/k3s";
import { checkResources, formatViolation, siteContext } from "../../components/rules";
import { FlagSpec, Flags, readFlags, reportFailure, UsageError } from "../cli/args";
import { plan, PlannedResource, readStackConfig, repoRoot } from "../plan/runtime";
import { applyCrds, applyStream, Kubectl, PLAN_REVEAL, planObjects, resourceVersions } from "./apply";
import { ensureArgocd, GITOPS_PROCESSES, GitopsState, startGitops, stopGitops } from "../argocd/gitops";
import { KubeClient } from "./client";
import {
  COMPONENTS,
  ensureBinaries,
  runningPid,
  startControlPlane,
  StartError,
  stopControlPlane,
} from "./controlplane";
import { loadCrds } from "./crds";
import { LocalK3s, renderedServerConfig, unclassifiedKeys } from "./flags";
import { argocdInstances } from "./prereqs";
import { identities } from "./identities";
import type { KubeObject } from "./objects";
import { rec } from "../../components/rules/types";
import { fillSecrets, orderedObjects } from "./objects";

export const STATE_DIR = join(repoRoot, "build", "cluster");

const USAGE = [
  "usage: npm run cluster -- up [--stack <name>] [--tenants <dir>] [--gitops [--tenant-repos <dir>]]",
  "       npm run cluster -- down",
  "       npm run cluster -- identities [--json] [--stack <name>] [--tenants <dir>]",
].join("\n");

export interface ClusterArgs {
  command: "up" | "down" | "identities";
  stack: string;
  tenants?: string;
  json: boolean;
  /** up: also start the tenant-facing Argo CD against the cluster. */
  gitops?: true;
  /** up --gitops: a directory with one chart directory per tenant (`<dir>/<tenant>/`). */
  tenantRepos?: string;
}

export class ClusterUsageError extends Error {}

export function parseClusterArgs(argv: readonly string[]): ClusterArgs {
  const [command, ...rest] = argv;
  if (command !== "up" && command !== "down" && command !== "identities")
    throw new ClusterUsageError(command ? `unknown command ${command}\n${USAGE}` : USAGE);
  // Flags through the projects' one reader (node:util parseArgs: `--stack=prod` works too); each
  // command accepts only its own.
  const spec: FlagSpec =
    command === "down"
      ? {}
      : command === "up"
        ? {
            stack: { type: "string" },
            tenants: { type: "string" },
            gitops: { type: "boolean" },
            "tenant-repos": { type: "string" },
          }
        : { stack: { type: "string" }, tenants: { type: "string" }, json: { type: "boolean" } };
  let flags: Flags<FlagSpec>;
  try {
    flags = readFlags([...rest], spec, USAGE);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new ClusterUsageError(
      err.message
        .replace(/^Unknown option '(--[^']+)'.*$/m, `unknown argument $1 for ${command}`)
        .replace(/^Option '(--[\w-]+)[^']*' argument missing.*$/m, "$1 needs a value"),
    );
  }
  const stack = typeof flags.stack === "string" ? flags.stack : "staging";
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) throw new ClusterUsageError(`--stack: "${stack}" is not a stack name`);
  const tenantRepos = flags["tenant-repos"];
  if (typeof tenantRepos === "string" && flags.gitops !== true)
    throw new ClusterUsageError(`--tenant-repos needs --gitops\n${USAGE}`);
  return {
    command,
    stack,
    ...(typeof flags.tenants === "string" ? { tenants: flags.tenants } : {}),
    json: flags.json === true,
    ...(flags.gitops === true ? { gitops: true as const } : {}),
    ...(typeof tenantRepos === "string" ? { tenantRepos } : {}),
  };
}

/**
 * Waits until every applied ResourceQuota reports usage for each key it limits. Until the quota
 * controller has counted a resource (custom resources are found by its discovery, every 30 s),
 * quota admission refuses every create of it with "status unknown for quota": on a real site the
 * CRDs predate the tenants, here they are seconds old, so `up` returns once counting has begun.
 */
async function quotasCounting(client: KubeClient, objects: readonly KubeObject[], timeoutMs = 240_000): Promise<void> {
  const quotas = objects.filter((o) => o.kind === "ResourceQuota" && o.apiVersion === "v1");
  const deadline = Date.now() + timeoutMs;
  for (const q of quotas) {
    const path = `/api/v1/namespaces/${q.metadata.namespace}/resourcequotas/${q.metadata.name}`;
    for (;;) {
      const status = rec((await client.request("GET", path)).body.status);
      const hard = Object.keys(rec(status.hard));
      const used = rec(status.used);
      const missing = hard.filter((k) => !(k in used));
      if (hard.length && !missing.length) break;
      if (Date.now() > deadline)
        throw new Error(
          `ResourceQuota ${q.metadata.namespace}/${q.metadata.name} does not count ${missing.join(", ")} after ${timeoutMs / 1000} s (kube-controller-manager's log: build/cluster/logs/kube-controller-manager.log)`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The plan of a stack, with the same guardrails `npm run plan` enforces. */
export async function guardedPlan(
  stack: string,
  tenants?: string,
  stackConfig?: Record<string, unknown>,
): Promise<PlannedResource[]> {
  const p = await plan({ stack, tenantsDir: tenants, reveal: PLAN_REVEAL, ...(stackConfig ? { stackConfig } : {}) });
  const violations = checkResources(p.resources, siteContext(stack, stackConfig ?? readStackConfig(stack)));
  if (violations.length) {
    const err = new Error(
      `${violations.map(formatViolation).join("\n")}\nplan: ${violations.length} guardrail violation(s); nothing applied`,
    );
    err.name = "GuardrailError";
    throw err;
  }
  return p.resources;
}

/**
 * What the local control plane takes from the stack file, as the config loader reads it
 * (defaults filled): its k3s section and the datastore quota its control-plane type gets.
 */
export function stackK3s(stack: string): LocalK3s {
  const { config, problems } = validateStackConfig(stack, readStackConfig(stack));
  if (!config || problems.length) throw new InputError(problems);
  const { version, clusterCidr, serviceCidr } = config.k3s;
  return { version, clusterCidr, serviceCidr, etcdQuotaBytes: etcdQuotaBytes(config.site.controlPlane.serverType) };
}

export interface UpResult {
  server: string;
  objects: number;
  crdSeconds: number;
  applySeconds: number;
  startSeconds: number;
  changed: string[];
  /** When the API server answered /readyz (ms since the epoch): the start of a restore's clock. */
  readyAt: number;
  /** When the layer was applied, when every quota counted its keys, when Argo CD ran (ms since the epoch). */
  appliedAt: number;
  countedAt: number;
  gitopsAt?: number;
  /** With --gitops: what runs and where (also in build/cluster/gitops/gitops.json). */
  gitops?: GitopsState;
}

const say = (s: string) => process.stderr.write(`cluster: ${s}\n`);

/** What an earlier `up` applied to this state directory, if anything. */
function readApplied(dir: string): { stack: string; tenants: string | null } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "applied.json"), "utf8")) as { stack: string; tenants: string | null };
  } catch {
    return undefined;
  }
}

export class ClusterStateError extends Error {}

/**
 * One stack per datastore: another stack's objects would clash (immutable fields) or linger. A
 * state directory of another stack or tenant set is removed, unless its processes still run.
 */
function oneStackPerDatastore(dir: string, args: { stack: string; tenants?: string }): void {
  const previous = readApplied(dir);
  if (!previous || (previous.stack === args.stack && (previous.tenants ?? null) === (args.tenants ?? null))) return;
  if ([...COMPONENTS, ...GITOPS_PROCESSES].some((c) => runningPid(dir, c) !== undefined))
    throw new ClusterStateError(
      `the running local cluster holds stack ${previous.stack}${previous.tenants ? ` with tenants ${previous.tenants}` : ""}; run \`npm run cluster -- down\` first`,
    );
  rmSync(dir, { recursive: true, force: true });
}

/** build/cluster/bin/kubectl: the cluster's kubectl with its admin kubeconfig. */
function writeKubectl(dir: string, binDir: string, kubeconfigFile: string): void {
  mkdirSync(join(dir, "bin"), { recursive: true });
  writeFileSync(
    join(dir, "bin", "kubectl"),
    `#!/bin/sh\n# The local cluster's kubectl (npm run cluster -- up), with its admin kubeconfig.\nexec '${binDir}/kubectl' --kubeconfig='${kubeconfigFile}' "$@"\n`,
    { mode: 0o755 },
  );
}

/** build/cluster/applied.json: what `up` applied and as whom, for the suites (test-cluster, test-gitops). */
function writeApplied(
  dir: string,
  args: { stack: string; tenants?: string; gitops?: boolean; tenantRepos?: string },
  a: {
    server: string;
    kubectl: string;
    resources: Awaited<ReturnType<typeof guardedPlan>>;
    objects: KubeObject[];
    applied: string[];
  },
): void {
  const applied = {
    stack: args.stack,
    tenants: args.tenants ?? null,
    gitops: args.gitops === true,
    tenantRepos: args.tenantRepos ?? null,
    server: a.server,
    kubectl: a.kubectl,
    identities: identities(a.objects),
    // Each Argo CD instance of the plan and its controller (test-cluster/argocd.test.ts).
    argocd: argocdInstances(a.resources).map(({ release, namespace, controller }) => ({
      release,
      namespace,
      controller,
    })),
    objects: [...a.applied].sort(),
  };
  writeFileSync(join(dir, "applied.json"), `${JSON.stringify(applied, null, 2)}\n`);
}

/** Everything `up` does; the bench and the tests call it too. */
export async function up(args: {
  stack: string;
  tenants?: string;
  dir?: string;
  gitops?: boolean;
  tenantRepos?: string;
  /** Replaces the stack file's config (the bench's scaled stacks for generated tenants). */
  stackConfig?: Record<string, unknown>;
}): Promise<UpResult> {
  const dir = args.dir ?? STATE_DIR;
  // Input first: a bad tenant file or stack fails here, before anything starts.
  const resources = await guardedPlan(args.stack, args.tenants, args.stackConfig);
  const k3s = renderedServerConfig(stackK3s(args.stack));
  const unknown = unclassifiedKeys(k3s);
  if (unknown.length)
    say(
      `k3s config keys not mapped to the local control plane (classify them in tools/cluster/flags.ts): ${unknown.join(", ")}`,
    );
  oneStackPerDatastore(dir, args);
  const binDir = ensureBinaries(repoRoot);
  // Built before anything starts: a cold build takes minutes and must not eat a restore's clock.
  const argocdBin = args.gitops ? ensureArgocd(repoRoot) : undefined;
  const t0 = Date.now();
  mkdirSync(dir, { recursive: true });
  const state = await startControlPlane({ dir, binDir, k3sConfig: k3s });
  const readyAt = Date.now();
  const startSeconds = (readyAt - t0) / 1000;
  say(`control plane ready at ${state.server} in ${startSeconds.toFixed(1)} s`);
  writeKubectl(dir, binDir, state.kubeconfig);
  const k: Kubectl = {
    bin: join(binDir, "kubectl"),
    kubeconfig: state.kubeconfig,
    cacheDir: join(dir, "kubectl-cache"),
  };
  const crdSeconds = applyCrds(k, dir, loadCrds());
  const objects = planObjects(dir, resources, state.pki.tlsSecret);
  const client = new KubeClient({
    server: state.server,
    ca: state.pki.ca,
    crt: state.pki.admin.crt,
    key: state.pki.admin.key,
  });
  try {
    const before = await resourceVersions(client, objects);
    let applySeconds = applyStream(k, join(dir, "objects.yaml"), objects);
    // Observed on v1.37.2: after a pass that creates objects, the next identical apply bumps the
    // resourceVersion of a few of them once (Gateway API objects with schema-defaulted status,
    // ValidatingAdmissionPolicies whose type checking finished in between) with no change to their
    // content. `up` settles that itself with one more pass, so that `up` again is a true no-op.
    if (Object.values(before).some((v) => v.startsWith("missing")))
      applySeconds += applyStream(k, join(dir, "objects.yaml"), objects);
    const after = await resourceVersions(client, objects);
    const appliedAt = Date.now();
    await quotasCounting(client, objects);
    const countedAt = Date.now();
    const missing = Object.entries(after).filter(([, v]) => v.startsWith("missing"));
    if (missing.length) throw new Error(`applied but not found: ${missing.map(([k2, v]) => `${k2} ${v}`).join(", ")}`);
    const changed = Object.keys(after).filter((key) => before[key] !== after[key]);
    writeApplied(dir, args, { server: state.server, kubectl: k.bin, resources, objects, applied: Object.keys(after) });
    say(
      `applied ${objects.length} objects in ${applySeconds.toFixed(2)} s (${changed.length} changed${changed.length && changed.length < objects.length ? `: ${changed.slice(0, 5).join(", ")}` : ""}); kubeconfig: ${relative(process.cwd(), state.kubeconfig)}`,
    );
    const gitops = argocdBin
      ? await startGitops({ dir, state, resources, objects, tenantRepos: args.tenantRepos, binDir: argocdBin })
      : undefined;
    return {
      server: state.server,
      objects: objects.length,
      crdSeconds,
      applySeconds,
      startSeconds,
      changed,
      readyAt,
      appliedAt,
      countedAt,
      ...(gitops ? { gitops, gitopsAt: Date.now() } : {}),
    };
  } finally {
    client.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let args: ClusterArgs;
  try {
    args = parseClusterArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    if (args.command === "down") {
      const stopped = [...(await stopGitops(STATE_DIR)), ...(await stopControlPlane(STATE_DIR))];
      say(stopped.length ? `stopped ${stopped.join(", ")}` : "nothing was running");
      return 0;
    }
    if (args.command === "identities") {
      const resources = await guardedPlan(args.stack, args.tenants);
      const objects = orderedObjects(resources).map((r) => fillSecrets(r.inputs, {}, { crt: "", key: "" }));
      const ids = identities(objects);
      if (args.json) process.stdout.write(`${JSON.stringify(ids, null, 2)}\n`);
      else
        for (const [name, t] of Object.entries(ids.tenants))
          process.stdout.write(
            `${name}: namespace ${t.namespace}; syncs as ${t.sync.user}; admins ${t.admins.groups.join(", ")}; domains ${t.domains.join(", ")}\n`,
          );
      return 0;
    }
    await up({ stack: args.stack, tenants: args.tenants, gitops: args.gitops, tenantRepos: args.tenantRepos });
    return 0;
  } catch (err) {
    if (err instanceof StartError || err instanceof ClusterStateError) {
      process.stderr.write(`cluster: ${err.message}\n`);
      return 1;
    }
    if (err instanceof Error && err.name === "GuardrailError") {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    // Input problems exactly as the plan reports them; anything else (kubectl, Go) as is.
    if (isInputError(err) || (err instanceof Error && err.name === "StackFileError")) return reportFailure(err);
    process.stderr.write(`cluster: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
