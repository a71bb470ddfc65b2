/**
 * The front's HTTP/1.1 client: pooled connections to one upstream (a function instance's unix
 * socket, or the Node server's internal port), one request at a time per connection.
 *
 * Written here rather than taken from a library because it is the hot path and every library we
 * measured costs two to three times as much per request (`npm run bench:hops`: fetch() 48 us,
 * this 24 us). Its peers are our own processes, never outside callers: the caller's request was
 * parsed by the front's server (server.ts), and responses come from Deno.serve (instances) or
 * node:http (the server), so it reads only what those write: Content-Length, chunked or
 * close-delimited bodies, 1xx interim responses skipped.
 */

import { trimOws } from "../http_rules.js";
import { HOP_BY_HOP } from "../protocol.js";
import { BufferedConn } from "./buffer.ts";
import { latin1, latin1Bytes, latin1Into } from "./latin1.ts";
import { FIELD_VALUE, LENGTH, TOKEN } from "./syntax.ts";
import type { Pipe } from "./tunnel.ts";

const enc = new TextEncoder();

/**
 * Idle pooled connections over all upstreams, and their cap: each holds a file descriptor, and
 * the front's are shared with callers' connections (see admission.ts). Past the cap, a
 * connection whose exchange ends is closed rather than kept.
 */
export const idlePool = { count: 0, max: 256 };

/** The upstream closed or broke the connection before the exchange finished. */
export class UpstreamError extends Error {
  /** True when nothing of the response had arrived (safe to retry a bodiless request). */
  readonly beforeResponse: boolean;
  constructor(message: string, beforeResponse: boolean) {
    super(message);
    this.beforeResponse = beforeResponse;
  }
}

/**
 * The upstream could not be connected to (its socket refuses or is gone): nothing of the request
 * reached it, so another upstream may take the request whole.
 */
export class UpstreamUnreachable extends UpstreamError {
  constructor(message: string) {
    super(message, true);
  }
}

/** The request body went over its limit. */
export class BodyTooLarge extends Error {}

/**
 * A handle on one exchange, to abort it from outside (a time limit) without a timer or an
 * AbortSignal per request: aborting closes its connection.
 */
export class Exchange {
  aborted = false;
  /** Set by whoever aborted because the caller left. */
  callerGone = false;
  /** Request body bytes sent so far. */
  sent = 0;
  conn: { close(): void } | undefined;

  abort(): void {
    this.aborted = true;
    this.conn?.close();
  }
}

export type Endpoint =
  | { transport: "unix"; path: string }
  | { transport: "tcp"; hostname: string; port: number };

/** One connection and its read buffer. */
class Conn extends BufferedConn implements Pipe {
  readonly #head = new Uint8Array(16 * 1024);
  idleSince = 0;
  reused = false;

  constructor(conn: Deno.Conn) {
    super(conn, 16 * 1024);
  }

  /**
   * `text` as bytes, in a buffer of this connection's reused for every request head (encodeInto
   * costs a fraction of encode, which allocates): valid until the next call, and the exchange
   * awaits its write before anything else can call again on this connection.
   */
  encodeHead(text: string): Uint8Array {
    if (text.length > this.#head.length) return latin1Bytes(text);
    return this.#head.subarray(0, latin1Into(text, this.#head));
  }

  /** Reads more bytes into the buffer; false at end of stream. */
  async fill(): Promise<boolean> {
    let n: number | null;
    try {
      n = await this.conn.read(this.room());
    } catch {
      n = null;
    }
    if (n === null) return false;
    this.end += n;
    return true;
  }

  /** Index just past the next CRLF at or after `from`, or -1. */
  #lineEnd(from: number): number {
    for (let i = from + 1; i < this.end; i++) {
      if (this.buf[i] === 10 && this.buf[i - 1] === 13) return i + 1;
    }
    return -1;
  }

  /** The next CRLF-terminated line, without the CRLF. */
  async readLine(limit = 64 * 1024): Promise<string> {
    for (;;) {
      const e = this.#lineEnd(this.start);
      if (e !== -1) {
        const line = latin1(this.buf.subarray(this.start, e - 2));
        this.start = e;
        return line;
      }
      if (this.available > limit) throw new UpstreamError("upstream line too long", false);
      if (!(await this.fill())) throw new UpstreamError("upstream closed mid-line", false);
    }
  }

  /** The next bytes (a view, valid until the next read), or null at the end: as a tunnel's side. */
  async read(): Promise<Uint8Array | null> {
    if (this.available === 0 && !(await this.fill())) return null;
    const view = this.buf.subarray(this.start, this.end);
    this.start = this.end;
    return view;
  }

  /** Writes all of `bytes`; false when the upstream no longer reads. */
  write(bytes: Uint8Array): Promise<boolean> {
    return writeAll(this, bytes);
  }

  /** Up to `max` bytes (at least one), copied out; null at end of stream. */
  async readSome(max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.available === 0 && !(await this.fill())) return null;
    const n = Math.min(max, this.available);
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /** Waits for a full response head; returns the index just past it. */
  async headEnd(): Promise<number> {
    for (;;) {
      for (let i = this.start + 3; i < this.end; i++) {
        if (
          this.buf[i] === 10 &&
          this.buf[i - 1] === 13 &&
          this.buf[i - 2] === 10 &&
          this.buf[i - 3] === 13
        )
          return i + 1;
      }
      if (this.available > 256 * 1024) throw new UpstreamError("upstream head too large", false);
      if (!(await this.fill())) {
        throw new UpstreamError("upstream closed before answering", this.available === 0);
      }
    }
  }
}

/** A response head and its body. */
export interface UpstreamResponse {
  status: number;
  /** Headers as sent, lower-cased names, hop-by-hop ones removed. */
  headers: [string, string][];
  /** The whole body when it was short and already here, else a stream, or null for none. */
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array<ArrayBuffer>> | null;
  /** Resolves with the number of body bytes once the body has been read (or failed). */
  done: Promise<number>;
  /**
   * After a 101 to an upgrade request: the connection, now the function's side of a tunnel (its
   * `upgrade` header is in `headers`).
   */
  pipe?: Pipe;
}

/** Response headers not passed on: hop-by-hop ones, and Date (the front's server sets its own). */
const HOP = new Set([...HOP_BY_HOP, "date"]);

/** What a response head says: its headers (hop-by-hop ones dropped) and its framing. */
interface Head {
  headers: [string, string][];
  contentLength: number | undefined;
  chunked: boolean;
  keepAlive: boolean;
  /** The Upgrade header (hop-by-hop: passed on only with a 101 to an upgrade request). */
  upgrade: string | undefined;
}

/**
 * A well-formed response head (without its final empty line): a status line, then header
 * fields whose names are tokens and whose values hold no control characters. Deno.serve and
 * node:http write nothing else; anything else could split the answer the caller reads.
 */
const RESPONSE_HEAD = new RegExp(
  `^HTTP\\/1\\.[01] [1-9]\\d\\d(?: ${FIELD_VALUE})?\\r\\n(?:${TOKEN}:${FIELD_VALUE}\\r\\n)*$`,
);

/** Parses the response head in `buf[start, end)` (status line included, empty line last). */
function readHead(buf: Uint8Array, start: number, end: number): Head {
  const text = latin1(buf.subarray(start, end - 2));
  if (!RESPONSE_HEAD.test(text)) throw new UpstreamError("malformed response head", false);
  const lines = text.split("\r\n");
  const headers: [string, string][] = [];
  let contentLength: number | undefined;
  let chunked = false;
  let keepAlive = lines[0]!.startsWith("HTTP/1.1");
  let upgrade: string | undefined;
  for (let i = 1; i < lines.length - 1; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    // Deno.serve (hyper) writes lower-case names; node:http keeps what the code set.
    const name = line.slice(0, colon).toLowerCase();
    const value = trimOws(line.slice(colon + 1));
    if (name === "content-length") {
      if (!LENGTH.test(value)) throw new UpstreamError("malformed content-length", false);
      contentLength = Number(value);
      continue; // added back below when it frames the body
    }
    if (name === "transfer-encoding") chunked = value.toLowerCase().includes("chunked");
    else if (name === "upgrade") upgrade = value;
    else if (name === "connection") {
      const v = value.toLowerCase();
      if (v.includes("close")) keepAlive = false;
      else if (v.includes("keep-alive")) keepAlive = true;
    }
    if (!HOP.has(name)) headers.push([name, value]);
  }
  if (contentLength !== undefined && !chunked) {
    headers.push(["content-length", String(contentLength)]);
  }
  return { headers, contentLength, chunked, keepAlive, upgrade };
}

/** Pooled connections to one endpoint. */
export class Upstream {
  readonly endpoint: Endpoint;
  readonly #idle: Conn[] = [];
  #closed = false;

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
  }

  async #connect(): Promise<Conn> {
    const e = this.endpoint;
    const c =
      e.transport === "unix"
        ? await Deno.connect({ transport: "unix", path: e.path })
        : await Deno.connect({ hostname: e.hostname, port: e.port });
    if (e.transport === "tcp") (c as Deno.TcpConn).setNoDelay(true);
    return new Conn(c);
  }

  #take(): Conn | undefined {
    const now = Date.now();
    for (;;) {
      const c = this.#idle.pop();
      if (!c) return undefined;
      idlePool.count--;
      // node:http closes idle keep-alive connections after 65 s; never reuse one that old.
      if (now - c.idleSince < 30_000) {
        c.reused = true;
        return c;
      }
      c.close();
    }
  }

  #release(c: Conn): void {
    if (this.#closed || idlePool.count >= idlePool.max || c.available > 0) c.close();
    else {
      c.idleSince = Date.now();
      this.#idle.push(c);
      idlePool.count++;
    }
  }

  /** Closes every idle connection; busy ones close when their exchange ends. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) {
      idlePool.count--;
      c.close();
    }
  }

  /**
   * Sends one request and resolves with the response head. `head` is the request line and
   * header lines, each ending in CRLF, without the final empty line and without framing
   * headers: those follow from `body` and `length` (a length means Content-Length, none means
   * chunked). Rejects with {@link UpstreamError} when the upstream goes away first, and with
   * {@link BodyTooLarge} when the body passes `maxBodyBytes`. `x` aborts the exchange at any
   * point by closing its connection.
   *
   * With `upgrade` (`head` asks to switch protocols), the request goes on a connection of its
   * own, and a 101 answer comes back with the connection as its `pipe`.
   */
  async request(
    method: string,
    head: string,
    body: AsyncIterable<Uint8Array> | null,
    length: number | undefined,
    maxBodyBytes: number,
    x: Exchange | undefined,
    upgrade = false,
  ): Promise<UpstreamResponse> {
    let c = upgrade ? undefined : this.#take();
    let tried = false;
    if (c && body === null) {
      try {
        return await this.#exchange(c, method, head, body, length, maxBodyBytes, x, false);
      } catch (err) {
        // A pooled connection the upstream had just closed: try once on a new one.
        if (!(err instanceof UpstreamError && err.beforeResponse) || x?.aborted) throw err;
      }
      c = undefined;
      tried = true;
    }
    c ??= await this.#connect().catch((err: Error) => {
      // Unreachable only if no attempt went out: the one on the pooled connection may have
      // reached the upstream (and stopped it) before it closed.
      const message = `cannot connect: ${err.message}`;
      throw tried ? new UpstreamError(message, true) : new UpstreamUnreachable(message);
    });
    return await this.#exchange(c, method, head, body, length, maxBodyBytes, x, upgrade);
  }

  async #exchange(
    c: Conn,
    method: string,
    head: string,
    body: AsyncIterable<Uint8Array> | null,
    length: number | undefined,
    maxBodyBytes: number,
    x: Exchange | undefined,
    upgrade: boolean,
  ): Promise<UpstreamResponse> {
    if (x) {
      if (x.aborted) c.close();
      x.conn = c;
    }
    let framing = "\r\n";
    if (body !== null) {
      framing =
        length === undefined
          ? "transfer-encoding: chunked\r\n\r\n"
          : `content-length: ${length}\r\n\r\n`;
    } else if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
      framing = "content-length: 0\r\n\r\n";
    }
    let bodySent: Promise<boolean> = Promise.resolve(true);
    let bodyError: unknown;
    let bodySettled = body === null;
    try {
      if (!(await writeAll(c, c.encodeHead(head + framing)))) {
        throw new UpstreamError("upstream closed before taking the request", true);
      }
      if (body !== null) {
        bodySent = writeBody(c, body, length === undefined, maxBodyBytes, x)
          .then((sent) => {
            if (!sent) bodyError = new UpstreamError("upstream stopped reading the body", false);
            return sent;
          })
          .catch((err) => {
            bodyError = err;
            c.close();
            return false;
          })
          .finally(() => {
            bodySettled = true;
          });
      }
      let status: number;
      let end: number;
      for (;;) {
        end = await c.headEnd();
        const b = c.buf;
        const at = c.start + 9; // "HTTP/1.1 " then three digits
        status = (b[at]! - 48) * 100 + (b[at + 1]! - 48) * 10 + (b[at + 2]! - 48);
        if (status >= 200 || status === 101) break;
        c.start = end; // an interim 1xx: skip it
      }
      const h = readHead(c.buf, c.start, end);
      const { headers, contentLength, chunked, keepAlive } = h;
      c.start = end;
      if (status === 101) {
        if (x) x.conn = undefined;
        if (!upgrade || h.upgrade === undefined) {
          // A switch nobody asked for: the connection no longer speaks HTTP.
          c.close();
          return { status, headers, body: null, done: Promise.resolve(0) };
        }
        headers.push(["upgrade", h.upgrade]);
        return { status, headers, body: null, done: Promise.resolve(0), pipe: c };
      }
      const noBody = method === "HEAD" || status === 204 || status === 304;
      const finish = (reusable: boolean) => {
        if (x) x.conn = undefined;
        // An answer that came before the whole request body did (an early 413, say) ends the
        // connection: what is left of the body must not be read as the next request.
        if (reusable && keepAlive && bodySettled && bodyError === undefined && !c.closed)
          this.#release(c);
        else c.close();
      };

      if (noBody || contentLength === 0) {
        finish(true);
        return { status, headers, body: null, done: Promise.resolve(0) };
      }
      if (!chunked && contentLength !== undefined && c.available >= contentLength) {
        const whole = c.buf.slice(c.start, c.start + contentLength);
        c.start += contentLength;
        finish(true);
        return { status, headers, body: whole, done: Promise.resolve(contentLength) };
      }
      const source = chunked
        ? readChunked(c)
        : contentLength !== undefined
          ? readLength(c, contentLength)
          : readToClose(c);
      let resolveDone: (n: number) => void = () => {};
      const done = new Promise<number>((r) => {
        resolveDone = r;
      });
      let bytes = 0;
      const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
        async pull(ctl) {
          try {
            const { value, done: ended } = await source.next();
            if (ended) {
              ctl.close();
              finish(contentLength !== undefined || chunked);
              resolveDone(bytes);
              return;
            }
            bytes += value.length;
            ctl.enqueue(value);
          } catch (err) {
            ctl.error(err);
            finish(false);
            resolveDone(bytes);
          }
        },
        async cancel() {
          finish(false);
          resolveDone(bytes);
        },
      });
      return { status, headers, body: stream, done };
    } catch (err) {
      if (x) x.conn = undefined;
      c.close();
      await bodySent;
      if (bodyError instanceof BodyTooLarge) throw bodyError;
      if (err instanceof UpstreamError) {
        throw c.reused ? err : new UpstreamError(err.message, false);
      }
      throw new UpstreamError((err as Error).message, false);
    }
  }
}

/**
 * Streams the request body up. A body over `max` or a caller that goes away rejects (and the
 * exchange is aborted); an upstream that stops reading (it answered early, say with 413) ends
 * the upload quietly, and its answer is still read.
 */
async function writeBody(
  c: Conn,
  body: AsyncIterable<Uint8Array>,
  chunked: boolean,
  max: number,
  x: Exchange | undefined,
): Promise<boolean> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (x) x.sent = total;
    if (total > max) throw new BodyTooLarge();
    if (chunk.length === 0) continue;
    let bytes = chunk;
    if (chunked) {
      const sizeLine = enc.encode(`${chunk.length.toString(16)}\r\n`);
      bytes = new Uint8Array(sizeLine.length + chunk.length + 2);
      bytes.set(sizeLine);
      bytes.set(chunk, sizeLine.length);
      bytes[bytes.length - 2] = 13;
      bytes[bytes.length - 1] = 10;
    }
    if (!(await writeAll(c, bytes))) return false;
  }
  return chunked ? await writeAll(c, enc.encode("0\r\n\r\n")) : true;
}

/** Writes all of `bytes`; false when the upstream no longer reads. */
async function writeAll(c: Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    let off = 0;
    while (off < bytes.length) off += await c.conn.write(bytes.subarray(off));
    return true;
  } catch {
    return false;
  }
}

async function* readLength(c: Conn, length: number): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  let left = length;
  while (left > 0) {
    const part = await c.readSome(Math.min(left, 64 * 1024));
    if (part === null) throw new UpstreamError("upstream closed mid-body", false);
    left -= part.length;
    yield part;
  }
}

async function* readChunked(c: Conn): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  for (;;) {
    const sizeLine = await c.readLine();
    const size = Number.parseInt(sizeLine.split(";")[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new UpstreamError("bad chunk size", false);
    if (size === 0) {
      while ((await c.readLine()) !== "") {
        // trailers: dropped
      }
      return;
    }
    yield* readLength(c, size);
    if ((await c.readLine()) !== "") throw new UpstreamError("bad chunk end", false);
  }
}

async function* readToClose(c: Conn): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  for (;;) {
    const part = await c.readSome(64 * 1024);
    if (part === null) return;
    yield part;
  }
}
