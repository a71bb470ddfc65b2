import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { FunctionOutputLine } from "../../config.js";
import { LEVELS, levelRank } from "../../logs/levels.js";
import type { LogQuery, LogRecord, LogRetention, LogStore } from "../log-types.js";
import { LOG_MIGRATIONS } from "./log-migrations.js";

interface LogRow {
  ts: number;
  lvl: number;
  message: string;
  app_id: string;
  function: string;
  deployment_id: string;
  instance_id: string;
  request_id: string | null;
  source: string;
}

/** Rows deleted per statement while pruning, so one prune step stays short. */
const PRUNE_CHUNK = 2_000;
/** What a line costs besides its message, for size retention. */
const ROW_OVERHEAD = 96;
/** Size pruning cuts an app down to this share of its limit, so it does not run every time. */
const PRUNE_TO = 0.9;

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

const toRecord = (r: LogRow): LogRecord => ({
  time: new Date(r.ts).toISOString(),
  level: LEVELS[r.lvl] ?? "info",
  message: r.message,
  app_id: r.app_id,
  function: r.function,
  deployment_id: r.deployment_id,
  instance_id: r.instance_id,
  request_id: r.request_id,
  source: r.source === "platform" ? "platform" : "function",
});

/**
 * The log store as its own SQLite file (WAL, `synchronous = OFF`). Logs are kept apart from
 * `fnbase.db` on purpose: a flood of log writes and the large deletes of pruning then never
 * share a write lock, a WAL or a checkpoint with deploys and users, losing the last moment of
 * logs in a power cut is acceptable where losing a deploy is not, and the file can be moved,
 * backed up or deleted on its own.
 *
 * @example
 * const logs = openSqliteLogStore("/var/lib/fnbase/logs.db");
 * await logs.query({ appId: "a1", functions: ["hello"], limit: 100, order: "desc" });
 */
export function openSqliteLogStore(file: string): LogStore {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  db.pragma("busy_timeout = 5000");
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < LOG_MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(LOG_MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }

  const insert = db.prepare(
    `INSERT INTO logs (ts, lvl, app_id, function, deployment_id, instance_id, request_id, source, message, bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const deleteOld = db.prepare<[number], { app_id: string; bytes: number }>(
    `DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE ts < ? ORDER BY ts LIMIT ${PRUNE_CHUNK})
     RETURNING app_id, bytes`,
  );
  const newestFirst = db.prepare<[string], { id: number; bytes: number }>(
    "SELECT id, bytes FROM logs WHERE app_id = ? ORDER BY id DESC",
  );
  const deleteUpTo = db.prepare<[string, number], { bytes: number }>(
    `DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE app_id = ? AND id <= ? ORDER BY id LIMIT ${PRUNE_CHUNK})
     RETURNING bytes`,
  );

  /** Bytes per app, kept in memory so size retention needs no full scan. */
  const usage = new Map<string, number>();
  for (const r of db
    .prepare<[], { app_id: string; total: number }>(
      "SELECT app_id, SUM(bytes) AS total FROM logs GROUP BY app_id",
    )
    .all()) {
    usage.set(r.app_id, r.total);
  }
  const addUsage = (app: string, n: number) => usage.set(app, (usage.get(app) ?? 0) + n);

  const appendAll = db.transaction((lines: readonly FunctionOutputLine[]) => {
    for (const l of lines) {
      const bytes = Buffer.byteLength(l.message) + ROW_OVERHEAD;
      const ts = Date.parse(l.time);
      insert.run(
        Number.isNaN(ts) ? Date.now() : ts,
        levelRank(l.level),
        l.app_id,
        l.function,
        l.deployment_id,
        l.instance_id,
        l.request_id ?? null,
        l.source,
        l.message,
        bytes,
      );
      addUsage(l.app_id, bytes);
    }
  });

  /** The newest id that no longer fits the app's budget, or undefined when all fit. */
  const sizeCutoff = (appId: string, budget: number): number | undefined => {
    let sum = 0;
    for (const r of newestFirst.iterate(appId)) {
      sum += r.bytes;
      if (sum > budget) return r.id;
    }
    return undefined;
  };

  return {
    async append(lines) {
      if (lines.length > 0) appendAll(lines);
    },
    async query(q: LogQuery) {
      const where = ["app_id = ?"];
      const args: (string | number)[] = [q.appId];
      if (q.functions && q.functions.length > 0) {
        where.push(`function IN (${q.functions.map(() => "?").join(", ")})`);
        args.push(...q.functions);
      }
      if (q.since !== undefined) {
        where.push("ts >= ?");
        args.push(q.since);
      }
      if (q.until !== undefined) {
        where.push("ts <= ?");
        args.push(q.until);
      }
      if (q.requestId !== undefined) {
        where.push("request_id = ?");
        args.push(q.requestId);
      }
      if (q.search !== undefined && q.search !== "") {
        where.push("message LIKE ? ESCAPE '\\'");
        args.push(`%${q.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
      }
      if (q.minLevel !== undefined && levelRank(q.minLevel) > 0) {
        where.push("lvl >= ?");
        args.push(levelRank(q.minLevel));
      }
      const dir = q.order === "asc" ? "ASC" : "DESC";
      const sql = `SELECT ts, lvl, message, app_id, function, deployment_id, instance_id, request_id, source
        FROM logs WHERE ${where.join(" AND ")} ORDER BY ts ${dir}, id ${dir} LIMIT ?`;
      return db
        .prepare<(string | number)[], LogRow>(sql)
        .all(...args, q.limit)
        .map(toRecord);
    },
    async prune(r: LogRetention) {
      let removed = 0;
      for (;;) {
        const rows = deleteOld.all(r.olderThan);
        for (const row of rows) addUsage(row.app_id, -row.bytes);
        removed += rows.length;
        if (rows.length < PRUNE_CHUNK) break;
        await yieldToLoop();
      }
      for (const [appId, bytes] of [...usage]) {
        if (bytes <= 0) usage.delete(appId);
        if (bytes <= r.maxBytesPerApp) continue;
        const cutoff = sizeCutoff(appId, Math.floor(r.maxBytesPerApp * PRUNE_TO));
        if (cutoff === undefined) continue;
        for (;;) {
          const rows = deleteUpTo.all(appId, cutoff);
          for (const row of rows) addUsage(appId, -row.bytes);
          removed += rows.length;
          if (rows.length < PRUNE_CHUNK) break;
          await yieldToLoop();
        }
      }
      return removed;
    },
    appBytes: (appId) => usage.get(appId) ?? 0,
    async close() {
      db.close();
    },
  };
}
