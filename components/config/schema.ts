import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import {
  LOAD_BALANCER_TYPES,
  LOCATIONS,
  RETIRED_SERVER_TYPES,
  SERVER_TYPES,
  serverTypeOrderProblem,
} from "../site/catalog";
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
export const PLAIN_KEYS = ["protected", "site", "k3s", "platform", "tenantsDir"] as const;

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

const serverType = z
  .string()
  .superRefine((t, ctx) => {
    if (t in SERVER_TYPES) return;
    const retired = RETIRED_SERVER_TYPES[t];
    ctx.addIssue({
      code: "custom",
      message: retired
        ? `${t} is no longer sold by Hetzner (${retired.why}): use ${retired.use}`
        : `must be a Hetzner server type from components/site/catalog.ts (${Object.keys(SERVER_TYPES).join(", ")})`,
    });
  })
  .meta({ enum: Object.keys(SERVER_TYPES) });

const semverish = z.string().regex(/^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.+-]+)?$/, "must be a pinned version like 1.2.3");

const gitRepoURL = z
  .string()
  .refine((u) => /^https:\/\/[^\s/@:]+(:\d+)?\/\S+$/.test(u) || /^(ssh:\/\/)?git@[^\s/:]+[:/]\S+$/.test(u), {
    message: "must be an https:// URL without credentials, or an ssh URL like git@host:org/repo.git",
  });

/**
 * k3s reads `etcd-snapshot-schedule-cron` with Go's standard five-field cron parser, so the
 * schedule must have exactly five fields, each within its range: checked with cron-parser (a
 * malformed schedule would otherwise surface only when k3s refuses to start on a new server).
 */
const CRON_FIELDS: Record<string, string> = {
  "0-59": "minute",
  "0-23": "hour",
  "1-31": "day-of-month",
  "1-12": "month",
  "0-7": "day-of-week",
};
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  const shape = `five fields (minute hour day-of-month month day-of-week), like "0 */6 * * *"`;
  if (fields.length !== 5) return `must be a cron expression of ${shape}; got ${fields.length} field(s)`;
  try {
    CronExpressionParser.parse(fields.join(" "));
    return undefined;
  } catch (e) {
    const msg = (e as Error).message;
    const m = /got value (\S+) expected range (\d+-\d+)/.exec(msg);
    if (m) return `${CRON_FIELDS[m[2]] ?? "a"} field: ${m[1]} is outside ${m[2]}; a cron expression has ${shape}`;
    return `is not a valid cron expression (${msg}); it needs ${shape}`;
  }
}
const cronSchedule = z.string().superRefine((s, ctx) => {
  const problem = cronProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * Elastic capacity of a worker pool, in nodes the cluster-autoscaler manages beside the pool's
 * fixed `count` (components/site/autoscale.ts turns it into a node group).
 */
export const autoscaleSchema = z
  .strictObject({
    min: z
      .number()
      .int()
      .min(0)
      .max(100)
      .describe("Autoscaled nodes always present (counted as guaranteed capacity for tenant quotas)"),
    max: z
      .number()
      .int()
      .min(0)
      .max(100)
      .describe("Most autoscaled nodes the autoscaler may create (counted in site.serverLimit and the cost range)"),
  })
  .refine((a) => a.min <= a.max, {
    message: "autoscale.min must not exceed autoscale.max (0 <= min <= max)",
    path: ["min"],
  })
  .refine((a) => a.max >= 1, {
    message: "autoscale.max must be at least 1; remove `autoscale` for a pool without elastic nodes",
    path: ["max"],
  })
  .describe(
    "Elastic nodes the cluster-autoscaler adds and removes on top of `count`, between min and max (docs/autoscaling.md)",
  );

// ---------------------------------------------------------------------------------------------
// Sections. Every key carries its description (and where useful an example) as zod metadata:
// the loader's errors, docs/configuration.md and schemas/stack.schema.json all come from here.

export const siteSchema = z
  .strictObject({
    location: z.enum(LOCATIONS, { message: `must be a Hetzner location: ${LOCATIONS.join(", ")}` }).meta({
      description: "Hetzner location of every server; relocating the site is changing this.",
      examples: ["fsn1"],
    }),
    networkCidr: cidr4.meta({
      description:
        "The private network's IPv4 range, /20 or larger; addresses are planned from it (components/site/addresses.ts).",
      examples: ["10.10.0.0/16"],
    }),
    // Hetzner's image name for the current Debian stable (13 "trixie", checked 2026-11-30; Debian 12
    // left regular security support in 2026). The cloud-init schema tests validate against trixie's
    // cloud-init (tools/ensure-tools.sh); renovate.json raises a reminder for this pin.
    image: z
      .string()
      .min(1)
      .meta({ description: "Hetzner OS image of every server (the current Debian stable)." })
      .default("debian-13"),
    sshKeys: z
      .array(
        z.strictObject({
          name: dnsLabel.meta({ description: "Key name (DNS label), unique in the list." }),
          publicKey: z
            .string()
            .regex(
              /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/,
              "must be an OpenSSH public key line",
            )
            .meta({ description: "An OpenSSH public key line (never a private key)." }),
        }),
      )
      .min(1, "at least one admin SSH public key is required")
      .meta({ description: "Admins' SSH public keys, installed on every server through cloud-init." }),
    adminCidrs: adminCidrs.meta({
      description:
        "Who may reach SSH (22) and the Kubernetes API (6443) through the firewall: office/VPN ranges, never the whole internet.",
      examples: [["198.51.100.0/28"]],
    }),
    controlPlane: z
      .strictObject({
        count: z
          .number()
          .int()
          .min(1)
          .max(7)
          .refine((n) => n % 2 === 1, { message: "must be odd (1, 3, 5 or 7): etcd needs a majority to keep quorum" })
          .meta({ description: "Control planes (embedded etcd): odd, for quorum; 3 for an HA site.", examples: [3] }),
        serverType: serverType.meta({ description: "Hetzner server type of the control planes.", examples: ["cx33"] }),
      })
      .meta({ description: "The k3s servers." }),
    workerPools: z
      .array(
        z.strictObject({
          name: dnsLabel.meta({
            description: "Pool name (DNS label); it keys the pool's servers, so never reuse one.",
          }),
          serverType: serverType.meta({
            description: "Hetzner server type of the pool's workers.",
            examples: ["cx43"],
          }),
          count: z
            .number()
            .int()
            .min(0)
            .max(100)
            .meta({
              description:
                "Workers Pulumi creates and keeps (fixed capacity, 0–100); autoscaled nodes come on top of them.",
            })
            .default(0),
          autoscale: autoscaleSchema.optional(),
          location: z
            .enum(LOCATIONS, { message: `must be a Hetzner location: ${LOCATIONS.join(", ")}` })
            .meta({
              description:
                "Location of this pool's autoscaled nodes; default site.location, and it must be in the same network zone (the private network is per zone). Fixed workers always live in site.location.",
            })
            .optional(),
          labels: z
            .record(z.string(), z.string())
            .meta({ description: "Extra node labels for scheduling (e.g. dedicated ingest nodes)." })
            .default({}),
          /**
           * Node taints (k3s node-taint, `key=value:Effect`) that keep everything but the pool's
           * own workloads off it, e.g. platform.video/dedicated=ingest:NoSchedule on the ingest
           * pool; which tenant pods may tolerate them is admission's call (TEN-SCHED-001).
           */
          taints: z
            .array(
              z
                .string()
                .regex(
                  /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?(=[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?:(NoSchedule|PreferNoSchedule|NoExecute)$/,
                  "must be a node taint like platform.video/dedicated=ingest:NoSchedule (key[=value]:NoSchedule|PreferNoSchedule|NoExecute)",
                ),
            )
            .default([]),
        }),
      )
      .min(1, "at least one worker pool is required")
      .meta({ description: "Worker pools, keyed by name; tenants run only on workers." }),
    serverLimit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .meta({
        description:
          "The Hetzner project's server limit as Hetzner set it (Console → project → Limits; Hetzner raises it on request). Control planes + fixed workers + every autoscaled pool's max must fit, or scale-ups fail at the quota in the middle of an event. The default 25 is only a guess: set the real value.",
        examples: [20],
      })
      .default(25),
    loadBalancerType: z
      .string()
      .refine((t) => t in LOAD_BALANCER_TYPES, {
        message: `must be one of ${Object.keys(LOAD_BALANCER_TYPES).join(", ")}`,
      })
      .meta({
        description: "Hetzner load balancer type for the API (HA sites) and the edge.",
        enum: Object.keys(LOAD_BALANCER_TYPES),
      })
      .default("lb11"),
    overcommit: z
      .number()
      .min(1)
      .max(10)
      .meta({
        description:
          "How far the sum of tenant CPU and memory quotas may exceed the workers' capacity (a factor, 1–10; requests are rarely all used).",
      })
      .default(1.5),
  })
  // Hetzner sells some lines only in some locations (components/site/catalog.ts, orderableIn): a
  // type it would refuse at `pulumi up`, after other resources were created, is refused here.
  .superRefine((site, ctx) => {
    const check = (type: string, path: (string | number)[]) => {
      const problem = serverTypeOrderProblem(type, site.location);
      if (problem) ctx.addIssue({ code: "custom", path, message: problem });
    };
    check(site.controlPlane.serverType, ["controlPlane", "serverType"]);
    site.workerPools.forEach((p, i) => check(p.serverType, ["workerPools", i, "serverType"]));
  });

export const k3sSchema = z.strictObject({
  version: z
    .string()
    .regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, "must be a k3s release like v1.36.4+k3s1")
    .meta({
      description:
        "k3s release, pinned; new servers install it (upgrades: runbook 10). Its minor must be one the pinned hcloud CCM, CSI and Envoy Gateway support (components/versions.ts).",
      examples: ["v1.36.4+k3s1"],
    }),
  clusterCidr: cidr4.meta({ description: "Pod network range; disjoint from networkCidr." }).default("10.42.0.0/16"),
  serviceCidr: cidr4.meta({ description: "Service network range; disjoint from the others." }).default("10.43.0.0/16"),
  etcdSnapshots: z
    .strictObject({
      schedule: cronSchedule
        .meta({
          description: "When k3s snapshots etcd: a five-field cron expression, in UTC.",
          examples: ["0 */6 * * *"],
        })
        .default("0 */6 * * *"),
      retention: z.number().int().min(1).max(500).meta({ description: "Snapshots kept (a count, 1–500)." }).default(28),
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name")
        .meta({ description: "S3 bucket for the snapshots (created outside Pulumi).", examples: ["vp-prod-etcd"] }),
      endpoint: z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?$/, "must be a host name without scheme, like fsn1.your-objectstorage.com")
        .meta({
          description: "S3 endpoint host, no scheme (Hetzner Object Storage: <region>.your-objectstorage.com).",
          examples: ["fsn1.your-objectstorage.com"],
        }),
      region: z
        .string()
        .min(1)
        .meta({ description: "S3 region.", examples: ["fsn1"] }),
      folder: z
        .string()
        .regex(/^[A-Za-z0-9._-]+$/)
        .optional()
        .meta({ description: "Folder (prefix) inside the bucket, so sites can share one." }),
    })
    .meta({ description: "etcd snapshots to S3 (keys: the etcdS3AccessKey/etcdS3SecretKey secrets)." }),
  restore: z
    .strictObject({
      enabled: z
        .boolean()
        .meta({ description: "Restore on the next newly created first control plane." })
        .default(false),
      snapshot: z
        .string()
        .regex(/^[A-Za-z0-9._-]+$/, "must be a snapshot object name from the bucket")
        .optional()
        .meta({ description: "Snapshot object name in the bucket." }),
    })
    .refine((r) => !r.enabled || !!r.snapshot, {
      message: "restore.enabled needs restore.snapshot",
      path: ["snapshot"],
    })
    .meta({
      description:
        "Disaster recovery: restore etcd from a snapshot on the first control plane (runbook 02). Off by default.",
    })
    .default({ enabled: false }),
});

const chartPin = z.strictObject({
  version: semverish.meta({ description: "Chart version, pinned.", examples: ["8.1.4"] }),
});

export const platformSchema = z.strictObject({
  baseDomain: dnsName.meta({
    description: "Base domain of the site; Argo CD is argocd.<baseDomain>.",
    examples: ["video.example.com"],
  }),
  letsEncryptEmail: z.string().email("must be an email address").meta({ description: "Let's Encrypt account email." }),
  letsEncryptServer: z
    .enum(["production", "staging"])
    .meta({ description: "ACME server: production, or staging for test sites (rate limits)." })
    .default("production"),
  gitops: z
    .strictObject({
      repoURL: gitRepoURL.meta({
        description: "Repository URL: https:// without credentials, or ssh (git@host:org/repo.git).",
        examples: ["https://git.example.com/platform/gitops.git"],
      }),
      path: z.string().min(1).meta({ description: "Path of the root app inside the repository." }),
      targetRevision: z.string().min(1).meta({ description: "Branch, tag or commit to sync." }).default("main"),
      username: z
        .string()
        .min(1)
        .meta({ description: "User name for https (the gitopsRepoPassword secret is the token)." })
        .default("git"),
    })
    .meta({ description: "The platform's own GitOps repository (the Argo CD root app)." }),
  readinessTimeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(60)
    .meta({ description: "Bounded wait for the Kubernetes API to answer /readyz, in minutes (1–60)." })
    .default(10),
  helmTimeoutSeconds: z
    .number()
    .int()
    .min(60)
    .max(3600)
    .meta({ description: "Bounded wait for each Helm release, in seconds (60–3600)." })
    .default(600),
  charts: z
    .strictObject(
      Object.fromEntries(Object.keys(DEFAULT_VERSIONS.charts).map((k) => [k, chartPin.optional()])) as Record<
        keyof typeof DEFAULT_VERSIONS.charts,
        z.ZodOptional<typeof chartPin>
      >,
    )
    .meta({ description: "Per-site chart version overrides; the defaults are in components/versions.ts." })
    .default({}),
});

/** A stack file's `video-platform:` keys besides the secrets, as the loader validates them. */
export const stackConfigSchema = z.strictObject({
  protected: z
    .boolean()
    .meta({
      description:
        "Protected stacks (prod) `protect` servers, network, load balancers, volumes and tenant namespaces: a change that would delete one fails.",
    })
    .default(false),
  site: siteSchema.meta({ description: "The Hetzner site: location, network, servers (docs/site.md)." }),
  k3s: k3sSchema.meta({ description: "k3s: version, networks, etcd snapshots and restore (docs/site.md)." }),
  platform: platformSchema.meta({ description: "Platform services: domain, certificates, GitOps, timeouts, charts." }),
  tenantsDir: z
    .string()
    .min(1)
    .meta({ description: "Directory of tenant files, relative to the project root." })
    .default("tenants"),
});

export type SiteConfig = z.infer<typeof siteSchema>;
export type K3sConfig = z.infer<typeof k3sSchema>;
export type PlatformConfig = z.infer<typeof platformSchema>;
