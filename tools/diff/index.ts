/**
 * The offline plan diff: what merging a change would do to a site, computed without any secret,
 * state or cloud access, so it also runs for pull requests from forks.
 *
 *   diffAgainstRef({ base: "origin/main", stack: "prod" })  → { diff, meta, ... }
 *   diffPlans(basePlan, headPlan)                           → PlanDiff (pure, for tests and the bench)
 */
import { validateStackConfig } from "../../components/config/load";
import { readStackConfig, type Plan } from "../plan/runtime";
import { diffPlans, emptyPlan, PlanDiff } from "./compare";
import type { DiffMeta } from "./markdown";
import { tenantReview } from "./tenants";
import {
  type ChildPlanOptions,
  DiffError,
  extractCommit,
  lockfileDiffers,
  newDigestKey,
  planInChild,
  removeDir,
  resolveRef,
} from "./refs";

export { diffPlans, emptyPlan } from "./compare";
export type { Action, InputChange, PlanDiff, ResourceChange, ComponentSummary } from "./compare";
export { renderMarkdown, renderText, commentMarker, COMMENT_LIMIT } from "./markdown";
export type { DiffMeta } from "./markdown";
export { newDigestKey, DiffError } from "./refs";

export interface DiffOptions {
  /** The working tree to compare (a git checkout). */
  root: string;
  /** Git ref of the base (branch, tag, SHA, HEAD). */
  base: string;
  stack: string;
  /** Tenants directory relative to the project, used on both sides. */
  tenants?: string;
  /** Build the working tree before planning it (the CLI's `npm run plan` has just built it). */
  buildHead: boolean;
  /** Secret digest key shared by both plans; a fresh random one by default. */
  digestKey?: string;
  /** A base plan computed earlier with the same key (tests reuse it across cases). */
  basePlan?: Plan;
  /**
   * Plans the working tree; a child process running its plan CLI by default (`planInChild`).
   * The diff tests plan the head in-process instead: same program and inputs, no process start.
   */
  planHead?: (o: ChildPlanOptions) => Promise<Plan | null>;
}

export interface DiffResult {
  diff: PlanDiff;
  meta: DiffMeta;
  basePlan: Plan;
  headPlan: Plan;
  digestKey: string;
  /** Wall time in ms (base and head plan concurrently). */
  ms: number;
}

/** Plans the base ref and the working tree (both offline, concurrently) and compares them. */
export async function diffAgainstRef(o: DiffOptions): Promise<DiffResult> {
  const started = Date.now();
  const commit = resolveRef(o.root, o.base);
  const digestKey = o.digestKey ?? newDigestKey();
  const notes: string[] = [];
  let baseDir: string | undefined;
  try {
    const basePlan = o.basePlan
      ? Promise.resolve(o.basePlan)
      : (async () => {
          baseDir = extractCommit(o.root, commit);
          if (lockfileDiffers(o.root, baseDir))
            notes.push("package-lock.json differs: the base was planned with this change's dependencies");
          const p = await planInChild({ dir: baseDir, stack: o.stack, tenants: o.tenants, digestKey, build: true });
          if (!p) notes.push(`stack ${o.stack} does not exist at the base: everything is new`);
          return p ?? emptyPlan("", o.stack);
        })();
    const headPlan = (o.planHead ?? planInChild)({
      dir: o.root,
      stack: o.stack,
      tenants: o.tenants,
      digestKey,
      build: o.buildHead,
    });
    // Both settle before the base directory is removed (a failing side must not pull it away
    // from a still-running child).
    const [bs, hs] = await Promise.allSettled([basePlan, headPlan]);
    if (bs.status === "rejected") throw bs.reason;
    if (hs.status === "rejected") throw hs.reason;
    const [b, h] = [bs.value, hs.value];
    if (!h) throw new DiffError(`Pulumi.${o.stack}.yaml: no such stack file in ${o.root}`);
    const diff = diffPlans(b, h);
    // The head's own config gives the site's capacity after the change (the plan passed, so it is valid).
    const site = validateStackConfig(o.stack, readStackConfig(o.stack, o.root)).config?.site;
    return {
      diff,
      meta: { baseRef: o.base, baseCommit: commit, notes, review: tenantReview(b, h, site) },
      basePlan: b,
      headPlan: h,
      digestKey,
      ms: Date.now() - started,
    };
  } finally {
    if (baseDir) removeDir(baseDir);
  }
}
