/**
 * Tenant sets for the tests. The committed `tenants/` is customer data: a reviewed pull request
 * adds, changes, decommissions or removes a file there, and no test may need an edit for it. So
 * tests over the committed files assert properties every valid tenant set has
 * (test/helpers/tenant-properties.ts), reading the files themselves for what a tenant declared;
 * tests that need particular tenants (written-out manifests, crafted violations, one tenant with
 * domains and one without) plan the sample set under test/fixtures/tenants/sample instead.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { descendants, expectInputError, Plan, PlannedResource, planStack, planWith, repoRoot } from "./harness";

/** The committed tenants directory (customer data). */
export const TENANTS_DIR = join(repoRoot, "tenants");

/**
 * Three sample tenants that between them take every optional path: demo-tv (standard, ingest,
 * two domains, one admin group), demo-radio (small, nothing optional), demo-football (premium,
 * a quota override, an SSH repository, two admin groups).
 */
export const SAMPLE_TENANTS = join(repoRoot, "test", "fixtures", "tenants", "sample");

export const TENANT_TYPE = "platform:tenant:Tenant";

/** What a tenant file declares, read as plain YAML (not through the loader under test). */
export interface TenantFile {
  name: string;
  tier: string;
  domains: string[];
  admins: string[];
  repoURL: string;
  decommission: boolean;
  /** Ingest workers the file asks for; undefined when it leaves them to the tier's preset. */
  ingestWorkers?: number;
}

/** Every tenant file of `dir` (`*.yaml`, as the loader reads them), sorted by name. */
export function tenantFiles(dir: string = TENANTS_DIR): TenantFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const y = parse(readFileSync(join(dir, f), "utf8")) as Record<string, any>;
      return {
        name: String(y.name),
        tier: String(y.tier),
        domains: (y.domains ?? []) as string[],
        admins: (y.admins ?? []) as string[],
        repoURL: String(y.gitops?.repoURL),
        decommission: y.decommission === true,
        ingestWorkers: y.ingest?.workers as number | undefined,
      };
    });
}

/** The Tenant components of a plan, by name, sorted. */
export function tenantsIn(p: Plan): string[] {
  return p.resources
    .filter((r) => r.type === TENANT_TYPE)
    .map((r) => r.name)
    .sort();
}

/** The sample set planned on a committed stack (cached per process, like planStack). */
export function planSample(stack: string): Promise<Plan> {
  return planStack(stack, SAMPLE_TENANTS);
}

/** The tenant component and its descendants in a plan. */
export function tenantResources(p: Plan, name: string): { component: PlannedResource; children: PlannedResource[] } {
  const component = p.resources.find((r) => r.type === TENANT_TYPE && r.name === name);
  if (!component) throw new Error(`no Tenant component ${name}`);
  return { component, children: descendants(p, component.urn) };
}

/** Plans `dir` (staging) expecting an InputError; also counts resources the program constructed. */
export async function planProblems(dir: string, stack = "staging") {
  let constructed = 0;
  const problems = await expectInputError(() =>
    planWith({
      stack,
      tenantsDir: dir,
      program: () => {
        // Resource constructors apply stack transformations synchronously: any resource the
        // program declared before failing would be counted here.
        pulumi.runtime.registerStackTransformation(() => {
          constructed++;
          return undefined;
        });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return (require(join(repoRoot, "build", "index.js")) as () => Promise<unknown>)();
      },
    }),
  );
  return { problems, constructed };
}

export interface Expectation {
  file: string;
  path: string;
  message: RegExp;
  line: string;
}

/** `# expect: <path> | <regex>` (problem in that file) and `# expect-dir:` (problem on the directory). */
export function expectationsOf(dir: string): Expectation[] {
  const out: Expectation[] = [];
  for (const f of readdirSync(dir).sort())
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      const m = /^# expect(-dir)?: (.*?) \| (.*)$/.exec(line);
      if (!m) continue;
      out.push({
        file: m[1] ? dir : join(dir, f),
        path: m[2] === "(file)" ? "" : m[2],
        message: new RegExp(m[3]),
        line,
      });
    }
  return out;
}
