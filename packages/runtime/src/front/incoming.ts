/** Reading a request on a caller's connection: its head (checked by http_rules.js) and its body. */

import { checkHead, MAX_HEADER_FIELDS, Refusal, trimOws } from "../http_rules.js";
import type { Connection } from "./connection.ts";
import { latin1 } from "./latin1.ts";
import type { Incoming } from "./message.ts";
import { FIELD_VALUE, TOKEN } from "./syntax.ts";

const enc = new TextEncoder();

const REQUEST_HEAD = new RegExp(
  `^(${TOKEN}) ([\\x21-\\x7e]+) HTTP\\/1\\.([01])\\r\\n((?:${TOKEN}:${FIELD_VALUE}\\r\\n)*)$`,
);
const VERSION = /^[^ \r\n]+ [^ \r\n]+ HTTP\/(?!1\.[01]\r)\d/;
const CHUNK_SIZE = new RegExp(`^([0-9A-Fa-f]{1,12})[\\t ]*(?:;${FIELD_VALUE})?$`);
const TRAILER = new RegExp(`^${TOKEN}:${FIELD_VALUE}$`);

/** One request on a connection: its parsed head and its body reader. */
export class IncomingRequest implements Incoming {
  readonly method: string;
  readonly target: string;
  readonly headers: [string, string][];
  readonly host: string;
  readonly length: number | undefined;
  readonly body: AsyncIterable<Uint8Array> | null;
  readonly minor: number;
  readonly keepAlive: boolean;
  readonly upgrade: boolean;
  readonly preflight: boolean;
  readonly context: string | null;
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
    minor: number,
    headers: [string, string][],
    head: Exclude<ReturnType<typeof checkHead>, Refusal>,
  ) {
    this.#c = c;
    this.method = method;
    this.target = head.target;
    this.headers = headers;
    this.host = head.host;
    this.minor = minor;
    this.keepAlive = head.keepAlive;
    this.upgrade = head.upgrade;
    this.preflight = head.preflight;
    this.context = head.context;
    this.length = head.length;
    this.#continue = head.expectContinue;
    if (head.chunked) this.body = this.#chunked();
    else if (head.length !== undefined && head.length > 0) this.body = this.#sized(head.length);
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
          throw this.#fault("malformed", "A chunked body's line does not end in CRLF");
        }
        const line = latin1(c.buf.subarray(c.start, lf - 1));
        c.start = lf + 1;
        return line;
      }
      if (c.available > 4096) throw this.#fault("malformed", "A chunked body's line is too long");
      if (!(await c.fill())) {
        throw this.#fault("gone", "the caller closed the connection before sending the whole body");
      }
    }
  }

  async *#chunked(): AsyncGenerator<Uint8Array> {
    await this.#sendContinue();
    for (;;) {
      const m = CHUNK_SIZE.exec(await this.#line());
      if (m === null) throw this.#fault("malformed", "A chunked body has a malformed chunk size");
      const size = Number.parseInt(m[1]!, 16);
      if (size === 0) break;
      yield* this.#bytes(size);
      if ((await this.#line()) !== "") {
        throw this.#fault("malformed", "A chunk of a chunked body is longer than its size");
      }
    }
    // Trailer fields: header field lines (anything else, a request line say, is malformed),
    // read and dropped: nothing the front forwards depends on them.
    let trailers = 0;
    for (;;) {
      const line = await this.#line();
      if (line === "") break;
      if (!TRAILER.test(line)) {
        throw this.#fault("malformed", "A chunked body's trailer line is not a header field");
      }
      if (++trailers > MAX_HEADER_FIELDS) throw this.#fault("malformed", "Too many trailer fields");
    }
    this.#finished();
  }
}

/**
 * Where the head that starts at `from` ends: the index just past its empty line; -1 while it has
 * not all arrived; -2 when a line ends in a bare LF (refused at once rather than waited for).
 */
export function headEnd(buf: Uint8Array, from: number, end: number): number {
  const view = buf.subarray(0, end);
  let i = from;
  for (;;) {
    const lf = view.indexOf(10, i);
    if (lf === -1) return -1;
    if (lf === from || view[lf - 1] !== 13) return -2;
    if (lf >= from + 3 && view[lf - 2] === 10 && view[lf - 3] === 13) return lf + 1;
    i = lf + 1;
  }
}

/** Parses the head in `c.buf[c.start, end)` (which ends in an empty line); throws a {@link Refusal}. */
export function parseHead(c: Connection, end: number): IncomingRequest {
  // Without the empty line's CRLF: every line then ends in CRLF.
  const text = latin1(c.buf.subarray(c.start, end - 2));
  c.start = end;
  const m = REQUEST_HEAD.exec(text);
  if (m === null) {
    if (VERSION.test(text)) {
      throw new Refusal(505, "HTTP_VERSION_NOT_SUPPORTED", "Only HTTP/1.0 and HTTP/1.1 are served");
    }
    throw new Refusal(400, "BAD_REQUEST", "Malformed request head");
  }
  const method = m[1]!;
  const minor = m[3] === "1" ? 1 : 0;
  const lines = m[4]!.split("\r\n");
  // The last element is empty (the block ends in CRLF); more lines than the rules allow fields
  // are refused by checkHead, and this bounds the work before it.
  const headers: [string, string][] = [];
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    headers.push([line.slice(0, colon).toLowerCase(), trimOws(line.slice(colon + 1))]);
  }
  const head = checkHead(method, m[2]!, minor, headers);
  if (head instanceof Refusal) throw head;
  return new IncomingRequest(c, method, minor, headers, head);
}
