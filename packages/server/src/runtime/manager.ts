import { FnbaseError, type Logger } from "@fnbase/shared";
import type { FunctionOutputLine } from "../config.js";
import { DenoInstance } from "./deno-instance.js";
import type { DenoProcessSettings, LimitReason } from "./deno-process.js";
import type { EgressRefusal } from "./egress/proxy.js";
import { HostRuntime, POOL_WORKERS, SPARE_WORKERS } from "./host-runtime.js";
import type { Instance, InstanceSpec, StopReason } from "./instance.js";
import { InstanceEvents } from "./instance-events.js";
import { SparePool } from "./spare-pool.js";
import { Watchdog } from "./watchdog.js";

/** What the manager needs to know to start an instance. */
export interface InstanceRequest {
  appId: string;
  functionName: string;
  deploymentId: string;
  /** Builds the spec (materializes files, reads secrets); called only on a cold start. */
  prepare: () => Promise<InstanceSpec>;
}

interface Slot {
  /** The slot's key in the map (changes when it starts draining). */
  key: string;
  instance?: Instance;
  starting?: Promise<Instance>;
  inflight: number;
  lastUsed: number;
  draining: boolean;
}

export interface ManagerSettings extends DenoProcessSettings {
  idleTimeoutMs: number;
  /** How long an instance may take from its assignment to serving, in ms. */
  bootTimeoutMs: number;
  /** Deno processes kept started ahead of need (see `SparePool`); 0 starts each on demand. */
  spares: number;
  /** Host runtime: Workers each spare host boots ahead of need (`HostRuntimeSettings`). */
  spareWorkers?: number;
  /**
   * What an instance is: `process`, a Deno process of its own (default), or `host`, a Worker in
   * its app's host process (`host-runtime.ts`, `FNBASE_RUNTIME=host`).
   */
  runtime?: RuntimeKind;
  log: Logger;
  onOutput: (line: FunctionOutputLine) => void;
  /** CPU time an instance may spend without its event loop turning, in ms (`Watchdog`). */
  cpuTimeLimitMs: number;
  /** Called after each cold start with its duration. */
  onColdStart?: (appId: string, fn: string, ms: number) => void;
  /** Called when an instance is stopped over one of its limits. */
  onLimit?: (appId: string, fn: string, reason: LimitReason) => void;
  /** Called when the egress proxy refused an instance's connection. */
  onEgressRefused?: (appId: string, fn: string) => void;
  /**
   * Called when an instance must no longer get new requests (it drains, or it exited), so that
   * whoever holds it (the front) gives it back.
   */
  onRevoke?: (instance: Instance) => void;
  /** The current deployment of an app's function (host runtime, see `HostRuntimeSettings`). */
  currentDeployment?: (appId: string, functionName: string) => string | undefined;
}

/** How long a replaced instance with nothing in flight waits before it stops, in ms. */
const RETIRE_DELAY_MS = 300;

/** See `ManagerSettings.runtime`. */
export type RuntimeKind = "process" | "host";

const keyOf = (appId: string, fn: string, dep: string) => `${appId}\0${fn}\0${dep}`;

/**
 * Owns every running instance. One instance per (app, function, deployment) serves all of its
 * concurrent requests; concurrent requests to a cold function share one start; idle instances
 * stop (scale to zero); a crashed instance is replaced on the next request; instances of a
 * deployment that is no longer current drain (finish in-flight requests) and stop.
 */
export class RuntimeManager {
  readonly #slots = new Map<string, Slot>();
  /** Replaced instances waiting to stop (see #stopSlot). */
  readonly #retiring = new Set<Instance>();
  /** Every instance from its creation to its exit, those still starting included. */
  readonly #live = new Set<Instance>();
  readonly #settings: ManagerSettings;
  readonly #pool: SparePool;
  /** The host runtime, when instances are Workers of app host processes. */
  readonly #hosts: HostRuntime | undefined;
  readonly #watchdog: Watchdog;
  readonly #events: InstanceEvents;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(settings: ManagerSettings) {
    this.#settings = settings;
    const host = settings.runtime === "host";
    this.#pool = new SparePool(settings, host ? 0 : settings.spares, settings.log);
    this.#pool.start();
    this.#events = new InstanceEvents(settings);
    this.#watchdog = new Watchdog({
      cpuTimeLimitMs: settings.cpuTimeLimitMs,
      checkMemory: settings.cgroups === undefined,
      tickMs: Math.max(20, Math.min(250, Math.floor(settings.cpuTimeLimitMs / 4))),
      onKill: (p, reason, detail) => {
        const inst = [...this.#live].find(
          (i) => (i as unknown) === p || (i instanceof DenoInstance && i.pid === p.pid),
        );
        if (inst) this.#events.overLimit(inst, reason, detail);
      },
    });
    this.#hosts = host
      ? new HostRuntime({
          process: settings,
          spares: settings.spares,
          poolWorkers: settings.spareWorkers ?? POOL_WORKERS,
          spareWorkers: SPARE_WORKERS,
          bootTimeoutMs: settings.bootTimeoutMs,
          watchdog: this.#watchdog,
          log: settings.log,
          retire: (inst) => this.retireInstance(inst),
          currentDeployment: settings.currentDeployment,
        })
      : undefined;
    const every = Math.min(5_000, Math.max(25, Math.floor(settings.idleTimeoutMs / 4)));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    this.#sweeper.unref();
  }

  /** An instance ready to take a request; call {@link release} when the request is done. */
  async acquire(
    req: InstanceRequest,
  ): Promise<{ instance: Instance; release: () => void; cold: boolean }> {
    const key = keyOf(req.appId, req.functionName, req.deploymentId);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { key, inflight: 0, lastUsed: Date.now(), draining: false };
      this.#slots.set(key, slot);
    }
    const s = slot;
    s.inflight++;
    s.lastUsed = Date.now();
    let cold = false;
    try {
      let instance = s.instance?.alive ? s.instance : undefined;
      if (!instance) {
        if (!s.starting) {
          cold = true;
          s.starting = this.#start(s, req).finally(() => {
            s.starting = undefined;
          });
        }
        instance = await s.starting;
      }
      let released = false;
      return {
        instance,
        cold,
        release: () => {
          if (released) return;
          released = true;
          this.#release(s);
          // A cold start took a spare: replace it now that its first request is done.
          if (cold) this.#pool.fill();
        },
      };
    } catch (err) {
      this.#release(s);
      if (cold) this.#pool.fill();
      throw err;
    }
  }

  /**
   * Holds `instance` open as an in-flight request would, for the front, which sends requests to
   * it directly; undefined when it is no longer the one to use. The returned function gives the
   * hold back, saying how long ago the holder last used the instance.
   */
  hold(instance: Instance): ((agoMs?: number) => void) | undefined {
    for (const s of this.#slots.values()) {
      if (s.instance !== instance || s.draining || !instance.alive) continue;
      s.inflight++;
      let released = false;
      return (agoMs = 0) => {
        if (released) return;
        released = true;
        this.#release(s, agoMs);
      };
    }
    return undefined;
  }

  #release(s: Slot, agoMs = 0): void {
    s.inflight--;
    s.lastUsed = Math.max(s.lastUsed, Date.now() - agoMs);
    if (s.inflight === 0 && s.draining) this.#stopSlot(s, "drained");
    else if (s.inflight === 0 && !s.instance && !s.starting) this.#drop(s);
  }

  #drop(s: Slot): void {
    if (this.#slots.get(s.key) === s) this.#slots.delete(s.key);
  }

  async #start(s: Slot, req: InstanceRequest): Promise<Instance> {
    const closing = () => new FnbaseError("SERVICE_UNAVAILABLE", "The server is shutting down");
    if (this.#closed) throw closing();
    const spec = await req.prepare();
    if (this.#closed) throw closing();
    const hooks = {
      onEgressRefused: (r: EgressRefusal, i: Instance) => this.#events.egressRefused(i, r),
      onOverdue: (
        i: Instance & { killOverLimit(r: LimitReason): void },
        ms: number,
        requestId: string,
      ) => {
        if (!i.alive || i.overLimit !== undefined) return;
        this.#events.overLimit(i, "time", `request ${requestId} still running after ${ms} ms`);
        i.killOverLimit("time");
      },
      onOutput: (
        line: Omit<FunctionOutputLine, "app_id" | "function" | "deployment_id" | "instance_id">,
        i: Instance,
      ) =>
        this.#settings.onOutput({
          ...line,
          app_id: spec.appId,
          function: spec.functionName,
          deployment_id: spec.deploymentId,
          instance_id: i.id,
        }),
    };
    const inst: Instance = this.#hosts
      ? this.#hosts.instance(spec, hooks)
      : new DenoInstance(spec, {
          pool: this.#pool,
          bootTimeoutMs: this.#settings.bootTimeoutMs,
          watchdog: this.#watchdog,
          ...hooks,
        });
    this.#live.add(inst);
    inst.onExit((unexpected) => {
      this.#live.delete(inst);
      if (s.instance === inst) s.instance = undefined;
      this.#settings.onRevoke?.(inst);
      if (unexpected) {
        this.#events.exited(inst, unexpected);
        if (s.inflight === 0 && !s.starting) this.#drop(s);
      }
    });
    try {
      await inst.start();
    } catch (err) {
      this.#events.line(inst, "error", (err as Error).message);
      throw err;
    }
    s.instance = inst;
    this.#events.line(
      inst,
      "info",
      `Instance ${inst.id} started (cold start ${inst.coldStartMs} ms)`,
    );
    this.#settings.onColdStart?.(spec.appId, spec.functionName, inst.coldStartMs);
    if (s.draining && s.inflight === 0) this.#stopSlot(s, "drained");
    return inst;
  }

  #stopSlot(s: Slot, reason: StopReason): void {
    this.#drop(s);
    const inst = s.instance;
    s.instance = undefined;
    if (!inst) return;
    if (reason === "idle")
      this.#events.line(inst, "info", `Instance ${inst.id} stopped after being idle`);
    const stop = () => {
      this.#retiring.delete(inst);
      inst.stop(reason).catch((err) => this.#settings.log.warn({ err }, "instance stop failed"));
    };
    if (reason !== "replaced" && reason !== "drained") {
      stop();
      return;
    }
    // A replaced instance gets no more requests; its exit waits a moment so that it does not
    // compete for the CPU with the start of its replacement, whose first caller is waiting
    // (the first answer after a deploy came 7-8 ms sooner).
    this.#retiring.add(inst);
    setTimeout(stop, RETIRE_DELAY_MS).unref();
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#settings.idleTimeoutMs;
    for (const s of [...this.#slots.values()]) {
      if (s.inflight === 0 && !s.starting && s.lastUsed <= cutoff) this.#stopSlot(s, "idle");
    }
  }

  /**
   * Retires instances of an app (optionally one function) whose deployment is not `keep`:
   * they finish their in-flight requests, then stop. With no `keep`, every instance retires
   * (used when secrets change: the next request starts a fresh instance).
   */
  retire(appId: string, functionName?: string, keep?: string): void {
    for (const s of [...this.#slots.values()]) {
      if (s.draining) continue;
      const [a, f, d] = s.key.split("\0");
      if (a !== appId || (functionName !== undefined && f !== functionName) || d === keep) continue;
      this.#drain(s);
    }
  }

  /**
   * Retires one instance as {@link retire} does (host runtime: its app's host process must end,
   * see `AppHost.condemn`): it finishes its in-flight requests and stops; the next request
   * starts a new one.
   */
  retireInstance(inst: Instance): void {
    for (const s of [...this.#slots.values()]) {
      if (s.instance === inst && !s.draining) this.#drain(s);
    }
  }

  #drain(s: Slot): void {
    s.draining = true;
    if (s.instance) this.#settings.onRevoke?.(s.instance);
    if (s.inflight === 0 && !s.starting) {
      this.#stopSlot(s, "replaced");
      return;
    }
    // Re-home the slot under a key of its own so a new instance for the same deployment can
    // start while this one drains.
    this.#slots.delete(s.key);
    s.key = `${s.key}\0draining:${Math.random()}`;
    this.#slots.set(s.key, s);
  }

  /** Processes started ahead of need and not yet assigned, for the benchmark. */
  spares(): readonly { readonly pid: number | undefined; readonly waiting: boolean }[] {
    return this.#hosts ? this.#hosts.spares() : this.#pool.spares();
  }

  /** App host processes (host runtime only), for the benchmark and tests. */
  hosts(): { appId: string; pid: number | undefined; workers: number }[] {
    return this.#hosts?.hosts() ?? [];
  }

  /** Running instances, for metrics and the benchmark. */
  instances(): Instance[] {
    return [...this.#slots.values()].flatMap((s) => (s.instance?.alive ? [s.instance] : []));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#watchdog.close();
    const all = [...this.#slots.values()];
    this.#slots.clear();
    this.#retiring.clear();
    // Every instance, those still starting too (close() used to miss them: they started after
    // it and ran on).
    const live = new Set([...this.#live, ...all.flatMap((s) => (s.instance ? [s.instance] : []))]);
    await Promise.allSettled([
      this.#pool.close(),
      ...(this.#hosts ? [this.#hosts.close()] : []),
      ...[...live].map((i) => i.stop("shutdown", false)),
    ]);
  }
}
