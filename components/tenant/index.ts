import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import type { StackConfig } from "../config/load";
import type { Platform } from "../platform";

/** A validated tenant file. SKELETON (issue 3 defines the full schema and validation). */
export interface TenantSpec {
  name: string;
  displayName: string;
  tier: "small" | "standard" | "premium";
  /** The file it came from, relative to the project root. */
  file: string;
}

/** Loads and validates every tenant file before any resource is declared. */
export function loadTenants(config: StackConfig): TenantSpec[] {
  const dir = resolve(config.tenantsDir);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ ...(parse(readFileSync(join(dir, f), "utf8")) as TenantSpec), file: join(config.tenantsDir, f) }));
}

export interface TenantArgs {
  /** The validated tenant file. */
  spec: TenantSpec;
  /** The validated stack configuration. */
  config: StackConfig;
  /** The platform the tenant runs on (provider, ArgoCD, ingress). */
  platform: Platform;
}

/** One customer: a locked-down, budgeted namespace wired into GitOps. SKELETON (issue 3). */
export class Tenant extends pulumi.ComponentResource {
  public readonly namespace: string;
  public readonly spec: TenantSpec;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:tenant:Tenant", name, {}, opts);
    this.spec = args.spec;
    this.namespace = args.spec.name;
    new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: args.spec.name, labels: { "platform.video/tenant": args.spec.name } } },
      { parent: this, provider: args.platform.provider, protect: args.config.protected },
    );
    this.registerOutputs({ namespace: this.namespace });
  }
}
