/**
 * The readiness gate: nothing is sent to the cluster before its API answers `GET /readyz` with
 * 200 over TLS verified against the cluster's own CA. Without it, the first `pulumi up` races
 * k3s's start (the Kubernetes provider and Helm fail with "connection refused" and the operator
 * is told to run it again); with it, the first run converges in one pass.
 *
 * Two parts: `waitForReadyz`, a pure polling function with its clock, sleep and request injected
 * (unit-tested against a local HTTPS server), and `ReadinessGate`, a dynamic resource whose
 * provider runs it on create and whenever the endpoint or CA changes, so the gate is a declared
 * resource in the plan like any other.
 *
 * The dynamic provider is serialized into the stack (Pulumi captures the functions it reaches
 * and their free variables), so every function below that the provider reaches only uses its
 * arguments, plain literals and modules it `require`s itself.
 */
import * as pulumi from "@pulumi/pulumi";

/** Credentials sent with the probe: the API server runs with anonymous-auth=false (components/site/k3s.ts). */
export interface KubeCredentials {
  /** PEM client certificate (admin kubeconfig's client-certificate-data). */
  clientCertPem?: string;
  /** PEM private key for the client certificate. */
  clientKeyPem?: string;
  /** Bearer token, when the kubeconfig uses one instead of a client certificate. */
  token?: string;
}

/** What is polled and for how long. */
export interface ReadyzTarget {
  /** The API server, `https://<address>:6443`. */
  apiEndpoint: string;
  /** PEM of the cluster's server CA: the only CA the answer is verified against. */
  caCertPem: string;
  /** Overall bound on the wait. */
  timeoutMs: number;
  /** Pause between attempts (default 5 s). */
  intervalMs?: number;
  /** Bound on one request (default 10 s, never beyond the overall deadline). */
  requestTimeoutMs?: number;
  /** Consecutive certificate failures before giving up early (default 3). */
  tlsFailureLimit?: number;
  /** Client credentials; the probe is anonymous without them. */
  credentials?: KubeCredentials;
}

/** One HTTPS request as the gate makes it. */
export interface ReadyzRequest {
  url: string;
  caCertPem: string;
  credentials: KubeCredentials;
  timeoutMs: number;
}

/** What the API answered. */
export interface ReadyzAnswer {
  status: number;
  body: string;
}

/** Injected effects, so the loop is testable without waiting real minutes. */
export interface ReadyzDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Resolves with the answer; rejects with a Node-style error (with `code`) when there is none. */
  request(req: ReadyzRequest): Promise<ReadyzAnswer>;
}

/** The outcome of a successful wait. */
export interface ReadyzResult {
  attempts: number;
  waitedMs: number;
}

/** The real effects: wall clock, timers and node's https with only the cluster CA trusted. */
export function nodeDeps(): ReadyzDeps {
  return {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    request: httpsGet,
  };
}

/** GET over HTTPS trusting exactly `caCertPem` (node's `ca` replaces the public roots). */
export function httpsGet(req: ReadyzRequest): Promise<ReadyzAnswer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const https = require("node:https") as typeof import("node:https");
  const url = new URL(req.url);
  return new Promise<ReadyzAnswer>((resolve, reject) => {
    const headers: Record<string, string> = { Accept: "text/plain" };
    if (req.credentials.token) headers.Authorization = `Bearer ${req.credentials.token}`;
    const r = https.request(
      {
        protocol: "https:",
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers,
        ca: req.caCertPem,
        cert: req.credentials.clientCertPem || undefined,
        key: req.credentials.clientKeyPem || undefined,
        rejectUnauthorized: true,
        agent: false,
        timeout: req.timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    r.on("timeout", () => {
      const e = new Error(`no answer within ${req.timeoutMs} ms`) as Error & { code: string };
      e.code = "ETIMEDOUT";
      r.destroy(e);
    });
    r.on("error", reject);
    r.end();
  });
}

/** Builds the gate's errors: what failed, what was waited for, what to check. */
type Fail = (what: string, check: string) => Error;

/** TLS error codes that mean the server's certificate does not come from the cluster CA. */
const CA_MISMATCH_CODES = [
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
];

/**
 * Checks, before the first request, that waiting can succeed at all: an https endpoint, a PEM CA
 * (node silently ignores an unparsable `ca`, and an empty one would mean trusting nothing or, with
 * no `ca` at all, the public roots) and client credentials that load.
 */
function checkTargetUsable(endpoint: string, target: ReadyzTarget, credentials: KubeCredentials, fail: Fail): void {
  if (!/^https:\/\/[^/\s]+$/.test(endpoint))
    throw fail(
      `the API endpoint "${endpoint}" is not an https://<host>:<port> URL`,
      "site.apiEndpoint (components/site) must be the API address the kubeconfig uses, like https://192.0.2.10:6443",
    );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
  try {
    if (!/-----BEGIN CERTIFICATE-----/.test(target.caCertPem ?? "")) throw new Error("no PEM certificate");
    new X509Certificate(target.caCertPem);
  } catch {
    throw fail(
      "the cluster CA is empty or not a PEM certificate, so the API could not be verified",
      "site.clusterCaCertPem (components/site) must be the server CA's PEM that cloud-init writes for k3s",
    );
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("node:tls") as typeof import("node:tls")).createSecureContext({
      ca: target.caCertPem,
      cert: credentials.clientCertPem || undefined,
      key: credentials.clientKeyPem || undefined,
    });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw fail(
      `the kubeconfig's client credentials could not be loaded (${e.code || "error"}: ${e.message})`,
      "client-certificate-data and client-key-data in site.kubeconfig are valid PEM and belong together",
    );
  }
}

/**
 * The error for a TLS failure that repeats (the certificate is not the cluster's, does not name
 * the address, or is outside its validity), or undefined when `code` is not such a failure.
 */
function tlsFailure(code: string, endpoint: string, fail: Fail): Error | undefined {
  if (CA_MISMATCH_CODES.includes(code))
    return fail(
      `${endpoint} answered, but its certificate is not signed by the cluster CA (${code}): the CA did not match`,
      "the address is this site's API (its load balancer or first control plane, not a reused IP); " +
        "/var/lib/rancher/k3s/server/tls/server-ca.crt on a control plane equals the stack's CA; " +
        "cloud-init wrote the CA before k3s first started (/var/log/cloud-init-output.log). " +
        "A k3s that generated its own CA must be reinstalled with the stack's CA",
    );
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return fail(
      `${endpoint} presented a certificate from the cluster CA that does not name this address (${code})`,
      "k3s's --tls-san list includes the API address (the load balancer's and the control planes' IPs)",
    );
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID")
    return fail(
      `the API's certificate is outside its validity period (${code})`,
      "the clock on this machine and on the control planes (timedatectl), and the CA's validity in the stack",
    );
  return undefined;
}

/** The error when the deadline passes: how long, how often, the last answer, what to check. */
function timedOut(
  fail: Fail,
  waited: { ms: number; limitMs: number; attempts: number; last: string; lastStatus: number },
): Error {
  const minutes = (ms: number) => `${Math.round((ms / 60000) * 10) / 10} min`;
  const authHint =
    waited.lastStatus === 401 || waited.lastStatus === 403
      ? "the API rejected the admin kubeconfig's credentials: its client certificate must be signed by the cluster's client CA; "
      : "";
  return fail(
    `timed out after ${minutes(waited.ms)} (limit ${minutes(waited.limitMs)}, ${waited.attempts} attempt${waited.attempts === 1 ? "" : "s"}); last answer: ${waited.last}`,
    `${authHint}the servers booted and cloud-init finished (ssh root@<control plane> cloud-init status --long); ` +
      "k3s is running (systemctl status k3s; journalctl -u k3s); your address is in site.adminCidrs (the firewall admits 6443 only from there); " +
      "on HA sites the API load balancer's targets are healthy. If the servers are only slow, raise " +
      "video-platform:platform.readinessTimeoutMinutes and run `pulumi up` again",
  );
}

/**
 * Polls `<apiEndpoint>/readyz` until it answers 200, the deadline passes, or the answer proves
 * waiting is pointless (the server's certificate is not from the cluster CA, or the CA or client
 * credentials cannot be used: checked before the first request). Every failure message says what
 * was waited for and what to check.
 */
export async function waitForReadyz(target: ReadyzTarget, deps: Partial<ReadyzDeps> = {}): Promise<ReadyzResult> {
  const real = nodeDeps();
  const now = deps.now ?? real.now;
  const sleep = deps.sleep ?? real.sleep;
  const request = deps.request ?? real.request;
  const interval = target.intervalMs ?? 5000;
  const perRequest = target.requestTimeoutMs ?? 10000;
  const tlsLimit = target.tlsFailureLimit ?? 3;
  const endpoint = String(target.apiEndpoint ?? "").replace(/\/+$/, "");
  const waitedFor =
    `the Kubernetes API at ${endpoint} to answer GET /readyz with 200 ` +
    `(TLS verified against the cluster CA from site.clusterCaCertPem)`;
  const fail: Fail = (what, check) =>
    new Error(`readiness gate: ${what}\n  waited for: ${waitedFor}\n  check: ${check}`);
  const credentials = target.credentials ?? {};
  checkTargetUsable(endpoint, target, credentials, fail);

  const started = now();
  const deadline = started + target.timeoutMs;
  let attempts = 0;
  let tlsFailures = 0;
  let last = "no attempt finished";
  let lastStatus = 0;

  for (;;) {
    attempts++;
    // A request may outlive the deadline by at most one request timeout; the last attempt
    // still gets a fair second rather than a zero-length window.
    const remaining = Math.max(1000, deadline - now());
    try {
      const answer = await request({
        url: `${endpoint}/readyz`,
        caCertPem: target.caCertPem,
        credentials,
        timeoutMs: Math.min(perRequest, remaining),
      });
      tlsFailures = 0;
      if (answer.status === 200) return { attempts, waitedMs: now() - started };
      lastStatus = answer.status;
      const body = answer.body.trim().split("\n").slice(0, 12).join("; ").slice(0, 600);
      last = `HTTP ${answer.status}${body ? `: ${body}` : ""}`;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const code = e.code ?? "";
      lastStatus = 0;
      const tls = tlsFailure(code, endpoint, fail);
      tlsFailures = tls ? tlsFailures + 1 : 0;
      if (tls && tlsFailures >= tlsLimit) throw tls;
      last = `${code || "error"}: ${e.message ?? String(err)}`;
    }

    const left = deadline - now();
    if (left <= 0) throw timedOut(fail, { ms: now() - started, limitMs: target.timeoutMs, attempts, last, lastStatus });
    await sleep(Math.min(interval, left));
  }
}

/** The gate's inputs as the dynamic provider receives them (secrets already unwrapped). */
interface GateInputs {
  apiEndpoint: string;
  caCertPem: string;
  timeoutMinutes: number;
  credentials?: KubeCredentials;
}

/** Runs the wait for the provider; the outputs deliberately leave the credentials out. */
async function gateCheck(inputs: GateInputs): Promise<Record<string, unknown>> {
  const result = await waitForReadyz({
    apiEndpoint: inputs.apiEndpoint,
    caCertPem: inputs.caCertPem,
    timeoutMs: inputs.timeoutMinutes * 60000,
    credentials: inputs.credentials,
  });
  return {
    apiEndpoint: inputs.apiEndpoint,
    caCertPem: inputs.caCertPem,
    timeoutMinutes: inputs.timeoutMinutes,
    attempts: result.attempts,
  };
}

/**
 * The dynamic provider. Waits on create, and on update when the endpoint, CA or bound changed
 * (a rebuilt or relocated site); a change of this code alone does not re-run the wait.
 */
export const gateProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: GateInputs) {
    const outs = await gateCheck(inputs);
    return { id: `${inputs.apiEndpoint}/readyz`, outs };
  },
  async diff(_id: string, olds: GateInputs, news: GateInputs) {
    const changed = (["apiEndpoint", "caCertPem", "timeoutMinutes"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: GateInputs, news: GateInputs) {
    return { outs: await gateCheck(news) };
  },
};

export interface ReadinessGateArgs {
  /** The API server, `https://<address>:6443` (site.apiEndpoint). */
  apiEndpoint: pulumi.Input<string>;
  /** The cluster's server CA (public; site.clusterCaCertPem). */
  caCertPem: pulumi.Input<string>;
  /** Bound on the wait, minutes (platform.readinessTimeoutMinutes). */
  timeoutMinutes: pulumi.Input<number>;
  /** Client credentials from the admin kubeconfig; always stored as a secret. */
  credentials: pulumi.Input<KubeCredentials>;
}

/** The gate as a resource (type pulumi-nodejs:dynamic:Resource): depend on it, not on the site. */
export class ReadinessGate extends pulumi.dynamic.Resource {
  constructor(name: string, args: ReadinessGateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      gateProvider,
      name,
      {
        apiEndpoint: args.apiEndpoint,
        caCertPem: args.caCertPem,
        timeoutMinutes: args.timeoutMinutes,
        credentials: pulumi.secret(args.credentials),
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["credentials"] }),
    );
  }
}
