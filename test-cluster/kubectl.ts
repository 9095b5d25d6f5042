/** kubectl for the cluster `up` started (its binary and admin kubeconfig). */
import { join } from "node:path";
import type { Kubectl } from "../tools/cluster/apply";
import { applied, STATE } from "./cluster";

export function kubeconfigFor(): Kubectl {
  return { bin: applied().kubectl, kubeconfig: join(STATE, "kubeconfig"), cacheDir: join(STATE, "kubectl-cache") };
}
