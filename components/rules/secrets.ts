/**
 * Secrets stay secret in state: every credential a resource takes must reach the engine as a
 * secret (the plan shows it as "[secret]"), or it is stored in clear in the state file and shown
 * in previews. Two nets: a table of the inputs known to carry credentials, and any input named
 * like a credential anywhere in the inputs.
 */
import { IN_CLUSTER } from "../platform/namespaces";
import { rec, Rule, RuleResource, SECRET, UNKNOWN, Violation } from "./types";

/** The keys an Argo CD cluster Secret for the in-cluster server may carry without a credential. */
const PUBLIC_CLUSTER_KEYS = ["name", "server", "namespaces", "clusterResources", "config"];

/**
 * An Argo CD cluster Secret that holds no credential (components/platform/argocd-tenants.ts
 * tenantClusterSecret): the in-cluster server, `config` exactly `{}` (the controller's own
 * ServiceAccount token authenticates), plain `stringData` with only the keys above and no `data`.
 * Its contents stay in clear in the plan so they can be reviewed and applied as they are; any
 * other shape, a token or a client key included, is a credential like every Secret's contents.
 */
export function isPublicArgocdClusterSecret(manifest: Record<string, unknown>): boolean {
  const md = rec(manifest.metadata);
  const data = rec(manifest.stringData);
  const keys = Object.keys(data);
  return (
    manifest.apiVersion === "v1" &&
    manifest.kind === "Secret" &&
    rec(md.labels)["argocd.argoproj.io/secret-type"] === "cluster" &&
    manifest.data === undefined &&
    keys.length > 0 &&
    keys.every((k) => PUBLIC_CLUSTER_KEYS.includes(k) && typeof data[k] === "string") &&
    data.server === IN_CLUSTER &&
    data.config === "{}"
  );
}

/** Inputs that always carry a credential when set, by resource type. */
export const SECRET_INPUTS: readonly { type: string; paths: readonly string[]; what: string }[] = [
  { type: "kubernetes:core/v1:Secret", paths: ["data", "stringData"], what: "a Kubernetes Secret's contents" },
  { type: "pulumi:providers:kubernetes", paths: ["kubeconfig"], what: "the admin kubeconfig (client key)" },
  { type: "pulumi:providers:hcloud", paths: ["token"], what: "the Hetzner API token" },
  { type: "hcloud:index/server:Server", paths: ["userData"], what: "user-data (k3s tokens, S3 keys, CA keys)" },
  { type: "tls:index/certRequest:CertRequest", paths: ["privateKeyPem"], what: "a private key" },
  { type: "tls:index/selfSignedCert:SelfSignedCert", paths: ["privateKeyPem"], what: "a CA private key" },
  { type: "tls:index/locallySignedCert:LocallySignedCert", paths: ["caPrivateKeyPem"], what: "a CA private key" },
  { type: "pulumi-nodejs:dynamic:Resource", paths: ["credentials"], what: "the readiness gate's client credentials" },
];

/** Input names that hold credentials wherever they appear. */
export const CREDENTIAL_KEY =
  /^(token|password|passwd|kubeconfig|userData|credentials|privateKey|privateKeyPem|caPrivateKeyPem|sshPrivateKey|secretKey|client-key-data|[A-Za-z0-9]+(Token|Password|PrivateKey|SecretKey))$/;

/** Whether a value is secret all the way: the marker itself, or only markers below it. */
function allSecret(v: unknown): boolean {
  if (v === SECRET || v === UNKNOWN || v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.every(allSecret);
  if (typeof v === "object") return Object.values(v as Record<string, unknown>).every(allSecret);
  return false;
}

/** Paths of credential-named inputs holding a clear value. */
function namedInClear(v: unknown, path: string, out: string[]): void {
  // Stryker disable next-line ConditionalExpression: a string (the marker too) matches neither branch below, so skipping this early return changes nothing
  if (v === SECRET) return;
  if (Array.isArray(v)) v.forEach((x, i) => namedInClear(x, `${path}[${i}]`, out));
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      if (CREDENTIAL_KEY.test(k) && typeof x === "string" && x !== "" && !allSecret(x)) out.push(p);
      else namedInClear(x, p, out);
    }
}

export const SECRET_RULES: Rule[] = [
  {
    id: "SEC-001",
    description:
      "credentials are secrets in state: Secret data/stringData, kubeconfig, tokens, user-data, private keys and credential-named inputs are never in clear",
    fix: "pass the value through pulumi.secret() (or config.requireSecret / @pulumi/random / @pulumi/tls, whose outputs are secret)",
    enforcedIn: ["plan"],
    notEnforcedIn: {
      preview:
        "the Node policy SDK decrypts every secret before a policy sees it (@pulumi/policy deserialize.js), so a policy cannot tell a secret input from a clear one; the plan records the engine's own secret markers",
    },
    check(resources: readonly RuleResource[]): Violation[] {
      const out: Violation[] = [];
      for (const r of resources) {
        const flagged = new Set<string>();
        const exempt = r.type === "kubernetes:core/v1:Secret" && isPublicArgocdClusterSecret(r.inputs);
        for (const entry of SECRET_INPUTS.filter((e) => e.type === r.type && !exempt))
          for (const p of entry.paths)
            if (!allSecret(r.inputs[p])) {
              flagged.add(p);
              out.push({ rule: "SEC-001", urn: r.urn, message: `${p} (${entry.what}) is in clear` });
            }
        const named: string[] = [];
        namedInClear(r.inputs, "", named);
        for (const p of named.filter((x) => !flagged.has(x)))
          out.push({ rule: "SEC-001", urn: r.urn, message: `${p} looks like a credential and is in clear` });
      }
      return out;
    },
  },
];
