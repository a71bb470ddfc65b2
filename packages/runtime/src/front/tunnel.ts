/**
 * The bytes of an upgraded connection (a WebSocket), carried both ways between the caller and
 * the function (or Node) after a 101 answer, under the limits an HTTP exchange has: a deadline
 * and a cap on the bytes the caller sends.
 */

/** One side of a tunnel: reads in order, one at a time; `read` resolves null at its end. */
export interface Pipe {
  read(): Promise<Uint8Array | null>;
  /** False when the other end no longer reads. */
  write(bytes: Uint8Array): Promise<boolean>;
  close(): void;
}

/** What ended a tunnel: one side closed, the deadline passed, or the caller sent too much. */
export type TunnelEnd = "closed" | "timeout" | "too_large";

export interface SpliceOptions {
  /** Epoch ms after which both sides are closed (Infinity: none). */
  deadline: number;
  /** Most bytes the caller may send through the tunnel (Infinity: no cap). */
  maxIn: number;
}

/**
 * Carries bytes between `caller` and `upstream` until either ends (then both are closed), the
 * deadline passes or the caller sends more than `maxIn` bytes. Resolves with the bytes each way.
 */
export async function splice(
  caller: Pipe,
  upstream: Pipe,
  o: SpliceOptions,
): Promise<{ bytesIn: number; bytesOut: number; end: TunnelEnd }> {
  let end: TunnelEnd = "closed";
  let over = false;
  const stop = (why: TunnelEnd) => {
    if (over) return;
    over = true;
    end = why;
    caller.close();
    upstream.close();
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (Number.isFinite(o.deadline)) {
    timer = setTimeout(() => stop("timeout"), Math.max(0, o.deadline - Date.now()));
  }
  let bytesIn = 0;
  let bytesOut = 0;
  const up = async () => {
    for (;;) {
      const chunk = await caller.read();
      if (chunk === null || over) break;
      bytesIn += chunk.length;
      if (bytesIn > o.maxIn) {
        stop("too_large");
        break;
      }
      if (!(await upstream.write(chunk))) break;
    }
    stop(end);
  };
  const down = async () => {
    for (;;) {
      const chunk = await upstream.read();
      if (chunk === null || over) break;
      bytesOut += chunk.length;
      if (!(await caller.write(chunk))) break;
    }
    stop(end);
  };
  await Promise.all([up(), down()]);
  clearTimeout(timer);
  return { bytesIn, bytesOut, end };
}
