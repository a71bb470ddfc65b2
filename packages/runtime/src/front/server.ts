/**
 * The front's HTTP/1.1 server: the public side of the front, on plain TCP connections.
 *
 * Written here rather than taken from Deno.serve because the front is the hot path of every
 * invocation, and a proxy needs none of Deno.serve's Request, Headers and Response objects,
 * which add about 70% to the cost of a hop: `npm run bench:hops` measured 59 us of CPU per
 * request for a minimal hop on Deno.serve and 35 for one on plain TCP (2026-11-24). The front
 * only reads a request head, adds headers and copies bytes, so it keeps them as strings and
 * bytes.
 *
 * What a request is, is http_rules.js's word (checkHead: methods, targets, Host, field counts,
 * framing headers), shared with Node's internal listener. This server adds the syntax: request
 * line `METHOD SP target SP HTTP/1.x`, header names tokens, values without control characters
 * (read as ISO-8859-1, one character per byte), lines ending in CRLF (a bare LF is refused as
 * soon as it arrives), heads of at most MAX_HEAD_BYTES (431 past it); anything else gets a coded
 * 400 (or 501, 505, 417) and the connection closes. It never forwards the caller's framing:
 * every body is re-framed by the front's client (http1.ts), so what an instance or Node reads is
 * exactly what the front parsed.
 * - `Expect: 100-continue` is answered when the body is first read.
 * - A connection has 30 s to send a whole head, and is closed after 60 s idle between requests.
 * - Requests on one connection are answered in order (pipelining works, one at a time).
 * - Connections are capped per client address and in all (admission.ts).
 * - Answers: a byte body gets Content-Length; a stream keeps a Content-Length its source gave,
 *   else is sent chunked (HTTP/1.1) or closes the connection at its end (HTTP/1.0); a 101 to a
 *   WebSocket upgrade hands the connection to the answer's tunnel.
 */

import { MAX_HEAD_BYTES, Refusal } from "../http_rules.js";
import { Admission, type AdmissionLimits } from "./admission.ts";
import { refusalBytes, writeAnswer } from "./answer.ts";
import { Connection } from "./connection.ts";
import { headEnd, type IncomingRequest, parseHead } from "./incoming.ts";
import type { Answer, Handler } from "./message.ts";

export type { Answer, Handler, Incoming, Tunnel } from "./message.ts";

export interface ServerOptions extends Partial<AdmissionLimits> {
  /** How long a connection may take to send a whole request head (default 30 s). */
  headTimeoutMs?: number;
  /** How long a connection may stay idle between requests (default 60 s). */
  idleTimeoutMs?: number;
}

const HEAD_TOO_LARGE = new Refusal(
  431,
  "HEADERS_TOO_LARGE",
  `The request head is over ${MAX_HEAD_BYTES / 1024} KiB`,
);
const BARE_LF = new Refusal(400, "BAD_REQUEST", "A line of the request head ends in LF without CR");

/** The front's HTTP/1.1 server on one or more listening sockets. */
export class HttpServer {
  readonly #handler: Handler;
  readonly #onError: (err: unknown) => Answer;
  readonly #listeners: Deno.TcpListener[] = [];
  readonly #conns = new Set<Connection>();
  readonly admission: Admission;
  #closing = false;
  #sweep: ReturnType<typeof setInterval>;

  constructor(handler: Handler, onError: (err: unknown) => Answer, options: ServerOptions = {}) {
    this.#handler = handler;
    this.#onError = onError;
    this.admission = new Admission({
      maxConnections: options.maxConnections ?? 10_000,
      maxPerAddress: options.maxPerAddress ?? 256,
    });
    const headMs = options.headTimeoutMs ?? 30_000;
    const idleMs = options.idleTimeoutMs ?? 60_000;
    // Closing a connection ends its pending read: its loop then ends as for a caller who left.
    this.#sweep = setInterval(
      () => {
        const now = Date.now();
        for (const c of this.#conns) {
          if (
            (c.state === "idle" && now - c.since > idleMs) ||
            (c.state === "head" && now - c.since > headMs)
          ) {
            c.close();
          }
        }
      },
      Math.min(1_000, headMs / 2, idleMs / 2),
    );
  }

  /** Listens on `hostname:port` (throws as Deno.listen does) and serves what arrives there. */
  listen(hostname: string, port: number): Deno.NetAddr {
    const listener = Deno.listen({ hostname, port });
    this.#listeners.push(listener);
    void this.#accept(listener);
    return listener.addr;
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (this.#closing || err instanceof Deno.errors.BadResource) return;
        // Out of file descriptors, say: wait rather than spin.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.#closing) {
        conn.close();
        continue;
      }
      void this.#serve(conn);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const c = new Connection(conn);
    const refused = this.admission.admit(c);
    if (refused !== undefined) {
      await c.write(refusalBytes(refused, "retry-after: 1\r\n"));
      c.close();
      return;
    }
    try {
      conn.setNoDelay(true);
    } catch {
      // already gone
    }
    this.#conns.add(c);
    // Set when an answer went out before its request's body was read (see lingerClose).
    let linger = false;
    try {
      for (;;) {
        c.state = "idle";
        c.since = Date.now();
        let req: IncomingRequest | null;
        try {
          req = await this.#nextRequest(c);
        } catch (err) {
          if (err instanceof Refusal && !c.lost) await c.write(refusalBytes(err));
          return;
        }
        if (req === null) return;
        c.state = "busy";
        let answer: Answer;
        try {
          answer = await this.#handler(req);
        } catch (err) {
          answer = this.#onError(err);
        }
        // writeAnswer keeps the connection only if the body was read to its end.
        if (!(await writeAnswer(c, req, answer, this.#closing)) || this.#closing) {
          linger = req.answered && !req.bodyDone && !c.lost;
          return;
        }
      }
    } finally {
      if (linger) await c.lingerClose();
      else c.close();
      this.#conns.delete(c);
      this.admission.remove(c);
    }
  }

  /** The next request's head, or null when the caller closed the connection between requests. */
  async #nextRequest(c: Connection): Promise<IncomingRequest | null> {
    for (;;) {
      // Empty lines before a request line are allowed (RFC 9112, section 2.2).
      while (c.available >= 2 && c.buf[c.start] === 13 && c.buf[c.start + 1] === 10) c.start += 2;
      if (c.available > 0) {
        const end = headEnd(c.buf, c.start, c.end);
        if (end === -2) throw BARE_LF;
        if (end !== -1) {
          if (end - c.start > MAX_HEAD_BYTES) throw HEAD_TOO_LARGE;
          return parseHead(c, end);
        }
        if (c.available > MAX_HEAD_BYTES) throw HEAD_TOO_LARGE;
        if (c.state === "idle") {
          c.state = "head";
          c.since = Date.now();
        }
      }
      if (this.#closing && c.available === 0) return null;
      if (!(await c.fill())) return null;
    }
  }

  /** Stops listening (connections already accepted are still served). */
  closeListeners(): void {
    for (const l of this.#listeners.splice(0)) {
      try {
        l.close();
      } catch {
        // already closed
      }
    }
  }

  /**
   * Stops listening, closes idle connections, and resolves once every request in progress has
   * been answered.
   */
  async shutdown(): Promise<void> {
    this.#closing = true;
    this.closeListeners();
    for (;;) {
      // A tunnel (an upgraded connection) has no end of its own to wait for.
      for (const c of this.#conns) if (c.state !== "busy") c.close();
      if (this.#conns.size === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    clearInterval(this.#sweep);
  }
}
