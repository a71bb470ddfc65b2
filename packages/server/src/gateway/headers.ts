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

/** A function's response headers minus hop-by-hop ones. */
export function outboundHeaders(
  h: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in h) {
    if (HOP_BY_HOP.has(name)) continue;
    const v = h[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
