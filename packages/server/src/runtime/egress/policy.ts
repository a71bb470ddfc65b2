import { BlockList, isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { FnbaseError } from "@fnbase/shared";

/**
 * Why an address is not on the public internet, by range (IANA special-purpose registries, RFC
 * 6890 and its updates). An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is checked as the IPv4
 * address it holds (`BlockList` does that); the IPv6 ranges that embed IPv4 addresses another
 * way (NAT64, 6to4, Teredo, IPv4-compatible, IPv4-translated) are refused whole.
 */
const RANGES: readonly (readonly [kind: string, net: string, prefix: number])[] = [
  ["unspecified", "0.0.0.0", 8], // "this network": 0.0.0.0 reaches the local host on Linux
  ["private", "10.0.0.0", 8],
  ["shared (carrier-grade NAT)", "100.64.0.0", 10],
  ["loopback", "127.0.0.0", 8],
  ["link-local", "169.254.0.0", 16],
  ["private", "172.16.0.0", 12],
  ["reserved", "192.0.0.0", 24],
  ["private", "192.168.0.0", 16],
  ["reserved (benchmarking)", "198.18.0.0", 15],
  ["multicast", "224.0.0.0", 4],
  ["reserved", "240.0.0.0", 4],
  ["unspecified", "::", 128],
  ["loopback", "::1", 128],
  ["IPv4-compatible", "::", 96],
  ["IPv4-translated", "::ffff:0:0:0", 96], // RFC 2765 (SIIT): ::ffff:0:a.b.c.d
  ["NAT64", "64:ff9b::", 96],
  ["NAT64", "64:ff9b:1::", 48],
  ["discard", "100::", 64],
  ["Teredo", "2001::", 32],
  ["6to4", "2002::", 16],
  ["private (unique local)", "fc00::", 7],
  ["link-local", "fe80::", 10],
  ["site-local", "fec0::", 10],
  ["multicast", "ff00::", 8],
];

const family = (address: string) => (isIP(address) === 6 ? "ipv6" : "ipv4");

/** One range list per kind, so a refusal can say why. */
const DENIED: readonly (readonly [string, BlockList])[] = (() => {
  const byKind = new Map<string, BlockList>();
  for (const [kind, net, prefix] of RANGES) {
    let list = byKind.get(kind);
    if (!list) {
      list = new BlockList();
      byKind.set(kind, list);
    }
    list.addSubnet(net, prefix, family(net));
  }
  return [...byKind];
})();

/** Why `address` (an IP literal) is not on the public internet, or undefined when it is. */
export function nonPublicKind(address: string): string | undefined {
  const type = family(address);
  for (const [kind, list] of DENIED) if (list.check(address, type)) return kind;
  return undefined;
}

/** The addresses of this host's interfaces, read again at most every few seconds. */
let hostCache: { at: number; list: BlockList } | undefined;
function hostAddresses(): BlockList {
  const now = Date.now();
  if (hostCache && now - hostCache.at < 5_000) return hostCache.list;
  const list = new BlockList();
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      // Link-local IPv6 addresses carry a zone (`fe80::1%eth0`), and are refused as such anyway.
      const address = a.address.split("%")[0] ?? a.address;
      list.addAddress(address, family(address));
    }
  }
  hostCache = { at: now, list };
  return list;
}

/**
 * An entry of an app's `egress_allow`: a host name (`db.internal`), a name under a domain
 * (`*.corp.example`), an IP address (`10.0.0.5`, `[fd00::5]`) or a range (`10.0.0.0/24`,
 * `fd00::/64`), each optionally with `:port`.
 */
export interface AllowEntry {
  /** Lowercase name; a leading `*.` matches any name below the rest. */
  name?: string;
  range?: BlockList;
  /** Undefined: any port. */
  port?: number;
}

const NAME =
  /^(?:\*\.)?(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Parses one `egress_allow` entry; throws `BAD_REQUEST` naming it when it is not one of the
 * forms of {@link AllowEntry}.
 */
export function parseAllowEntry(raw: string): AllowEntry {
  const fail = () =>
    new FnbaseError("BAD_REQUEST", `Invalid egress_allow entry: ${JSON.stringify(raw)}`, {
      hint: 'Use a host name ("db.internal", "*.corp.example"), an address ("10.0.0.5", "[fd00::5]") or a range ("10.0.0.0/24"), each with an optional ":port"',
    });
  let s = raw.trim().toLowerCase();
  if (s === "" || s.length > 300) throw fail();
  let port: number | undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracketed) {
    s = bracketed[1] ?? "";
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(s.split("/")[0] ?? "") !== 6) {
    const m = /^(.*):(\d{1,5})$/.exec(s);
    if (m) {
      s = m[1] ?? "";
      port = Number(m[2]);
    }
  }
  if (port !== undefined && (port < 1 || port > 65_535)) throw fail();
  const [address, bits, extra] = s.split("/");
  if (extra !== undefined || address === undefined) throw fail();
  const type = isIP(address);
  if (type !== 0) {
    const fam = type === 6 ? "ipv6" : "ipv4";
    const prefix = bits === undefined ? (type === 6 ? 128 : 32) : Number(bits);
    if (!/^\d{1,3}$/.test(bits ?? "0") || prefix > (type === 6 ? 128 : 32)) throw fail();
    const range = new BlockList();
    range.addSubnet(address, prefix, fam);
    return port === undefined ? { range } : { range, port };
  }
  if (bits !== undefined || !NAME.test(s)) throw fail();
  return port === undefined ? { name: s } : { name: s, port };
}

/** Parses an app's `egress_allow` list (see {@link parseAllowEntry}). */
export function parseAllowList(list: readonly string[]): AllowEntry[] {
  return list.map(parseAllowEntry);
}

const nameMatches = (pattern: string, host: string) =>
  pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) : host === pattern;

/** What an instance may connect to, beyond the public internet. */
export interface EgressRules {
  /** The app's `egress_allow`, parsed. */
  allow: readonly AllowEntry[];
  /**
   * Endpoints every instance may reach whatever their address: the server's own public port
   * (functions call the API there) and the npm registry the operator configured.
   */
  endpoints: readonly { host?: string; address?: string; port: number }[];
}

/** The verdict on one resolved address. */
export type Verdict = { ok: true } | { ok: false; why: string };

/**
 * Decides whether an instance may open a connection to `address` (an IP literal that `host`
 * resolved to, or `host` itself) on `port`: an address on the public internet that is not this
 * host's own, or one the rules allow by name, address or endpoint.
 *
 * @example
 * decide("localhost", "127.0.0.1", 6379, { allow: [], endpoints: [] });
 * // { ok: false, why: "127.0.0.1 is a loopback address" }
 */
export function decide(host: string, address: string, port: number, rules: EgressRules): Verdict {
  const name = host.toLowerCase().replace(/\.$/, "");
  const type = family(address);
  for (const e of rules.allow) {
    if (e.port !== undefined && e.port !== port) continue;
    if (e.name !== undefined && nameMatches(e.name, name)) return { ok: true };
    if (e.range?.check(address, type)) return { ok: true };
  }
  for (const e of rules.endpoints) {
    if (e.port !== port) continue;
    if (e.host !== undefined && e.host === name) return { ok: true };
    if (e.address !== undefined && sameAddress(e.address, address)) return { ok: true };
  }
  const kind = nonPublicKind(address);
  if (kind !== undefined) return { ok: false, why: `${address} is a ${kind} address` };
  if (hostAddresses().check(address, type)) {
    return { ok: false, why: `${address} is an address of this host` };
  }
  return { ok: true };
}

function sameAddress(a: string, b: string): boolean {
  const list = new BlockList();
  list.addAddress(a, family(a));
  return list.check(b, family(b));
}
