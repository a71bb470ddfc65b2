import { type Kysely, sql } from "kysely";
import type {
  AnalyticsEvent,
  AnalyticsEvents,
} from "../../integrations/analytics/analytics-store.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;

const PRUNE_CHUNK = 2_000;

/**
 * Analytics events in the PostgreSQL store (the same table and meaning as `integrations.db`'s),
 * so a summary read on any node counts every node's events.
 *
 * @example
 * const analytics = pgAnalytics(store.connection.db);
 */
export function pgAnalytics(db: Db): AnalyticsEvents {
  return {
    async insert(appId, ts, events) {
      if (events.length === 0) return;
      await sql`INSERT INTO analytics_events (app_id, ts, event_name, timestamp, user_id, session_id, page_url, properties)
        VALUES ${sql.join(
          events.map(
            (e) =>
              sql`(${appId}, ${ts}, ${e.event_name}, ${e.timestamp}, ${e.user_id}, ${e.session_id},
                ${e.page_url}, ${e.properties === undefined ? null : JSON.stringify(e.properties)})`,
          ),
        )}`.execute(db);
    },
    async query(q) {
      const where = [sql`app_id = ${q.appId}`];
      if (q.eventName !== undefined) where.push(sql`event_name = ${q.eventName}`);
      if (q.userId !== undefined) where.push(sql`user_id = ${q.userId}`);
      if (q.since !== undefined) where.push(sql`ts >= ${q.since}`);
      if (q.until !== undefined) where.push(sql`ts < ${q.until}`);
      const dir = sql.raw(q.order === "asc" ? "ASC" : "DESC");
      const { rows } = await sql<
        Record<string, unknown>
      >`SELECT ts, event_name, timestamp, user_id, session_id, page_url, properties
        FROM analytics_events WHERE ${sql.join(where, sql` AND `)} ORDER BY ts ${dir}, id ${dir} LIMIT ${q.limit}`.execute(
        db,
      );
      return rows.map(
        (r): AnalyticsEvent => ({
          received_date: new Date(Number(r.ts)).toISOString(),
          event_name: r.event_name as string,
          timestamp: r.timestamp as string | null,
          user_id: r.user_id as string | null,
          session_id: r.session_id as string | null,
          page_url: r.page_url as string | null,
          properties: r.properties === null ? null : JSON.parse(r.properties as string),
        }),
      );
    },
    async counts(appId, since) {
      const { rows } = await sql<{
        event_name: string;
        count: number;
      }>`SELECT event_name, COUNT(*) AS count
        FROM analytics_events WHERE app_id = ${appId} AND ts >= ${since}
        GROUP BY event_name ORDER BY count DESC, event_name COLLATE "C"`.execute(db);
      return rows.map((r) => ({ event_name: r.event_name, count: Number(r.count) }));
    },
    async prune(before, maxPerApp) {
      let removed = 0;
      for (;;) {
        const r = await sql`DELETE FROM analytics_events WHERE id IN (
            SELECT id FROM analytics_events WHERE ts < ${before} LIMIT ${PRUNE_CHUNK})`.execute(db);
        const n = Number(r.numAffectedRows ?? 0);
        removed += n;
        if (n === 0) break;
      }
      const { rows: over } = await sql<{ app_id: string; n: number }>`SELECT app_id, COUNT(*) AS n
        FROM analytics_events GROUP BY app_id HAVING COUNT(*) > ${maxPerApp}`.execute(db);
      for (const { app_id, n } of over) {
        for (let excess = Number(n) - maxPerApp; excess > 0; ) {
          const r = await sql`DELETE FROM analytics_events WHERE id IN (
              SELECT id FROM analytics_events WHERE app_id = ${app_id} ORDER BY id
              LIMIT ${Math.min(excess, PRUNE_CHUNK)})`.execute(db);
          const done = Number(r.numAffectedRows ?? 0);
          removed += done;
          excess -= done;
          if (done === 0) break;
        }
      }
      return removed;
    },
  };
}
