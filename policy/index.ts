/**
 * The guardrails policy pack: `pulumi preview --policy-pack policy` (from the project root).
 * Every policy is mandatory: a broken guardrail fails the preview, and with it `pulumi up`.
 */
import { PolicyPack } from "@pulumi/policy";
import { resolve } from "node:path";
import { siteContextFromFile, SiteContext } from "../components/rules";
import { guardrailPolicies } from "./policies";

// The CLI starts the pack in its own directory; the project, with its Pulumi.<stack>.yaml files
// (the site facts: protected, admin CIDRs, private ranges), is the directory above.
const projectRoot = resolve(process.cwd(), "..");
const contexts = new Map<string, SiteContext>();
const contextFor = (stack: string): SiteContext => {
  let c = contexts.get(stack);
  if (!c) {
    c = siteContextFromFile(projectRoot, stack);
    contexts.set(stack, c);
  }
  return c;
};

new PolicyPack("video-platform-guardrails", {
  description: "Tenant isolation, exposure and protection guardrails (components/rules), one policy per rule id",
  enforcementLevel: "mandatory",
  policies: guardrailPolicies(contextFor),
});
