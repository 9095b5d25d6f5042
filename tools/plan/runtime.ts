/**
 * The offline plan: runs the real program (build/index.js, compiled from index.ts unchanged)
 * under Pulumi's mock runtime and records every registration as the engine would receive it.
 * The plan CLI, the tests, the diff and the bench all use this one implementation.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { formatPath, Segment } from "../diff/paths";
import { digest, mockId, mockOutputs } from "./mocks";

/** One registered resource, in the JSON plan's documented shape. */
export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  custom: boolean;
  inputs: Record<string, unknown>;
  options: {
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    /** Every URN the engine orders this resource after: explicit dependsOn plus input dependencies. */
    dependsOn: string[];
    provider: string | null;
    replaceOnChanges: string[];
    aliases: number;
    /** Outputs the engine stores as secrets whatever their value (the resource's own list plus the caller's). */
    additionalSecretOutputs: string[];
    /** The URN whose deletion deletes this one with it (no delete call of its own), if any. */
    deletedWith: string | null;
  };
  /**
   * Only when the plan is given a digest key (the offline diff, issue 6): per secret input, by
   * property path, an HMAC of its value, so two plans can tell a changed secret from an unchanged
   * one. Keyed with a random per-diff key that is never written, so the digest cannot be used to
   * guess low-entropy secrets; absent from ordinary plans, whose shape stays as documented.
   */
  secretDigests?: Record<string, string>;
  /**
   * Only for the resource types a plan is asked to reveal (`PlanOptions.reveal`): the inputs with
   * secrets unwrapped. An offline plan's secrets are placeholders and mocked outputs, never real
   * ones; the local cluster harness reads the argo-cd release's values this way (they are a
   * secret as a whole because they carry the admin password hash).
   */
  revealedInputs?: Record<string, unknown>;
}

export interface Plan {
  project: string;
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

export interface PlanOptions {
  /** Stack name; its config comes from Pulumi.<stack>.yaml. */
  stack: string;
  /** Project root (holds Pulumi.yaml and build/). Defaults to the repository root. */
  root?: string;
  /** Replaces the tenants directory (relative to root or absolute). */
  tenantsDir?: string;
  /** Replaces the stack file's parsed `config:` mapping (tests use this to plan variants). */
  stackConfig?: Record<string, unknown>;
  /** Config values set on top of the stack file; keys without a namespace get the project's. */
  overrides?: Record<string, { value: unknown; secret?: boolean }>;
  /** Fill declared-but-unset secrets with placeholders (default true); false acts like a real run. */
  placeholders?: boolean;
  /** Program module to run; defaults to <root>/build/index.js. */
  program?: string | (() => unknown);
  /** Key for `secretDigests` (hex); defaults to $VP_PLAN_DIGEST_KEY; none means no digests. */
  secretDigestKey?: string;
  /** Resource types whose inputs are also recorded unmasked (`revealedInputs`); none by default. */
  reveal?: readonly string[];
}

/** Marker text for every secret value in a plan: never the value itself. */
export const SECRET = "[secret]";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * The project directory whose Pulumi.yaml, stack files, tenants and build/ are planned: this
 * checkout, or VP_PROJECT_ROOT (tests plan a broken stack file in a temp dir that links build/
 * and tenants/ back here, instead of writing into the working tree).
 */
export const repoRoot = process.env.VP_PROJECT_ROOT
  ? resolve(process.env.VP_PROJECT_ROOT)
  : resolve(__dirname, "..", "..", "..");

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Serialized wire values → plan JSON: secrets masked, resource references as their URN. */
export function redact(v: unknown, key = ""): Json {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => redact(x));
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    switch (o[SIG]) {
      case SECRET_SIG:
        return SECRET;
      case RESOURCE_SIG:
        return String(o.urn);
      case ASSET_SIG:
      case ARCHIVE_SIG:
        return `[asset ${digest(JSON.stringify(o)).slice(0, 12)}]`;
    }
    const out: Record<string, Json> = {};
    for (const k of Object.keys(o)) out[k] = redact(o[k], k);
    return out;
  }
  if (v === UNKNOWN) return "[unknown]";
  // A dynamic provider's serialized code: show only whether it changed.
  if (key === "__provider" && typeof v === "string") return `[dynamic provider ${digest(v).slice(0, 12)}]`;
  return v as Json;
}

/** Serialized wire values → plain values (secrets unwrapped) for computing mocked outputs. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SIG] === SECRET_SIG) return plain(o.value);
    if (o[SIG] === RESOURCE_SIG) return o.urn;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) out[k] = plain(o[k]);
    return out;
  }
  return v;
}

function isSecret(v: unknown): boolean {
  return !!v && typeof v === "object" && (v as Record<string, unknown>)[SIG] === SECRET_SIG;
}

/** `{ secretDigests }` for the secrets in raw wire inputs (empty object when there are none). */
function secretDigestsOf(raw: unknown, urn: string, key: string): { secretDigests?: Record<string, string> } {
  const out: Record<string, string> = {};
  const walk = (v: unknown, path: Segment[]) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o[SIG] === SECRET_SIG) {
        const p = formatPath(path);
        out[p] = createHmac("sha256", Buffer.from(key, "hex"))
          .update(`${urn}\u0000${p}\u0000${JSON.stringify(plain(o.value))}`)
          .digest("hex")
          .slice(0, 32);
      } else if (o[SIG] === undefined) for (const k of Object.keys(o)) walk(o[k], [...path, k]);
    }
  };
  walk(raw, []);
  return Object.keys(out).length ? { secretDigests: out } : {};
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getDependenciesList(): string[];
  getProvider(): string;
  getAdditionalsecretoutputsList(): string[];
  getDeletedwith(): string;
  getAliasesList(): unknown[];
}

/**
 * The URN the engine assigns: the parent's qualified type chain (the root stack left out, as the
 * engine does), then this type, then the name. Mocked and real URNs must match, or a plan diff
 * would not line up with a real preview.
 */
function urnOf(parent: string | null, type: string, name: string): string {
  const parentType = parent ? parent.split("::")[2] : "";
  const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
}

type Callback = (err: Error | null, resp?: unknown) => void;

/**
 * Exactly what `Struct.fromJavaScript(v).toJavaScript()` returns, without the protobuf objects: a
 * deep copy whose object keys come in sorted order (protobuf's map iterates sorted keys), and the
 * same rejection of values a Struct cannot hold (undefined, functions, symbols, bigints).
 */
export function structClone(v: unknown): unknown {
  if (v === null) return null;
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
      return v;
    case "object": {
      if (Array.isArray(v)) return v.map(structClone);
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o).sort()) out[k] = structClone(o[k]);
      return out;
    }
    default:
      throw new Error("Unexpected struct type.");
  }
}

/**
 * A MockMonitor that records each RegisterResource request exactly as sent: inputs in their wire
 * form (so secretness is visible) and the options the SDK resolved (protect inherited from
 * parents, provider references, dependencies).
 */
export class RecordingMonitor extends MockMonitor {
  readonly recorded: PlannedResource[] = [];
  stackOutputs: Record<string, unknown> = {};
  private stackUrn = "";

  constructor(
    private readonly digestKey?: string,
    private readonly reveal: readonly string[] = [],
  ) {
    super({
      newResource: () => {
        throw new Error("unreachable: RecordingMonitor answers registrations itself");
      },
      call: (args) => {
        // Unmocked invokes must fail loudly: a plan that silently got `{}` back would lie.
        throw new Error(`offline plan: unmocked invoke ${args.token}; declare resources instead of reading the cloud`);
      },
    });
  }

  async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    try {
      const type = req.getType();
      const name = req.getName();
      const parent = req.getParent() || null;
      const custom = req.getCustom();
      const urn = urnOf(parent, type, name);
      const raw = req.getObject()?.toJavaScript() ?? {};
      if (type === "pulumi:pulumi:Stack") this.stackUrn = urn;

      const id = custom ? mockId(type, urn) : "";
      const state: Record<string, unknown> = { ...raw };
      if (custom) Object.assign(state, mockOutputs(type, urn, plain(raw) as Record<string, unknown>));
      // The engine marks these outputs secret (e.g. random passwords, TLS private keys).
      for (const k of req.getAdditionalsecretoutputsList()) {
        if (k in state && !isSecret(state[k])) state[k] = { [SIG]: SECRET_SIG, value: state[k] };
      }

      this.recorded.push({
        urn,
        type,
        name,
        parent,
        custom,
        inputs: redact(raw) as Record<string, unknown>,
        ...(this.digestKey ? secretDigestsOf(raw, urn, this.digestKey) : {}),
        ...(this.reveal.includes(type) ? { revealedInputs: plain(raw) as Record<string, unknown> } : {}),
        options: {
          protect: req.getProtect() ?? false,
          retainOnDelete: req.getRetainondelete() ?? false,
          deleteBeforeReplace: req.getDeletebeforereplace(),
          ignoreChanges: [...req.getIgnorechangesList()].sort(),
          dependsOn: [...new Set(req.getDependenciesList())].sort(),
          provider: req.getProvider() || null,
          replaceOnChanges: [...req.getReplaceonchangesList()].sort(),
          aliases: req.getAliasesList().length,
          additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()].sort(),
          deletedWith: req.getDeletedwith() || null,
        },
      });
      (this as unknown as { resources: Map<string, unknown> }).resources.set(urn, { urn, id: id || null, state });

      // Build the response with the SDK's own protobuf class (loaded lazily: internal path). Its
      // object is handed over as what Struct.fromJavaScript(state).toJavaScript() would give (the
      // only call the SDK makes on it), without building the protobuf: at 1,000 tenants that
      // round trip of every resource's whole state was a tenth of the plan (issue 9 profile).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const resproto = require("@pulumi/pulumi/proto/resource_pb");
      const resp = new resproto.RegisterResourceResponse();
      resp.setUrn(urn);
      resp.setId(id);
      resp.getObject = () => ({ toJavaScript: () => structClone(state) });
      callback(null, resp);
    } catch (err) {
      callback(err as Error, undefined);
    }
  }

  registerResourceOutputs(
    req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined },
    callback: Callback,
  ): void {
    if (req.getUrn() === this.stackUrn) this.stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
    callback(null, {});
  }
}

// ---------------------------------------------------------------------------------------------
// Config: Pulumi.<stack>.yaml → the runtime config map the CLI would hand the program.

export interface ProjectFile {
  name: string;
  config: Record<string, { secret?: boolean }>;
}

export function readProject(root = repoRoot): ProjectFile {
  const doc = parseDocument(readFileSync(join(root, "Pulumi.yaml"), "utf8"), { uniqueKeys: true });
  if (doc.errors.length) throw new Error(`Pulumi.yaml: ${doc.errors[0].message}`);
  const p = doc.toJS() as { name: string; config?: Record<string, { secret?: boolean }> };
  return { name: p.name, config: p.config ?? {} };
}

/** Reads Pulumi.<stack>.yaml's `config:` mapping; a YAML error names the file. */
export function readStackConfig(stack: string, root = repoRoot): Record<string, unknown> {
  const file = `Pulumi.${stack}.yaml`;
  let text: string;
  try {
    text = readFileSync(join(root, file), "utf8");
  } catch {
    const stacks = existingStacks(root);
    throw new StackFileError(
      file,
      `no such stack file; existing stacks: ${stacks.length ? stacks.join(", ") : "none"} (pass --stack <one of them>, or create ${file}: docs/configuration.md)`,
    );
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) throw new StackFileError(file, doc.errors.map((e) => e.message).join("; "));
  const js = doc.toJS() as { config?: Record<string, unknown> } | null;
  if (!js || typeof js !== "object") throw new StackFileError(file, "must be a mapping with a `config:` key");
  return js.config ?? {};
}

/** The stacks this project has a file for: `Pulumi.<stack>.yaml` in the root, sorted. */
export function existingStacks(root = repoRoot): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([A-Za-z0-9._-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

export class StackFileError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "StackFileError";
  }
}

/** The placeholder every `secure:` (or missing declared) secret gets in an offline plan. */
export function placeholder(key: string): string {
  return `offline-plan-placeholder-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

function withSecureReplaced(v: unknown, key: string, found: { secret: boolean }): unknown {
  if (Array.isArray(v)) return v.map((x) => withSecureReplaced(x, key, found));
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string") {
      found.secret = true;
      // Derived from the ciphertext too, so rotating a secret shows in an offline diff as
      // "secret changed" (re-encrypting the same value does too: ciphertexts are salted).
      return `${placeholder(key)}-${digest(o.secure).slice(0, 16)}`;
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, withSecureReplaced(x, `${key}.${k}`, found)]));
  }
  return v;
}

export function buildConfig(
  project: ProjectFile,
  stackConfig: Record<string, unknown>,
  overrides: PlanOptions["overrides"] = {},
  placeholders = true,
): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const full = (k: string) => (k.includes(":") ? k : `${project.name}:${k}`);
  const put = (k: string, v: unknown, secret: boolean) => {
    config[k] = typeof v === "string" ? v : JSON.stringify(v);
    if (secret) secretKeys.add(k);
    else secretKeys.delete(k);
  };
  for (const [k, v] of Object.entries(stackConfig)) {
    const found = { secret: false };
    const value = withSecureReplaced(v, full(k), found);
    put(full(k), value, found.secret);
  }
  // Every secret the project declares gets a placeholder when the stack file has none, so the
  // plan needs no passphrase and no real secret (a real run fails with the set command instead).
  for (const [k, decl] of Object.entries(project.config)) {
    if (placeholders && decl.secret && !(full(k) in config)) put(full(k), placeholder(full(k)), true);
  }
  for (const [k, o] of Object.entries(overrides)) put(full(k), o.value, !!o.secret);
  return { config, secretKeys: [...secretKeys].sort() };
}

// ---------------------------------------------------------------------------------------------

let running = false;

/** Plans one stack. Runs are serialized: the Pulumi runtime's state is process-global. */
export async function plan(opts: PlanOptions): Promise<Plan> {
  if (running) throw new Error("plan(): one plan at a time per process (the Pulumi runtime is global)");
  running = true;
  try {
    const root = opts.root ?? repoRoot;
    const project = readProject(root);
    const stackConfig = opts.stackConfig ?? readStackConfig(opts.stack, root);
    const overrides = { ...(opts.overrides ?? {}) };
    if (opts.tenantsDir) overrides.tenantsDir = { value: resolve(root, opts.tenantsDir) };
    const { config, secretKeys } = buildConfig(project, stackConfig, overrides, opts.placeholders ?? true);

    const monitor = new RecordingMonitor(
      opts.secretDigestKey ?? (process.env.VP_PLAN_DIGEST_KEY || undefined),
      opts.reveal,
    );
    settings.setMockOptions(monitor, project.name, opts.stack, false);
    // Same feature set as pulumi.runtime.setMocks: secrets and resource references on the wire.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const store = require("@pulumi/pulumi/runtime/state").getStore();
    Object.assign(store, {
      supportsSecrets: true,
      supportsResourceReferences: true,
      supportsOutputValues: false,
      supportsDeletedWith: true,
      supportsAliasSpecs: true,
      supportsTransforms: false,
    });
    pulumi.runtime.setAllConfig(config, secretKeys);

    const program =
      typeof opts.program === "function"
        ? opts.program
        : // eslint-disable-next-line @typescript-eslint/no-require-imports
          (require(opts.program ?? join(root, "build", "index.js")) as () => unknown);
    const waitForRPCs = (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
    try {
      await pulumi.runtime.runInPulumiStack(async () => (await program()) as Record<string, unknown>);
    } catch (err) {
      // Record what the program had declared when it failed: input errors must come before the
      // first resource (nothing half-applied), and tests assert `declared` is empty.
      await waitForRPCs().catch(() => undefined);
      if (err && typeof err === "object")
        (err as { declared?: string[] }).declared = monitor.recorded
          .filter((r) => r.type !== "pulumi:pulumi:Stack")
          .map((r) => r.urn);
      throw err;
    }
    await waitForRPCs();

    const resources = [...monitor.recorded].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
    return {
      project: project.name,
      stack: opts.stack,
      resources,
      outputs: redact(monitor.stackOutputs) as Record<string, unknown>,
    };
  } finally {
    running = false;
  }
}

/** Stable JSON text of a plan (sorted keys), byte-identical for identical plans. */
export function planJson(p: Plan): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return (
    JSON.stringify(
      { project: p.project, stack: p.stack, resources: sortKeys(p.resources), outputs: sortKeys(p.outputs) },
      null,
      2,
    ) + "\n"
  );
}
