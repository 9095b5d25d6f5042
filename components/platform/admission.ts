/**
 * The cluster's own guardrails for what tenants apply through Argo CD or kubectl: native
 * ValidatingAdmissionPolicies and their Deny bindings, exactly as components/rules/admission.ts
 * writes them (the plan and policy-pack rules compare the declared objects against that data).
 * They go through the gated provider like every other object, and Argo CD is installed after
 * them (index.ts), so no tenant app is ever synced into a cluster without them.
 */
import * as k8s from "@pulumi/kubernetes";
import { CLUSTER_POLICIES } from "../rules";
import { admissionManifests } from "../rules/admission";
import { k8sOpts, PlatformContext } from "./releases";

export interface AdmissionParts {
  policies: k8s.admissionregistration.v1.ValidatingAdmissionPolicy[];
  /** The bindings: a policy acts only once bound, so this is what "guardrails in place" waits for. */
  bindings: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding[];
}

export function admission(ctx: PlatformContext): AdmissionParts {
  const policies: AdmissionParts["policies"] = [];
  const bindings: AdmissionParts["bindings"] = [];
  for (const p of CLUSTER_POLICIES) {
    const m = admissionManifests(p);
    // The data is typed by components/rules (no SDK there, so the policy pack stays light); the
    // shapes are checked against the Kubernetes schema in test/rules.test.ts (kubernetes-models).
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${ctx.name}-vap-${p.key}`,
      m.policy as unknown as k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs,
      k8sOpts(ctx),
    );
    bindings.push(
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        `${ctx.name}-vap-${p.key}-binding`,
        // Naming the declared policy's output orders the binding after it.
        { ...m.binding, spec: { ...m.binding.spec, policyName: policy.metadata.name } },
        k8sOpts(ctx),
      ),
    );
    policies.push(policy);
  }
  return { policies, bindings };
}
