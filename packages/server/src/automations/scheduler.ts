import type { AutomationRow, AutomationStore, RunRow, TickPlan } from "../store/index.js";
import type { ScheduledAutomation } from "./definition.js";
import { compileSchedule } from "./schedule.js";

/** Automations one scheduler pass looks at, at most (the rest wait for the next pass). */
const PASS_LIMIT = 500;

/**
 * What becomes of a due automation at `now`: the latest tick at or before `now` runs (one
 * catch-up run however many ticks were missed while no scheduler ran), unless
 * `ends_after_count` runs have been made; the next tick is the first after `now`, or none when
 * the schedule has ended.
 *
 * @example
 * planTick(automation, Date.now()); // { next_run_at: 1796119200000, run: { trigger: "schedule", ... } }
 */
export function planTick(a: AutomationRow, now: number): TickPlan {
  const def = a.definition as unknown as ScheduledAutomation;
  let next: number | undefined;
  let tick: number | undefined;
  try {
    // Checked when it was defined; the cadence floor is not applied again to what runs.
    const s = compileSchedule(def, { minIntervalMs: 0, anchor: a.schedule_anchor, now });
    tick = s.last(now);
    next = s.next(now);
  } catch {
    return { next_run_at: null };
  }
  const limit =
    def.schedule_mode === "recurring" && def.ends_type === "after"
      ? (def.ends_after_count ?? undefined)
      : undefined;
  const due =
    tick !== undefined &&
    a.next_run_at !== null &&
    tick >= a.next_run_at &&
    (limit === undefined || a.run_count < limit);
  const made = a.run_count + (due ? 1 : 0);
  return {
    next_run_at: next === undefined || (limit !== undefined && made >= limit) ? null : next,
    ...(due
      ? {
          run: {
            automation_id: a.id,
            app_id: a.app_id,
            trigger: "schedule" as const,
            scheduled_for: tick!,
            depth: 1,
          },
        }
      : {}),
  };
}

/**
 * Turns due ticks into queued runs. A pass reads the automations that are due, then claims
 * each one's tick in its own transaction that re-checks `next_run_at` (see
 * `AutomationStore.claimTick`), so any number of schedulers on one store, in one process or
 * many, queue each tick once: the loser of a race finds `next_run_at` moved, and the tick's
 * run is unique in the store besides.
 *
 * @example
 * const scheduler = new Scheduler(store.automations, () => Date.now());
 * const queued = await scheduler.pass();
 */
export class Scheduler {
  readonly #store: AutomationStore;
  readonly #now: () => number;

  constructor(store: AutomationStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** One pass: the runs this scheduler queued. */
  async pass(): Promise<RunRow[]> {
    const now = this.#now();
    const queued: RunRow[] = [];
    for (const a of await this.#store.due(now, PASS_LIMIT)) {
      if (a.next_run_at === null) continue;
      const run = await this.#store.claimTick(a.id, a.next_run_at, now, (current) =>
        planTick(current, now),
      );
      if (run) queued.push(run);
    }
    return queued;
  }
}
