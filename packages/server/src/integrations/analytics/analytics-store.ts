import type Database from "better-sqlite3";

/** One analytics event as kept. */
export interface AnalyticsEvent {
  /** When the server received it (ISO 8601). */
  received_date: string;
  event_name: string;
  /** The client's own timestamp, as sent. */
  timestamp: string | null;
  /** The verified caller's user id (never the id a body claims); null for anonymous callers. */
  user_id: string | null;
  session_id: string | null;
  page_url: string | null;
  properties: unknown;
}

/** A query of an app's events. */
export interface AnalyticsQuery {
  appId: string;
  eventName?: string;
  userId?: string;
  /** Received at or after, ms since 1970. */
  since?: number;
  /** Received before, ms since 1970. */
  until?: number;
  limit: number;
  order: "asc" | "desc";
}

interface Row {
  ts: number;
  event_name: string;
  timestamp: string | null;
  user_id: string | null;
  session_id: string | null;
  page_url: string | null;
  properties: string | null;
}

const PRUNE_CHUNK = 2_000;

/**
 * Where analytics events are kept: `integrations.db` on one node ({@link AnalyticsStore}), the
 * PostgreSQL store on several (`store/postgres/analytics-store.ts`).
 */
export interface AnalyticsEvents {
  /** Keeps `events` of `appId`, received at `ts`, all or none. */
  insert(appId: string, ts: number, events: Omit<AnalyticsEvent, "received_date">[]): Promise<void>;
  /** Events matching `q`, by time of receipt. */
  query(q: AnalyticsQuery): Promise<AnalyticsEvent[]>;
  /** Counts of an app's events by name since `since` (ms), most first. */
  counts(appId: string, since: number): Promise<{ event_name: string; count: number }[]>;
  /** Removes events received before `before`, then each app's oldest past `maxPerApp`. */
  prune(before: number, maxPerApp: number): Promise<number>;
}

/**
 * Analytics events per app in `integrations.db` (`analytics_events`): written in one
 * transaction per batch, read by app, name, user and time, pruned by age and by count per app
 * in chunks.
 *
 * @example
 * const store = new AnalyticsStore(db);
 * store.insert("app1", Date.now(), [{ event_name: "signup", ... }]);
 */
export class AnalyticsStore implements AnalyticsEvents {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO analytics_events (app_id, ts, event_name, timestamp, user_id, session_id, page_url, properties)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Keeps `events` of `appId`, received at `ts`, all or none. */
  async insert(
    appId: string,
    ts: number,
    events: Omit<AnalyticsEvent, "received_date">[],
  ): Promise<void> {
    this.#db.transaction(() => {
      for (const e of events) {
        this.#insert.run(
          appId,
          ts,
          e.event_name,
          e.timestamp,
          e.user_id,
          e.session_id,
          e.page_url,
          e.properties === undefined ? null : JSON.stringify(e.properties),
        );
      }
    })();
  }

  /** Events matching `q`, by time of receipt. */
  async query(q: AnalyticsQuery): Promise<AnalyticsEvent[]> {
    const where = ["app_id = ?"];
    const args: (string | number)[] = [q.appId];
    if (q.eventName !== undefined) {
      where.push("event_name = ?");
      args.push(q.eventName);
    }
    if (q.userId !== undefined) {
      where.push("user_id = ?");
      args.push(q.userId);
    }
    if (q.since !== undefined) {
      where.push("ts >= ?");
      args.push(q.since);
    }
    if (q.until !== undefined) {
      where.push("ts < ?");
      args.push(q.until);
    }
    const dir = q.order === "asc" ? "ASC" : "DESC";
    const rows = this.#db
      .prepare(
        `SELECT ts, event_name, timestamp, user_id, session_id, page_url, properties FROM analytics_events
         WHERE ${where.join(" AND ")} ORDER BY ts ${dir}, id ${dir} LIMIT ?`,
      )
      .all(...args, q.limit) as Row[];
    return rows.map((r) => ({
      received_date: new Date(r.ts).toISOString(),
      event_name: r.event_name,
      timestamp: r.timestamp,
      user_id: r.user_id,
      session_id: r.session_id,
      page_url: r.page_url,
      properties: r.properties === null ? null : JSON.parse(r.properties),
    }));
  }

  /** Counts of an app's events by name since `since` (ms). */
  async counts(appId: string, since: number): Promise<{ event_name: string; count: number }[]> {
    return this.#db
      .prepare(
        `SELECT event_name, COUNT(*) AS count FROM analytics_events WHERE app_id = ? AND ts >= ?
         GROUP BY event_name ORDER BY count DESC, event_name`,
      )
      .all(appId, since) as { event_name: string; count: number }[];
  }

  /**
   * Removes events received before `before` (ms), then each app's oldest past `maxPerApp`, in
   * chunks of 2,000 rows; answers how many went.
   */
  async prune(before: number, maxPerApp: number): Promise<number> {
    let removed = 0;
    const old = this.#db.prepare(
      `DELETE FROM analytics_events WHERE id IN (SELECT id FROM analytics_events WHERE ts < ? LIMIT ${PRUNE_CHUNK})`,
    );
    for (let n = old.run(before).changes; n > 0; n = old.run(before).changes) removed += n;
    const over = this.#db
      .prepare("SELECT app_id, COUNT(*) AS n FROM analytics_events GROUP BY app_id HAVING n > ?")
      .all(maxPerApp) as { app_id: string; n: number }[];
    const oldest = this.#db.prepare(
      `DELETE FROM analytics_events WHERE id IN
       (SELECT id FROM analytics_events WHERE app_id = ? ORDER BY id LIMIT ?)`,
    );
    for (const { app_id, n } of over) {
      for (let excess = n - maxPerApp; excess > 0; ) {
        const done = oldest.run(app_id, Math.min(excess, PRUNE_CHUNK)).changes;
        removed += done;
        excess -= done;
        if (done === 0) break;
      }
    }
    return removed;
  }
}
