/**
 * The GitHub Actions workflows (.github/workflows): valid against GitHub's workflow schema (the
 * @action-validator/core WebAssembly build of action-validator, offline), and held to this
 * project's rules: least-privilege permissions and a concurrency group everywhere, actions
 * pinned by commit SHA, secrets only inside a stack's GitHub environment, no secrets where fork
 * code runs, no PR-controlled text inside shell scripts, and every job that holds secrets on its
 * environment's own runners.
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { evaluateValue } from "./helpers/gh-expression";
import { repoRoot } from "./helpers/harness";

type Obj = Record<string, any>;
const dir = join(repoRoot, ".github", "workflows");
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const text = (f: string) => readFileSync(join(dir, f), "utf8");
const load = (f: string): Obj => parse(text(f)) as Obj;
const steps = (job: Obj): Obj[] => (job.steps ?? []) as Obj[];
const allSteps = (wf: Obj): Obj[] => Object.values(wf.jobs as Obj).flatMap((j) => steps(j as Obj));
const stacks = readdirSync(repoRoot)
  .map((f) => /^Pulumi\.([A-Za-z0-9._-]+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => !!s && s !== "brokentest")
  .sort();

/** Project rules every workflow follows; returns one message per violation. */
export function policyProblems(wf: Obj): string[] {
  const problems: string[] = [];
  const perms = wf.permissions;
  if (perms === undefined) problems.push("no top-level permissions (the default token can write everything)");
  else if (typeof perms === "string") problems.push(`top-level permissions "${perms}": list them per scope`);
  else
    for (const [scope, level] of Object.entries(perms as Obj))
      if (!["read", "write", "none"].includes(String(level))) problems.push(`permissions.${scope}: ${String(level)}`);
  const jobs = (wf.jobs ?? {}) as Obj;
  if (!wf.concurrency) {
    for (const [id, job] of Object.entries(jobs))
      if (!(job as Obj).concurrency) problems.push(`no top-level concurrency and job ${id} has none`);
  }
  for (const [id, job] of Object.entries(jobs)) {
    for (const s of steps(job as Obj)) {
      const uses = s.uses as string | undefined;
      if (uses && !/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(uses))
        problems.push(`job ${id}: "${uses}" is not pinned to a commit SHA`);
      // Script injection: PR-controlled text must reach scripts through env, never ${{ }} inline.
      const run = String(s.run ?? "");
      const inline = run.match(/\$\{\{[^}]*\}\}/g) ?? [];
      for (const expr of inline)
        if (/github\.(event|head_ref)|inputs\./.test(expr)) problems.push(`job ${id}: ${expr} inside a run script`);
    }
  }
  return problems;
}

const usesOf = (wf: Obj, prefix: string) => allSteps(wf).filter((s) => String(s.uses ?? "").startsWith(prefix));

describe("workflows: schema", () => {
  it("there are workflows for previews, fork-safe diffs, comments, deploys and drift", () => {
    assert.deepEqual(files.sort(), ["deploy.yml", "drift.yml", "pr-checks.yml", "pr-comment.yml", "preview.yml"]);
  });

  for (const f of files)
    it(`${f} validates against the GitHub workflow schema`, () => {
      const r = validateWorkflow(text(f));
      assert.equal(r.actionType, "workflow");
      assert.deepEqual(r.errors, [], JSON.stringify(r.errors, null, 2));
    });

  it("the validator rejects invalid workflows (it is not a no-op)", () => {
    const good = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";
    assert.deepEqual(validateWorkflow(good).errors, []);
    const typo = good.replace("runs-on", "runs-onn");
    assert.ok(validateWorkflow(typo).errors.length > 0, "misspelled runs-on accepted");
    const badPerm = `permissions:\n  contents: admin\n${good}`;
    const errs = validateWorkflow(badPerm).errors;
    assert.ok(errs.length > 0 && JSON.stringify(errs).includes("/permissions"), "bad permission level accepted");
    assert.ok(validateWorkflow("on: push\njobs: {}\nbogus: 1\n").errors.length > 0, "unknown top-level key accepted");
  });
});

describe("workflows: project rules", () => {
  it("every real preview/up runs the guardrails policy pack (policy/)", () => {
    let seen = 0;
    for (const f of files) {
      for (const step of allSteps(load(f))) {
        const uses = String(step.uses ?? "");
        const run = String(step.run ?? "");
        if (uses.startsWith("pulumi/actions@") && ["preview", "up"].includes(String(step.with?.command))) {
          seen++;
          assert.equal(step.with?.policyPacks, "policy", `${f}: ${step.with?.command} without policyPacks: policy`);
        }
        if (/\bpulumi (preview|up)\b/.test(run)) {
          seen++;
          assert.match(run, /--policy-pack policy/, `${f}: a pulumi command without --policy-pack policy`);
        }
      }
    }
    assert.ok(seen >= 5, `expected the PR preview, both deploys and drift check/heal, saw ${seen}`);
  });

  for (const f of files)
    it(`${f}: top-level permissions, concurrency, SHA-pinned actions, no inline PR text in scripts`, () => {
      assert.deepEqual(policyProblems(load(f)), []);
    });

  it("the rules catch a workflow without permissions or concurrency, unpinned actions and injection", () => {
    const wf = parse(
      [
        "on: pull_request",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - uses: actions/checkout@main",
        '      - run: echo "${{ github.event.pull_request.title }}"',
      ].join("\n"),
    ) as Obj;
    const p = policyProblems(wf);
    assert.ok(
      p.some((x) => /no top-level permissions/.test(x)),
      p.join("\n"),
    );
    assert.ok(
      p.some((x) => /no top-level concurrency and job a/.test(x)),
      p.join("\n"),
    );
    assert.ok(
      p.some((x) => /actions\/checkout@main.*not pinned to a commit SHA/.test(x)),
      p.join("\n"),
    );
    assert.ok(
      p.some((x) => /pull_request\.title.*inside a run script/.test(x)),
      p.join("\n"),
    );
    assert.ok(
      policyProblems({ ...wf, permissions: "write-all", concurrency: { group: "x" } }).some((x) => /write-all/.test(x)),
    );
    // Per-job concurrency on every job is enough.
    const perJob = {
      ...wf,
      permissions: { contents: "read" },
      jobs: { a: { ...wf.jobs.a, concurrency: "g", steps: [] } },
    };
    assert.deepEqual(policyProblems(perJob), []);
  });

  it("every action comes from GitHub or Pulumi, pinned by commit SHA with its version beside it", () => {
    const lines = files.flatMap((f) =>
      text(f)
        .split("\n")
        .filter((l) => /^\s*-?\s*uses:/.test(l))
        .map((l) => l.replace(/^\s*-?\s*uses:\s*/, "")),
    );
    assert.deepEqual([...new Set(lines)].sort(), [
      "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
      "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1",
      "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0",
      "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
      "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0",
    ]);
  });

  it("Node from .nvmrc (the active LTS), the Pulumi CLI pinned to the SDK's version", () => {
    assert.equal(readFileSync(join(repoRoot, ".nvmrc"), "utf8"), "24\n");
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as Obj;
    assert.equal(readFileSync(join(repoRoot, ".pulumi-version"), "utf8"), `${pkg.dependencies["@pulumi/pulumi"]}\n`);
    assert.match(pkg.dependencies["@pulumi/pulumi"], /^\d+\.\d+\.\d+$/);
    let pulumiSteps = 0;
    for (const f of files) {
      const wf = load(f);
      for (const [id, job] of Object.entries(wf.jobs as Obj)) {
        for (const s of usesOf({ jobs: { job } }, "actions/setup-node")) {
          // No dependency cache in a job that holds secrets (a poisoned cache would run with them).
          const expected = (job as Obj).environment
            ? { "node-version-file": ".nvmrc", "package-manager-cache": false }
            : { "node-version-file": ".nvmrc", cache: "npm" };
          assert.deepEqual(s.with, expected, `${f} ${id}: setup-node`);
        }
        for (const s of usesOf({ jobs: { job } }, "pulumi/actions")) {
          pulumiSteps++;
          assert.equal(s.with["pulumi-version-file"], ".pulumi-version", `${f} ${id}`);
          assert.equal(s.with["pulumi-version"], undefined, `${f} ${id}: one pin, in .pulumi-version`);
        }
      }
    }
    assert.equal(pulumiSteps, 6, "preview, staging up, prod preview, prod up, drift CLI, drift heal");
  });

  it("ts-node only transpiles (PULUMI_NODEJS_TRANSPILE_ONLY) only where the run type-checked first", () => {
    for (const f of files) {
      const wf = load(f);
      const typechecked = Object.entries(wf.jobs as Obj)
        .filter(([, j]) => steps(j as Obj).some((s) => s.run === "npm run typecheck"))
        .map(([id]) => id);
      for (const [id, job] of Object.entries(wf.jobs as Obj))
        for (const s of steps(job as Obj)) {
          if (s.env?.PULUMI_NODEJS_TRANSPILE_ONLY === undefined) continue;
          assert.equal(s.env.PULUMI_NODEJS_TRANSPILE_ONLY, "true");
          const needs = ([] as string[]).concat((job as Obj).needs ?? []);
          const before = new Set(needs.flatMap((n) => [n, ...([] as string[]).concat(wf.jobs[n].needs ?? [])]));
          assert.ok(
            typechecked.some((t) => before.has(t)),
            `${f} ${id}: transpile-only without a type check before it`,
          );
        }
    }
    const pulumiYaml = readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8");
    assert.match(pulumiYaml, /PULUMI_NODEJS_TRANSPILE_ONLY/, "Pulumi.yaml says how the real run type-checks");
  });

  it("the stacks the workflows handle are exactly the repository's stack files", () => {
    assert.deepEqual(stacks, ["prod", "staging"]);
    for (const f of ["preview.yml", "pr-checks.yml"]) {
      const wf = load(f);
      const job = f === "preview.yml" ? wf.jobs.preview : wf.jobs["offline-diff"];
      assert.deepEqual([...job.strategy.matrix.stack].sort(), stacks, f);
    }
    const drift = text("drift.yml");
    assert.ok(drift.includes(`'["${stacks[1]}","${stacks[0]}"]'`), "drift checks every stack by default");
  });
});

describe("workflows: pull requests", () => {
  it("preview: same-repo PRs only, npm ci + npm test, then a preview per stack commented in place", () => {
    const wf = load("preview.yml");
    assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
    assert.deepEqual(wf.permissions, { contents: "read", "pull-requests": "write" });
    const sameRepo = "github.event.pull_request.head.repo.full_name == github.repository";
    assert.equal(wf.jobs.test.if, sameRepo);
    assert.equal(wf.jobs.preview.if, sameRepo);
    assert.deepEqual(wf.jobs.test.permissions, { contents: "read" });
    const runs = steps(wf.jobs.test)
      .map((s) => s.run)
      .filter(Boolean);
    assert.deepEqual(runs, [
      "npm ci --no-audit --no-fund",
      "sudo bash tools/ensure-tools.sh",
      "npm run typecheck",
      "npm test",
    ]);
    assert.equal(wf.jobs.preview.needs, "test");
    const [pulumi] = usesOf(wf, "pulumi/actions");
    assert.deepEqual(
      {
        command: pulumi.with.command,
        stack: pulumi.with["stack-name"],
        comment: pulumi.with["comment-on-pr"],
        edit: pulumi.with["edit-pr-comment"],
        summary: pulumi.with["always-include-summary"],
        outputs: pulumi.with["suppress-outputs"],
        diff: pulumi.with.diff,
      },
      {
        command: "preview",
        stack: "${{ matrix.stack }}",
        comment: true,
        edit: true,
        summary: true,
        outputs: true,
        diff: true,
      },
    );
    // Credentials only from secrets.
    for (const [k, v] of Object.entries(pulumi.env as Obj))
      if (k !== "PULUMI_NODEJS_TRANSPILE_ONLY")
        assert.match(String(v), /^\$\{\{ secrets\.[A-Z_]+ \}\}$/, `${k} must come from a secret`);
  });

  it("fork-safe diff: every PR, read-only token, no secret anywhere, one offline diff per stack as an artifact", () => {
    const raw = text("pr-checks.yml");
    const wf = load("pr-checks.yml");
    assert.deepEqual(Object.keys(wf.on), ["pull_request"], "pull_request, never pull_request_target");
    assert.deepEqual(wf.permissions, { contents: "read" });
    assert.ok(!/secrets\./.test(raw), "references a secret");
    const job = wf.jobs["offline-diff"];
    assert.equal(job.if, undefined, "runs for forks too");
    const checkout = usesOf({ jobs: { job } }, "actions/checkout")[0];
    assert.equal(checkout.with["fetch-depth"], 0, "the base commit must be present");
    const diff = steps(job).find((s) => String(s.run ?? "").includes("npm run plan"));
    assert.equal(
      diff?.run,
      'npm run plan -- --stack "$STACK" --base "$BASE_SHA" --markdown "offline-diff/$STACK.md" --quiet',
    );
    assert.deepEqual(diff?.env, {
      BASE_SHA: "${{ github.event.pull_request.base.sha }}",
      STACK: "${{ matrix.stack }}",
    });
    const upload = usesOf({ jobs: { job } }, "actions/upload-artifact")[0];
    assert.equal(upload.with.name, "offline-diff-${{ matrix.stack }}");
    // A failed plan still yields a comment (its error lines): the upload runs after a failure.
    assert.equal(upload.if, "${{ !cancelled() }}");
    assert.equal(steps(job).find((s) => String(s.run ?? "").includes("pr-number"))?.if, "${{ !cancelled() }}");
    const checks = steps(wf.jobs.checks)
      .map((s) => s.run)
      .filter(Boolean);
    for (const c of ["npm run typecheck", "npm run lint", "npm run format:check", "npm test"])
      assert.ok(checks.includes(c), c);
  });

  it("comment poster: workflow_run of the PR checks, write token, never checks out or runs PR code", () => {
    const raw = text("pr-comment.yml");
    const wf = load("pr-comment.yml");
    assert.deepEqual(wf.on, { workflow_run: { workflows: [load("pr-checks.yml").name], types: ["completed"] } });
    assert.deepEqual(wf.permissions, { actions: "read", "pull-requests": "write" });
    assert.equal(usesOf(wf, "actions/checkout").length, 0, "checks out code in a privileged workflow");
    assert.ok(!/\bnpm\b|\bnode\b|\bbash\s+artifacts|source\s/.test(raw), "runs something from the artifact");
    const post = allSteps(wf).find((s) => String(s.run ?? "").includes("issues/comments"));
    assert.ok(post, "no posting step");
    assert.match(post.run, /\[\[ "\$pr_head" != "\$HEAD_SHA" \]\]/, "must check the PR head is the diffed commit");
    assert.match(post.run, /tr -dc '0-9'/, "must sanitize the PR number");
    assert.match(post.run, /-F "body=@\$comment"/, "the body goes to the API as a file-backed field");
    assert.match(post.run, /<!-- vp-offline-diff:\$stack -->/, "finds its comment by the marker the renderer writes");
    assert.equal(post.env.HEAD_SHA, "${{ github.event.workflow_run.head_sha }}");
  });
});

describe("workflows: deploy and drift", () => {
  it("deploy: on main, staging then prod behind the production environment, one update per stack", () => {
    const wf = load("deploy.yml");
    assert.deepEqual(wf.on, { push: { branches: ["main"] } });
    assert.deepEqual(wf.permissions, { contents: "read" });
    assert.deepEqual(wf.concurrency, { group: "deploy-main", "cancel-in-progress": false });
    assert.equal(wf.jobs.staging.needs, "test");
    assert.deepEqual(wf.jobs.prod.needs, ["staging", "prod-preview"]);
    assert.equal(wf.jobs.staging.environment, "staging");
    assert.equal(wf.jobs.prod.environment, "production");
    for (const s of ["staging", "prod"]) {
      assert.deepEqual(wf.jobs[s].concurrency, { group: `pulumi-${s}`, "cancel-in-progress": false });
      const [up] = usesOf({ jobs: { j: wf.jobs[s] } }, "pulumi/actions");
      assert.equal(up.with.command, "up");
      assert.equal(up.with["stack-name"], s);
      assert.equal(up.with["suppress-outputs"], true);
    }
  });

  it("drift: scheduled preview --refresh --expect-no-changes per stack, failing visibly, optional heal", () => {
    const wf = load("drift.yml");
    assert.ok(Array.isArray(wf.on.schedule) && /^\S+ \S+ \S+ \S+ \S+$/.test(wf.on.schedule[0].cron));
    assert.deepEqual(wf.on.workflow_dispatch.inputs.heal, {
      description: wf.on.workflow_dispatch.inputs.heal.description,
      type: "boolean",
      default: false,
    });
    // The check is the plain CLI call (the action drops a failing preview's diff).
    const check = steps(wf.jobs.detect).find((s) => String(s.run ?? "").includes("pulumi preview"));
    assert.ok(check, "no preview step");
    assert.match(check.run, /pulumi preview --stack "\$STACK" --refresh --expect-no-changes --diff --suppress-outputs/);
    assert.match(check.run, />> "\$GITHUB_STEP_SUMMARY"/, "the drift goes into the job summary");
    assert.match(check.run, /tail -c 900000 preview\.txt/, "the preview itself is in the summary, within its 1 MiB");
    assert.match(check.run, /::error title=Drift on/);
    assert.match(check.run, /if \[ "\$status" != 0 \]; then[\s\S]*exit 1/, "drift fails the job");
    assert.equal(check["continue-on-error"], undefined, "a drifted stack must turn the run red");
    assert.equal(check.env.STACK, "${{ matrix.stack }}");
    assert.match(wf.jobs.heal.if, /inputs\.heal/);
    assert.match(wf.jobs.heal.if, /github\.ref == 'refs\/heads\/main'/);
    assert.equal(wf.jobs.heal.environment, "${{ matrix.stack == 'prod' && 'production' || 'staging' }}");
    assert.deepEqual(wf.jobs.heal.concurrency, { group: "pulumi-${{ matrix.stack }}", "cancel-in-progress": false });
    const [heal] = usesOf({ jobs: { h: wf.jobs.heal } }, "pulumi/actions");
    assert.deepEqual([heal.with.command, heal.with.refresh], ["up", true]);
  });
});

describe("workflows: CI secrets stay in the stack's environment (issue 14 item 7)", () => {
  /** Every job that can read a secret, with its environment as written. */
  const secretJobs = () =>
    files.flatMap((f) =>
      Object.entries(load(f).jobs as Obj)
        .filter(([, j]) => /secrets\./.test(JSON.stringify(j)))
        .map(([id, j]) => ({ f, id, environment: (j as Obj).environment as string | undefined })),
    );

  it("every job that can decrypt a stack's config names that stack's environment", () => {
    assert.deepEqual(
      secretJobs().map((j) => `${j.f} ${j.id}: ${j.environment}`),
      [
        "deploy.yml staging: staging",
        "deploy.yml prod-preview: production-preview",
        "deploy.yml prod: production",
        "drift.yml detect: ${{ matrix.stack == 'prod' && 'production-preview' || 'staging' }}",
        "drift.yml heal: ${{ matrix.stack == 'prod' && 'production' || 'staging' }}",
        "preview.yml preview: ${{ matrix.stack == 'prod' && 'production-pr-preview' || 'staging' }}",
      ],
    );
    for (const f of ["pr-checks.yml", "pr-comment.yml"]) assert.ok(!/secrets\./.test(text(f)), `${f} reads a secret`);
  });

  it("pull-request jobs never name the main-only prod environments; prod previews of PR code wait for a reviewer", () => {
    for (const f of files) {
      const wf = load(f);
      if (!("pull_request" in (wf.on as Obj)) && !("pull_request_target" in (wf.on as Obj))) continue;
      for (const [id, job] of Object.entries(wf.jobs as Obj)) {
        const env = String((job as Obj).environment ?? "");
        assert.ok(!/'production'|'production-preview'|^production(-preview)?$/.test(env), `${f} ${id}: ${env}`);
      }
    }
    // Table rows with prettier's padding collapsed.
    const ci = readFileSync(join(repoRoot, "docs", "ci.md"), "utf8").replace(/ {2,}/g, " ");
    for (const row of [
      "| `staging` | any branch | none |",
      "| `production-pr-preview` | any branch | required reviewers |",
      "| `production-preview` | `main` only | none |",
      "| `production` | `main` only | required reviewers |",
    ])
      assert.ok(ci.includes(row), `docs/ci.md states the environment rule ${row}`);
  });

  it("drift detection and healing run from main only", () => {
    const wf = load("drift.yml");
    assert.equal(wf.jobs.detect.if, "github.ref == 'refs/heads/main'");
    assert.match(wf.jobs.heal.if, /&& github\.ref == 'refs\/heads\/main'$/);
  });

  it("deploy: the prod approval comes after the prod preview of the same commit", () => {
    const wf = load("deploy.yml");
    assert.deepEqual(wf.jobs["prod-preview"].needs, "test");
    assert.deepEqual(wf.jobs.prod.needs, ["staging", "prod-preview"]);
    const [preview] = usesOf({ jobs: { j: wf.jobs["prod-preview"] } }, "pulumi/actions");
    assert.deepEqual(
      [preview.with.command, preview.with["stack-name"], preview.with["comment-on-summary"], preview.with.diff],
      ["preview", "prod", true, true],
    );
    const [checkout] = usesOf({ jobs: { j: wf.jobs["prod-preview"] } }, "actions/checkout");
    assert.equal(checkout.with.ref, undefined, "the pushed commit itself, as the prod job checks out");
  });

  it("the fork-PR diff comment is marked, by the trusted poster, as computed by untrusted code", () => {
    const post = allSteps(load("pr-comment.yml")).find((s) => String(s.run ?? "").includes("issues/comments"));
    assert.ok(post);
    const banner = post.run.indexOf(
      "> Computed by this pull request's own code, which is untrusted until reviewed: the PR can make this comment say anything.",
    );
    assert.ok(banner > 0, "banner");
    assert.ok(post.run.indexOf('tail -n +2 "$body"') > banner, "the banner comes before the PR's text");
    assert.match(post.run, /-F "body=@\$comment"/, "posts the marked comment, not the artifact as is");
  });
});

/** The repository variable naming an environment's runners: `PULUMI_RUNNER_<ENVIRONMENT>`. */
const runnerVariable = (environment: string) => `PULUMI_RUNNER_${environment.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
/** GitHub-hosted runners: a fresh virtual machine per job, nothing carries over to the next. */
const HOSTED = /^(ubuntu|windows|macos)-[\w.-]+$/;

/** Every combination of a job's matrix; a matrix computed by an expression spans the stacks. */
function matrixCombinations(job: Obj): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const [key, values] of Object.entries((job.strategy?.matrix ?? {}) as Obj)) {
    if (key === "include" || key === "exclude") throw new Error(`matrix ${key} is not read by the runner rule`);
    const list: string[] = Array.isArray(values) ? values.map(String) : key === "stack" ? stacks : [];
    if (list.length === 0) throw new Error(`matrix.${key}: cannot enumerate ${JSON.stringify(values)}`);
    combos = combos.flatMap((c) => list.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

/**
 * Issue 25 item 5: a job that holds a stack's secrets (it names a GitHub environment, or reads a
 * secret other than its own GITHUB_TOKEN) runs on its environment's own runners, the ones
 * `vars.PULUMI_RUNNER_<ENVIRONMENT>` names, or on a GitHub-hosted runner when that variable is
 * unset; a job without secrets never runs on an environment's runners. Derived per job from its
 * `environment`, its secrets and its `runs-on`, for every matrix combination.
 */
export function runnerProblems(wf: Obj): string[] {
  const problems: string[] = [];
  for (const [id, job] of Object.entries((wf.jobs ?? {}) as Obj)) {
    const holdsSecrets = job.environment !== undefined || /secrets\.(?!GITHUB_TOKEN\b)/.test(JSON.stringify(job));
    if (typeof job["runs-on"] !== "string") {
      problems.push(`job ${id}: runs-on must be one label or one expression`);
      continue;
    }
    for (const matrix of matrixCombinations(job)) {
      const where = `job ${id}${Object.keys(matrix).length ? ` (${JSON.stringify(matrix)})` : ""}`;
      const configured = evaluateValue(job["runs-on"], { matrix, vars: (n) => `vars.${n}` });
      const unset = evaluateValue(job["runs-on"], { matrix, vars: () => "" });
      if (!holdsSecrets) {
        if (!HOSTED.test(configured))
          problems.push(`${where}: holds no secret but runs on ${configured}; only GitHub-hosted runners`);
        continue;
      }
      const raw = job.environment === undefined ? "" : String(job.environment.name ?? job.environment);
      const environment = raw && evaluateValue(raw, { matrix, vars: () => "" });
      if (!environment) {
        problems.push(`${where}: reads secrets outside a GitHub environment`);
        continue;
      }
      const own = `vars.${runnerVariable(environment)}`;
      if (configured !== own)
        problems.push(`${where}: environment ${environment} runs on ${configured}, not its own runners (${own})`);
      if (!HOSTED.test(unset))
        problems.push(`${where}: with ${own} unset it runs on "${unset}", not a GitHub-hosted runner`);
    }
  }
  return problems;
}

describe("workflows: runners (issue 25 item 5)", () => {
  for (const f of files)
    it(`${f}: every job holding secrets runs on its environment's own runners, the others on GitHub's`, () => {
      assert.deepEqual(runnerProblems(load(f)), []);
    });

  it("the rule is derived from the jobs: it sees which environments and runners the workflows use", () => {
    const seen = new Map<string, Set<string>>();
    for (const f of files)
      for (const job of Object.values(load(f).jobs as Obj))
        for (const matrix of matrixCombinations(job as Obj)) {
          const ro = String((job as Obj)["runs-on"]);
          const runner = evaluateValue(ro, { matrix, vars: (n) => `vars.${n}` });
          const env = (job as Obj).environment
            ? evaluateValue(String((job as Obj).environment), { matrix, vars: () => "" })
            : "-";
          seen.set(env, new Set([...(seen.get(env) ?? []), runner]));
        }
    assert.deepEqual(Object.fromEntries([...seen].map(([env, runners]) => [env, [...runners].sort()]).sort()), {
      "-": ["ubuntu-latest"],
      production: ["vars.PULUMI_RUNNER_PRODUCTION"],
      "production-pr-preview": ["vars.PULUMI_RUNNER_PRODUCTION_PR_PREVIEW"],
      "production-preview": ["vars.PULUMI_RUNNER_PRODUCTION_PREVIEW"],
      staging: ["vars.PULUMI_RUNNER_STAGING"],
    });
    assert.ok(!files.some((f) => /vars\.PULUMI_RUNNER\b(?!_)/.test(text(f))), "the shared PULUMI_RUNNER is gone");
  });

  it("refuses a prod job on the staging runners, a secret-less job on a prod runner, a secret without an environment", () => {
    const job = (extra: Obj) => ({ steps: [{ run: "true" }], ...extra });
    const wf = {
      jobs: {
        shared: job({
          environment: "${{ matrix.stack == 'prod' && 'production' || 'staging' }}",
          "runs-on": "${{ vars.PULUMI_RUNNER_STAGING || 'ubuntu-latest' }}",
          strategy: { matrix: { stack: ["staging", "prod"] } },
        }),
        sneaky: job({ "runs-on": "${{ vars.PULUMI_RUNNER_PRODUCTION }}" }),
        loose: job({ "runs-on": "ubuntu-latest", env: { P: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" } }),
        selfHosted: job({ environment: "production", "runs-on": "${{ vars.PULUMI_RUNNER_PRODUCTION || 'prod-box' }}" }),
        // The nearest legitimate jobs: each environment on its own runners, a plain job on GitHub's.
        good: job({
          environment: "${{ matrix.stack == 'prod' && 'production' || 'staging' }}",
          "runs-on":
            "${{ matrix.stack == 'prod' && (vars.PULUMI_RUNNER_PRODUCTION || 'ubuntu-latest') || (vars.PULUMI_RUNNER_STAGING || 'ubuntu-latest') }}",
          strategy: { matrix: { stack: ["staging", "prod"] } },
        }),
        plain: job({ "runs-on": "ubuntu-24.04", env: { T: "${{ secrets.GITHUB_TOKEN }}" } }),
      },
    };
    assert.deepEqual(runnerProblems(wf), [
      'job shared ({"stack":"prod"}): environment production runs on vars.PULUMI_RUNNER_STAGING, not its own runners (vars.PULUMI_RUNNER_PRODUCTION)',
      "job sneaky: holds no secret but runs on vars.PULUMI_RUNNER_PRODUCTION; only GitHub-hosted runners",
      "job loose: reads secrets outside a GitHub environment",
      'job selfHosted: with vars.PULUMI_RUNNER_PRODUCTION unset it runs on "prod-box", not a GitHub-hosted runner',
    ]);
    assert.throws(
      () => runnerProblems({ jobs: { f: job({ "runs-on": "${{ fromJSON(vars.X) }}" }) } }),
      /not supported|cannot read/,
    );
  });

  it("docs/ci.md requires ephemeral runners, one set per environment, for every environment the workflows use", () => {
    const ci = readFileSync(join(repoRoot, "docs", "ci.md"), "utf8").replace(/ {2,}/g, " ");
    for (const env of ["staging", "production-pr-preview", "production-preview", "production"]) {
      const row = ci.split("\n").find((l) => l.startsWith(`| \`${runnerVariable(env)}\` | \`${env}\` |`));
      assert.ok(row, `docs/ci.md has a runner row for ${env}`);
      assert.match(row, /ephemeral/, `${env}: ephemeral runners required`);
    }
  });
});
