import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/**
 * Schema migrations of `integrations.db`, in order; append only. `PRAGMA user_version` records
 * how many have run.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE files (
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    visibility TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    owner_id TEXT,
    created_date TEXT NOT NULL,
    PRIMARY KEY (app_id, id)
  );
  CREATE TABLE analytics_events (
    id INTEGER PRIMARY KEY,
    app_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    event_name TEXT NOT NULL,
    timestamp TEXT,
    user_id TEXT,
    session_id TEXT,
    page_url TEXT,
    properties TEXT
  );
  CREATE INDEX analytics_by_app ON analytics_events(app_id, ts);
  CREATE INDEX analytics_by_name ON analytics_events(app_id, event_name, ts);
  CREATE INDEX analytics_by_time ON analytics_events(ts);
  `,
];

/**
 * Opens (creating and migrating) the integrations database: uploaded files' metadata and
 * analytics events. A file of its own, like `logs.db`: analytics is a stream of small writes
 * with pruning's large deletes, which should never share a write lock with deploys and users,
 * and both can be moved or dropped without touching `fnbase.db`.
 *
 * @example
 * const db = openIntegrationsDb("/var/lib/fnbase/integrations.db");
 */
export function openIntegrationsDb(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
