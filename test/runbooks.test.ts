/**
 * docs/runbooks: every case the platform promises has a numbered, self-contained procedure, and
 * what the runbooks rely on is true of the code:
 * - every `npm run` command in them exists and, being offline, is run here (the plan with --quiet
 *   and a temporary --json, the relocation preview, the time model) and must succeed;
 * - every `pulumi stack output <name>` names an output of the pinned contract, and every jq filter
 *   applied to `pulumi stack output --json` answers (not null) on the planned outputs;
 * - every URN they name exists in the plan; the Helm release table and namespaces match the
 *   platform's releases; the agent-token derivation matches the code; the stated from-scratch
 *   times match `npm run model`.
 * Commands of the Pulumi CLI and of hcloud/kubectl/ssh/helm need a real site: they are not run.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { deriveAgentToken } from "../components/site";
import { parsePulumiRunArgs } from "../tools/cli/pulumi-run";
import {
  renderRunbook04,
  RUNBOOK04,
  runbook04Steps as steps04,
  runRunbook04 as run04,
  tenantSummary,
} from "../tools/docs/runbook04";
import { plan, Plan, planStack, readStackConfig, repoRoot } from "./helpers/harness";
import { OUTPUT_NAMES } from "./helpers/outputs-contract";
import { needTool } from "./helpers/tools";

const DIR = join(repoRoot, "docs", "runbooks");

/** One case the issue promises → the runbook file that covers it. */
const CASES: Record<string, string> = {
  "site lost → rebuild elsewhere, without etcd restore": "01-rebuild-site-elsewhere.md",
  "site lost → rebuild elsewhere, with etcd restore": "02-rebuild-site-with-etcd-restore.md",
  "site lost → rebuild as a new stack": "03-rebuild-site-as-new-stack.md",
  "onboard a tenant": "04-onboard-tenant.md",
  "decommission a tenant": "05-decommission-tenant.md",
  "rotate the Hetzner token": "06-rotate-hetzner-token.md",
  "rotate the k3s token": "07-rotate-k3s-token.md",
  "rotate the Sealed Secrets key": "08-rotate-sealed-secrets-key.md",
  "rotate the Argo CD password": "09-rotate-argocd-password.md",
  "upgrade k3s without replacing servers": "10-upgrade-k3s.md",
  "recover from a failed pulumi up": "11-recover-failed-pulumi-up.md",
};

/** npm scripts a runbook may call: offline, read-only, and not the test suite itself. */
const RUNNABLE = new Set(["plan", "relocate", "model"]);
/**
 * npm scripts that drive the real CLI against a real site (tools/cli/pulumi-run.ts): not run here;
 * their arguments must be what the wrapper accepts (a --stack, no flag that drops the guardrails).
 */
const ON_THE_SITE = new Set(["preview", "up"]);

interface Runbook {
  file: string;
  text: string;
  /** Logical shell lines of the `sh` blocks (continuations joined, list indentation removed). */
  lines: string[];
  /** Simple `NAME=value` assignments (no expansion), used to fill `$NAME` in tested commands. */
  vars: Record<string, string>;
}

function readRunbook(file: string): Runbook {
  const text = readFileSync(join(DIR, file), "utf8");
  const lines: string[] = [];
  for (const m of text.matchAll(/^( *)```sh\n([\s\S]*?)^\1```/gm)) {
    const indent = m[1].length;
    let pending = "";
    for (const raw of m[2].split("\n")) {
      const line = raw.slice(Math.min(indent, raw.length - raw.trimStart().length));
      if (line.endsWith("\\")) pending += line.slice(0, -1) + " ";
      else {
        lines.push((pending + line).trim());
        pending = "";
      }
    }
  }
  const vars: Record<string, string> = {};
  for (const l of lines) {
    const m = /^([A-Z][A-Z0-9_]*)=("?)([^"$`\s]*)\2\s*(#.*)?$/.exec(l);
    if (m) vars[m[1]] = m[3];
  }
  return { file, text, lines: lines.filter((l) => l && !l.startsWith("#")), vars };
}

/** `$NAME` / `${NAME}` of the runbook's simple variables replaced; other expansions left as they are. */
function subst(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\{([A-Z][A-Z0-9_]*)\}|\$([A-Z][A-Z0-9_]*)/g, (all, a, b) => vars[a ?? b] ?? all);
}

/** Splits simple shell words (quotes removed); enough for the runbooks' npm and jq arguments. */
function words(s: string): string[] {
  return [...s.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

const runbooks = (): Runbook[] =>
  readdirSync(DIR)
    .filter((f) => /^\d\d-.*\.md$/.test(f))
    .sort()
    .map(readRunbook);

/** `pulumi stack init <new> --copy-config-from <old>`: the new stack plans like the old one. */
function stackCopies(all: Runbook[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of all)
    for (const l of r.lines) {
      const m = /pulumi stack init (\S+) --copy-config-from (\S+)/.exec(subst(l, r.vars));
      if (m) out[words(m[1])[0]] = words(m[2])[0];
    }
  return out;
}

/** Every `pulumi stack output` use on a line: the output name (if any) and the stack. */
function stackOutputUses(line: string): { name?: string; stack?: string; json: boolean; rest: string }[] {
  const out: { name?: string; stack?: string; json: boolean; rest: string }[] = [];
  for (const m of line.matchAll(/pulumi stack output((?:\s+(?:"[^"]*"|[^\s|)>;"]+))*)/g)) {
    const w = words(m[1]);
    let name: string | undefined;
    let stack: string | undefined;
    let json = false;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === "--stack" || w[i] === "-s") stack = w[++i];
      else if (w[i] === "--json") json = true;
      else if (w[i].startsWith("-")) continue;
      else if (!name) name = w[i];
    }
    out.push({ name, stack, json, rest: line.slice((m.index ?? 0) + m[0].length) });
  }
  return out;
}

function jq(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("jq", args, { input, encoding: "utf8" });
  assert.ok(!r.error, `jq did not run (${r.error?.message}): run \`bash tools/ensure-tools.sh\``);
  return r;
}

// ---------------------------------------------------------------------------------------------

describe("runbooks: coverage and form", () => {
  it("one runbook per promised case, indexed in docs/runbooks/README.md and linked from the README", () => {
    const files = readdirSync(DIR)
      .filter((f) => /^\d\d-.*\.md$/.test(f))
      .sort();
    assert.deepEqual(files, Object.values(CASES).sort());
    const index = readFileSync(join(DIR, "README.md"), "utf8");
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.split(/^## /m).find((s) => s.startsWith("Runbooks"));
    assert.ok(section, 'README has a "## Runbooks" section');
    assert.ok(section.includes("(docs/runbooks/README.md)"), "the README links the index");
    for (const f of files) {
      assert.ok(index.includes(`](${f})`), `index links ${f}`);
      assert.ok(section.includes(`(docs/runbooks/${f})`), `README links ${f}`);
    }
  });

  for (const r of runbooks())
    it(`${r.file}: title, when, outputs read, expected duration, and numbered steps 1..n`, () => {
      assert.match(r.text, new RegExp(`^# ${r.file.slice(0, 2)} — \\S`));
      for (const heading of ["**When.**", "**Outputs read.**", "**Expected duration.**", "**Needs.**", "## Procedure"])
        assert.ok(r.text.includes(heading), `${r.file}: ${heading}`);
      const procedure = r.text.slice(r.text.indexOf("## Procedure"));
      const steps = [...procedure.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1]));
      assert.ok(steps.length >= 3, `${r.file}: a procedure of several steps`);
      assert.deepEqual(
        steps,
        steps.map((_, i) => i + 1),
        `${r.file}: steps numbered 1..${steps.length} in order`,
      );
      assert.ok(r.lines.length > 0, `${r.file}: has commands`);
    });
});

describe("runbooks: stack outputs they read", () => {
  let plans: Record<string, Plan>;
  /** 04 reads the outputs after its tenant exists: plans with the tenant its own steps wrote. */
  let onboarded: Record<string, Plan>;
  let copies: Record<string, string>;
  before(async function () {
    this.timeout(120000);
    plans = { staging: await planStack("staging"), prod: await planStack("prod") };
    onboarded = { staging: await onboardedPlan("staging"), prod: await onboardedPlan("prod") };
    copies = stackCopies(runbooks());
  });
  const planFor = (stack: string | undefined, where: string) => {
    assert.ok(stack, `${where}: \`pulumi stack output\` without --stack`);
    const from = where === "04-onboard-tenant.md" ? onboarded : plans;
    const p = from[stack] ?? from[copies[stack]];
    assert.ok(p, `${where}: no plan for stack ${stack}`);
    return p;
  };

  for (const r of runbooks())
    it(`${r.file}: reads only outputs of the contract, and lists exactly those under "Outputs read"`, () => {
      const listed = [
        ...(/\*\*Outputs read\.\*\*([^]*?)\n\n/.exec(r.text)?.[1] ?? "").matchAll(/`([A-Za-z][A-Za-z0-9]*)`/g),
      ].map((m) => m[1]);
      for (const n of listed)
        assert.ok(OUTPUT_NAMES.includes(n), `${r.file}: "Outputs read" names ${n}, not an output`);
      const used = new Set<string>();
      // Commands, and `pulumi stack output ...` quoted in the prose.
      for (const line of [...r.lines, ...r.text.split("\n")])
        for (const u of stackOutputUses(subst(line, r.vars))) {
          if (u.name) {
            assert.ok(OUTPUT_NAMES.includes(u.name), `${r.file}: \`pulumi stack output ${u.name}\` is not an output`);
            used.add(u.name);
          }
          if (/^\s*\|\s*jq\b/.test(u.rest)) {
            assert.ok(u.json, `${r.file}: piping to jq needs --json: ${line}`);
            // On the whole outputs object, the filter's top-level fields are outputs too.
            if (!u.name)
              for (const m of u.rest.matchAll(/(?:^|[^\w\]])\.([a-zA-Z]\w*)/g))
                if (OUTPUT_NAMES.includes(m[1])) used.add(m[1]);
          }
        }
      assert.deepEqual([...listed].sort(), [...used].sort(), `${r.file}: "Outputs read" lists what it reads`);
    });

  for (const r of runbooks())
    it(`${r.file}: every jq filter on \`pulumi stack output --json\` answers on the planned outputs`, function () {
      if (r.lines.some((l) => /\|\s*jq\b/.test(l))) needTool(this, "jq", "the runbooks' jq filters");
      let checked = 0;
      for (const line of r.lines) {
        const l = subst(line, r.vars);
        for (const u of stackOutputUses(l)) {
          const m = /^\s*\|\s*jq((?:\s+(?:-[a-z]+|--arg\s+\w+\s+(?:"[^"]*"|\S+)))*)\s+'([^']*)'/.exec(u.rest);
          if (!m) {
            assert.ok(!/^\s*\|\s*jq\b/.test(u.rest), `${r.file}: jq call the test cannot read: ${line}`);
            continue;
          }
          const outputs = planFor(u.stack, r.file).outputs as Record<string, unknown>;
          const input = u.name ? outputs[u.name] : outputs;
          assert.notEqual(input, undefined, `${r.file}: output ${u.name}`);
          const res = jq([...words(m[1]), m[2]], JSON.stringify(input));
          assert.equal(res.status, 0, `${r.file}: jq '${m[2]}' failed: ${res.stderr}`);
          assert.ok(res.stdout.length > 0, `${r.file}: jq '${m[2]}' printed nothing`);
          assert.ok(!res.stdout.split("\n").some((x) => x.trim() === "null"), `${r.file}: jq '${m[2]}' gave null`);
          checked++;
        }
      }
      const expected = r.lines.filter((l) => /pulumi stack output[^|)]*\|\s*jq/.test(l)).length;
      assert.ok(checked >= expected, `${r.file}: ${checked} of ${expected} jq pipelines checked`);
    });

  it("every URN the runbooks name exists in the plan of its stack", () => {
    let n = 0;
    for (const r of runbooks())
      for (const line of r.lines)
        for (const m of subst(line, r.vars).matchAll(/urn:pulumi:[^\s'"]+/g)) {
          const urn = m[0].replace(/\\\$/g, "$");
          const stack = /^urn:pulumi:([^:]+)::/.exec(urn)![1];
          assert.ok(
            planFor(stack, r.file).resources.some((x) => x.urn === urn),
            `${r.file}: no resource ${urn}`,
          );
          n++;
        }
    assert.ok(n >= 3, "the runbooks name the Kubernetes provider, a server and the Argo CD password by URN");
  });

  it("the Helm release table (11) and the namespaces whose release records 02 deletes are the platform's releases", () => {
    const releases = plans.prod.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release");
    const planned = releases.map((x) => `${x.inputs.name} ${x.inputs.namespace} ${x.name}`).sort();
    const table = [
      ...readRunbook("11-recover-failed-pulumi-up.md").text.matchAll(
        /^\s*\| `([\w-]+)`\s*\| `([\w-]+)`\s*\| `([\w-]+)`\s*\|$/gm,
      ),
    ].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    assert.deepEqual(table.sort(), planned);
    const loop = readRunbook("02-rebuild-site-with-etcd-restore.md").lines.find((l) => l.includes("owner=helm"));
    assert.ok(loop, "02 deletes Helm release records");
    const namespaces = /for ns in ([\w\s-]+); do/.exec(loop)![1].trim().split(/\s+/).sort();
    assert.deepEqual(namespaces, [...new Set(releases.map((x) => String(x.inputs.namespace)))].sort());
  });
});

const RUNBOOK04_TEXT = () => readFileSync(join(repoRoot, RUNBOOK04), "utf8");
const runbook04Steps = () => steps04(RUNBOOK04_TEXT());
/** Runs 04's steps 1–2 as written by a shell in `dir` (holding a copy of tenants/). */
const runRunbook04 = (dir: string) => run04(RUNBOOK04_TEXT(), dir);

/** A copy of tenants/ with 04's new tenant written by 04's own steps (made once, removed at exit). */
let onboardedDir: string | undefined;
function onboardedTenants(): string {
  if (!onboardedDir) {
    const dir = mkdtempSync(join(tmpdir(), "vp-rb04-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(repoRoot, "tenants"), join(dir, "tenants"), { recursive: true });
    const res = runRunbook04(dir);
    assert.equal(res.status, 0, `04's steps 1–2 failed: ${res.stderr}`);
    onboardedDir = dir;
  }
  return join(onboardedDir, "tenants");
}

/** The plan of a stack with 04's tenant added (once per stack per run). */
const onboardedPlans = new Map<string, Promise<Plan>>();
function onboardedPlan(stack: string): Promise<Plan> {
  let p = onboardedPlans.get(stack);
  if (!p) onboardedPlans.set(stack, (p = plan({ stack, tenantsDir: onboardedTenants() })));
  return p;
}

describe("runbooks: 04 followed literally onboards a tenant", () => {
  it("its shell steps write a valid new tenant file, and the plan gains exactly that tenant", async function () {
    this.timeout(120000);
    const { tenant } = runbook04Steps();
    assert.ok(tenant && !existsSync(join(repoRoot, "tenants", `${tenant}.yaml`)), "04's TENANT is a new tenant");
    const tenants = onboardedTenants();
    assert.notEqual(runRunbook04(dirname(tenants)).status, 0, "running step 2 twice must not overwrite the tenant");
    const text = readFileSync(join(tenants, `${tenant}.yaml`), "utf8");
    assert.equal(text.split("\n")[0], "# yaml-language-server: $schema=../schemas/tenant.schema.json");
    for (const stack of ["staging", "prod"]) {
      const before = await planStack(stack);
      const after = await onboardedPlan(stack);
      const urns = (p: Plan) => new Set(p.resources.map((x) => x.urn));
      const added = [...urns(after)].filter((u) => !urns(before).has(u));
      const removed = [...urns(before)].filter((u) => !urns(after).has(u));
      assert.deepEqual(removed, [], stack);
      assert.ok(
        added.some((u) => u.endsWith(`platform:tenant:Tenant::${tenant}`)),
        `${stack}: the Tenant`,
      );
      assert.ok(
        added.every((u) => u.endsWith(`::${tenant}`) || u.includes(`::${tenant}-`)),
        `${stack}: only the tenant's resources are new: ${added.join(", ")}`,
      );
      // The component and the resources 04's generated block says the plan prints for it.
      const counted = Number(/ — (\d+) resources: /.exec(tenantSummary(after, tenant))?.[1]);
      assert.equal(added.length, counted + 1, `${stack}: ${added.length} new resources`);
    }
  });

  it("its block generated from the plan (what the example tenant gets, counted) is current (npm run docs:generate)", async function () {
    this.timeout(120000);
    const text = RUNBOOK04_TEXT();
    assert.equal(text, renderRunbook04(text, await onboardedPlan("staging")), "run `npm run docs:generate`");
    assert.doesNotMatch(text, /\d+[–-]\d+ resources/, "no typed resource count");
  });
});

describe("runbooks: the agent-token derivation (07) is the code's", () => {
  it("agent_token in the runbook gives deriveAgentToken's value", function () {
    needTool(this, "openssl", "runbook 07's agent-token derivation (openssl dgst)");
    const r = readRunbook("07-rotate-k3s-token.md");
    const fn = r.lines.find((l) => l.startsWith("agent_token() {"));
    assert.ok(fn, "07 defines agent_token");
    for (const token of ["9f1c0de4b7aa41c3", "a'b c$d"]) {
      const res: SpawnSyncReturns<string> = spawnSync("bash", ["-c", `${fn}\nagent_token "$1"`, "bash", token], {
        encoding: "utf8",
      });
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout.trim(), deriveAgentToken(token));
    }
  });
});

describe("runbooks: the project commands they use", () => {
  const scripts = (
    JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }
  ).scripts;
  /** Distinct commands, as the runbooks write them after variable substitution. */
  /** Flags whose value is a file the command writes: the test runs with a temporary file instead. */
  const OUTPUT_FLAGS: Record<string, string[]> = { plan: ["--json"], relocate: ["--targets"] };

  /**
   * Distinct commands, as the runbooks write them after variable substitution, compared without
   * --quiet and the output-file flags (which the test always sets itself); `paths` keeps the
   * runbooks' own output paths so later commands reading them can be pointed at the test's files.
   */
  const commands = () => {
    const seen = new Map<string, { file: string; script: string; args: string[]; paths: string[] }>();
    for (const r of runbooks())
      for (const line of r.lines) {
        // Environment assignments before the command (`PULUMI_K8S_...=true npm run up ...`) go to it.
        const l = subst(line, r.vars).replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+(?=npm\s)/, "");
        if (!/^npm\b/.test(l)) {
          assert.ok(!/(^|[;&|]\s*)npm\s/.test(l), `${r.file}: npm only at the start of a line: ${line}`);
          continue;
        }
        // Installing, and the test suite itself (04 runs it after adding a tenant), are not re-run here.
        if (/^npm (ci|test)$/.test(l)) continue;
        const m = /^npm run (\S+)(?: -- (.*))?$/.exec(l);
        assert.ok(m, `${r.file}: only \`npm ci\` and \`npm run <script> -- <args>\` lines: ${line}`);
        const all = words(m[2] ?? "");
        // Checked below (they need a real site): the wrapper's arguments, not a run.
        if (ON_THE_SITE.has(m[1])) continue;
        for (const a of all) assert.ok(!/\$[A-Z]/.test(a), `${r.file}: undefined variable in ${line}`);
        const args: string[] = [];
        const paths: string[] = [];
        for (let i = 0; i < all.length; i++) {
          if ((OUTPUT_FLAGS[m[1]] ?? []).includes(all[i])) paths.push(all[++i]);
          else if (!(m[1] === "plan" && all[i] === "--quiet")) args.push(all[i]);
        }
        const key = `${m[1]} ${args.join(" ")}`;
        const known = seen.get(key);
        if (known) known.paths.push(...paths);
        else seen.set(key, { file: r.file, script: m[1], args, paths });
      }
    return [...seen.values()];
  };

  it("change a site only through `npm run preview|up` (the guardrails), with arguments the wrapper accepts", () => {
    let n = 0;
    for (const r of runbooks())
      for (const line of r.lines) {
        const m = /(?:^|\s)npm run (preview|up)(?: -- (.*))?$/.exec(subst(line, r.vars));
        if (!m) continue;
        assert.ok(scripts[m[1]], `${r.file}: npm run ${m[1]} does not exist`);
        // The stack is the runbook's variable; every other flag goes to pulumi as written.
        assert.doesNotThrow(() => parsePulumiRunArgs([m[1], ...words(m[2] ?? "")]), `${r.file}: ${line}`);
        n++;
      }
    assert.ok(n >= 10, `only ${n} preview/up runs in the runbooks`);
  });

  it("use only scripts package.json defines, and only offline, read-only ones", () => {
    const all = commands();
    assert.ok(all.length >= 4);
    for (const c of all) {
      assert.ok(scripts[c.script], `${c.file}: npm run ${c.script} does not exist`);
      assert.ok(RUNNABLE.has(c.script), `${c.file}: npm run ${c.script} is not an offline read-only command`);
    }
  });

  describe("each distinct one runs and succeeds", () => {
    const dir = mkdtempSync(join(tmpdir(), "vp-runbooks-"));
    const jsonFor = new Map<string, string>();
    const modelOut = new Map<string, string>();
    const runs = new Map<
      string,
      Promise<{ status: number | null; stdout: string; stderr: string; written?: string }>
    >();
    after(() => rmSync(dir, { recursive: true, force: true }));

    /**
     * Runs the script's own command from package.json with the runbook's arguments. `npm test` has
     * just built the project, so the build step every script starts with is skipped: the commands
     * then run side by side without rebuilding build/ under each other. Plans get --quiet and a
     * temporary --json, the relocation preview a temporary --targets: nothing is written in the
     * repository or at the runbooks' /tmp paths.
     */
    function start(c: { script: string; args: string[]; paths: string[] }, n: number) {
      const body = scripts[c.script].replace(/^node tools\/build\.mjs && /, "");
      assert.ok(!body.includes("&&"), `npm run ${c.script}: one command after the build`);
      const args = [...c.args];
      let written: string | undefined;
      for (const flag of OUTPUT_FLAGS[c.script] ?? []) {
        written = join(dir, `${c.script}-${n}${flag}`);
        args.push(flag, written);
        for (const p of c.paths) jsonFor.set(p, written);
      }
      if (c.script === "plan") args.push("--quiet");
      return new Promise<{ status: number | null; stdout: string; stderr: string; written?: string }>((done) => {
        const child = spawn("sh", ["-c", `${body} "$@"`, "sh", ...args], { cwd: repoRoot });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (status) => done({ status, stdout, stderr, written }));
      });
    }

    before(() => {
      commands().forEach((c, n) => runs.set(`${c.script} ${c.args.join(" ")}`, start(c, n)));
    });

    for (const c of commands()) {
      it(`npm run ${c.script} -- ${c.args.join(" ")}  (${c.file})`, async function () {
        // The commands all started together in before() (plans, a diff, the relocation preview,
        // the model) and share the machine's cores: on a busy 2-core machine the last to finish
        // waits for all the others, so the wait is bounded by all of them, not by one.
        this.timeout(300_000);
        const res = await runs.get(`${c.script} ${c.args.join(" ")}`)!;
        assert.equal(res.status, 0, `exit ${res.status}\n${res.stderr}\n${res.stdout.slice(-2000)}`);
        if (res.written)
          assert.ok(existsSync(res.written) && readFileSync(res.written, "utf8").length > 0, `wrote ${res.written}`);
        if (c.script === "model") modelOut.set(c.args[c.args.indexOf("--stack") + 1], res.stdout);
      });
    }

    it("jq on a plan file a runbook wrote reads the documented plan shape", function () {
      needTool(this, "jq", "the runbooks' jq filters");
      let n = 0;
      for (const r of runbooks())
        for (const line of r.lines) {
          const m = /^jq ((?:-[a-z]+ )*)'([^']*)' "([^"]+)"$/.exec(subst(line, r.vars));
          if (!m || !jsonFor.has(m[3])) continue;
          const res = jq([...words(m[1]), m[2], jsonFor.get(m[3])!], "");
          assert.equal(res.status, 0, res.stderr);
          assert.match(res.stdout.trim(), /^[1-9]\d*$/, `${r.file}: ${m[2]} counts something`);
          n++;
        }
      assert.ok(n >= 2, "01 and 02 count the protected resources of the plan");
    });

    it("the from-scratch times the runbooks state are what `npm run model` prints", () => {
      let n = 0;
      for (const r of runbooks())
        for (const m of r.text.matchAll(/modeled\s+from-scratch\s+`pulumi up`:\s+\*\*([^*]+)\*\*\s+for\s+(\w+)/g)) {
          const out = modelOut.get(m[2]);
          assert.ok(
            out,
            `${r.file}: states a time for ${m[2]} but no runbook runs \`npm run model -- --stack ${m[2]}\``,
          );
          const modeled = /modeled from-scratch `pulumi up` (\S+) with P=\d+/.exec(out)?.[1];
          assert.equal(m[1], modeled, `${r.file}: update the stated time to \`npm run model -- --stack ${m[2]}\`'s`);
          n++;
        }
      assert.ok(n >= 3, "the rebuild runbooks state the modeled time");
    });

    // The measured points, not the value for today's tenant count: a tenant's onboarding or
    // decommission pull request changes the count and must not need a runbook edit (issue 24).
    it("the Argo CD restore times the runbooks state are the measured points `npm run model` prints (measured on the real Argo CD)", () => {
      let n = 0;
      for (const r of runbooks())
        for (const m of r.text.matchAll(
          /measured\s+Argo\s+CD\s+restore:\s+\*\*(\S+)\s+with\s+(\d+)\s+tenants,\s+(\S+)\s+with\s+(\d+)\*\*,\s+linear\s+between\s+for\s+(\w+)'s/g,
        )) {
          const out = modelOut.get(m[5]);
          assert.ok(
            out,
            `${r.file}: states a restore for ${m[5]} but no runbook runs \`npm run model -- --stack ${m[5]}\``,
          );
          const points = /\((\d+) tenants (\S+), (\d+) tenants (\S+); medians/.exec(out ?? "");
          assert.deepEqual(
            [m[1], m[2], m[3], m[4]],
            points && [points[2], points[1], points[4], points[3]],
            `${r.file}: update the stated restore to \`npm run model -- --stack ${m[5]}\`'s measured points`,
          );
          n++;
        }
      assert.ok(n >= 3, "the rebuild runbooks state the measured restore");
    });
  });
});

describe("runbooks: the k3s upgrade path (10)", () => {
  const r = readRunbook("10-upgrade-k3s.md");

  it("walks from the last 1.32 patch to the stack files' pin one minor at a time, none skipped", () => {
    const hops = [...r.text.matchAll(/^\| (\d+)\s+\| `(v1\.\d+)`\s+\| (.*?)\s*\|$/gm)].map((m) => ({
      n: Number(m[1]),
      minor: m[2],
      to: m[3],
    }));
    // Written out: the walk starts on 1.32 (the etcd 3.5 -> 3.6 step needs its last patch first).
    assert.equal(hops[0]?.minor, "v1.32");
    assert.match(hops[0].to, /last 1\.32 patch/);
    hops.forEach((h, i) => {
      assert.equal(h.n, i + 1, "hops numbered 1..n");
      assert.equal(Number(h.minor.split(".")[1]), 32 + i, `hop ${h.n} is exactly one minor after the previous`);
    });
    for (const stack of ["staging", "prod"]) {
      const pin = (readStackConfig(stack)["video-platform:k3s"] as { version: string }).version;
      const last = hops[hops.length - 1];
      assert.ok(pin.startsWith(`${last.minor}.`), `${stack}: pin ${pin} is the last hop's minor ${last.minor}`);
      assert.ok(last.to.includes(`\`${pin}\``), `${stack}: the last hop names the pin ${pin}`);
    }
  });

  it("upgrades with the installer pinned in components/site/installer.ts, verified on the node", () => {
    const text = r.text;
    const sed = (name: string) => {
      const line = text.split("\n").find((l) => l.trim().startsWith(`${name}="$(sed -n `));
      assert.ok(line, `runbook 10 sets ${name} from components/site/installer.ts`);
      const r = spawnSync("bash", ["-c", line.trim() + `; printf %s "$${name}"`], { cwd: repoRoot, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.equal(sed("INSTALLER_SHA256"), "f6dd79c73ff9823378e92cfc0855e725e5dea26c91e2b0c3f80d1d59c05d5f02");
    assert.equal(sed("INSTALLER_URL"), "https://raw.githubusercontent.com/k3s-io/k3s/c5b158798933/install.sh");
    assert.doesNotMatch(text, /install\.sh \| /, "nothing is piped from the network into a shell");
    assert.match(text, /sha256sum -c/);
  });

  it("resolves a minor's newest patch from the k3s channel's redirect", () => {
    const line = r.lines.find((l) => l.startsWith("NEW_VERSION="));
    const pipeline = /^NEW_VERSION="\$\(curl [^|]*\| (.*)\)"$/.exec(line ?? "")?.[1];
    assert.ok(pipeline, `10: NEW_VERSION comes from curl | <filter>: ${line}`);
    for (const header of ["location", "Location"]) {
      const response = `HTTP/2 302\r\n${header}: https://github.com/k3s-io/k3s/releases/tag/v1.33.13+k3s1\r\ncontent-length: 0\r\n\r\n`;
      const res: SpawnSyncReturns<string> = spawnSync("bash", ["-c", pipeline], { input: response, encoding: "utf8" });
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout, "v1.33.13+k3s1\n");
    }
  });
});
