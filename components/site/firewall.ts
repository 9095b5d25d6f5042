import type * as hcloud from "@pulumi/hcloud";
import { WHOLE_INTERNET } from "../config/cidr";
import { API_PORT } from "./nodes";

/**
 * The site firewall's inbound rules, as data the tests and the rules read: SSH and the Kubernetes
 * API from the admin CIDRs only, HTTP (ACME, redirects) and HTTPS from the whole internet.
 * Everything else inbound is denied; outbound is open (image pulls, snapshots).
 */
export function firewallRules(adminCidrs: readonly string[]): hcloud.types.input.FirewallRule[] {
  return [
    { direction: "in", protocol: "tcp", port: "22", sourceIps: [...adminCidrs], description: "SSH from admins" },
    {
      direction: "in",
      protocol: "tcp",
      port: String(API_PORT),
      sourceIps: [...adminCidrs],
      description: "Kubernetes API from admins",
    },
    {
      direction: "in",
      protocol: "tcp",
      port: "80",
      sourceIps: [...WHOLE_INTERNET],
      description: "HTTP (ACME, redirects)",
    },
    { direction: "in", protocol: "tcp", port: "443", sourceIps: [...WHOLE_INTERNET], description: "HTTPS" },
  ];
}
