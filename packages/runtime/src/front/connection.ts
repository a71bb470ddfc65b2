/** One connection a caller opened to the front's server (server.ts). */

import { MAX_HEAD_BYTES } from "../http_rules.js";
import { BufferedConn } from "./buffer.ts";
import type { Pipe } from "./tunnel.ts";

const EMPTY = new Uint8Array(0);

/** A caller's connection: its read buffer, its state for the timeouts, and who watches it. */
export class Connection extends BufferedConn<Deno.TcpConn> implements Pipe {
  readonly remote: string;
  /**
   * What the sweep times: waiting for a request, reading a head, answering, or carrying an
   * upgraded connection (a tunnel, which has its own deadline).
   */
  state: "idle" | "head" | "busy" | "tunnel" = "idle";
  since = Date.now();
  /** The caller closed its side or the connection broke. */
  lost = false;
  /** Reused for every answer's head (and a byte body that fits with it). */
  out = EMPTY;
  #reading: Promise<boolean> | null = null;
  #onGone: (() => void) | null = null;

  constructor(conn: Deno.TcpConn) {
    // Grows for a long head and for a body; most requests fit in 4 KiB.
    super(conn, 4 * 1024);
    const a = (conn.remoteAddr as Deno.NetAddr).hostname;
    this.remote = a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
  }

  /** True while no request is being answered: the connection may be closed to make room. */
  get evictable(): boolean {
    return this.state === "idle" || this.state === "head";
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

  /** The next bytes from the caller (a view, valid until the next read), or null at the end. */
  async read(): Promise<Uint8Array | null> {
    if (this.available === 0 && !(await this.fill())) return null;
    const view = this.buf.subarray(this.start, this.end);
    this.start = this.end;
    return view;
  }

  /**
   * Ends a connection whose caller may still be sending a body the answer did not wait for (a
   * 413 decided from Content-Length, say): half-closes, so the answer is followed by a FIN, then
   * reads and drops what still comes for at most `ms` or `maxBytes`, then closes. Closing with
   * unread bytes makes the kernel reset the connection, and a caller still writing then sees the
   * reset (EPIPE, ECONNRESET) instead of the answer: this is the "lingering close" of nginx and
   * Apache.
   */
  async lingerClose(ms = 2_000, maxBytes = 16 * 1024 * 1024): Promise<void> {
    const timer = setTimeout(() => this.close(), ms);
    try {
      await this.conn.closeWrite();
      let n = 0;
      while (!this.closed && n < maxBytes) {
        const v = await this.read();
        if (v === null) break;
        n += v.length;
      }
    } catch {
      // gone meanwhile
    } finally {
      clearTimeout(timer);
      this.close();
    }
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
    while (this.watched && this.state === "busy" && this.available <= MAX_HEAD_BYTES) {
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
