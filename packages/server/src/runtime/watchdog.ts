import { readFile } from "node:fs/promises";
import type { LimitReason } from "./deno-process.js";

/** A process the watchdog keeps an eye on (a `DenoProcess` once it serves). */
export interface Watched {
  readonly pid: number | undefined;
  readonly alive: boolean;
  /** Memory limit in MB. */
  readonly memoryMb: number;
  /**
   * The limit its sampled `rss` is held to, when not `memoryMb`: a Worker's `rss` is its host
   * process's, held to the host's limit (128 MB and each of its Workers' limits).
   */
  readonly rssLimitMb?: number | undefined;
  /** Asks the process to answer with a pong (its event loop must turn to do so). */
  ping(): void;
  kill(signal: NodeJS.Signals, reason?: LimitReason): void;
  /**
   * Its CPU time and memory, when not its process's (a Worker of a host process: its thread's
   * CPU time and state, and its host's resident memory when no cgroup holds it, else undefined).
   */
  sample?(): Promise<Sample | undefined>;
  /**
   * Its thread has slept ({@link ASLEEP_MS}) with a ping unanswered and no CPU spent, which is
   * how Deno 2.9 sometimes leaves a host's Worker that reached its heap limit (measured: about 1
   * in 40 under load, asleep for good): its host ends it as out of memory if it has not answered
   * the host's last 4 heartbeats either (`host.ts`). Called again every {@link ASLEEP_MS} while it
   * sleeps. Absent (a process of its own, which V8 ends at its heap limit), such a process is
   * left to its time limit.
   */
  asleep?(): void;
}

/** What a sample reads: CPU time (ms), resident memory (bytes), and the thread's state. */
export interface Sample {
  cpuMs: number;
  rss: number | undefined;
  /** `/proc`'s state letter (`R` running, `S` asleep, `D` waiting on the disk...), when read. */
  state?: string | undefined;
}

/** What the watchdog enforces. */
export interface WatchdogSettings {
  /** CPU time a process may spend without its event loop turning, in ms. */
  cpuTimeLimitMs: number;
  /** Check resident memory against each process's limit (when no cgroup holds it). */
  checkMemory: boolean;
  /** How often processes are sampled, in ms. */
  tickMs: number;
  /** Called when a process is killed over a limit, with what was measured. */
  onKill(p: Watched, reason: LimitReason, detail: string): void;
}

interface Entry {
  /** CPU limit of this process in ms (its function's time limit may be shorter). */
  cpuLimitMs: number;
  /** Which limit that is: the CPU limit, or the function's time limit when shorter. */
  reason: "cpu" | "time";
  /** CPU time at the last sample, in ms. */
  cpu: number;
  /** CPU time when the outstanding ping was sent; undefined when none is outstanding. */
  pingedAtCpu: number | undefined;
  /** When that ping was sent, and when its CPU time last grew (`performance.now()`, ms). */
  pingedAt: number;
  cpuGrewAt: number;
}

/** Linux's clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat's CPU times. */
const TICK_MS = 10;
const PAGE = 4096;
/** Share of its memory limit past which a process stuck on the CPU is taken to be out of memory. */
const NEAR_FULL = 0.85;
/**
 * How long a thread may sleep with a ping unanswered, spending no CPU, before it is taken to be
 * stuck at its heap limit (see `Watched.asleep`), ms. A thread whose event loop is free answers
 * a ping in well under a millisecond; one that waits for its turn on a loaded machine is running
 * (`R`), not asleep. A function's own synchronous wait this long (`Atomics.wait`, a file lock)
 * is ended the same way: its loop serves nothing and hears no abort meanwhile.
 */
export const ASLEEP_MS = 8_000;

/**
 * CPU time (user + system, every thread) in ms and resident memory in bytes of `pid`; with
 * `tid`, the CPU time of that one thread (and still the process's memory).
 */
export async function sample(
  pid: number,
  tid?: number,
): Promise<(Sample & { rss: number; state: string }) | undefined> {
  const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  // Fields after the command name (which may hold spaces), from field 3 (state) on.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const rss = Number(f[21]);
  if (!Number.isFinite(utime + stime + rss)) return undefined;
  return { cpuMs: (utime + stime) * TICK_MS, rss: rss * PAGE, state: f[0] ?? "" };
}

/**
 * Kills instances that hold the CPU or memory past their limits, from outside (a function
 * cannot stop it: a spinning handler never lets its own process act).
 *
 * CPU: a process's event loop runs one request's code at a time, so CPU spent without the loop
 * turning is one request's. Each sample reads the process's CPU time (/proc/<pid>/stat); when
 * it used any since the last, the watchdog sends a ping on its stdin, which the bootstrap
 * answers with a pong record as soon as its loop turns. A process that spends more than its
 * limit of CPU time with a ping unanswered is killed (SIGKILL). A busy process that still
 * answers is left alone, however busy: it serves its callers in turn. The limit is the server's
 * `cpuTimeLimitMs`, or the function's time limit when that is shorter, so a handler spinning
 * past its time limit (which the caller already got a 504 for) is killed within a sample of it.
 *
 * Memory (without cgroups): a process whose resident memory passes its limit is killed. A host's
 * Worker whose thread sleeps with a ping unanswered is reported to its host ({@link ASLEEP_MS}).
 */
export class Watchdog {
  readonly #settings: WatchdogSettings;
  readonly #entries = new Map<Watched, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #sampling = false;

  constructor(settings: WatchdogSettings) {
    this.#settings = settings;
  }

  /** Watches `p` from now on; `timeLimitMs` is its function's time limit. */
  watch(p: Watched, timeLimitMs: number): void {
    const { cpuTimeLimitMs } = this.#settings;
    this.#entries.set(p, {
      cpuLimitMs: Math.min(cpuTimeLimitMs, timeLimitMs),
      reason: timeLimitMs < cpuTimeLimitMs ? "time" : "cpu",
      cpu: Number.NaN,
      pingedAtCpu: undefined,
      pingedAt: 0,
      cpuGrewAt: performance.now(),
    });
    this.#timer ??= setInterval(() => void this.#tick(), this.#settings.tickMs);
    this.#timer.unref();
  }

  /** The process answered a ping: its event loop turns. */
  pong(p: Watched): void {
    const e = this.#entries.get(p);
    if (e) e.pingedAtCpu = undefined;
  }

  unwatch(p: Watched): void {
    this.#entries.delete(p);
    if (this.#entries.size === 0) this.close();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      await Promise.all([...this.#entries].map(([p, e]) => this.#check(p, e)));
    } finally {
      this.#sampling = false;
    }
  }

  async #check(p: Watched, e: Entry): Promise<void> {
    if (!p.alive || p.pid === undefined) return this.unwatch(p);
    const s = p.sample ? await p.sample() : await sample(p.pid);
    if (s === undefined) return;
    const { onKill, checkMemory } = this.#settings;
    const limitMb = p.rssLimitMb ?? p.memoryMb;
    if (checkMemory && s.rss !== undefined && s.rss > limitMb * 1024 * 1024) {
      this.unwatch(p);
      p.kill("SIGKILL", "memory");
      onKill(p, "memory", `resident memory ${Math.round(s.rss / 1024 / 1024)} MB`);
      return;
    }
    const used = s.cpuMs - e.cpu;
    const now = performance.now();
    if (used !== 0) e.cpuGrewAt = now;
    e.cpu = s.cpuMs;
    if (e.pingedAtCpu !== undefined) {
      const stuck = s.cpuMs - e.pingedAtCpu;
      if (stuck >= e.cpuLimitMs) {
        this.unwatch(p);
        // Near its memory limit, V8 spends its time in full garbage collections that do not
        // let the loop turn: then memory is what the process ran out of.
        const rssMb = Math.round((s.rss ?? 0) / 1024 / 1024);
        const full = s.rss !== undefined && rssMb >= limitMb * NEAR_FULL;
        const reason = full ? "memory" : e.reason;
        p.kill("SIGKILL", reason);
        onKill(
          p,
          reason,
          full
            ? `${stuck} ms of CPU collecting garbage at ${rssMb} MB`
            : `${stuck} ms of CPU without its event loop turning`,
        );
        return;
      }
      const asleep = (s.state === "S" || s.state === "D") && p.asleep !== undefined;
      if (asleep && now - e.pingedAt >= ASLEEP_MS && now - e.cpuGrewAt >= ASLEEP_MS) {
        e.pingedAt = now;
        p.asleep?.();
      }
      return;
    }
    if (used > 0) {
      e.pingedAtCpu = s.cpuMs;
      e.pingedAt = now;
      p.ping();
    }
  }
}
