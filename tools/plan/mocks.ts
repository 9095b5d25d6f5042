import { createHash } from "node:crypto";

/**
 * Deterministic stand-ins for what providers return on create. Every value is derived from the
 * resource's URN, so planning the same tree twice gives byte-identical output and a change in one
 * resource never changes another's mocked values.
 */
export function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

function octets(h: string, n: number): number[] {
  return Array.from({ length: n }, (_, i) => parseInt(h.slice(i * 2, i * 2 + 2), 16));
}

/** A public-looking IPv4 from the documentation ranges (RFC 5737), never a real address. */
function docIpv4(h: string): string {
  const nets = ["192.0.2", "198.51.100", "203.0.113"];
  const [a, b] = octets(h, 2);
  return `${nets[a % 3]}.${1 + (b % 254)}`;
}

/** An IPv6 from the documentation prefix 2001:db8::/32 (RFC 3849). */
function docIpv6(h: string): string {
  return `2001:db8:${h.slice(0, 4)}:${h.slice(4, 8)}::1`;
}

function fakePem(label: string, h: string): string {
  return `-----BEGIN ${label}-----\nMOCK${h}\n-----END ${label}-----\n`;
}

/** Provider-assigned id: numeric for Hetzner (its API ids are integers), opaque elsewhere. */
export function mockId(type: string, urn: string): string {
  const h = digest("id", urn);
  if (type.startsWith("hcloud:")) return String((parseInt(h.slice(0, 8), 16) % 90_000_000) + 10_000_000);
  return `${type.split(":").pop()?.toLowerCase() ?? "res"}-${h.slice(0, 12)}`;
}

/**
 * Outputs a provider would compute, keyed by type token. Inputs are echoed by the caller; these
 * are the values only the cloud (or the provider's generator) knows.
 */
export function mockOutputs(type: string, urn: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const h = digest("out", urn);
  switch (type) {
    case "hcloud:index/server:Server":
      return { ipv4Address: docIpv4(h), ipv6Address: docIpv6(h), status: "running" };
    case "hcloud:index/loadBalancer:LoadBalancer":
      return { ipv4: docIpv4(h), ipv6: docIpv6(h) };
    case "hcloud:index/primaryIp:PrimaryIp":
      return { ipAddress: docIpv4(h) };
    case "hcloud:index/sshKey:SshKey":
      return {
        fingerprint: octets(h, 16)
          .map((o) => o.toString(16).padStart(2, "0"))
          .join(":"),
      };
    case "tls:index/privateKey:PrivateKey":
      return {
        privateKeyPem: fakePem("PRIVATE KEY", h),
        privateKeyPemPkcs8: fakePem("PRIVATE KEY", h),
        publicKeyPem: fakePem("PUBLIC KEY", h),
        publicKeyOpenssh: `ssh-ed25519 MOCK${h.slice(0, 40)}`,
        publicKeyFingerprintSha256: `SHA256:${h.slice(0, 43)}`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return {
        certPem: fakePem("CERTIFICATE", h),
        validityStartTime: "2026-01-01T00:00:00Z",
        validityEndTime: "2036-01-01T00:00:00Z",
      };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: fakePem("CERTIFICATE REQUEST", h) };
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString": {
      const length = typeof inputs.length === "number" ? inputs.length : 16;
      const result = (h + digest("more", h)).slice(0, length);
      return { result, bcryptHash: `$2a$10$${h.slice(0, 53)}` };
    }
    case "random:index/randomBytes:RandomBytes": {
      const length = typeof inputs.length === "number" ? inputs.length : 32;
      const bytes = Buffer.from((h + digest("more", h)).slice(0, length * 2), "hex");
      return { hex: bytes.toString("hex"), base64: bytes.toString("base64") };
    }
    case "random:index/randomId:RandomId":
      return {
        hex: h.slice(0, 16),
        b64Std: Buffer.from(h.slice(0, 16), "hex").toString("base64"),
        dec: String(parseInt(h.slice(0, 12), 16)),
      };
    default:
      if (type.startsWith("kubernetes:") && type !== "kubernetes:helm.sh/v3:Release") {
        return kubernetesAutoname(urn, inputs);
      }
      if (type === "kubernetes:helm.sh/v3:Release") return { status: { status: "deployed" } };
      return {};
  }
}

/** Pulumi's Kubernetes provider auto-names objects without metadata.name as `<name>-<8 hex>`. */
function kubernetesAutoname(urn: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const md = (inputs.metadata ?? {}) as Record<string, unknown>;
  if (md.name !== undefined) return {};
  const name = urn.split("::").pop() ?? "obj";
  return { metadata: { ...md, name: `${name}-${digest("auto", urn).slice(0, 8)}` } };
}
