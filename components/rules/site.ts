/**
 * Site exposure rules over the Hetzner resources: what the internet can reach. Hetzner firewalls
 * filter only public interfaces and its load balancers cannot filter clients at all, so the
 * firewall rules, the servers' attachment to the firewall and the load balancers' public
 * interfaces are the whole story (README, "Reaching the API").
 */
import { parseCidr, wholeInternetFamilies } from "../config/cidr";
import { API_PORT } from "../site/nodes";
import { arr, rec, Rule, RuleResource, str, UNKNOWN, Violation } from "./types";

export const FIREWALL_TYPE = "hcloud:index/firewall:Firewall";
export const SERVER_TYPE = "hcloud:index/server:Server";
export const LOAD_BALANCER_TYPE = "hcloud:index/loadBalancer:LoadBalancer";
export const LB_NETWORK_TYPE = "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork";

/** What the whole internet may reach: HTTP (ACME, redirects) and HTTPS, on TCP. */
export const WORLD_OPEN_PORTS = [80, 443] as const;
/** Ports only the admin CIDRs may reach: SSH and the Kubernetes API. */
export const ADMIN_PORTS = [22, API_PORT] as const;
/** The label that marks the one public load balancer (the ingress). */
export const LB_ROLE_LABEL = "platform.video/role";

/**
 * Whether a rule's sources let the whole internet in: together they cover every IPv4 or every
 * IPv6 address (`0.0.0.0/0`, `0::/0`, or `0.0.0.0/1` with `128.0.0.0/1`), or one of them is not
 * a range at all (unreadable: assume the worst, as portRange does).
 */
export function isWorldOpen(sources: readonly string[]): boolean {
  return wholeInternetFamilies(sources).length > 0 || sources.some((s) => parseCidr(s) === undefined);
}

/** The port range a Hetzner firewall rule covers; a rule without a port (or "any") covers all. */
export function portRange(port: unknown): [number, number] {
  const s = str(port).trim();
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: "" and "any" fail the regex below, which returns the same [1, 65535]
  if (!s || s === "any") return [1, 65535];
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return [1, 65535]; // unreadable: assume the worst
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

interface FirewallRule {
  index: number;
  direction: string;
  protocol: string;
  from: number;
  to: number;
  sources: string[];
  label: string;
}

function inboundRules(fw: RuleResource): FirewallRule[] {
  return arr(fw.inputs.rules)
    .map(rec)
    .map((r, index) => {
      const [from, to] = portRange(r.port);
      const protocol = str(r.protocol) || "tcp";
      return {
        index,
        direction: str(r.direction) || "in",
        protocol,
        from,
        to,
        sources: arr(r.sourceIps).map(str),
        label: `rules[${index}] (${protocol} ${str(r.port) || "any"}${r.description ? `, "${str(r.description)}"` : ""})`,
      };
    })
    .filter((r) => r.direction === "in");
}

const ofType = (resources: readonly RuleResource[], type: string) => resources.filter((r) => r.type === type);

export const SITE_RULES: Rule[] = [
  {
    id: "SITE-FW-001",
    description: "from the whole internet (0.0.0.0/0, ::/0) the firewall admits only TCP 80 and 443",
    fix: "open other ports to admin CIDRs only (components/site/index.ts firewallRules); never add a world-wide source",
    enforcedIn: ["plan", "preview"],
    check(resources) {
      const out: Violation[] = [];
      for (const fw of ofType(resources, FIREWALL_TYPE))
        for (const r of inboundRules(fw)) {
          const webOnly =
            r.protocol === "tcp" && r.from === r.to && (WORLD_OPEN_PORTS as readonly number[]).includes(r.from);
          if (isWorldOpen(r.sources) && !webOnly)
            out.push({ rule: "SITE-FW-001", urn: fw.urn, message: `${r.label} is open to ${r.sources.join(", ")}` });
        }
      return out;
    },
  },
  {
    id: "SITE-FW-002",
    description: "SSH (22) and the Kubernetes API (6443) admit only the stack's adminCidrs",
    fix: "list who may reach SSH and the API in video-platform:site.adminCidrs; the firewall rules for 22 and 6443 take exactly those",
    enforcedIn: ["plan", "preview"],
    check(resources, ctx) {
      const out: Violation[] = [];
      for (const fw of ofType(resources, FIREWALL_TYPE))
        for (const r of inboundRules(fw)) {
          if (r.protocol !== "tcp") continue;
          const ports = ADMIN_PORTS.filter((p) => r.from <= p && p <= r.to);
          // Case-insensitive: Hetzner stores IPv6 ranges in lowercase, a stack file may not.
          const admins = ctx.adminCidrs.map((c) => c.toLowerCase());
          const strangers = r.sources.filter((s) => !admins.includes(s.toLowerCase()));
          if (ports.length && strangers.length)
            out.push({
              rule: "SITE-FW-002",
              urn: fw.urn,
              message: `${r.label} lets ${strangers.join(", ")} reach port ${ports.join(" and ")}; only adminCidrs [${ctx.adminCidrs.join(", ")}] may`,
            });
        }
      return out;
    },
  },
  {
    id: "SITE-FW-003",
    description: "every server is attached to the site's firewall from creation",
    fix: "create servers with firewallIds: [the site firewall's id] (components/site/index.ts)",
    enforcedIn: ["plan", "preview"],
    check(resources) {
      const firewalls = new Set(ofType(resources, FIREWALL_TYPE).map((f) => f.urn));
      return ofType(resources, SERVER_TYPE)
        .filter((s) => {
          // Unknown until the firewall exists (a first preview): the dependency still shows it.
          const ids = s.inputs.firewallIds;
          const listed = ids === UNKNOWN || arr(ids).length > 0;
          // Stryker disable next-line ArrayDeclaration: a firewall URN always starts with urn:pulumi:, so no placeholder element can match one
          return !listed || !(s.options.dependsOn ?? []).some((u) => firewalls.has(u));
        })
        .map((s) => ({
          rule: "SITE-FW-003",
          urn: s.urn,
          message: `server ${s.name} is not attached to a firewall of this stack: every port would be open`,
        }));
    },
  },
  {
    id: "SITE-LB-001",
    description:
      "only the ingress load balancer is public: every other one (the API's) has its public interface disabled",
    fix: "attach non-ingress load balancers to the private network with enablePublicInterface: false (Hetzner load balancers cannot filter clients)",
    enforcedIn: ["plan", "preview"],
    check(resources) {
      const out: Violation[] = [];
      const attachments = ofType(resources, LB_NETWORK_TYPE);
      for (const lb of ofType(resources, LOAD_BALANCER_TYPE)) {
        if (rec(lb.inputs.labels)[LB_ROLE_LABEL] === "ingress") continue;
        // Stryker disable next-line ArrayDeclaration: a load balancer URN always starts with urn:pulumi:, so no placeholder element can match one
        const mine = attachments.filter((a) => (a.options.dependsOn ?? []).includes(lb.urn));
        if (mine.length === 0)
          out.push({
            rule: "SITE-LB-001",
            urn: lb.urn,
            message: `load balancer ${lb.name} has no private network attachment, so only its public interface serves: anyone on the internet reaches it`,
          });
        for (const a of mine.filter((x) => x.inputs.enablePublicInterface !== false))
          out.push({
            rule: "SITE-LB-001",
            urn: a.urn,
            message: `load balancer ${lb.name} keeps its public interface (${a.name}): anyone on the internet reaches its services`,
          });
      }
      return out;
    },
  },
];
