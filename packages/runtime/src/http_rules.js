// @ts-self-types="./http_rules.d.ts"
/**
 * What fnbase takes as a request, written once. The front's parser (front/server.ts) checks every
 * request head with {@link checkHead} before it answers or forwards anything, and Node's internal
 * listener (packages/server/src/http/listener.ts) checks what the front sends it with the same
 * function, so that a request gets one answer whichever side serves it. The same pass yields
 * the request's decision context (the key under which the front may answer it from a decision
 * Node handed back; Node puts the key it computed into the decision and the front keeps the
 * decision only under an equal key), and the body limits of the routes that are not function
 * invocations.
 *
 * Plain JavaScript (Node runs no TypeScript), typed by http_rules.d.ts. Sources: RFC 9110 and
 * RFC 9112; node:http 20 (llhttp 9) for the methods and what Node refuses itself; Deno.serve
 * (hyper) for what an instance refuses (more than 128 header fields, heads over about 64 KiB).
 */

import { FRONT_CHANNEL, validHost } from "./protocol.js";

/**
 * The request methods fnbase serves: node:http's list (llhttp 9, `http.METHODS` in Node 20)
 * without CONNECT, which asks for a tunnel, not a resource. Methods are case-sensitive: `get` is
 * not GET. Any other method gets 501.
 */
export const METHODS = Object.freeze([
  "ACL",
  "BIND",
  "CHECKOUT",
  "COPY",
  "DELETE",
  "GET",
  "HEAD",
  "LINK",
  "LOCK",
  "M-SEARCH",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MOVE",
  "NOTIFY",
  "OPTIONS",
  "PATCH",
  "POST",
  "PROPFIND",
  "PROPPATCH",
  "PURGE",
  "PUT",
  "QUERY",
  "REBIND",
  "REPORT",
  "SEARCH",
  "SOURCE",
  "SUBSCRIBE",
  "TRACE",
  "UNBIND",
  "UNLINK",
  "UNLOCK",
  "UNSUBSCRIBE",
]);
const METHOD_SET = new Set(METHODS);

/**
 * Largest request head a caller may send, in bytes (request line, header lines and the empty
 * line): 431 past it. Deno.serve refuses heads of about 64 KiB; the host adds its own headers
 * (a service token, the caller's address) on the way to the function, so callers get half.
 */
export const MAX_HEAD_BYTES = 32 * 1024;

/**
 * Most header fields a caller may send, not counting Host, Content-Length, Transfer-Encoding and
 * the front's channel (those the front sets itself on the way on): 431 past it. Deno.serve
 * refuses more than 128 fields, and the host adds up to 12.
 */
export const MAX_HEADER_FIELDS = 100;

/**
 * node:http's `maxHeaderSize` on Node's internal listener: room for a caller's largest head and
 * what the front adds, so that Node never refuses a head the front let through.
 */
export const NODE_MAX_HEADER_BYTES = 2 * MAX_HEAD_BYTES;

/** Largest body of a request to a route that is not a function invocation, unless named below. */
export const SMALL_BODY_BYTES = 1024 * 1024;

/**
 * Ceiling for the entity routes (`/api/apps/{id}/entities/...`): they cap their own bodies (16 MiB,
 * 50 MiB for imports); nothing under them takes more.
 */
export const ENTITY_BODY_BYTES = 50 * 1024 * 1024;

/** Why a request is refused: its status, error code and message (the `{ error, code }` body). */
export class Refusal {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  /** The JSON body of the answer. */
  body() {
    return JSON.stringify({ error: this.message, code: this.code });
  }
}

/** A request head as fnbase reads it (see {@link checkHead}). */
export class Head {
  /**
   * @param {string} target
   * @param {string} host
   * @param {number | undefined} length
   * @param {boolean} chunked
   * @param {boolean} keepAlive
   * @param {boolean} expectContinue
   * @param {boolean} upgrade
   * @param {boolean} preflight
   * @param {string | null} context
   */
  constructor(
    target,
    host,
    length,
    chunked,
    keepAlive,
    expectContinue,
    upgrade,
    preflight,
    context,
  ) {
    this.target = target;
    this.host = host;
    this.length = length;
    this.chunked = chunked;
    this.keepAlive = keepAlive;
    this.expectContinue = expectContinue;
    this.upgrade = upgrade;
    this.preflight = preflight;
    this.context = context;
  }
}

const LENGTH = /^\d{1,15}$/;
const ABSOLUTE = /^https?:\/\/([^/?#]*)(.*)$/i;
const FRONT = new Set(FRONT_CHANNEL);
/** Marks a header the request did not carry, in a decision context (values hold no NUL). */
const ABSENT = "\0";

/**
 * Trims the optional whitespace around a field value or list element: SP and HTAB only (not
 * what String.prototype.trim takes, such as U+00A0, a byte a value may hold).
 *
 * @param {string} s
 */
export function trimOws(s) {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Checks a parsed request head against what fnbase serves, and reads what both sides need of it.
 *
 * `headers` are the header fields in order, names lower-cased, values without surrounding
 * whitespace (as the front's parser and node:http's raw headers give them). It is normalised in
 * place: an absolute-form target's authority becomes the Host (RFC 9112, section 3.2.2), and an
 * HTTP/1.0 request without Host gets an empty one (it is then the same request as one with an
 * empty Host, on every path).
 *
 * Refused, with the status and code of the answer: a method not in {@link METHODS} (501
 * NOT_IMPLEMENTED); a target that is not origin-form, `http(s)://` absolute-form without
 * userinfo, or `*` for OPTIONS, or that holds a fragment (400); more than
 * {@link MAX_HEADER_FIELDS} fields (431 HEADERS_TOO_LARGE); no Host in HTTP/1.1, more than one, or
 * one that is not a host name or address with an optional port (400); Content-Length not digits
 * or two different ones (400); Transfer-Encoding other than `chunked` (501), with Content-Length
 * or in HTTP/1.0 (400); an expectation other than `100-continue` (417 EXPECTATION_FAILED).
 *
 * The context is null for a request that must always go to Node: a CORS preflight, or one that
 * repeats Authorization, X-App-Id or Origin (servers differ on which copy counts).
 *
 * @param {string} method
 * @param {string} target
 * @param {number} minor HTTP/1.x minor version
 * @param {[string, string][]} headers
 * @returns {Head | Refusal}
 */
export function checkHead(method, target, minor, headers) {
  if (method !== "GET" && method !== "POST" && !METHOD_SET.has(method)) {
    return new Refusal(501, "NOT_IMPLEMENTED", `Method not implemented: ${method}`);
  }
  let authority;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const abs = ABSOLUTE.exec(target);
    if (abs !== null) {
      authority = abs[1];
      const rest = abs[2];
      if (authority === "" || authority.includes("@") || !validHost(authority)) {
        return new Refusal(400, "BAD_REQUEST", `Malformed request target: ${target}`);
      }
      target = rest === "" ? "/" : rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
    } else if (!(target === "*" && method === "OPTIONS")) {
      return new Refusal(400, "BAD_REQUEST", `Malformed request target: ${target}`);
    }
  }
  // Both parsers allow only visible ASCII in a target; a fragment has no place in one.
  if (target.includes("#")) {
    return new Refusal(400, "BAD_REQUEST", `Malformed request target: ${target}`);
  }

  let fields = 0;
  let hostAt = -1;
  let hosts = 0;
  let length;
  let lengths = 0;
  let chunked = false;
  let close = false;
  let keepAlive = false;
  let connectionUpgrade = false;
  let upgradeTo;
  let expectContinue = false;
  let auth;
  let appId;
  let origin;
  let requestMethod = "";
  let repeated = false;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i];
    const value = h[1];
    switch (h[0]) {
      case "host":
        hosts++;
        hostAt = i;
        continue;
      case "content-length": {
        if (!LENGTH.test(value)) {
          return new Refusal(400, "BAD_REQUEST", `Malformed Content-Length: ${value}`);
        }
        const n = Number(value);
        if (length !== undefined && length !== n) {
          return new Refusal(400, "BAD_REQUEST", "Conflicting Content-Length values");
        }
        length = n;
        lengths++;
        continue;
      }
      case "transfer-encoding":
        if (value.toLowerCase() !== "chunked" || chunked) {
          return new Refusal(
            501,
            "NOT_IMPLEMENTED",
            `Transfer-Encoding "${value}" is not supported: send chunked or a Content-Length`,
          );
        }
        chunked = true;
        continue;
      case "connection":
        for (const token of value.toLowerCase().split(",")) {
          const t = trimOws(token);
          if (t === "close") close = true;
          else if (t === "keep-alive") keepAlive = true;
          else if (t === "upgrade") connectionUpgrade = true;
        }
        break;
      case "upgrade":
        upgradeTo = value;
        break;
      case "expect":
        if (value.toLowerCase() !== "100-continue") {
          return new Refusal(417, "EXPECTATION_FAILED", `Expectation "${value}" is not supported`);
        }
        expectContinue = true;
        break;
      case "authorization":
        if (auth !== undefined) repeated = true;
        auth = value;
        break;
      case "x-app-id":
        if (appId !== undefined) repeated = true;
        appId = value;
        break;
      case "origin":
        if (origin !== undefined) repeated = true;
        origin = value;
        break;
      case "access-control-request-method":
        requestMethod = value;
        break;
      default:
        if (FRONT.has(h[0])) continue;
    }
    fields++;
  }
  if (fields > MAX_HEADER_FIELDS) {
    return new Refusal(
      431,
      "HEADERS_TOO_LARGE",
      `Too many header fields: ${fields} (at most ${MAX_HEADER_FIELDS})`,
    );
  }
  if (hosts > 1) return new Refusal(400, "BAD_REQUEST", "More than one Host header");
  let host;
  if (authority !== undefined) {
    host = authority;
    if (hostAt === -1) headers.push(["host", host]);
    else headers[hostAt] = ["host", host];
  } else if (hostAt !== -1) {
    host = headers[hostAt][1];
    if (host !== "" && !validHost(host)) {
      return new Refusal(400, "BAD_REQUEST", `Malformed Host header: ${host}`);
    }
  } else if (minor === 1) {
    return new Refusal(400, "BAD_REQUEST", "Missing Host header: HTTP/1.1 requires one");
  } else {
    host = "";
    headers.push(["host", host]);
  }
  if (chunked && (lengths > 0 || minor === 0)) {
    return new Refusal(
      400,
      "BAD_REQUEST",
      minor === 0
        ? "Transfer-Encoding is not allowed in HTTP/1.0"
        : "Both Transfer-Encoding and Content-Length were sent",
    );
  }
  const preflight = method === "OPTIONS" && !!origin && requestMethod !== "";
  return new Head(
    target,
    host,
    chunked ? undefined : length,
    chunked,
    minor === 1 ? !close : keepAlive && !close,
    expectContinue && minor === 1,
    minor === 1 &&
      method === "GET" &&
      !chunked &&
      !(length > 0) &&
      connectionUpgrade &&
      upgradeTo !== undefined &&
      upgradeTo.toLowerCase() === "websocket",
    preflight,
    repeated || preflight
      ? null
      : `${host}\n${appId ?? ABSENT}\n${auth ?? ABSENT}\n${origin ?? ABSENT}`,
  );
}

/** The path `@base44/sdk` opens its realtime socket on (socket.io, websocket transport). */
export const REALTIME_PATH = "/ws-user-apps/socket.io/";

/**
 * True for a target on the realtime socket's path: besides function invocations, the one route
 * that takes a WebSocket upgrade (Node's realtime server answers it).
 *
 * @param {string} target
 */
export function isRealtimeTarget(target) {
  return target.startsWith(REALTIME_PATH);
}

/**
 * True for a request to `target` that changes an app's data but never what the front's decisions
 * rest on (apps, functions, secrets, keys: those Node flushes explicitly): records, files,
 * emails, analytics, sign-ins. The front keeps its decisions across these.
 *
 * @param {string} target
 */
export function isDataRoute(target) {
  // The dashboard's own routes change nothing a decision rests on, and what its relay passes on
  // comes back through the front as an ordinary /api request, which flushes for itself.
  return target.startsWith(DASHBOARD_PATH) || DATA_ROUTE.test(target);
}

/** Where the dashboard lives: its pages, its session (`/_/session`) and its relay (`/_/api/`). */
export const DASHBOARD_PATH = "/_/";
/** The dashboard's relay: `/_/api/{rest}` is `/api/{rest}` sent with the session's credentials. */
export const RELAY_PATH = "/_/api/";
const RELAYED_INVOCATION = /^\/api\/(?:apps\/[^/]+\/functions|functions)\/./;

/**
 * The API target a request to the dashboard's relay stands for (`/_/api/apps` → `/api/apps`),
 * or undefined for any other target.
 *
 * @param {string} target
 * @returns {string | undefined}
 */
export function relayedTarget(target) {
  return target.startsWith(RELAY_PATH) ? target.slice(2) : undefined;
}
const DATA_ROUTE =
  /^\/api\/apps\/[^/?#]+\/(?:entities|integration-endpoints|integrations|analytics|auth|users|runtime|files|app-logs)(?:[/?]|$)/;

/**
 * The largest body a request to `path` may have when `path` is not a function invocation (those
 * have the server's `maxBodyBytes`): for deploys (`/api/apps/{id}/backend-functions/...`) twice
 * the server's `maxUploadBytes` and 64 KiB (JSON escaping can double the files' size; the
 * deployer checks the files' own size), {@link ENTITY_BODY_BYTES} for the entity routes,
 * the largest file an app may upload plus 1 MiB (the multipart's other parts) for the
 * integration endpoints (`UploadFile`; any `integrations.*` call may carry files), and
 * {@link SMALL_BODY_BYTES} for everything else (users, apps, secrets, keys). The path is read as
 * a URL parser reads it (dot segments resolved, as the management API's router sees it); a
 * query is no part of it.
 *
 * @param {string} path
 * @param {number} maxUploadBytes
 * @param {number} [maxFileBytes]
 * @returns {number}
 */
export function routeBodyLimit(path, maxUploadBytes, maxFileBytes = 0) {
  const q = path.indexOf("?");
  let p = q === -1 ? path : path.slice(0, q);
  if (p.includes(".") || p.includes("%")) {
    try {
      p = new URL(p, "http://x").pathname;
    } catch {
      return SMALL_BODY_BYTES;
    }
  }
  // The relay passes a body on to the API route it stands for, which has its own limit; an
  // invocation's is the function's, enforced on the inner request.
  if (p.startsWith(RELAY_PATH)) {
    p = p.slice(2);
    if (RELAYED_INVOCATION.test(p)) return Number.POSITIVE_INFINITY;
  }
  const m = /^\/api\/apps\/[^/]+\/(backend-functions|entities|integration-endpoints)(?:\/|$)/.exec(
    p,
  );
  if (m === null) return SMALL_BODY_BYTES;
  if (m[1] === "integration-endpoints") return Math.max(maxFileBytes, 0) + 1024 * 1024;
  return m[1] === "entities" ? ENTITY_BODY_BYTES : maxUploadBytes * 2 + 64 * 1024;
}

/**
 * The message of a 413 (code PAYLOAD_TOO_LARGE) for a body over `limit` bytes.
 *
 * @param {number} limit
 */
export function bodyTooLargeMessage(limit) {
  return `Request body is over the limit of ${limit} bytes`;
}

/**
 * The message of a 503 (code SERVICE_UNAVAILABLE) for an app with `limit` requests in progress
 * on one path (the front's or Node's).
 *
 * @param {string} appId
 * @param {number} limit
 */
export function appBusyMessage(appId, limit) {
  return `App "${appId}" has ${limit} requests in progress, its limit: try again shortly`;
}

/**
 * A function's answer headers with the app's CORS headers for this request (`cors`: none when
 * the caller's origin is absent or not allowed by the app). A function that answered CORS itself
 * (its answer has Access-Control-Allow-Origin) keeps its headers as they are and gets none of the
 * app's. Otherwise the app's are added, its `Vary: Origin` joined to the function's Vary, and the
 * function's other Access-Control-* headers (Allow-Credentials, say) are kept.
 *
 * @param {[string, string][]} fn lower-case names
 * @param {readonly (readonly [string, string])[]} cors
 * @returns {[string, string][]}
 */
export function withCors(fn, cors) {
  if (cors.length === 0) return fn;
  let vary = -1;
  for (let i = 0; i < fn.length; i++) {
    const k = fn[i][0];
    if (k === "access-control-allow-origin") return fn;
    if (k === "vary") vary = i;
  }
  const out = fn.slice();
  for (const [k, v] of cors) {
    if (k === "vary" && vary !== -1) {
      const have = out[vary][1];
      if (
        !have
          .toLowerCase()
          .split(",")
          .some((t) => trimOws(t) === "origin" || trimOws(t) === "*")
      ) {
        out[vary] = ["vary", `${have}, ${v}`];
      }
    } else out.push([k, v]);
  }
  return out;
}

/**
 * The policy every function answer carries: the answer runs in a sandbox without
 * `allow-same-origin`, so the browser gives an HTML page a function serves an opaque origin.
 * Function answers share the server's origin with the dashboard (`/_/`); without this, a page a
 * hostile function serves could read the dashboard's session through same-origin requests. The
 * page still runs scripts, posts forms, opens popups (sandboxed too) and downloads files; it
 * cannot read cookies or storage of the server's origin, nor read same-origin answers without
 * CORS. A function's own Content-Security-Policy is kept beside it: browsers apply both.
 */
export const FUNCTION_ANSWER_CSP =
  "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/**
 * A function's answer headers as a caller gets them, on every path (Node's gateway, the front's
 * direct path, WebSocket handshakes): the app's CORS headers combined with the function's
 * ({@link withCors}) and the sandbox policy ({@link FUNCTION_ANSWER_CSP}). The one place both
 * paths build an answer's headers, so they cannot differ.
 *
 * @param {[string, string][]} fn lower-case names
 * @param {readonly (readonly [string, string])[]} cors
 * @returns {[string, string][]}
 */
export function functionAnswerHeaders(fn, cors) {
  const out = withCors(fn, cors);
  let own = out === fn ? out.slice() : out;
  if (own.some(([k, v]) => k === "set-cookie" && isReservedCookie(v))) {
    own = own.filter(([k, v]) => k !== "set-cookie" || !isReservedCookie(v));
  }
  own.push(["content-security-policy", FUNCTION_ANSWER_CSP]);
  return own;
}

/**
 * True for a `Set-Cookie` value a function may not send: a cookie named `fnbase_…` (the
 * dashboard's session cookie is one) or scoped to the dashboard's path (`Path=/_…`). Without
 * this, a tenant's answer could replace the operator's dashboard session with the tenant's own
 * (login CSRF) or shadow it with a cookie on a longer path; the CSP sandbox stops scripts, not
 * headers. Such a cookie is dropped from the answer; the rest of the answer is kept.
 *
 * @param {string} v
 */
export function isReservedCookie(v) {
  const parts = v.split(";");
  const name = trimOws(parts[0].split("=")[0]).toLowerCase();
  if (name.startsWith("fnbase_")) return true;
  for (let i = 1; i < parts.length; i++) {
    const [k, ...rest] = parts[i].split("=");
    if (trimOws(k).toLowerCase() !== "path") continue;
    const path = trimOws(rest.join("="));
    if (path === "/_" || path.startsWith("/_/")) return true;
  }
  return false;
}
