/**
 * The automations part of the store: each app's automations (what `function.jsonc` or the API
 * defined, with their schedule state) and their runs. The runs table is also the queue: a
 * scheduled tick, a manual run and each entity event is a row, written where it is decided (an
 * entity event in the same transaction as the record's write, so a crash loses none), claimed
 * by one dispatcher at a time with a lease, and kept afterwards as the run history.
 *
 * Designed for several dispatchers and schedulers on one store: a tick is claimed by inserting
 * its run under a unique `(automation_id, scheduled_for)` (PostgreSQL: `INSERT ... ON CONFLICT
 * DO NOTHING`) together with a compare-and-set of the automation's `next_run_at`; a run is
 * claimed by a conditional update of its status and lease (PostgreSQL: `SELECT ... FOR UPDATE
 * SKIP LOCKED`). Times are epoch milliseconds of the server's clock (`ServerOptions.now`).
 */

import type { EntityRef, RecordChange } from "./entity-types.js";

/** The kinds of automation. */
export type AutomationKind = "scheduled" | "entity" | "connector";

/** An automation as stored. */
export interface AutomationRow {
  /** 24 hex characters. */
  id: string;
  app_id: string;
  function_name: string;
  name: string;
  /** Its place among the function's automations (the order `function.jsonc` lists them). */
  position: number;
  /** `deploy` when a deploy's `automations` defined it, `api` when the automations API did. */
  source: "deploy" | "api";
  /** The normalised definition (see automations/definition.ts), `is_active` included. */
  definition: Record<string, unknown>;
  kind: AutomationKind;
  is_active: boolean;
  /** The app user it runs as; null runs it as the service role. */
  owner_id: string | null;
  /** Scheduled only: the next tick to run; null when none is left (or not scheduled). */
  next_run_at: number | null;
  /** Scheduled only: ticks claimed so far (what `ends_after_count` counts). */
  run_count: number;
  /** When the schedule was defined (simple schedules count their interval from it). */
  schedule_anchor: number;
  created_date: string;
  updated_date: string;
}

/** What a sync or a create writes; the store keeps the rest. */
export interface AutomationWrite {
  /** The id of a new automation (kept for an existing name). */
  id: string;
  name: string;
  source: "deploy" | "api";
  definition: Record<string, unknown>;
  kind: AutomationKind;
  is_active: boolean;
  /** Entity automations: the entity and the events that trigger them. */
  entity_name: string | null;
  event_types: string[];
  /**
   * The schedule state to write; undefined keeps the stored one (same schedule as before).
   * For a new automation it is required when scheduled. `run_count` undefined keeps the count.
   */
  schedule?: { next_run_at: number | null; anchor: number; run_count?: number };
  /** The owner for a new automation; undefined keeps an existing one's. */
  owner_id?: string | null;
}

/** The fields of an automation the API may change without a deploy. */
export interface AutomationPatch {
  definition?: Record<string, unknown>;
  is_active?: boolean;
  entity_name?: string | null;
  event_types?: string[];
  owner_id?: string | null;
  schedule?: { next_run_at: number | null; anchor: number; run_count?: number };
}

/**
 * The `next_attempt_at` of an entity run that waits for an earlier run of the same record and
 * automation: it is set to the time the earlier one ends. So the queue's scan of due runs never
 * meets a run that cannot start, however many events a busy record has queued.
 */
export const WAITING = Number.MAX_SAFE_INTEGER;

/** What started a run. */
export type RunTrigger = "schedule" | "entity" | "manual";
/** Where a run is: waiting (or waiting to be retried), held by a dispatcher, or done. */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "skipped";

/** An app with runs that may start, and when the earliest of them became due (ms). */
export interface DueApp {
  app_id: string;
  due: number;
}

/** A run: one tick, one manual start or one entity event, for one automation. */
export interface RunRow {
  /** Order of creation (the queue's order). */
  seq: number;
  /** The run's id: its `seq` as a string. */
  id: string;
  automation_id: string;
  app_id: string;
  trigger: RunTrigger;
  /** The tick a scheduled run is for. */
  scheduled_for: number | null;
  /** Entity runs: `<entity>\0<record id>`; runs of one record and automation go one at a time, in order. */
  record_key: string | null;
  /** Entity runs: the event's JSON (`{event, data, old_data[, payload_too_large]}`). */
  event: string | null;
  /** Automation runs in a chain before this one, plus one (a user's write starts at 1). */
  depth: number;
  status: RunStatus;
  /** Attempts started so far. */
  attempts: number;
  /** When a queued run may start ({@link WAITING}: after an earlier one); while running, when its lease ends. */
  next_attempt_at: number;
  lease_owner: string | null;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  http_status: number | null;
  request_id: string | null;
  error: string | null;
  created_at: number;
}

/** A run to queue. */
export interface NewRun {
  automation_id: string;
  app_id: string;
  trigger: RunTrigger;
  scheduled_for?: number | null;
  depth: number;
  /** `queued` normally; `skipped` to keep a run that must not start (with `error` saying why). */
  status?: "queued" | "skipped";
  error?: string;
}

/** How a scheduler advances one automation that is due: the run of the tick due, and what comes next. */
export interface TickPlan {
  /** The next tick after now; null when the schedule has ended. */
  next_run_at: number | null;
  /** The run of the tick due (its `scheduled_for` set); none when no tick is left to run. */
  run?: NewRun;
}

/** The end of one attempt. */
export interface RunResult {
  status: "succeeded" | "failed" | "queued" | "skipped";
  /** For `queued` (a retry): when it may start again. */
  next_attempt_at?: number;
  finished_at: number;
  duration_ms: number | null;
  http_status: number | null;
  request_id: string | null;
  error: string | null;
}

/** A claimed run with its automation. */
export interface ClaimedRun {
  run: RunRow;
  automation: AutomationRow;
}

/** How entity events become runs, inside the write's transaction. */
export interface EntityEventPolicy {
  /** The clock (epoch ms). */
  now(): number;
  /** Runs deeper than this are kept as `skipped` instead of queued (a loop). */
  maxDepth: number;
  /** The event's JSON for one change. */
  event(ref: EntityRef, change: RecordChange): { type: string; recordId: string; json: string };
  /** Told after a write queued runs (once its transaction has committed). */
  queued(): void;
}

/** A filter of the run history. */
export interface RunQuery {
  automationId?: string;
  status?: RunStatus;
  /** Newest first, at most this many. */
  limit: number;
  /** Only runs older than this `seq` (paging). */
  beforeSeq?: number;
}

/** What fnbase keeps about automations. */
export interface AutomationStore {
  list(appId: string, functionName?: string): Promise<AutomationRow[]>;
  get(appId: string, id: string): Promise<AutomationRow | undefined>;
  /**
   * Makes a function's automations exactly `items`, in that order, in one transaction:
   * existing names keep their id, owner, run history and (unless `schedule` is given) their
   * schedule state; names not listed are deleted with their runs.
   */
  syncFunction(
    appId: string,
    functionName: string,
    items: AutomationWrite[],
    now: string,
  ): Promise<void>;
  /** Adds one automation at the end of its function's list; false when the name is taken. */
  create(appId: string, functionName: string, item: AutomationWrite, now: string): Promise<boolean>;
  update(
    appId: string,
    id: string,
    patch: AutomationPatch,
    now: string,
  ): Promise<AutomationRow | undefined>;
  remove(appId: string, id: string): Promise<boolean>;
  /** Removes every automation of a function (the function was deleted). */
  removeFunction(appId: string, functionName: string): Promise<void>;

  /** Active scheduled automations whose `next_run_at` is at or before `now` (candidates). */
  due(now: number, limit: number): Promise<AutomationRow[]>;
  /**
   * Claims the due tick of one automation: in one transaction, only if its `next_run_at` is
   * still `expected` (no other scheduler moved it), `plan` decides the tick and the next one;
   * the tick's run is inserted unless one exists for it. Answers the run inserted, if any.
   */
  claimTick(
    id: string,
    expected: number,
    now: number,
    plan: (a: AutomationRow) => TickPlan,
  ): Promise<RunRow | undefined>;

  /** Queues a run (a manual start). */
  enqueue(run: NewRun, now: number): Promise<RunRow>;
  /**
   * The apps that have runs which may start at `now` (as {@link claimRuns} takes them), the
   * app whose earliest such run is oldest first, at most `limit`. Read through a per-app index
   * one app at a time, so it costs the number of apps with open runs, not their backlog.
   */
  dueApps(now: number, limit: number): Promise<DueApp[]>;
  /**
   * Claims up to `limit` runs that may start (queued and due, or running with a lapsed
   * lease; never one whose record has an earlier run still open: see {@link WAITING}), of
   * `appId` only when given, oldest first, each leased to `owner` until
   * `now + leaseMs(run, automation)`, with its attempt counted.
   */
  claimRuns(
    now: number,
    owner: string,
    limit: number,
    leaseMs: (c: ClaimedRun) => number,
    appId?: string,
  ): Promise<ClaimedRun[]>;
  /**
   * Records the ends of attempts, in one transaction; for each, false when `owner` no longer
   * holds the run's lease (another dispatcher took it: its result is not kept). A run that
   * ended for good lets the next run of its record start.
   */
  finishRuns(ends: { run: RunRow; owner: string; result: RunResult }[]): Promise<boolean[]>;
  /** Requeues every running run (their process is gone): for a single-node store at start. */
  releaseLeases(): Promise<number>;
  /** The earliest `next_attempt_at` of any open run, for the dispatcher's timer. */
  nextWakeup(): Promise<number | undefined>;
  listRuns(appId: string, q: RunQuery): Promise<RunRow[]>;
  getRun(appId: string, id: string): Promise<RunRow | undefined>;
  /** The newest finished run of each automation of an app. */
  lastRuns(appId: string): Promise<Map<string, RunRow>>;
  /** Keeps the newest `keep` finished runs of each automation; answers how many went. */
  pruneRuns(keep: number): Promise<number>;

  /**
   * Sets how entity writes queue runs (see {@link EntityEventPolicy}). Each implementation hands
   * its entity store a listener that queues them inside the write's own transaction.
   */
  setEventPolicy(policy: EntityEventPolicy): void;
}
