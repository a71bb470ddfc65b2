import { CompiledQuery, type Kysely, type RawBuilder, sql } from "kysely";
import { dueAppsSql } from "../automation-queue.js";
import { type EntityTrigger, TriggerCache } from "../automation-triggers.js";
import type {
  AutomationRow,
  AutomationStore,
  ClaimedRun,
  EntityEventPolicy,
  NewRun,
  RunRow,
} from "../automation-types.js";
import { WAITING } from "../automation-types.js";
import { changeType, type EntityRef, type RecordChange } from "../entity-types.js";
import { type AutomationDbRow, toAutomation } from "../sqlite/automation-rows.js";
import { defaultEventPolicy, type RunDbRow, skippedRun, toRun } from "../sqlite/automation-runs.js";
import type { PgRecordChangeListener } from "./entity-store.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;

/** The run half of the PostgreSQL automation store. */
export type PgRunMethods = {
  /** The entity store's listener: queues entity events inside the write's transaction. */
  readonly onRecordChangesIn: PgRecordChangeListener;
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

/** An automation row as `pg` gives it: booleans are booleans. */
export const pgToAutomation = (r: Record<string, unknown>): AutomationRow =>
  toAutomation({ ...r, is_active: r.is_active ? 1 : 0 } as unknown as AutomationDbRow);

/** The INSERT of one run, `next` its first `next_attempt_at`. */
export function insertRun(
  r: NewRun,
  at: number,
  extra: { record_key?: string; event?: string; next?: number } = {},
  onConflict: RawBuilder<unknown> = sql``,
): RawBuilder<unknown> {
  return sql`INSERT INTO automation_runs
    (automation_id, app_id, trigger, scheduled_for, record_key, event, depth, status, error, next_attempt_at, created_at)
    VALUES (${r.automation_id}, ${r.app_id}, ${r.trigger}, ${r.scheduled_for ?? null},
      ${extra.record_key ?? null}, ${extra.event ?? null}, ${r.depth}, ${r.status ?? "queued"},
      ${r.error ?? null}, ${extra.next ?? at}, ${at})${onConflict} RETURNING *`;
}

/**
 * A run's `record_key` as stored: PostgreSQL text cannot hold the NUL that separates entity
 * and record id in the store's interface, so it is stored as U+001F and read back as NUL.
 */
const storedKey = (key: string) => key.replace("\0", "\u001f");
/** A run row as the store's callers see it. */
export const pgToRun = (r: Record<string, unknown>) =>
  toRun({
    ...(r as unknown as RunDbRow),
    record_key: r.record_key === null ? null : (r.record_key as string).replace("\u001f", "\0"),
  });

/** Serialises the runs of one record and automation across nodes (see `onRecordChangesIn`). */
const lockRecord = (tx: Db, automationId: string, recordKey: string) =>
  sql`SELECT pg_advisory_xact_lock(hashtext(${automationId}), hashtext(${recordKey}))`.execute(tx);

/**
 * Runs on PostgreSQL, with the SQLite store's meaning (`sqlite/automation-runs.ts`) for several
 * nodes at once: a run is claimed with `FOR UPDATE SKIP LOCKED` (each run goes to one node's
 * dispatcher, and dispatchers never wait for each other), and the runs of one record and
 * automation are queued and released under an advisory lock of that pair, so a run queued while
 * another node ends the one before it is never left waiting.
 */
export function pgRunMethods(db: Db): PgRunMethods {
  let policy = defaultEventPolicy();
  const triggers = new TriggerCache();
  const rows = async (q: RawBuilder<unknown>, on: Db = db) =>
    (await q.execute(on)).rows as Record<string, unknown>[];
  const openOfRecord = async (tx: Db, automationId: string, recordKey: string) =>
    (
      await rows(
        sql`SELECT seq FROM automation_runs WHERE automation_id = ${automationId} AND record_key = ${recordKey}
          AND status IN ('queued', 'running') ORDER BY seq LIMIT 1`,
        tx,
      )
    )[0];

  /**
   * The entity's active automations, as this transaction sees them (see {@link TriggerCache}):
   * one read of `automation_version` when a list is kept, else one read of the counter and the
   * list together (one snapshot).
   */
  const triggersOf = async (tx: Db, ref: EntityRef): Promise<EntityTrigger[]> => {
    const kept = triggers.version === undefined ? undefined : triggers.get(triggers.version, ref);
    if (kept) {
      const [row] = await rows(sql`SELECT n FROM automation_version`, tx);
      if (Number(row!.n) === triggers.version) return kept;
    }
    const found = await rows(
      sql`SELECT v.n, a.id, a.event_types FROM automation_version v
        LEFT JOIN automations a ON a.app_id = ${ref.appId} AND a.entity_name = ${ref.entity}
          AND a.kind = 'entity' AND a.is_active`,
      tx,
    );
    return triggers.put(
      Number(found[0]!.n),
      ref,
      found
        .filter((r) => r.id !== null)
        .map((r) => ({ id: r.id as string, event_types: r.event_types as string })),
    );
  };

  const onRecordChangesIn: PgRecordChangeListener = async (
    tx: Db,
    ref: EntityRef,
    changes: RecordChange[],
  ) => {
    if (changes.length === 0) return undefined;
    const listens = await triggersOf(tx, ref);
    if (listens.length === 0) return undefined;
    const depth = (ref.origin?.depth ?? 0) + 1;
    const skipped = depth > policy.maxDepth;
    const at = policy.now();
    let queued = false;
    for (const change of changes) {
      const type = changeType(change);
      if (!listens.some((t) => t.types.has(type))) continue;
      const e = policy.event(ref, change);
      const key = `${ref.entity}\u001f${e.recordId}`;
      for (const t of listens) {
        if (!t.types.has(type)) continue;
        if (skipped) {
          await insertRun(skippedRun(t.id, ref.appId, depth, policy.maxDepth), at, {
            record_key: key,
            event: e.json,
          }).execute(tx);
          continue;
        }
        await lockRecord(tx, t.id, key);
        // Waits (no start time) behind an earlier open run of its record: in order per record.
        await sql`INSERT INTO automation_runs
            (automation_id, app_id, trigger, record_key, event, depth, status, next_attempt_at, created_at)
          VALUES (${t.id}, ${ref.appId}, 'entity', ${key}, ${e.json}, ${depth}, 'queued',
            CASE WHEN EXISTS (SELECT 1 FROM automation_runs WHERE automation_id = ${t.id}
              AND record_key = ${key} AND status IN ('queued', 'running'))
            THEN ${sql.lit(WAITING)} ELSE ${at}::bigint END, ${at})`.execute(tx);
        queued = true;
      }
    }
    return queued ? policy.queued : undefined;
  };

  return {
    onRecordChangesIn,
    setEventPolicy(p: EntityEventPolicy) {
      policy = p;
    },
    async enqueue(run, now) {
      return pgToRun((await rows(insertRun(run, now)))[0]!);
    },
    async dueApps(now, limit) {
      const found = await db.executeQuery<{ app_id: string; due: string | number }>(
        CompiledQuery.raw(
          dueAppsSql((name) => (name === "now" ? "$1" : "$2")),
          [now, limit],
        ),
      );
      return found.rows.map((r) => ({ app_id: r.app_id, due: Number(r.due) }));
    },
    async claimRuns(now, owner, limit, leaseMs, appId) {
      const ofApp = appId === undefined ? sql`` : sql`app_id = ${appId} AND `;
      return await db.transaction().execute(async (tx) => {
        const due = await rows(
          sql`SELECT seq, automation_id FROM automation_runs
            WHERE ${ofApp}status IN ('queued', 'running') AND next_attempt_at <= ${now}
            ORDER BY next_attempt_at, seq LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
          tx,
        );
        const out: ClaimedRun[] = [];
        const automations = new Map<string, AutomationRow>();
        for (const d of due) {
          const id = d.automation_id as string;
          let automation = automations.get(id);
          if (!automation) {
            const [a] = await rows(sql`SELECT * FROM automations WHERE id = ${id}`, tx);
            if (!a) continue;
            automation = pgToAutomation(a);
            automations.set(id, automation);
          }
          const until = now + leaseMs({ run: { seq: d.seq } as RunRow, automation });
          const [row] = await rows(
            sql`UPDATE automation_runs SET status = 'running', lease_owner = ${owner},
              next_attempt_at = ${until}, attempts = attempts + 1, started_at = ${now}
              WHERE seq = ${d.seq as number} RETURNING *`,
            tx,
          );
          if (row) out.push({ run: pgToRun(row), automation });
        }
        return out;
      });
    },
    async finishRuns(ends) {
      return await db.transaction().execute(async (tx) => {
        const kept: boolean[] = [];
        for (const { run, owner, result: r } of ends) {
          if (run.record_key !== null && r.status !== "queued") {
            await lockRecord(tx, run.automation_id, storedKey(run.record_key));
          }
          const res = await sql`UPDATE automation_runs SET status = ${r.status}, lease_owner = NULL,
              next_attempt_at = ${r.next_attempt_at ?? r.finished_at}, finished_at = ${r.finished_at},
              duration_ms = ${r.duration_ms === null ? null : Math.round(r.duration_ms)},
              http_status = ${r.http_status}, request_id = ${r.request_id}, error = ${r.error}
            WHERE seq = ${run.seq} AND status = 'running' AND lease_owner = ${owner}`.execute(tx);
          const ok = Number(res.numAffectedRows ?? 0) === 1;
          if (ok && r.status !== "queued" && run.record_key !== null) {
            const next = await openOfRecord(tx, run.automation_id, storedKey(run.record_key));
            if (next) {
              await sql`UPDATE automation_runs SET next_attempt_at = ${r.finished_at}
                WHERE seq = ${next.seq as number} AND next_attempt_at = ${WAITING}`.execute(tx);
            }
          }
          kept.push(ok);
        }
        return kept;
      });
    },
    async releaseLeases() {
      // Several nodes share the queue: a run another node holds is not this node's to take
      // back. The runs of a node that died are claimed again when their leases lapse.
      return 0;
    },
    async nextWakeup() {
      const [row] = await rows(
        sql`SELECT MIN(next_attempt_at) AS t FROM automation_runs WHERE status IN ('queued', 'running')`,
      );
      return (row?.t as number | null) ?? undefined;
    },
    async listRuns(appId, q) {
      const where = [sql`automation_id IN (SELECT id FROM automations WHERE app_id = ${appId})`];
      if (q.automationId !== undefined) where.push(sql`automation_id = ${q.automationId}`);
      if (q.status !== undefined) where.push(sql`status = ${q.status}`);
      if (q.beforeSeq !== undefined) where.push(sql`seq < ${q.beforeSeq}`);
      return (
        await rows(
          sql`SELECT * FROM automation_runs WHERE ${sql.join(where, sql` AND `)} ORDER BY seq DESC LIMIT ${q.limit}`,
        )
      ).map((r) => pgToRun(r));
    },
    async getRun(appId, id) {
      if (!/^\d{1,15}$/.test(id)) return undefined;
      const [row] = await rows(
        sql`SELECT * FROM automation_runs WHERE app_id = ${appId} AND seq = ${Number(id)}`,
      );
      return row && pgToRun(row);
    },
    async lastRuns(appId) {
      const list = await rows(
        sql`SELECT DISTINCT ON (automation_id) * FROM automation_runs
          WHERE app_id = ${appId} AND status IN ('succeeded', 'failed', 'skipped')
          ORDER BY automation_id, seq DESC`,
      );
      return new Map(list.map((r) => [r.automation_id as string, pgToRun(r)]));
    },
    async pruneRuns(keep) {
      const res = await sql`DELETE FROM automation_runs r USING (
          SELECT seq FROM (
            SELECT seq, row_number() OVER (PARTITION BY automation_id ORDER BY seq DESC) AS n
            FROM automation_runs WHERE status IN ('succeeded', 'failed', 'skipped')
          ) ranked WHERE n > ${keep}
        ) old WHERE r.seq = old.seq`.execute(db);
      return Number(res.numAffectedRows ?? 0);
    },
  };
}
