/** See http_rules.js: what fnbase takes as a request, written once for the front and Node. */

/** The request methods fnbase serves (node:http's, without CONNECT). */
export declare const METHODS: readonly string[];
/** Largest request head a caller may send, in bytes. */
export declare const MAX_HEAD_BYTES: number;
/** Most header fields a caller may send (not counting Host, framing and the front's channel). */
export declare const MAX_HEADER_FIELDS: number;
/** node:http's `maxHeaderSize` on Node's internal listener. */
export declare const NODE_MAX_HEADER_BYTES: number;
/** Largest body of a request to a route that is not a function invocation, by default. */
export declare const SMALL_BODY_BYTES: number;
/** Ceiling for the entity routes' bodies. */
export declare const ENTITY_BODY_BYTES: number;

/** Why a request is refused: the status, code and message of the `{ error, code }` answer. */
export declare class Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  constructor(status: number, code: string, message: string);
  /** The JSON body of the answer. */
  body(): string;
}

/** A request head as fnbase reads it. */
export declare class Head {
  /** Origin-form target (an absolute-form one reduced to its path and query), or `*`. */
  readonly target: string;
  /** The Host (an absolute-form target's authority; empty for HTTP/1.0 without one). */
  readonly host: string;
  /** The declared Content-Length; undefined for a chunked body or none. */
  readonly length: number | undefined;
  readonly chunked: boolean;
  /** The connection stays open after the answer unless the answer closes it. */
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
  /** A WebSocket upgrade (GET, HTTP/1.1, `Connection: upgrade`, `Upgrade: websocket`). */
  readonly upgrade: boolean;
  /** A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method). */
  readonly preflight: boolean;
  /** The key a decision for this request is kept under (with the path); null: never cached. */
  readonly context: string | null;
  constructor(
    target: string,
    host: string,
    length: number | undefined,
    chunked: boolean,
    keepAlive: boolean,
    expectContinue: boolean,
    upgrade: boolean,
    preflight: boolean,
    context: string | null,
  );
}

/**
 * Checks a parsed request head (names lower-cased, values trimmed; normalised in place) and reads
 * what the front and Node need of it, or says why it is refused.
 */
export declare function checkHead(
  method: string,
  target: string,
  minor: number,
  headers: [string, string][],
): Head | Refusal;

/** Trims SP and HTAB around a field value (only those: U+00A0 is a value's byte). */
export declare function trimOws(s: string): string;
/** The largest body a request to `path` may have when it is not a function invocation. */
export declare function routeBodyLimit(
  path: string,
  maxUploadBytes: number,
  maxFileBytes?: number,
): number;
/** The message of a 413 for a body over `limit` bytes. */
export declare function bodyTooLargeMessage(limit: number): string;
/** The message of a 503 for an app with `limit` requests in progress. */
export declare function appBusyMessage(appId: string, limit: number): string;
/** A function's answer headers with the app's CORS headers, the function's own winning. */
export declare function withCors(
  fn: [string, string][],
  cors: readonly (readonly [string, string])[],
): [string, string][];

/** The path `@base44/sdk` opens its realtime socket on (socket.io, websocket transport). */
export declare const REALTIME_PATH: string;
/** True for a target on the realtime socket's path (the one non-invocation route that takes upgrades). */
export declare function isRealtimeTarget(target: string): boolean;
/** True for a request that changes an app's data but never what the front's decisions rest on. */
export declare function isDataRoute(target: string): boolean;

/** The Content-Security-Policy every function answer carries (a sandbox without allow-same-origin). */
export declare const FUNCTION_ANSWER_CSP: string;
/** A function's answer headers as callers get them: the app's CORS headers, then the sandbox policy. */
export declare function functionAnswerHeaders(
  fn: [string, string][],
  cors: readonly (readonly [string, string])[],
): [string, string][];
/** True for a `Set-Cookie` value functions may not send (`fnbase_…` names, `Path=/_…`). */
export declare function isReservedCookie(value: string): boolean;
/** Where the dashboard lives (`/_/`). */
export declare const DASHBOARD_PATH: string;
/** The dashboard's relay to the API (`/_/api/`). */
export declare const RELAY_PATH: string;
/** The API target a relay target stands for (`/_/api/apps` → `/api/apps`), or undefined. */
export declare function relayedTarget(target: string): string | undefined;
