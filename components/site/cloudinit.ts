/**
 * Cloud-init user-data per node: files first (write_files runs in cloud-init's init stage), then
 * one bootstrap script (runcmd, final stage, after packages are installed) that guards the host,
 * finds the private interface and installs the pinned k3s. Pure functions of plain values; the
 * component renders them inside an apply and wraps the result in pulumi.secret.
 *
 * Why a guard at all: Hetzner's metadata service (169.254.169.254) hands a server's user-data to
 * any client on that server, and this user-data carries the k3s token (and, on the first control
 * plane, the CA keys). Host processes are trusted; pods are not. The guard drops pod-network
 * traffic to the metadata address before k3s can start a single pod, and k3s's systemd unit
 * requires it, so no boot runs k3s without it. (cloud-init's own `disable_ec2_metadata` would cut
 * off the host as well, which Hetzner's datasource needs on every boot.) hostNetwork pods are host
 * processes: Pod Security keeps tenants out of hostNetwork; the Hetzner CSI node plugin, which
 * reads its server id from the metadata service, must run with hostNetwork (platform issue).
 * Since issue 14 the guard also answers the metadata address to root only (output chain, socket
 * uid): at L3 no rule can allow the CSI plugin's /metadata/instance-id and refuse /userdata, so
 * what remains is root on the node, which can read the same token and keys from disk anyway
 * (docs/tenant-isolation.md). And pods may not reach their own node's public addresses, the one
 * path to kubelet and the API that no Hetzner firewall filters.
 */
import { stringify } from "yaml";
import {
  AUDIT_LOG_DIR,
  AUDIT_POLICY_PATH,
  auditPolicy,
  ClusterSettings,
  K3S_CONFIG_DROPIN_DIR,
  K3S_CONFIG_PATH,
  k3sConfigFile,
  NodeSecrets,
  NodeSpec,
  ADMISSION_CONFIG_PATH,
  admissionConfig,
  SYSCTL_PATH,
  sysctlFile,
} from "./k3s";
import { installerLines } from "./installer";
import { PkiPems, pkiFiles } from "./pki";

export const METADATA_IP = "169.254.169.254";
export const HOST_GUARD_TABLE = "vp_host_guard";
export const HOST_GUARD_RULES_PATH = "/etc/vp/host-guard.nft";
export const HOST_GUARD_UNIT = "vp-host-guard.service";
export const BOOTSTRAP_PATH = "/usr/local/sbin/vp-bootstrap";
export const RESTORE_ENV_PATH = "/etc/vp/etcd-restore.env";
/** Hetzner rejects user-data above 32 KiB. */
export const USER_DATA_LIMIT = 32 * 1024;
export const ETCD_PORTS = [2379, 2380];

/** Everything one node's user-data is rendered from. */
export interface CloudInitInput {
  cluster: ClusterSettings;
  node: NodeSpec;
  /** Plain secret values (inside an apply only). */
  secrets: NodeSecrets;
  /** Extra API addresses for the server certificate (servers only). */
  tlsSans: string[];
  /** CA material: the first control plane only. */
  pki?: PkiPems;
}

/** Single-quotes a value for bash. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The systemd unit name k3s's installer creates for a role. */
export function k3sUnit(node: NodeSpec): string {
  return node.role === "server" ? "k3s.service" : "k3s-agent.service";
}

/**
 * nftables rules, in a table of their own: k3s, kube-proxy and flannel rewrite the iptables tables
 * but never touch this one, and a drop in any nftables base chain is final whatever another
 * table's chains accept. Priority `filter - 10` only makes the counters read first.
 */
export function hostGuardRules(cluster: ClusterSettings, node: NodeSpec): string {
  const lines = [
    "#!/usr/sbin/nft -f",
    "# video-platform host guard (components/site/cloudinit.ts), loaded by vp-host-guard.service",
    "# before k3s starts; idempotent (the table is recreated on every load).",
    `table inet ${HOST_GUARD_TABLE}`,
    `delete table inet ${HOST_GUARD_TABLE}`,
    `table inet ${HOST_GUARD_TABLE} {`,
    "  chain forward {",
    "    type filter hook forward priority filter - 10; policy accept;",
    "    # Pods never reach the metadata service: it serves this server's user-data (k3s token,",
    "    # CA keys on the first control plane) to anyone on the host.",
    `    ip saddr ${cluster.clusterCidr} ip daddr ${METADATA_IP} counter drop`,
    "  }",
    "  chain input {",
    "    type filter hook input priority filter - 10; policy accept;",
    "    # Pods never reach this node on its public addresses: that traffic stays inside the host,",
    "    # where the Hetzner firewall never sees it (kubelet, the API). Other nodes' public addresses",
    "    # are behind that firewall; private addresses are the network policies' to allow or deny.",
    `    ip saddr ${cluster.clusterCidr} ip daddr != { ${cluster.networkCidr}, ${cluster.clusterCidr} } counter drop`,
  ];
  if (node.role === "server")
    lines.push(
      "    # etcd only from the control planes and loopback: Hetzner firewalls do not filter",
      "    # private-network traffic, so anything else on the network (or a pod) is refused here.",
      `    tcp dport { ${ETCD_PORTS.join(", ")} } ip saddr != { 127.0.0.0/8, ${cluster.controlPlaneRange} } counter drop`,
    );
  lines.push(
    "  }",
    "  chain output {",
    "    type filter hook output priority filter - 10; policy accept;",
    "    # The metadata service (user-data: k3s token, CA keys) answers root only: cloud-init and",
    "    # vp-bootstrap, and root in a hostNetwork pod (the Hetzner CSI node plugin reads its server",
    "    # id and zone there on every start). Every other host process and hostNetwork pod is refused.",
    `    ip daddr ${METADATA_IP} meta skuid != 0 counter drop`,
    "  }",
    "}",
  );
  return lines.join("\n") + "\n";
}

/** Loads the guard early in boot (like Debian's nftables.service) and before k3s. */
export function hostGuardUnit(): string {
  return [
    "[Unit]",
    "Description=video-platform host guard: pods may not reach the metadata service",
    "DefaultDependencies=no",
    "Wants=network-pre.target",
    "Before=network-pre.target shutdown.target k3s.service k3s-agent.service",
    "Conflicts=shutdown.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=/usr/sbin/nft -f ${HOST_GUARD_RULES_PATH}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** k3s refuses to start without the guard (Requires=) and starts after it (After=). */
export function k3sGuardDropIn(): string {
  return ["[Unit]", `Requires=${HOST_GUARD_UNIT}`, `After=${HOST_GUARD_UNIT}`, ""].join("\n");
}

/** Servers: the interface holding the address Pulumi assigned. */
function pinnedInterface(): string[] {
  return [
    "iface=''",
    "for _ in $(seq 1 90); do",
    `  iface=$(ip -o -4 addr show | awk -v ip="$PRIVATE_IP" '{ split($4, a, "/"); if (a[1] == ip) { print $2; exit } }')`,
    '  [ -n "$iface" ] && break',
    "  sleep 2",
    "done",
    '[ -n "$iface" ] || fail "no interface has $PRIVATE_IP after 180 s; is the server attached to the private network?"',
    `install -d -m 0700 ${K3S_CONFIG_DROPIN_DIR}`,
    `printf 'flannel-iface: %s\\n' "$iface" > ${K3S_CONFIG_DROPIN_DIR}/50-flannel-iface.yaml`,
  ];
}

/**
 * Agents: the interface with an address inside the site's network (Pulumi pins a worker's address,
 * the autoscaler lets Hetzner pick one); name, address and interface go into one drop-in.
 */
function discoveredInterface(): string[] {
  return [
    'ip4() { local IFS=.; read -r a b c d <<< "$1"; echo $(( (a << 24) | (b << 16) | (c << 8) | d )); }',
    "net_bits=${NETWORK_CIDR#*/}",
    "net_mask=$(( (0xffffffff << (32 - net_bits)) & 0xffffffff ))",
    'net_base=$(ip4 "${NETWORK_CIDR%/*}")',
    "iface=''",
    "PRIVATE_IP=''",
    "for _ in $(seq 1 90); do",
    "  while read -r dev cidr; do",
    "    addr=${cidr%/*}",
    '    if (( ($(ip4 "$addr") & net_mask) == net_base )); then iface=$dev; PRIVATE_IP=$addr; break; fi',
    "  done < <(ip -o -4 addr show | awk '{ print $2, $4 }')",
    '  [ -n "$iface" ] && break',
    "  sleep 2",
    "done",
    '[ -n "$iface" ] || fail "no interface has an address in $NETWORK_CIDR after 180 s; is the server attached to the private network?"',
    "readonly PRIVATE_IP",
    `install -d -m 0700 ${K3S_CONFIG_DROPIN_DIR}`,
    `printf 'node-name: %s\\nnode-ip: %s\\nflannel-iface: %s\\n' "$NODE_NAME" "$PRIVATE_IP" "$iface" > ${K3S_CONFIG_DROPIN_DIR}/50-node.yaml`,
    'log "node $NODE_NAME, private address $PRIVATE_IP"',
  ];
}

/** The one script cloud-init runs; sections depend on the node's role. */
export function bootstrapScript(cluster: ClusterSettings, node: NodeSpec): string {
  const server = node.role === "server";
  const restore = node.init && cluster.restoreSnapshot !== undefined;
  const rejoinProbe = node.init && cluster.ha && !restore;
  let step = 0;
  /** A step heading; numbered as rendered, so every node's script reads 1, 2, 3, … */
  const h: StepHeading = (first, ...more) => ["", `# ${++step}. ${first}`, ...more.map((l) => `#    ${l}`)];
  const out: string[] = [
    "#!/bin/bash",
    server
      ? `# vp-bootstrap: brings ${node.name} (${node.role}${node.init ? ", first control plane" : ""}) into the`
      : `# vp-bootstrap: brings an agent of pool ${node.pool} (whoever made the server: Pulumi or the autoscaler) into the`,
    "# cluster. Rendered by components/site/cloudinit.ts; cloud-init runs it once (runcmd) after",
    "# write_files placed every file it reads. The host guard and kernel settings come first:",
    "# nothing may start a pod before them.",
    "set -euo pipefail",
    "",
    // An agent's identity is found on the host, so its user-data is the same for every node of
    // its pool (components/site/autoscale.ts): the server name Hetzner made the host name, and
    // the address Hetzner gave it on the site's private network.
    ...(server
      ? [`readonly NODE_NAME=${shellQuote(node.name)}`, `readonly PRIVATE_IP=${shellQuote(node.privateIp)}`]
      : ['NODE_NAME="$(hostname)"', "readonly NODE_NAME", `readonly NETWORK_CIDR=${shellQuote(cluster.networkCidr)}`]),
    `readonly K3S_VERSION=${shellQuote(cluster.k3sVersion)}`,
    `readonly K3S_ROLE=${shellQuote(node.role)}`,
    `readonly K3S_UNIT=${shellQuote(k3sUnit(node))}`,
    "",
    `log() { printf 'vp-bootstrap[%s]: %s\\n' "$NODE_NAME" "$*" >&2; }`,
    `fail() { log "FAILED: $*"; exit 1; }`,
    ...h("Host guard: pods must not reach Hetzner's metadata service (see the rules file)."),
    'command -v nft >/dev/null || fail "nft is missing (cloud-init installs the nftables package)"',
    "systemctl daemon-reload",
    `systemctl enable --now ${HOST_GUARD_UNIT}`,
    `nft list chain inet ${HOST_GUARD_TABLE} forward | grep -q ${shellQuote(METADATA_IP)} || fail "host guard not loaded"`,
    ...h("Kernel parameters kubelet's protect-kernel-defaults requires."),
    `sysctl -q -p ${SYSCTL_PATH}`,
    ...h(
      "The private interface: enp7s0 on newer server types, ens10 on older ones, and it may come",
      server
        ? "up after cloud-init starts. Find it by the address Pulumi assigned instead of guessing a"
        : "up after cloud-init starts. Find it by its address in the site's network, not by name;",
      server
        ? "name; flannel then carries pod traffic over the private network only."
        : "that address is the node's (node-ip), and flannel carries pod traffic over it only.",
    ),
    ...(server ? pinnedInterface() : discoveredInterface()),
    'log "private interface: $iface"',
  ];
  if (server) out.push(...h("Audit log directory, root only (CIS 1.2.22)."), `install -d -m 0700 ${AUDIT_LOG_DIR}`);
  if (rejoinProbe) out.push(...rejoinSection(h, cluster.joinUrl));
  out.push(
    ...h(
      "k3s, pinned: the installer runs only if its SHA-256 is the one pinned in the repository",
      "(components/site/installer.ts); it then installs $K3S_VERSION and checks that binary's checksum.",
      "Installed but not started: a restore, when configured, runs first.",
    ),
    ...installerLines(),
    'INSTALL_K3S_VERSION="$K3S_VERSION" INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC="$K3S_ROLE" sh "$installer"',
  );
  if (restore) out.push(...restoreSection(h, cluster));
  out.push(...h("Start."), 'systemctl start "$K3S_UNIT"', 'log "k3s $K3S_VERSION started as $K3S_ROLE"', "");
  return out.join("\n");
}

/** A numbered step heading of the bootstrap script (see `bootstrapScript`). */
type StepHeading = (first: string, ...more: string[]) => string[];

/**
 * A rebuilt first control plane of an HA site probes for surviving members and joins them
 * instead of initialising a second cluster.
 */
function rejoinSection(h: StepHeading, joinUrl: string): string[] {
  return [
    ...h(
      "A rebuilt first control plane must join the surviving members, not start a second",
      "cluster: the API load balancer forwards only to healthy servers and this one is not",
      "running yet, so an answer means a cluster exists. Join it through the load balancer.",
    ),
    `readonly JOIN_URL=${shellQuote(joinUrl)}`,
    "for _ in 1 2 3; do",
    '  if curl -ksf --max-time 5 -o /dev/null "$JOIN_URL/cacerts"; then',
    '    log "a cluster already answers at $JOIN_URL: joining it instead of initialising one"',
    `    printf 'cluster-init: false\\nserver: %s\\n' "$JOIN_URL" > ${K3S_CONFIG_DROPIN_DIR}/60-rejoin.yaml`,
    "    break",
    "  fi",
    "  sleep 5",
    "done",
  ];
}

/** Disaster recovery: the first control plane restores etcd from the S3 snapshot before starting. */
function restoreSection(h: StepHeading, cluster: ClusterSettings): string[] {
  const e = cluster.etcdSnapshots;
  return [
    ...h(
      "Disaster recovery (k3s.restore): restore etcd from the S3 snapshot before the first start,",
      "the S3 settings on the command line as `k3s server --cluster-reset` requires, with the",
      "same token (the snapshot's bootstrap data is encrypted with it). The other servers and",
      "the agents wait: their join address answers only once this server runs.",
    ),
    `readonly RESTORE_SNAPSHOT=${shellQuote(cluster.restoreSnapshot ?? "")}`,
    `# shellcheck source=/dev/null`,
    `. ${RESTORE_ENV_PATH}`,
    'log "restoring etcd from snapshot $RESTORE_SNAPSHOT"',
    "k3s server --cluster-reset \\",
    '  --cluster-reset-restore-path="$RESTORE_SNAPSHOT" \\',
    "  --etcd-s3 \\",
    `  --etcd-s3-endpoint=${shellQuote(e.endpoint)} \\`,
    `  --etcd-s3-region=${shellQuote(e.region)} \\`,
    `  --etcd-s3-bucket=${shellQuote(e.bucket)} \\`,
    ...(e.folder ? [`  --etcd-s3-folder=${shellQuote(e.folder)} \\`] : []),
    '  --etcd-s3-access-key="$ETCD_S3_ACCESS_KEY" \\',
    '  --etcd-s3-secret-key="$ETCD_S3_SECRET_KEY"',
    'log "etcd restored from $RESTORE_SNAPSHOT"',
  ];
}

interface WriteFile {
  path: string;
  content: string;
  owner: string;
  permissions: string;
}

const file = (path: string, content: string, permissions = "0644"): WriteFile => ({
  path,
  content,
  owner: "root:root",
  permissions,
});

/** The cloud-config document (before serialisation). */
export function cloudInitDocument(input: CloudInitInput): Record<string, unknown> {
  const { cluster, node, secrets, tlsSans, pki } = input;
  if (pki && !node.init) throw new Error(`cloud-init: only the first control plane receives CA keys (${node.name})`);
  if (node.init && !pki) throw new Error(`cloud-init: the first control plane needs the CA material (${node.name})`);
  const unit = k3sUnit(node);
  const files: WriteFile[] = [
    file(SYSCTL_PATH, sysctlFile()),
    file(HOST_GUARD_RULES_PATH, hostGuardRules(cluster, node)),
    file(`/etc/systemd/system/${HOST_GUARD_UNIT}`, hostGuardUnit()),
    file(`/etc/systemd/system/${unit}.d/10-vp-host-guard.conf`, k3sGuardDropIn()),
    file(K3S_CONFIG_PATH, k3sConfigFile(cluster, node, secrets, tlsSans), "0600"),
  ];
  if (node.role === "server")
    files.push(file(ADMISSION_CONFIG_PATH, admissionConfig(), "0600"), file(AUDIT_POLICY_PATH, auditPolicy(), "0600"));
  if (pki) for (const f of pkiFiles(pki)) files.push(file(f.path, f.content, f.permissions));
  if (node.init && cluster.restoreSnapshot !== undefined)
    files.push(
      file(
        RESTORE_ENV_PATH,
        `ETCD_S3_ACCESS_KEY=${shellQuote(secrets.etcdS3AccessKey)}\nETCD_S3_SECRET_KEY=${shellQuote(secrets.etcdS3SecretKey)}\n`,
        "0600",
      ),
    );
  files.push(file(BOOTSTRAP_PATH, bootstrapScript(cluster, node), "0700"));

  return {
    // nftables for the host guard, curl and python3 (a zip source) for the k3s installer; usually
    // present (cloud-init itself runs on python3), never assumed.
    package_update: true,
    packages: ["curl", "nftables", "python3"],
    // Keys only: no password logins, root keeps key access (Hetzner images log in as root).
    ssh_pwauth: false,
    disable_root: false,
    ssh_authorized_keys: [...cluster.sshAuthorizedKeys],
    write_files: files,
    runcmd: [[BOOTSTRAP_PATH]],
  };
}

/** `#cloud-config` text; throws when it would exceed Hetzner's user-data limit. */
export function renderCloudInit(input: CloudInitInput): string {
  const text = "#cloud-config\n" + stringify(cloudInitDocument(input), { lineWidth: 0 });
  const size = Buffer.byteLength(text, "utf8");
  if (size > USER_DATA_LIMIT)
    throw new Error(`cloud-init for ${input.node.name} is ${size} bytes; Hetzner accepts at most ${USER_DATA_LIMIT}`);
  return text;
}

/**
 * An agent's user-data: what Pulumi's workers (components/site/index.ts) and the autoscaler's node
 * groups (components/site/node-groups.ts) both render, so the two cannot drift apart. Agents get
 * their own join token only: never the server token nor the S3 credentials.
 */
export function renderAgentCloudInit(cluster: ClusterSettings, node: NodeSpec, agentToken: string): string {
  if (node.role !== "agent") throw new Error(`cloud-init: ${node.name} is not an agent`);
  return renderCloudInit({
    cluster,
    node,
    secrets: { token: "", agentToken, etcdS3AccessKey: "", etcdS3SecretKey: "" },
    tlsSans: [],
  });
}
