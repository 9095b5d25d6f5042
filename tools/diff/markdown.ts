/**
 * The offline diff as a PR comment (markdown) and as terminal text.
 *
 * Everything in the comment that comes from the PR (names, paths, values) goes through
 * `code()`/`esc()`: the comment is posted from a privileged workflow for fork PRs too, so its
 * content is untrusted text and must not be able to inject HTML or break the layout.
 * GitHub rejects comments over 65,536 characters; the summary, warnings and cost always fit
 * and the per-component details are added while they fit.
 */
import { shortType } from "../plan/tree";
import { CostDelta, ElasticLine, eur, eurRange } from "../cost/model";
import type { Action, ComponentSummary, InputChange, PlanDiff, ResourceChange } from "./compare";
import type { TenantReview, TenantView } from "./tenants";

export interface DiffMeta {
  /** The ref as given (`origin/main`, a SHA). */
  baseRef: string;
  /** The commit it resolved to. */
  baseCommit: string;
  /** Caveats about how the diff was made (lockfile differs, ...). */
  notes?: string[];
  /** Tenants added/changed/removed with their effective spec, capacity, output values. */
  review?: TenantReview;
}

/** GitHub's comment limit is 65,536 characters; stay clear of it (the poster adds nothing). */
export const COMMENT_LIMIT = 65_536;
const BUDGET = 60_000;

/** The first line of every offline-diff comment: the poster finds and edits its comment by it. */
export function commentMarker(stack: string): string {
  return `<!-- vp-offline-diff:${stack} -->`;
}

const ICON: Record<Action, string> = { create: "🟢", update: "🟡", replace: "🔴", delete: "⚫" };
const VERB: Record<Action, string> = {
  create: "to create",
  update: "to update",
  replace: "to replace",
  delete: "to delete",
};

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "&#124;");
}

function code(s: string): string {
  return `<code>${esc(s).replace(/`/g, "&#96;")}</code>`;
}

/** A value, shortened: long strings and objects are summarized, never dumped. */
export function showValue(v: unknown, max = 80): string {
  if (v === undefined) return "(none)";
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v);
  if (s.length <= max) return s;
  return `${s.slice(0, max - 1)}… (${s.length} chars)`;
}

/** At most this many items of a list are named; the rest are counted. */
const MAX_ITEMS = 20;

/**
 * For two lists: the items only in `after` (added) and only in `before` (removed), compared by
 * value as multisets, and how many are in both. Undefined unless both are lists.
 */
export function listDelta(
  before: unknown,
  after: unknown,
): { added: unknown[]; removed: unknown[]; kept: number } | undefined {
  if (!Array.isArray(before) || !Array.isArray(after)) return undefined;
  const left: (string | undefined)[] = before.map((x) => JSON.stringify(x));
  const added: unknown[] = [];
  for (const x of after) {
    const i = left.indexOf(JSON.stringify(x));
    if (i < 0) added.push(x);
    else left[i] = undefined;
  }
  const removed = before.filter((_, i) => left[i] !== undefined);
  return { added, removed, kept: after.length - added.length };
}

/** A list change in words: `added a, b; removed c; 12 unchanged` (each item through `item`). */
export function listChangeText(d: { added: unknown[]; removed: unknown[]; kept: number }, item = showValue): string {
  const some = (xs: unknown[]) =>
    xs
      .slice(0, MAX_ITEMS)
      .map((x) => item(x))
      .join(", ") + (xs.length > MAX_ITEMS ? ` and ${xs.length - MAX_ITEMS} more` : "");
  return [
    d.added.length ? `added ${some(d.added)}` : "",
    d.removed.length ? `removed ${some(d.removed)}` : "",
    d.kept ? `${d.kept} unchanged` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

/** A changed value: for lists the items added and removed, otherwise before → after (`show` each side). */
function valueChange(before: unknown, after: unknown, show: (v: unknown) => string): string {
  const d = listDelta(before, after);
  return d ? listChangeText(d, show) : `${show(before)} → ${show(after)}`;
}

function changeLine(c: InputChange): string {
  const flags = [
    c.replaces ? "**forces replacement**" : "",
    c.note ? `⚠️ ${esc(c.note)}` : "",
    c.unknown ? "known only after apply" : "",
  ].filter(Boolean);
  let what: string;
  if (c.secret) what = c.kind === "changed" ? "secret changed" : `secret ${c.kind}`;
  else if (c.kind === "added") what = `added ${code(showValue(c.after))}`;
  else if (c.kind === "removed") what = `removed (was ${code(showValue(c.before))})`;
  else what = valueChange(c.before, c.after, (v) => code(showValue(v)));
  return `${code(c.path)}: ${what}${flags.length ? ` — ${flags.join("; ")}` : ""}`;
}

function summaryLine(d: PlanDiff): string {
  const n = d.counts;
  const total = n.create + n.update + n.replace + n.delete;
  const parts =
    total === 0
      ? ["**no changes**"]
      : (["create", "update", "replace", "delete"] as Action[])
          .filter((a) => n[a])
          .map((a) => `**${n[a]} ${VERB[a]}**`);
  return `${parts.join(" · ")} · ${n.same} unchanged · estimated cost ${costSummary(d.cost)}`;
}

function costSummary(c: CostDelta): string {
  const unpriced = c.after.unpriced.length ? " (lower bound: some items unpriced)" : "";
  return `${fixedSummary(c)}${elasticSummary(c)}${unpriced}`;
}

function fixedSummary(c: CostDelta): string {
  if (c.deltaEur === 0 && c.before.monthlyEur === c.after.monthlyEur)
    return `${eur(c.after.monthlyEur)}/month, unchanged`;
  return `${eur(c.before.monthlyEur)} → **${eur(c.after.monthlyEur)}**/month (${eur(c.deltaEur, true)})`;
}

/** With autoscaled pools on either side: the monthly range, min to max nodes. */
function elasticSummary(c: CostDelta): string {
  if (!c.before.elastic.length && !c.after.elastic.length) return "";
  const b = eurRange(c.before.range);
  const a = eurRange(c.after.range);
  return b === a ? `; with autoscaled pools ${a}/month` : `; with autoscaled pools ${b} → **${a}**/month`;
}

/** One row per autoscaled node group on either side: nodes and € at min–max. */
function elasticRows(c: CostDelta): string[] {
  const keys = [...new Set([...c.before.elastic, ...c.after.elastic].map((l) => l.key))].sort();
  if (!keys.length) return [];
  const cell = (l?: ElasticLine) =>
    l ? `${l.min}–${l.max} · ${eurRange({ minEur: l.minEur, maxEur: l.maxEur })}` : "—";
  const rows = ["| Autoscaled (min–max nodes) | Before | After | |", "|---|--:|--:|--:|"];
  for (const k of keys) {
    const b = c.before.elastic.find((l) => l.key === k);
    const a = c.after.elastic.find((l) => l.key === k);
    rows.push(`| ${esc((a ?? b)!.label)} | ${cell(b)} | ${cell(a)} | |`);
  }
  rows.push(`| **Total with autoscaled** | ${eurRange(c.before.range)} | ${eurRange(c.after.range)} | |`, "");
  return rows;
}

function costSection(c: CostDelta): string {
  const changed = c.rows.filter((r) => r.before.quantity !== r.after.quantity || r.deltaEur !== 0);
  const lines: string[] = [];
  if (changed.length) {
    lines.push("| Monthly cost | Before | After | Δ / month |", "|---|--:|--:|--:|");
    for (const r of changed)
      lines.push(
        `| ${esc(r.label)} | ${r.before.quantity} · ${eur(r.before.monthlyEur)} | ${r.after.quantity} · ${eur(r.after.monthlyEur)} | ${eur(r.deltaEur, true)} |`,
      );
    lines.push(
      `| **Total** | ${eur(c.before.monthlyEur)} | ${eur(c.after.monthlyEur)} | **${eur(c.deltaEur, true)}** |`,
      `| Traffic included | ${c.before.includedTrafficTB} TB | ${c.after.includedTrafficTB} TB | ${signed(c.after.includedTrafficTB - c.before.includedTrafficTB)} TB |`,
      "",
    );
  }
  lines.push(...elasticRows(c));
  for (const u of c.after.unpriced)
    lines.push(`- ⚠️ unpriced: ${code(u.urn.split("::").pop() ?? u.urn)}: ${esc(u.reason)}`);
  lines.push(
    `<sub>EUR excl. VAT from components/site/catalog.ts (prices taken ${esc(c.priceTable.takenOn)}; ${esc(c.priceTable.source)}); ${esc(c.priceTable.caveat)}. Traffic beyond the included volume is billed by use and not estimated.</sub>`,
  );
  return lines.join("\n");
}

const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : "±0");

function resourceBlock(r: ResourceChange): string {
  const head = `- ${ICON[r.action]} **${r.action}** ${code(shortType(r.type))} ${code(r.name)}`;
  const why = r.action === "replace" && r.reasons.length ? ` — because ${r.reasons.map(esc).join("; ")}` : "";
  const lines = [head + why];
  for (const w of r.warnings) lines.push(`  - ⚠️ ${esc(w)}`);
  if (r.action === "update" || r.action === "replace") for (const c of r.changes) lines.push(`  - ${changeLine(c)}`);
  if (r.ignored.length) lines.push(`  - masked by ignoreChanges: ${r.ignored.map(code).join(", ")}`);
  for (const o of r.options)
    lines.push(`  - option ${code(o.option)}: ${code(showValue(o.before))} → ${code(showValue(o.after))}`);
  return lines.join("\n");
}

function componentTitle(s: ComponentSummary): string {
  const counts = (["create", "update", "replace", "delete"] as Action[])
    .filter((a) => s.counts[a])
    .map((a) => `${s.counts[a]} ${VERB[a]}`)
    .join(", ");
  return `<b>${esc(s.name)}</b> (${esc(shortType(s.type))}): ${counts}`;
}

function componentTable(d: PlanDiff, maxRows: number): string {
  const rows = d.components.slice(0, maxRows).map((s) => {
    const n = (a: Action) => (s.counts[a] ? String(s.counts[a]) : "·");
    return `| ${code(s.name)} ${esc(shortType(s.type))} | ${n("create")} | ${n("update")} | ${n("replace")} | ${n("delete")} |`;
  });
  const more = d.components.length - rows.length;
  return [
    "| Component | Create | Update | Replace | Delete |",
    "|---|--:|--:|--:|--:|",
    ...rows,
    ...(more > 0 ? [`| … ${more} more component(s) | | | | |`] : []),
  ].join("\n");
}

const FIELD_LABEL: Record<keyof TenantView, string> = {
  tier: "tier",
  quota: "quota",
  ingest: "ingest workers × (CPU, memory)",
  domains: "domains",
  admins: "admin groups",
  repo: "repository",
  path: "path",
  revision: "revision",
  decommission: "decommission",
};

/** Tenants as a reviewer approves them: what a new one gets, what changes, the capacity left. */
function reviewMarkdown(r: TenantReview): string[] {
  const out: string[] = [];
  for (const t of r.added) {
    out.push(`**New tenant ${code(t.name)}**`, "", "| | |", "|---|---|");
    for (const k of Object.keys(FIELD_LABEL) as (keyof TenantView)[])
      if (t.spec[k] && !(k === "decommission" && t.spec[k] === "false"))
        out.push(`| ${FIELD_LABEL[k]} | ${code(t.spec[k])} |`);
    out.push("");
  }
  for (const t of r.changed) {
    out.push(`**Changed tenant ${code(t.name)}**`, "");
    for (const f of t.fields) out.push(`- ${FIELD_LABEL[f.field]}: ${code(f.before)} → ${code(f.after)}`);
    out.push("");
  }
  for (const n of r.removed)
    out.push(
      r.protected.includes(n)
        ? `**Removed tenant ${code(n)}**: ⚠️ ${esc(stillDeployed(n))}`
        : `**Removed tenant ${code(n)}**: its namespace and everything in it go.`,
      "",
    );
  if (r.capacity && (r.added.length || r.changed.length || r.removed.length))
    out.push(
      `Site capacity after this change: CPU ${code(r.capacity.cpu.used)} of ${code(r.capacity.cpu.total)} requested (${code(r.capacity.cpu.left)} left); ` +
        `memory ${code(r.capacity.memory.used)} of ${code(r.capacity.memory.total)} (${code(r.capacity.memory.left)} left).`,
      "",
    );
  if (r.outputs.length) {
    out.push("| Stack output | Before | After |", "|---|---|---|");
    for (const o of r.outputs) {
      const d = listDelta(o.before, o.after);
      // A list shows what left it under Before and what joined it under After, never cut prefixes.
      if (d) {
        const items = (xs: unknown[], sign: string) => xs.map((x) => `${sign} ${code(showValue(x))}`).join("<br>");
        const kept = d.kept ? `${d.added.length ? "<br>" : ""}(${d.kept} unchanged)` : "";
        out.push(`| ${code(o.key)} | ${items(d.removed, "−") || "·"} | ${items(d.added, "+")}${kept} |`);
      } else out.push(`| ${code(o.key)} | ${code(showValue(o.before))} | ${code(showValue(o.after))} |`);
    }
    out.push("");
  }
  return out;
}

/** Why deleting a deployed tenant fails, and the way that works (runbook 05). */
export function stillDeployed(name: string): string {
  return (
    `its file is gone, but the tenant is deployed and protected (not decommissioned): \`pulumi up\` will refuse ` +
    `to delete its namespace and stream key. Put tenants/${name}.yaml back with \`decommission: true\` ` +
    "and deploy that first, then remove the file in a second pull request (runbook 05, " +
    "docs/runbooks/05-decommission-tenant.md)."
  );
}

function reviewText(r: TenantReview): string[] {
  const out: string[] = [];
  for (const t of r.added) {
    out.push(`  new tenant ${t.name}:`);
    for (const k of Object.keys(FIELD_LABEL) as (keyof TenantView)[])
      if (t.spec[k]) out.push(`      ${FIELD_LABEL[k]}: ${t.spec[k]}`);
  }
  for (const t of r.changed) {
    out.push(`  changed tenant ${t.name}:`);
    for (const f of t.fields) out.push(`      ${FIELD_LABEL[f.field]}: ${f.before} → ${f.after}`);
  }
  for (const n of r.removed)
    out.push(`  removed tenant ${n}${r.protected.includes(n) ? `: ! ${stillDeployed(n)}` : ""}`);
  if (r.capacity)
    out.push(
      `  site capacity: CPU ${r.capacity.cpu.used} of ${r.capacity.cpu.total} (${r.capacity.cpu.left} left), memory ${r.capacity.memory.used} of ${r.capacity.memory.total} (${r.capacity.memory.left} left)`,
    );
  for (const o of r.outputs) out.push(`  output ${o.key}: ${valueChange(o.before, o.after, showValue)}`);
  return out;
}

/**
 * The comment when a side could not be planned: the same marker (so it replaces the last
 * diff comment), and the error lines, so a reviewer sees why without opening the logs.
 */
export function renderFailureMarkdown(stack: string, baseRef: string, errorText: string): string {
  const lines = errorText.trim().split("\n").slice(0, 60);
  const body = lines.join("\n").slice(0, 20_000).replace(/```/g, "ʼʼʼ");
  return [
    commentMarker(stack),
    `### Offline plan diff · ${code(stack)}: ❌ the plan failed`,
    `Base ${code(baseRef)} → this change could not be planned. The errors, as \`npm run plan -- --stack ${esc(stack)}\` prints them:`,
    "",
    "```text",
    body,
    "```",
    "",
  ].join("\n");
}

/** The PR comment. Always under COMMENT_LIMIT; the summary and cost are never cut. */
export function renderMarkdown(d: PlanDiff, meta: DiffMeta): string {
  const short = meta.baseCommit.slice(0, 12);
  const top: string[] = [
    commentMarker(d.stack),
    `### Offline plan diff · ${code(d.stack)}`,
    `Base ${code(meta.baseRef)} (${code(short)}) → this change: ${summaryLine(d)}`,
    "",
  ];
  const warnings = [
    ...d.resources.flatMap((r) =>
      r.warnings.filter((w) => w.startsWith("protected")).map((w) => `${code(r.name)} ${esc(w)}`),
    ),
    ...d.warnings.map(esc),
    ...(meta.notes ?? []).map(esc),
  ];
  const shownWarnings = warnings.slice(0, 15);
  for (const w of shownWarnings) top.push(`> ⚠️ ${w}`);
  if (warnings.length > shownWarnings.length) top.push(`> ⚠️ … and ${warnings.length - shownWarnings.length} more`);
  if (shownWarnings.length) top.push("");
  if (meta.review) top.push(...reviewMarkdown(meta.review));
  if (d.components.length) top.push(componentTable(d, 40), "");
  top.push(costSection(d.cost), "");
  if (d.outputs.added.length + d.outputs.removed.length + d.outputs.changed.length) {
    const o = d.outputs;
    const part = (label: string, ks: string[]) => (ks.length ? `${label} ${ks.map(code).join(", ")}` : "");
    top.push(
      `Stack outputs: ${[part("added", o.added), part("removed", o.removed), part("changed", o.changed)].filter(Boolean).join("; ")}`,
      "",
    );
  }
  const footer =
    "<sub>Planned offline under Pulumi's mock runtime from the code alone: no state, no cloud reads, no secrets " +
    "(secret inputs show only as changed or unchanged). Replacements follow the providers' rules in tools/diff/rules.ts; " +
    "the `pulumi preview` comment (same-repo PRs) is authoritative.</sub>";

  let body = top.join("\n");
  const sections: string[] = [];
  const groups = d.components.map((s) => ({ s, items: d.resources.filter((r) => r.component === s.urn) }));
  const quiet = d.quiet.length
    ? `<details><summary>${d.quiet.length} resource(s) with only masked or option changes</summary>\n\n${d.quiet.map(resourceBlock).join("\n")}\n\n</details>`
    : "";
  const reserve = footer.length + quiet.length + 600;
  let used = body.length + reserve;
  let omitted = 0;
  for (const { s, items } of groups) {
    const open = `<details><summary>${componentTitle(s)}</summary>\n\n`;
    const close = "\n\n</details>";
    const blocks: string[] = [];
    let size = open.length + close.length;
    for (const item of items) {
      const b = resourceBlock(item);
      if (used + size + b.length + 1 > BUDGET) break;
      blocks.push(b);
      size += b.length + 1;
    }
    if (!blocks.length) {
      omitted++;
      continue;
    }
    const rest = items.length - blocks.length;
    const tail = rest ? `\n- … ${rest} more change(s) in this component not shown (comment size limit)` : "";
    const section = open + blocks.join("\n") + tail + close;
    sections.push(section);
    used += section.length + 1;
  }
  if (sections.length) body += `\n#### Changes\n${sections.join("\n")}\n`;
  if (omitted)
    body +=
      `\n> ⚠️ ${omitted} component section(s) left out to stay under GitHub's ${COMMENT_LIMIT.toLocaleString("en")}-character limit. ` +
      `Run \`npm run plan -- --stack ${d.stack} --base ${short}\` for the full diff.\n`;
  if (quiet && used + quiet.length < BUDGET) body += `\n${quiet}\n`;
  body += `\n${footer}\n`;
  // Belt and braces: never exceed the limit, and cut from the end so the summary stays.
  if (body.length > COMMENT_LIMIT - 200) body = `${body.slice(0, COMMENT_LIMIT - 200)}\n\n… (truncated)\n`;
  return body;
}

/** The same diff for a terminal. */
export function renderText(d: PlanDiff, meta: DiffMeta): string {
  const n = d.counts;
  const lines = [
    `offline diff of ${d.stack}: base ${meta.baseRef} (${meta.baseCommit.slice(0, 12)}) → working tree`,
    `  ${n.create} to create, ${n.update} to update, ${n.replace} to replace, ${n.delete} to delete, ${n.same} unchanged`,
    `  estimated monthly cost ${eur(d.cost.before.monthlyEur)} → ${eur(d.cost.after.monthlyEur)} (${eur(d.cost.deltaEur, true)})`,
  ];
  if (d.cost.before.elastic.length || d.cost.after.elastic.length)
    lines.push(
      `  with autoscaled pools (min–max nodes) ${eurRange(d.cost.before.range)} → ${eurRange(d.cost.after.range)}`,
    );
  if (meta.review) lines.push(...reviewText(meta.review));
  for (const w of [...d.warnings, ...(meta.notes ?? [])]) lines.push(`  ! ${w}`);
  const sign: Record<Action, string> = { create: "+", update: "~", replace: "±", delete: "-" };
  let current: string | null | undefined;
  for (const r of d.resources) {
    if (r.component !== current) {
      current = r.component;
      const s = d.components.find((x) => x.urn === current);
      lines.push("", `${s?.name ?? "(stack)"} (${shortType(s?.type ?? "pulumi:pulumi:Stack")})`);
    }
    const why = r.action === "replace" && r.reasons.length ? `  [${r.reasons.join("; ")}]` : "";
    lines.push(`  ${sign[r.action]} ${shortType(r.type)}  ${r.name}${why}`);
    for (const w of r.warnings) lines.push(`      ! ${w}`);
    if (r.action === "update" || r.action === "replace")
      for (const c of r.changes) {
        const what = c.secret
          ? `secret ${c.kind}`
          : c.kind === "added"
            ? `added ${showValue(c.after)}`
            : c.kind === "removed"
              ? `removed (was ${showValue(c.before)})`
              : valueChange(c.before, c.after, showValue);
        lines.push(
          `      ${c.path}: ${what}${c.replaces ? "  (forces replacement)" : ""}${c.note ? `  (${c.note})` : ""}`,
        );
      }
    if (r.ignored.length) lines.push(`      masked by ignoreChanges: ${r.ignored.join(", ")}`);
  }
  const changedCost = d.cost.rows.filter((r) => r.deltaEur !== 0 || r.before.quantity !== r.after.quantity);
  if (changedCost.length) {
    lines.push("", "cost per month:");
    for (const r of changedCost)
      lines.push(
        `  ${r.label}: ${r.before.quantity} (${eur(r.before.monthlyEur)}) → ${r.after.quantity} (${eur(r.after.monthlyEur)})  ${eur(r.deltaEur, true)}`,
      );
  }
  return lines.join("\n") + "\n";
}
