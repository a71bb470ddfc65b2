/** What the front's HTTP server hands its handler and takes back (see server.ts). */

import type { Pipe } from "./tunnel.ts";

/** A request, as the handler sees it. */
export interface Incoming {
  readonly method: string;
  /** The request target: path and query (origin-form; an absolute-form target reduced). */
  readonly target: string;
  /**
   * Header fields in order: names lower-cased, values without surrounding whitespace, read as
   * ISO-8859-1 (one character per byte). Host is always there (empty for HTTP/1.0 without one).
   */
  readonly headers: readonly (readonly [string, string])[];
  /** The Host (an absolute-form target's authority), possibly empty. */
  readonly host: string;
  /** The declared Content-Length; undefined for a chunked body. */
  readonly length: number | undefined;
  /** The body, or null when the request has none. Iterate it once; its chunks are views, valid until the next is asked for. */
  readonly body: AsyncIterable<Uint8Array> | null;
  /** The caller's address (an IPv4 caller of a dual-stack listener as plain IPv4). */
  readonly remote: string;
  /** A WebSocket upgrade: an answer may switch protocols (status 101 with a tunnel). */
  readonly upgrade: boolean;
  /** A CORS preflight. */
  readonly preflight: boolean;
  /** The key a decision for this request is kept under (with its path); null: never from one. */
  readonly context: string | null;
  /** Why the body could not be read to its end: the caller left, or sent a malformed body. */
  readonly bodyFault: "gone" | "malformed" | undefined;
  /** Calls `onGone` once if the caller goes away before the answer is written. */
  watch(onGone: () => void): void;
}

/** What carries an upgraded connection once the 101 answer is written. */
export interface Tunnel {
  /** Carries bytes between the caller and the other side until either ends. */
  run(caller: Pipe): Promise<void>;
  /** The 101 answer could not be written: give the other side up. */
  cancel(): void;
}

/** An answer to write. */
export interface Answer {
  status: number;
  /**
   * Lower-case names. Framing is the server's: a `content-length` here counts only for a
   * stream body (whose source gave it) or an answer to HEAD.
   */
  headers: readonly (readonly [string, string])[];
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Close the connection after this answer. */
  close?: boolean;
  /** With status 101 to an upgrade request: what carries the connection after the answer. */
  tunnel?: Tunnel;
}

export type Handler = (req: Incoming) => Answer | Promise<Answer>;
