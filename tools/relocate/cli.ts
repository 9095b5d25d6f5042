/**
 * `npm run relocate -- --stack <name> --location <new> [--from <old>] [--targets <file>]`
 *
 * The offline preview of moving a site (docs/runbooks/01-03): plans the stack as committed and
 * again at the new location, proves that only location-bound inputs change (every tenant's objects
 * identical), lists what Hetzner replaces (with its protection) and what is updated in place, and
 * writes the URNs of the replaced resources to --targets, one per line, for the runbook's
 * `pulumi destroy --target ... --target-dependents` step. Exit 0 when the move is a pure location
 * change, 1 when anything else would change (or the config is invalid), 2 on bad arguments.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PROJECT } from "../../components/config/schema";
import { LOCATIONS, NETWORK_ZONE, type Location } from "../../components/site/catalog";
import { checkStackName, readFlags, reportFailure, UsageError } from "../cli/args";
import { plan, readStackConfig } from "../plan/runtime";
import { relocationReport, type RelocationReport } from "./relocation";

const USAGE =
  "usage: npm run relocate -- --stack <name> --location <new location> [--from <old location>] [--targets <file>]";

export interface RelocateArgs {
  stack: string;
  location: Location;
  from?: Location;
  targets?: string;
}

export function parseRelocateArgs(argv: string[]): RelocateArgs {
  const out: Partial<RelocateArgs> = {};
  const loc = (flag: string, v: string): Location => {
    if (!(LOCATIONS as readonly string[]).includes(v))
      throw new UsageError(`${flag}: "${v}" is not a Hetzner location (${LOCATIONS.join(", ")})`);
    return v as Location;
  };
  const f = readFlags(
    argv,
    { stack: { type: "string" }, location: { type: "string" }, from: { type: "string" }, targets: { type: "string" } },
    USAGE,
  );
  if (!f.stack || !f.location) throw new UsageError(`--stack and --location are required\n${USAGE}`);
  out.stack = checkStackName(f.stack);
  out.location = loc("--location", f.location);
  if (f.from !== undefined) out.from = loc("--from", f.from);
  out.targets = f.targets;
  return out as RelocateArgs;
}

/** The stack file's config with `site.location` set (a deep copy). */
export function withLocation(config: Record<string, unknown>, location: string): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, Record<string, unknown>>;
  const key = `${PROJECT}:site`;
  if (!copy[key] || typeof copy[key] !== "object")
    throw new UsageError(`the stack file has no ${key} mapping to relocate`);
  copy[key].location = location;
  return copy;
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** The human-readable report. */
export function renderReport(args: Omit<RelocateArgs, "from"> & { from: string }, r: RelocationReport): string {
  const fromZone = NETWORK_ZONE[args.from as Location];
  const toZone = NETWORK_ZONE[args.location];
  const lines = [
    `relocation of ${args.stack}: ${args.from} (${fromZone}) -> ${args.location} (${toZone})`,
    `config change: pulumi config set --path site.location ${args.location} --stack ${args.stack}`,
    fromZone === toZone
      ? `  same network zone: the private network and its subnet stay`
      : `  network zone ${fromZone} -> ${toZone}: the subnet is replaced too (the network itself stays)`,
    "",
    `replaced by Hetzner (${r.replaced.length}; destroy them first, with --target-dependents):`,
  ];
  const byUrn = (urn: string) => r.changes.filter((c) => c.urn === urn);
  for (const x of r.replaced)
    for (const c of byUrn(x.urn))
      lines.push(
        `  ${x.protect ? "protected" : "         "}  ${x.name.padEnd(24)} ${x.type.padEnd(42)} ${c.path}: ${show(c.before)} -> ${show(c.after)}`,
      );
  lines.push("", `updated in place (${r.updated.length}):`);
  for (const x of r.updated)
    for (const c of byUrn(x.urn)) lines.push(`  ${x.name.padEnd(24)} ${c.path}: ${show(c.before)} -> ${show(c.after)}`);
  lines.push("", "stack outputs that change:");
  for (const o of r.outputs) lines.push(`  ${o.path}: ${show(o.before)} -> ${show(o.after)}`);
  const untouched = r.resources - r.replaced.length - r.updated.length;
  lines.push(
    "",
    `unchanged: ${untouched} of ${r.resources} resources; every tenant's objects identical ` +
      `(${r.tenants.length} tenants, ${r.tenantResources} resources)`,
  );
  if (r.kubernetesProvider)
    lines.push(
      `Kubernetes provider (--exclude it with --exclude-dependents to stage an etcd restore):`,
      `  ${r.kubernetesProvider}`,
    );
  const bad = [
    ...r.onlyBefore.map((u) => `  only at ${args.from}: ${u}`),
    ...r.onlyAfter.map((u) => `  only at ${args.location}: ${u}`),
    ...r.unexpected.map(
      (c) =>
        `  ${c.name} (${c.type}) ${c.path}: ${show(c.before)} -> ${show(c.after)}${c.tenant ? ` [tenant ${c.tenant}]` : ""}`,
    ),
    ...r.tenantChanges.filter((c) => c.rule).map((c) => `  ${c.name} ${c.path} [tenant ${c.tenant}]`),
  ];
  if (bad.length)
    lines.push(
      "",
      "NOT a pure location change: these differ and no rule in tools/relocate/relocation.ts explains them.",
      "The runbooks do not cover them; fix the code (or extend LOCATION_BOUND with a reviewed reason) first:",
      ...bad,
    );
  return lines.join("\n") + "\n";
}

async function main(argv: string[]): Promise<number> {
  const args = parseRelocateArgs(argv);
  const committed = readStackConfig(args.stack);
  const site = committed[`${PROJECT}:site`] as { location?: string } | undefined;
  const from = args.from ?? site?.location;
  if (!from) throw new UsageError(`Pulumi.${args.stack}.yaml sets no site.location`);
  if (from === args.location)
    throw new UsageError(
      `Pulumi.${args.stack}.yaml already says ${from}: run this before editing the stack file, or pass --from <old location>`,
    );
  // One random key for both plans: secret inputs compare by digest, and the key is never written.
  const secretDigestKey = randomBytes(32).toString("hex");
  const before = await plan({ stack: args.stack, stackConfig: withLocation(committed, from), secretDigestKey });
  const after = await plan({ stack: args.stack, stackConfig: withLocation(committed, args.location), secretDigestKey });
  const report = relocationReport(before, after);
  process.stdout.write(renderReport({ ...args, from }, report));
  const pure =
    !report.unexpected.length && !report.tenantChanges.length && !report.onlyBefore.length && !report.onlyAfter.length;
  if (args.targets && pure) {
    const file = resolve(args.targets);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, report.replaced.map((x) => x.urn).join("\n") + "\n");
    process.stdout.write(`targets written to ${file} (${report.replaced.length} URNs)\n`);
  }
  return pure ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => process.exit(reportFailure(err)),
  );
}
