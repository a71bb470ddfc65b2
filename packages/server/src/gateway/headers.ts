import type { IncomingHttpHeaders } from "node:http";

/** Headers that describe one hop, never forwarded either way. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Headers only the host may set: an outside caller's values are removed. The front's direct
 * path keeps the same list (packages/runtime/src/front/main.ts, Deno code): keep the two in step.
 */
const HOST_OWNED = new Set([
  "base44-app-id",
  "base44-api-url",
  "base44-service-authorization",
  "x-request-id",
  "x-fnbase-instance-key",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "authorization",
  // The front's channel to the server (the listener checks it; functions never see it).
  "x-fnbase-front",
  "x-fnbase-client-addr",
  "x-fnbase-decision",
]);

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
