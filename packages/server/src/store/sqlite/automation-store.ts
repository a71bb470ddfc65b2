import type Database from "better-sqlite3";
import type {
  AutomationPatch,
  AutomationStore,
  AutomationWrite,
  RunRow,
  TickPlan,
} from "../automation-types.js";
import { type AutomationDbRow, toAutomation } from "./automation-rows.js";
import { type RunDbRow, type RunMethods, runMethods, runParams, toRun } from "./automation-runs.js";

/**
 * The SQLite implementation of {@link AutomationStore}, over the same database as the core
 * store (so an entity write and its events share one transaction). SQLite has one writer at a
 * time, so each claim is a transaction that re-checks what its caller read; the same checks
 * (`next_run_at = expected`, the unique tick, the run's status and lease) make the claims safe
 * on a database with many writers.
 *
 * @example
 * const automations = openAutomationStore(db);
 * const entities = openEntityStore(db, automations.onRecordChanges);
 */
export function openAutomationStore(
  db: Database.Database,
): AutomationStore & Pick<RunMethods, "onRecordChanges"> {
  const q = {
    list: db.prepare<[string], AutomationDbRow>(
      "SELECT * FROM automations WHERE app_id = ? ORDER BY function_name, position, name",
    ),
    listFn: db.prepare<[string, string], AutomationDbRow>(
      "SELECT * FROM automations WHERE app_id = ? AND function_name = ? ORDER BY position, name",
    ),
    get: db.prepare<[string, string], AutomationDbRow>(
      "SELECT * FROM automations WHERE app_id = ? AND id = ?",
    ),
    byId: db.prepare<[string], AutomationDbRow>("SELECT * FROM automations WHERE id = ?"),
    insert: db.prepare(
      `INSERT INTO automations (id, app_id, function_name, name, position, source, definition, kind,
         is_active, entity_name, event_types, owner_id, next_run_at, run_count, schedule_anchor,
         created_date, updated_date)
       VALUES (@id, @app_id, @function_name, @name, @position, @source, @definition, @kind,
         @is_active, @entity_name, @event_types, @owner_id, @next_run_at, @run_count, @anchor, @now, @now)`,
    ),
    update: db.prepare(
      `UPDATE automations SET position = @position, source = @source, definition = @definition,
         kind = @kind, is_active = @is_active, entity_name = @entity_name,
         event_types = @event_types, updated_date = @now
       WHERE id = @id`,
    ),
    setSchedule: db.prepare(
      `UPDATE automations SET next_run_at = @next_run_at, schedule_anchor = @anchor,
         run_count = @run_count WHERE id = @id`,
    ),
    setOwner: db.prepare("UPDATE automations SET owner_id = ? WHERE id = ?"),
    remove: db.prepare("DELETE FROM automations WHERE app_id = ? AND id = ?"),
    removeFn: db.prepare("DELETE FROM automations WHERE app_id = ? AND function_name = ?"),
    maxPosition: db.prepare<[string, string], { p: number | null }>(
      "SELECT MAX(position) AS p FROM automations WHERE app_id = ? AND function_name = ?",
    ),
    due: db.prepare<[number, number], AutomationDbRow>(
      `SELECT * FROM automations WHERE is_active = 1 AND next_run_at IS NOT NULL
       AND next_run_at <= ? ORDER BY next_run_at LIMIT ?`,
    ),
    advance: db.prepare(
      `UPDATE automations SET next_run_at = @next, run_count = run_count + @counted
       WHERE id = @id AND next_run_at = @expected`,
    ),
    insertTick: db.prepare(
      `INSERT INTO automation_runs
         (automation_id, app_id, trigger, scheduled_for, record_key, event, depth, status, error, next_attempt_at, created_at)
       VALUES (@automation_id, @app_id, @trigger, @scheduled_for, @record_key, @event, @depth, @status, @error, @at, @at)
       ON CONFLICT (automation_id, scheduled_for) WHERE scheduled_for IS NOT NULL DO NOTHING`,
    ),
    runBySeq: db.prepare<[number], RunDbRow>("SELECT * FROM automation_runs WHERE seq = ?"),
  };

  const columns = (item: AutomationWrite) => ({
    id: item.id,
    name: item.name,
    source: item.source,
    definition: JSON.stringify(item.definition),
    kind: item.kind,
    is_active: item.is_active ? 1 : 0,
    entity_name: item.entity_name,
    event_types: JSON.stringify(item.event_types),
  });

  const insertOne = (
    appId: string,
    fn: string,
    item: AutomationWrite,
    position: number,
    now: string,
  ) =>
    q.insert.run({
      ...columns(item),
      app_id: appId,
      function_name: fn,
      position,
      owner_id: item.owner_id ?? null,
      next_run_at: item.schedule?.next_run_at ?? null,
      anchor: item.schedule?.anchor ?? 0,
      run_count: item.schedule?.run_count ?? 0,
      now,
    });

  const sync = db.transaction(
    (appId: string, fn: string, items: AutomationWrite[], now: string): void => {
      const existing = new Map(q.listFn.all(appId, fn).map((r) => [r.name, r]));
      const keep = new Set(items.map((i) => i.name));
      for (const [name, row] of existing) if (!keep.has(name)) q.remove.run(appId, row.id);
      items.forEach((item, position) => {
        const old = existing.get(item.name);
        if (!old) {
          insertOne(appId, fn, item, position, now);
          return;
        }
        q.update.run({ ...columns(item), id: old.id, position, now });
        if (item.owner_id !== undefined) q.setOwner.run(item.owner_id, old.id);
        if (item.schedule) {
          q.setSchedule.run({
            id: old.id,
            next_run_at: item.schedule.next_run_at,
            anchor: item.schedule.anchor,
            run_count: item.schedule.run_count ?? old.run_count,
          });
        }
      });
    },
  );

  const create = db.transaction(
    (appId: string, fn: string, item: AutomationWrite, now: string): boolean => {
      if (q.listFn.all(appId, fn).some((r) => r.name === item.name)) return false;
      const position = (q.maxPosition.get(appId, fn)?.p ?? -1) + 1;
      insertOne(appId, fn, item, position, now);
      return true;
    },
  );

  const update = db.transaction(
    (appId: string, id: string, p: AutomationPatch, now: string): AutomationDbRow | undefined => {
      const row = q.get.get(appId, id);
      if (!row) return undefined;
      const sets: string[] = ["updated_date = @now"];
      const values: Record<string, unknown> = { id, now };
      if (p.definition !== undefined) {
        sets.push("definition = @definition");
        values.definition = JSON.stringify(p.definition);
      }
      if (p.is_active !== undefined) {
        sets.push("is_active = @is_active");
        values.is_active = p.is_active ? 1 : 0;
      }
      if (p.entity_name !== undefined) {
        sets.push("entity_name = @entity_name");
        values.entity_name = p.entity_name;
      }
      if (p.event_types !== undefined) {
        sets.push("event_types = @event_types");
        values.event_types = JSON.stringify(p.event_types);
      }
      if (p.owner_id !== undefined) {
        sets.push("owner_id = @owner_id");
        values.owner_id = p.owner_id;
      }
      if (p.schedule !== undefined) {
        sets.push("next_run_at = @next_run_at", "schedule_anchor = @anchor");
        values.next_run_at = p.schedule.next_run_at;
        values.anchor = p.schedule.anchor;
        if (p.schedule.run_count !== undefined) {
          sets.push("run_count = @run_count");
          values.run_count = p.schedule.run_count;
        }
      }
      db.prepare(`UPDATE automations SET ${sets.join(", ")} WHERE id = @id`).run(values);
      return q.get.get(appId, id);
    },
  );

  const claimTick = db.transaction(
    (
      id: string,
      expected: number,
      now: number,
      plan: (a: ReturnType<typeof toAutomation>) => TickPlan,
    ) => {
      const row = q.byId.get(id);
      if (row?.is_active !== 1 || row.next_run_at !== expected) return undefined;
      const p = plan(toAutomation(row));
      const counted = p.run ? 1 : 0;
      if (q.advance.run({ id, expected, next: p.next_run_at, counted }).changes === 0)
        return undefined;
      if (!p.run) return undefined;
      const r = q.insertTick.run(runParams(p.run, now));
      return r.changes === 1 ? toRun(q.runBySeq.get(Number(r.lastInsertRowid))!) : undefined;
    },
  );

  return {
    ...runMethods(db),
    async list(appId, fn) {
      return (fn === undefined ? q.list.all(appId) : q.listFn.all(appId, fn)).map(toAutomation);
    },
    async get(appId, id) {
      const row = q.get.get(appId, id);
      return row && toAutomation(row);
    },
    async syncFunction(appId, fn, items, now) {
      sync(appId, fn, items, now);
    },
    async create(appId, fn, item, now) {
      return create(appId, fn, item, now);
    },
    async update(appId, id, patch, now) {
      const row = update(appId, id, patch, now);
      return row && toAutomation(row);
    },
    async remove(appId, id) {
      return q.remove.run(appId, id).changes > 0;
    },
    async removeFunction(appId, fn) {
      q.removeFn.run(appId, fn);
    },
    async due(now, limit) {
      return q.due.all(now, limit).map(toAutomation);
    },
    async claimTick(id, expected, now, plan) {
      return claimTick(id, expected, now, plan) as RunRow | undefined;
    },
  };
}
