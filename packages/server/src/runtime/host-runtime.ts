import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FnbaseError, type Logger } from "@fnbase/shared";
import type { Pool } from "undici";
import type { FunctionOutputLine } from "../config.js";
import { relativePaths } from "./deno-instance.js";
import {
  appEnv,
  type DenoProcess,
  type DenoProcessSettings,
  HOST_WORKERS,
  type LimitReason,
  type ProcessRecord,
} from "./deno-process.js";
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
import { linkCode } from "./lanes.js";
import { heapLimitMb } from "./process-env.js";
import { SparePool } from "./spare-pool.js";
import { type Sample, sample, type Watchdog } from "./watchdog.js";

/** Memory of a host process beyond its Workers' limits (its own isolate, Deno, the relay), MB. */
const HOST_BASE_MB = 128;
/** How long a host without Workers is kept for the app's next cold start, in ms. */
const HOST_LINGER_MS = 2_000;
/** How long a condemned host's other functions may take to drain before it ends anyway, ms. */
const CONDEMNED_MAX_MS = 30_000;
/** The header a Worker takes its assignment and requests with (`worker.ts`). */
const KEY_HEADER = "x-fnbase-instance-key";
/** How often an assignment is tried again while its Worker is being created, in ms. */
const ASSIGN_RETRY_MS = 2;
/**
 * Workers a spare host boots before it knows its app (each holds about 9 MB while it waits):
 * what a burst of 10 cold starts of an app that was not running took to answer within 150 ms
 * on two cores (6: 135-154 ms; `npm run bench:density`, docs/ARCHITECTURE.md).
 */
export const POOL_WORKERS = 8;
/** Workers an app's host keeps waiting for the app's next cold starts. */
export const SPARE_WORKERS = 1;

/** What a host-runtime instance tells its owner (the manager), as `DenoHostSettings` does. */
export interface HostInstanceHooks {
  onEgressRefused: (refusal: EgressRefusal, instance: HostInstance) => void;
  onOverdue: (instance: HostInstance, ms: number, requestId: string) => void;
  onOutput: (line: InstanceLine, instance: HostInstance) => void;
}

export interface HostRuntimeSettings {
  process: DenoProcessSettings;
  /** Host processes kept booted ahead of need. */
  spares: number;
  /** Workers a spare host process boots ahead of need (before it knows its app). */
  poolWorkers: number;
  /** Workers an app's host keeps booted ahead of its next cold starts. */
  spareWorkers: number;
  bootTimeoutMs: number;
  watchdog: Watchdog;
  log: Logger;
  /** Retires an instance (the manager's): it drains and stops, the next request starts anew. */
  retire: (inst: HostInstance) => void;
  /**
   * The current deployment of an app's function (the catalog's), when known: a Worker of an
   * older one, assigned late, does not link its deployment into its host's working directory.
   */
  currentDeployment?: (appId: string, functionName: string) => string | undefined;
}

/**
 * A Worker of a host taken for an instance: waiting for its assignment (see `worker.ts`), or
 * still being created (`booting`: its socket is not served yet, the assignment waits for it).
 */
interface Claimed {
  w: number;
  key: string;
  tid: number | undefined;
  booting: boolean;
}

/** What a Worker number of a host is used for. */
type Slot =
  /** Being created, for nobody yet. */
  | { s: "booting"; memoryMb: number }
  /** Serving its socket, waiting for an assignment. */
  | { s: "spare"; memoryMb: number; tid: number | undefined }
  /** An instance's (from its creation on, when one took it while it was being created). */
  | { s: "used"; memoryMb: number; inst: HostInstance }
  /** Asked to end before it was used. */
  | { s: "ending"; memoryMb: number };

/**
 * `FNBASE_RUNTIME=host`: every app's instances run as Workers of one Deno process of that app
 * (`packages/runtime/src/host.ts`), never with another app's. A Worker is one isolate with its
 * own heap limit, its own unix socket and key, its own log records; the host process holds the
 * app's network namespace, egress proxy, tmpfs, cgroup and secrets. Hosts come from a pool of
 * booted ones (each with `poolWorkers` Workers booted and waiting), like the spare processes of
 * the default runtime; an app's host keeps `spareWorkers` Workers waiting for its next cold
 * starts, and stops once its last function's Worker is gone. A cold start takes a waiting
 * Worker and assigns it on its own socket (`worker.ts`): the host process's thread, busy for
 * tens of milliseconds whenever it creates a Worker, is not on the way.
 */
export class HostRuntime {
  readonly #s: HostRuntimeSettings;
  readonly #pool: SparePool;
  readonly #hosts = new Map<string, AppHost[]>();
  readonly #quiet = new Quiet();
  #closed = false;

  constructor(s: HostRuntimeSettings) {
    this.#s = s;
    this.#pool = new SparePool(
      { ...s.process, hostWorkers: s.poolWorkers },
      s.spares,
      s.log,
      "host",
    );
    this.#pool.start();
  }

  instance(spec: InstanceSpec, hooks: HostInstanceHooks): HostInstance {
    return new HostInstance(spec, hooks, this.#s, {
      place: (inst) => {
        this.#quiet.begin();
        return this.#place(inst);
      },
      ended: (host) => {
        this.#quiet.end();
        if (!host) return;
        // Booting ahead waits for a quiet moment (see Quiet).
        this.#quiet.later(host, () => host.topUp());
        this.#quiet.later(this.#pool, () => this.#pool.fill());
      },
    });
  }

  /** A waiting Worker of a host of the instance's app (a new host when none has room). */
  async #place(inst: HostInstance): Promise<{ host: AppHost } & Claimed> {
    const appId = inst.spec.appId;
    const mb = inst.spec.memoryMb;
    for (;;) {
      if (this.#closed) throw new FnbaseError("SERVICE_UNAVAILABLE", "The server is shutting down");
      const hosts = (this.#hosts.get(appId) ?? []).filter((h) => h.usable);
      const host =
        hosts.find((h) => h.hasWaiting(mb)) ??
        hosts.find((h) => h.hasRoom(mb)) ??
        this.#newHost(appId);
      await host.ready;
      if (!host.usable) continue; // it died meanwhile: another
      const claim = host.claim(inst, mb);
      if (!claim) continue;
      return { host, ...claim };
    }
  }

  #newHost(appId: string): AppHost {
    const host = new AppHost(appId, this.#s, {
      gone: () => {
        const list = this.#hosts.get(appId)?.filter((h) => h !== host) ?? [];
        if (list.length) this.#hosts.set(appId, list);
        else this.#hosts.delete(appId);
      },
    });
    host.take(this.#pool);
    this.#hosts.set(appId, [...(this.#hosts.get(appId) ?? []), host]);
    return host;
  }

  /** Host processes booted and waiting for an app. */
  spares(): readonly { readonly pid: number | undefined; readonly waiting: boolean }[] {
    return this.#pool.spares();
  }

  /** Running host processes, for the benchmark: app, pid, Workers. */
  hosts(): { appId: string; pid: number | undefined; workers: number }[] {
    return [...this.#hosts.values()].flat().map((h) => h.describe());
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#hosts.values()].flat();
    this.#hosts.clear();
    await Promise.allSettled([this.#pool.close(), ...all.map((h) => h.stop())]);
  }
}

/** What an app's host tells the runtime: it is gone. */
interface HostEvents {
  gone: () => void;
}

/** One app's host process and the Workers it runs. */
class AppHost {
  readonly appId: string;
  proc!: DenoProcess;
  /** Settles once the process runs the app (rejects when it cannot). */
  ready!: Promise<void>;
  readonly #s: HostRuntimeSettings;
  readonly #slots = new Map<number, Slot>();
  /** Worker numbers whose Worker is gone but whose lane is still being removed. */
  readonly #clearing = new Set<number>();
  readonly #on: HostEvents;
  /** The app's secrets as the process has them (JSON), and their names. */
  #env = "{}";
  #envNames: string[] = [];
  #gone = false;
  /** True once the process said it runs the app (its `ready`, taken once). */
  #readied = false;
  #tainted = false;
  #condemned = false;
  #linger: NodeJS.Timeout | undefined;
  #assigned!: () => void;
  /** When a Worker was last taken (`performance.now()`). */
  #lastClaim = Number.NEGATIVE_INFINITY;

  constructor(appId: string, s: HostRuntimeSettings, on: HostEvents) {
    this.appId = appId;
    this.#s = s;
    this.#on = on;
  }

  /** Takes a host process from `pool` and makes it this app's. */
  take(pool: SparePool): void {
    this.proc = pool.take({
      record: (rec) => this.#record(rec),
      line: (stream, line, truncated) => this.#line(stream, line, truncated),
      egress: (refusal) => this.#egress(refusal),
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#assigned = resolve;
      void this.proc.exited.then((why) => {
        this.#gone = true;
        reject(new Error(`its host process ${why}`));
        for (const slot of this.#slots.values()) {
          if (slot.s === "used") slot.inst.exited(`its host process ${why}`, false);
        }
        this.#slots.clear();
        this.#on.gone();
      });
    });
    this.ready.catch(() => {});
    // The app's secrets go with each Worker's assignment (see #envFor); none yet. Its memory
    // limit follows its Workers once it says which it has (#ready).
    this.proc.assignApp(this.appId, {}).catch(() => this.proc.kill("SIGKILL"));
  }

  get usable(): boolean {
    return !this.#gone && !this.#tainted && this.proc.alive !== false;
  }

  /**
   * A Worker of this host ran out of memory. Deno does not always give such a Worker's heap
   * back (measured on 2.9), so the host takes no new Workers: the app's next starts go to a
   * new host, and this one ends once its last Worker is gone.
   */
  taint(): void {
    this.#tainted = true;
    for (const [w, slot] of this.#slots) {
      if (slot.s === "spare" || slot.s === "booting") this.#end(w);
    }
  }

  /**
   * A Worker of this host was stopped while its code ran without yielding (the watchdog's CPU
   * or time limit). Deno 2.9 does not stop such a Worker: `terminate()` leaves its thread
   * running (measured: a `while (true) {}` Worker kept a core busy 20 s after it, for as long as
   * its process lived), so only the process's end stops it. The host takes no new Workers, its
   * other functions are retired (they finish their requests; their next ones start on a new
   * host), and it ends once they are done ({@link CONDEMNED_MAX_MS} at most).
   */
  condemn(): void {
    if (this.#condemned || this.#gone) return;
    this.#condemned = true;
    this.taint();
    this.#s.log.warn({ app: this.appId, pid: this.proc.pid }, "host process condemned");
    for (const inst of this.#live()) this.#s.retire(inst);
    setTimeout(() => {
      if (!this.#gone) this.#endProcess("SIGKILL");
    }, CONDEMNED_MAX_MS).unref();
    this.#maybeStop();
  }

  #endProcess(signal: NodeJS.Signals): void {
    clearTimeout(this.#linger);
    this.#gone = true;
    this.#on.gone();
    this.proc.kill(signal);
  }

  /** A number for a new Worker; none when the host has used up its socket names too. */
  #free(): number | undefined {
    if (this.proc.socketsLeft === 0) return undefined;
    for (let w = 0; w < HOST_WORKERS; w++) {
      if (!this.#slots.has(w) && !this.#clearing.has(w)) return w;
    }
    return undefined;
  }

  #unclaimed(memoryMb: number, state: "spare" | "booting"): number | undefined {
    for (const [w, slot] of this.#slots) {
      if (slot.s === state && slot.memoryMb === memoryMb) return w;
    }
    return undefined;
  }

  /** True when a Worker of that limit waits (or is being created for nobody yet). */
  hasWaiting(memoryMb: number): boolean {
    return (
      this.#unclaimed(memoryMb, "spare") !== undefined ||
      this.#unclaimed(memoryMb, "booting") !== undefined
    );
  }

  hasRoom(memoryMb: number): boolean {
    return this.hasWaiting(memoryMb) || this.#free() !== undefined;
  }

  /**
   * A Worker for `inst`: a waiting one of its memory limit, else one being created for nobody,
   * else a new one. Undefined when the host has no room. One being created is the instance's at
   * once: its assignment goes to its socket as soon as it serves it (`HostInstance.#assign`),
   * without waiting for its `waiting` record, which comes through the host process's thread,
   * held up whenever it creates the next Worker.
   *
   * The next Worker is created right away ({@link #keepAhead}) when this one was not waiting,
   * or when the app's starts come in a run (the last less than {@link QUIET_MS} ago); a lone
   * start leaves it to `topUp` once it is quiet, so that the creation (20-25 ms of a core) does
   * not compete with the start for the CPU.
   */
  claim(inst: HostInstance, memoryMb: number): Claimed | undefined {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    const now = performance.now();
    const inARun = now - this.#lastClaim < QUIET_MS;
    this.#lastClaim = now;
    let w = this.#unclaimed(memoryMb, "spare");
    let claimed: Claimed | undefined;
    if (w !== undefined) {
      const slot = this.#slots.get(w) as Extract<Slot, { s: "spare" }>;
      claimed = { w, key: this.proc.workerKey(w) ?? "", tid: slot.tid, booting: false };
    } else {
      w = this.#unclaimed(memoryMb, "booting");
      if (w === undefined) {
        w = this.#free();
        if (w === undefined) return undefined;
        this.#boot(w, memoryMb);
      }
      claimed = { w, key: this.proc.workerKey(w) ?? "", tid: undefined, booting: true };
    }
    this.#slots.set(w, { s: "used", memoryMb, inst });
    if (claimed.booting || inARun) this.#keepAhead(memoryMb);
    return claimed;
  }

  /**
   * Starts come in a run: one more Worker is created right behind the one taken (not when it
   * is quiet) unless one is being created for nobody already, so that the host creates Workers
   * back to back while cold starts keep coming, and a start after those booted ahead waits for
   * the rest of a creation, not for a whole one. Those beyond `spareWorkers` end once it is
   * quiet (`topUp`).
   */
  #keepAhead(memoryMb: number): void {
    if (this.#unclaimed(memoryMb, "booting") !== undefined) return;
    const w = this.#free();
    if (w !== undefined) this.#boot(w, memoryMb);
  }

  #boot(w: number, memoryMb: number): void {
    this.#slots.set(w, { s: "booting", memoryMb });
    this.proc.bootWorker(w, heapLimitMb(memoryMb));
    this.#limit();
  }

  /** Ends a Worker nobody uses (its exit record then frees its number). */
  #end(w: number): void {
    const slot = this.#slots.get(w);
    if (slot) this.#slots.set(w, { s: "ending", memoryMb: slot.memoryMb });
    this.proc.send({ t: "kill", w });
  }

  /**
   * Keeps `spareWorkers` Workers of the server's limit waiting for the app's next cold starts:
   * boots the missing ones, ends those beyond (a spare host comes with `poolWorkers`).
   */
  topUp(): void {
    if (!this.usable) return;
    const mb = this.#s.process.memoryMb;
    const ahead: number[] = [];
    for (const [w, slot] of this.#slots) {
      if (slot.memoryMb !== mb) continue;
      if (slot.s === "spare" || slot.s === "booting") ahead.push(w);
    }
    for (const w of ahead.slice(this.#s.spareWorkers)) this.#end(w);
    for (let n = ahead.length; n < this.#s.spareWorkers; n++) {
      const w = this.#free();
      if (w === undefined) break;
      this.#boot(w, mb);
    }
  }

  /** The cgroup's limit: the host's own share and every Worker's limit. */
  #limit(): void {
    let mb = HOST_BASE_MB;
    for (const slot of this.#slots.values()) mb += slot.memoryMb;
    this.memoryLimitMb = mb;
    void this.proc.limitMemory(mb);
  }

  /** The host's memory limit, MB (its cgroup's; the watchdog's without cgroups). */
  memoryLimitMb = HOST_BASE_MB;

  /**
   * The host's resident memory passed its limit (the watchdog's, without cgroups: memory a
   * function holds outside its heap is held by nothing else). It ends now, as the kernel ends
   * a host over its cgroup's limit: every function of the app gets 502 and a fresh instance.
   */
  overMemory(): void {
    if (this.#gone) return;
    this.#s.log.warn({ app: this.appId, pid: this.proc.pid }, "host process over its memory limit");
    this.#endProcess("SIGKILL");
  }

  /** The app's secrets for an assignment, when they are not those the process has. */
  envFor(
    secrets: Record<string, string>,
  ): { env: Record<string, string>; drop: string[] } | undefined {
    const env = appEnv(secrets);
    const json = JSON.stringify(env);
    if (json === this.#env) return undefined;
    const drop = this.#envNames.filter((n) => !Object.hasOwn(env, n));
    this.#env = json;
    this.#envNames = Object.keys(env);
    return { env, drop };
  }

  /**
   * A Worker is gone: its lane is removed before its number is used again, and its socket (the
   * number's next Worker gets a socket name of its own).
   */
  release(w: number): void {
    if (!this.#slots.has(w)) return;
    this.#slots.delete(w);
    this.#clearing.add(w);
    const socket = this.proc.dropWorker(w);
    void Promise.allSettled([
      rm(join(this.proc.codePath, String(w)), { recursive: true, force: true }),
      socket === undefined ? undefined : rm(socket, { force: true }),
    ]).finally(() => {
      this.#clearing.delete(w);
      this.#limit();
      this.#maybeStop();
    });
  }

  /** True while a function's Worker runs or is being started (waiting Workers do not count). */
  #busy(): boolean {
    for (const slot of this.#slots.values()) {
      if (slot.s === "used") return true;
    }
    return false;
  }

  /** A host without functions stops after a moment (the app's next start may come right away). */
  #maybeStop(): void {
    if (this.#gone || this.#busy()) return;
    if (this.#condemned) {
      this.#endProcess("SIGKILL");
      return;
    }
    clearTimeout(this.#linger);
    this.#linger = setTimeout(() => {
      if (!this.#busy()) this.#endProcess("SIGTERM");
    }, HOST_LINGER_MS);
    this.#linger.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#linger);
    this.#gone = true;
    this.proc.kill("SIGKILL");
    await this.proc.exited;
  }

  describe(): { appId: string; pid: number | undefined; workers: number } {
    return {
      appId: this.appId,
      pid: this.proc.pid,
      workers: [...this.#slots.values()].filter((s) => s.s === "used").length,
    };
  }

  #live(): HostInstance[] {
    return [...this.#slots.values()].flatMap((s) => (s.s === "used" ? [s.inst] : []));
  }

  #record(rec: ProcessRecord): void {
    if (rec.w === undefined) {
      // Once: a function can write records on its host's stdout too (a `node:fs` write to fd
      // 1), and one forged later would make slots of Worker numbers never booted, each
      // raising the cgroup's limit by a Worker's (test/hostile/host-forged-records.test.ts).
      if (rec.t === "ready" && !this.#readied) {
        this.#readied = true;
        this.#ready(rec.workers ?? []);
      } else if (rec.t === "error" || rec.t === "log")
        this.#s.log.warn({ app: this.appId, message: rec.m }, "host process said");
      return;
    }
    const w = rec.w;
    const slot = this.#slots.get(w);
    if (rec.t === "waiting") {
      if (slot?.s === "booting")
        this.#slots.set(w, { s: "spare", memoryMb: slot.memoryMb, tid: rec.tid });
      else if (slot?.s === "used") slot.inst.threadIs(rec.tid);
      return;
    }
    if (rec.t === "exit" && slot?.s !== "used") {
      this.release(w);
      this.#maybeStop();
      return;
    }
    if (slot?.s === "used") slot.inst.record(rec);
  }

  /** The process is the app's: its Workers so far are the app's first waiting ones. */
  #ready(workers: { w: number; waiting?: boolean; tid?: number }[]): void {
    const mb = this.#s.process.memoryMb;
    for (const { w, waiting, tid } of workers) {
      // Only the Workers the server had this process boot (see #record).
      if (this.proc.workerSocket(w) === undefined || this.#slots.has(w)) continue;
      this.#slots.set(
        w,
        waiting ? { s: "spare", memoryMb: mb, tid } : { s: "booting", memoryMb: mb },
      );
    }
    this.#limit();
    this.#assigned();
  }

  /**
   * A plain line on the host's output: a Worker's uncaught error as Deno prints it, or what a
   * function wrote to its process's stdout/stderr by a way `worker.ts` does not catch (what it
   * writes through `Deno.stdout`/`Deno.stderr` or `process.stdout` comes as its `out` records).
   * Which Worker wrote it cannot be told; with one Worker it is that one's, else the app's
   * latest started function's (as an egress refusal is): on the app's logs, whose limits hold,
   * never on the server's own log, where a function wrote 1.9 GB in 30 s
   * (test/hostile/host-forged-records.test.ts). The server's log has it only when no function
   * of the app runs.
   */
  #line(stream: "stdout" | "stderr", raw: string, truncated: boolean): void {
    const latest = this.#latest();
    if (latest) latest.line(stream, raw, truncated);
    else this.#s.log.info({ app: this.appId, stream, line: raw }, "host process output");
  }

  /** The app's function started last on this host, if one runs. */
  #latest(): HostInstance | undefined {
    return this.#live().reduce<HostInstance | undefined>(
      (a, b) => (a === undefined || b.startedAt > a.startedAt ? b : a),
      undefined,
    );
  }

  /**
   * A connection the egress proxy refused. The proxy serves the whole host process, so the
   * Worker is known only when one runs; else the line goes on the app's latest started one.
   */
  #egress(refusal: EgressRefusal): void {
    this.#latest()?.egressRefused(refusal, this.#live().length > 1);
  }
}

/** How an instance gets its Worker, and says its start is over (it serves, or it failed). */
interface StartHooks {
  place: (inst: HostInstance) => Promise<{ host: AppHost } & Claimed>;
  ended: (host: AppHost | undefined) => void;
}

/** How long no cold start must have run before Workers and hosts are booted ahead, in ms. */
const QUIET_MS = 100;
/** How long such work waits at most (cold starts that never pause), in ms. */
const QUIET_MAX_MS = 2_000;

/**
 * Work done ahead of need (booting Workers and spare hosts) waits until no cold start has run
 * for {@link QUIET_MS}, {@link QUIET_MAX_MS} at most: on a machine with few cores it would
 * compete with those starts for the CPU, and each Worker a host creates holds the host's thread
 * for 25-30 ms.
 */
class Quiet {
  #busy = 0;
  #last = 0;
  readonly #jobs = new Map<object, { job: () => void; since: number }>();
  #timer: NodeJS.Timeout | undefined;

  begin(): void {
    this.#busy++;
  }

  end(): void {
    this.#busy--;
    this.#last = performance.now();
    this.#arm();
  }

  /** Runs `job` once it is quiet (a later job of the same `key` replaces it). */
  later(key: object, job: () => void): void {
    const since = this.#jobs.get(key)?.since ?? performance.now();
    this.#jobs.set(key, { job, since });
    this.#arm();
  }

  #arm(): void {
    if (this.#jobs.size === 0) return;
    const now = performance.now();
    const oldest = Math.min(...[...this.#jobs.values()].map((j) => j.since));
    const deadline = oldest + QUIET_MAX_MS;
    const quietAt = this.#busy > 0 ? deadline : this.#last + QUIET_MS;
    const wait = Math.max(0, Math.min(deadline, quietAt) - now);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const t = performance.now();
      const quiet = this.#busy === 0 && t - this.#last >= QUIET_MS;
      if (!quiet && t < deadline) return this.#arm();
      const jobs = [...this.#jobs.values()];
      this.#jobs.clear();
      for (const { job } of jobs) job();
    }, wait);
    this.#timer.unref();
  }
}

/**
 * A function instance that is a Worker of its app's host process. Same interface as a process
 * instance: its own socket and key, records tagged with its requests, its own limits (a heap
 * limit of its own; CPU watched on its thread; its time limit), its own crash and stop.
 */
export class HostInstance implements Instance {
  readonly id = randomBytes(6).toString("hex");
  readonly spec: InstanceSpec;
  dispatcher!: Pool;
  coldStartMs = 0;
  overLimit: LimitReason | undefined;
  /** When its Worker was placed (for the egress attribution). */
  startedAt = 0;
  /** Memory limit in MB (the watchdog reads it; its heap limit enforces it). */
  readonly memoryMb: number;

  readonly #hooks: HostInstanceHooks;
  readonly #s: HostRuntimeSettings;
  readonly #rt: StartHooks;
  /** The key its Worker got from the host (it assigns and serves only with it). */
  #key = "";
  #host: AppHost | undefined;
  #w = -1;
  /** Its Worker's socket (a name of its own, see `DenoProcess.bootWorker`). */
  #socket = "";
  #tid: number | undefined;
  #alive = false;
  #gone = false;
  #stopping: StopReason | undefined;
  #exitCbs: ((unexpected: string | undefined) => void)[] = [];
  #booted: ((rec: BootRecord) => void) | undefined;
  #mem: ((bytes: number | undefined) => void)[] = [];
  #exited!: (why: string) => void;
  readonly #exitedP = new Promise<string>((resolve) => {
    this.#exited = resolve;
  });
  #lane = "";
  /** True once its Worker said why it could not boot (it then ends by itself). */
  #bootError = false;
  /** Wall-clock fallback for the CPU sample when the Worker's thread cannot be found. */
  readonly #t0 = performance.now();

  constructor(
    spec: InstanceSpec,
    hooks: HostInstanceHooks,
    s: HostRuntimeSettings,
    rt: StartHooks,
  ) {
    this.spec = spec;
    this.#hooks = hooks;
    this.#s = s;
    this.#rt = rt;
    this.memoryMb = spec.memoryMb;
  }

  get authHeader(): readonly [string, string] {
    return [KEY_HEADER, this.#key];
  }

  get socketPath(): string {
    return this.#socket;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** The host process's pid (shared with the app's other instances). */
  get pid(): number | undefined {
    return this.#host?.proc.pid;
  }

  #emit(level: FunctionOutputLine["level"], message: string, requestId?: string): void {
    this.#hooks.onOutput(outputLine(level, message, requestId), this);
  }

  #rel(text: string): string {
    return this.#lane ? relativePaths(text, this.#lane) : text;
  }

  /** A record of its Worker (from its host). */
  record(rec: ProcessRecord): void {
    if (rec.t === "boot_error") this.#bootError = true;
    const common = commonRecord(rec, {
      rel: (t) => this.#rel(t),
      emit: (level, message, requestId) => this.#emit(level, message, requestId),
      pong: () => this.#s.watchdog.pong(this),
      overdue: (ms, requestId) => this.#hooks.onOverdue(this, ms, requestId),
      booted: this.#booted,
    });
    if (common) return;
    switch (rec.t) {
      case "mem":
        for (const cb of this.#mem.splice(0)) cb(rec.b);
        break;
      case "out":
        this.line(rec.s === "o" ? "stdout" : "stderr", rec.m, rec.c === 1);
        break;
      case "exit":
        this.exited(this.#rel(rec.why), rec.oom);
        if (rec.stuck) this.#host?.condemn();
        break;
    }
  }

  /** A plain output line of its host attributed to it. */
  line(stream: "stdout" | "stderr", raw: string, truncated: boolean): void {
    const line = this.#rel(truncated ? cutNote(raw) : raw);
    this.#emit(stream === "stdout" ? "info" : "error", line);
  }

  egressRefused(refusal: EgressRefusal, shared: boolean): void {
    this.#hooks.onEgressRefused(
      shared ? { ...refusal, why: `${refusal.why} (from one of the app's functions)` } : refusal,
      this,
    );
  }

  /** Its Worker is gone (or its host): once. */
  exited(why: string, oom: boolean): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#alive = false;
    if (oom) {
      this.overLimit ??= "memory";
      this.#host?.taint();
    }
    this.#s.watchdog.unwatch(this);
    for (const cb of this.#mem.splice(0)) cb(undefined);
    this.dispatcher?.destroy().catch(() => {});
    this.#host?.release(this.#w);
    this.#exited(why);
    const unexpected = this.#stopping ? undefined : why;
    for (const cb of this.#exitCbs) cb(unexpected);
  }

  start(): Promise<void> {
    const started = performance.now();
    const boot = waitForBoot({
      functionName: this.spec.functionName,
      timeoutMs: this.#s.bootTimeoutMs,
      stop: () => {
        // No boot error and still there: it did not serve in time, and its code may be running
        // without yielding (a loop at the top of its module), which only its host's end stops.
        if (!this.#gone && !this.#bootError && this.#host) this.#stopUnyielding();
        void this.stop("boot_failed", false).catch(() => {});
      },
      ready: () => {
        this.coldStartMs = Math.round(performance.now() - started);
        this.#s.watchdog.watch(this, this.spec.timeLimitMs);
      },
    });
    this.#booted = boot.booted;
    void this.#exitedP.then((why) => boot.fail(why));
    this.#run().then(
      () => this.#rt.ended(this.#host),
      (e: Error) => {
        boot.fail(e.message);
        if (!this.#gone && !this.#host) this.exited(e.message, false);
        this.#rt.ended(this.#host);
      },
    );
    return boot.done;
  }

  /** Takes a waiting Worker of its app's host and assigns it on its socket (see `worker.ts`). */
  async #run(): Promise<void> {
    const { host, w, key, tid, booting } = await this.#rt.place(this);
    this.#host = host;
    this.#w = w;
    this.#socket = host.proc.workerSocket(w) ?? "";
    this.#key = key;
    this.#tid = tid;
    this.#alive = true;
    this.startedAt = performance.now();
    if (this.#stopping) {
      this.kill("SIGKILL");
      throw new Error("stopped before it started");
    }
    this.#lane = join(host.proc.codePath, String(w));
    this.dispatcher = instancePool(this.socketPath);
    const spec = this.spec;
    // Its own lane (its module's path), and its deployment in the host's working directory,
    // where its relative paths resolve (see `linkAppCode`).
    await Promise.all([
      linkCode(spec.root, this.#lane),
      host.proc.linkApp(spec.root, spec.functionName, () => {
        const current = this.#s.currentDeployment?.(spec.appId, spec.functionName);
        return current === undefined || current === spec.deploymentId;
      }),
    ]);
    if (this.#gone) return;
    const assignment = {
      entry: join(this.#lane, relative(this.spec.root, this.spec.entry)),
      cwd: this.#lane,
      timeLimitMs: this.spec.timeLimitMs,
      ...host.envFor(this.spec.env),
    };
    const answer = await this.#assign(JSON.stringify(assignment), booting);
    // A boot error comes as a record too (with the log line), and the Worker then ends.
    if (answer?.t === "ready") {
      this.threadIs(answer.tid);
      this.#booted?.({ t: "ready" });
    }
  }

  /**
   * Posts the assignment to its Worker's socket. A Worker still being created does not serve
   * it yet: the post is tried again every {@link ASSIGN_RETRY_MS} while the socket is missing or
   * refuses, until the Worker serves it or is gone (its exit record), or the boot's timeout
   * stops the instance. Undefined when it was not taken: the exit or the timeout says why.
   */
  async #assign(body: string, booting: boolean): Promise<{ t?: string; tid?: number } | undefined> {
    for (;;) {
      try {
        const res = await this.dispatcher.request({
          method: "POST",
          path: "/",
          headers: { [KEY_HEADER]: this.#key, "content-type": "application/json" },
          body,
        });
        return (await res.body.json()) as { t?: string; tid?: number };
      } catch (e) {
        const code = (e as { code?: string }).code;
        const notYet = code === "ENOENT" || code === "ECONNREFUSED";
        if (!booting || !notYet || this.#gone || this.#stopping) return undefined;
        await sleep(ASSIGN_RETRY_MS);
      }
    }
  }

  /** Its Worker's thread id (`worker-<tid>` is its thread's name), once known. */
  threadIs(tid: number | undefined): void {
    if (this.#tid === undefined && tid !== undefined) this.#tid = tid;
  }

  async stop(reason: StopReason, graceful = true): Promise<void> {
    if (!this.#stopping) this.#stopping = reason;
    if (this.#gone) return;
    if (!this.#host) {
      // Still being placed: #run stops it once it has a number.
      await this.#exitedP;
      return;
    }
    this.#host.proc.send({ t: graceful ? "stop" : "kill", w: this.#w });
    if (graceful) {
      // Still running 10 s after it was asked to stop: it may not yield.
      const kill = setTimeout(() => this.#stopUnyielding(), 10_000);
      await this.#exitedP;
      clearTimeout(kill);
    } else {
      await this.#exitedP;
    }
  }

  onExit(cb: (unexpected: string | undefined) => void): void {
    this.#exitCbs.push(cb);
  }

  /** Its isolate's heap (what the Worker holds), asked of the Worker; undefined if it is busy. */
  rss(): Promise<number | undefined> {
    if (!this.#alive || !this.#host) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 1_000);
      this.#mem.push((b) => {
        clearTimeout(timer);
        resolve(b);
      });
      this.#host?.proc.send({ t: "m", w: this.#w });
    });
  }

  // What the watchdog needs (Watched).

  ping(): void {
    if (this.#alive) this.#host?.proc.send({ t: "p", w: this.#w });
  }

  /**
   * Its host's resident memory is held to its host's limit (the watchdog checks it only
   * without cgroups, see {@link sample}).
   */
  get rssLimitMb(): number | undefined {
    return this.#host?.memoryLimitMb;
  }

  /**
   * The watchdog's: it ran its CPU or time limit without yielding (see `AppHost.condemn`), or
   * its host's memory is over the host's limit (the host ends).
   */
  kill(_signal: NodeJS.Signals, reason?: LimitReason): void {
    if (reason !== undefined) this.overLimit ??= reason;
    if (reason === "memory") this.#host?.overMemory();
    else if (reason !== undefined) this.#stopUnyielding();
    else if (!this.#gone) this.#host?.proc.send({ t: "kill", w: this.#w });
  }

  /** The watchdog's: its thread sleeps with a ping unanswered (see `Watched.asleep`). */
  asleep(): void {
    if (this.#alive) this.#host?.proc.send({ t: "asleep", w: this.#w });
  }

  /** Stops a Worker that may be running without yielding: its host is condemned with it. */
  #stopUnyielding(): void {
    if (this.#gone) return;
    this.#host?.proc.send({ t: "kill", w: this.#w });
    this.#host?.condemn();
  }

  /** Over its time limit while its event loop turns (its `overdue` record): it can be stopped. */
  killOverLimit(reason: LimitReason): void {
    this.overLimit ??= reason;
    if (!this.#gone) this.#host?.proc.send({ t: "kill", w: this.#w });
  }

  /**
   * Its thread's CPU time (found by its name, `worker-<threadId>`); else the wall clock. Without
   * cgroups, also its host's resident memory, which the watchdog holds to the host's limit
   * ({@link rssLimitMb}): memory outside a function's heap (ArrayBuffers) is held by nothing
   * else (a function of 128 MB held 2.1 GB, test/hostile/host-memory-no-cgroup.test.ts).
   */
  async sample(): Promise<Sample | undefined> {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    if (this.#tid !== undefined && this.#threadTid === undefined) {
      this.#threadTid = (await findThread(pid, `worker-${this.#tid}`)) ?? null;
    }
    const watchRss = this.#s.process.cgroups === undefined;
    if (this.#threadTid) {
      const s = await sample(pid, this.#threadTid);
      if (s) return { cpuMs: s.cpuMs, rss: watchRss ? s.rss : undefined, state: s.state };
    }
    const rss = watchRss ? (await sample(pid))?.rss : undefined;
    return { cpuMs: performance.now() - this.#t0, rss };
  }
  #threadTid: number | null | undefined;
}

/** The id of `pid`'s thread named `name`, on Linux. */
async function findThread(pid: number, name: string): Promise<number | undefined> {
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const comm = await readFile(`/proc/${pid}/task/${tid}/comm`, "utf8").catch(() => "");
    if (comm.trim() === name) return Number(tid);
  }
  return undefined;
}
