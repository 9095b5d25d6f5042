/**
 * What every tenant is made of, as the product defines it: the labels the platform sets on a
 * tenant namespace, the Pod Security level it enforces, the kinds a tenant may never change, the
 * quota keys it always has. The tenant manifests (manifests.ts) build from these and the rules
 * (components/rules/tenant-objects.ts) check the built objects against them; the tests write the
 * values out literally, so weakening one here fails them rather than moving both sides along.
 */

/** The Pod Security Standards level every tenant namespace enforces, audits and warns at. */
export const PSS_LEVEL = "restricted";
/** The one ClusterRole tenant RoleBindings may reference (components/tenant/manifests.ts). */
export const TENANT_ADMIN_ROLE = "platform-tenant-admin";
export const PSS_MODES = ["enforce", "audit", "warn"] as const;
export const TENANT_LABEL = "platform.video/tenant";
/** The ServiceAccount Argo CD impersonates to sync a tenant, in the tenant's namespace. */
export const SYNC_SERVICE_ACCOUNT = "argocd-sync";
/** The ClusterRole the sync ServiceAccount is bound to, in its own namespace only (RoleBinding). */
export const TENANT_SYNC_ROLE = "platform-tenant-sync";
/** Set on a tenant namespace by `decommission: true`: step one of removal lifts protection. */
export const DECOMMISSION_LABEL = "platform.video/decommission";

/** Kinds a tenant may never change itself: they are its guardrails. */
export const GUARDRAIL_KINDS = [
  { group: "", kind: "ResourceQuota", resource: "resourcequotas" },
  { group: "", kind: "LimitRange", resource: "limitranges" },
  { group: "networking.k8s.io", kind: "NetworkPolicy", resource: "networkpolicies" },
  { group: "rbac.authorization.k8s.io", kind: "Role", resource: "roles" },
  { group: "rbac.authorization.k8s.io", kind: "RoleBinding", resource: "rolebindings" },
  // Hand-written endpoints point a Service (and so the ingress controller) at any IP, around
  // network policies: the CVE-2021-25740 pattern. Tenants get Services with selectors only.
  { group: "", kind: "Endpoints", resource: "endpoints" },
  { group: "discovery.k8s.io", kind: "EndpointSlice", resource: "endpointslices" },
] as const;

/** ResourceQuota keys every tenant has; the service type ones are pinned to zero. */
export const QUOTA_KEYS = [
  "requests.cpu",
  "limits.cpu",
  "requests.memory",
  "limits.memory",
  "requests.storage",
  "pods",
  "services",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
] as const;
export const ZERO_QUOTA_KEYS = ["services.nodeports", "services.loadbalancers"] as const;
/** Hetzner's metadata service: user-data (the join token) lives there; tenant pods never reach it. */
export const METADATA_CIDR = "169.254.169.254/32";
