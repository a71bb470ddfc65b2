import { type Kysely, type RawBuilder, sql } from "kysely";
import type { FunctionOutputLine } from "../../config.js";
import { LEVELS, levelRank } from "../../logs/levels.js";
import type { LogQuery, LogRecord, LogRetention, LogStore } from "../log-types.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;

const DAY_MS = 86_400_000;
/** Rows deleted per statement while pruning, so one step stays short. */
const PRUNE_CHUNK = 2_000;
/** What a line costs besides its message, for size retention (as on SQLite). */
const ROW_OVERHEAD = 96;
/** Size pruning cuts an app down to this share of its limit. */
const PRUNE_TO = 0.9;

/** A batch of lines one node wrote: its lines are that node's rows with ids in the range. */
export interface LogBatch {
  node: string;
  firstId: number;
  lastId: number;
  apps: string[];
}

/** The PostgreSQL log store, with {@link LogStore.append} telling which rows it wrote. */
export interface PgLogStore extends LogStore {
  /** Called after each append commits, with the batch's ids (for live tails on other nodes). */
  onAppend(cb: (batch: LogBatch) => void): void;
  /** Lines of a batch another node wrote, as records, for one app. */
  readBatch(batch: LogBatch, appId: string): Promise<(LogRecord & { id: number })[]>;
}

const toRecord = (r: Record<string, unknown>): LogRecord & { id: number } => ({
  id: Number(r.id),
  time: new Date(Number(r.ts)).toISOString(),
  level: LEVELS[Number(r.lvl)] ?? "info",
  message: r.message as string,
  app_id: r.app_id as string,
  function: r.function as string,
  deployment_id: r.deployment_id as string,
  instance_id: r.instance_id as string,
  request_id: (r.request_id as string | null) ?? null,
  source: r.source === "platform" ? "platform" : "function",
});

/**
 * Function logs in PostgreSQL, for every node: one `logs` table partitioned by day
 * (`logs_p<day>`, made as lines for that day first arrive), so age retention drops whole
 * partitions instead of deleting rows; size retention per app deletes the oldest rows in
 * chunks, as on SQLite. `node` names the writer in each row.
 *
 * @example
 * const logs = openPgLogStore(db, "node-a");
 */
export function openPgLogStore(db: Db, node: string): PgLogStore {
  const days = new Set<number>();
  const listeners: ((b: LogBatch) => void)[] = [];
  const usage = new Map<string, number>();
  const rows = async (q: RawBuilder<unknown>) =>
    (await q.execute(db)).rows as Record<string, unknown>[];

  const refreshUsage = async () => {
    const list = await rows(sql`SELECT app_id, SUM(bytes) AS total FROM logs GROUP BY app_id`);
    usage.clear();
    for (const r of list) usage.set(r.app_id as string, Number(r.total));
  };
  const ready = refreshUsage();

  const ensureDay = async (day: number) => {
    if (days.has(day)) return;
    await db.transaction().execute(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('fnbase_log_partitions'))`.execute(tx);
      await sql
        .raw(
          `CREATE TABLE IF NOT EXISTS logs_p${day} PARTITION OF logs FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`,
        )
        .execute(tx);
    });
    days.add(day);
  };

  /** Partitions by day number. */
  const partitions = async () =>
    (
      await rows(
        sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'logs'::regclass`,
      )
    )
      .map((r) => /^logs_p(\d+)$/.exec(r.name as string))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));

  return {
    async append(lines: readonly FunctionOutputLine[]) {
      if (lines.length === 0) return;
      await ready;
      const values = lines.map((l) => {
        const parsed = Date.parse(l.time);
        const ts = Number.isNaN(parsed) ? Date.now() : parsed;
        return { l, ts, bytes: Buffer.byteLength(l.message) + ROW_OVERHEAD };
      });
      for (const day of new Set(values.map((v) => Math.floor(v.ts / DAY_MS)))) await ensureDay(day);
      const ids = await rows(
        sql`INSERT INTO logs (ts, lvl, app_id, function, deployment_id, instance_id, request_id, source, message, bytes, node)
          VALUES ${sql.join(
            values.map(
              ({ l, ts, bytes }) =>
                sql`(${ts}, ${levelRank(l.level)}, ${l.app_id}, ${l.function}, ${l.deployment_id},
                  ${l.instance_id}, ${l.request_id ?? null}, ${l.source}, ${l.message}, ${bytes}, ${node})`,
            ),
          )} RETURNING id`,
      );
      for (const v of values) usage.set(v.l.app_id, (usage.get(v.l.app_id) ?? 0) + v.bytes);
      const list = ids.map((r) => Number(r.id));
      const batch: LogBatch = {
        node,
        firstId: Math.min(...list),
        lastId: Math.max(...list),
        apps: [...new Set(lines.map((l) => l.app_id))],
      };
      for (const cb of listeners) cb(batch);
    },
    onAppend(cb) {
      listeners.push(cb);
    },
    async readBatch(b, appId) {
      return (
        await rows(
          sql`SELECT * FROM logs WHERE node = ${b.node} AND id BETWEEN ${b.firstId} AND ${b.lastId}
            AND app_id = ${appId} ORDER BY id`,
        )
      ).map(toRecord);
    },
    async query(q: LogQuery) {
      const where = [sql`app_id = ${q.appId}`];
      if (q.functions && q.functions.length > 0)
        where.push(sql`function IN (${sql.join(q.functions)})`);
      if (q.since !== undefined) where.push(sql`ts >= ${q.since}`);
      if (q.until !== undefined) where.push(sql`ts <= ${q.until}`);
      if (q.minLevel !== undefined && levelRank(q.minLevel) > 0)
        where.push(sql`lvl >= ${levelRank(q.minLevel)}`);
      const dir = sql.raw(q.order === "asc" ? "ASC" : "DESC");
      return (
        await rows(
          sql`SELECT * FROM logs WHERE ${sql.join(where, sql` AND `)} ORDER BY ts ${dir}, id ${dir} LIMIT ${q.limit}`,
        )
      ).map(({ id: _id, ...r }) => {
        const { id: _, ...record } = toRecord({ ...r, id: 0 });
        return record;
      });
    },
    async prune(r: LogRetention) {
      await ready;
      let removed = 0;
      // Whole days before the cut go with their partition.
      for (const day of await partitions()) {
        if ((day + 1) * DAY_MS > r.olderThan) continue;
        const [n] = await rows(sql.raw(`SELECT COUNT(*) AS n FROM logs_p${day}`));
        await sql.raw(`DROP TABLE IF EXISTS logs_p${day}`).execute(db);
        days.delete(day);
        removed += Number(n?.n ?? 0);
      }
      for (;;) {
        const res = await sql`DELETE FROM logs WHERE id IN (
            SELECT id FROM logs WHERE ts < ${r.olderThan} ORDER BY ts LIMIT ${PRUNE_CHUNK})`.execute(
          db,
        );
        const n = Number(res.numAffectedRows ?? 0);
        removed += n;
        if (n < PRUNE_CHUNK) break;
      }
      await refreshUsage();
      for (const [appId, bytes] of [...usage]) {
        if (bytes <= r.maxBytesPerApp) continue;
        const budget = Math.floor(r.maxBytesPerApp * PRUNE_TO);
        const [cut] = await rows(
          sql`SELECT id FROM (SELECT id, SUM(bytes) OVER (ORDER BY id DESC) AS total
              FROM logs WHERE app_id = ${appId}) t WHERE total > ${budget} ORDER BY id DESC LIMIT 1`,
        );
        if (!cut) continue;
        for (;;) {
          const res = await sql`DELETE FROM logs WHERE id IN (SELECT id FROM logs
              WHERE app_id = ${appId} AND id <= ${cut.id as number} ORDER BY id LIMIT ${PRUNE_CHUNK})`.execute(
            db,
          );
          const n = Number(res.numAffectedRows ?? 0);
          removed += n;
          if (n < PRUNE_CHUNK) break;
        }
      }
      await refreshUsage();
      return removed;
    },
    appBytes: (appId) => usage.get(appId) ?? 0,
    async close() {
      await ready.catch(() => {});
    },
  };
}
