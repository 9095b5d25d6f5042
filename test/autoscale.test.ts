/**
 * Autoscaled pools (components/site/autoscale.ts, node-groups.ts, components/platform/autoscaler.ts):
 * config validation, node equality between Pulumi's workers and the autoscaler's nodes, the
 * autoscaler's objects in the plan with no secret in clear, what Pulumi state refers to, capacity
 * and the cost range.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { loadStackConfig } from "../components/config/load";
import { autoscalerSecretData } from "../components/platform/autoscaler";
import { Site } from "../components/site";
import { parseTaint } from "../components/site/autoscale";
import { siteCapacity } from "../components/tenant/sizing";
import { autoscalerNodeGroups, monthlyCost } from "../tools/cost/model";
import { diffPlans } from "../tools/diff/compare";
import { renderMarkdown, renderText } from "../tools/diff/markdown";
import {
  byName,
  expectInputError,
  input,
  ofType,
  planStack,
  planWith,
  type Plan,
  readStackConfig,
  withStackConfig,
} from "./helpers/harness";

const P = "video-platform";
const HCLOUD_TOKEN = "autoscale-test-hcloud-token-9b41c7";
const K3S_TOKEN = "autoscale-test-k3s-token-3e07aa";
const overrides = {
  hcloudToken: { value: HCLOUD_TOKEN, secret: true },
  k3sToken: { value: K3S_TOKEN, secret: true },
};

/** The prod site's worker user-data and the autoscaler's cluster config, from the real components. */
async function rendered(): Promise<{ userData: Record<string, string>; clusterConfig: any; token: string }> {
  const p = await planWith({
    stack: "prod",
    overrides,
    program: async () => {
      const config = loadStackConfig();
      const site = new Site("site", { config });
      // The same function the platform's Secret is built with (checked against the plan below).
      const data = autoscalerSecretData({
        token: config.secrets.hcloudToken,
        groups: site.nodeGroups.groups,
        image: config.site.image,
        cloudInit: site.nodeGroups.cloudInit,
      });
      return {
        userData: Object.fromEntries(site.nodes.map((n) => [n.spec.name, pulumi.unsecret(n.userData)])),
        secretData: pulumi.unsecret(data),
      };
    },
  });
  const data = p.outputs.secretData as Record<string, string>;
  return {
    userData: p.outputs.userData as Record<string, string>,
    clusterConfig: JSON.parse(Buffer.from(data["cluster-config"], "base64").toString("utf8")),
    token: data.token,
  };
}

describe("autoscale: the same node, whoever creates it", () => {
  let r: Awaited<ReturnType<typeof rendered>>;
  before(async () => {
    r = await rendered();
  });

  it("prod-ingest's cloud-init is byte for byte the user-data of Pulumi's ingest workers", () => {
    const group = r.clusterConfig.nodeConfigs["prod-ingest"];
    assert.ok(group, "node group prod-ingest");
    for (const worker of ["prod-ingest-1", "prod-ingest-2"]) {
      assert.ok(r.userData[worker], worker);
      // Equal apart from the node's own name: and the name is not in either (found at boot).
      assert.equal(group.cloudInit, r.userData[worker], `${worker} vs the node group`);
      assert.ok(!r.userData[worker].includes(worker), `${worker}'s user-data does not name it`);
    }
    // A different pool renders differently (so equality above is not "everything is the same").
    assert.notEqual(group.cloudInit, r.userData["prod-general-1"]);
    assert.ok(r.userData["prod-general-1"].includes("platform.video/pool=general"));
  });

  it("carries the hardened agent: host guard before k3s, the pool's labels, the agent token only", () => {
    const text: string = r.clusterConfig.nodeConfigs["prod-ingest"].cloudInit;
    const doc = parse(text) as { write_files: { path: string; content: string }[]; runcmd: string[][] };
    const f = (path: string) => doc.write_files.find((w) => w.path === path)?.content ?? "";
    assert.match(f("/etc/vp/host-guard.nft"), /ip saddr 10\.42\.0\.0\/16 ip daddr 169\.254\.169\.254 counter drop/);
    assert.match(f("/etc/systemd/system/k3s-agent.service.d/10-vp-host-guard.conf"), /Requires=vp-host-guard\.service/);
    const k3s = parse(f("/etc/rancher/k3s/config.yaml")) as Record<string, any>;
    assert.equal(k3s.server, "https://10.20.0.2:6443", "joins through the private API load balancer");
    assert.deepEqual(k3s["node-label"], ["platform.video/pool=ingest"]);
    assert.equal(k3s["node-name"], undefined, "the name comes from the host");
    assert.equal(typeof k3s.token, "string");
    assert.notEqual(k3s.token, K3S_TOKEN, "never the server token");
    assert.ok(!text.includes(K3S_TOKEN));
    assert.ok(!/etcd-s3-(access|secret)-key/.test(text), "no S3 credentials");
    assert.deepEqual(doc.runcmd, [["/usr/local/sbin/vp-bootstrap"]]);
  });

  it("the node group: labels, taints, server labels and placement as Pulumi's ingest workers have them", () => {
    const group = r.clusterConfig.nodeConfigs["prod-ingest"];
    const image = (readStackConfig("prod") as any)[`${P}:site`].image;
    assert.match(image, /^debian-\d+$/);
    assert.deepEqual(r.clusterConfig.imagesForArch, { amd64: image, arm64: image }, "the site's image, as Pulumi's");
    assert.deepEqual(group.labels, { "platform.video/pool": "ingest" });
    // The dedicated ingest pool's taint reaches the autoscaler's nodes (and its scale-from-zero
    // simulation) exactly as Pulumi's ingest workers get it.
    assert.deepEqual(group.taints, [{ key: "platform.video/dedicated", value: "ingest", effect: "NoSchedule" }]);
    assert.deepEqual(group.serverLabels, {
      "platform.video/site": "prod",
      "platform.video/role": "worker",
      "platform.video/pool": "ingest",
      "platform.video/managed-by": "cluster-autoscaler",
    });
    assert.equal(group.placementGroup, "prod-ingest-autoscaled");
    assert.deepEqual(Object.keys(r.clusterConfig.nodeConfigs), ["prod-ingest"], "only autoscaled pools");
    assert.equal(r.token, HCLOUD_TOKEN);
  });

  it("the bootstrap finds the node's address in the site network (run with a stubbed `ip`)", () => {
    const text: string = r.clusterConfig.nodeConfigs["prod-ingest"].cloudInit;
    const script = (parse(text) as { write_files: { path: string; content: string }[] }).write_files.find(
      (w) => w.path === "/usr/local/sbin/vp-bootstrap",
    )!.content;
    // The discovery section alone, with `ip` answering like a Hetzner server: public, then private.
    const start = script.indexOf("ip4() {");
    const end = script.indexOf('log "private interface: $iface"');
    const section = script.slice(start, end);
    const run = (addrs: string) =>
      spawnSync(
        "bash",
        [
          "-c",
          [
            "set -euo pipefail",
            "NETWORK_CIDR=10.20.0.0/16",
            'NODE_NAME=prod-ingest-5f3a; fail() { echo "FAIL: $*"; exit 1; }; log() { :; }',
            `ip() { printf '%s\\n' ${addrs}; }`,
            "sleep() { :; }",
            "install() { :; }; K3S_DIR=$(mktemp -d)",
            section.replace(/\/etc\/rancher\/k3s\/config\.yaml\.d/g, "$K3S_DIR"),
            'cat "$K3S_DIR/50-node.yaml"',
          ].join("\n"),
        ],
        { encoding: "utf8" },
      );
    const ok = run(
      `'1: lo    inet 127.0.0.1/8 scope host lo' '2: eth0    inet 203.0.113.7/32 scope global eth0' '3: enp7s0    inet 10.20.0.23/32 brd 10.20.0.23 scope global enp7s0'`,
    );
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.equal(ok.stdout, "node-name: prod-ingest-5f3a\nnode-ip: 10.20.0.23\nflannel-iface: enp7s0\n");
    // An address outside the network (another site's 10.21/16) is never taken for the node's.
    const none = run(
      `'2: eth0    inet 203.0.113.7/32 scope global eth0' '3: enp7s0    inet 10.21.0.23/32 scope global'`,
    );
    assert.notEqual(none.status, 0);
    assert.match(none.stdout, /FAIL: no interface has an address in 10\.20\.0\.0\/16/);
  });
});

describe("autoscale: the plan", () => {
  let p: Plan;
  before(async () => {
    p = await planWith({ stack: "prod", overrides });
  });

  it("installs the cluster-autoscaler (Hetzner provider, k3s-matched image) with its node groups", () => {
    const d = byName(p, "platform-autoscaler", "kubernetes:apps/v1:Deployment");
    const c = (input(d, "spec.template.spec.containers") as any[])[0];
    // The autoscaler release of the stack's Kubernetes minor (upstream supports no other pairing).
    const k3sMinor = /^v1\.(\d+)\./.exec((readStackConfig("prod") as any)[`${P}:k3s`].version)![1];
    const m = /^registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v1\.(\d+)\.\d+$/.exec(c.image);
    assert.ok(m, c.image);
    assert.equal(m[1], k3sMinor, "same minor as k3s");
    assert.ok(c.args.includes("--cloud-provider=hetzner"));
    assert.deepEqual(
      c.args.filter((a: string) => a.startsWith("--nodes=")),
      ["--nodes=1:6:ccx33:fsn1:prod-ingest"],
    );
    assert.ok(c.args.includes("--skip-nodes-with-local-storage=true"));
    assert.ok(c.args.includes("--v=2"), "below 5, where the provider logs request headers (the token)");
    const env = Object.fromEntries((c.env as any[]).map((e) => [e.name, e]));
    assert.deepEqual(env.HCLOUD_TOKEN.valueFrom, { secretKeyRef: { name: "cluster-autoscaler", key: "token" } });
    assert.deepEqual(env.HCLOUD_CLUSTER_CONFIG.valueFrom, {
      secretKeyRef: { name: "cluster-autoscaler", key: "cluster-config" },
    });
    for (const k of ["HCLOUD_NETWORK", "HCLOUD_FIREWALL", "HCLOUD_SSH_KEY"])
      assert.match(String(env[k].value), /^\S+$/, `${k} set to the site's resource id`);
    assert.equal(env.HCLOUD_PUBLIC_IPV4.value, "true");
    assert.equal(env.HCLOUD_PUBLIC_IPV6.value, "true");
    const pod = input(d, "spec.template") as any;
    assert.equal(pod.metadata.annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"], "false");
    assert.deepEqual(pod.spec.nodeSelector, { "node-role.kubernetes.io/control-plane": "true" });
    assert.match(pod.metadata.annotations["platform.video/config-sha256"], /^[0-9a-f]{64}$/);
  });

  it("a new Hetzner token rolls the autoscaler (env from a Secret is read at start only)", async () => {
    const rotated = await planWith({
      stack: "prod",
      overrides: { ...overrides, hcloudToken: { value: `${HCLOUD_TOKEN}-rotated`, secret: true } },
    });
    const sum = (x: Plan) =>
      (
        input(
          byName(x, "platform-autoscaler", "kubernetes:apps/v1:Deployment"),
          "spec.template.metadata.annotations",
        ) as any
      )["platform.video/config-sha256"];
    assert.notEqual(sum(rotated), sum(p));
  });

  it("holds no token and no cloud-init in clear anywhere in the plan", () => {
    const text = JSON.stringify(p);
    assert.ok(!text.includes(HCLOUD_TOKEN), "hcloud token");
    assert.ok(!text.includes(K3S_TOKEN), "k3s token");
    assert.ok(!text.includes("#cloud-config"), "cloud-init text");
    assert.ok(!text.includes(Buffer.from("#cloud-config").toString("base64").slice(0, 16)), "base64 cloud-init");
    assert.ok(!text.includes("nodeConfigs"), "cluster config");
    const secret = byName(p, "platform-autoscaler-secret", "kubernetes:core/v1:Secret");
    assert.equal(input(secret, "stringData"), "[secret]");
    assert.ok(secret.options.additionalSecretOutputs.includes("stringData"));
  });

  it("declares the RBAC and Secret itself: exact kinds, names and rules", () => {
    const kinds = p.resources
      .filter((r) => r.name.startsWith("platform-autoscaler"))
      .map((r) => `${r.type} ${String(input(r, "metadata.name"))}`)
      .sort();
    assert.deepEqual(kinds, [
      "kubernetes:apps/v1:Deployment cluster-autoscaler",
      "kubernetes:core/v1:Secret cluster-autoscaler",
      "kubernetes:core/v1:ServiceAccount cluster-autoscaler",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole cluster-autoscaler",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding cluster-autoscaler",
      "kubernetes:rbac.authorization.k8s.io/v1:Role cluster-autoscaler",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding cluster-autoscaler",
    ]);
    const rules = input(byName(p, "platform-autoscaler-clusterrole"), "rules") as any[];
    const may = (group: string, resource: string, verb: string) =>
      rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    assert.ok(may("", "pods/eviction", "create"), "drains through evictions (PDBs hold)");
    assert.ok(may("policy", "poddisruptionbudgets", "list"));
    assert.ok(may("", "nodes", "update"));
    // Never more than it needs: no Secrets, no node deletion, no wildcards.
    assert.ok(!may("", "secrets", "get") && !may("", "secrets", "list"), "reads no Secrets cluster-wide");
    assert.ok(!may("", "nodes", "delete"));
    assert.ok(!rules.some((r) => [...r.apiGroups, ...r.resources, ...r.verbs].includes("*")), "no wildcards");
  });

  it("state never refers to autoscaled servers: no apply_to on the firewall, no server list anywhere", () => {
    const fw = byName(p, "site-fw", "hcloud:index/firewall:Firewall");
    assert.equal(input(fw, "applyTos"), undefined, "attached on the servers (Pulumi's and the autoscaler's)");
    for (const a of ofType(p, "hcloud:index/firewallAttachment:FirewallAttachment")) assert.fail(a.urn);
    const pg = byName(p, "site-pg-ingest-autoscaled", "hcloud:index/placementGroup:PlacementGroup");
    assert.deepEqual(pg.inputs, {
      name: "prod-ingest-autoscaled",
      type: "spread",
      labels: { "platform.video/site": "prod", "platform.video/role": "worker", "platform.video/pool": "ingest" },
    });
    // Pulumi declares exactly its own servers: 3 control planes + 3 general + 2 ingest.
    assert.equal(ofType(p, "hcloud:index/server:Server").length, 8);
    assert.ok(!JSON.stringify(p).includes("prod-ingest-autoscaled-"), "no autoscaled server name");
  });

  it("staging, without autoscaled pools, has no autoscaler objects and no extra placement group", async () => {
    const s = await planStack("staging");
    assert.deepEqual(
      s.resources.filter((r) => /autoscal/.test(r.name)).map((r) => r.name),
      [],
    );
  });
});

describe("autoscale: config validation", () => {
  const plan = (mutate: (c: Record<string, any>) => void) =>
    expectInputError(() => planWith({ stack: "prod", stackConfig: withStackConfig("prod", mutate) }));
  const ingest = (c: Record<string, any>) => c[`${P}:site`].workerPools.find((x: any) => x.name === "ingest");

  it("rejects min above max, naming the file, the field and the fix", async () => {
    const problems = await plan((c) => (ingest(c).autoscale = { min: 5, max: 2 }));
    assert.deepEqual(
      problems.map((x) => [x.file, x.path]),
      [["Pulumi.prod.yaml", "video-platform:site.workerPools[1].autoscale.min"]],
    );
    assert.match(problems[0].message, /min must not exceed autoscale\.max/);
  });

  it("rejects a negative min and an unknown field", async () => {
    const problems = await plan((c) => (ingest(c).autoscale = { min: -1, max: 2, maximum: 3 }));
    const paths = problems.map((x) => x.path).sort();
    assert.ok(paths.includes("video-platform:site.workerPools[1].autoscale.min"), paths.join());
    // The unknown key is named by its path, with the nearest allowed key as the fix.
    const unknown = problems.find((x) => x.path === "video-platform:site.workerPools[1].autoscale.maximum");
    assert.ok(unknown, paths.join());
    assert.match(unknown.message, /unknown key \(allowed here: min, max\)/);
  });

  it("rejects more servers at max than the project's limit, and accepts exactly the limit", async () => {
    const problems = await plan((c) => (c[`${P}:site`].serverLimit = 13));
    assert.deepEqual(
      problems.map((x) => x.path),
      ["video-platform:site.serverLimit"],
    );
    assert.match(problems[0].message, /14 servers \(8 fixed \+ 6 autoscaled at max\).*allows 13/);
    const ok = await planWith({
      stack: "prod",
      stackConfig: withStackConfig("prod", (c) => (c[`${P}:site`].serverLimit = 14)),
    });
    assert.ok(ok.resources.length > 0);
  });

  it("rejects an unknown server type and a location outside the network zone", async () => {
    const problems = await plan((c) => {
      ingest(c).serverType = "cx99";
    });
    assert.ok(problems.some((x) => x.path === "video-platform:site.workerPools[1].serverType"));
    const zone = await plan((c) => (ingest(c).location = "ash"));
    assert.deepEqual(
      zone.map((x) => x.path),
      ["video-platform:site.workerPools[1].location"],
    );
    assert.match(zone[0].message, /network zone us-east.*eu-central/);
    const fixed = await plan((c) => {
      delete ingest(c).autoscale;
      ingest(c).location = "nbg1";
    });
    assert.match(fixed[0].message, /only autoscaled pools take a location/);
  });

  it("rejects more than 10 autoscaled pools (one environment variable holds them all)", async () => {
    const pools = (n: number) => (c: Record<string, any>) => {
      c[`${P}:site`].serverLimit = 100;
      for (let i = 1; i <= n; i++)
        c[`${P}:site`].workerPools.push({ name: `burst${i}`, serverType: "cx23", autoscale: { min: 0, max: 1 } });
    };
    const problems = await plan(pools(10));
    assert.deepEqual(
      problems.map((x) => x.path),
      ["video-platform:site.workerPools"],
    );
    assert.match(problems[0].message, /11 pools are autoscaled, at most 10/);
    const ok = await planWith({ stack: "prod", stackConfig: withStackConfig("prod", pools(9)) });
    assert.equal(
      ofType(ok, "hcloud:index/placementGroup:PlacementGroup").filter((r) => /autoscaled/.test(r.name)).length,
      10,
    );
  });

  it("rejects a k3s minor the autoscaler has no pinned release for", async () => {
    const problems = await plan((c) => (c[`${P}:k3s`].version = "v1.31.9+k3s1"));
    // 1.31 is also below the hcloud CCM/CSI range (its own problem, test/platform.test.ts).
    assert.deepEqual(
      problems.map((x) => x.path),
      ["video-platform:k3s.version", "video-platform:k3s.version"],
    );
    assert.equal(problems.filter((x) => /no pinned release for Kubernetes 1\.31/.test(x.message)).length, 1);
    assert.equal(problems.filter((x) => /^Kubernetes 1\.31 \(v1\.31\.9\+k3s1\) is outside/.test(x.message)).length, 1);
  });
});

describe("autoscale: capacity and cost", () => {
  it("tenant quotas count fixed workers and min only; the way up to max is headroom", () => {
    const site = (autoscale?: { min: number; max: number }) =>
      ({
        overcommit: 1,
        workerPools: [
          { name: "ingest", serverType: "ccx33", count: 2, labels: {}, ...(autoscale ? { autoscale } : {}) },
        ],
      }) as any;
    const fixed = siteCapacity(site());
    const elastic = siteCapacity(site({ min: 1, max: 6 }));
    // ccx33: 8 cores, 32 GiB. Guaranteed: 2 fixed + 1 min = 3 nodes; headroom: 5 more.
    const perNode = fixed.cpu / 2n;
    assert.equal(elastic.cpu, 3n * perNode);
    assert.equal(elastic.headroom.cpu, 5n * perNode);
    assert.equal(fixed.headroom.cpu, 0n);
    assert.deepEqual(elastic.pools, ["ingest 2 + 1..6 autoscaled × ccx33"]);
  });

  it("prod's cost: fixed total, and a min–max range for the autoscaled ingest nodes", async () => {
    const p = await planStack("prod");
    const report = monthlyCost(p.resources);
    // ccx33 €60.49 + primary IPv4 €0.50 per autoscaled node, fsn1: €60.99 per node a month.
    assert.deepEqual(report.elastic, [
      {
        key: "elastic:prod-ingest",
        label: "prod-ingest: ccx33 @ fsn1",
        min: 1,
        max: 6,
        unitEur: 60.99,
        minEur: 60.99,
        maxEur: 365.94,
      },
    ]);
    assert.equal(report.range.minEur, Math.round((report.monthlyEur + 60.99) * 100) / 100);
    assert.equal(report.range.maxEur, Math.round((report.monthlyEur + 365.94) * 100) / 100);
    const staging = monthlyCost((await planStack("staging")).resources);
    assert.deepEqual(staging.elastic, []);
    assert.deepEqual(staging.range, { minEur: staging.monthlyEur, maxEur: staging.monthlyEur });
  });

  it("hands k3s taints to the autoscaler in its own form, and refuses a malformed one", () => {
    assert.deepEqual(parseTaint("platform.video/dedicated=ingest:NoSchedule"), {
      key: "platform.video/dedicated",
      value: "ingest",
      effect: "NoSchedule",
    });
    assert.deepEqual(parseTaint("node.kubernetes.io/spot:PreferNoSchedule"), {
      key: "node.kubernetes.io/spot",
      value: "",
      effect: "PreferNoSchedule",
    });
    assert.throws(() => parseTaint("dedicated=ingest"), /not a taint/);
    assert.throws(() => parseTaint("dedicated=ingest:Sometimes"), /not a taint/);
  });

  it("reads node groups only from a Hetzner cluster-autoscaler's flags", () => {
    const dep = (args: string[]) => ({ spec: { template: { spec: { containers: [{ args }] } } } });
    assert.deepEqual(autoscalerNodeGroups(dep(["--cloud-provider=hetzner", "--nodes=0:3:cx33:nbg1:s-burst"])), [
      { min: 0, max: 3, type: "cx33", location: "nbg1", id: "s-burst" },
    ]);
    assert.deepEqual(autoscalerNodeGroups(dep(["--cloud-provider=aws", "--nodes=0:3:cx33:nbg1:s-burst"])), []);
  });

  it("the PR diff shows the monthly range when a PR changes an autoscaled pool's bounds", async () => {
    const before = await planStack("prod");
    const after = await planWith({
      stack: "prod",
      stackConfig: withStackConfig("prod", (c) => (ingest2(c).autoscale = { min: 0, max: 10 })),
    });
    const d = diffPlans(before, after);
    assert.deepEqual(
      d.cost.after.elastic.map((l) => [l.min, l.max, l.maxEur]),
      [[0, 10, 609.9]],
    );
    assert.equal(d.cost.deltaEur, 0, "no fixed resource changed");
    const md = renderMarkdown(d, { baseRef: "main", baseCommit: "0".repeat(40) });
    assert.match(md, /with autoscaled pools €[\d,.]+–€[\d,.]+ → \*\*€[\d,.]+–€[\d,.]+\*\*\/month/);
    assert.match(md, /\| prod-ingest: ccx33 @ fsn1 \| 1–6 · €60\.99–€365\.94 \| 0–10 · €0\.00–€609\.90 \| \|/);
    const text = renderText(d, { baseRef: "main", baseCommit: "0".repeat(40) });
    assert.match(text, /with autoscaled pools \(min–max nodes\) €[\d,.]+–€[\d,.]+ → €[\d,.]+–€[\d,.]+/);
  });
});

function ingest2(c: Record<string, any>) {
  return c[`${P}:site`].workerPools.find((x: any) => x.name === "ingest");
}
