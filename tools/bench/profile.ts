/**
 * `node build/tools/bench/profile.js <file.cpuprofile> [--top 25] [--under <substring>]`
 *
 * Summarizes a V8 CPU profile (from `node --cpu-prof`, or `npm run bench -- --profile`): self time
 * per function and per source file, and inclusive time of functions whose file or name contains
 * --under (e.g. `tools/plan/runtime` or `components/tenant`), so "where does the time go" has an
 * answer without a GUI.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  selfByFunction: { name: string; ms: number }[];
  selfByFile: { file: string; ms: number }[];
  inclusive: { name: string; ms: number }[];
}

function shortUrl(url: string): string {
  const s = url.replace(/^file:\/\//, "");
  const nm = s.lastIndexOf("node_modules/");
  if (nm >= 0) return s.slice(nm + "node_modules/".length);
  const b = s.indexOf("/build/");
  return b >= 0 ? s.slice(b + 1) : s || "(native)";
}

export function summarizeProfile(p: Profile, under?: string, top = 25): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const fnSelf = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id) as ProfileNode;
    fnSelf.set(label(n), (fnSelf.get(label(n)) ?? 0) + ms);
    const f = shortUrl(n.callFrame.url);
    fileSelf.set(f, (fileSelf.get(f) ?? 0) + ms);
    if (under) {
      // Inclusive: charge each matching frame on the stack once per sample.
      const seen = new Set<string>();
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
        const xn = byId.get(x) as ProfileNode;
        const l = label(xn);
        if (!seen.has(l) && (xn.callFrame.url.includes(under) || xn.callFrame.functionName.includes(under))) {
          seen.add(l);
          incl.set(l, (incl.get(l) ?? 0) + ms);
        }
      }
    }
  }
  const sorted = <K extends string>(m: Map<string, number>, key: K) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => ({ [key]: k, ms }) as { [P in K]: string } & { ms: number });
  return {
    totalMs: (p.endTime - p.startTime) / 1000,
    selfByFunction: sorted(fnSelf, "name"),
    selfByFile: sorted(fileSelf, "file"),
    inclusive: sorted(incl, "name"),
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith("--"));
  const opt = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!file) {
    process.stderr.write(
      "usage: node build/tools/bench/profile.js <file.cpuprofile> [--top N] [--under <substring>]\n",
    );
    process.exit(2);
  }
  const s = summarizeProfile(
    JSON.parse(readFileSync(file, "utf8")) as Profile,
    opt("--under"),
    Number(opt("--top") ?? 25),
  );
  const pct = (ms: number) => `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / s.totalMs).toFixed(1).padStart(5)}%`;
  process.stdout.write(`profile ${file}: ${s.totalMs.toFixed(0)} ms\n\nself time by file:\n`);
  for (const r of s.selfByFile) process.stdout.write(`${pct(r.ms)}  ${r.file}\n`);
  process.stdout.write(`\nself time by function:\n`);
  for (const r of s.selfByFunction) process.stdout.write(`${pct(r.ms)}  ${r.name}\n`);
  if (s.inclusive.length) {
    process.stdout.write(`\ninclusive time, frames matching ${opt("--under")}:\n`);
    for (const r of s.inclusive) process.stdout.write(`${pct(r.ms)}  ${r.name}\n`);
  }
}
