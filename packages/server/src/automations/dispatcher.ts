import type { Logger } from "@fnbase/shared";
import type { AutomationStore, ClaimedRun, RunResult } from "../store/index.js";
import type { Attempt } from "./invoke.js";

/** How long a busy dispatcher gathers work before it claims more, in ms. */
const BATCH_MS = 5;
/**
 * A run started longer ago than this (ms, real time) waits on its function, not on Node: it no
 * longer counts against the narrow limit while Node is busy (its CPU is at the start and end).
 */
const ACTIVE_MS = 1_000;
/** How often held-back runs are looked at again while Node is busy, in ms. */
const RECHECK_MS = 200;

/**
 * The most runs of one app this dispatcher runs at once, of `limit` in all: a quarter of the
 * slots (at least one) stays for other apps, so a flood of one app's slow runs never holds
 * every slot; with one or two slots, one each.
 */
export function perAppCap(limit: number): number {
  return Math.max(1, limit - Math.max(1, Math.floor(limit / 4)));
}

/**
 * Shares `room` free slots among `apps` (oldest due first) in turns, one run each per turn,
 * none past {@link perAppCap} counting what each already runs: how many runs to claim of each.
 */
export function shareSlots(
  apps: readonly string[],
  room: number,
  cap: number,
  running: ReadonlyMap<string, number>,
): Map<string, number> {
  const share = new Map<string, number>();
  let left = room;
  for (let turn = true; turn && left > 0; ) {
    turn = false;
    for (const app of apps) {
      if (left === 0) break;
      const n = share.get(app) ?? 0;
      if ((running.get(app) ?? 0) + n >= cap) continue;
      share.set(app, n + 1);
      left--;
      turn = true;
    }
  }
  return share;
}

/** What {@link Dispatcher} works with. */
export interface DispatcherDeps {
  store: AutomationStore;
  now: () => number;
  /** This dispatcher's name on the leases it takes. */
  owner: string;
  /** Runs started at once, at most. */
  concurrency: number;
  /**
   * True while Node is busy with requests (see EventLoopLoad): deliveries then yield to them,
   * at most `ceil(concurrency / 16)` started in the last second at once (never none; runs
   * waiting longer on their function do not count), and the queue drains once it is not.
   * Absent: always `concurrency`.
   */
  busy?: () => boolean;
  /**
   * While busy, how long due runs wait for Node to calm down before they go at the narrow
   * width anyway, in real ms (default 10,000): a burst of writes defers its deliveries to
   * after the burst; sustained load delays them by this much at most.
   */
  deferMs?: number;
  /** Delays before each retry of a failed run, in ms: its length is the number of retries. */
  retryDelaysMs: readonly number[];
  /** How long a claimed run is held before another dispatcher may take it again. */
  leaseMs: (c: ClaimedRun) => number;
  /** One attempt of a run. */
  attempt: (c: ClaimedRun) => Promise<Attempt>;
  /** Told of every attempt's end, with what was stored. */
  onAttempt?: (c: ClaimedRun, attempt: Attempt | undefined, result: RunResult) => void;
  log: Logger;
}

/**
 * Delivers queued runs: claims what is due (up to `concurrency` at once, shared among the apps
 * that have due runs in turns, none holding more than {@link perAppCap}), runs each, and
 * records its end; a failure worth retrying goes back to the queue with the next delay of
 * `retryDelaysMs`, until they are used up. Runs of one record for one automation go one at a
 * time in order (the store never hands out a later one while an earlier is open). Delivery is
 * at least once: a dispatcher that dies holding a lease leaves the run to be taken again when
 * the lease lapses (or, on a single-node store, at the next start).
 *
 * @example
 * const d = new Dispatcher({ store, now, owner: "node-1", concurrency: 8, ... });
 * d.wake(); // after queueing
 * await d.idle(); // until nothing is due or running
 */
export class Dispatcher {
  readonly #d: DispatcherDeps;
  /** Runs started and not finished, by app. */
  readonly #byApp = new Map<string, number>();
  /** Each run started and not finished, with when it began (performance.now()). */
  readonly #startedAt = new Set<{ at: number }>();
  /** Since when (performance.now()) due runs have been held back while busy. */
  #holdingSince: number | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #scheduled = false;
  #passing = false;
  #again = false;
  #closed = false;
  #idle: (() => void)[] = [];
  /** Attempts that ended, waiting to be recorded together. */
  #ends: {
    c: ClaimedRun;
    attempt: Attempt | undefined;
    result: RunResult;
    resolve: () => void;
  }[] = [];

  constructor(deps: DispatcherDeps) {
    this.#d = deps;
  }

  /** Runs started and not finished. */
  get inflight(): number {
    return this.#startedAt.size;
  }

  /**
   * Looks for due runs at the next turn of the event loop (or, while runs are going, a few ms
   * later): the wakes in between (writes, ends of runs) make one pass, which claims for all of
   * them at once; a pass already going looks again when it ends.
   */
  wake(): void {
    if (this.#closed) {
      this.#settle();
      return;
    }
    if (this.#passing) {
      this.#again = true;
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    const pass = () => {
      this.#scheduled = false;
      this.#passing = true;
      void this.#pass().finally(() => {
        this.#passing = false;
        if (this.#again) this.wake();
        else this.#settle();
      });
    };
    // While runs are going, wait a moment: more of them end and more events come, and one
    // claim takes them all (each claim is a transaction).
    if (this.#startedAt.size > 0) setTimeout(pass, BATCH_MS);
    else setImmediate(pass);
  }

  async #pass(): Promise<void> {
    do {
      this.#again = false;
      const { concurrency } = this.#d;
      let room = concurrency - this.#startedAt.size;
      if (this.#d.busy?.()) {
        const since = performance.now() - ACTIVE_MS;
        let active = 0;
        for (const s of this.#startedAt) if (s.at > since) active++;
        room = Math.min(room, Math.max(1, Math.ceil(concurrency / 16)) - active);
      }
      if (room <= 0 || this.#closed) return;
      const { store, owner, leaseMs } = this.#d;
      try {
        // Each app's oldest runs first, in turns: one app's backlog never delays another's.
        const now = this.#d.now();
        const apps = await store.dueApps(now, Math.max(room, 16));
        if (apps.length === 0) {
          // Nothing held back: the next burst's runs wait their full deferral again.
          this.#holdingSince = undefined;
          return;
        }
        if (this.#holdBack()) return;
        const share = shareSlots(
          apps.map((a) => a.app_id),
          room,
          perAppCap(concurrency),
          this.#byApp,
        );
        for (const [app, n] of share) {
          if (this.#closed) return;
          const claimed = await store.claimRuns(now, owner, n, leaseMs, app);
          for (const c of claimed) this.#start(c);
          // That app may have more: look again while there is room.
          if (claimed.length === n) this.#again = true;
        }
      } catch (err) {
        this.#d.log.error({ err }, "automation dispatcher could not claim runs");
        return;
      }
    } while (this.#again);
  }

  /**
   * True while due runs should wait for Node to calm down: it is busy with requests and has
   * been for less than `deferMs` since runs were first held back; looks again soon.
   */
  #holdBack(): boolean {
    if (!this.#d.busy?.()) {
      this.#holdingSince = undefined;
      return false;
    }
    const t = performance.now();
    this.#holdingSince ??= t;
    const left = this.#holdingSince + (this.#d.deferMs ?? 10_000) - t;
    if (left <= 0) return false;
    this.#recheck ??= setTimeout(
      () => {
        this.#recheck = undefined;
        this.wake();
      },
      Math.min(left, RECHECK_MS),
    );
    return true;
  }

  #start(c: ClaimedRun): void {
    const app = c.run.app_id;
    const started = { at: performance.now() };
    this.#startedAt.add(started);
    this.#byApp.set(app, (this.#byApp.get(app) ?? 0) + 1);
    void this.#run(c)
      .catch((err: unknown) => this.#d.log.error({ err, run: c.run.id }, "automation run failed"))
      .finally(() => {
        this.#startedAt.delete(started);
        const left = (this.#byApp.get(app) ?? 1) - 1;
        if (left === 0) this.#byApp.delete(app);
        else this.#byApp.set(app, left);
        this.wake();
      });
  }

  async #run(c: ClaimedRun): Promise<void> {
    const { run, automation } = c;
    let attempt: Attempt | undefined;
    let result: RunResult;
    if (!automation.is_active && run.trigger !== "manual") {
      result = {
        status: "skipped",
        finished_at: this.#d.now(),
        duration_ms: null,
        http_status: null,
        request_id: null,
        error: "Not run: the automation is disabled",
      };
    } else {
      attempt = await this.#d.attempt(c);
      const now = this.#d.now();
      const ok = attempt.error === null;
      const delay = this.#d.retryDelaysMs[run.attempts - 1];
      const retry = !ok && attempt.retryable && delay !== undefined;
      result = {
        status: ok ? "succeeded" : retry ? "queued" : "failed",
        ...(retry ? { next_attempt_at: now + delay } : {}),
        finished_at: now,
        duration_ms: attempt.durationMs,
        http_status: attempt.status,
        request_id: attempt.requestId,
        error: attempt.error,
      };
    }
    await new Promise<void>((resolve) => {
      this.#ends.push({ c, attempt, result, resolve });
      if (this.#ends.length === 1) setImmediate(() => void this.#record());
    });
  }

  /** Records the attempts that ended in this turn of the event loop, in one transaction. */
  async #record(): Promise<void> {
    const ends = this.#ends.splice(0);
    let kept: boolean[] = [];
    try {
      kept = await this.#d.store.finishRuns(
        ends.map((e) => ({ run: e.c.run, owner: this.#d.owner, result: e.result })),
      );
    } catch (err) {
      this.#d.log.error({ err }, "automation dispatcher could not record runs");
    }
    ends.forEach((e, i) => {
      if (kept[i]) this.#d.onAttempt?.(e.c, e.attempt, e.result);
      e.resolve();
    });
  }

  #settle(): void {
    if (this.#startedAt.size > 0 || this.#passing || this.#scheduled || this.#recheck) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }

  /**
   * Resolves once no run is running here and none is due (it looks again first), for tests
   * and shutdown. Runs due later (retries) do not count.
   */
  idle(): Promise<void> {
    const p = new Promise<void>((resolve) => this.#idle.push(resolve));
    this.wake();
    return p;
  }

  /** Takes no more runs (those running go on). */
  stop(): void {
    this.#closed = true;
    this.#clearRecheck();
  }

  #clearRecheck(): void {
    clearTimeout(this.#recheck);
    this.#recheck = undefined;
  }

  /** Takes no more runs; resolves when the running ones have finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearRecheck();
    if (this.#startedAt.size > 0 || this.#passing || this.#scheduled) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }
}
