import { z } from "zod";
import { LOAD_BALANCER_TYPES, LOCATIONS, SERVER_TYPES } from "../site/catalog";
import { DEFAULT_VERSIONS } from "../versions";
import { adminSpanProblem, cidrProblem, parseCidr } from "./cidr";

/** The Pulumi project name; config keys are namespaced with it. */
export const PROJECT = "video-platform";

/**
 * Secrets, each a top-level `secure:` config key. The single list behind the Pulumi.yaml
 * declarations (a test compares them), the offline plan's placeholders and the real-run check
 * that reports every missing one with the command that sets it.
 */
export const SECRETS = {
  hcloudToken: { required: true, describe: "Hetzner Cloud API token (read/write) for the site's project" },
  k3sToken: { required: true, describe: "k3s cluster join token; keep it across rebuilds so etcd restores work" },
  etcdS3AccessKey: { required: true, describe: "Object Storage access key for etcd snapshots" },
  etcdS3SecretKey: { required: true, describe: "Object Storage secret key for etcd snapshots" },
  sealedSecretsKey: {
    required: true,
    describe: "Sealed Secrets private key (PEM), escrowed so Git secrets decrypt on a rebuilt site",
  },
  sealedSecretsCert: { required: true, describe: "Sealed Secrets certificate (PEM) matching sealedSecretsKey" },
  gitopsRepoPassword: { required: true, describe: "Token/password ArgoCD uses to read the platform GitOps repository" },
} as const;
export type SecretKey = keyof typeof SECRETS;
export const SECRET_KEYS = Object.keys(SECRETS) as SecretKey[];

/** The structured (non-secret) keys a stack file may set, besides the secrets above. */
export const PLAIN_KEYS = ["protected", "site", "k3s", "platform"] as const;

// ---------------------------------------------------------------------------------------------
// Primitives

/** Parses an IPv4 `a.b.c.d/n` into a 32-bit base and prefix length; undefined when malformed. */
export function parseCidr4(cidr: string): { base: number; prefix: number } | undefined {
  const c = parseCidr(cidr);
  return c?.family === 4 ? { base: Number(c.base), prefix: c.prefix } : undefined;
}

export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr4(outer);
  const i = parseCidr4(inner);
  if (!o || !i || i.prefix < o.prefix) return false;
  const mask = o.prefix === 0 ? 0 : (0xffffffff << (32 - o.prefix)) >>> 0;
  return (i.base & mask) >>> 0 === o.base;
}

export function cidrOverlaps(a: string, b: string): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** An IPv4 range (the private network, pod and service ranges): parsed, address and prefix. */
const cidr4 = z.string().superRefine((s, ctx) => {
  const problem = cidrProblem(s) ?? (parseCidr(s)?.family === 4 ? undefined : "is an IPv6 range");
  if (problem) ctx.addIssue({ code: "custom", message: `must be an IPv4 CIDR like 10.0.0.0/16: ${problem}` });
});

/**
 * Admin CIDRs may be IPv4 or IPv6, but never the whole internet or a large share of it, alone or
 * together (SSH and the API are behind them; the limit and why: components/config/cidr.ts).
 */
const adminCidr = z.string().superRefine((s, ctx) => {
  const problem = cidrProblem(s) ?? adminSpanProblem([s]);
  if (problem)
    ctx.addIssue({ code: "custom", message: `must be an IPv4 or IPv6 CIDR like 203.0.113.10/32: ${problem}` });
});
const adminCidrs = z
  .array(adminCidr)
  .min(1, "at least one admin CIDR is required")
  .superRefine((list, ctx) => {
    // Each range alone is checked above; here the ones that only add up to too much.
    if (list.some((s) => cidrProblem(s) ?? adminSpanProblem([s]))) return;
    const problem = adminSpanProblem(list);
    if (problem) ctx.addIssue({ code: "custom", message: `[${list.join(", ")}] together ${problem}` });
  });

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-'")
  .max(30);

const dnsName = z
  .string()
  .max(253)
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, "must be a lowercase DNS name like video.example.com");

const serverType = z.string().refine((t) => t in SERVER_TYPES, {
  message: `must be a Hetzner server type from components/site/catalog.ts (${Object.keys(SERVER_TYPES).join(", ")})`,
});

const semverish = z.string().regex(/^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.+-]+)?$/, "must be a pinned version like 1.2.3");

const gitRepoURL = z
  .string()
  .refine((u) => /^https:\/\/[^\s/@:]+(:\d+)?\/\S+$/.test(u) || /^(ssh:\/\/)?git@[^\s/:]+[:/]\S+$/.test(u), {
    message: "must be an https:// URL without credentials, or an ssh URL like git@host:org/repo.git",
  });

// ---------------------------------------------------------------------------------------------
// Sections

export const siteSchema = z.strictObject({
  /** Hetzner location code; relocation is changing this. */
  location: z.enum(LOCATIONS, { message: `must be a Hetzner location: ${LOCATIONS.join(", ")}` }),
  /** The private network's range (/20 or larger); addresses are planned in components/site/addresses.ts. */
  networkCidr: cidr4,
  /** OS image for every server. */
  image: z.string().min(1).default("debian-12"),
  /** Public SSH keys installed on every server (never private keys). */
  sshKeys: z
    .array(
      z.strictObject({
        name: dnsLabel,
        publicKey: z
          .string()
          .regex(
            /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/,
            "must be an OpenSSH public key line",
          ),
      }),
    )
    .min(1, "at least one admin SSH public key is required"),
  /** Who may reach SSH (22) and the Kubernetes API (6443). */
  adminCidrs,
  controlPlane: z.strictObject({
    /** Embedded etcd needs an odd member count for quorum. */
    count: z
      .number()
      .int()
      .min(1)
      .max(7)
      .refine((n) => n % 2 === 1, { message: "must be odd (1, 3, 5 or 7): etcd needs a majority to keep quorum" }),
    serverType,
  }),
  workerPools: z
    .array(
      z.strictObject({
        name: dnsLabel,
        serverType,
        count: z.number().int().min(0).max(100),
        /** Extra node labels for scheduling (e.g. dedicated ingest nodes). */
        labels: z.record(z.string(), z.string()).default({}),
      }),
    )
    .min(1, "at least one worker pool is required"),
  /** Hetzner load balancer type for the API (HA sites) and ingress. */
  loadBalancerType: z
    .string()
    .refine((t) => t in LOAD_BALANCER_TYPES, {
      message: `must be one of ${Object.keys(LOAD_BALANCER_TYPES).join(", ")}`,
    })
    .default("lb11"),
  /** How far the sum of tenant quotas may exceed worker capacity (requests are rarely all used). */
  overcommit: z.number().min(1).max(10).default(1.5),
});

export const k3sSchema = z.strictObject({
  /** k3s release, pinned (e.g. v1.32.5+k3s1). */
  version: z.string().regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, "must be a k3s release like v1.32.5+k3s1"),
  clusterCidr: cidr4.default("10.42.0.0/16"),
  serviceCidr: cidr4.default("10.43.0.0/16"),
  etcdSnapshots: z.strictObject({
    /** Cron schedule, five fields. */
    schedule: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, "must be a five-field cron expression like '0 */6 * * *'")
      .default("0 */6 * * *"),
    retention: z.number().int().min(1).max(500).default(28),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name"),
    /** S3 endpoint host, no scheme (Hetzner Object Storage: <region>.your-objectstorage.com). */
    endpoint: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?$/, "must be a host name without scheme, like fsn1.your-objectstorage.com"),
    region: z.string().min(1),
    folder: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
  }),
  /** Disaster recovery: restore etcd from this snapshot on the first control plane (off by default). */
  restore: z
    .strictObject({
      enabled: z.boolean().default(false),
      snapshot: z
        .string()
        .regex(/^[A-Za-z0-9._-]+$/, "must be a snapshot object name from the bucket")
        .optional(),
    })
    .refine((r) => !r.enabled || !!r.snapshot, {
      message: "restore.enabled needs restore.snapshot",
      path: ["snapshot"],
    })
    .default({ enabled: false }),
});

const chartPin = z.strictObject({ version: semverish });

export const platformSchema = z.strictObject({
  /** Base domain; ArgoCD is argocd.<baseDomain>. */
  baseDomain: dnsName,
  /** Let's Encrypt account email. */
  letsEncryptEmail: z.string().email("must be an email address"),
  /** ACME server: production, or staging for test sites (rate limits). */
  letsEncryptServer: z.enum(["production", "staging"]).default("production"),
  /** The platform's own GitOps repository (the ArgoCD root app). */
  gitops: z.strictObject({
    repoURL: gitRepoURL,
    path: z.string().min(1),
    targetRevision: z.string().min(1).default("main"),
    username: z.string().min(1).default("git"),
  }),
  /** Bounded wait for the Kubernetes API to answer /readyz. */
  readinessTimeoutMinutes: z.number().int().min(1).max(60).default(10),
  /** Bounded wait for each Helm release. */
  helmTimeoutSeconds: z.number().int().min(60).max(3600).default(600),
  /** Per-site chart version overrides; defaults live in components/versions.ts. */
  charts: z
    .strictObject(
      Object.fromEntries(Object.keys(DEFAULT_VERSIONS.charts).map((k) => [k, chartPin.optional()])) as Record<
        keyof typeof DEFAULT_VERSIONS.charts,
        z.ZodOptional<typeof chartPin>
      >,
    )
    .default({}),
});

export type SiteConfig = z.infer<typeof siteSchema>;
export type K3sConfig = z.infer<typeof k3sSchema>;
export type PlatformConfig = z.infer<typeof platformSchema>;
