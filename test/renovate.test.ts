/**
 * renovate.json: every pinned version in the repository is found by one of Renovate's managers, so
 * a new pin cannot silently escape updates. The pins are collected here independently of the
 * managers (the exported version tables walked for every `version`, and every version-looking
 * string in components/versions.ts, the stack files and the tools' pins grepped), then each custom
 * manager's matchStrings are applied to the real files the way Renovate's regex manager does
 * (global, every match string on its own, templates filled from the named groups), and each pin
 * must come out with the right depName, datasource and package. And each chart pin's comment names
 * its version (and Kubernetes range), so a version Renovate bumps cannot keep a stale record.
 */
import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as versions from "../components/versions";

const root = resolve(__dirname, "..", "..");
const read = (f: string) => readFileSync(join(root, f), "utf8");

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate?: string;
  depNameTemplate?: string;
  packageNameTemplate?: string;
  registryUrlTemplate?: string;
  versioningTemplate?: string;
}

interface RenovateConfig {
  extends?: string[];
  enabledManagers?: string[];
  customManagers: CustomManager[];
  packageRules?: { matchManagers?: string[]; matchPackageNames?: string[]; enabled?: boolean; pinDigests?: boolean }[];
  npm?: { enabled?: boolean };
  gomod?: { enabled?: boolean };
  "github-actions"?: { enabled?: boolean };
}

/** One dependency as Renovate's regex manager would extract it. */
interface Extracted {
  file: string;
  /** Offset of currentValue in the file. */
  at: number;
  depName: string;
  packageName: string;
  currentValue: string;
  datasource: string;
  registryUrl?: string;
  versioning?: string;
}

/** A manager file pattern: `/regex/` (Renovate's form for regexes) or a plain glob-free path. */
function fileMatches(pattern: string, file: string): boolean {
  const m = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  return m ? new RegExp(m[1], m[2]).test(file) : pattern === file;
}

/**
 * Renovate's regexes are RE2: named groups `(?P<n>…)` or `(?<n>…)`, no lookaround or
 * backreferences. The JS equivalent, asserting the config uses nothing RE2 lacks.
 */
function re2ToJs(source: string): RegExp {
  assert.ok(!/\(\?<?[=!]|\\[1-9]/.test(source), `RE2 has no lookaround or backreferences: ${source}`);
  return new RegExp(source.replace(/\(\?P<(\w+)>/g, "(?<$1>"), "g");
}

/** Renovate's handlebars templates as the managers use them: `{{{group}}}` / `{{group}}`. */
function fill(template: string, groups: Record<string, string | undefined>): string {
  return template.replace(/\{\{\{?\s*(\w+)\s*\}?\}\}/g, (_, g: string) => {
    assert.ok(groups[g] !== undefined, `template ${template} names ${g}, which the match does not capture`);
    return groups[g]!;
  });
}

/** What the custom managers extract from `files` (path relative to the root → text). */
export function extract(config: RenovateConfig, files: Record<string, string>): Extracted[] {
  const out: Extracted[] = [];
  for (const mgr of config.customManagers) {
    assert.equal(mgr.customType, "regex");
    for (const [file, text] of Object.entries(files)) {
      if (!mgr.managerFilePatterns.some((p) => fileMatches(p, file))) continue;
      for (const source of mgr.matchStrings)
        for (const m of text.matchAll(re2ToJs(source))) {
          const g = m.groups ?? {};
          const value = g.currentValue;
          assert.ok(value, `${file}: a match of ${source} without currentValue`);
          const depName = g.depName ?? (mgr.depNameTemplate ? fill(mgr.depNameTemplate, g) : undefined);
          const datasource = g.datasource ?? (mgr.datasourceTemplate ? fill(mgr.datasourceTemplate, g) : undefined);
          assert.ok(depName && datasource, `${file}: ${source} gives no depName or datasource`);
          out.push({
            file,
            at: (m.index ?? 0) + m[0].indexOf(value),
            depName,
            packageName: g.packageName ?? (mgr.packageNameTemplate ? fill(mgr.packageNameTemplate, g) : depName),
            currentValue: value,
            datasource,
            registryUrl: g.registryUrl ?? (mgr.registryUrlTemplate ? fill(mgr.registryUrlTemplate, g) : undefined),
            versioning: g.versioning ?? (mgr.versioningTemplate ? fill(mgr.versioningTemplate, g) : undefined),
          });
        }
    }
  }
  return out;
}

/** Files the custom managers may read: versions, stack files, config schema, tools' shell scripts. */
function projectFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const add = (f: string) => (files[f] = read(f));
  add("components/versions.ts");
  add("components/config/schema.ts");
  for (const f of readdirSync(root).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))) add(f);
  for (const f of readdirSync(join(root, "tools")).filter((f) => f.endsWith(".sh"))) add(`tools/${f}`);
  return files;
}

function goModFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) goModFiles(p, out);
    else if (e === "go.mod") out.push(relative(root, p));
  }
  return out;
}

/** A pin found in a file and what Renovate must know about it. */
interface Pin {
  file: string;
  value: string;
  /** Set when the pin's identity is known from the source itself. */
  expect?: Partial<Pick<Extracted, "depName" | "packageName" | "datasource" | "registryUrl">>;
}

/**
 * Every `version` in the exported tables of components/versions.ts (charts, CRD modules, and
 * whatever table is added next), with the identity its siblings give it.
 */
function tablePins(): Pin[] {
  const pins: Pin[] = [];
  const walk = (v: unknown, path: string) => {
    if (!v || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (typeof o.version === "string") {
      const pin: Pin = { file: "components/versions.ts", value: o.version };
      if (typeof o.chart === "string" && typeof o.repo === "string")
        pin.expect = o.repo.startsWith("oci://")
          ? { depName: o.chart, datasource: "docker", packageName: `${o.repo.slice("oci://".length)}/${o.chart}` }
          : { depName: o.chart, datasource: "helm", registryUrl: o.repo };
      else if (typeof o.module === "string") pin.expect = { depName: o.module, datasource: "go" };
      else assert.fail(`components/versions.ts ${path}: a version with neither chart+repo nor module beside it`);
      pins.push(pin);
    }
    for (const [k, c] of Object.entries(o)) if (k !== "version") walk(c, `${path}.${k}`);
  };
  for (const [name, value] of Object.entries(versions)) walk(value, name);
  return pins;
}

/** Version-looking strings in a source: `1.2.3`, `v1.2.3`, `v1.2.3+k3s1`, `25.1.4-1+deb13u1`. */
const VERSION = /(?<![\w.])v?\d+\.\d+\.\d+(?:[-+][\w.+~-]*)?(?![\w.])/g;

/** Every version-looking string in `text`, except inside comments (`//`, `*` lines, `#`). */
function grepPins(file: string, text: string): Pin[] {
  const pins: Pin[] = [];
  for (const line of text.split("\n")) {
    const code = line.replace(/(^\s*(\/\/|\*|\/\*|#).*$)|(\s(\/\/|#)\s.*$)/, "");
    for (const m of code.matchAll(VERSION)) {
      // IPv4 addresses and CIDRs are not versions.
      if (/^\d+\.\d+\.\d+$/.test(m[0]) && code.slice((m.index ?? 0) + m[0].length).startsWith(".")) continue;
      pins.push({ file, value: m[0], expect: undefined });
    }
  }
  return pins;
}

/** Pins no manager captures with the expected identity: the test's one question, as data. */
function uncovered(pins: Pin[], extracted: Extracted[]): string[] {
  const problems: string[] = [];
  for (const p of pins) {
    const hits = extracted.filter((e) => e.file === p.file && e.currentValue === p.value);
    if (!hits.length) {
      problems.push(`${p.file}: ${p.value} is matched by no Renovate manager`);
      continue;
    }
    if (p.expect && !hits.some((h) => Object.entries(p.expect!).every(([k, v]) => h[k as keyof Extracted] === v)))
      problems.push(
        `${p.file}: ${p.value} is extracted as ${JSON.stringify(hits.map(({ depName, packageName, datasource, registryUrl }) => ({ depName, packageName, datasource, registryUrl })))}, want ${JSON.stringify(p.expect)}`,
      );
  }
  return problems;
}

const config = JSON.parse(read("renovate.json")) as RenovateConfig;

describe("renovate: every pin has a manager (renovate.json)", () => {
  const files = projectFiles();
  const extracted = extract(config, files);

  it("the version tables of components/versions.ts: charts by repo (helm, or docker for OCI) and CRD modules (go)", () => {
    const pins = tablePins();
    assert.ok(pins.length >= 5, `found ${pins.length} table pins`);
    assert.deepEqual(uncovered(pins, extracted), []);
  });

  it("every version-looking string in components/versions.ts is a pin some manager captures", () => {
    const pins = grepPins("components/versions.ts", files["components/versions.ts"]);
    assert.ok(pins.length >= tablePins().length);
    assert.deepEqual(uncovered(pins, extracted), []);
  });

  it("the stack files: k3s from k3s-io/k3s's GitHub releases with +k3sN versioning, the server image from Debian's cycles", () => {
    const stacks = Object.keys(files).filter((f) => f.startsWith("Pulumi."));
    assert.ok(stacks.includes("Pulumi.staging.yaml") && stacks.includes("Pulumi.prod.yaml"));
    for (const f of stacks) {
      const pins = grepPins(f, files[f]);
      const k3s = /video-platform:k3s:\n(?: {4}.*\n)*? {4}version: (\S+)/.exec(files[f])?.[1];
      assert.ok(k3s && pins.some((p) => p.value === k3s), `${f}: the k3s version is among the grepped pins`);
      for (const p of pins) if (p.value === k3s) p.expect = { depName: "k3s-io/k3s", datasource: "github-releases" };
      const image = /^ {4}image: debian-(\d+)$/m.exec(files[f])?.[1];
      assert.ok(image, `${f}: site.image is a debian-<major> image`);
      pins.push({ file: f, value: image, expect: { depName: "debian", datasource: "endoflife-date" } });
      assert.deepEqual(uncovered(pins, extracted), [], f);
      const versioning = extracted.find((e) => e.file === f && e.currentValue === k3s)?.versioning ?? "";
      const re = new RegExp(versioning.replace(/^regex:/, ""));
      assert.ok(re.test(k3s) && !re.test("v1.37.2") && re.exec(k3s)?.groups?.build, `${f}: versioning ${versioning}`);
    }
  });

  it("the config schema's default image and the cloud-init package the schema tests read", () => {
    const image = /default\("debian-(\d+)"\)/.exec(files["components/config/schema.ts"])?.[1];
    assert.ok(image);
    const pins: Pin[] = [
      {
        file: "components/config/schema.ts",
        value: image,
        expect: { depName: "debian", datasource: "endoflife-date" },
      },
    ];
    for (const f of Object.keys(files).filter((f) => f.startsWith("tools/")))
      for (const p of grepPins(f, files[f])) pins.push(p);
    const cloudInit = pins.find((p) => p.file === "tools/ensure-tools.sh" && /deb\d+u\d+$/.test(p.value));
    assert.ok(cloudInit, "ensure-tools.sh pins trixie's cloud-init");
    cloudInit.expect = { depName: "cloud-init", datasource: "deb" };
    assert.deepEqual(uncovered(pins, extracted), []);
    const deb = extracted.find((e) => e.depName === "cloud-init");
    assert.match(deb?.registryUrl ?? "", /^https:\/\/deb\.debian\.org\/debian\?suite=trixie&/);
  });

  it("npm, GitHub Actions (pinned to digests) and Go modules are left to Renovate's own managers", () => {
    assert.equal(config.enabledManagers, undefined, "no enabledManagers list that would switch built-in managers off");
    for (const m of ["npm", "github-actions", "gomod"] as const)
      assert.notEqual(config[m]?.enabled, false, `${m} manager not disabled`);
    for (const r of config.packageRules ?? [])
      assert.ok(!(r.enabled === false && !r.matchPackageNames), "no rule disables a whole manager");
    assert.ok(config.extends?.includes("helpers:pinGitHubActionDigests"), "actions pinned to digests");
    // npm's manager updates exact pins only when they are exact: ranges would drift under it.
    const pkg = JSON.parse(read("package.json")) as Record<string, Record<string, string>>;
    for (const [n, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }))
      assert.match(v, /^\d+\.\d+\.\d+$/, `package.json: ${n} is pinned exactly`);
    // Every go.mod under tools/ is one the gomod manager finds (its default pattern: any go.mod).
    for (const f of goModFiles(join(root, "tools"))) assert.match(f, /(^|\/)go\.mod$/);
  });

  it("the check fails for a pin written so that no manager captures it", () => {
    const text = files["components/versions.ts"].replace(
      "charts: {",
      'charts: {\n    newChart: { chart: "new-chart", version: "9.8.7", repo: "https://charts.example.com" },',
    );
    const mutated = { ...files, "components/versions.ts": text };
    const problems = uncovered(grepPins("components/versions.ts", text), extract(config, mutated));
    assert.deepEqual(problems, ["components/versions.ts: 9.8.7 is matched by no Renovate manager"]);
    // And a stack file pinning something new.
    const stack = files["Pulumi.staging.yaml"] + "  video-platform:extra:\n    agentVersion: v2.3.4\n";
    const stackProblems = uncovered(
      grepPins("Pulumi.staging.yaml", stack),
      extract(config, { ...files, "Pulumi.staging.yaml": stack }),
    );
    assert.deepEqual(stackProblems, ["Pulumi.staging.yaml: v2.3.4 is matched by no Renovate manager"]);
  });

  it("a helm chart captured with the wrong identity is reported", () => {
    const extractedWrong = extracted.map((e) => (e.datasource === "helm" ? { ...e, registryUrl: "https://x" } : e));
    const problems = uncovered(tablePins(), extractedWrong);
    assert.ok(problems.length >= 1 && problems.every((p) => p.includes("want")), problems.join("\n"));
  });
});

describe("renovate: every chart pin's comment names its version (a version bump must re-check the comment)", () => {
  const text = read("components/versions.ts");

  /**
   * Each `<name>: { repo, chart, version[, kubernetes] }` entry of versions.DEFAULT_VERSIONS.charts in the
   * source, and what is wrong with the comment right above it: it must name the entry's version,
   * a date, and the entry's Kubernetes range when it has one.
   */
  function staleComments(source: string): string[] {
    const body = source.slice(source.indexOf("  charts: {"), source.indexOf("\n  },\n", source.indexOf("  charts: {")));
    const problems: string[] = [];
    const entry = /^ {4}(\w+): \{[^}]*?version: "([^"]+)"(?:,\s*kubernetes: \{ min: "([\d.]+)", max: "([\d.]+)" \})?/gm;
    for (const m of body.matchAll(entry)) {
      const lines = body.slice(0, m.index).replace(/\n$/, "").split("\n");
      const comment: string[] = [];
      for (let i = lines.length - 1; i >= 0 && /^\s*(\/\/|\/\*\*|\*)/.test(lines[i]); i--) comment.unshift(lines[i]);
      const c = comment.join("\n");
      const bare = m[2].replace(/^v/, "").replace(/\./g, "\\.");
      if (!new RegExp(`(^|[^\\w.])v?${bare}([^\\w.]|$)`).test(c))
        problems.push(`${m[1]}: the comment does not name ${m[2]}`);
      if (!/\b20\d\d-\d\d-\d\d\b/.test(c)) problems.push(`${m[1]}: the comment has no date`);
      if (m[3] && !c.includes(`Kubernetes ${m[3]}-${m[4]}`))
        problems.push(`${m[1]}: the comment does not give Kubernetes ${m[3]}-${m[4]}`);
    }
    return problems;
  }

  it("every chart entry's comment names its version, a date and its Kubernetes range", () => {
    assert.deepEqual(staleComments(text), []);
    // Every chart was seen.
    const seen = [...text.matchAll(/^ {4}(\w+): \{/gm)].map((m) => m[1]);
    for (const name of Object.keys(versions.DEFAULT_VERSIONS.charts)) assert.ok(seen.includes(name), name);
  });

  it("a version bump (as Renovate makes it) or a range change without its comment is reported", () => {
    assert.deepEqual(staleComments(text.replace('version: "1.35.0"', 'version: "1.36.0"')), [
      "hcloudCcm: the comment does not name 1.36.0",
    ]);
    assert.deepEqual(
      staleComments(
        text.replace(
          'version: "2.22.1",\n      kubernetes: { min: "1.33", max: "1.36" }',
          'version: "2.22.1",\n      kubernetes: { min: "1.33", max: "1.37" }',
        ),
      ),
      ["hcloudCsi: the comment does not give Kubernetes 1.33-1.37"],
    );
  });
});

describe("renovate: the config file", () => {
  it("is the only Renovate config in the repository (Renovate reads the first it finds)", () => {
    const candidates = [
      "renovate.json5",
      ".renovaterc",
      ".renovaterc.json",
      ".github/renovate.json",
      ".gitlab/renovate.json",
    ];
    for (const c of candidates) assert.ok(!existsSync(join(root, c)), `${c} would shadow or duplicate renovate.json`);
  });
});
