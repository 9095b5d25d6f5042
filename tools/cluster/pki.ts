/**
 * The local control plane's credentials, made with openssl (tools/ensure-tools.sh installs it):
 * one CA that signs the API server's serving certificate (for 127.0.0.1), the admin client
 * (O=system:masters, as k3s's admin kubeconfig), the controller manager's client
 * (CN=system:kube-controller-manager, the identity RBAC's bootstrap policy grants), a key pair
 * for service-account tokens and a certificate for kubernetes.io/tls Secrets of the plan.
 * Made once per state directory; `down` keeps them (and etcd's data), so `up` again is a no-op.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  serving: { crt: string; key: string };
  admin: { crt: string; key: string };
  controllerManager: { crt: string; key: string };
  serviceAccount: { key: string; pub: string };
  tlsSecret: { crt: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === "ENOENT") throw new Error("openssl is not installed: run `bash tools/ensure-tools.sh` (as root)");
    throw new Error(`openssl ${args[0]} failed: ${String(e.stderr ?? err)}`);
  }
}

const DAYS = "3650";

/** A key and a certificate signed by the CA, with optional subjectAltNames. */
function signed(dir: string, name: string, subject: string, san?: string): void {
  if (existsSync(join(dir, `${name}.crt`))) return;
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      `extendedKeyUsage=${san ? "serverAuth" : "clientAuth"}`,
      ...(san ? [`subjectAltName=${san}`] : []),
      "",
    ].join("\n"),
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      DAYS,
      "-extfile",
      ext,
      "-out",
      `${name}.crt`,
    ],
    dir,
  );
}

/**
 * A serving certificate signed by the harness CA in `pkiDir` (made once per name): the local Git
 * hosts' certificate for the tenants' repoURL host names (tools/argocd/gitops.ts).
 */
export function signServing(pkiDir: string, name: string, subject: string, san: string): { crt: string; key: string } {
  signed(pkiDir, name, subject, san);
  return { crt: join(pkiDir, `${name}.crt`), key: join(pkiDir, `${name}.key`) };
}

export function ensurePki(stateDir: string): Pki {
  const dir = join(stateDir, "pki");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(dir, "ca.crt"))) {
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
    openssl(
      [
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-subj",
        "/CN=video-platform-local-ca",
        "-days",
        DAYS,
        "-out",
        "ca.crt",
      ],
      dir,
    );
  }
  signed(dir, "apiserver", "/CN=kube-apiserver", "IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc");
  signed(dir, "admin", "/O=system:masters/CN=video-platform-admin");
  signed(dir, "controller-manager", "/CN=system:kube-controller-manager");
  signed(dir, "tls-secret", "/CN=generated-for-plan-secrets", "DNS:generated.invalid");
  if (!existsSync(join(dir, "sa.key"))) {
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"], dir);
    openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  }
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p("ca.crt"),
    caKey: p("ca.key"),
    serving: { crt: p("apiserver.crt"), key: p("apiserver.key") },
    admin: { crt: p("admin.crt"), key: p("admin.key") },
    controllerManager: { crt: p("controller-manager.crt"), key: p("controller-manager.key") },
    serviceAccount: { key: p("sa.key"), pub: p("sa.pub") },
    tlsSecret: { crt: p("tls-secret.crt"), key: p("tls-secret.key") },
  };
}

/** A kubeconfig with embedded credentials (0600: it is cluster-admin). */
export function kubeconfig(server: string, ca: string, crt: string, key: string, user: string): string {
  const b64 = (f: string) => readFileSync(f).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: local",
    "    cluster:",
    `      server: ${server}`,
    `      certificate-authority-data: ${b64(ca)}`,
    "users:",
    `  - name: ${user}`,
    "    user:",
    `      client-certificate-data: ${b64(crt)}`,
    `      client-key-data: ${b64(key)}`,
    "contexts:",
    "  - name: local",
    "    context:",
    "      cluster: local",
    `      user: ${user}`,
    "current-context: local",
    "",
  ].join("\n");
}
