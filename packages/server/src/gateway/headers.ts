import type { IncomingHttpHeaders } from "node:http";
import {
  FRONT_CHANNEL,
  HOP_BY_HOP as SHARED_HOP_BY_HOP,
  HOST_OWNED as SHARED_HOST_OWNED,
} from "@fnbase/runtime";

/** Headers that describe one hop, never forwarded either way. */
const HOP_BY_HOP = new Set(SHARED_HOP_BY_HOP);

/**
 * Headers only the host may set, and the front's channel to the server (the listener checks it;
 * functions never see it): an outside caller's values are removed. Shared with the front's
 * direct path through @fnbase/runtime.
 */
const HOST_OWNED = new Set([...SHARED_HOST_OWNED, ...FRONT_CHANNEL]);

/** The caller's headers minus hop-by-hop and host-owned ones. */
export function inboundHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in h) {
    if (HOP_BY_HOP.has(name) || HOST_OWNED.has(name)) continue;
    const v = h[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * A function's response headers as pairs, minus hop-by-hop ones and those only the host sets on
 * an answer (`x-request-id`, the front's channel).
 */
export function outboundPairs(
  h: Record<string, string | string[] | undefined>,
): [string, string][] {
  const out: [string, string][] = [];
  for (const name in h) {
    if (HOP_BY_HOP.has(name) || name === "x-request-id" || name === "x-fnbase-decision") continue;
    const v = h[name];
    if (v === undefined) continue;
    if (typeof v === "string") out.push([name, v]);
    else for (const one of v) out.push([name, one]);
  }
  return out;
}

/** Pairs as node:http's `writeHead` takes an array: names and values in one flat list. */
export function flat(pairs: readonly (readonly [string, string])[]): string[] {
  const out: string[] = [];
  for (const [k, v] of pairs) out.push(k, v);
  return out;
}
