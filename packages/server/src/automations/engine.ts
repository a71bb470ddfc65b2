import { hostname } from "node:os";
import type { Logger } from "@fnbase/shared";
import type { TokenService } from "../auth/tokens.js";
import type { Catalog } from "../catalog.js";
import type { FunctionOutputLine } from "../config.js";
import { newId } from "../deploy/deployer.js";
import type { AutomationMetrics } from "../metrics/automation-metrics.js";
import type { ClaimedRun, RunResult, Store } from "../store/index.js";
import { Dispatcher } from "./dispatcher.js";
import { EventLoopLoad } from "./event-loop-load.js";
import { entityEvent } from "./event-payload.js";
import { type Attempt, AutomationInvoker } from "./invoke.js";
import { Scheduler } from "./scheduler.js";
import { AutomationService } from "./service.js";

/** Settings of {@link AutomationEngine}; see `ServerOptions` for each. */
export interface AutomationSettings {
  now: () => number;
  minIntervalMs: number;
  maxDepth: number;
  concurrency: number;
  /** See `ServerOptions.automationDeferMs`. */
  deferMs: number;
  retryDelaysMs: readonly number[];
  /** How often the engine looks for due ticks and retries, in real ms (0: only when told). */
  pollMs: number;
  requestTimeoutMs: number;
}

/** What the engine works with. */
export interface AutomationEngineDeps {
  store: Store;
  catalog: Catalog;
  tokens: TokenService;
  /** The server's public URL. */
  url: () => string;
  log: Logger;
  metrics: AutomationMetrics;
  /** Writes a platform line on a function's log. */
  emit: (line: FunctionOutputLine) => void;
  /**
   * How many HTTP requests Node has taken so far (a counter that only grows): deliveries yield
   * only while some come in. Absent: Node's load alone decides.
   */
  requests?: () => number;
}

/** Finished runs kept per automation. */
export const RUNS_KEPT = 200;
/** How often old runs are pruned, in real ms. */
const PRUNE_EVERY_MS = 60_000;

const iso = (t: number | null) => (t === null ? "" : new Date(t).toISOString());

/** What started a run, in words, for its log line. */
function trigger(c: ClaimedRun): string {
  const { run } = c;
  if (run.trigger === "schedule") return `schedule ${iso(run.scheduled_for)}`;
  if (run.trigger === "manual") return "run now";
  // The event's JSON starts with its type (event-payload.ts): no need to parse the records.
  const type = /^\{"event":\{"type":"(\w+)"/.exec(run.event ?? "")?.[1] ?? "event";
  const [entity, id] = (run.record_key ?? "").split("\0");
  return `${type} of ${entity} ${id}`;
}

/**
 * The automations of a server: the service behind the API, the scheduler, and the dispatcher
 * that delivers runs through the server's public URL. Entity writes queue runs in their own
 * transactions (the store's event policy, set here) and wake the dispatcher; a timer looks for
 * due ticks and retries every `pollMs`.
 *
 * @example
 * const engine = new AutomationEngine(settings, deps);
 * await engine.start();
 * await engine.tick(); // tests: run what is due now, and wait for it
 */
export class AutomationEngine {
  readonly service: AutomationService;
  readonly scheduler: Scheduler;
  readonly dispatcher: Dispatcher;
  readonly invoker: AutomationInvoker;
  readonly #s: AutomationSettings;
  readonly #d: AutomationEngineDeps;
  #timer: NodeJS.Timeout | undefined;
  #lastPrune = 0;
  #ticking: Promise<void> | undefined;
  /** Node's own load: deliveries yield to requests while it is busy with them. */
  readonly #load: EventLoopLoad;

  constructor(settings: AutomationSettings, deps: AutomationEngineDeps) {
    this.#s = settings;
    this.#d = deps;
    this.#load = new EventLoopLoad(deps.requests ? { requests: deps.requests } : {});
    const store = deps.store.automations;
    this.invoker = new AutomationInvoker({
      catalog: deps.catalog,
      tokens: deps.tokens,
      identity: deps.store.identity,
      url: deps.url,
      requestTimeoutMs: settings.requestTimeoutMs,
    });
    this.scheduler = new Scheduler(store, settings.now);
    this.dispatcher = new Dispatcher({
      store,
      now: settings.now,
      owner: `${hostname()}:${process.pid}:${newId().slice(0, 8)}`,
      concurrency: settings.concurrency,
      busy: () => this.#load.busy(),
      deferMs: settings.deferMs,
      retryDelaysMs: settings.retryDelaysMs,
      // The function's time limit, and a minute for the answer to come back.
      leaseMs: (c) =>
        this.invoker.timeoutMs(c.automation.app_id, c.automation.function_name) + 60_000,
      attempt: (c) => this.invoker.invoke(c),
      onAttempt: (c, a, r) => this.#report(c, a, r),
      log: deps.log,
    });
    this.service = new AutomationService({
      store,
      identity: deps.store.identity,
      catalog: deps.catalog,
      now: settings.now,
      minIntervalMs: settings.minIntervalMs,
      changed: () => void this.#poll(),
    });
    store.setEventPolicy({
      now: settings.now,
      maxDepth: settings.maxDepth,
      event: entityEvent,
      queued: () => this.dispatcher.wake(),
    });
  }

  /**
   * Starts the timer. Runs a previous process of this store left running are queued again
   * first: an SQLite store has one server, so that process is gone (their attempt counts).
   */
  async start(): Promise<void> {
    const released = await this.#d.store.automations.releaseLeases();
    if (released > 0) this.#d.log.info({ released }, "automation runs taken back after a restart");
    if (this.#s.pollMs > 0) {
      this.#timer = setInterval(() => void this.#poll(), this.#s.pollMs);
      this.#timer.unref();
    }
    await this.#poll();
  }

  /** One scheduler pass, then the dispatcher looks for due runs. */
  #poll(): Promise<void> {
    this.#ticking ??= (async () => {
      try {
        await this.scheduler.pass();
      } catch (err) {
        this.#d.log.error({ err }, "automation scheduler pass failed");
      }
      this.dispatcher.wake();
      if (Date.now() - this.#lastPrune > PRUNE_EVERY_MS) {
        this.#lastPrune = Date.now();
        await this.#d.store.automations.pruneRuns(RUNS_KEPT).catch((err: unknown) => {
          this.#d.log.error({ err }, "pruning automation runs failed");
        });
      }
    })().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /**
   * Queues what is due at the clock's time (ticks, retries) and waits until every run that
   * can start has finished (for tests, with a clock they move; and `fnbase` callers who need
   * a settled state).
   */
  async tick(): Promise<void> {
    await this.#poll();
    await this.dispatcher.idle();
  }

  /** The log line and metrics of one attempt. */
  #report(c: ClaimedRun, a: Attempt | undefined, r: RunResult): void {
    const { run, automation } = c;
    const fn = this.#d.catalog.fn(automation.app_id, automation.function_name);
    const outcome = r.status === "queued" ? "retried" : r.status;
    const lag =
      run.trigger === "entity" && r.status !== "queued"
        ? Math.max(0, r.finished_at - run.created_at) / 1000
        : undefined;
    this.#d.metrics.attempt(
      {
        appId: automation.app_id,
        functionName: automation.function_name,
        automationId: automation.id,
        name: automation.name,
      },
      outcome,
      a && a.status !== null ? a.durationMs / 1000 : undefined,
      lag,
    );
    if (!fn) return;
    const what =
      r.status === "succeeded"
        ? `succeeded: ${r.http_status} in ${Math.round(r.duration_ms ?? 0)} ms`
        : r.status === "queued"
          ? `failed, retrying at ${iso(r.next_attempt_at ?? null)}: ${r.error}`
          : `${r.status}: ${r.error}`;
    this.#d.emit({
      // When the attempt started, so the line sorts before the function's own.
      time: new Date(Date.now() - (a?.durationMs ?? 0)).toISOString(),
      level: r.status === "succeeded" ? "info" : r.status === "queued" ? "warning" : "error",
      message: `Automation "${automation.name}" (${automation.id}), run ${run.id} (${trigger(c)}), attempt ${run.attempts}: ${what}`,
      app_id: automation.app_id,
      function: automation.function_name,
      deployment_id: fn.deployment_id,
      instance_id: "",
      ...(r.request_id ? { request_id: r.request_id } : {}),
      source: "platform",
    });
  }

  /** Stops the timer and takes no more runs (those in flight go on). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.dispatcher.stop();
  }

  /**
   * Stops, then waits for the runs in flight, at most `waitMs` (a run still going then is
   * queued again at the next start: see {@link start}).
   */
  async close(waitMs = 2_000): Promise<void> {
    this.#load.close();
    this.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.#ticking, this.dispatcher.close()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
