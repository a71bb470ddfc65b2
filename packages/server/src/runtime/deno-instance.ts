import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Pool } from "undici";
import type { FunctionOutputLine } from "../config.js";
import type { DenoProcess, LimitReason } from "./deno-process.js";
import type { EgressRefusal } from "./egress/proxy.js";
import type { Instance, InstanceSpec, StopReason } from "./instance.js";
import {
  type BootRecord,
  commonRecord,
  cutNote,
  type InstanceLine,
  instancePool,
  outputLine,
  waitForBoot,
} from "./instance-io.js";
import type { SparePool } from "./spare-pool.js";
import type { Watchdog } from "./watchdog.js";

/** What an instance needs from the host. */
export interface DenoHostSettings {
  /** Where its process comes from: a spare, or one started for it. */
  pool: SparePool;
  bootTimeoutMs: number;
  /** Watches the process's CPU and memory once it serves. */
  watchdog: Watchdog;
  /** A connection the instance tried and the egress proxy refused. */
  onEgressRefused: (refusal: EgressRefusal, instance: DenoInstance) => void;
  /** A request's handler still runs `ms` after it started, past the function's time limit. */
  onOverdue: (instance: DenoInstance, ms: number, requestId: string) => void;
  onOutput: (line: InstanceLine, instance: DenoInstance) => void;
}

/**
 * A function instance: a Deno process (see `DenoProcess` for its permissions) assigned one
 * deployment of one function, with the app's secrets as its environment. It serves HTTP on a
 * unix socket in its own folder.
 */
export class DenoInstance implements Instance {
  readonly id: string;
  readonly spec: InstanceSpec;
  readonly authHeader: readonly [string, string];
  readonly socketPath: string;
  dispatcher!: Pool;
  coldStartMs = 0;

  readonly #host: DenoHostSettings;
  readonly #key = randomBytes(24).toString("hex");
  readonly #proc: DenoProcess;
  #exitCbs: ((unexpected: string | undefined) => void)[] = [];
  #stopping: StopReason | undefined;
  #stderrTail: string[] = [];
  #booted: ((rec: BootRecord) => void) | undefined;

  constructor(spec: InstanceSpec, host: DenoHostSettings) {
    this.spec = spec;
    this.#host = host;
    this.authHeader = ["x-fnbase-instance-key", this.#key];
    // Paths in what the process says are shown as the project's (see relativePaths).
    const rel = (text: string) => relativePaths(text, this.#proc.codePath);
    const proc = host.pool.take(
      {
        record: (rec) => {
          commonRecord(rec, {
            rel,
            emit: (level, message, requestId) => this.#emit(level, message, requestId),
            pong: () => host.watchdog.pong(this.#proc),
            overdue: (ms, requestId) => host.onOverdue(this, ms, requestId),
            booted: this.#booted,
          });
        },
        line: (stream, raw, truncated) => {
          const line = rel(truncated ? cutNote(raw) : raw);
          if (stream === "stdout") return this.#emit("info", line);
          this.#stderrTail.push(line);
          if (this.#stderrTail.length > 20) this.#stderrTail.shift();
          this.#emit("error", line);
        },
        egress: (refusal) => host.onEgressRefused(refusal, this),
      },
      spec.memoryMb,
    );
    this.#proc = proc;
    this.id = proc.id;
    this.socketPath = proc.socketPath;
  }

  get alive(): boolean {
    return this.#proc.alive;
  }

  get overLimit(): LimitReason | undefined {
    return this.#proc.overLimit;
  }

  /** Stops the instance at once over `reason` (the watchdog and the overdue report). */
  killOverLimit(reason: LimitReason): void {
    this.#proc.kill("SIGKILL", reason);
  }

  #emit(level: FunctionOutputLine["level"], message: string, requestId?: string): void {
    this.#host.onOutput(outputLine(level, message, requestId), this);
  }

  start(): Promise<void> {
    const started = performance.now();
    const proc = this.#proc;
    this.dispatcher = instancePool(this.socketPath);
    const boot = waitForBoot({
      functionName: this.spec.functionName,
      timeoutMs: this.#host.bootTimeoutMs,
      stop: () => void this.stop("boot_failed", false).catch(() => {}),
      ready: () => {
        this.coldStartMs = Math.round(performance.now() - started);
        this.#host.watchdog.watch(proc, this.spec.timeLimitMs);
      },
    });
    this.#booted = boot.booted;
    proc.exited.then((why) => {
      this.#host.watchdog.unwatch(proc);
      // Before the exit callbacks: a process that never booted did not crash.
      boot.fail(this.#stderrTail.length ? `${why}: ${this.#stderrTail.slice(-5).join("\n")}` : why);
      this.dispatcher.destroy().catch(() => {});
      const unexpected = this.#stopping ? undefined : why;
      for (const cb of this.#exitCbs) cb(unexpected);
    });
    proc.assign(this.spec, this.#key).catch((e: Error) => boot.fail(e.message));
    return boot.done;
  }

  async stop(reason: StopReason, graceful = true): Promise<void> {
    if (!this.#stopping) this.#stopping = reason;
    const proc = this.#proc;
    if (!proc.alive) {
      // Still being prepared: it must never start.
      if (proc.pid === undefined) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
      return;
    }
    proc.kill(graceful ? "SIGTERM" : "SIGKILL");
    if (graceful) {
      const kill = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(kill);
    } else {
      await proc.exited;
    }
  }

  onExit(cb: (unexpected: string | undefined) => void): void {
    this.#exitCbs.push(cb);
  }

  async rss(): Promise<number | undefined> {
    return processRss(this.pid);
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }
}

/**
 * `text` with the paths of a process's lane (`<data>/code-links/<start>/<n>/…`, which mirrors
 * the deployment's `base44/` tree) written as the project's: `base44/functions/hello/entry.ts`.
 * Logs and error answers never show the server's own folders.
 *
 * @example
 * relativePaths("at file:///data/code-links/3/functions/a/entry.ts:1:7", "/data/code-links/3");
 * // "at base44/functions/a/entry.ts:1:7"
 */
export function relativePaths(text: string, lane: string): string {
  if (!text.includes(lane)) return text;
  return text.replaceAll(`file://${lane}/`, "base44/").replaceAll(`${lane}/`, "base44/");
}

/** Resident memory of a process in bytes, on Linux. */
async function processRss(pid: number | undefined): Promise<number | undefined> {
  if (!pid || process.platform !== "linux") return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
