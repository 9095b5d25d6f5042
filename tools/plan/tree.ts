import type { Plan, PlannedResource } from "./runtime";

/** Short type for display: `kubernetes:core/v1:Namespace` → `kubernetes:Namespace`. */
export function shortType(type: string): string {
  const parts = type.split(":");
  return parts.length === 3 ? `${parts[0]}:${parts[2]}` : type;
}

function countByType(rs: PlannedResource[]): string {
  const counts = new Map<string, number>();
  for (const r of rs) if (r.custom) counts.set(shortType(r.type), (counts.get(shortType(r.type)) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, n]) => `${t} ×${n}`)
    .join(", ");
}

/**
 * A readable tree of the plan: each component with its children and a count per type of the
 * custom resources beneath it; then totals per type. `full: false` (the plan's default output)
 * keeps only the component lines: one per component with its counts, a screenful for a site
 * with a few tenants; `--tree` asks for every resource.
 */
export function renderTree(plan: Plan, { full = true }: { full?: boolean } = {}): string {
  const children = new Map<string | null, PlannedResource[]>();
  for (const r of plan.resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const subtree = (r: PlannedResource): PlannedResource[] => [r, ...(children.get(r.urn) ?? []).flatMap(subtree)];
  const lines: string[] = [];
  const walk = (r: PlannedResource, prefix: string, last: boolean, top: boolean) => {
    const branch = top ? "" : last ? "└─ " : "├─ ";
    const flags = [
      r.options.protect ? "protected" : "",
      r.options.ignoreChanges.length ? `ignoreChanges: ${r.options.ignoreChanges.join(",")}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    if (r.custom) {
      if (!full) return;
      lines.push(`${prefix}${branch}${shortType(r.type)}  ${r.name}${flags ? `  [${flags}]` : ""}`);
    } else {
      const below = subtree(r).filter((x) => x.custom);
      lines.push(
        `${prefix}${branch}${r.name} (${r.type}) — ${below.length} resource${below.length === 1 ? "" : "s"}: ${countByType(below)}`,
      );
    }
    const kids = (children.get(r.urn) ?? [])
      .filter((k) => full || !k.custom)
      .sort(
        (a, b) => Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
      );
    const next = top ? prefix : prefix + (last ? "   " : "│  ");
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
  };
  for (const r of children.get(null) ?? []) walk(r, "", true, true);
  const customs = plan.resources.filter((r) => r.custom);
  lines.push("");
  lines.push(
    `${plan.project}/${plan.stack}: ${customs.length} resources in ${plan.resources.length - customs.length} components`,
  );
  const counts = new Map<string, number>();
  for (const r of customs) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  for (const [t, n] of [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${String(n).padStart(5)}  ${t}`);
  return lines.join("\n") + "\n";
}
