/**
 * TEN-PSS-002: tenant workloads' pod templates meet Pod Security "restricted" when the workload is
 * written, not only when its pods are. Pod Security admission enforces the namespace's level on
 * Pods; on Deployments, StatefulSets, ReplicaSets, Jobs and CronJobs it only warns (Kubernetes
 * docs, "Pod Security Admission": "Workload resources ... only warn and audit"). A tenant
 * repository that templates a privileged pod was therefore synced by Argo CD as a Deployment that
 * exists (reported Synced), whose pods are then refused one by one in a ReplicaSet condition no
 * tenant reads (test:gitops, issue 26). This policy refuses the workload itself, with the control
 * it breaks, so Argo CD's sync fails and names why.
 *
 * The controls are the restricted profile's, read in k8s.io/pod-security-admission v0.36.4
 * (policy/check_*.go, the API server's own Pod Security code at the stacks' Kubernetes), one
 * validation each: host namespaces, privileged, capabilities, volume types (hostPath included),
 * host ports, privilege escalation, running as non-root, non-zero UIDs, seccomp, /proc mount,
 * SELinux, sysctls, AppArmor, probe and lifecycle hosts, Windows host processes.
 */
import type { AdmissionPolicy, CelValidation } from "./types";
import { TENANT_LABEL } from "../tenant/contract";
import { POD_VARIABLES } from "./workloads";

const lit = (s: string) => `'${s}'`;
const list = (xs: readonly string[]) => `[${xs.map(lit).join(", ")}]`;
const rw = ["CREATE", "UPDATE"];

/**
 * Inline volume sources restricted refuses (check_restrictedVolumes.go): hostPath and every
 * network or node volume type; configMap, csi, downwardAPI, emptyDir, ephemeral, image,
 * persistentVolumeClaim, projected and secret remain.
 */
export const FORBIDDEN_VOLUME_SOURCES = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "nfs",
  "iscsi",
  "glusterfs",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "fc",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "portworxVolume",
  "photonPersistentDisk",
  "scaleIO",
  "storageos",
] as const;
/**
 * Sysctls baseline allows at the namespaces' Pod Security version v1.36 (check_sysctls.go at
 * v0.36.4). v1.37 adds net.ipv4.tcp_slow_start_after_idle and net.ipv4.tcp_notsent_lowat: add them
 * with the move to 1.37, or the workload is admitted here and its pods refused.
 */
export const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
] as const;
/** SELinux types baseline allows besides none (check_seLinuxOptions.go). */
export const SELINUX_TYPES = ["container_t", "container_init_t", "container_kvm_t"] as const;

/**
 * The workload kinds tenants may create that carry a pod template. Pods themselves are Pod
 * Security admission's (enforced at the namespace's level).
 */
const TEMPLATE_RESOURCES = [
  {
    apiGroups: ["apps"],
    apiVersions: ["v1"],
    operations: rw,
    resources: ["deployments", "statefulsets", "replicasets"],
  },
  { apiGroups: ["batch"], apiVersions: ["v1"], operations: rw, resources: ["jobs", "cronjobs"] },
];

const tenantNamespaces = { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] };

/** Every container of the template (init containers included; templates have no ephemeral ones). */
const CONTAINERS = {
  name: "containers",
  expression: "variables.spec.containers + (has(variables.spec.initContainers) ? variables.spec.initContainers : [])",
};

/** CEL: `base.a.b.c` is set (each step guarded: has() on a missing parent is an error). */
export const present = (base: string, path: string): string => {
  const parts = path.split(".");
  return parts.map((_, i) => `has(${[base, ...parts.slice(0, i + 1)].join(".")})`).join(" && ");
};
/** CEL: `base.path` is set and `cond` holds of it (`cond` receives the full field expression). */
const where = (base: string, path: string, cond: (field: string) => string) =>
  `(${present(base, path)} && ${cond(`${base}.${path}`)})`;
/** CEL: every container `c` satisfies `e`. */
const every = (e: string) => `variables.containers.all(c, ${e})`;
const POD = "variables.spec";
const C = "c";

const v = (expression: string, what: string): CelValidation => ({
  expression,
  message: `tenant workload pod templates must meet Pod Security restricted: ${what} (Pod Security admission only warns on workloads; their pods would be refused)`,
  reason: "Forbidden",
});

/** Probe and lifecycle handlers that may carry a host (check_hostProbesAndhostLifecycle.go). */
const HANDLERS = [
  "livenessProbe.httpGet",
  "livenessProbe.tcpSocket",
  "readinessProbe.httpGet",
  "readinessProbe.tcpSocket",
  "startupProbe.httpGet",
  "startupProbe.tcpSocket",
  "lifecycle.postStart.httpGet",
  "lifecycle.postStart.tcpSocket",
  "lifecycle.preStop.httpGet",
  "lifecycle.preStop.tcpSocket",
];

const selinuxAllowed = (base: string) =>
  `!(${present(base, "seLinuxOptions")}) || ((!has(${base}.seLinuxOptions.type) || ${base}.seLinuxOptions.type in ${list(["", ...SELINUX_TYPES])}) && !has(${base}.seLinuxOptions.user) && !has(${base}.seLinuxOptions.role))`;

export const POD_TEMPLATE_POLICIES: readonly AdmissionPolicy[] = [
  {
    rule: "TEN-PSS-002",
    key: "pod-templates",
    name: "platform-tenant-pod-templates",
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { namespaceSelector: tenantNamespaces, resourceRules: TEMPLATE_RESOURCES },
      variables: [...POD_VARIABLES, CONTAINERS],
      validations: [
        v(
          ["hostNetwork", "hostPID", "hostIPC"].map((f) => `!${where(POD, f, (x) => `${x} == true`)}`).join(" && "),
          "hostNetwork, hostPID and hostIPC must be unset or false",
        ),
        v(every(`!${where(C, "securityContext.privileged", (x) => `${x} == true`)}`), "no container may be privileged"),
        v(
          every(
            `${where(C, "securityContext.capabilities.drop", (x) => `'ALL' in ${x}`)} && !${where(C, "securityContext.capabilities.add", (x) => `${x}.exists(a, a != 'NET_BIND_SERVICE')`)}`,
          ),
          "every container drops ALL capabilities and adds none but NET_BIND_SERVICE",
        ),
        v(
          `!has(${POD}.volumes) || ${POD}.volumes.all(vol, ${FORBIDDEN_VOLUME_SOURCES.map((f) => `!has(vol.${f})`).join(" && ")})`,
          "volumes may only be configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret (no hostPath, no network or node volume types)",
        ),
        v(
          every("!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)"),
          "no container may use a hostPort",
        ),
        v(
          every(where(C, "securityContext.allowPrivilegeEscalation", (x) => `${x} == false`)),
          "every container sets allowPrivilegeEscalation: false",
        ),
        v(
          `${every(`!${where(C, "securityContext.runAsNonRoot", (x) => `${x} == false`)}`)} && (${where(POD, "securityContext.runAsNonRoot", (x) => `${x} == true`)} || ${every(where(C, "securityContext.runAsNonRoot", (x) => `${x} == true`))})`,
          "runAsNonRoot: true (on the pod, or on every container) and never false",
        ),
        v(
          `!${where(POD, "securityContext.runAsUser", (x) => `${x} == 0`)} && ${every(`!${where(C, "securityContext.runAsUser", (x) => `${x} == 0`)}`)}`,
          "runAsUser may not be 0 (root)",
        ),
        v(
          `${every(`!${where(C, "securityContext.seccompProfile.type", (x) => `${x} == 'Unconfined'`)}`)} && (${where(POD, "securityContext.seccompProfile.type", (x) => `${x} in ['RuntimeDefault', 'Localhost']`)} || ${every(where(C, "securityContext.seccompProfile.type", (x) => `${x} in ['RuntimeDefault', 'Localhost']`))})`,
          "seccompProfile.type RuntimeDefault or Localhost (on the pod, or on every container) and never Unconfined",
        ),
        v(
          every(`!${where(C, "securityContext.procMount", (x) => `${x} != 'Default'`)}`),
          "procMount must be unset or Default",
        ),
        v(
          `(!has(${POD}.securityContext) || ${selinuxAllowed(`${POD}.securityContext`)}) && ${every(`!has(c.securityContext) || ${selinuxAllowed("c.securityContext")}`)}`,
          `SELinux: type only ${SELINUX_TYPES.join(", ")}; no user or role`,
        ),
        v(
          `!${where(POD, "securityContext.sysctls", (x) => `${x}.exists(s, !(s.name in ${list(SAFE_SYSCTLS)}))`)}`,
          "only the safe sysctls",
        ),
        v(
          `!${where(POD, "securityContext.appArmorProfile.type", (x) => `${x} == 'Unconfined'`)} && ${every(`!${where(C, "securityContext.appArmorProfile.type", (x) => `${x} == 'Unconfined'`)}`)} && !${where("variables.template", "metadata.annotations", (x) => `${x}.exists(k, k.startsWith('container.apparmor.security.beta.kubernetes.io/') && ${x}[k] != 'runtime/default' && !${x}[k].startsWith('localhost/'))`)}`,
          "AppArmor may not be Unconfined",
        ),
        v(
          every(HANDLERS.map((h) => `!${where(C, `${h}.host`, (x) => `${x} != ''`)}`).join(" && ")),
          "probes and lifecycle handlers may not name a host",
        ),
        v(
          `!${where(POD, "securityContext.windowsOptions.hostProcess", (x) => `${x} == true`)} && ${every(`!${where(C, "securityContext.windowsOptions.hostProcess", (x) => `${x} == true`)}`)}`,
          "no Windows host process",
        ),
      ],
    },
    binding: { validationActions: ["Deny"] },
  },
];

/** The catalog entry of TEN-PSS-002 (admission.ts adds its plan check). */
export const POD_TEMPLATE_RULE_TEXT: readonly { id: string; description: string; fix: string }[] = [
  {
    id: "TEN-PSS-002",
    description:
      "tenant workloads (Deployments, StatefulSets, ReplicaSets, Jobs, CronJobs) are refused at admission unless their pod template meets Pod Security restricted",
    fix: "give the template what restricted requires (runAsNonRoot, seccomp RuntimeDefault, drop ALL, no privilege escalation, only restricted volume types); keep the platform-tenant-pod-templates policy and binding as components/rules/pod-templates.ts declares them",
  },
];
