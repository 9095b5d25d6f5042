/**
 * components/outputs: the stack outputs contract runbooks read. Pins every output's name and shape
 * (exact key sets and value types) for both stacks over the offline plan, the only two secrets,
 * the values against the resources they describe, and the README table.
 */
import { strict as assert } from "node:assert";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { byName, input, ofType, Plan, planStack, readStackConfig, repoRoot, SECRET } from "./helpers/harness";
import { contract, CONTROL_PLANE, OUTPUT_NAMES, shapeOf, STR } from "./helpers/outputs-contract";

/** Every path in a JSON value whose value is exactly the secret marker. */
function secretPaths(v: unknown, at = ""): string[] {
  if (v === SECRET) return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => secretPaths(x, `${at}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => secretPaths(x, at ? `${at}.${k}` : k));
  return [];
}

const tenantNames = () =>
  readdirSync(join(repoRoot, "tenants"))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.replace(/\.yaml$/, ""))
    .sort();

// ---------------------------------------------------------------------------------------------

for (const stack of ["staging", "prod"]) {
  describe(`outputs: the ${stack} contract`, () => {
    let p: Plan;
    let out: Record<string, any>;
    before(async () => {
      p = await planStack(stack);
      out = p.outputs as Record<string, any>;
    });

    it("has exactly the pinned names, and each value the pinned shape", () => {
      const site = (readStackConfig(stack)["video-platform:site"] ?? {}) as {
        controlPlane: { count: number };
        workerPools: { count: number }[];
      };
      const workers = site.workerPools.reduce((n, x) => n + x.count, 0);
      const expected = contract(site.controlPlane.count > 1, tenantNames());
      assert.deepEqual(Object.keys(out).sort(), Object.keys(expected).sort(), "output names");
      for (const [name, shape] of Object.entries(expected))
        assert.deepEqual(shapeOf(out[name], shape), shape, `shape of ${name}`);
      assert.equal(out.controlPlanes.length, site.controlPlane.count, "one entry per control plane");
      assert.equal(out.workers.length, workers, "one entry per worker");
    });

    it("holds exactly two secrets, kubeconfig and argocdAdminPassword; no stream key anywhere", () => {
      assert.deepEqual(secretPaths(out).sort(), ["argocdAdminPassword", "kubeconfig"]);
      const text = JSON.stringify(out);
      assert.ok(!/stream.?key/i.test(text), "no stream key (or its name) in outputs");
      for (const r of ofType(p, "random:index/randomBytes:RandomBytes"))
        assert.ok(!Object.values(out.tenants).some((t) => JSON.stringify(t).includes(r.name)), r.name);
    });

    it("describes the resources as planned: nodes, load balancers, snapshots, location", () => {
      const cfg = readStackConfig(stack) as Record<string, any>;
      const site = cfg["video-platform:site"];
      const k3s = cfg["video-platform:k3s"];
      assert.equal(out.outputsVersion, 2);
      // Autoscaled pools with their bounds, as configured (prod: ingest 2 fixed + 1..6 elastic).
      assert.deepEqual(
        out.autoscaledPools,
        stack === "prod"
          ? [
              {
                pool: "ingest",
                nodeGroup: "prod-ingest",
                serverType: "ccx33",
                location: "fsn1",
                min: 1,
                max: 6,
                fixed: 2,
                placementGroup: "prod-ingest-autoscaled",
              },
            ]
          : [],
      );
      assert.equal(out.location, site.location);
      assert.equal(out.networkZone, input(byName(p, "site-subnet"), "networkZone"));
      assert.equal(out.k3sVersion, k3s.version);
      assert.equal(out.apiEndpoint, `https://${out.controlPlanes[0].publicIpv4}:6443`, "kubeconfig target: cp-1");

      const servers = ofType(p, "hcloud:index/server:Server");
      const cpServers = servers.filter(
        (s) => (input(s, "labels") as Record<string, string>)["platform.video/role"] === "control-plane",
      );
      assert.equal(out.controlPlanes.length, site.controlPlane.count);
      assert.deepEqual(
        out.controlPlanes.map((n: any) => [n.name, n.privateIpv4]),
        cpServers
          .map((s) => [input(s, "name"), (input(s, "networks") as { ip: string }[])[0].ip])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]), "en", { numeric: true })),
        "control planes in index order with their planned private addresses",
      );
      const workerServers = servers.filter((s) => !cpServers.includes(s));
      const expectWorkers = workerServers
        .map((s) => ({
          name: input(s, "name") as string,
          pool: (input(s, "labels") as Record<string, string>)["platform.video/pool"],
          ip: (input(s, "networks") as { ip: string }[])[0].ip,
        }))
        .sort((a, b) =>
          a.pool !== b.pool ? (a.pool < b.pool ? -1 : 1) : a.name.localeCompare(b.name, "en", { numeric: true }),
        );
      assert.deepEqual(
        out.workers.map((w: any) => ({ name: w.name, pool: w.pool, ip: w.privateIpv4 })),
        expectWorkers,
        "workers by pool, then index",
      );
      for (const n of [...out.controlPlanes, ...out.workers]) {
        assert.match(n.publicIpv4, /^\d+\.\d+\.\d+\.\d+$/, n.name);
        assert.match(n.publicIpv6, /^[0-9a-f:]+$/, n.name);
      }
      assert.equal(new Set([...out.controlPlanes, ...out.workers].map((n) => n.publicIpv4)).size, servers.length);

      const ingressLb = byName(p, "platform-ingress-lb");
      assert.deepEqual(
        { name: out.loadBalancers.ingress.name, privateIpv4: out.loadBalancers.ingress.privateIpv4 },
        { name: input(ingressLb, "name"), privateIpv4: input(byName(p, "platform-ingress-lb-net"), "ip") },
      );
      assert.equal(out.ingressAddress, out.loadBalancers.ingress.publicIpv4, "DNS points at the ingress LB's IPv4");
      if (site.controlPlane.count > 1) {
        assert.deepEqual(out.loadBalancers.api, {
          name: input(byName(p, "site-api-lb"), "name"),
          privateIpv4: input(byName(p, "site-api-lb-net"), "ip"),
        });
      } else {
        assert.equal(out.loadBalancers.api, null, "no API load balancer on a single control plane");
        assert.equal(ofType(p, "hcloud:index/loadBalancer:LoadBalancer").length, 1, "only the ingress LB exists");
      }
      assert.deepEqual(out.etcdSnapshots, {
        bucket: k3s.etcdSnapshots.bucket,
        endpoint: k3s.etcdSnapshots.endpoint,
        region: k3s.etcdSnapshots.region,
        folder: k3s.etcdSnapshots.folder ?? null,
      });
      assert.equal(out.argocdUrl, `https://argocd.${cfg["video-platform:platform"].baseDomain}`);
    });

    it("maps every tenant by name to its namespace, tier, quota, domains and Argo CD names", () => {
      assert.deepEqual(Object.keys(out.tenants), tenantNames(), "one entry per tenant file, sorted");
      const hosts = new Set<string>();
      for (const [name, t] of Object.entries<any>(out.tenants)) {
        const quota = byName(p, `${name}-quota`);
        const hard = input(quota, "spec.hard") as Record<string, string>;
        assert.equal(t.namespace, input(byName(p, `${name}-ns`), "metadata.name"));
        assert.equal(t.namespace, input(quota, "metadata.namespace"));
        assert.equal(hard["requests.cpu"], t.quota.cpu);
        assert.equal(hard["requests.memory"], t.quota.memory);
        assert.equal(hard["requests.storage"], t.quota.storage);
        assert.equal(hard["limits.cpu"], t.quota.limitsCpu);
        assert.equal(hard["limits.memory"], t.quota.limitsMemory);
        assert.equal(hard.pods, String(t.quota.pods));
        assert.equal(hard.services, String(t.quota.services));
        assert.equal(hard.persistentvolumeclaims, String(t.quota.persistentVolumeClaims));
        assert.equal(t.argocdProject, input(byName(p, `${name}-project`), "metadata.name"));
        assert.equal(t.argocdApplication, input(byName(p, `${name}-app`), "metadata.name"));
        assert.equal(input(byName(p, `${name}-app`), "spec.project"), t.argocdProject);
        const labels = input(byName(p, `${name}-ns`), "metadata.labels") as Record<string, string>;
        assert.equal(t.tier, labels["platform.video/tier"]);
        assert.equal(t.decommission, labels["platform.video/decommission"] === "true");
        assert.equal(byName(p, `${name}-ns`).options.protect, stack === "prod" && !t.decommission);
        for (const d of t.domains) hosts.add(d);
      }
      const base = (readStackConfig(stack)["video-platform:platform"] as { baseDomain: string }).baseDomain;
      assert.equal(out.ingressHostname, `ingress.${base}`);
      assert.equal(
        out.ingressHostname,
        (
          input(byName(p, "platform-edge-proxy"), "spec.provider.kubernetes.envoyService.annotations") as Record<
            string,
            string
          >
        )["load-balancer.hetzner.cloud/hostname"],
        "the host name the edge's Envoy Service publishes",
      );
      assert.deepEqual(
        out.ingressHosts,
        [...hosts, `ingress.${base}`, `argocd.${base}`].sort(),
        "every DNS name, once",
      );
    });
  });
}

describe("outputs: declared without resources", () => {
  it("the outputs module loads no Pulumi package at run time, so it cannot declare a resource or apply", () => {
    const js = readFileSync(join(repoRoot, "build/components/outputs/index.js"), "utf8");
    const required = [...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).sort();
    assert.deepEqual(required, ["../site/catalog"], "only the location → network zone table");
    assert.ok(!/\.apply\(/.test(js), "no apply");
  });
});

describe("outputs: docs/outputs.md documents the contract", () => {
  it('lists exactly the pinned names in its "Stack outputs" table, secrets marked', () => {
    const section = readFileSync(join(repoRoot, "docs", "outputs.md"), "utf8");
    assert.match(section, /^# Stack outputs$/m, 'docs/outputs.md is the "Stack outputs" guide');
    const rows = section.split("\n").filter((l) => /^\| `[A-Za-z][A-Za-z0-9]*` /.test(l));
    const names = rows.map((l) => /^\| `([A-Za-z][A-Za-z0-9]*)`/.exec(l)![1]);
    assert.deepEqual([...names].sort(), OUTPUT_NAMES);
    const secretRows = rows
      .filter((l) => /secret/i.test(l.split("|")[2] ?? ""))
      .map((l) => /`([A-Za-z][A-Za-z0-9]*)`/.exec(l)![1]);
    assert.deepEqual(secretRows.sort(), ["argocdAdminPassword", "kubeconfig"], "the type column marks the secrets");
  });
});

describe("outputs: the shape check itself", () => {
  it("fails on a renamed key, a wrong type, a missing secret marker and a null where an object belongs", () => {
    const good = {
      name: "x",
      role: "control-plane",
      publicIpv4: "1.2.3.4",
      publicIpv6: "::1",
      privateIpv4: "10.0.0.1",
    };
    assert.deepEqual(shapeOf(good, CONTROL_PLANE), CONTROL_PLANE);
    assert.notDeepEqual(shapeOf({ ...good, role: "worker" }, CONTROL_PLANE), CONTROL_PLANE);
    const { privateIpv4, ...renamed } = good;
    assert.notDeepEqual(shapeOf({ ...renamed, privateIp: privateIpv4 }, CONTROL_PLANE), CONTROL_PLANE);
    assert.notDeepEqual(shapeOf({ ...good, publicIpv4: 4 }, CONTROL_PLANE), CONTROL_PLANE);
    assert.notDeepEqual(shapeOf("plain-text-kubeconfig", SECRET), SECRET);
    assert.notDeepEqual(shapeOf(null, { name: STR }), { name: STR });
    assert.notDeepEqual(shapeOf([], "string[]"), "string[]");
  });
});
