import type { Logger } from "@fnbase/shared";
import {
  DenoProcess,
  type DenoProcessSettings,
  Lanes,
  type ProcessKind,
  type ProcessListener,
} from "./deno-process.js";

/** When a taken spare is replaced at the latest, in ms. */
const FILL_AFTER_MS = 1_000;
/** Longest wait before trying again after spares kept failing to start. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Deno processes started ahead of need. A spare has loaded the bootstrap and waits for its
 * assignment, so a cold start pays for loading the function's code, not for starting Deno. A
 * spare belongs to no app until it is taken, and runs one function for the rest of its life:
 * instances of different apps still never share a process. A taken spare is replaced once the
 * new instance has answered its first request (its owner calls {@link fill}), so that booting
 * the replacement does not compete with it for the CPU.
 */
export class SparePool {
  readonly #settings: DenoProcessSettings;
  readonly #size: number;
  readonly #log: Logger;
  readonly #lanes = new Lanes();
  readonly #spares: DenoProcess[] = [];
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #kind: ProcessKind;

  /** `kind` `host`: the spares are app host processes (`FNBASE_RUNTIME=host`). */
  constructor(
    settings: DenoProcessSettings,
    size: number,
    log: Logger,
    kind: ProcessKind = "instance",
  ) {
    this.#kind = kind;
    this.#settings = settings;
    this.#size = size;
    this.#log = log;
  }

  /** Starts the first spares. */
  start(): void {
    this.fill();
  }

  /**
   * A process for a new instance, to be assigned at once: a spare when one is up (booted ones
   * first), else one started now. `listener` hears it from now on. Spares start with the
   * server's memory limit (V8's heap limit is fixed when a process starts), so a function with
   * a limit of its own gets a process started for it.
   */
  take(listener: ProcessListener, memoryMb = this.#settings.memoryMb): DenoProcess {
    if (memoryMb !== this.#settings.memoryMb && this.#kind === "instance") {
      const own = new DenoProcess(this.#settings, this.#lanes, listener, memoryMb);
      void own.spawn();
      return own;
    }
    const i = this.#spares.findIndex((p) => p.waiting);
    const proc = this.#spares.splice(i === -1 ? 0 : i, 1)[0];
    if (proc) {
      proc.listen(listener);
      // The owner calls fill() once the new instance has served (see the class comment); this
      // is in case it never does. (The host runtime fills its pool itself: `host-runtime.ts`.)
      if (this.#kind === "instance") setTimeout(() => this.fill(), FILL_AFTER_MS).unref();
      return proc;
    }
    const fresh = new DenoProcess(
      this.#settings,
      this.#lanes,
      listener,
      this.#settings.memoryMb,
      this.#kind,
    );
    void fresh.spawn();
    return fresh;
  }

  /** Spares running now (for tests and the benchmark). */
  spares(): readonly DenoProcess[] {
    return this.#spares;
  }

  /** Starts spares until there are as many as asked for. */
  fill(): void {
    if (this.#closed || this.#timer) return;
    while (this.#spares.length < this.#size) this.#spawnSpare();
  }

  #spawnSpare(): void {
    const proc: DenoProcess = new DenoProcess(
      this.#settings,
      this.#lanes,
      {
        record: (rec) => {
          if (rec.t === "waiting") this.#failures = 0;
          else this.#log.warn({ record: rec, process: proc.id }, "spare process sent a record");
        },
        line: (stream, line) =>
          this.#log.warn({ stream, line, process: proc.id }, "spare process wrote a line"),
      },
      this.#settings.memoryMb,
      this.#kind,
    );
    this.#spares.push(proc);
    void proc.spawn();
    void proc.exited.then((why) => {
      const i = this.#spares.indexOf(proc);
      if (i === -1 || this.#closed) return; // taken, or closing
      this.#spares.splice(i, 1);
      this.#failures++;
      const wait = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (this.#failures - 1));
      this.#log.warn({ why, retryMs: wait }, "a spare Deno process exited before it was used");
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.fill();
      }, wait);
      this.#timer.unref();
    });
  }

  /** Stops every spare. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const all = this.#spares.splice(0);
    for (const p of all) p.kill("SIGKILL");
    await Promise.all(all.map((p) => p.exited));
  }
}
