import type Database from "better-sqlite3";
import { dueAppsSql } from "../automation-queue.js";
import { type EntityTrigger, TriggerCache } from "../automation-triggers.js";
import type {
  AutomationRow,
  AutomationStore,
  ClaimedRun,
  DueApp,
  EntityEventPolicy,
  NewRun,
  RunResult,
  RunRow,
} from "../automation-types.js";
import { WAITING } from "../automation-types.js";
import { changeType, type EntityRef, type RecordChange } from "../entity-types.js";
import { type AutomationDbRow, toAutomation } from "./automation-rows.js";

/** The run half of the SQLite automation store: the queue, the outbox and the history. */
export type RunMethods = {
  /** The listener the entity store calls inside each write's transaction. */
  readonly onRecordChanges: (ref: EntityRef, changes: RecordChange[]) => void;
} & Pick<
  AutomationStore,
  | "enqueue"
  | "dueApps"
  | "claimRuns"
  | "finishRuns"
  | "releaseLeases"
  | "nextWakeup"
  | "listRuns"
  | "getRun"
  | "lastRuns"
  | "pruneRuns"
  | "setEventPolicy"
>;

const INSERT_RUN = `INSERT INTO automation_runs
  (automation_id, app_id, trigger, scheduled_for, record_key, event, depth, status, error, next_attempt_at, created_at)
  VALUES (@automation_id, @app_id, @trigger, @scheduled_for, @record_key, @event, @depth, @status, @error, @next, @at)`;

/** A run as SQLite returns it (its id is its seq). */
export type RunDbRow = Omit<RunRow, "id">;
/** A stored run as the store's callers see it. */
export const toRun = (r: RunDbRow): RunRow => ({ ...r, id: String(r.seq) });

/** The parameters of {@link INSERT_RUN} for a run. */
export const runParams = (
  r: NewRun,
  at: number,
  extra: { record_key?: string; event?: string; next?: number } = {},
) => ({
  next: extra.next ?? at,
  automation_id: r.automation_id,
  app_id: r.app_id,
  trigger: r.trigger,
  scheduled_for: r.scheduled_for ?? null,
  record_key: extra.record_key ?? null,
  event: extra.event ?? null,
  depth: r.depth,
  status: r.status ?? "queued",
  error: r.error ?? null,
  at,
});

/** A run kept as `skipped` instead of queued: `depth` is past `maxDepth` (a loop). */
export const skippedRun = (
  automationId: string,
  appId: string,
  depth: number,
  maxDepth: number,
): NewRun => ({
  automation_id: automationId,
  app_id: appId,
  trigger: "entity",
  depth,
  status: "skipped",
  error: `Not run: ${depth - 1} automation runs in a row led to this event (the limit is ${maxDepth}); a loop?`,
});

/** The default policy: no server has set one (a store used on its own). */
export const defaultEventPolicy = (): EntityEventPolicy => ({
  now: () => Date.now(),
  maxDepth: 5,
  event: (ref, c) => {
    const r = (c.after ?? c.before)!;
    const type = changeType(c);
    return {
      type,
      recordId: r.id,
      json: JSON.stringify({ event: { type, entity_name: ref.entity, entity_id: r.id } }),
    };
  },
  queued: () => {},
});

/**
 * Runs on SQLite. Entity events are written by {@link RunMethods.onRecordChanges}, which the
 * entity store calls inside each write's transaction: one read of `automation_version` (the
 * entity's active automations are read again only when it moved, see {@link TriggerCache}),
 * then one row per change and automation that listens to its type, which finds in the same
 * statement whether an earlier run of its record is still open.
 */
export function runMethods(db: Database.Database): RunMethods {
  let policy = defaultEventPolicy();
  const triggers = new TriggerCache();
  const q = {
    insertRun: db.prepare(INSERT_RUN),
    getRunBySeq: db.prepare<[number], RunDbRow>("SELECT * FROM automation_runs WHERE seq = ?"),
    getRun: db.prepare<[string, number], RunDbRow>(
      "SELECT * FROM automation_runs WHERE app_id = ? AND seq = ?",
    ),
    triggers: db.prepare<[string, string], { id: string; event_types: string }>(
      `SELECT id, event_types FROM automations
       WHERE app_id = ? AND entity_name = ? AND kind = 'entity' AND is_active = 1`,
    ),
    // Runs waiting for an earlier one of their record are never due (WAITING).
    due: db.prepare<{ now: number; limit: number }, { seq: number; automation_id: string }>(
      `SELECT seq, automation_id FROM automation_runs
       WHERE status IN ('queued', 'running') AND next_attempt_at <= @now
       ORDER BY next_attempt_at, seq LIMIT @limit`,
    ),
    dueOfApp: db.prepare<
      { now: number; limit: number; app: string },
      { seq: number; automation_id: string }
    >(
      `SELECT seq, automation_id FROM automation_runs
       WHERE app_id = @app AND status IN ('queued', 'running') AND next_attempt_at <= @now
       ORDER BY next_attempt_at, seq LIMIT @limit`,
    ),
    dueApps: db.prepare<{ now: number; limit: number }, DueApp>(dueAppsSql((name) => `@${name}`)),
    version: db.prepare<[], number>("SELECT n FROM automation_version").pluck(),
    insertEvent: db.prepare<
      [string, string, string, string, number, string, string, number, number]
    >(
      `INSERT INTO automation_runs
         (automation_id, app_id, trigger, record_key, event, depth, status, next_attempt_at, created_at)
       VALUES (?, ?, 'entity', ?, ?, ?, 'queued',
         CASE WHEN EXISTS (SELECT 1 FROM automation_runs WHERE automation_id = ? AND record_key = ?
           AND status IN ('queued', 'running')) THEN ${WAITING} ELSE ? END, ?)`,
    ),
    openOfRecord: db.prepare<[string, string], { seq: number }>(
      `SELECT seq FROM automation_runs WHERE automation_id = ? AND record_key = ?
       AND status IN ('queued', 'running') ORDER BY seq LIMIT 1`,
    ),
    release: db.prepare(
      `UPDATE automation_runs SET next_attempt_at = @now WHERE seq = @seq AND next_attempt_at = ${WAITING}`,
    ),
    automation: db.prepare<[string], AutomationDbRow>("SELECT * FROM automations WHERE id = ?"),
    lease: db.prepare<Record<string, unknown>, RunDbRow>(
      `UPDATE automation_runs SET status = 'running', lease_owner = @owner,
         next_attempt_at = @until, attempts = attempts + 1, started_at = @now
       WHERE seq = @seq AND (status = 'queued' OR (status = 'running' AND next_attempt_at <= @now))
       RETURNING *`,
    ),
    finish: db.prepare(
      `UPDATE automation_runs SET status = @status, lease_owner = NULL,
         next_attempt_at = @next_attempt_at, finished_at = @finished_at, duration_ms = @duration_ms,
         http_status = @http_status, request_id = @request_id, error = @error
       WHERE seq = @seq AND status = 'running' AND lease_owner = @owner`,
    ),
    releaseAll: db.prepare(
      "UPDATE automation_runs SET status = 'queued', lease_owner = NULL, next_attempt_at = 0 WHERE status = 'running'",
    ),
    nextWakeup: db.prepare<[], { t: number | null }>(
      "SELECT MIN(next_attempt_at) AS t FROM automation_runs WHERE status IN ('queued', 'running')",
    ),
    last: db.prepare<[string], RunDbRow>(
      `SELECT r.* FROM automation_runs r
       JOIN (SELECT automation_id, MAX(seq) AS seq FROM automation_runs
             WHERE app_id = ? AND status IN ('succeeded', 'failed', 'skipped')
             GROUP BY automation_id) m ON m.seq = r.seq`,
    ),
    counts: db.prepare<[], { automation_id: string; n: number }>(
      `SELECT automation_id, COUNT(*) AS n FROM automation_runs
       WHERE status IN ('succeeded', 'failed', 'skipped') GROUP BY automation_id`,
    ),
    prune: db.prepare<[string, string, number]>(
      `DELETE FROM automation_runs WHERE automation_id = ? AND status IN ('succeeded', 'failed', 'skipped')
       AND seq < (SELECT seq FROM automation_runs WHERE automation_id = ?
                  AND status IN ('succeeded', 'failed', 'skipped') ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    ),
  };

  const claim = db.transaction(
    (
      now: number,
      owner: string,
      limit: number,
      leaseMs: (c: ClaimedRun) => number,
      app: string | undefined,
    ) => {
      const out: ClaimedRun[] = [];
      const automations = new Map<string, AutomationRow>();
      const due =
        app === undefined ? q.due.all({ now, limit }) : q.dueOfApp.all({ now, limit, app });
      for (const d of due) {
        let automation = automations.get(d.automation_id);
        if (!automation) {
          automation = toAutomation(q.automation.get(d.automation_id)!);
          automations.set(automation.id, automation);
        }
        // The lease is decided on the run as it was found; how long it lasts, on its automation.
        const until = now + leaseMs({ run: { seq: d.seq } as RunRow, automation });
        const row = q.lease.get({ owner, until, now, seq: d.seq });
        if (row) out.push({ run: toRun(row), automation });
      }
      return out;
    },
  );

  const finish = db.transaction((ends: { run: RunRow; owner: string; result: RunResult }[]) =>
    ends.map(({ run, owner, result: r }) => {
      const kept =
        q.finish.run({
          seq: run.seq,
          owner,
          status: r.status,
          next_attempt_at: r.next_attempt_at ?? r.finished_at,
          finished_at: r.finished_at,
          duration_ms: r.duration_ms === null ? null : Math.round(r.duration_ms),
          http_status: r.http_status,
          request_id: r.request_id,
          error: r.error,
        }).changes === 1;
      // Ended for good: the next run of the same record may start.
      if (kept && r.status !== "queued" && run.record_key !== null) {
        const next = q.openOfRecord.get(run.automation_id, run.record_key);
        if (next) q.release.run({ seq: next.seq, now: r.finished_at });
      }
      return kept;
    }),
  );

  /** The entity's active automations, as of this transaction (see {@link TriggerCache}). */
  const triggersOf = (ref: EntityRef): EntityTrigger[] => {
    const version = q.version.get()!;
    return (
      triggers.get(version, ref) ??
      triggers.put(version, ref, q.triggers.all(ref.appId, ref.entity))
    );
  };

  let wake = false;
  const queued = () => {
    wake = false;
    policy.queued();
  };

  const onRecordChanges = (ref: EntityRef, changes: RecordChange[]): void => {
    if (changes.length === 0) return;
    const listens = triggersOf(ref);
    if (listens.length === 0) return;
    const depth = (ref.origin?.depth ?? 0) + 1;
    const skipped = depth > policy.maxDepth;
    const at = policy.now();
    let any = false;
    for (const change of changes) {
      const type = changeType(change);
      if (!listens.some((t) => t.types.has(type))) continue;
      const e = policy.event(ref, change);
      const key = `${ref.entity}\0${e.recordId}`;
      for (const t of listens) {
        if (!t.types.has(type)) continue;
        if (skipped) {
          q.insertRun.run(
            runParams(skippedRun(t.id, ref.appId, depth, policy.maxDepth), at, {
              record_key: key,
              event: e.json,
            }),
          );
          continue;
        }
        // Waits (no start time) behind an earlier open run of its record: in order per record.
        q.insertEvent.run(t.id, ref.appId, key, e.json, depth, t.id, key, at, at);
        any = true;
      }
    }
    // Once, after the transaction commits (it is synchronous, so a macrotask runs after it).
    if (any && !wake) {
      wake = true;
      setImmediate(queued);
    }
  };

  return {
    onRecordChanges,
    setEventPolicy(p) {
      policy = p;
    },
    async enqueue(run, now) {
      const r = q.insertRun.run(runParams(run, now));
      return toRun(q.getRunBySeq.get(Number(r.lastInsertRowid))!);
    },
    async dueApps(now, limit) {
      return q.dueApps.all({ now, limit });
    },
    async claimRuns(now, owner, limit, leaseMs, appId) {
      return claim(now, owner, limit, leaseMs, appId);
    },
    async finishRuns(ends) {
      return finish(ends);
    },
    async releaseLeases() {
      return q.releaseAll.run().changes;
    },
    async nextWakeup() {
      return q.nextWakeup.get()?.t ?? undefined;
    },
    async listRuns(appId, rq) {
      // Through each automation's history index (runs have no index of their own by app).
      const where = ["automation_id IN (SELECT id FROM automations WHERE app_id = @appId)"];
      if (rq.automationId !== undefined) where.push("automation_id = @automationId");
      if (rq.status !== undefined) where.push("status = @status");
      if (rq.beforeSeq !== undefined) where.push("seq < @beforeSeq");
      return db
        .prepare<Record<string, unknown>, RunDbRow>(
          `SELECT * FROM automation_runs WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT @limit`,
        )
        .all({ appId, ...rq })
        .map(toRun);
    },
    async getRun(appId, id) {
      if (!/^\d{1,15}$/.test(id)) return undefined;
      const row = q.getRun.get(appId, Number(id));
      return row && toRun(row);
    },
    async lastRuns(appId) {
      return new Map(q.last.all(appId).map((r) => [r.automation_id, toRun(r)]));
    },
    async pruneRuns(keep) {
      let n = 0;
      for (const { automation_id, n: count } of q.counts.all()) {
        if (count > keep) n += q.prune.run(automation_id, automation_id, keep - 1).changes;
      }
      return n;
    },
  };
}
