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
 * It is strict where leniency would let two parsers disagree about a message, and it never
 * forwards the caller's framing: every body is re-framed by the front's client (http1.ts), so
 * what an instance or Node reads is exactly what the front parsed.
 * - Request line `METHOD SP origin-form SP HTTP/1.x` (absolute-form is accepted and reduced to
 *   its path; `*` for OPTIONS), header names tokens, values without control characters, lines
 *   ending in CRLF, the head valid UTF-8 and at most 64 KiB (431 past it): else 400 and close.
 * - Content-Length digits only, repeated only with the same value; Transfer-Encoding `chunked`
 *   only (501 otherwise), never with Content-Length, never on HTTP/1.0; more than one Host: 400.
 * - `Expect: 100-continue` is answered when the body is first read; any other expectation 417.
 * - A connection has 30 s to send a whole head, and is closed after 60 s idle between requests.
 * - Requests on one connection are answered in order (pipelining works, one at a time).
 * - Answers: a byte body gets Content-Length; a stream keeps a Content-Length its source gave,
 *   else is sent chunked (HTTP/1.1) or closes the connection at its end (HTTP/1.0).
 */

import { BufferedConn } from "./buffer.ts";
import { FIELD_VALUE, LENGTH, TOKEN } from "./syntax.ts";

const enc = new TextEncoder();
// Deno decodes with a faster path when the decoder is not fatal: decode so, and check with the
// fatal one only when a replacement character shows a sequence may have been invalid.
const dec = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

/** `bytes` as UTF-8; throws on an invalid sequence. */
function utf8(bytes: Uint8Array): string {
  const text = dec.decode(bytes);
  return text.includes("\uFFFD") ? strict.decode(bytes) : text;
}

const MAX_HEAD = 64 * 1024;
const MAX_HEADERS = 256;

/** A request, as the handler sees it. */
export interface Incoming {
  readonly method: string;
  /** The request target: path and query (origin-form). */
  readonly target: string;
  /** Header fields in order: names lower-cased, values without surrounding whitespace. */
  readonly headers: readonly (readonly [string, string])[];
  /** The declared Content-Length; undefined for a chunked body. */
  readonly length: number | undefined;
  /** The body, or null when the request has none. Iterate it once; its chunks are views, valid until the next is asked for. */
  readonly body: AsyncIterable<Uint8Array> | null;
  /** The caller's address (an IPv4 caller of a dual-stack listener as plain IPv4). */
  readonly remote: string;
  /** Why the body could not be read to its end: the caller left, or sent a malformed body. */
  readonly bodyFault: "gone" | "malformed" | undefined;
  /** Calls `onGone` once if the caller goes away before the answer is written. */
  watch(onGone: () => void): void;
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
}

export type Handler = (req: Incoming) => Answer | Promise<Answer>;

export interface ServerOptions {
  /** How long a connection may take to send a whole request head (default 30 s). */
  headTimeoutMs?: number;
  /** How long a connection may stay idle between requests (default 60 s). */
  idleTimeoutMs?: number;
}

/** A request the server answers itself, and then closes the connection. */
class Refusal extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const REQUEST_HEAD = new RegExp(
  `^(${TOKEN}) ([\\x21-\\x7e]+) HTTP\\/1\\.([01])\\r\\n((?:${TOKEN}:${FIELD_VALUE}\\r\\n)*)$`,
);
const CHUNK_SIZE = new RegExp(`^([0-9A-Fa-f]{1,12})[\\t ]*(?:;${FIELD_VALUE})?$`);
/** Header lines as the server writes them: token names, values without control characters. */
const HEADER_LINES = new RegExp(`^(?:${TOKEN}: ${FIELD_VALUE}\\r\\n)*$`);
const HEADER_LINE = new RegExp(`^${TOKEN}: ${FIELD_VALUE}\\r\\n$`);

const EMPTY = new Uint8Array(0);

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

let dateText = "";
let dateAt = 0;
/** The Date header's value, recomputed at most once a second. */
function httpDate(): string {
  const now = Date.now();
  if (now - dateAt >= 1000) {
    dateAt = now - (now % 1000);
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** Trims the optional whitespace (SP, HTAB) around a field value. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** One accepted connection: its read buffer, its state for the timeouts, and who watches it. */
class Connection extends BufferedConn<Deno.TcpConn> {
  readonly remote: string;
  /** What the sweep times: waiting for a request, reading a head, or answering. */
  state: "idle" | "head" | "busy" = "idle";
  since = Date.now();
  /** The caller closed its side or the connection broke. */
  lost = false;
  /** Reused for every answer's head (and a byte body that fits with it). */
  out = EMPTY;
  #reading: Promise<boolean> | null = null;
  #onGone: (() => void) | null = null;

  constructor(conn: Deno.TcpConn) {
    // Grows for a long head (up to 64 KiB) and for a body; most requests fit in 4 KiB.
    super(conn, 4 * 1024);
    const a = (conn.remoteAddr as Deno.NetAddr).hostname;
    this.remote = a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
  }

  /** A buffer of `size` bytes for a body (not while a read fills this one). */
  grow(size: number): void {
    if (this.#reading === null) this.resize(size);
  }

  /** Reads more bytes into the buffer; false at the end of the stream. One read at a time. */
  fill(): Promise<boolean> {
    this.#reading ??= this.#read();
    return this.#reading;
  }

  async #read(): Promise<boolean> {
    let n: number | null;
    try {
      n = await this.conn.read(this.room());
    } catch {
      n = null;
    }
    this.#reading = null;
    if (n === null) {
      this.gone();
      return false;
    }
    this.end += n;
    return true;
  }

  /** The caller went away: tell whoever watches, once. */
  gone(): void {
    this.lost = true;
    const f = this.#onGone;
    this.#onGone = null;
    f?.();
  }

  /** Calls `onGone` if the caller goes away before {@link unwatch}. */
  watch(onGone: () => void): void {
    if (this.lost) {
      onGone();
      return;
    }
    this.#onGone = onGone;
  }

  unwatch(): void {
    this.#onGone = null;
  }

  get watched(): boolean {
    return this.#onGone !== null;
  }

  /**
   * While an answer is awaited and nothing else reads: reads ahead (a pipelined request is
   * kept for later) so that a caller who leaves is noticed.
   */
  async readAhead(): Promise<void> {
    while (this.watched && this.state === "busy" && this.available <= MAX_HEAD) {
      if (!(await this.fill())) return;
    }
  }

  /** Writes all of `bytes`; false when the caller is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
      return true;
    } catch {
      this.gone();
      return false;
    }
  }
}

/** One request on a connection: its parsed head and its body reader. */
class IncomingRequest implements Incoming {
  readonly method: string;
  readonly target: string;
  readonly headers: [string, string][];
  readonly length: number | undefined;
  readonly body: AsyncIterable<Uint8Array> | null;
  readonly minor: number;
  readonly keepAlive: boolean;
  bodyFault: "gone" | "malformed" | undefined;
  /** The body was read to its end (or there was none). */
  bodyDone: boolean;
  /** The answer has been written: stop watching. */
  answered = false;
  readonly #c: Connection;
  #continue: boolean;

  constructor(
    c: Connection,
    method: string,
    target: string,
    headers: [string, string][],
    minor: number,
    keepAlive: boolean,
    length: number | undefined,
    chunked: boolean,
    expectContinue: boolean,
  ) {
    this.#c = c;
    this.method = method;
    this.target = target;
    this.headers = headers;
    this.minor = minor;
    this.keepAlive = keepAlive;
    this.length = chunked ? undefined : length;
    this.#continue = expectContinue;
    if (chunked) this.body = this.#chunked();
    else if (length !== undefined && length > 0) this.body = this.#sized(length);
    else this.body = null;
    this.bodyDone = this.body === null;
  }

  get remote(): string {
    return this.#c.remote;
  }

  watch(onGone: () => void): void {
    if (this.answered) return;
    this.#c.watch(onGone);
    // While the body is being read, its reader notices a caller who leaves.
    if (this.bodyDone) void this.#c.readAhead();
  }

  async #sendContinue(): Promise<void> {
    if (!this.#continue) return;
    this.#continue = false;
    await this.#c.write(enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
  }

  /** Marks the body finished; a watcher waiting for that starts reading ahead. */
  #finished(): void {
    this.bodyDone = true;
    if (!this.answered && this.#c.watched) void this.#c.readAhead();
  }

  /** The body cannot be read to its end; the connection closes after the answer. */
  #fault(kind: "gone" | "malformed", message: string): Error {
    this.bodyFault = kind;
    return new Error(message);
  }

  async *#sized(length: number): AsyncGenerator<Uint8Array> {
    await this.#sendContinue();
    yield* this.#bytes(length);
    this.#finished();
  }

  async *#bytes(length: number): AsyncGenerator<Uint8Array> {
    const c = this.#c;
    let left = length;
    // A body worth it reads in 64 KiB pieces (the chunks already handed out have been used).
    if (left > c.buf.length && c.buf.length < 64 * 1024) c.grow(64 * 1024);
    while (left > 0) {
      if (c.available === 0 && !(await c.fill())) {
        throw this.#fault("gone", "the caller closed the connection before sending the whole body");
      }
      const n = Math.min(left, c.available);
      const view = c.buf.subarray(c.start, c.start + n);
      c.start += n;
      left -= n;
      yield view;
    }
  }

  /** The next CRLF-terminated line of a chunked body, without the CRLF. */
  async #line(): Promise<string> {
    const c = this.#c;
    for (;;) {
      const lf = c.buf.subarray(0, c.end).indexOf(10, c.start);
      if (lf !== -1) {
        if (lf === c.start || c.buf[lf - 1] !== 13) {
          throw this.#fault("malformed", "a chunked body's line does not end in CRLF");
        }
        let line: string;
        try {
          line = utf8(c.buf.subarray(c.start, lf - 1));
        } catch {
          throw this.#fault("malformed", "a chunked body's line is not valid UTF-8");
        }
        c.start = lf + 1;
        return line;
      }
      if (c.available > 4096) throw this.#fault("malformed", "a chunked body's line is too long");
      if (!(await c.fill())) {
        throw this.#fault("gone", "the caller closed the connection before sending the whole body");
      }
    }
  }

  async *#chunked(): AsyncGenerator<Uint8Array> {
    await this.#sendContinue();
    for (;;) {
      const m = CHUNK_SIZE.exec(await this.#line());
      if (m === null) throw this.#fault("malformed", "a chunked body has a malformed chunk size");
      const size = Number.parseInt(m[1]!, 16);
      if (size === 0) break;
      yield* this.#bytes(size);
      if ((await this.#line()) !== "") {
        throw this.#fault("malformed", "a chunk of a chunked body is longer than its size");
      }
    }
    // Trailer fields: read and dropped (nothing the front forwards depends on them).
    let trailers = 0;
    for (;;) {
      const line = await this.#line();
      if (line === "") break;
      if (++trailers > MAX_HEADERS) throw this.#fault("malformed", "too many trailer fields");
    }
    this.#finished();
  }
}

/** Index just past the empty line ending a head that starts at `from`, or -1. */
function headEnd(buf: Uint8Array, from: number, end: number): number {
  const view = buf.subarray(0, end);
  let i = from;
  for (;;) {
    const lf = view.indexOf(10, i);
    if (lf === -1) return -1;
    if (lf >= from + 3 && view[lf - 1] === 13 && view[lf - 2] === 10 && view[lf - 3] === 13) {
      return lf + 1;
    }
    i = lf + 1;
  }
}

/** Parses the head in `c.buf[c.start, end)` (which ends in an empty line). */
function parseHead(c: Connection, end: number): IncomingRequest {
  let text: string;
  try {
    // Without the empty line's CRLF: every line then ends in CRLF.
    text = utf8(c.buf.subarray(c.start, end - 2));
  } catch {
    throw new Refusal(400, "BAD_REQUEST", "The request head is not valid UTF-8");
  }
  c.start = end;
  const m = REQUEST_HEAD.exec(text);
  if (m === null) {
    if (/^[^ \r\n]+ [^ \r\n]+ HTTP\/(?!1\.[01]\r)\d/.test(text)) {
      throw new Refusal(505, "HTTP_VERSION_NOT_SUPPORTED", "Only HTTP/1.0 and HTTP/1.1 are served");
    }
    throw new Refusal(400, "BAD_REQUEST", "Malformed request head");
  }
  const method = m[1]!;
  let target = m[2]!;
  const minor = m[3] === "1" ? 1 : 0;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const abs = /^https?:\/\/[^/?#]+/i.exec(target);
    if (abs !== null) target = target.length === abs[0].length ? "/" : target.slice(abs[0].length);
    else if (!(target === "*" && method === "OPTIONS")) {
      throw new Refusal(400, "BAD_REQUEST", "Malformed request target");
    }
  }
  const lines = m[4]!.split("\r\n");
  if (lines.length - 1 > MAX_HEADERS) {
    throw new Refusal(431, "HEADERS_TOO_LARGE", "Too many header fields");
  }
  const headers: [string, string][] = [];
  let length: number | undefined;
  let chunked = false;
  let close = false;
  let keepAlive = false;
  let expectContinue = false;
  let hosts = 0;
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = trimOws(line.slice(colon + 1));
    headers.push([name, value]);
    switch (name) {
      case "host":
        hosts++;
        break;
      case "content-length": {
        if (!LENGTH.test(value)) {
          throw new Refusal(400, "BAD_REQUEST", "Malformed Content-Length");
        }
        const n = Number(value);
        if (length !== undefined && length !== n) {
          throw new Refusal(400, "BAD_REQUEST", "Conflicting Content-Length values");
        }
        length = n;
        break;
      }
      case "transfer-encoding":
        if (value.toLowerCase() !== "chunked" || chunked) {
          throw new Refusal(
            501,
            "NOT_IMPLEMENTED",
            `Transfer-Encoding "${value}" is not supported: send chunked or a Content-Length`,
          );
        }
        chunked = true;
        break;
      case "connection":
        for (const token of value.toLowerCase().split(",")) {
          const t = trimOws(token);
          if (t === "close") close = true;
          else if (t === "keep-alive") keepAlive = true;
        }
        break;
      case "expect":
        if (value.toLowerCase() !== "100-continue") {
          throw new Refusal(417, "EXPECTATION_FAILED", `Expectation "${value}" is not supported`);
        }
        expectContinue = true;
        break;
    }
  }
  if (hosts > 1) throw new Refusal(400, "BAD_REQUEST", "More than one Host header");
  if (chunked && (length !== undefined || minor === 0)) {
    throw new Refusal(
      400,
      "BAD_REQUEST",
      minor === 0
        ? "Transfer-Encoding is not allowed in HTTP/1.0"
        : "Both Transfer-Encoding and Content-Length were sent",
    );
  }
  const keep = minor === 1 ? !close : keepAlive && !close;
  return new IncomingRequest(
    c,
    method,
    target,
    headers,
    minor,
    keep,
    length,
    chunked,
    expectContinue && minor === 1,
  );
}

/** Writes `a` as the answer to `req`; true when the connection can serve another request. */
async function writeAnswer(
  c: Connection,
  req: IncomingRequest,
  a: Answer,
  closing: boolean,
): Promise<boolean> {
  let status = a.status;
  let body = a.body;
  if (status < 200 || status > 999) {
    // Interim or nonsensical: no protocol switch is offered, so nothing upstream may answer so.
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    status = 502;
    body = enc.encode(
      JSON.stringify({
        error: "The function answered with an invalid status",
        code: "UPSTREAM_ERROR",
      }),
    );
  }
  const head = req.method === "HEAD";
  const bodiless = head || status === 204 || status === 304;
  let keep = req.keepAlive && !a.close && !closing && req.bodyDone && !c.lost;
  let lines = "";
  let declared: string | undefined;
  for (const [k, v] of a.headers) {
    if (k === "content-length") declared = v;
    else lines += `${k}: ${v}\r\n`;
  }
  // One pass checks them all; only a bad answer pays for finding the bad lines. A line that
  // could end the head early or start another never reaches the caller.
  if (!HEADER_LINES.test(lines)) {
    let kept = "";
    for (const [k, v] of a.headers) {
      const line = `${k}: ${v}\r\n`;
      if (k !== "content-length" && HEADER_LINE.test(line)) kept += line;
    }
    lines = kept;
  }
  let text = `HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\ndate: ${httpDate()}\r\n${lines}`;
  const declaredLength =
    declared !== undefined && LENGTH.test(declared) ? Number(declared) : undefined;
  let stream: ReadableStream<Uint8Array> | null = null;
  let bytes: Uint8Array | null = null;
  let chunked = false;
  let sized: number | undefined;
  if (bodiless) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    if (head) {
      const n = body instanceof Uint8Array ? body.length : declaredLength;
      if (n !== undefined) text += `content-length: ${n}\r\n`;
    }
  } else if (body === null) text += "content-length: 0\r\n";
  else if (body instanceof Uint8Array) {
    bytes = body;
    text += `content-length: ${body.length}\r\n`;
  } else {
    stream = body;
    if (declaredLength !== undefined) {
      sized = declaredLength;
      text += `content-length: ${declaredLength}\r\n`;
    } else if (req.minor === 1) {
      chunked = true;
      text += "transfer-encoding: chunked\r\n";
    } else keep = false; // HTTP/1.0: the end of the body is the end of the connection
  }
  text += keep
    ? req.minor === 0
      ? "connection: keep-alive\r\n\r\n"
      : "\r\n"
    : "connection: close\r\n\r\n";

  // The head, and a byte body that fits with it, in one write.
  const room = text.length * 3 + (bytes?.length ?? 0);
  if (c.out.length < room && room <= 256 * 1024) {
    c.out = new Uint8Array(Math.max(room, Math.min(2 * c.out.length, 256 * 1024), 2048));
  }
  let first: Uint8Array;
  if (c.out.length >= room) {
    const { written } = enc.encodeInto(text, c.out);
    if (bytes !== null) {
      c.out.set(bytes, written);
      first = c.out.subarray(0, written + bytes.length);
      bytes = null;
    } else first = c.out.subarray(0, written);
  } else first = enc.encode(text);
  req.answered = true;
  c.unwatch();
  if (!(await c.write(first))) {
    if (stream !== null) void stream.cancel().catch(() => {});
    return false;
  }
  if (bytes !== null && !(await c.write(bytes))) return false;
  if (stream === null) return keep;

  const reader = stream.getReader();
  // A caller who leaves mid-stream stops the source (and so the function) before its next write.
  c.watch(() => void reader.cancel().catch(() => {}));
  if (req.bodyDone) void c.readAhead();
  let sent = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      let out: Uint8Array = value;
      if (chunked) {
        const size = `${value.length.toString(16)}\r\n`;
        out = new Uint8Array(size.length + value.length + 2);
        enc.encodeInto(size, out);
        out.set(value, size.length);
        out[out.length - 2] = 13;
        out[out.length - 1] = 10;
      } else if (sized !== undefined && sent + value.length > sized) {
        // More than the source declared: the framing cannot be kept.
        await c.write(value.subarray(0, sized - sent));
        await reader.cancel().catch(() => {});
        return false;
      }
      sent += value.length;
      if (!(await c.write(out))) {
        await reader.cancel().catch(() => {});
        return false;
      }
    }
  } catch {
    // The source broke mid-body: the caller can only learn it from a connection that ends
    // without the body's proper end.
    return false;
  } finally {
    c.unwatch();
    reader.releaseLock();
  }
  if (chunked) return (await c.write(enc.encode("0\r\n\r\n"))) && keep;
  return keep && (sized === undefined || sent === sized);
}

/** The front's HTTP/1.1 server on one or more listening sockets. */
export class HttpServer {
  readonly #handler: Handler;
  readonly #onError: (err: unknown) => Answer;
  readonly #listeners: Deno.TcpListener[] = [];
  readonly #conns = new Set<Connection>();
  #closing = false;
  #sweep: ReturnType<typeof setInterval>;

  constructor(handler: Handler, onError: (err: unknown) => Answer, options: ServerOptions = {}) {
    this.#handler = handler;
    this.#onError = onError;
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
    try {
      conn.setNoDelay(true);
    } catch {
      // already gone
    }
    const c = new Connection(conn);
    this.#conns.add(c);
    try {
      for (;;) {
        c.state = "idle";
        c.since = Date.now();
        let req: IncomingRequest | null;
        try {
          req = await this.#nextRequest(c);
        } catch (err) {
          if (err instanceof Refusal) await this.#refuse(c, err);
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
        if (!(await writeAnswer(c, req, answer, this.#closing)) || this.#closing) return;
      }
    } finally {
      c.close();
      this.#conns.delete(c);
    }
  }

  /** The next request's head, or null when the caller closed the connection between requests. */
  async #nextRequest(c: Connection): Promise<IncomingRequest | null> {
    for (;;) {
      // Empty lines before a request line are allowed (RFC 9112, section 2.2).
      while (c.available >= 2 && c.buf[c.start] === 13 && c.buf[c.start + 1] === 10) c.start += 2;
      if (c.available > 0) {
        const end = headEnd(c.buf, c.start, c.end);
        if (end !== -1) {
          if (end - c.start > MAX_HEAD) {
            throw new Refusal(431, "HEADERS_TOO_LARGE", "The request head is over 64 KiB");
          }
          return parseHead(c, end);
        }
        if (c.available > MAX_HEAD) {
          throw new Refusal(431, "HEADERS_TOO_LARGE", "The request head is over 64 KiB");
        }
        if (c.state === "idle") {
          c.state = "head";
          c.since = Date.now();
        }
      }
      if (this.#closing && c.available === 0) return null;
      if (!(await c.fill())) return null;
    }
  }

  async #refuse(c: Connection, r: Refusal): Promise<void> {
    if (c.lost) return;
    const body = JSON.stringify({ error: r.message, code: r.code });
    await c.write(
      enc.encode(
        `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? ""}\r\ndate: ${httpDate()}\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${enc.encode(body).length}\r\n` +
          `connection: close\r\n\r\n${body}`,
      ),
    );
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
      for (const c of this.#conns) if (c.state !== "busy") c.close();
      if (this.#conns.size === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    clearInterval(this.#sweep);
  }
}
