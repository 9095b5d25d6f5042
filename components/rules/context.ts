/**
 * The site facts rules compare against, from a stack file's `config:` mapping: the same file the
 * program reads, validated by the same loader (components/config/load.ts), so the plan
 * (tools/plan/cli.ts) and the policy pack (policy/, which reads `Pulumi.<stack>.yaml` beside the
 * project) judge a stack by exactly the values the program uses: an unprefixed key, a default,
 * an invalid value are read the program's way. Only plain keys are read; secrets never.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { InputError } from "../config/errors";
import { validateStackConfig } from "../config/load";
import { etcdQuotaBytes } from "../site/k3s";
import { METADATA_CIDR } from "../tenant/contract";
import { rec, SiteContext } from "./types";

/** Ranges tenant pods must never reach: the cloud metadata address and the site's private ranges. */
export function blockedRangesOf(networkCidr: string, clusterCidr: string, serviceCidr: string): string[] {
  return [...new Set([METADATA_CIDR, networkCidr, clusterCidr, serviceCidr])];
}

/**
 * The context of `stack` from its `config:` mapping as written. Invalid config throws the
 * loader's InputError (every problem, by file and key): there is no site to judge a plan by.
 */
export function siteContext(stack: string, config: Record<string, unknown>): SiteContext {
  const { config: c, problems } = validateStackConfig(stack, config);
  if (!c || problems.length) throw new InputError(problems);
  return {
    stack,
    protected: c.protected,
    adminCidrs: [...c.site.adminCidrs],
    blockedRanges: blockedRangesOf(c.site.networkCidr, c.k3s.clusterCidr, c.k3s.serviceCidr),
    datastore: {
      quotaBytes: etcdQuotaBytes(c.site.controlPlane.serverType),
      serverType: c.site.controlPlane.serverType,
    },
  };
}

/** Reads `<root>/Pulumi.<stack>.yaml` and returns its context. */
export function siteContextFromFile(root: string, stack: string): SiteContext {
  const file = join(root, `Pulumi.${stack}.yaml`);
  const doc = parseDocument(readFileSync(file, "utf8"), { uniqueKeys: true });
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
  return siteContext(stack, rec(rec(doc.toJS()).config));
}
