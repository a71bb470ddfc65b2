/** What the front's server and client connections share: a connection and its read buffer. */

/** Bytes read from a connection: `buf[start, end)` are the ones not consumed yet. */
export class ReadBuffer {
  buf: Uint8Array;
  start = 0;
  end = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  get available(): number {
    return this.end - this.start;
  }

  /**
   * Room at the end of the buffer for the next read: what was consumed is dropped, what was not
   * moves to the front, and a buffer full of unconsumed bytes doubles.
   */
  room(): Uint8Array {
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    } else if (this.end === this.buf.length) {
      if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf);
        this.buf = bigger;
      }
    }
    return this.buf.subarray(this.end);
  }

  /** Moves the unconsumed bytes into a new buffer of `size` bytes. */
  resize(size: number): void {
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(this.start, this.end));
    this.end -= this.start;
    this.start = 0;
    this.buf = bigger;
  }
}

/** A connection with its read buffer. */
export class BufferedConn<C extends Deno.Conn = Deno.Conn> extends ReadBuffer {
  readonly conn: C;
  closed = false;

  constructor(conn: C, size: number) {
    super(size);
    this.conn = conn;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}
