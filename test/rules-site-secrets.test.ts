/**
 * Pins, by hand-built inputs and exact expectations, the guardrails and site builders whose
 * mutants survived the mutation run (issue 18: a weakened rule must fail a test):
 *  - SEC-001 (components/rules/secrets.ts): what counts as "secret all the way", which table
 *    entries apply to which type, credential-named inputs at any depth, one report per path;
 *  - PROT-001 (components/rules/protect.ts): resources outside a tenant, stream keys only in one;
 *  - the policy pack adapter (policy/policies.ts): only the SDK's unknown-value error becomes
 *    "[unknown]", every other error propagates, one adaptation per resource list, empty stacks;
 *  - the k3s config builders (components/site/k3s.ts): the exact config.yaml keys and text;
 *  - the CIDR arithmetic (components/config/cidr.ts): unparseable admin ranges are skipped;
 *  - SITE-FW-002's message and the site firewall's rules (components/rules/site.ts, site/firewall.ts).
 * Everything runs inside `it` bodies on literal inputs: no plan, milliseconds per test.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { strict as assert } from "node:assert";
import { adminSpanProblem, coveredAddresses, parseCidr, Cidr } from "../components/config/cidr";
import { PROTECT_RULES } from "../components/rules/protect";
import { SECRET_RULES } from "../components/rules/secrets";
import { SITE_RULES } from "../components/rules/site";
import { RuleResource, SiteContext } from "../components/rules/types";
import { firewallRules } from "../components/site/firewall";
import { ClusterSettings, k3sConfig, k3sConfigFile, NodeSecrets, NodeSpec, sysctlFile } from "../components/site/k3s";
import { guardrailPolicies, plainProps, toRuleResource } from "../policy/policies";
import { validateStack } from "./helpers/policy";

const STACK = "urn:pulumi:prod::video-platform";

function res(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: { parent?: string | null; protect?: boolean; dependsOn?: string[] } = {},
): RuleResource {
  return {
    urn: `${STACK}::${type}::${name}`,
    type,
    name,
    parent: extra.parent === undefined ? `${STACK}::pulumi:pulumi:Stack::video-platform-prod` : extra.parent,
    inputs,
    options: { protect: extra.protect ?? false, ...(extra.dependsOn ? { dependsOn: extra.dependsOn } : {}) },
  };
}

const ctx = (over: Partial<SiteContext> = {}): SiteContext => ({
  stack: "prod",
  protected: true,
  adminCidrs: ["203.0.113.10/32"],
  blockedRanges: [],
  datastore: { quotaBytes: 8589934592, serverType: "cx43" },
  ...over,
});

const sec001 = (resources: RuleResource[]) => SECRET_RULES[0].check(resources, ctx());

describe("SEC-001 credentials are secrets in state (components/rules/secrets.ts)", () => {
  it("accepts a Secret whose data is the secret marker and whose stringData is unknown", () => {
    const r = res("kubernetes:core/v1:Secret", "s", { data: "[secret]", stringData: "[unknown]" });
    assert.deepEqual(sec001([r]), []);
  });

  it("accepts a Secret whose data holds only secret, unknown and null values, and refuses one clear value among them", () => {
    const ok = res("kubernetes:core/v1:Secret", "s", { data: { a: "[secret]", b: "[unknown]", c: null } });
    assert.deepEqual(sec001([ok]), []);
    const bad = res("kubernetes:core/v1:Secret", "s", { data: { a: "[secret]", b: "aGVsbG8=" } });
    assert.deepEqual(sec001([bad]), [
      { rule: "SEC-001", urn: bad.urn, message: "data (a Kubernetes Secret's contents) is in clear" },
    ]);
  });

  it("refuses an array of credentials with one clear element, and accepts it when every element is secret", () => {
    const bad = res("pulumi-nodejs:dynamic:Resource", "gate", { credentials: ["[secret]", "-----BEGIN KEY-----"] });
    assert.deepEqual(sec001([bad]), [
      {
        rule: "SEC-001",
        urn: bad.urn,
        message: "credentials (the readiness gate's client credentials) is in clear",
      },
    ]);
    const ok = res("pulumi-nodejs:dynamic:Resource", "gate", { credentials: ["[secret]", "[secret]"] });
    assert.deepEqual(sec001([ok]), []);
  });

  it("applies a table entry only to its own type: a ConfigMap's clear data is not a Secret's", () => {
    const cm = res("kubernetes:core/v1:ConfigMap", "cm", { data: { "app.yaml": "listen: 8080" } });
    assert.deepEqual(sec001([cm]), []);
  });

  it("reports a credential-named input inside an array by its indexed path", () => {
    const r = res("kubernetes:core/v1:ConfigMap", "users", {
      users: [
        { name: "a", password: "[secret]" },
        { name: "b", password: "hunter2" },
      ],
    });
    assert.deepEqual(sec001([r]), [
      { rule: "SEC-001", urn: r.urn, message: "users[1].password looks like a credential and is in clear" },
    ]);
  });

  it("reports a credential-named input nested in objects by its dotted path", () => {
    const r = res("kubernetes:apps/v1:Deployment", "app", { spec: { auth: { apiToken: "abc123" } } });
    assert.deepEqual(sec001([r]), [
      { rule: "SEC-001", urn: r.urn, message: "spec.auth.apiToken looks like a credential and is in clear" },
    ]);
  });

  it("reports a top-level credential-named input by its bare name", () => {
    const r = res("command:remote:Command", "cmd", { password: "hunter2" });
    assert.deepEqual(sec001([r]), [
      { rule: "SEC-001", urn: r.urn, message: "password looks like a credential and is in clear" },
    ]);
  });

  it("looks inside a credential-named object instead of flagging it whole", () => {
    const ok = res("command:remote:Command", "cmd", { credentials: { user: "alice", host: "example.org" } });
    assert.deepEqual(sec001([ok]), []);
    const bad = res("command:remote:Command", "cmd", { credentials: { user: "alice", password: "pw" } });
    assert.deepEqual(sec001([bad]), [
      { rule: "SEC-001", urn: bad.urn, message: "credentials.password looks like a credential and is in clear" },
    ]);
  });

  it("accepts an empty credential-named string (nothing to leak)", () => {
    const r = res("command:remote:Command", "cmd", { password: "" });
    assert.deepEqual(sec001([r]), []);
  });

  it("reports a table input that is also credential-named once, by the table's message", () => {
    const r = res("pulumi:providers:hcloud", "hcloud", { token: "clear-hcloud-token" });
    assert.deepEqual(sec001([r]), [
      { rule: "SEC-001", urn: r.urn, message: "token (the Hetzner API token) is in clear" },
    ]);
  });
});

describe("PROT-001 stateful resources are protected on protected stacks (components/rules/protect.ts)", () => {
  const TENANT = "urn:pulumi:prod::video-platform::platform:tenant:Tenant::acme";
  const EDGE = "urn:pulumi:prod::video-platform::platform:edge:Edge::edge";
  const prot001 = (resources: RuleResource[]) => PROTECT_RULES[0].check(resources, ctx());

  it("refuses an unprotected server without a parent, naming its type, name and the stack", () => {
    const r = res("hcloud:index/server:Server", "cp-1", {}, { parent: null });
    assert.deepEqual(prot001([r]), [
      { rule: "PROT-001", urn: r.urn, message: "Server cp-1 is not protected on protected stack prod" },
    ]);
    assert.deepEqual(prot001([res("hcloud:index/server:Server", "cp-1", {}, { parent: null, protect: true })]), []);
  });

  it("requires stream keys protected inside a tenant only, not random bytes elsewhere", () => {
    const outside = res("random:index/randomBytes:RandomBytes", "edge-seed", {}, { parent: EDGE });
    assert.deepEqual(prot001([outside]), []);
    const inside = res("random:index/randomBytes:RandomBytes", "acme-stream-key", {}, { parent: TENANT });
    assert.deepEqual(prot001([inside]), [
      {
        rule: "PROT-001",
        urn: inside.urn,
        message: "RandomBytes acme-stream-key is not protected on protected stack prod",
      },
    ]);
  });
});

/** A hand-built PolicyResource: the fields toRuleResource reads. */
function policyResource(urn: string, props: unknown, extra: Record<string, unknown> = {}): PolicyResource {
  return {
    urn,
    type: urn.split("::")[2],
    name: urn.split("::")[3],
    props,
    opts: { protect: false },
    dependencies: [],
    ...extra,
  } as unknown as PolicyResource;
}

/** An object whose property `k` throws `err` when read (as the SDK's proxy does for unknowns). */
function throwingProps(k: string, err: unknown, rest: Record<string, unknown> = {}): Record<string, unknown> {
  const o: Record<string, unknown> = { ...rest };
  Object.defineProperty(o, k, {
    enumerable: true,
    get() {
      throw err;
    },
  });
  return o;
}

describe("the policy pack adapter (policy/policies.ts)", () => {
  it("plainProps copies plain values unchanged, nested and at the top", () => {
    assert.deepEqual(plainProps({ a: "abc", n: 5, z: null, l: [1, "x", { b: true }] }), {
      a: "abc",
      n: 5,
      z: null,
      l: [1, "x", { b: true }],
    });
    assert.equal(plainProps("abc"), "abc");
    assert.equal(plainProps(5), 5);
    assert.equal(plainProps(null), null);
  });

  it("plainProps maps an Error named UnknownValueError to [unknown]", () => {
    const err = new Error("unknown during preview");
    err.name = "UnknownValueError";
    assert.deepEqual(plainProps(throwingProps("ip", err, { name: "cp-1" })), { name: "cp-1", ip: "[unknown]" });
  });

  it("plainProps maps an error of class UnknownValueError to [unknown]", () => {
    class UnknownValueError extends Error {}
    assert.deepEqual(plainProps(throwingProps("ip", new UnknownValueError("x"))), { ip: "[unknown]" });
  });

  it("plainProps lets any other Error propagate instead of hiding it as unknown", () => {
    const boom = new Error("boom");
    assert.throws(
      () => plainProps(throwingProps("ip", boom)),
      (e: unknown) => e === boom,
    );
  });

  it("plainProps lets a thrown non-Error named UnknownValueError propagate", () => {
    const thrown = { name: "UnknownValueError" };
    assert.throws(
      () => plainProps(throwingProps("ip", thrown)),
      (e: unknown) => e === thrown,
    );
  });

  it("toRuleResource takes the parent resource's urn when opts names none, the provider's urn and the dependencies", () => {
    const urn = "urn:pulumi:staging::video-platform::hcloud:index/server:Server::cp-1";
    const dep = policyResource("urn:pulumi:staging::video-platform::hcloud:index/firewall:Firewall::fw", {});
    const r = policyResource(
      urn,
      { firewallIds: [1] },
      {
        parent: { urn: "urn:pulumi:staging::video-platform::platform:site:Site::site" },
        provider: { urn: "urn:pulumi:staging::video-platform::pulumi:providers:hcloud::hcloud" },
        dependencies: [dep],
      },
    );
    assert.deepEqual(toRuleResource(r), {
      urn,
      type: "hcloud:index/server:Server",
      name: "cp-1",
      parent: "urn:pulumi:staging::video-platform::platform:site:Site::site",
      inputs: { firewallIds: [1] },
      options: {
        protect: false,
        provider: "urn:pulumi:staging::video-platform::pulumi:providers:hcloud::hcloud",
        dependsOn: ["urn:pulumi:staging::video-platform::hcloud:index/firewall:Firewall::fw"],
      },
    });
  });

  const validateAll = async (policies: StackValidationPolicy[], resources: PolicyResource[]) =>
    (await Promise.all(policies.map((p) => validateStack(p, resources)))).flat();

  it("an empty stack reports nothing and asks for no site context", async () => {
    const asked: string[] = [];
    const policies = guardrailPolicies((stack) => {
      asked.push(stack);
      return ctx({ stack });
    });
    assert.deepEqual(await validateAll(policies, []), []);
    assert.deepEqual(asked, []);
  });

  it("adapts one resource list once for all the policies of a run", async () => {
    let reads = 0;
    const props: Record<string, unknown> = {};
    Object.defineProperty(props, "length", {
      enumerable: true,
      get() {
        reads++;
        return 8;
      },
    });
    const asked: string[] = [];
    const policies = guardrailPolicies((stack) => {
      asked.push(stack);
      return ctx({ stack, protected: false });
    });
    assert.ok(policies.length > 1);
    const resources = [
      policyResource("urn:pulumi:staging::video-platform::random:index/randomPet:RandomPet::pet", props),
    ];
    await validateAll(policies, resources);
    assert.equal(reads, 1);
    assert.deepEqual(
      asked,
      policies.map(() => "staging"),
    );
  });
});

const cluster = (over: Partial<ClusterSettings["etcdSnapshots"]> = {}): ClusterSettings => ({
  stack: "prod",
  k3sVersion: "v1.37.2+k3s1",
  clusterCidr: "10.42.0.0/16",
  serviceCidr: "10.43.0.0/16",
  networkCidr: "10.0.0.0/16",
  controlPlaneRange: "10.0.1.0/28",
  joinUrl: "https://10.0.1.2:6443",
  ha: true,
  etcdSnapshots: {
    schedule: "0 */6 * * *",
    retention: 28,
    bucket: "etcd-backups",
    endpoint: "fsn1.your-objectstorage.com",
    region: "fsn1",
    ...over,
  },
  etcdQuotaBytes: 4294967296,
  sshAuthorizedKeys: ["ssh-ed25519 AAAA admin"],
});

const secrets: NodeSecrets = {
  token: "server-token-value",
  agentToken: "agent-token-value",
  etcdS3AccessKey: "s3-access-value",
  etcdS3SecretKey: "s3-secret-value",
};

const server: NodeSpec = {
  key: "cp-2",
  name: "prod-cp-2",
  role: "server",
  init: false,
  index: 2,
  privateIp: "10.0.1.3",
  nodeLabels: {},
  nodeTaints: ["node-role.kubernetes.io/control-plane:NoSchedule"],
};

const agent: NodeSpec = {
  key: "video-1",
  name: "prod-video-1",
  role: "agent",
  init: false,
  pool: "video",
  index: 1,
  privateIp: "10.0.16.2",
  // Deliberately out of order: the config lists them sorted.
  nodeLabels: {
    "platform.video/pool": "video",
    "node.kubernetes.io/gpu": "none",
    "topology.kubernetes.io/zone": "fsn1",
  },
  nodeTaints: [],
};

describe("k3s config builders (components/site/k3s.ts)", () => {
  it("sysctlFile is the CIS comment line and one key=value line per kernel parameter, newline-terminated", () => {
    assert.equal(
      sysctlFile(),
      "# kubelet --protect-kernel-defaults refuses to start unless these match (k3s CIS hardening guide).\n" +
        "vm.panic_on_oom=0\n" +
        "vm.overcommit_memory=1\n" +
        "kernel.panic=10\n" +
        "kernel.panic_on_oops=1\n" +
        "kernel.keys.root_maxkeys=1000000\n" +
        "kernel.keys.root_maxbytes=25000000\n",
    );
  });

  it("an agent joins with the agent token and carries its labels sorted by key", () => {
    assert.deepEqual(k3sConfig(cluster(), agent, secrets, []), {
      server: "https://10.0.1.2:6443",
      token: "agent-token-value",
      "kubelet-arg": [
        "cloud-provider=external",
        "streaming-connection-idle-timeout=5m",
        "make-iptables-util-chains=true",
        "pod-max-pids=4096",
        "image-gc-high-threshold=80",
        "image-gc-low-threshold=70",
        "eviction-hard=memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%,pid.available<10%",
      ],
      "kube-proxy-arg": ["nodeport-addresses=10.0.0.0/16"],
      "protect-kernel-defaults": true,
      "node-label": ["node.kubernetes.io/gpu=none", "platform.video/pool=video", "topology.kubernetes.io/zone=fsn1"],
    });
  });

  it("node labels come out sorted whatever order they were given in", () => {
    const labels = (nodeLabels: Record<string, string>) =>
      k3sConfig(cluster(), { ...agent, nodeLabels }, secrets, [])["node-label"];
    assert.deepEqual(labels({ c: "3", b: "2", a: "1" }), ["a=1", "b=2", "c=3"]);
    assert.deepEqual(labels({ b: "2", c: "3", a: "1" }), ["a=1", "b=2", "c=3"]);
    assert.deepEqual(labels({ a: "1", c: "3", b: "2" }), ["a=1", "b=2", "c=3"]);
    assert.deepEqual(labels({ d: "4", a: "1", c: "3", b: "2", e: "5" }), ["a=1", "b=2", "c=3", "d=4", "e=5"]);
  });

  it("a joining server's config has every flag, the S3 folder when one is set, and no node-label when it has none", () => {
    assert.deepEqual(k3sConfig(cluster({ folder: "prod" }), server, secrets, ["192.0.2.10", "10.0.1.254"]), {
      server: "https://10.0.1.2:6443",
      token: "server-token-value",
      "agent-token": "agent-token-value",
      "node-name": "prod-cp-2",
      "node-ip": "10.0.1.3",
      "kubelet-arg": [
        "cloud-provider=external",
        "streaming-connection-idle-timeout=5m",
        "make-iptables-util-chains=true",
        "pod-max-pids=4096",
        "image-gc-high-threshold=80",
        "image-gc-low-threshold=70",
        "eviction-hard=memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%,pid.available<10%",
      ],
      "kube-proxy-arg": ["nodeport-addresses=10.0.0.0/16"],
      "protect-kernel-defaults": true,
      "node-taint": ["node-role.kubernetes.io/control-plane:NoSchedule"],
      "advertise-address": "10.0.1.3",
      "tls-san": ["192.0.2.10", "10.0.1.254"],
      "cluster-cidr": "10.42.0.0/16",
      "service-cidr": "10.43.0.0/16",
      "write-kubeconfig-mode": "0600",
      "disable-cloud-controller": true,
      disable: ["servicelb", "traefik", "local-storage"],
      "secrets-encryption": true,
      "kube-apiserver-arg": [
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
      ],
      "kube-controller-manager-arg": ["terminated-pod-gc-threshold=10", "use-service-account-credentials=true"],
      "etcd-arg": ["quota-backend-bytes=4294967296"],
      "etcd-snapshot-schedule-cron": "0 */6 * * *",
      "etcd-snapshot-retention": 28,
      "etcd-snapshot-compress": true,
      "etcd-s3": true,
      "etcd-s3-endpoint": "fsn1.your-objectstorage.com",
      "etcd-s3-region": "fsn1",
      "etcd-s3-bucket": "etcd-backups",
      "etcd-s3-folder": "prod",
      "etcd-s3-access-key": "s3-access-value",
      "etcd-s3-secret-key": "s3-secret-value",
    });
    assert.equal("etcd-s3-folder" in k3sConfig(cluster(), server, secrets, []), false);
  });

  it("the agent config file names its pool in the header", () => {
    assert.equal(
      k3sConfigFile(cluster(), { ...agent, nodeLabels: { "platform.video/pool": "video" } }, secrets, []),
      "# Rendered by video-platform (components/site/k3s.ts) for every agent of pool video. Changing it on a live\n" +
        "# node is the k3s upgrade runbook's job, not a server replacement.\n" +
        "server: https://10.0.1.2:6443\n" +
        "token: agent-token-value\n" +
        "kubelet-arg:\n" +
        "  - cloud-provider=external\n" +
        "  - streaming-connection-idle-timeout=5m\n" +
        "  - make-iptables-util-chains=true\n" +
        "  - pod-max-pids=4096\n" +
        "  - image-gc-high-threshold=80\n" +
        "  - image-gc-low-threshold=70\n" +
        "  - eviction-hard=memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%,pid.available<10%\n" +
        "kube-proxy-arg:\n" +
        "  - nodeport-addresses=10.0.0.0/16\n" +
        "protect-kernel-defaults: true\n" +
        "node-label:\n" +
        "  - platform.video/pool=video\n",
    );
  });

  it("the server config file names the server in the header and never folds a long value", () => {
    // A valid five-field cron longer than YAML's default 80 columns: the file keeps it on its
    // key's line (lineWidth: 0) instead of folding it onto a continuation line.
    const schedule =
      "0,10,20,30,40,50 0,2,4,6,8,10,12,14,16,18,20,22 1,8,15,22,29 1,2,3,4,5,6,7,8,9,10,11,12 1,2,3,4,5";
    const text = k3sConfigFile(cluster({ schedule }), server, secrets, []);
    const lines = text.split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      "# Rendered by video-platform (components/site/k3s.ts) for prod-cp-2. Changing it on a live",
      "# node is the k3s upgrade runbook's job, not a server replacement.",
    ]);
    assert.ok(lines.includes(`etcd-snapshot-schedule-cron: ${schedule}`), text);
  });
});

describe("CIDR arithmetic (components/config/cidr.ts)", () => {
  it("adminSpanProblem skips an unparseable entry and judges the rest", () => {
    assert.equal(adminSpanProblem(["not-a-cidr", "203.0.113.10/32"]), undefined);
    assert.equal(
      adminSpanProblem(["not-a-cidr", "0.0.0.0/0"]),
      "covers the whole IPv4 internet: SSH and the Kubernetes API are only for admins; name your office/VPN ranges (at most a /8 of IPv4 and a /32 of IPv6 in total)",
    );
  });

  it("coveredAddresses counts overlapping ranges once whatever their order", () => {
    const parsed = (xs: string[]) => xs.map((x) => parseCidr(x) as Cidr);
    assert.deepEqual(coveredAddresses(parsed(["10.0.1.0/24", "10.0.0.0/16"])), { 4: 65536n, 6: 0n });
    assert.deepEqual(coveredAddresses(parsed(["10.0.0.0/24", "10.0.0.0/16", "10.0.0.0/24"])), { 4: 65536n, 6: 0n });
    assert.deepEqual(coveredAddresses(parsed(["10.2.0.0/16", "10.0.0.0/16", "10.1.0.0/16", "10.0.0.0/15"])), {
      4: 196608n,
      6: 0n,
    });
  });
});

describe("site exposure rules and the site firewall (components/rules/site.ts, components/site/firewall.ts)", () => {
  it("SITE-FW-002 names every stranger, comma-separated, and the admin ports they reach", () => {
    const fw = res("hcloud:index/firewall:Firewall", "fw", {
      rules: [
        {
          direction: "in",
          protocol: "tcp",
          port: "22",
          sourceIps: ["203.0.113.10/32", "198.51.100.0/24", "192.0.2.0/24"],
        },
      ],
    });
    assert.deepEqual(SITE_RULES[1].check([fw], ctx()), [
      {
        rule: "SITE-FW-002",
        urn: fw.urn,
        message:
          "rules[0] (tcp 22) lets 198.51.100.0/24, 192.0.2.0/24 reach port 22; only adminCidrs [203.0.113.10/32] may",
      },
    ]);
  });

  it("SITE-FW-002 treats a rule without a port, or with port any, as covering SSH and the API", () => {
    const fw = res("hcloud:index/firewall:Firewall", "fw", {
      rules: [
        { direction: "in", protocol: "tcp", sourceIps: ["198.51.100.0/24"] },
        { direction: "in", protocol: "tcp", port: "any", sourceIps: ["198.51.100.0/24"] },
        { direction: "in", protocol: "tcp", port: "8080", sourceIps: ["198.51.100.0/24"] },
      ],
    });
    assert.deepEqual(SITE_RULES[1].check([fw], ctx()), [
      {
        rule: "SITE-FW-002",
        urn: fw.urn,
        message:
          "rules[0] (tcp any) lets 198.51.100.0/24 reach port 22 and 6443; only adminCidrs [203.0.113.10/32] may",
      },
      {
        rule: "SITE-FW-002",
        urn: fw.urn,
        message:
          "rules[1] (tcp any) lets 198.51.100.0/24 reach port 22 and 6443; only adminCidrs [203.0.113.10/32] may",
      },
    ]);
  });

  it("SITE-FW-003 refuses a server listing firewall ids but depending on no firewall", () => {
    const fw = res("hcloud:index/firewall:Firewall", "fw", { rules: [] });
    const s = res("hcloud:index/server:Server", "cp-1", { firewallIds: [1] });
    assert.deepEqual(SITE_RULES[2].check([fw, s], ctx()), [
      {
        rule: "SITE-FW-003",
        urn: s.urn,
        message: "server cp-1 is not attached to a firewall of this stack: every port would be open",
      },
    ]);
  });

  it("SITE-LB-001 does not count a network attachment that depends on nothing", () => {
    const lb = res("hcloud:index/loadBalancer:LoadBalancer", "api", { labels: {} });
    const a = res("hcloud:index/loadBalancerNetwork:LoadBalancerNetwork", "api-net", { enablePublicInterface: false });
    assert.deepEqual(SITE_RULES[3].check([lb, a], ctx()), [
      {
        rule: "SITE-LB-001",
        urn: lb.urn,
        message:
          "load balancer api has no private network attachment, so only its public interface serves: anyone on the internet reaches it",
      },
    ]);
  });

  it("firewallRules opens SSH and the API to the admins, HTTP and HTTPS to the world, each described", () => {
    assert.deepEqual(firewallRules(["203.0.113.10/32"]), [
      { direction: "in", protocol: "tcp", port: "22", sourceIps: ["203.0.113.10/32"], description: "SSH from admins" },
      {
        direction: "in",
        protocol: "tcp",
        port: "6443",
        sourceIps: ["203.0.113.10/32"],
        description: "Kubernetes API from admins",
      },
      {
        direction: "in",
        protocol: "tcp",
        port: "80",
        sourceIps: ["0.0.0.0/0", "::/0"],
        description: "HTTP (ACME, redirects)",
      },
      { direction: "in", protocol: "tcp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"], description: "HTTPS" },
    ]);
  });
});
