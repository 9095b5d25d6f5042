/**
 * The policy pack (policy/): one mandatory policy per guardrail a preview can check, calling the
 * rule's own function. Its validators are called on resources built from the offline plan, the
 * way @pulumi/policy builds them (props behind the SDK's unknown-checking proxy, parents and
 * dependencies as resources): each rejects its rule's break of the program and accepts the real
 * program of both stacks. Then the pack is served as the CLI starts it and asked over gRPC.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { RULES } from "../components/rules";
import { siteContext } from "../components/rules/context";
import { UNKNOWN, urnName, urnType } from "../components/rules/types";
import { guardrailPolicies, plainProps, PREVIEW_RULES, toRuleResource } from "../policy/policies";
import { BREAKS, brokenPlan } from "./helpers/breaks";
import { validateStack } from "./helpers/policy";
import { byName, Plan, planStack, readStackConfig, repoRoot, SECRET } from "./helpers/harness";

// The SDK's own proxy (internal module): what validators get as props in a real run.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkProxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(t: T): T;
  unknownStringValue: string;
};

const STACKS = ["staging", "prod"] as const;
const contextFor = (stack: string) => siteContext(stack, readStackConfig(stack));
const policies = guardrailPolicies(contextFor);
const policyNamed = (name: string) => policies.find((p) => p.name === name) as StackValidationPolicy;
/** Breaks of the rules the pack enforces (SEC-001 is plan-only). */
const PACK_BREAKS = BREAKS.filter((b) => b.rules.some((r) => PREVIEW_RULES.some((x) => x.id === r)));

/** Plan resources as @pulumi/policy's analyzeStack hands them to a stack policy. */
function policyResources(p: Plan, props: (urn: string, inputs: Record<string, unknown>) => unknown = (_, i) => i) {
  const byUrn = new Map<string, Record<string, unknown>>();
  const out = p.resources.map((r) => {
    const provider = r.options.provider ? r.options.provider.split("::").slice(0, -1).join("::") : undefined;
    const res: Record<string, unknown> = {
      type: r.type,
      props: sdkProxy.unknownCheckingProxy(props(r.urn, structuredClone(r.inputs))),
      urn: r.urn,
      name: r.name,
      opts: {
        protect: r.options.protect,
        ignoreChanges: r.options.ignoreChanges,
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
      },
      ...(provider ? { provider: { type: urnType(provider), urn: provider, name: urnName(provider), props: {} } } : {}),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    };
    byUrn.set(r.urn, res);
    return res;
  });
  p.resources.forEach((r, i) => {
    if (r.parent && byUrn.has(r.parent)) out[i].parent = byUrn.get(r.parent);
    out[i].dependencies = r.options.dependsOn.map((u) => byUrn.get(u)).filter((x) => x);
  });
  return out as unknown as PolicyResource[];
}

describe("policy pack: the policies", () => {
  it("one mandatory policy per rule a preview can check, named by its id, with the rule's text and fix", () => {
    assert.deepEqual(
      policies.map((p) => p.name),
      RULES.filter((r) => r.id !== "SEC-001").map((r) => r.id),
    );
    for (const p of policies) {
      const rule = RULES.find((r) => r.id === p.name);
      assert.equal(p.enforcementLevel, "mandatory");
      assert.equal(p.description, rule?.description);
      assert.equal(p.remediationSteps, rule?.fix);
    }
    assert.match(RULES.find((r) => r.id === "SEC-001")?.notEnforcedIn?.preview ?? "", /decrypts every secret/);
  });

  for (const stack of STACKS)
    it(`${stack}: every policy accepts the real program`, async () => {
      const resources = policyResources(await planStack(stack));
      // On failure the diff shows each violation, which starts with its rule id.
      for (const p of policies)
        assert.deepEqual(
          (await validateStack(p, resources)).map((r) => r.message),
          [],
        );
    });

  it("each policy rejects its rule's break of the program, naming the rule id and the resource", async () => {
    const p = await brokenPlan();
    const resources = policyResources(p);
    const brokenUrns = new Set(BREAKS.map((b) => byName(p, b.name).urn));
    for (const b of PACK_BREAKS)
      for (const rule of b.rules) {
        const reported = await validateStack(policyNamed(rule), resources);
        const urn = byName(p, b.name).urn;
        assert.ok(
          reported.some((r) => r.urn === urn && r.message.startsWith(`${rule}: `) && r.message.includes("; fix: ")),
          `${rule} did not reject ${b.what}: ${JSON.stringify(reported)}`,
        );
        assert.deepEqual(
          reported.filter((r) => !brokenUrns.has(r.urn ?? "")),
          [],
          `${rule} flagged something not broken`,
        );
      }
    assert.deepEqual([...new Set(PACK_BREAKS.flatMap((b) => b.rules))].sort(), policies.map((x) => x.name).sort());
  });

  it("values unknown during a preview reach the rules as [unknown] (the SDK's proxy would throw)", async () => {
    const server = sdkProxy.unknownCheckingProxy({
      a: sdkProxy.unknownStringValue,
      b: [1, sdkProxy.unknownStringValue],
    });
    assert.throws(() => server.a, /can't be known during preview/);
    assert.deepEqual(plainProps(server), { a: UNKNOWN, b: [1, UNKNOWN] });
    // A first preview: the firewall's id is not known yet; the server still depends on it.
    const p = await planStack("staging");
    const cp = byName(p, "site-cp-1").urn;
    const resources = policyResources(p, (urn, inputs) =>
      urn === cp ? { ...inputs, firewallIds: sdkProxy.unknownStringValue } : inputs,
    );
    assert.equal(toRuleResource(resources.find((r) => r.urn === cp) as PolicyResource).inputs.firewallIds, UNKNOWN);
    for (const policy of policies) assert.deepEqual(await validateStack(policy, resources), [], policy.name);
  });
});

// ---------------------------------------------------------------------------------------------
// The pack served as the CLI starts it (its directory as working directory), asked over gRPC.

const WIRE_SIG = "4dabf18193072939515e22adb298388d";
const WIRE_SECRET = "1b47061264138c4ac30d75fd1eb44270";

/** Plan inputs back to wire form: "[secret]" as the engine's secret envelope. */
function wire(v: unknown): unknown {
  if (v === SECRET) return { [WIRE_SIG]: WIRE_SECRET, value: "decrypted-by-the-sdk" };
  if (Array.isArray(v)) return v.map(wire);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wire(x)]));
  return v;
}

describe("policy pack: served over gRPC as the Pulumi CLI runs it", function () {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
  const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));
  const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [pulumiDir] }));
  const pb = require("@pulumi/pulumi/proto/analyzer_pb");
  const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
  /* eslint-enable @typescript-eslint/no-require-imports */
  let child: ChildProcess | undefined;
  let client: any;

  before(async () => {
    child = spawn(process.execPath, [join(repoRoot, "build", "policy", "index.js")], {
      cwd: join(repoRoot, "policy"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr?.on("data", (d) => (err += String(d)));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child?.stdout?.on("data", (d) => {
        out += String(d);
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(m[1]);
      });
      child?.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${err}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](req, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))));

  function request(p: Plan) {
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(
      p.resources.map((r) => {
        const res = new pb.AnalyzerResource();
        res.setType(r.type);
        res.setName(r.name);
        res.setUrn(r.urn);
        res.setProperties(Struct.fromJavaScript(wire(r.inputs)));
        const opts = new pb.AnalyzerResourceOptions();
        opts.setProtect(r.options.protect);
        opts.setIgnorechangesList(r.options.ignoreChanges);
        if (r.parent) opts.setParent(r.parent);
        res.setOptions(opts);
        if (r.parent) res.setParent(r.parent);
        res.setDependenciesList(r.options.dependsOn);
        if (r.options.provider) {
          const urn = r.options.provider.split("::").slice(0, -1).join("::");
          const prov = new pb.AnalyzerProviderResource();
          prov.setType(urnType(urn));
          prov.setUrn(urn);
          prov.setName(urnName(urn));
          prov.setProperties(Struct.fromJavaScript({}));
          res.setProvider(prov);
        }
        return res;
      }),
    );
    return req;
  }

  const diagnostics = async (p: Plan) =>
    ((await call<any>("analyzeStack", request(p))).getDiagnosticsList() as any[]).map((d) => ({
      policy: d.getPolicyname() as string,
      urn: d.getUrn() as string,
      message: d.getMessage() as string,
      mandatory: d.getEnforcementlevel() === pb.EnforcementLevel.MANDATORY,
    }));

  it("announces one mandatory policy per rule id", async () => {
    const info = await call<any>("getAnalyzerInfo", new Empty());
    assert.equal(info.getName(), "video-platform-guardrails");
    assert.deepEqual(
      info.getPoliciesList().map((x: any) => [x.getName(), x.getEnforcementlevel() === pb.EnforcementLevel.MANDATORY]),
      policies.map((x) => [x.name, true]),
    );
  });

  it("accepts both stacks' real programs, secrets in the engine's envelope included", async () => {
    for (const stack of STACKS)
      assert.deepEqual(
        (await diagnostics(await planStack(stack))).map((d) => d.message),
        [],
      );
  });

  it("rejects the broken program: a mandatory violation per rule, on the broken resource, naming the rule", async () => {
    const p = await brokenPlan();
    const found = await diagnostics(p);
    for (const b of PACK_BREAKS)
      for (const rule of b.rules)
        assert.ok(
          found.some(
            (d) =>
              d.policy === rule &&
              d.mandatory &&
              d.urn === byName(p, b.name).urn &&
              // The SDK puts the policy's description first, then our message.
              d.message.split("\n").some((l) => l.startsWith(`${rule}: `)),
          ),
          `${rule} (${b.what}) not reported: ${JSON.stringify(found.filter((d) => d.policy === rule))}`,
        );
    assert.deepEqual([...new Set(found.map((d) => d.policy))].sort(), policies.map((x) => x.name).sort());
  });
});
