/**
 * The module structure: no import cycles anywhere in the program, its tools, the policy pack or
 * the tests. A cycle makes load order decide what a module sees (a `const` read before its
 * module finished loading is undefined under CommonJS) and ties two concerns into one; the fix
 * is to move what both need into the lower module. The walk reads every static import and
 * re-export with TypeScript's own parser (type-only imports included: they tie the concerns the
 * same way), resolves relative specifiers to files, and reports each cycle as a chain of files.
 */
import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { repoRoot } from "./helpers/harness";

const ROOTS = ["index.ts", "components", "tools", "test", "policy"];

function sourceFiles(path: string, out: string[] = []): string[] {
  if (!existsSync(path)) return out;
  if (statSync(path).isDirectory()) {
    for (const e of readdirSync(path))
      if (!["node_modules", "build", "fixtures"].includes(e)) sourceFiles(join(path, e), out);
  } else if (path.endsWith(".ts") && !path.endsWith(".d.ts")) out.push(path);
  return out;
}

/** Relative module specifiers a file imports statically (imports, re-exports, `import x = require`). */
export function importSpecifiers(text: string, fileName = "x.ts"): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier) {
      if (ts.isStringLiteral(st.moduleSpecifier)) out.push(st.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(st) &&
      ts.isExternalModuleReference(st.moduleReference) &&
      ts.isStringLiteral(st.moduleReference.expression)
    )
      out.push(st.moduleReference.expression.text);
  }
  return out.filter((s) => s.startsWith("."));
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const c of [`${base}.ts`, join(base, "index.ts"), base])
    if (existsSync(c) && statSync(c).isFile() && c.endsWith(".ts")) return c;
  return undefined;
}

/** Every elementary cycle reachable in the graph, each once, as repo-relative paths. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "active");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === "active") {
        const cycle = stack.slice(stack.indexOf(m));
        const key = [...cycle].sort().join("|");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, m]);
        }
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

/**
 * Functions (declarations, methods, constructors, arrows) of a file longer than `max` lines, as
 * `file:line name (N lines)`. Issue 18: a function over ~100 lines hides its steps; split it into
 * named ones.
 */
export function longFunctions(text: string, fileName: string, max: number): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && "body" in n && n.body) {
      const first = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const lines = sf.getLineAndCharacterOfPosition(n.end).line - first + 1;
      const named = n.name ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name : undefined);
      const label = ts.isConstructorDeclaration(n) ? "constructor" : named ? named.getText(sf) : "<anonymous>";
      if (lines > max) out.push(`${fileName}:${first + 1} ${label} (${lines} lines)`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe("structure: function size", () => {
  it("no function of the program, its tools or the policy pack is over 100 lines", () => {
    const files = ["index.ts", "components", "tools", "policy"].flatMap((r) => sourceFiles(join(repoRoot, r)));
    assert.ok(files.length > 80, `${files.length} files`);
    const long = files.flatMap((f) => longFunctions(readFileSync(f, "utf8"), relative(repoRoot, f), 100));
    assert.deepEqual(long, [], "split each into named steps");
  });

  it("the finder measures declarations, methods, constructors and arrows, from first to last line", () => {
    const body = (n: number) => Array.from({ length: n - 2 }, (_, i) => `  x${i}();`).join("\n");
    const text = [
      `function ok() {\n${body(100)}\n}`,
      `function big() {\n${body(101)}\n}`,
      `class C {\n  constructor() {\n${body(101)}\n  }\n  m() {\n${body(101)}\n  }\n}`,
      `const arrow = () => {\n${body(102)}\n};`,
    ].join("\n");
    const long = longFunctions(text, "x.ts", 100);
    assert.deepEqual(
      long.map((l) => l.replace(/^x\.ts:\d+ /, "")),
      ["big (101 lines)", "constructor (101 lines)", "m (101 lines)", "arrow (102 lines)"],
    );
  });
});

describe("structure: the import graph", () => {
  const files = ROOTS.flatMap((r) => sourceFiles(join(repoRoot, r)));
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const spec of importSpecifiers(readFileSync(f, "utf8"), f)) {
      const target = resolveImport(f, spec);
      assert.ok(target, `${relative(repoRoot, f)}: cannot resolve import "${spec}"`);
      deps.push(relative(repoRoot, target));
    }
    graph.set(relative(repoRoot, f), deps);
  }

  it("reads the whole program", () => {
    assert.ok(graph.size > 80, `${graph.size} files`);
    assert.ok(graph.get("index.ts")!.includes("components/config/load.ts"), "index.ts imports the config loader");
  });

  it("has no import cycle", () => {
    const cycles = importCycles(graph);
    assert.deepEqual(
      cycles.map((c) => c.join(" -> ")),
      [],
      "move what both modules need into the lower one (e.g. a names or types module)",
    );
  });

  it("the cycle finder finds a cycle, through re-exports and type-only imports too", () => {
    const specs = importSpecifiers(
      'import type { A } from "./a";\nexport { B } from "../b";\nimport c = require("./c");\nimport * as z from "zod";\nconst d = await import("./d");\n',
    );
    assert.deepEqual(
      specs,
      ["./a", "../b", "./c"],
      "static relative imports only; dynamic import() breaks no load order",
    );
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    assert.deepEqual(importCycles(g), [
      ["a", "b", "c", "a"],
      ["e", "e"],
    ]);
    assert.deepEqual(
      importCycles(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
      [],
    );
  });
});
