import { type Kysely, type RawBuilder, sql } from "kysely";
import type {
  AutomationPatch,
  AutomationRow,
  AutomationStore,
  AutomationWrite,
} from "../automation-types.js";
import {
  insertRun,
  type PgRunMethods,
  pgRunMethods,
  pgToAutomation,
  pgToRun,
} from "./automation-runs.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;

/**
 * The PostgreSQL implementation of {@link AutomationStore}, in the same database as the entity
 * store (an entity write and its events share one transaction). A tick is claimed under a row
 * lock of its automation (`SELECT ... FOR UPDATE`) with the compare-and-set on `next_run_at`
 * and the unique `(automation_id, scheduled_for)`, so schedulers on several nodes queue each
 * tick once: the second one waits for the lock, then finds `next_run_at` moved and does nothing.
 *
 * @example
 * const automations = openPgAutomationStore(db);
 */
export function openPgAutomationStore(
  db: Db,
): AutomationStore & Pick<PgRunMethods, "onRecordChangesIn"> {
  const rows = async (q: RawBuilder<unknown>, on: Db = db) =>
    (await q.execute(on)).rows as Record<string, unknown>[];
  const list = async (appId: string, fn: string | undefined, on: Db = db) =>
    (
      await rows(
        fn === undefined
          ? sql`SELECT * FROM automations WHERE app_id = ${appId} ORDER BY function_name COLLATE "C", position, name COLLATE "C"`
          : sql`SELECT * FROM automations WHERE app_id = ${appId} AND function_name = ${fn} ORDER BY position, name COLLATE "C"`,
        on,
      )
    ).map(pgToAutomation);
  const get = async (appId: string, id: string, on: Db = db) => {
    const [row] = await rows(
      sql`SELECT * FROM automations WHERE app_id = ${appId} AND id = ${id}`,
      on,
    );
    return row && pgToAutomation(row);
  };

  const insertOne = (
    tx: Db,
    appId: string,
    fn: string,
    item: AutomationWrite,
    position: number,
    now: string,
  ) =>
    sql`INSERT INTO automations (id, app_id, function_name, name, position, source, definition, kind,
        is_active, entity_name, event_types, owner_id, next_run_at, run_count, schedule_anchor,
        created_date, updated_date)
      VALUES (${item.id}, ${appId}, ${fn}, ${item.name}, ${position}, ${item.source},
        ${JSON.stringify(item.definition)}, ${item.kind}, ${item.is_active}, ${item.entity_name},
        ${JSON.stringify(item.event_types)}, ${item.owner_id ?? null}, ${item.schedule?.next_run_at ?? null},
        ${item.schedule?.run_count ?? 0}, ${item.schedule?.anchor ?? 0}, ${now}, ${now})`.execute(
      tx,
    );
  /** Serialises changes to one function's automations across nodes. */
  const lockFunction = (tx: Db, appId: string, fn: string) =>
    sql`SELECT pg_advisory_xact_lock(hashtext(${`automations:${appId}`}), hashtext(${fn}))`.execute(
      tx,
    );

  return {
    ...pgRunMethods(db),
    list: (appId, fn) => list(appId, fn),
    get: (appId, id) => get(appId, id),
    async syncFunction(appId, fn, items, now) {
      await db.transaction().execute(async (tx) => {
        await lockFunction(tx, appId, fn);
        const existing = new Map((await list(appId, fn, tx)).map((r) => [r.name, r]));
        const keep = new Set(items.map((i) => i.name));
        for (const [name, row] of existing) {
          if (!keep.has(name)) await sql`DELETE FROM automations WHERE id = ${row.id}`.execute(tx);
        }
        for (const [position, item] of items.entries()) {
          const old = existing.get(item.name);
          if (!old) {
            await insertOne(tx, appId, fn, item, position, now);
            continue;
          }
          await sql`UPDATE automations SET position = ${position}, source = ${item.source},
              definition = ${JSON.stringify(item.definition)}, kind = ${item.kind},
              is_active = ${item.is_active}, entity_name = ${item.entity_name},
              event_types = ${JSON.stringify(item.event_types)}, updated_date = ${now}
            WHERE id = ${old.id}`.execute(tx);
          if (item.owner_id !== undefined) {
            await sql`UPDATE automations SET owner_id = ${item.owner_id} WHERE id = ${old.id}`.execute(
              tx,
            );
          }
          if (item.schedule) {
            await sql`UPDATE automations SET next_run_at = ${item.schedule.next_run_at},
                schedule_anchor = ${item.schedule.anchor},
                run_count = ${item.schedule.run_count ?? old.run_count}
              WHERE id = ${old.id}`.execute(tx);
          }
        }
      });
    },
    async create(appId, fn, item, now) {
      return await db.transaction().execute(async (tx) => {
        await lockFunction(tx, appId, fn);
        const existing = await list(appId, fn, tx);
        if (existing.some((r) => r.name === item.name)) return false;
        const position = Math.max(-1, ...existing.map((r) => r.position)) + 1;
        await insertOne(tx, appId, fn, item, position, now);
        return true;
      });
    },
    async update(appId, id, p: AutomationPatch, now) {
      const sets = [sql`updated_date = ${now}`];
      if (p.definition !== undefined) sets.push(sql`definition = ${JSON.stringify(p.definition)}`);
      if (p.is_active !== undefined) sets.push(sql`is_active = ${p.is_active}`);
      if (p.entity_name !== undefined) sets.push(sql`entity_name = ${p.entity_name}`);
      if (p.event_types !== undefined)
        sets.push(sql`event_types = ${JSON.stringify(p.event_types)}`);
      if (p.owner_id !== undefined) sets.push(sql`owner_id = ${p.owner_id}`);
      if (p.schedule !== undefined) {
        sets.push(
          sql`next_run_at = ${p.schedule.next_run_at}`,
          sql`schedule_anchor = ${p.schedule.anchor}`,
        );
        if (p.schedule.run_count !== undefined) sets.push(sql`run_count = ${p.schedule.run_count}`);
      }
      const [row] = await rows(
        sql`UPDATE automations SET ${sql.join(sets)} WHERE app_id = ${appId} AND id = ${id} RETURNING *`,
      );
      return row && pgToAutomation(row);
    },
    async remove(appId, id) {
      const r = await sql`DELETE FROM automations WHERE app_id = ${appId} AND id = ${id}`.execute(
        db,
      );
      return Number(r.numAffectedRows ?? 0) > 0;
    },
    async removeFunction(appId, fn) {
      await sql`DELETE FROM automations WHERE app_id = ${appId} AND function_name = ${fn}`.execute(
        db,
      );
    },
    async due(now, limit) {
      return (
        await rows(
          sql`SELECT * FROM automations WHERE is_active AND next_run_at IS NOT NULL
            AND next_run_at <= ${now} ORDER BY next_run_at LIMIT ${limit}`,
        )
      ).map(pgToAutomation);
    },
    async claimTick(id, expected, now, plan) {
      return await db.transaction().execute(async (tx) => {
        const [row] = await rows(sql`SELECT * FROM automations WHERE id = ${id} FOR UPDATE`, tx);
        if (!row?.is_active || row.next_run_at !== expected) return undefined;
        const p = plan(pgToAutomation(row) as AutomationRow);
        await sql`UPDATE automations SET next_run_at = ${p.next_run_at},
            run_count = run_count + ${p.run ? 1 : 0} WHERE id = ${id}`.execute(tx);
        if (!p.run) return undefined;
        const [run] = await rows(
          insertRun(
            p.run,
            now,
            {},
            sql` ON CONFLICT (automation_id, scheduled_for) WHERE scheduled_for IS NOT NULL DO NOTHING`,
          ),
          tx,
        );
        return run && pgToRun(run);
      });
    },
  };
}
