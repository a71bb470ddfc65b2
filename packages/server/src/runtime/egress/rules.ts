import type { Catalog } from "../../catalog.js";
import { type AllowEntry, type EgressRules, parseAllowList } from "./policy.js";

/** What {@link egressRules} needs from the server. */
export interface EgressRulesInput {
  catalog: Catalog;
  /** The npm registry instances use (the operator's `npmRegistry`). */
  npmRegistry: string | undefined;
  /** The public port, once the front listens. */
  frontPort: () => number;
  /** The address the front listens on (`ServerOptions.host`). */
  frontHost: string;
}

/**
 * The egress rules of each app, read at every connection (a change of `egress_allow` applies to
 * the next one): the app's own list, plus what every instance may reach: the server's public
 * port on the addresses the front listens on (functions call the API there, the SDK included)
 * and the npm registry instances download from (the operator's choice, wherever it is). Which
 * registry: `npmRegistry`, else the machine's `NPM_CONFIG_REGISTRY` that instances inherit
 * (`runtime/process-env.ts`), else Deno's default (public).
 */
export function egressRules(i: EgressRulesInput): (appId: string) => EgressRules | undefined {
  const parsed = new WeakMap<readonly string[], AllowEntry[]>();
  const registry = registryEndpoint(i.npmRegistry ?? process.env.NPM_CONFIG_REGISTRY);
  return (appId) => {
    const app = i.catalog.app(appId);
    if (!app) return undefined;
    let allow = parsed.get(app.egress_allow);
    if (!allow) {
      allow = parseAllowList(app.egress_allow);
      parsed.set(app.egress_allow, allow);
    }
    const port = i.frontPort();
    const wildcard = i.frontHost === "0.0.0.0" || i.frontHost === "::";
    const front = wildcard ? ["127.0.0.1", "::1"] : [i.frontHost, "127.0.0.1", "::1"];
    const endpoints: EgressRules["endpoints"][number][] = front.map((address) => ({
      address,
      port,
    }));
    if (registry) endpoints.push(registry);
    return { allow, endpoints };
  };
}

function registryEndpoint(url: string | undefined): { host: string; port: number } | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    return { host, port: Number(u.port || (u.protocol === "https:" ? 443 : 80)) };
  } catch {
    return undefined;
  }
}
