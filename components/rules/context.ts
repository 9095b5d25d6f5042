/**
 * The site facts rules compare against, from a stack file's `config:` mapping: the same file the
 * program reads, so the plan (tools/plan/cli.ts) and the policy pack (policy/, which reads
 * `Pulumi.<stack>.yaml` beside the project) judge a stack by one context. Only plain keys are
 * read; secrets are never touched.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { k3sSchema, PROJECT } from "../config/schema";
import { METADATA_CIDR } from "../tenant/contract";
import { arr, rec, SiteContext, str } from "./types";

/** Ranges tenant pods must never reach: the cloud metadata address and the site's private ranges. */
export function blockedRangesOf(networkCidr: string, clusterCidr: string, serviceCidr: string): string[] {
  return [...new Set([METADATA_CIDR, networkCidr, clusterCidr, serviceCidr])];
}

/** The context of `stack` from its parsed `config:` mapping (defaults as the config schema's). */
export function siteContext(stack: string, config: Record<string, unknown>): SiteContext {
  const site = rec(config[`${PROJECT}:site`]);
  const k3s = rec(config[`${PROJECT}:k3s`]);
  const clusterCidr = str(k3s.clusterCidr) || k3sSchema.shape.clusterCidr.parse(undefined);
  const serviceCidr = str(k3s.serviceCidr) || k3sSchema.shape.serviceCidr.parse(undefined);
  return {
    stack,
    protected: config[`${PROJECT}:protected`] === true,
    adminCidrs: arr(site.adminCidrs).map(str),
    blockedRanges: blockedRangesOf(str(site.networkCidr), clusterCidr, serviceCidr),
  };
}

/** Reads `<root>/Pulumi.<stack>.yaml` and returns its context. */
export function siteContextFromFile(root: string, stack: string): SiteContext {
  const file = join(root, `Pulumi.${stack}.yaml`);
  const doc = parseDocument(readFileSync(file, "utf8"), { uniqueKeys: true });
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
  return siteContext(stack, rec(rec(doc.toJS()).config));
}
