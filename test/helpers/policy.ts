/**
 * Runs a stack policy as the policy engine would, outside the engine: the args the SDK hands a
 * `validateStack`, and every reported violation collected. Shared by the policy pack's suites
 * (test/policy.test.ts, test/rules-site-secrets.test.ts).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";

export interface Reported {
  message: string;
  urn?: string;
}

export async function validateStack(policy: StackValidationPolicy, resources: PolicyResource[]): Promise<Reported[]> {
  const reported: Reported[] = [];
  await policy.validateStack(
    {
      resources,
      stackTags: new Map(),
      getConfig: <T>() => ({}) as T,
      notApplicable: (reason?: string) => {
        throw new Error(`not applicable: ${reason}`);
      },
    },
    (message, urn) => reported.push({ message, urn }),
  );
  return reported;
}
