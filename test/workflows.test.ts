/**
 * The GitHub Actions workflows (.github/workflows): valid against GitHub's workflow schema (the
 * @action-validator/core WebAssembly build of action-validator, offline), and held to this
 * project's rules: least-privilege permissions and a concurrency group everywhere, majors
 * pinned, no secrets where fork code runs, no PR-controlled text inside shell scripts.
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
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
      if (uses && !/^[\w.-]+\/[\w.-]+@v\d+$/.test(uses))
        problems.push(`job ${id}: "${uses}" is not pinned to a major (@vN)`);
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
    it(`${f}: top-level permissions, concurrency, pinned majors, no inline PR text in scripts`, () => {
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
      p.some((x) => /actions\/checkout@main.*not pinned/.test(x)),
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

  it("every action comes from GitHub or Pulumi, at the pinned majors", () => {
    const used = new Set(
      files.flatMap((f) => allSteps(load(f)).map((s) => s.uses as string | undefined)).filter(Boolean),
    );
    assert.deepEqual([...used].sort(), [
      "actions/checkout@v4",
      "actions/download-artifact@v4",
      "actions/setup-node@v4",
      "actions/upload-artifact@v4",
      "pulumi/actions@v6",
    ]);
    for (const f of files)
      for (const s of usesOf(load(f), "actions/setup-node"))
        assert.deepEqual(s.with, { "node-version": 20, cache: "npm" }, `${f}: setup-node`);
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
    assert.deepEqual(runs, ["npm ci --no-audit --no-fund", "sudo bash tools/ensure-tools.sh", "npm test"]);
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
    assert.match(post.run, /-F "body=@\$body"/, "the body goes to the API as a file-backed field");
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
    assert.equal(wf.jobs.prod.needs, "staging");
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
