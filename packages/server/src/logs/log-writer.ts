import type { Logger } from "@fnbase/shared";
import type { FunctionOutputLine } from "../config.js";
import type { LogRetention, LogStore } from "../store/log-types.js";

/** Settings of {@link LogWriter}. */
export interface LogWriterSettings {
  /** Write at least this often, in ms. */
  flushIntervalMs: number;
  /** Write at once when this many lines wait. */
  batchLines: number;
  /** Lines that may wait at most; more are dropped (and counted) rather than grow memory. */
  maxPendingLines: number;
  /** Run retention this often, in ms. */
  pruneIntervalMs: number;
  /** What retention keeps, computed at each run. */
  retention: () => LogRetention;
  log: Logger;
  /** Called with lines dropped because the buffer was full. */
  onOverflow?: (line: FunctionOutputLine) => void;
}

/**
 * Takes lines off the request path: {@link add} only pushes to a bounded buffer; a timer (every
 * `flushIntervalMs`, or at once past `batchLines`) writes the buffer in one transaction.
 * Retention runs in the background every `pruneIntervalMs`, in small steps.
 *
 * @example
 * const writer = new LogWriter(store, settings);
 * server.onOutput((line) => writer.add(line));
 */
export class LogWriter {
  readonly #store: LogStore;
  readonly #s: LogWriterSettings;
  #pending: FunctionOutputLine[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  /** The chain of writes started, so `flush()` can wait for all of them. */
  #writing: Promise<void> = Promise.resolve();
  #immediate: NodeJS.Immediate | undefined;
  readonly #pruneTimer: NodeJS.Timeout;
  #pruning: Promise<number> | undefined;
  #closed = false;

  constructor(store: LogStore, settings: LogWriterSettings) {
    this.#store = store;
    this.#s = settings;
    this.#pruneTimer = setInterval(() => {
      this.prune().catch((err) => settings.log.warn({ err }, "log pruning failed"));
    }, settings.pruneIntervalMs);
    this.#pruneTimer.unref();
  }

  /** Queues a line for the store. */
  add(line: FunctionOutputLine): void {
    if (this.#closed) return;
    if (this.#pending.length >= this.#s.maxPendingLines) {
      this.#s.onOverflow?.(line);
      return;
    }
    this.#pending.push(line);
    if (this.#pending.length >= this.#s.batchLines) {
      this.#immediate ??= setImmediate(() => this.flush());
    } else {
      this.#flushTimer ??= setTimeout(() => this.flush(), this.#s.flushIntervalMs);
    }
  }

  /**
   * Writes every waiting line now (queries call this first, so they see what was written);
   * resolves once every write started so far has ended (never rejects: a failed write is logged).
   */
  flush(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#flushTimer = undefined;
    this.#immediate = undefined;
    if (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      // SQLite writes inside append() at once; PostgreSQL's writes end later, in order.
      this.#writing = this.#writing.then(() =>
        this.#store.append(batch).catch((err) => this.#s.log.warn({ err }, "log write failed")),
      );
    }
    return this.#writing;
  }

  /** Runs retention once (one run at a time); returns how many lines went. */
  prune(): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    this.#pruning ??= this.flush()
      .then(() => this.#store.prune(this.#s.retention()))
      .finally(() => {
        this.#pruning = undefined;
      });
    return this.#pruning;
  }

  /** Writes what waits and stops the timers; the store stays open. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    await this.#pruning?.catch(() => 0);
  }
}
