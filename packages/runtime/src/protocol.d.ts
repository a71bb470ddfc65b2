/** See protocol.js: what both sides of the Node/Deno boundary must agree on. */

/** Headers that describe one hop, never forwarded either way. */
export declare const HOP_BY_HOP: readonly string[];
/** Set to "1" by the host when the caller may see a failure's details. */
export declare const ERROR_DETAIL_HEADER: string;
/** Headers only the host may set on a function's request. */
export declare const HOST_OWNED: readonly string[];
/** The front's channel to Node, never passed to a function or back to a caller. */
export declare const FRONT_CHANNEL: readonly string[];
/** Longest record line the host reads whole. */
export declare const MAX_RECORD_CHARS: number;
/** Values per invocation record in the front's `inv` message. */
export declare const RECORD_FIELDS: number;
/** The absolute request target an instance receives, so that `req.url` is the caller's URL. */
export declare function functionTarget(
  host: string | null | undefined,
  pathAndQuery: string,
): string;

/** True when `host` is a Host value fnbase takes (a name or address, an optional port). */
export declare function validHost(host: string): boolean;

/**
 * What Node's gateway hands the front with an invocation (`x-fnbase-decision`, base64url JSON):
 * how to send that kind of request straight to an instance.
 */
export interface Decision {
  /** The raw path it is for. */
  p: string;
  /**
   * The request's decision context as Node computed it (`checkHead` in http_rules.js): the front
   * keeps the decision only when its own context for the request is the same.
   */
  k: string;
  /** True when it holds for every path under `p` as well. */
  sub: boolean;
  /** Instance id. */
  i: string;
  /** The instance's unix socket. */
  s: string;
  /** Headers the host adds to the function's request. */
  h: [string, string][];
  /** CORS headers of the answer (none when the caller's origin is not allowed or absent). */
  c: [string, string][];
  /** Time limit, ms. */
  t: number;
  /** Body limit, bytes. */
  b: number;
  /** How long the decision may be used, ms. */
  ttl: number;
  /** App id and function name, for the invocation record. */
  a: string;
  f: string;
  /** Error bodies for a timeout (504), a crash (502) and a body over the limit (413). */
  e: { timeout: string; crashed: string; tooLarge: string };
}
