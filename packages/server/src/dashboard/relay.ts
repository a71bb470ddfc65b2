import { Readable } from "node:stream";
import { HOP_BY_HOP } from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";
import type { Context } from "hono";
import { request } from "undici";
import { CSRF_HEADER } from "./guard.js";
import type { Session } from "./sessions.js";

/**
 * Who a relayed request acts as, from the dashboard's `X-Fnbase-As` header: the session's own
 * credential (absent or `session`), nobody (`anonymous`: an invocation as an outside caller), or
 * the `Authorization` the page sent (`bearer`: a user token the dashboard obtained for the
 * invoke console's "run as a user").
 */
export const AS_HEADER = "x-fnbase-as";

const HOP = new Set(HOP_BY_HOP);
/** Browser and session headers that never reach the API. */
const DROPPED = new Set([
  "host",
  "cookie",
  "origin",
  "referer",
  CSRF_HEADER,
  AS_HEADER,
  "authorization",
  "api_key",
  "api-key",
  "content-length",
]);

/** The request headers the API gets: the page's own, minus the session's, plus its credential. */
function innerHeaders(c: Context, session: Session): Record<string, string> {
  const out: Record<string, string> = {};
  c.req.raw.headers.forEach((v, k) => {
    if (HOP.has(k) || DROPPED.has(k) || k.startsWith("sec-") || k.startsWith("x-forwarded-")) {
      return;
    }
    if (k.startsWith("x-fnbase-")) return;
    out[k] = v;
  });
  const as = c.req.header(AS_HEADER) ?? "session";
  if (as === "session") out.authorization = `Bearer ${credentialToken(session)}`;
  else if (as === "bearer") {
    const auth = c.req.header("authorization");
    if (auth === undefined) {
      throw new FnbaseError("BAD_REQUEST", `${AS_HEADER}: bearer needs an Authorization header`);
    }
    out.authorization = auth;
  } else if (as !== "anonymous") {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Invalid ${AS_HEADER}: ${JSON.stringify(as.slice(0, 40))}: session, anonymous or bearer`,
    );
  }
  const length = c.req.header("content-length");
  if (length !== undefined) out["content-length"] = length;
  return out;
}

const credentialToken = (s: Session) =>
  s.credential.kind === "key" ? s.credential.key : s.credential.token;

/**
 * The dashboard's relay: `/_/api/{rest}` is sent to the server's own public URL as
 * `/api/{rest}`, with the session's credential as `Authorization: Bearer` and without the
 * browser's cookie, Origin and CSRF token. Every API route (management, entities, invocations,
 * log streams) is then served by its one implementation, through the front, exactly as for any
 * client; the relay adds no route of its own. Bodies stream both ways (a function's streamed
 * answer and the live log tail arrive as they are written); the inner request ends when the
 * browser leaves. Answers pass as they are, encoding included.
 *
 * @example
 * return await relay(c, session, () => server.url);
 */
export async function relay(
  c: Context,
  session: Session,
  baseUrl: () => string,
): Promise<Response> {
  const u = new URL(c.req.url);
  const inner = `${u.pathname.slice(2)}${u.search}`;
  if (!inner.startsWith("/api/")) throw new FnbaseError("NOT_FOUND", "Not a relayed route");
  const method = c.req.method;
  const hasBody = method !== "GET" && method !== "HEAD" && c.req.raw.body !== null;
  const res = await request(`${baseUrl()}${inner}`, {
    method: method as "GET",
    headers: innerHeaders(c, session),
    body: hasBody
      ? Readable.fromWeb(c.req.raw.body as import("node:stream/web").ReadableStream)
      : null,
    signal: c.req.raw.signal,
    headersTimeout: 0,
    bodyTimeout: 0,
  }).catch((err: unknown) => {
    throw new FnbaseError(
      "UPSTREAM_ERROR",
      `The dashboard's relay failed: ${(err as Error).message}`,
    );
  });
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined || HOP.has(k) || k === "set-cookie") continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const empty = method === "HEAD" || res.statusCode === 204 || res.statusCode === 304;
  if (empty) res.body.resume();
  return new Response(empty ? null : (Readable.toWeb(res.body) as ReadableStream), {
    status: res.statusCode,
    headers,
  });
}
