/**
 * The readiness gate's polling logic against a real HTTPS server on 127.0.0.1 with throwaway CAs
 * made by the openssl CLI. The clock and sleep are injected (no test waits in real time); the
 * requests, TLS verification and client certificates are real.
 */
import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:https";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { gateProvider, ReadyzDeps, waitForReadyz } from "../components/platform/gate";
import { kubeconfigCredentials } from "../components/platform/provider";
import { renderKubeconfig } from "../components/site/kubeconfig";
import { needTool } from "./helpers/tools";

interface Pki {
  dir: string;
  caA: string;
  caB: string;
  serverKey: string;
  serverCert: string;
  wrongNameKey: string;
  wrongNameCert: string;
  clientKey: string;
  clientCert: string;
}

/** A throwaway PKI: cluster CA "A" (server + client certs), an unrelated CA "B". */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "vp-gate-"));
  const ossl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  for (const ca of ["caA", "caB"])
    ossl("req", "-x509", ...ec, "-keyout", `${ca}.key`, "-out", `${ca}.crt`, "-days", "2", "-subj", `/CN=test-${ca}`);
  const leaf = (name: string, subj: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ossl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subj);
    ossl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "caA.crt",
      "-CAkey",
      "caA.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  leaf("server", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  leaf("wrongname", "/CN=kube-apiserver", "subjectAltName=DNS:elsewhere.invalid\nextendedKeyUsage=serverAuth\n");
  leaf("client", "/O=system:masters/CN=admin", "extendedKeyUsage=clientAuth\n");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    caA: read("caA.crt"),
    caB: read("caB.crt"),
    serverKey: read("server.key"),
    serverCert: read("server.crt"),
    wrongNameKey: read("wrongname.key"),
    wrongNameCert: read("wrongname.crt"),
    clientKey: read("client.key"),
    clientCert: read("client.crt"),
  };
}

interface Seen {
  path: string;
  clientCn: string | undefined;
  authorization: string | undefined;
}

/** A fake API server: answers /readyz from a script of statuses (the last one repeats). */
async function apiServer(
  pki: Pki,
  script: { status: number; body: string }[],
  cert: "server" | "wrongname" = "server",
): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let i = 0;
  const server = createServer(
    {
      key: cert === "server" ? pki.serverKey : pki.wrongNameKey,
      cert: cert === "server" ? pki.serverCert : pki.wrongNameCert,
      ca: pki.caA,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const peer = (req.socket as import("node:tls").TLSSocket).getPeerCertificate();
      seen.push({
        path: req.url ?? "",
        clientCn: peer && peer.subject ? String(peer.subject.CN) : undefined,
        authorization: req.headers.authorization,
      });
      const answer = script[Math.min(i++, script.length - 1)];
      res.writeHead(answer.status, { "Content-Type": "text/plain" });
      res.end(answer.body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}`, seen };
}

/** A clock that only moves when the loop sleeps. */
function fakeTime(): Pick<ReadyzDeps, "now" | "sleep"> & { sleeps: number[] } {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

/** Runs fn expecting it to reject; returns the message. */
async function rejection(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a rejection, but it resolved");
}

describe("readiness gate: polling /readyz with the cluster CA", () => {
  let pki: Pki;
  const servers: Server[] = [];
  before(function () {
    needTool(this, "openssl", "the readiness gate's TLS tests (openssl makes their PKI)");
    pki = makePki();
  });
  after(() => {
    for (const s of servers) s.close();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });
  const serve = async (script: { status: number; body: string }[], cert?: "server" | "wrongname") => {
    const s = await apiServer(pki, script, cert);
    servers.push(s.server);
    return s;
  };

  it("ready: one GET /readyz answered 200 over TLS verified with the cluster CA, client cert presented", async () => {
    const api = await serve([{ status: 200, body: "ok" }]);
    const time = fakeTime();
    const result = await waitForReadyz(
      {
        apiEndpoint: api.url,
        caCertPem: pki.caA,
        timeoutMs: 600_000,
        credentials: { clientCertPem: pki.clientCert, clientKeyPem: pki.clientKey },
      },
      time,
    );
    assert.deepEqual(result, { attempts: 1, waitedMs: 0 });
    assert.deepEqual(time.sleeps, []);
    assert.deepEqual(api.seen, [{ path: "/readyz", clientCn: "admin", authorization: undefined }]);
  });

  it("sends a bearer token when the kubeconfig has one instead of a client certificate", async () => {
    const api = await serve([{ status: 200, body: "ok" }]);
    await waitForReadyz(
      { apiEndpoint: `${api.url}/`, caCertPem: pki.caA, timeoutMs: 60_000, credentials: { token: "t0ken" } },
      fakeTime(),
    );
    assert.equal(api.seen[0].authorization, "Bearer t0ken");
    assert.equal(api.seen[0].path, "/readyz", "a trailing slash on the endpoint is not doubled");
  });

  it("not yet ready, then ready: keeps polling through 503s at the interval", async () => {
    const api = await serve([
      { status: 503, body: "[-]etcd failed: reason withheld\nreadyz check failed" },
      { status: 503, body: "[-]poststarthook/rbac/bootstrap-roles failed: reason withheld" },
      { status: 200, body: "ok" },
    ]);
    const time = fakeTime();
    const result = await waitForReadyz(
      { apiEndpoint: api.url, caCertPem: pki.caA, timeoutMs: 600_000, intervalMs: 5000 },
      time,
    );
    assert.deepEqual(result, { attempts: 3, waitedMs: 10_000 });
    assert.deepEqual(time.sleeps, [5000, 5000]);
    assert.equal(api.seen.length, 3);
  });

  it("wrong CA: gives up after 3 consecutive verification failures, saying the CA did not match and what to check", async () => {
    const api = await serve([{ status: 200, body: "ok" }]);
    const time = fakeTime();
    const message = await rejection(() =>
      waitForReadyz({ apiEndpoint: api.url, caCertPem: pki.caB, timeoutMs: 600_000, intervalMs: 5000 }, time),
    );
    assert.match(
      message,
      /^readiness gate: https:\/\/127\.0\.0\.1:\d+ answered, but its certificate is not signed by the cluster CA/,
    );
    // Which code depends on whether the server sends its CA along (node does; k3s sends the leaf).
    assert.match(message, /\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\): the CA did not match/);
    assert.match(
      message,
      /waited for: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ to answer GET \/readyz with 200/,
    );
    assert.match(message, /check: .*server-ca\.crt on a control plane equals the stack's CA/);
    assert.match(message, /cloud-init wrote the CA before k3s first started/);
    assert.deepEqual(time.sleeps, [5000, 5000], "three attempts, not the whole timeout");
    assert.equal(api.seen.length, 0, "no request got past the TLS handshake");
  });

  it("a certificate from the cluster CA for another address is reported as a SAN problem", async () => {
    const api = await serve([{ status: 200, body: "ok" }], "wrongname");
    const message = await rejection(() =>
      waitForReadyz({ apiEndpoint: api.url, caCertPem: pki.caA, timeoutMs: 600_000 }, fakeTime()),
    );
    assert.match(message, /does not name this address \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    assert.match(message, /--tls-san/);
  });

  it("timeout: stops at the bound with the last answer and what to check", async () => {
    const api = await serve([
      { status: 503, body: "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed" },
    ]);
    const time = fakeTime();
    const message = await rejection(() =>
      waitForReadyz({ apiEndpoint: api.url, caCertPem: pki.caA, timeoutMs: 60_000, intervalMs: 5000 }, time),
    );
    assert.match(message, /^readiness gate: timed out after 1 min \(limit 1 min, 13 attempts\)/);
    assert.match(
      message,
      /last answer: HTTP 503: \[\+\]ping ok; \[-\]etcd failed: reason withheld; readyz check failed/,
    );
    assert.match(
      message,
      /waited for: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ to answer GET \/readyz with 200/,
    );
    assert.match(message, /systemctl status k3s/);
    assert.match(message, /site\.adminCidrs/);
    assert.match(message, /video-platform:platform\.readinessTimeoutMinutes/);
    assert.equal(
      time.sleeps.reduce((a, b) => a + b, 0),
      60_000,
      "never sleeps past the deadline",
    );
    assert.equal(api.seen.length, 13);
  });

  it("timeout with nothing listening names the connection error", async () => {
    // Grab a free port, then close it so connections are refused.
    const probe = await serve([{ status: 200, body: "ok" }]);
    probe.server.close();
    await new Promise((r) => probe.server.once("close", r));
    const message = await rejection(() =>
      waitForReadyz({ apiEndpoint: probe.url, caCertPem: pki.caA, timeoutMs: 20_000, intervalMs: 5000 }, fakeTime()),
    );
    assert.match(message, /timed out after 0\.3 min \(limit 0\.3 min, 5 attempts\); last answer: ECONNREFUSED/);
  });

  it("timeout on 401 says the credentials were rejected", async () => {
    const api = await serve([{ status: 401, body: '{"kind":"Status","message":"Unauthorized","code":401}' }]);
    const message = await rejection(() =>
      waitForReadyz({ apiEndpoint: api.url, caCertPem: pki.caA, timeoutMs: 10_000 }, fakeTime()),
    );
    assert.match(message, /last answer: HTTP 401: .*Unauthorized/);
    assert.match(message, /the API rejected the admin kubeconfig's credentials/);
  });

  it("refuses to poll without a usable CA or endpoint (never falls back to public roots)", async () => {
    const noCa = await rejection(() =>
      waitForReadyz({ apiEndpoint: "https://127.0.0.1:1", caCertPem: "", timeoutMs: 1000 }, fakeTime()),
    );
    assert.match(noCa, /the cluster CA is empty or not a PEM certificate/);
    assert.match(noCa, /site\.clusterCaCertPem/);
    const plain = await rejection(() =>
      waitForReadyz({ apiEndpoint: "http://127.0.0.1:6443", caCertPem: pki.caA, timeoutMs: 1000 }, fakeTime()),
    );
    assert.match(plain, /"http:\/\/127\.0\.0\.1:6443" is not an https:\/\/<host>:<port> URL/);
    const garbage = await rejection(() =>
      waitForReadyz(
        {
          apiEndpoint: "https://127.0.0.1:1",
          caCertPem: "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
          timeoutMs: 1000,
        },
        fakeTime(),
      ),
    );
    assert.match(garbage, /the cluster CA is empty or not a PEM certificate/);
    const mismatched = await rejection(() =>
      waitForReadyz(
        {
          apiEndpoint: "https://127.0.0.1:1",
          caCertPem: pki.caA,
          timeoutMs: 1000,
          credentials: { clientCertPem: pki.clientCert, clientKeyPem: pki.serverKey },
        },
        fakeTime(),
      ),
    );
    assert.match(
      mismatched,
      /the kubeconfig's client credentials could not be loaded \(ERR_OSSL_X509_KEY_VALUES_MISMATCH/,
    );
    assert.match(mismatched, /client-key-data in site\.kubeconfig are valid PEM and belong together/);
  });
});

describe("readiness gate: the dynamic provider", () => {
  let pki: Pki;
  let api: { server: Server; url: string; seen: Seen[] };
  before(async function () {
    needTool(this, "openssl", "the readiness gate's TLS tests (openssl makes their PKI)");
    pki = makePki();
    api = await apiServer(pki, [{ status: 200, body: "ok" }]);
  });
  after(() => {
    api?.server.close();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it("serializes into self-contained code that polls from a separate process", async () => {
    // Exactly what pulumi.dynamic.Resource stores in `__provider`, loaded the way the
    // dynamic-provider host loads it: in another process, with nothing of this program around.
    const sf = await pulumi.runtime.serializeFunction(() => gateProvider, { allowSecrets: true });
    assert.equal(sf.containsSecrets, false);
    const file = join(pki.dir, "provider.js");
    writeFileSync(file, sf.text);
    const inputs = {
      apiEndpoint: api.url,
      caCertPem: pki.caA,
      timeoutMinutes: 1,
      credentials: { clientCertPem: pki.clientCert, clientKeyPem: pki.clientKey },
    };
    const script =
      "const p = require(process.argv[1]).handler();" +
      "p.create(JSON.parse(process.argv[2])).then(" +
      "(r) => process.stdout.write(JSON.stringify(r))," +
      "(e) => { process.stdout.write(JSON.stringify({ error: e.message })); });";
    const run = (input: unknown) =>
      new Promise<Record<string, unknown>>((resolve, reject) =>
        execFile(process.execPath, ["-e", script, file, JSON.stringify(input)], { cwd: tmpdir() }, (err, stdout) =>
          err ? reject(err) : resolve(JSON.parse(stdout)),
        ),
      );
    const ok = await run(inputs);
    assert.deepEqual(ok, {
      id: `${api.url}/readyz`,
      outs: { apiEndpoint: api.url, caCertPem: pki.caA, timeoutMinutes: 1, attempts: 1 },
    });
    assert.ok(!JSON.stringify(ok).includes("PRIVATE KEY"), "credentials never come back as outputs");
    assert.equal(api.seen.at(-1)?.clientCn, "admin");
    const bad = await run({ ...inputs, caCertPem: "" });
    assert.match(String(bad.error), /^readiness gate: the cluster CA is empty/);
  });

  it("re-polls only when the endpoint, CA or bound changes", async () => {
    const base = { apiEndpoint: "https://192.0.2.1:6443", caCertPem: "CA", timeoutMinutes: 10 };
    const diff = gateProvider.diff as NonNullable<typeof gateProvider.diff>;
    assert.equal((await diff("id", base, { ...base, credentials: { token: "new" } })).changes, false);
    assert.equal((await diff("id", base, { ...base, __provider: "changed code" })).changes, false);
    for (const change of [{ apiEndpoint: "https://192.0.2.2:6443" }, { caCertPem: "CA2" }, { timeoutMinutes: 20 }]) {
      const d = await diff("id", base, { ...base, ...change });
      assert.equal(d.changes, true, JSON.stringify(change));
      assert.deepEqual(d.replaces, [], "an update, never a replacement");
    }
  });
});

describe("readiness gate: credentials from the kubeconfig", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const kubeconfig = (users: string, current = "admin@site") => `apiVersion: v1
kind: Config
current-context: ${current}
clusters:
  - name: site
    cluster: { server: "https://192.0.2.1:6443", certificate-authority-data: ${b64("CA")} }
contexts:
  - name: other@site
    context: { cluster: site, user: other }
  - name: admin@site
    context: { cluster: site, user: admin }
users:
${users}`;

  it("reads the current context's user: client certificate and key, or a token", () => {
    const users = `  - name: other
    user: { token: other-token }
  - name: admin
    user: { client-certificate-data: ${b64("CERT PEM")}, client-key-data: ${b64("KEY PEM")} }
`;
    assert.deepEqual(kubeconfigCredentials(kubeconfig(users)), { clientCertPem: "CERT PEM", clientKeyPem: "KEY PEM" });
    assert.deepEqual(kubeconfigCredentials(kubeconfig(users, "other@site")), { token: "other-token" });
  });

  it("reads the admin client certificate from the kubeconfig the site renders", () => {
    const rendered = renderKubeconfig({
      name: "staging",
      server: "https://192.0.2.1:6443",
      caCertPem: "CA PEM\n",
      clientCertPem: "ADMIN CERT PEM\n",
      clientKeyPem: "ADMIN KEY PEM\n",
    });
    assert.deepEqual(kubeconfigCredentials(rendered), {
      clientCertPem: "ADMIN CERT PEM\n",
      clientKeyPem: "ADMIN KEY PEM\n",
    });
  });

  it("yields nothing (an anonymous probe) for an empty, unparsable or file-based kubeconfig", () => {
    assert.deepEqual(kubeconfigCredentials(""), {});
    assert.deepEqual(kubeconfigCredentials("{ not: [yaml"), {});
    assert.deepEqual(
      kubeconfigCredentials(kubeconfig("  - name: admin\n    user: { client-certificate: /etc/admin.crt }\n")),
      {},
    );
  });
});
