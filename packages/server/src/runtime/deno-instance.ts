import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { FnbaseError } from "@fnbase/shared";
import { Pool } from "undici";
import type { FunctionOutputLine } from "../config.js";
import { type DenoProcess, type LimitReason, MAX_LINE_CHARS } from "./deno-process.js";
import type { EgressRefusal } from "./egress/proxy.js";
import type { Instance, InstanceSpec, StopReason } from "./instance.js";
import type { SparePool } from "./spare-pool.js";
import type { Watchdog } from "./watchdog.js";

/** A plain line the splitter cut: say so (within the line limit, so the note is kept). */
const CUT_NOTE = `… [line longer than ${MAX_LINE_CHARS} chars, rest dropped]`;
const cutNote = (line: string) => `${line.slice(0, MAX_LINE_CHARS - CUT_NOTE.length)}${CUT_NOTE}`;

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
  onOutput: (
    line: Omit<FunctionOutputLine, "app_id" | "function" | "deployment_id" | "instance_id">,
    instance: DenoInstance,
  ) => void;
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
  #booted: ((rec: { t: "ready" } | { t: "boot_error"; m: string }) => void) | undefined;

  constructor(spec: InstanceSpec, host: DenoHostSettings) {
    this.spec = spec;
    this.#host = host;
    this.authHeader = ["x-fnbase-instance-key", this.#key];
    // Paths in what the process says are shown as the project's (see relativePaths).
    const rel = (text: string) => relativePaths(text, this.#proc.codePath);
    const proc = host.pool.take(
      {
        record: (rec) => {
          switch (rec.t) {
            case "pong":
              return host.watchdog.pong(this.#proc);
            case "overdue":
              return host.onOverdue(this, rec.ms, rec.r);
            case "ready":
              return this.#booted?.(rec);
            case "boot_error": {
              const m = rel(rec.m);
              this.#emit("error", rec.s === undefined ? m : rel(rec.s));
              return this.#booted?.({ t: "boot_error", m });
            }
            case "log":
              return this.#emit(rec.l, rel(rec.m), rec.r || undefined);
            case "error":
              return this.#emit("error", rel(rec.s ?? rec.m), rec.r || undefined);
          }
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
    const line = { time: new Date().toISOString(), level, message, source: "function" as const };
    this.#host.onOutput(requestId ? { ...line, request_id: requestId } : line, this);
  }

  start(): Promise<void> {
    const started = performance.now();
    const proc = this.#proc;
    this.dispatcher = new Pool("http://localhost", {
      socketPath: this.socketPath,
      connections: 128,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 60_000,
    });
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.stop("boot_failed", false).catch(() => {});
        reject(
          new FnbaseError(
            "FUNCTION_BOOT_FAILED",
            `Function "${this.spec.functionName}" failed to start: ${message}`,
            {
              hint: "Check the function's code; its boot error is in the function's logs",
            },
          ),
        );
      };
      const timer = setTimeout(
        () => fail(`it did not serve within ${this.#host.bootTimeoutMs} ms`),
        this.#host.bootTimeoutMs,
      );
      this.#booted = (rec) => {
        if (rec.t === "boot_error") return fail(rec.m);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.coldStartMs = Math.round(performance.now() - started);
        this.#host.watchdog.watch(proc, this.spec.timeLimitMs);
        resolve();
      };
      proc.exited.then((why) => {
        this.#host.watchdog.unwatch(proc);
        // Before the exit callbacks: a process that never booted did not crash.
        fail(this.#stderrTail.length ? `${why}: ${this.#stderrTail.slice(-5).join("\n")}` : why);
        this.dispatcher.destroy().catch(() => {});
        const unexpected = this.#stopping ? undefined : why;
        for (const cb of this.#exitCbs) cb(unexpected);
      });
      proc.assign(this.spec, this.#key).catch((e: Error) => fail(e.message));
    });
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
