/**
 * components/site: pure helpers (addresses, k3s config, cloud-init, kubeconfig) as plain functions,
 * the rendered user-data against Debian's cloud-init schema and shellcheck, and the Pulumi graph
 * through the offline plan.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { loadStackConfig } from "../components/config/load";
import { K3sConfig, k3sSchema, SiteConfig, siteSchema } from "../components/config/schema";
import { Site, deriveAgentToken, firewallRules, nodeSecrets } from "../components/site";
import { addressPlan, addressProblems, poolBlockNumber } from "../components/site/addresses";
import {
  BOOTSTRAP_PATH,
  HOST_GUARD_UNIT,
  METADATA_IP,
  renderCloudInit,
  USER_DATA_LIMIT,
} from "../components/site/cloudinit";
import { ClusterSettings, NodeSecrets, NodeSpec } from "../components/site/k3s";
import { renderKubeconfig } from "../components/site/kubeconfig";
import { nodeLabelProblem, planSite, siteProblems, SitePlan } from "../components/site/nodes";
import { CLUSTER_CAS, PkiPems } from "../components/site/pki";
import {
  byName,
  descendants,
  expectInputError,
  input,
  ofType,
  Plan,
  planJson,
  PlannedResource,
  planStack,
  planWith,
  SECRET,
  unwrap,
  withStackConfig,
} from "./helpers/harness";
import { CLOUD_INIT_SCHEMA, needTool, withTool } from "./helpers/tools";

const P = "video-platform";
const SCHEMA_PATH = CLOUD_INIT_SCHEMA;

// ---------------------------------------------------------------------------------------------
// Helpers

const withConfig = withStackConfig;

function stackSite(stack: string, mutate?: (c: Record<string, any>) => void): { site: SiteConfig; k3s: K3sConfig } {
  const c = withConfig(stack, mutate ?? (() => undefined)) as Record<string, any>;
  return { site: siteSchema.parse(c[`${P}:site`]), k3s: k3sSchema.parse(c[`${P}:k3s`]) };
}

const pem = (label: string, tag: string) => `-----BEGIN ${label}-----\nTEST${tag}\n-----END ${label}-----\n`;
const fakePki: PkiPems = {
  cas: Object.fromEntries(
    CLUSTER_CAS.map((ca) => [ca.id, { certPem: pem("CERTIFICATE", ca.id), keyPem: pem("EC PRIVATE KEY", ca.id) }]),
  ) as PkiPems["cas"],
  serviceAccountKeyPem: pem("RSA PRIVATE KEY", "service"),
};
const fakeSecrets: NodeSecrets = {
  token: "server-token-value",
  agentToken: "agent-token-value",
  etcdS3AccessKey: "s3-access-value",
  etcdS3SecretKey: "s3-secret'value",
};

/** Renders a node's user-data the way the component does, from plain values. */
function render(plan: SitePlan, node: NodeSpec): string {
  return renderCloudInit({
    cluster: plan.cluster,
    node,
    // Agents get the full server secrets here: the renderer itself must keep the server token and
    // the S3 keys off them (the component also hands them agent secrets only: nodeSecrets()).
    secrets: fakeSecrets,
    tlsSans: node.role === "server" ? ["192.0.2.10", ...(plan.cluster.ha ? [plan.addresses.apiLoadBalancer] : [])] : [],
    pki: node.init ? fakePki : undefined,
  });
}

type CloudConfig = {
  write_files: { path: string; content: string; permissions: string }[];
  runcmd: unknown[];
  [k: string]: unknown;
};

let validator: ((doc: unknown) => string[]) | undefined;
/**
 * Validates user-data text against Debian's cloud-init schema; returns the problems (empty: valid).
 * The schema tolerates unknown top-level keys (cloud-init only warns), so a misspelt module key
 * would pass silently: keys are also checked against the modules the schema defines.
 */
function cloudInitProblems(text: string): string[] {
  if (!validator) {
    assert.ok(existsSync(SCHEMA_PATH), `missing ${SCHEMA_PATH}: run \`sudo bash tools/ensure-tools.sh\``);
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as {
      $schema: string;
      $defs: Record<string, { properties?: Record<string, unknown> }>;
      allOf: { $ref: string }[];
    };
    assert.equal(schema.$schema, "http://json-schema.org/draft-04/schema#", "the schema is draft-04: ajv-draft-04");
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(ajv as never);
    const validate = ajv.compile(schema);
    const known = new Set(
      schema.allOf.flatMap((r) => Object.keys(schema.$defs[r.$ref.replace("#/$defs/", "")]?.properties ?? {})),
    );
    assert.ok(known.has("write_files") && known.has("runcmd"), "module keys read from the schema");
    validator = (doc) => {
      const out: string[] = [];
      if (!validate(doc)) out.push(...(validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`));
      if (doc && typeof doc === "object")
        for (const k of Object.keys(doc)) if (!known.has(k)) out.push(`/${k} is not a cloud-config key`);
      return out;
    };
  }
  if (!text.startsWith("#cloud-config\n")) return ["user-data must start with #cloud-config"];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    return [`not YAML: ${(e as Error).message}`];
  }
  return validator(doc);
}

/**
 * Every shell script in a cloud-config: write_files with a sh/bash shebang, runcmd/bootcmd string
 * entries and `sh -c` arrays. Array entries that exec a file must exec one of those scripts.
 */
function shellScripts(doc: CloudConfig): { name: string; shell: string; script: string }[] {
  const out: { name: string; shell: string; script: string }[] = [];
  const written = new Map<string, string>();
  for (const f of doc.write_files ?? []) {
    const m = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(bash|sh)\b/.exec(f.content);
    if (m) {
      out.push({ name: f.path, shell: m[1], script: f.content });
      written.set(f.path, f.permissions);
    }
  }
  for (const key of ["bootcmd", "runcmd"] as const) {
    ((doc[key] as unknown[]) ?? []).forEach((entry, i) => {
      if (typeof entry === "string") out.push({ name: `${key}[${i}]`, shell: "sh", script: entry });
      else if (Array.isArray(entry) && ["sh", "bash", "/bin/sh", "/bin/bash"].includes(entry[0]) && entry[1] === "-c")
        out.push({ name: `${key}[${i}]`, shell: String(entry[0]).replace(/.*\//, ""), script: String(entry[2]) });
      else if (Array.isArray(entry))
        assert.ok(
          /^07[0-7][0-7]$/.test(written.get(String(entry[0])) ?? ""),
          `${key}[${i}] runs ${entry[0]}, which is not an executable script written by this cloud-config`,
        );
    });
  }
  return out;
}

/** shellcheck findings for one script (empty: clean). */
function shellcheck(script: string, shell: string): string {
  const r = spawnSync("shellcheck", ["-s", shell, "-f", "gcc", "-"], { input: script, encoding: "utf8" });
  assert.ok(!r.error, `shellcheck did not run (${r.error?.message}): run \`bash tools/ensure-tools.sh\``);
  return r.status === 0 ? "" : r.stdout + r.stderr;
}

/**
 * Asserts user-data is schema-valid and every script in it is shellcheck-clean; returns the parsed
 * doc. Without the schema or shellcheck (and not under CI) that part is skipped with a notice, and
 * the caller's own assertions still run.
 */
function assertValidUserData(text: string, label: string): CloudConfig {
  if (withTool("cloud-init-schema", "cloud-init schema checks of user-data"))
    assert.deepEqual(cloudInitProblems(text), [], `${label}: cloud-init schema`);
  const doc = parse(text) as CloudConfig;
  const scripts = shellScripts(doc);
  assert.ok(scripts.length >= 1, `${label}: has a script`);
  if (withTool("shellcheck", "shellcheck of user-data scripts"))
    for (const s of scripts) assert.equal(shellcheck(s.script, s.shell), "", `${label}: shellcheck ${s.name}`);
  return doc;
}

const fileIn = (doc: CloudConfig, path: string) => {
  const f = doc.write_files.find((w) => w.path === path);
  assert.ok(f, `no file ${path}`);
  return f;
};

/** Every variant the component renders: each role of both stacks, plus a restore. */
function variants(): { label: string; plan: SitePlan; node: NodeSpec }[] {
  const out: { label: string; plan: SitePlan; node: NodeSpec }[] = [];
  for (const stack of ["staging", "prod"]) {
    const { site, k3s } = stackSite(stack);
    const plan = planSite(stack, site, k3s);
    out.push({ label: `${stack} first control plane`, plan, node: plan.controlPlanes[0] });
    if (plan.controlPlanes[1]) out.push({ label: `${stack} joining control plane`, plan, node: plan.controlPlanes[1] });
    out.push({ label: `${stack} worker`, plan, node: plan.workers[0] });
  }
  const restored = stackSite("prod", (c) => {
    c[`${P}:k3s`].restore = { enabled: true, snapshot: "etcd-snapshot-prod-cp-1-1767225600" };
    c[`${P}:k3s`].etcdSnapshots.folder = "prod";
  });
  const plan = planSite("prod", restored.site, restored.k3s);
  out.push({ label: "prod first control plane restoring etcd", plan, node: plan.controlPlanes[0] });
  return out;
}

// ---------------------------------------------------------------------------------------------

describe("site: address plan (pure)", () => {
  it("puts infrastructure in block 0: gateway .1, API LB .2, ingress LB .3, control planes in one /28", () => {
    const a = addressPlan("10.20.0.0/16");
    assert.equal(a.gateway, "10.20.0.1");
    assert.equal(a.apiLoadBalancer, "10.20.0.2");
    assert.equal(a.ingressLoadBalancer, "10.20.0.3");
    assert.equal(a.controlPlaneRange, "10.20.0.16/28");
    assert.deepEqual([1, 2, 3, 7].map(a.controlPlane), ["10.20.0.16", "10.20.0.17", "10.20.0.18", "10.20.0.22"]);
    assert.throws(() => a.controlPlane(8), /outside 1..7/);
    assert.throws(() => a.worker("general", 101), /outside 1..100/);
  });

  it("derives a pool's addresses from its name only (order and other pools do not matter)", () => {
    const a = addressPlan("10.20.0.0/16");
    const block = poolBlockNumber("general", 256);
    assert.ok(block >= 1 && block <= 255);
    assert.equal(a.poolBlock("general").cidr, `10.20.${block}.0/24`);
    assert.equal(a.worker("general", 1), `10.20.${block}.11`);
    assert.equal(a.worker("general", 100), `10.20.${block}.110`);
    // The same name in another network keeps its host part and lands in that network.
    assert.match(addressPlan("10.10.0.0/16").worker("general", 4), /^10\.10\.\d+\.14$/);
    assert.deepEqual(addressProblems("10.20.0.0/16", [{ name: "ingest" }, { name: "general" }]), []);
  });

  it("rejects a network smaller than /20 and two pools hashing to the same block, naming the fix", () => {
    assert.match(addressProblems("10.20.0.0/24", [{ name: "general" }])[0].message, /\/20 or larger/);
    assert.throws(() => addressPlan("10.20.0.0/24"), /smaller than a \/20/);
    // Find two names that collide in a /20 (15 pool blocks); deterministic, since the hash is.
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const name = `pool${i}`;
      const b = poolBlockNumber(name, 16);
      if (seen.has(b)) pair = [seen.get(b)!, name];
      else seen.set(b, name);
    }
    const problems = addressProblems("10.20.0.0/20", [{ name: pair[0] }, { name: pair[1] }]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].path, "workerPools[1].name");
    assert.match(problems[0].message, /same address block .*rename one/);
  });
});

describe("site: node plan (pure)", () => {
  it("names nodes by stack and stable keys, control planes tainted, workers labelled by pool", () => {
    const { site, k3s } = stackSite("prod");
    const plan = planSite("prod", site, k3s);
    assert.deepEqual(
      plan.controlPlanes.map((n) => [n.key, n.name, n.init, n.privateIp]),
      [
        ["cp-1", "prod-cp-1", true, "10.20.0.16"],
        ["cp-2", "prod-cp-2", false, "10.20.0.17"],
        ["cp-3", "prod-cp-3", false, "10.20.0.18"],
      ],
    );
    assert.deepEqual(
      plan.workers.map((n) => n.name),
      ["prod-general-1", "prod-general-2", "prod-general-3", "prod-ingest-1", "prod-ingest-2"],
    );
    assert.deepEqual(plan.controlPlanes[0].nodeTaints, ["node-role.kubernetes.io/control-plane:NoSchedule"]);
    assert.deepEqual(plan.workers[3].nodeLabels, { "platform.video/pool": "ingest" });
    assert.equal(plan.cluster.joinUrl, "https://10.20.0.2:6443", "HA: agents register through the API LB");
    const staging = stackSite("staging");
    assert.equal(planSite("staging", staging.site, staging.k3s).cluster.joinUrl, "https://10.10.0.16:6443");
  });

  it("refuses an even control-plane count and node labels NodeRestriction would reject", () => {
    const { site, k3s } = stackSite("prod");
    assert.throws(() => planSite("prod", { ...site, controlPlane: { ...site.controlPlane, count: 2 } }, k3s), /odd/);
    assert.match(nodeLabelProblem("node-role.kubernetes.io/worker", "true") ?? "", /NodeRestriction/);
    assert.match(nodeLabelProblem("kubernetes.io/role", "x") ?? "", /NodeRestriction/);
    assert.equal(nodeLabelProblem("node.kubernetes.io/instance-type", "cx43"), undefined);
    assert.equal(nodeLabelProblem("platform.video/tier", "gold"), undefined);
    assert.match(nodeLabelProblem("bad key!", "x") ?? "", /not a valid/);
    assert.match(siteProblems("Prod_1", site)[0].message, /lowercase DNS label/);
    assert.deepEqual(siteProblems("prod", site), []);
  });
});

describe("site: rendered cloud-init (pure)", () => {
  it("every role validates against Debian's cloud-init schema and every script passes shellcheck", function () {
    needTool(this, "cloud-init-schema", "cloud-init schema checks of user-data");
    needTool(this, "shellcheck", "shellcheck of user-data scripts");
    for (const v of variants()) assertValidUserData(render(v.plan, v.node), v.label);
  });

  it("the validators reject a broken cloud-config and a broken script", function () {
    needTool(this, "cloud-init-schema", "cloud-init schema checks of user-data");
    needTool(this, "shellcheck", "shellcheck of user-data scripts");
    const good = render(variants()[0].plan, variants()[0].node);
    assert.deepEqual(cloudInitProblems(good), []);
    assert.notDeepEqual(cloudInitProblems(good.replace("#cloud-config\n", "")), [], "missing header");
    assert.ok(cloudInitProblems("#cloud-config\nruncmd: reboot\n").some((p) => /runcmd must be array/.test(p)));
    assert.ok(cloudInitProblems("#cloud-config\nwrite_files:\n  - content: x\n").some((p) => /path/.test(p)));
    assert.ok(cloudInitProblems("#cloud-config\npackage_update: yes please\n").some((p) => /boolean/.test(p)));
    assert.ok(
      cloudInitProblems("#cloud-config\nwrite_file:\n  - path: /x\n").some((p) => /not a cloud-config key/.test(p)),
    );
    // A real script with one quoting mistake, and a classic bad loop.
    const doc = parse(good) as CloudConfig;
    const script = fileIn(doc, BOOTSTRAP_PATH).content;
    assert.equal(shellcheck(script, "bash"), "");
    assert.match(shellcheck(script.replace('[ -n "$iface" ] && break', "[ -n $iface ] && break"), "bash"), /SC2070/);
    assert.match(shellcheck("#!/bin/sh\nfor f in $(ls *.txt); do cat $f; done\n", "sh"), /SC2045|SC2086/);
    // A runcmd entry that runs something the cloud-config did not write is refused.
    assert.throws(() => shellScripts({ write_files: [], runcmd: [["/usr/local/bin/unknown"]] }), /not an executable/);
  });

  it("installs the metadata block before k3s and makes k3s require it", () => {
    for (const v of variants()) {
      const doc = parse(render(v.plan, v.node)) as CloudConfig;
      const rules = fileIn(doc, "/etc/vp/host-guard.nft").content;
      assert.ok(
        rules.includes(`ip saddr ${v.plan.cluster.clusterCidr} ip daddr ${METADATA_IP} counter drop`),
        `${v.label}: pod network → metadata dropped`,
      );
      assert.match(rules, /hook forward/);
      const unit = v.node.role === "server" ? "k3s.service" : "k3s-agent.service";
      const dropIn = fileIn(doc, `/etc/systemd/system/${unit}.d/10-vp-host-guard.conf`).content;
      assert.match(dropIn, new RegExp(`Requires=${HOST_GUARD_UNIT}`));
      assert.match(dropIn, new RegExp(`After=${HOST_GUARD_UNIT}`));
      assert.match(fileIn(doc, `/etc/systemd/system/${HOST_GUARD_UNIT}`).content, /ExecStart=\/usr\/sbin\/nft -f/);
      const script = fileIn(doc, BOOTSTRAP_PATH).content;
      const guard = script.indexOf(`systemctl enable --now ${HOST_GUARD_UNIT}`);
      const verify = script.indexOf("nft list chain inet vp_host_guard forward");
      const install = script.indexOf('sh "$installer"');
      const start = script.indexOf('systemctl start "$K3S_UNIT"');
      assert.ok(guard > 0 && guard < verify && verify < install && install < start, `${v.label}: guard before k3s`);
      assert.deepEqual(doc.runcmd, [[BOOTSTRAP_PATH]]);
      assert.deepEqual(doc.packages, ["curl", "nftables", "python3"]);
      // The installer runs only after its SHA-256 was checked against the repository's pin
      // (components/site/installer.ts; the step itself runs in test/installer.test.ts).
      const pinned = script.indexOf(
        "readonly K3S_INSTALLER_SHA256='f6dd79c73ff9823378e92cfc0855e725e5dea26c91e2b0c3f80d1d59c05d5f02'",
      );
      const fetched = script.indexOf(
        "fetch_installer 'https://raw.githubusercontent.com/k3s-io/k3s/c5b158798933/install.sh'",
      );
      assert.ok(pinned > 0 && pinned < fetched && fetched < install, `${v.label}: installer verified, then run`);
      assert.doesNotMatch(
        script,
        /raw\.githubusercontent\.com\/k3s-io\/k3s\/v\d/,
        `${v.label}: nothing from a release tag`,
      );
      if (v.node.role === "server")
        assert.match(
          rules,
          /tcp dport \{ 2379, 2380 \} ip saddr != \{ 127\.0\.0\.0\/8, 10\.\d+\.0\.16\/28 \} counter drop/,
        );
      else assert.doesNotMatch(rules, /2379/);
    }
  });

  it("servers carry the CIS hardening flags and files; every node the kubelet settings", () => {
    for (const v of variants()) {
      const doc = parse(render(v.plan, v.node)) as CloudConfig;
      const k3s = parse(fileIn(doc, "/etc/rancher/k3s/config.yaml").content) as Record<string, any>;
      assert.equal(fileIn(doc, "/etc/rancher/k3s/config.yaml").permissions, "0600");
      // Servers carry their pinned identity; agents find theirs at boot (same user-data for a
      // whole pool, Pulumi-made or autoscaled: test/autoscale.test.ts).
      assert.equal(k3s["node-ip"], v.node.role === "server" ? v.node.privateIp : undefined);
      assert.equal(k3s["node-name"], v.node.role === "server" ? v.node.name : undefined);
      assert.equal(k3s["protect-kernel-defaults"], true);
      assert.deepEqual(k3s["kubelet-arg"], [
        "cloud-provider=external",
        "streaming-connection-idle-timeout=5m",
        "make-iptables-util-chains=true",
        "pod-max-pids=4096",
        "image-gc-high-threshold=80",
        "image-gc-low-threshold=70",
        "eviction-hard=memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%,pid.available<10%",
      ]);
      assert.deepEqual(k3s["kube-proxy-arg"], [`nodeport-addresses=${v.plan.cluster.networkCidr}`]);
      const sysctl = fileIn(doc, "/etc/sysctl.d/90-kubelet.conf").content;
      for (const l of ["vm.panic_on_oom=0", "vm.overcommit_memory=1", "kernel.panic=10", "kernel.panic_on_oops=1"])
        assert.ok(sysctl.includes(l), `${v.label}: ${l}`);
      const script = fileIn(doc, BOOTSTRAP_PATH).content;
      assert.ok(script.indexOf("sysctl -q -p /etc/sysctl.d/90-kubelet.conf") < script.indexOf('sh "$installer"'));
      // The flannel interface is found at boot: by the pinned private IP on servers, by the
      // site's network range on agents (which also take node-name and node-ip from the host).
      if (v.node.role === "server") assert.ok(script.includes(`readonly PRIVATE_IP='${v.node.privateIp}'`));
      else {
        assert.ok(!script.includes(v.node.privateIp), `${v.label}: an agent's script names no address`);
        assert.ok(script.includes(`readonly NETWORK_CIDR='${v.plan.cluster.networkCidr}'`));
        assert.ok(script.includes("node-name: %s\\nnode-ip: %s\\nflannel-iface: %s"));
      }
      assert.ok(script.includes("flannel-iface: %s"));
      assert.ok(script.includes('INSTALL_K3S_VERSION="$K3S_VERSION"'));
      assert.ok(script.includes(`readonly K3S_VERSION='${v.plan.cluster.k3sVersion}'`));
      if (v.node.role === "agent") {
        assert.equal(k3s.server, v.plan.cluster.joinUrl);
        assert.equal(k3s.token, "agent-token-value");
        assert.equal(k3s["etcd-arg"], undefined, `${v.label}: agents run no etcd`);
        continue;
      }
      assert.equal(k3s["secrets-encryption"], true);
      assert.equal(k3s["disable-cloud-controller"], true);
      assert.deepEqual(k3s.disable, ["servicelb", "traefik", "local-storage"]);
      // Written out, not imported: dropping or weakening one flag in k3s.ts must fail here.
      assert.deepEqual(k3s["kube-apiserver-arg"], [
        "admission-control-config-file=/var/lib/rancher/k3s/server/admission.yaml",
        "enable-admission-plugins=NodeRestriction,NamespaceLifecycle,ServiceAccount,PodSecurity,AlwaysPullImages,EventRateLimit",
        "audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml",
        "audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log",
        "audit-log-maxage=30",
        "audit-log-maxbackup=10",
        "audit-log-maxsize=100",
        "request-timeout=300s",
        "service-account-lookup=true",
        "anonymous-auth=false",
        "event-ttl=1h",
      ]);
      // The datastore's quota: half the control planes' memory (both stacks cx43: 16 GB), at most 8 GiB.
      assert.deepEqual(k3s["etcd-arg"], ["quota-backend-bytes=8589934592"]);
      assert.deepEqual(k3s["kube-controller-manager-arg"], [
        "terminated-pod-gc-threshold=10",
        "use-service-account-credentials=true",
      ]);
      const psa = parse(fileIn(doc, "/var/lib/rancher/k3s/server/admission.yaml").content) as any;
      assert.deepEqual(psa.plugins[1], {
        name: "EventRateLimit",
        configuration: {
          apiVersion: "eventratelimit.admission.k8s.io/v1alpha1",
          kind: "Configuration",
          limits: [
            { type: "Server", qps: 50, burst: 500 },
            { type: "Namespace", qps: 1, burst: 100, cacheSize: 4096 },
          ],
        },
      });
      assert.equal(psa.plugins.length, 2);
      assert.deepEqual(
        [
          psa.apiVersion,
          psa.kind,
          psa.plugins[0].name,
          psa.plugins[0].configuration.apiVersion,
          psa.plugins[0].configuration.kind,
        ],
        [
          "apiserver.config.k8s.io/v1",
          "AdmissionConfiguration",
          "PodSecurity",
          "pod-security.admission.config.k8s.io/v1",
          "PodSecurityConfiguration",
        ],
      );
      assert.deepEqual(parse(fileIn(doc, "/var/lib/rancher/k3s/server/audit.yaml").content), {
        apiVersion: "audit.k8s.io/v1",
        kind: "Policy",
        omitStages: ["RequestReceived"],
        rules: [
          { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"] },
          { level: "None", resources: [{ group: "", resources: ["events"] }] },
          { level: "Metadata" },
        ],
      });
      assert.equal(k3s["write-kubeconfig-mode"], "0600");
      assert.equal(k3s["etcd-snapshot-compress"], true);
      assert.equal(k3s["cluster-cidr"], "10.42.0.0/16");
      assert.equal(k3s["service-cidr"], "10.43.0.0/16");
      assert.equal(k3s["advertise-address"], v.node.privateIp);
      assert.deepEqual(k3s["node-taint"], ["node-role.kubernetes.io/control-plane:NoSchedule"]);
      assert.deepEqual(psa.plugins[0].configuration.defaults, {
        enforce: "baseline",
        "enforce-version": "latest",
        audit: "restricted",
        "audit-version": "latest",
        warn: "restricted",
        "warn-version": "latest",
      });
      assert.deepEqual(psa.plugins[0].configuration.exemptions, {
        usernames: [],
        runtimeClasses: [],
        namespaces: ["kube-system"],
      });
      assert.equal((parse(fileIn(doc, "/var/lib/rancher/k3s/server/audit.yaml").content) as any).kind, "Policy");
      assert.ok(script.includes("install -d -m 0700 /var/lib/rancher/k3s/server/logs"));
      assert.equal(k3s.token, "server-token-value");
      assert.equal(k3s["agent-token"], "agent-token-value");
      assert.deepEqual(k3s["tls-san"], [
        "192.0.2.10",
        ...(v.plan.cluster.ha ? [v.plan.addresses.apiLoadBalancer] : []),
      ]);
      const e = v.plan.cluster.etcdSnapshots;
      assert.equal(k3s["etcd-s3"], true);
      assert.equal(k3s["etcd-s3-bucket"], e.bucket);
      assert.equal(k3s["etcd-s3-endpoint"], e.endpoint);
      assert.equal(k3s["etcd-s3-region"], e.region);
      assert.equal(k3s["etcd-snapshot-schedule-cron"], e.schedule);
      assert.equal(k3s["etcd-snapshot-retention"], e.retention);
      assert.equal(k3s["etcd-s3-access-key"], "s3-access-value");
      assert.equal(k3s["etcd-s3-secret-key"], "s3-secret'value");
      if (v.node.init) assert.equal(k3s["cluster-init"], true);
      else assert.equal(k3s.server, v.plan.cluster.joinUrl);
    }
  });

  it("only the first control plane gets CA keys; workers get neither the server token nor S3 keys", () => {
    for (const v of variants()) {
      const text = render(v.plan, v.node);
      const doc = parse(text) as CloudConfig;
      const tls = doc.write_files.filter((f) => f.path.startsWith("/var/lib/rancher/k3s/server/tls/"));
      if (v.node.init) {
        assert.deepEqual(
          tls.map((f) => [f.path.replace("/var/lib/rancher/k3s/server/tls/", ""), f.permissions]),
          [
            ["server-ca.crt", "0644"],
            ["server-ca.key", "0600"],
            ["client-ca.crt", "0644"],
            ["client-ca.key", "0600"],
            ["request-header-ca.crt", "0644"],
            ["request-header-ca.key", "0600"],
            ["etcd/peer-ca.crt", "0644"],
            ["etcd/peer-ca.key", "0600"],
            ["etcd/server-ca.crt", "0644"],
            ["etcd/server-ca.key", "0600"],
            ["service.key", "0600"],
          ],
        );
        assert.equal(fileIn(doc, "/var/lib/rancher/k3s/server/tls/server-ca.crt").content, fakePki.cas.server.certPem);
      } else {
        assert.deepEqual(tls, [], `${v.label}: no CA material`);
        assert.ok(!text.includes("PRIVATE KEY"), `${v.label}: no private key at all`);
      }
      // render() handed every node the server secrets: an agent must still get none of them.
      if (v.node.role === "agent")
        for (const s of ["server-token-value", "s3-access-value", "s3-secret"])
          assert.ok(!text.includes(s), `${v.label}: ${s} must not reach an agent`);
      else assert.ok(text.includes("server-token-value"), `${v.label}: the input did carry the server token`);
    }
    assert.throws(
      () =>
        renderCloudInit({
          ...variantArgs(),
          pki: fakePki,
          node: variants().find((v) => v.label === "prod worker")!.node,
        }),
      /only the first control plane receives CA keys/,
    );
  });

  it("the component hands agents their own token only: nodeSecrets() keeps the server token and S3 keys back", async () => {
    const secret = (v: string) => pulumi.secret(pulumi.output(v));
    const { server, agentToken } = nodeSecrets({
      secrets: {
        k3sToken: secret("server-token-value"),
        etcdS3AccessKey: secret("s3-access-value"),
        etcdS3SecretKey: secret("s3-secret-value"),
      } as never,
    });
    assert.deepEqual(await unwrap(agentToken), { value: deriveAgentToken("server-token-value"), secret: true });
    assert.deepEqual(await unwrap(server), {
      value: {
        token: "server-token-value",
        agentToken: deriveAgentToken("server-token-value"),
        etcdS3AccessKey: "s3-access-value",
        etcdS3SecretKey: "s3-secret-value",
      },
      secret: true,
    });
    assert.notEqual(deriveAgentToken("server-token-value"), "server-token-value");
  });

  it("restore: the first control plane resets etcd from the S3 snapshot before k3s starts; others never", () => {
    const all = variants();
    const restoring = all[all.length - 1];
    const doc = assertValidUserData(render(restoring.plan, restoring.node), restoring.label);
    const script = fileIn(doc, BOOTSTRAP_PATH).content;
    const reset = script.indexOf("k3s server --cluster-reset \\");
    assert.ok(reset > script.indexOf('sh "$installer"') && reset < script.indexOf('systemctl start "$K3S_UNIT"'));
    for (const flag of [
      '--cluster-reset-restore-path="$RESTORE_SNAPSHOT"',
      "--etcd-s3 \\",
      "--etcd-s3-endpoint='fsn1.your-objectstorage.com'",
      "--etcd-s3-region='fsn1'",
      "--etcd-s3-bucket='vp-prod-etcd'",
      "--etcd-s3-folder='prod'",
      '--etcd-s3-access-key="$ETCD_S3_ACCESS_KEY"',
      '--etcd-s3-secret-key="$ETCD_S3_SECRET_KEY"',
    ])
      assert.ok(script.includes(flag), `restore flag ${flag}`);
    assert.ok(script.includes("readonly RESTORE_SNAPSHOT='etcd-snapshot-prod-cp-1-1767225600'"));
    assert.ok(!script.includes("cacerts"), "a restoring server never joins an existing cluster instead");
    const env = fileIn(doc, "/etc/vp/etcd-restore.env");
    assert.equal(env.permissions, "0600");
    assert.equal(env.content, "ETCD_S3_ACCESS_KEY='s3-access-value'\nETCD_S3_SECRET_KEY='s3-secret'\\''value'\n");
    // The same site without restore, and every other node of the restoring site: no reset.
    for (const n of [...restoring.plan.controlPlanes.slice(1), ...restoring.plan.workers])
      assert.ok(!render(restoring.plan, n).includes("--cluster-reset"), n.name);
    for (const v of all.slice(0, -1)) assert.ok(!render(v.plan, v.node).includes("--cluster-reset"), v.label);
  });

  it("an HA first control plane joins a cluster that already answers instead of starting a second one", () => {
    const prod = variants().find((v) => v.label === "prod first control plane")!;
    const script = fileIn(parse(render(prod.plan, prod.node)) as CloudConfig, BOOTSTRAP_PATH).content;
    assert.ok(script.includes("readonly JOIN_URL='https://10.20.0.2:6443'"));
    assert.ok(script.indexOf('"$JOIN_URL/cacerts"') < script.indexOf('sh "$installer"'));
    const staging = variants().find((v) => v.label === "staging first control plane")!;
    assert.ok(!render(staging.plan, staging.node).includes("cacerts"), "single control plane: nothing to join");
  });

  it("refuses user-data over Hetzner's 32 KiB", () => {
    const v = variants()[0];
    const many = Array.from({ length: 400 }, (_, i) => `ssh-ed25519 ${"A".repeat(68)} key${i}`);
    assert.throws(
      () =>
        renderCloudInit({ ...variantArgs(), cluster: { ...v.plan.cluster, sshAuthorizedKeys: many }, node: v.node }),
      new RegExp(`Hetzner accepts at most ${USER_DATA_LIMIT}`),
    );
  });
});

function variantArgs() {
  const v = variants()[0];
  return { cluster: v.plan.cluster as ClusterSettings, node: v.node, secrets: fakeSecrets, tlsSans: [], pki: fakePki };
}

describe("site: kubeconfig (pure)", () => {
  it("renders the same text for the same inputs, with base64 PEMs and the API address", () => {
    const k = {
      name: "prod",
      server: "https://192.0.2.10:6443",
      caCertPem: pem("CERTIFICATE", "ca"),
      clientCertPem: pem("CERTIFICATE", "admin"),
      clientKeyPem: pem("EC PRIVATE KEY", "admin"),
    };
    const a = renderKubeconfig(k);
    assert.equal(renderKubeconfig({ ...k }), a);
    const doc = parse(a) as any;
    assert.equal(doc["current-context"], "prod");
    assert.equal(doc.clusters[0].cluster.server, "https://192.0.2.10:6443");
    assert.equal(Buffer.from(doc.clusters[0].cluster["certificate-authority-data"], "base64").toString(), k.caCertPem);
    assert.equal(Buffer.from(doc.users[0].user["client-key-data"], "base64").toString(), k.clientKeyPem);
    assert.throws(() => renderKubeconfig({ ...k, server: "192.0.2.10" }), /https:\/\/host:port/);
  });
});

// ---------------------------------------------------------------------------------------------
// The Pulumi graph

const SERVER = "hcloud:index/server:Server";
const siteOf = (p: Plan) => descendants(p, byName(p, "site").urn);
const controlPlaneServers = (p: Plan) =>
  ofType(p, SERVER).filter(
    (r) => (input(r, "labels") as Record<string, string>)["platform.video/role"] === "control-plane",
  );

/** Firewall rules that open something to the whole internet, other than TCP 80/443. */
function worldOpenings(rules: Array<Record<string, any>>): string[] {
  return rules
    .filter((r) => r.direction === "in" && (r.sourceIps ?? []).some((s: string) => s === "0.0.0.0/0" || s === "::/0"))
    .filter((r) => !(r.protocol === "tcp" && (r.port === "80" || r.port === "443")))
    .map((r) => `${r.protocol}/${r.port ?? "*"}`);
}

describe("site: plan", () => {
  it("staging and prod plans show the whole site with the counts from config", async () => {
    const expected = {
      staging: { cps: 1, workers: { general: 2 }, lb: 0, groups: ["cp", "general-1"] },
      prod: {
        cps: 3,
        workers: { general: 3, ingest: 2 },
        lb: 1,
        groups: ["cp", "general-1", "ingest-1", "ingest-autoscaled"],
      },
    };
    for (const [stack, want] of Object.entries(expected)) {
      const p = await planStack(stack);
      const site = siteOf(p);
      const count = (t: string) => site.filter((r) => r.type === t).length;
      const workers = ofType(p, SERVER).filter((r) => (input(r, "labels") as any)["platform.video/role"] === "worker");
      assert.equal(controlPlaneServers(p).length, want.cps, `${stack} control planes`);
      const perPool: Record<string, number> = {};
      for (const w of workers) {
        const pool = (input(w, "labels") as any)["platform.video/pool"];
        perPool[pool] = (perPool[pool] ?? 0) + 1;
      }
      assert.deepEqual(perPool, want.workers, `${stack} workers per pool`);
      assert.equal(count("hcloud:index/primaryIp:PrimaryIp"), want.cps);
      assert.equal(count("hcloud:index/loadBalancer:LoadBalancer"), want.lb);
      assert.equal(count("hcloud:index/loadBalancerService:LoadBalancerService"), want.lb);
      assert.equal(count("hcloud:index/network:Network"), 1);
      assert.equal(count("hcloud:index/networkSubnet:NetworkSubnet"), 1);
      assert.equal(count("hcloud:index/firewall:Firewall"), 1);
      assert.equal(count("pulumi:providers:hcloud"), 1);
      assert.deepEqual(
        site
          .filter((r) => r.type === "hcloud:index/placementGroup:PlacementGroup")
          .map((r) => r.name.replace("site-pg-", ""))
          .sort(),
        want.groups,
      );
      assert.equal(count("tls:index/selfSignedCert:SelfSignedCert"), 5, "five cluster CAs");
      // Every server: in the network at its planned address, firewalled, in its placement group.
      const { site: cfg, k3s } = stackSite(stack);
      const plan = planSite(stack, cfg, k3s);
      for (const n of [...plan.controlPlanes, ...plan.workers]) {
        const s = byName(p, n.role === "server" ? `site-${n.key}` : `site-worker-${n.key}`, SERVER);
        assert.equal(input(s, "name"), n.name);
        assert.equal((input(s, "networks") as any[])[0].ip, n.privateIp);
        assert.equal((input(s, "firewallIds") as unknown[]).length, 1);
        assert.equal(input(s, "location"), cfg.location);
        assert.equal(input(s, "image"), cfg.image);
        assert.ok(s.options.dependsOn.includes(byName(p, "site-subnet").urn), "created after the subnet");
        assert.ok(s.options.dependsOn.includes(byName(p, `site-pg-${plan.placementGroupOf(n)}`).urn));
        assert.ok(s.options.provider?.startsWith(byName(p, "site-hcloud").urn), "explicit hcloud provider");
      }
    }
  });

  it("physical names carry the stack; logical names are stable keys", async () => {
    const p = await planStack("prod");
    for (const r of siteOf(p).filter((r) => r.type.startsWith("hcloud:") && input(r, "name") !== undefined))
      assert.match(String(input(r, "name")), /^prod-/, `${r.name}: Hetzner name must start with the stack`);
    assert.deepEqual(
      siteOf(p)
        .map((r) => r.name)
        .sort(),
      [
        "site-admin-cert",
        "site-admin-csr",
        "site-admin-key",
        "site-api-lb",
        "site-api-lb-6443",
        "site-api-lb-net",
        "site-api-lb-targets",
        "site-ca-client-ca",
        "site-ca-client-ca-key",
        "site-ca-etcd-peer-ca",
        "site-ca-etcd-peer-ca-key",
        "site-ca-etcd-server-ca",
        "site-ca-etcd-server-ca-key",
        "site-ca-request-header-ca",
        "site-ca-request-header-ca-key",
        "site-ca-server-ca",
        "site-ca-server-ca-key",
        "site-cp-1",
        "site-cp-1-ipv4",
        "site-cp-2",
        "site-cp-2-ipv4",
        "site-cp-3",
        "site-cp-3-ipv4",
        "site-fw",
        "site-hcloud",
        "site-net",
        "site-pg-cp",
        "site-pg-general-1",
        "site-pg-ingest-1",
        "site-pg-ingest-autoscaled",
        "site-service-account-key",
        "site-ssh-breakglass",
        "site-ssh-breakglass-key",
        "site-subnet",
        "site-worker-general-1",
        "site-worker-general-2",
        "site-worker-general-3",
        "site-worker-ingest-1",
        "site-worker-ingest-2",
      ],
    );
  });

  it("firewall: only 80/443 are open to the world; 22 and 6443 exactly from the configured admin CIDRs", async () => {
    for (const stack of ["staging", "prod"]) {
      const p = await planStack(stack);
      const rules = input(byName(p, "site-fw"), "rules") as any[];
      assert.deepEqual(worldOpenings(rules), [], `${stack}: nothing but 80/443 to the world`);
      const admin = stackSite(stack).site.adminCidrs;
      assert.deepEqual(
        rules.map((r) => [r.direction, r.protocol, r.port, r.sourceIps]),
        [
          ["in", "tcp", "22", admin],
          ["in", "tcp", "6443", admin],
          ["in", "tcp", "80", ["0.0.0.0/0", "::/0"]],
          ["in", "tcp", "443", ["0.0.0.0/0", "::/0"]],
        ],
      );
      assert.ok(!rules.some((r) => r.direction === "out"), "outbound stays open (no outbound rule)");
    }
    // The check itself catches a rule that opens anything else (SSH, NodePorts, ICMP) to the world.
    const bad = [
      ...firewallRules(["198.51.100.0/28"]),
      { direction: "in", protocol: "tcp", port: "30000-32767", sourceIps: ["0.0.0.0/0"] },
      { direction: "in", protocol: "icmp", sourceIps: ["::/0"] },
    ];
    assert.deepEqual(worldOpenings(bad), ["tcp/30000-32767", "icmp/*"]);
    // Admin CIDRs come from config: change them and the rules follow.
    const changed = await planWith({
      stack: "staging",
      stackConfig: withConfig("staging", (c) => (c[`${P}:site`].adminCidrs = ["203.0.113.7/32", "2001:db8::/48"])),
    });
    const rules = input(byName(changed, "site-fw"), "rules") as any[];
    assert.deepEqual(rules[0].sourceIps, ["203.0.113.7/32", "2001:db8::/48"]);
    assert.deepEqual(rules[1].sourceIps, ["203.0.113.7/32", "2001:db8::/48"]);
  });

  it("control-plane count is odd and matches config; an even count is refused before anything is planned", async () => {
    assert.equal(controlPlaneServers(await planStack("staging")).length, 1);
    assert.equal(controlPlaneServers(await planStack("prod")).length, 3);
    const five = await planWith({
      stack: "prod",
      stackConfig: withConfig("prod", (c) => (c[`${P}:site`].controlPlane.count = 5)),
    });
    assert.equal(controlPlaneServers(five).length, 5);
    assert.equal(ofType(five, "hcloud:index/primaryIp:PrimaryIp").length, 5);
    const problems = await expectInputError(() =>
      planWith({ stack: "prod", stackConfig: withConfig("prod", (c) => (c[`${P}:site`].controlPlane.count = 4)) }),
    );
    assert.ok(problems.some((p) => p.path === `${P}:site.controlPlane.count` && /odd/.test(p.message)));
  });

  it("site config problems fail the run with file, key and fix, before any resource", async () => {
    const problems = await expectInputError(() =>
      planWith({
        stack: "staging",
        stackConfig: withConfig("staging", (c) => {
          c[`${P}:site`].networkCidr = "10.10.0.0/24";
          c[`${P}:site`].workerPools = [
            { name: "cp", serverType: "cx43", count: 1 },
            { name: "gpu", serverType: "cx43", count: 1, labels: { "node-role.kubernetes.io/worker": "true" } },
          ];
        }),
      }),
    );
    const lines = problems.map((p) => `${p.file}: ${p.path}: ${p.message}`);
    for (const [path, re] of [
      [`${P}:site.networkCidr`, /\/20 or larger/],
      [`${P}:site.workerPools[0].name`, /reserved/],
      [`${P}:site.workerPools[1].labels`, /NodeRestriction/],
    ] as const)
      assert.ok(
        problems.some((p) => p.file === "Pulumi.staging.yaml" && p.path === path && re.test(p.message)),
        `missing ${path} in\n${lines.join("\n")}`,
      );
  });

  // Adding one worker to a pool creates only that server's resources: test/locality.test.ts (prod).
  it("adding a pool (even first in the list) or an 11th worker changes no existing resource", async () => {
    const base = await planStack("staging");
    const more = await planWith({
      stack: "staging",
      stackConfig: withConfig("staging", (c) => {
        c[`${P}:site`].workerPools.unshift({ name: "edge", serverType: "cx23", count: 1 });
        c[`${P}:site`].workerPools[1].count = 11;
      }),
    });
    const added = [
      "site-pg-edge-1",
      "site-worker-edge-1",
      "site-pg-general-2",
      ...Array.from({ length: 9 }, (_, i) => `site-worker-general-${i + 3}`),
    ];
    assertOnlyAdded(base, more, added);
    assert.ok(
      byName(more, "site-worker-general-11").options.dependsOn.includes(byName(more, "site-pg-general-2").urn),
      "the 11th worker goes into the pool's second spread group (Hetzner: 10 per group)",
    );
  });

  it("protects servers, primary IPs, network and load balancer on protected stacks only; ignores replace-only fields", async () => {
    for (const [stack, protectedStack] of [
      ["prod", true],
      ["staging", false],
    ] as const) {
      const p = await planStack(stack);
      const mustProtect = siteOf(p).filter((r) =>
        [
          SERVER,
          "hcloud:index/network:Network",
          "hcloud:index/networkSubnet:NetworkSubnet",
          "hcloud:index/primaryIp:PrimaryIp",
          "hcloud:index/loadBalancer:LoadBalancer",
          "hcloud:index/volume:Volume",
        ].includes(r.type),
      );
      assert.ok(mustProtect.length >= 3);
      for (const r of mustProtect) assert.equal(r.options.protect, protectedStack, `${stack}: ${r.name}`);
      for (const s of ofType(p, SERVER)) assert.deepEqual(s.options.ignoreChanges, ["image", "sshKeys", "userData"]);
    }
  });

  it("protects the cluster PKI (CA keys and certificates, service-account and break-glass keys) on protected stacks only", async () => {
    // A replaced CA is a new cluster identity the running cluster does not share (it read its CAs
    // once, at first boot); the renewable admin certificate and its request stay unprotected.
    const pki = [
      "site-ca-server-ca-key",
      "site-ca-server-ca",
      "site-ca-client-ca-key",
      "site-ca-client-ca",
      "site-ca-request-header-ca-key",
      "site-ca-request-header-ca",
      "site-ca-etcd-peer-ca-key",
      "site-ca-etcd-peer-ca",
      "site-ca-etcd-server-ca-key",
      "site-ca-etcd-server-ca",
      "site-service-account-key",
      "site-admin-key",
      "site-ssh-breakglass-key",
    ];
    for (const [stack, protectedStack] of [
      ["prod", true],
      ["staging", false],
    ] as const) {
      const p = await planStack(stack);
      for (const n of pki) assert.equal(byName(p, n).options.protect, protectedStack, `${stack}: ${n}`);
      for (const n of ["site-admin-csr", "site-admin-cert"])
        assert.equal(byName(p, n).options.protect, false, `${stack}: ${n} is re-issued before it expires`);
    }
  });

  it("HA: the API load balancer is private only and targets the control planes over the private network", async () => {
    const p = await planStack("prod");
    const net = byName(p, "site-api-lb-net");
    assert.equal(input(net, "enablePublicInterface"), false, "6443 never reachable past the firewall via the LB");
    assert.equal(input(net, "ip"), "10.20.0.2");
    const svc = byName(p, "site-api-lb-6443");
    assert.deepEqual(
      [input(svc, "protocol"), input(svc, "listenPort"), input(svc, "destinationPort")],
      ["tcp", 6443, 6443],
    );
    const target = byName(p, "site-api-lb-targets");
    assert.equal(input(target, "type"), "label_selector");
    assert.equal(input(target, "labelSelector"), "platform.video/site=prod,platform.video/role=control-plane");
    assert.equal(input(target, "usePrivateIp"), true);
    assert.ok(target.options.dependsOn.includes(net.urn), "private targets need the LB in the network first");
    // Control planes get their public address from a primary IP (known before the server, in its certificate).
    for (const cp of controlPlaneServers(p)) {
      const nets = input(cp, "publicNets") as any[];
      assert.equal(typeof nets[0].ipv4, "number");
      assert.equal(nets[0].ipv4Enabled, true);
    }
  });

  it("user-data, kubeconfig and the provider token are secret; the k3s token is never in clear", async () => {
    const token = "seeded-k3s-token-9f2c41";
    const p = await planWith({
      stack: "prod",
      overrides: {
        k3sToken: { value: token, secret: true },
        etcdS3SecretKey: { value: "seeded-s3-secret-77aa", secret: true },
        hcloudToken: { value: "seeded-hcloud-token-31bd", secret: true },
      },
    });
    for (const s of ofType(p, SERVER)) assert.equal(input(s, "userData"), SECRET, `${s.name} user-data`);
    assert.equal(input(byName(p, "site-hcloud"), "token"), SECRET);
    const json = planJson(p);
    for (const v of [
      token,
      deriveAgentToken(token),
      Buffer.from(token).toString("base64"),
      "seeded-s3-secret-77aa",
      "seeded-hcloud-token-31bd",
    ])
      assert.ok(!json.includes(v), `plan JSON contains ${v.slice(0, 12)}…`);
    assert.ok(!/PRIVATE KEY/.test(json), "no private key PEM in the plan");
    const own = await planWith({
      stack: "prod",
      program: async () => {
        const site = new Site("site", { config: loadStackConfig() });
        return { kubeconfig: site.kubeconfig, userData: site.nodes[0].userData };
      },
    });
    assert.equal(own.outputs.kubeconfig, SECRET);
    assert.equal(own.outputs.userData, SECRET);
  });

  it("the program renders valid user-data from the real wiring, and the kubeconfig is stable across runs", async () => {
    const program = async () => {
      const site = new Site("site", { config: loadStackConfig() });
      return {
        kubeconfig: pulumi.unsecret(site.kubeconfig),
        apiEndpoint: site.apiEndpoint,
        ca: site.clusterCaCertPem,
        userData: Object.fromEntries(site.nodes.map((n) => [n.spec.name, pulumi.unsecret(n.userData)])),
      };
    };
    const overrides = { k3sToken: { value: "wired-token-0b1e", secret: true } };
    const a = await planWith({ stack: "prod", program, overrides });
    const b = await planWith({ stack: "prod", program, overrides });
    const c = await planWith({
      stack: "prod",
      program,
      overrides,
      stackConfig: withConfig("prod", (cfg) => (cfg[`${P}:site`].workerPools[1].count += 1)),
    });
    const kubeconfig = a.outputs.kubeconfig as string;
    assert.equal(b.outputs.kubeconfig, kubeconfig, "same kubeconfig on a second run");
    assert.equal(c.outputs.kubeconfig, kubeconfig, "adding a worker leaves the kubeconfig alone");
    const kc = parse(kubeconfig) as any;
    assert.equal(kc.clusters[0].cluster.server, a.outputs.apiEndpoint);
    assert.match(String(a.outputs.apiEndpoint), /^https:\/\/\d+\.\d+\.\d+\.\d+:6443$/);
    assert.equal(Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString(), a.outputs.ca);
    const userData = a.outputs.userData as Record<string, string>;
    assert.deepEqual(Object.keys(userData).sort(), [
      "prod-cp-1",
      "prod-cp-2",
      "prod-cp-3",
      "prod-general-1",
      "prod-general-2",
      "prod-general-3",
      "prod-ingest-1",
      "prod-ingest-2",
    ]);
    for (const [node, text] of Object.entries(userData)) {
      const doc = assertValidUserData(text, node);
      const k3s = parse(fileIn(doc, "/etc/rancher/k3s/config.yaml").content) as any;
      if (node.includes("-cp-")) {
        assert.equal(k3s.token, "wired-token-0b1e");
        assert.equal(k3s["tls-san"].length, 2, "own primary IP + API LB");
      } else {
        assert.equal(k3s.token, deriveAgentToken("wired-token-0b1e"));
        assert.ok(!text.includes("wired-token-0b1e"), `${node}: no server token on an agent`);
      }
    }
    const cp1 = parse(userData["prod-cp-1"]) as CloudConfig;
    assert.equal(fileIn(cp1, "/var/lib/rancher/k3s/server/tls/server-ca.crt").content, a.outputs.ca);
    assert.ok(
      parse(fileIn(cp1, "/etc/rancher/k3s/config.yaml").content)["tls-san"].includes(
        new URL(String(a.outputs.apiEndpoint)).hostname,
      ),
    );
  });
});

/** Asserts `after` is `before` plus exactly `added` (logical names): every other resource is unchanged. */
function assertOnlyAdded(before: Plan, after: Plan, added: string[]): void {
  const key = (r: PlannedResource) => r.urn;
  const old = new Map(before.resources.map((r) => [key(r), r]));
  const now = new Map(after.resources.map((r) => [key(r), r]));
  assert.deepEqual(
    [...old.keys()].filter((k) => !now.has(k)),
    [],
    "nothing removed",
  );
  assert.deepEqual(
    after.resources
      .filter((r) => !old.has(key(r)))
      .map((r) => r.name)
      .sort(),
    [...added].sort(),
    "exactly the new resources",
  );
  const siteUrns = new Set(siteOf(before).map((r) => r.urn));
  for (const [k, r] of old) {
    const n = now.get(k)!;
    assert.deepEqual(n.inputs, r.inputs, `${r.name}: inputs changed`);
    const { dependsOn: d1, ...o1 } = r.options;
    const { dependsOn: d2, ...o2 } = n.options;
    assert.deepEqual(o2, o1, `${r.name}: options changed`);
    // Outside the site, a dependency list may name every server (the readiness gate waits for
    // them); that orders the engine but is not a change. Inside the site, nothing may move.
    if (siteUrns.has(k)) assert.deepEqual(d2, d1, `${r.name}: dependencies changed`);
  }
}
