/**
 * Stand-in provider plugins for the two bridged packages the platform layer still declares
 * resources of, served to the real engine over its plugin protocol (the @pulumi/pulumi SDK's
 * provider server) and found on PATH as `pulumi-resource-random` and `pulumi-resource-hcloud`
 * (tools/engine/workspace.ts writes the executables). The bridged providers cannot run here (the
 * Terraform-bridged plugins are not on any registry this machine reaches); docs/engine-tests.md
 * says what these do instead:
 * - random: really random values (node:crypto), and a real bcrypt hash (bcryptjs, cost 10 as the
 *   random provider's golang.org/x/crypto/bcrypt default). Every input change replaces, as every
 *   random input is ForceNew upstream.
 * - hcloud: no Hetzner. A load balancer gets a numeric id and an address from the documentation
 *   range 192.0.2.0/24 (RFC 5737), derived from its name; an attachment echoes its inputs.
 *   Any other hcloud type is refused by name, so the harness cannot quietly fake more of Hetzner.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash, randomBytes, randomInt } from "node:crypto";

type Props = Record<string, unknown>;
type Provider = pulumi.provider.Provider;

const typeOf = (urn: string) => urn.split("::")[2].split("$").pop() ?? "";
const nameOf = (urn: string) => urn.split("::")[3] ?? "";

/** The keys whose value differs (shallow, JSON-compared); `ignore` are outputs only. */
export function changedKeys(olds: Props, news: Props, ignore: readonly string[] = []): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => !ignore.includes(k) && JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
/** The random provider's default special characters (resource_password.go). */
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/** A password as RandomPassword makes one: `length` characters from the enabled classes. */
export function password(inputs: Props): string {
  const length = Number(inputs.length ?? 16);
  const classes = [
    inputs.upper === false ? "" : UPPER,
    inputs.lower === false ? "" : LOWER,
    inputs.numeric === false || inputs.number === false ? "" : DIGITS,
    inputs.special === false ? "" : typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : SPECIAL,
  ].filter((c) => c.length > 0);
  const all = classes.join("");
  if (!Number.isInteger(length) || length < 1 || !all)
    throw new Error(`random stand-in: cannot make a password from ${JSON.stringify(inputs)}`);
  return Array.from({ length }, () => all[randomInt(all.length)]).join("");
}

function randomOutputs(type: string, inputs: Props): Props {
  switch (type) {
    case "random:index/randomPassword:RandomPassword": {
      const result = password(inputs);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bcrypt = require("bcryptjs") as typeof import("bcryptjs");
      return { ...inputs, result, bcryptHash: bcrypt.hashSync(result, 10) };
    }
    case "random:index/randomBytes:RandomBytes": {
      const bytes = randomBytes(Number(inputs.length));
      return { ...inputs, hex: bytes.toString("hex"), base64: bytes.toString("base64") };
    }
    default:
      throw new Error(`random stand-in: ${type} is not served (tools/engine/standins/providers.ts)`);
  }
}

/** The random stand-in: values made on create, kept until an input changes (then replaced). */
export function randomProvider(version: string): Provider {
  return {
    version,
    async check(_urn, _olds, news) {
      return { inputs: news };
    },
    async diff(_id, _urn, olds, news) {
      const changed = changedKeys(olds as Props, news as Props, ["result", "bcryptHash", "hex", "base64"]);
      return { changes: changed.length > 0, replaces: changed };
    },
    async create(urn, inputs) {
      return { id: randomBytes(8).toString("hex"), outs: randomOutputs(typeOf(urn), inputs as Props) };
    },
    async read(id, _urn, props) {
      return { id, props };
    },
    async delete() {},
  };
}

/** A Hetzner-like numeric id, stable for a logical name. */
function numericId(urn: string): string {
  return String((parseInt(createHash("sha256").update(urn).digest("hex").slice(0, 7), 16) % 9_000_000) + 1_000_000);
}

function hcloudOutputs(urn: string, inputs: Props): { id: string; outs: Props } {
  const type = typeOf(urn);
  switch (type) {
    case "hcloud:index/loadBalancer:LoadBalancer": {
      const host = 1 + (parseInt(createHash("sha256").update(nameOf(urn)).digest("hex").slice(0, 4), 16) % 254);
      return {
        id: numericId(urn),
        outs: { ...inputs, ipv4: `192.0.2.${host}`, ipv6: `2001:db8::${host.toString(16)}` },
      };
    }
    case "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork":
      return { id: `${String(inputs.loadBalancerId)}-${String(inputs.networkId)}`, outs: { ...inputs } };
    default:
      throw new Error(
        `hcloud stand-in: ${type} is not served; the engine harness stands in only for the platform's load balancer (docs/engine-tests.md)`,
      );
  }
}

/** The hcloud stand-in: what the platform layer declares at Hetzner, with made-up ids and addresses. */
export function hcloudProvider(version: string): Provider {
  return {
    version,
    async check(_urn, _olds, news) {
      return { inputs: news };
    },
    async diff(_id, urn, olds, news) {
      const changed = changedKeys(olds as Props, news as Props, ["ipv4", "ipv6", "targets"]);
      const replaces = typeOf(urn).endsWith(":LoadBalancer") ? changed.filter((k) => k === "location") : changed;
      return { changes: changed.length > 0, replaces };
    },
    async create(urn, inputs) {
      return hcloudOutputs(urn, inputs as Props);
    },
    async read(id, _urn, props) {
      return { id, props };
    },
    async update(_id, urn, olds, news) {
      return { outs: { ...hcloudOutputs(urn, news as Props).outs, ...pick(olds as Props, ["ipv4", "ipv6"]) } };
    },
    async delete() {},
  };
}

function pick(o: Props, keys: readonly string[]): Props {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
