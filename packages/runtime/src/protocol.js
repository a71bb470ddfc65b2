// @ts-self-types="./protocol.d.ts"
/**
 * What both sides of the Node/Deno boundary must agree on, written once: Node imports this file
 * through `@fnbase/runtime`, the front and the instance bootstrap import it directly. Plain
 * JavaScript (Node runs no TypeScript), typed by protocol.d.ts.
 */

/**
 * Headers that describe one hop (a connection), never forwarded either way, by Node's gateway
 * or by the front.
 */
export const HOP_BY_HOP = Object.freeze([
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
 * Set to "1" by the host on a function's request when the caller may see a failure's details
 * (under `fnbase dev`, or a caller with an API key): the instance then answers an uncaught
 * exception with its message; otherwise with a short message, the code and the request id.
 */
export const ERROR_DETAIL_HEADER = "x-fnbase-error-detail";

/**
 * Headers only the host may set on a function's request: a caller's values are dropped first
 * (by Node's gateway and by the front's direct path alike).
 */
export const HOST_OWNED = Object.freeze([
  "base44-app-id",
  "base44-api-url",
  "base44-service-authorization",
  "x-request-id",
  "x-fnbase-instance-key",
  ERROR_DETAIL_HEADER,
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "authorization",
]);

/**
 * The front's channel to Node: its secret, the caller's address and Node's decision. Never
 * passed to a function, and a function's own values never reach the caller.
 */
export const FRONT_CHANNEL = Object.freeze([
  "x-fnbase-front",
  "x-fnbase-client-addr",
  "x-fnbase-decision",
]);

/**
 * Longest record line ("\x1e" + JSON on an instance's stdout) the host reads whole. A message is
 * cut at 16 KiB before encoding, and JSON escaping can make it up to 6 times longer (`\u0001`);
 * the runtime's `send` (_records.ts) keeps every record under this.
 */
export const MAX_RECORD_CHARS = 128 * 1024;

/**
 * Values per invocation record in the front's `inv` message: appId, functionName, requestId,
 * status, durationMs, bytesIn, bytesOut.
 */
export const RECORD_FIELDS = 7;

/** A Host value a function's request URL may carry: a name or IPv4 address, or a bracketed IPv6
 * address, with an optional port. */
const AUTHORITY = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The request target an instance receives for `pathAndQuery` (origin-form, as the caller sent
 * it): the absolute URL the caller used, `http://` + its Host + the path. Deno.serve takes
 * `req.url` from an absolute target; from a path alone it would say `http+unix://` (instances
 * listen on unix sockets), whose URL has a null origin. A missing or malformed Host gives
 * `localhost`. Node's gateway and the front's direct path both send this.
 */
export function functionTarget(host, pathAndQuery) {
  return `http://${host != null && validHost(host) ? host : "localhost"}${pathAndQuery}`;
}

/** Hosts already checked: a server sees few, and the check runs on every call. */
const checked = new Map();
let lastHost = "";
let lastOk = false;

/**
 * True when `host` is a Host value fnbase takes: a name or IPv4 address, or a bracketed IPv6
 * address, with an optional port. The shape test, then the URL parser's word (ports above 65535,
 * malformed IPv6 addresses).
 */
export function validHost(host) {
  // The last answer first: a string compare, where a Map lookup hashes the (fresh) string.
  if (host === lastHost) return lastOk;
  let ok = checked.get(host);
  if (ok === undefined) {
    ok = AUTHORITY.test(host) && URL.canParse(`http://${host}/`);
    if (checked.size >= 1000) checked.clear();
    checked.set(host, ok);
  }
  lastHost = host;
  lastOk = ok;
  return ok;
}
