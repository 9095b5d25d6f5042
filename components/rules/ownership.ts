/**
 * What the platform owns inside a tenant namespace, and the credentials a tenant could otherwise
 * mint (issue 25), enforced at admission like workloads.ts (admission.ts lists these policies and
 * gives each the same plan check: the policy and its Deny binding declared exactly as here).
 *
 * The tenant-admin role grants every verb on Secrets and ServiceAccounts (apps need their own),
 * and the sync role every sync verb on ServiceAccounts; RBAC cannot tell the platform's objects
 * among them from the tenant's (resourceNames can only allow, and would have to list every name
 * a tenant may ever use). So admission tells them apart by the label every object the platform
 * declares for a tenant carries (platform.video/tenant: components/tenant/manifests.ts labels()):
 * only the platform's identities may create, change or delete such an object, or give an object
 * that label. Separately, no one mints a ServiceAccount token Secret in a tenant namespace, and no
 * tenant pod runs as the identity Argo CD syncs the tenant as.
 */
import type { AdmissionPolicy } from "./types";
import { SYNC_SERVICE_ACCOUNT, TENANT_LABEL } from "../tenant/contract";
import { POD_RESOURCES, POD_VARIABLES } from "./workloads";

/**
 * The API server's built-in cluster-admin group. Pulumi's kubeconfig user is in it (O=system:masters,
 * components/site/pki.ts) and must keep changing what it declares; anyone in the group could delete
 * the policies themselves, so exempting it gives nothing away.
 */
export const CLUSTER_ADMIN_GROUP = "system:masters";
/**
 * The namespace controller (kube-controller-manager with use-service-account-credentials, as k3s.ts
 * sets it): it deletes everything in a namespace being deleted, the platform's objects included.
 */
export const NAMESPACE_CONTROLLER = "system:serviceaccount:kube-system:namespace-controller";
/** The Secret type the token controller fills with a ServiceAccount token that never expires. */
export const SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token";

const tenantNamespaces = { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] };
const lit = (s: string) => `'${s}'`;

export const OWNERSHIP_POLICIES: readonly AdmissionPolicy[] = [
  {
    rule: "TEN-OWN-001",
    key: "platform-objects",
    name: "platform-tenant-platform-objects",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        namespaceSelector: tenantNamespaces,
        // Matched when the old or the new object carries the label (the API server evaluates the
        // selector against both): removing the label is a change to a platform object, adding it
        // a forgery. Namespaced only: the Namespace itself is TEN-NSL-001's.
        objectSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] },
        resourceRules: [
          {
            apiGroups: ["*"],
            apiVersions: ["*"],
            operations: ["CREATE", "UPDATE", "DELETE"],
            resources: ["*"],
            scope: "Namespaced",
          },
        ],
      },
      validations: [
        {
          expression: `${lit(CLUSTER_ADMIN_GROUP)} in request.userInfo.groups || request.userInfo.username == ${lit(NAMESPACE_CONTROLLER)}`,
          messageExpression: `'the ' + request.kind.kind + ' ' + request.name + ' carries the label ${TENANT_LABEL}: the platform declares it for the tenant (Pulumi, from the tenant file), and only the platform may create, change or delete it or give an object that label'`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-CRED-001",
    key: "token-secrets",
    name: "platform-tenant-token-secrets",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        namespaceSelector: tenantNamespaces,
        resourceRules: [
          { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["secrets"] },
          {
            apiGroups: ["bitnami.com"],
            apiVersions: ["*"],
            operations: ["CREATE", "UPDATE"],
            resources: ["sealedsecrets"],
          },
        ],
      },
      variables: [
        {
          // A Secret's own type, or the type of the Secret a SealedSecret unseals into (its
          // spec.template.type): in a variable, so each kind's fields type-check for both.
          name: "type",
          expression:
            "object.kind == 'SealedSecret' ? (has(object.spec.template) && has(object.spec.template.type) ? object.spec.template.type : '') : (has(object.type) ? object.type : '')",
        },
      ],
      validations: [
        {
          expression: `variables.type != ${lit(SERVICE_ACCOUNT_TOKEN_TYPE)}`,
          message: `a Secret of type ${SERVICE_ACCOUNT_TOKEN_TYPE} (or a SealedSecret that unseals into one) cannot be created in a tenant namespace: the token controller fills it with a ServiceAccount token that never expires; pods get short-lived, bound tokens by projection`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
  {
    rule: "TEN-CRED-002",
    key: "service-accounts",
    name: "platform-tenant-service-accounts",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: POD_RESOURCES },
      variables: POD_VARIABLES,
      validations: [
        {
          // serviceAccount is the deprecated alias the API server still copies into serviceAccountName.
          expression: `(!has(variables.spec.serviceAccountName) || variables.spec.serviceAccountName != ${lit(SYNC_SERVICE_ACCOUNT)}) && (!has(variables.spec.serviceAccount) || variables.spec.serviceAccount != ${lit(SYNC_SERVICE_ACCOUNT)})`,
          message: `tenant pods may not run as the ServiceAccount ${SYNC_SERVICE_ACCOUNT}: Argo CD syncs the tenant's repository as it, and a pod running as it carries its token (every pod would hold the sync rights)`,
          reason: "Forbidden",
        },
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
];

/** The catalog entries of these policies (admission.ts adds their plan check). */
export const OWNERSHIP_RULE_TEXT: readonly { id: string; description: string; fix: string }[] = [
  {
    id: "TEN-OWN-001",
    description: `in a tenant namespace, only the platform (cluster admins, and the namespace controller deleting the namespace) creates, changes or deletes an object labelled ${TENANT_LABEL} (the ServiceAccount Argo CD syncs as, the stream key, the quotas, limits, policy and bindings), or gives an object that label`,
    fix: `change the tenant's platform objects through its file and Pulumi; keep the platform-tenant-platform-objects policy and binding as components/rules/ownership.ts declares them`,
  },
  {
    id: "TEN-CRED-001",
    description: `no Secret of type ${SERVICE_ACCOUNT_TOKEN_TYPE} in tenant namespaces, directly or unsealed from a SealedSecret (a token that never expires)`,
    fix: "mount a projected serviceAccountToken volume instead; keep the platform-tenant-token-secrets policy and binding as components/rules/ownership.ts declares them",
  },
  {
    id: "TEN-CRED-002",
    description: `tenant pods (and workload templates) do not run as the ServiceAccount ${SYNC_SERVICE_ACCOUNT}, the identity Argo CD syncs the tenant as`,
    fix: "give the app its own ServiceAccount; keep the platform-tenant-service-accounts policy and binding as components/rules/ownership.ts declares them",
  },
];
