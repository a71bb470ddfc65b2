import type { FunctionOutputLine } from "../config.js";

/** Settings of {@link OutputLimiter}. */
export interface OutputLimits {
  /** Lines per second an instance may write, sustained. */
  linesPerSecond: number;
  /** Lines an instance may write at once before the rate applies. */
  burstLines: number;
  /** Longest message kept, in characters; the rest is cut with a note of how much. */
  maxLineChars: number;
}

interface Bucket {
  tokens: number;
  last: number;
  dropped: number;
  line: FunctionOutputLine;
}

/** How long a quiet instance's bucket is kept. */
const FORGET_AFTER_MS = 60_000;

/**
 * Caps what one instance can put into the log pipeline: a token bucket per instance
 * (`burstLines` at once, `linesPerSecond` sustained) and a length cap per line. Lines over the
 * rate are dropped and counted (`onDrop` sees each at once); once a second the count of each
 * instance is reported through `onDropped`, which the server turns into a platform line. Platform
 * lines pass untouched.
 *
 * @example
 * const limiter = new OutputLimiter(limits, (line) => hub.emit(line), reportDrops);
 * limiter.accept(line);
 */
export class OutputLimiter {
  readonly #limits: OutputLimits;
  readonly #emit: (line: FunctionOutputLine) => void;
  readonly #onDropped: (sample: FunctionOutputLine, count: number) => void;
  readonly #onDrop: ((line: FunctionOutputLine) => void) | undefined;
  readonly #buckets = new Map<string, Bucket>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    limits: OutputLimits,
    emit: (line: FunctionOutputLine) => void,
    onDropped: (sample: FunctionOutputLine, count: number) => void,
    onDrop?: (line: FunctionOutputLine) => void,
  ) {
    this.#onDrop = onDrop;
    this.#limits = limits;
    this.#emit = emit;
    this.#onDropped = onDropped;
    this.#timer = setInterval(() => this.report(), 1_000);
    this.#timer.unref();
  }

  /** Passes the line on, cut to length, unless its instance is over its rate. */
  accept(line: FunctionOutputLine): void {
    if (line.source === "function") {
      const now = performance.now();
      let b = this.#buckets.get(line.instance_id);
      if (!b) {
        b = { tokens: this.#limits.burstLines, last: now, dropped: 0, line };
        this.#buckets.set(line.instance_id, b);
      }
      b.tokens = Math.min(
        this.#limits.burstLines,
        b.tokens + ((now - b.last) * this.#limits.linesPerSecond) / 1000,
      );
      b.last = now;
      if (b.tokens < 1) {
        b.dropped++;
        b.line = line;
        this.#onDrop?.(line);
        return;
      }
      b.tokens--;
    }
    this.#emit(truncate(line, this.#limits.maxLineChars));
  }

  /** Reports and resets every instance's count of dropped lines; forgets quiet instances. */
  report(): void {
    const now = performance.now();
    for (const [id, b] of this.#buckets) {
      if (b.dropped > 0) {
        const n = b.dropped;
        b.dropped = 0;
        this.#onDropped(b.line, n);
      } else if (now - b.last > FORGET_AFTER_MS) {
        this.#buckets.delete(id);
      }
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.report();
  }
}

/**
 * The line with its message cut to `max` characters and a note of how many were cut.
 *
 * @example
 * truncate(line, 16_384).message.length <= 16_384 + 40; // true
 */
export function truncate(line: FunctionOutputLine, max: number): FunctionOutputLine {
  if (line.message.length <= max) return line;
  const cut = line.message.length - max;
  return { ...line, message: `${line.message.slice(0, max)}… [truncated ${cut} chars]` };
}
