import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";

/** What the PostgreSQL store talks through: Kysely over a `pg` pool, and the pool itself. */
export interface PgConnection {
  /** Runs statements (Kysely's `sql` tag and builders), transactions included. */
  db: Kysely<Record<string, Record<string, unknown>>>;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * Type parsers of this store's connections: BIGINT (times in ms, counts) and NUMERIC (sums,
 * averages) as JavaScript numbers, as SQLite gives them. Per pool, so other `pg` users in the
 * process keep their defaults.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20) return (v: string) => Number(v);
    if (oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/**
 * Opens a pool on `url` (`postgres://user:pass@host:5432/db`); `max` connections at most.
 *
 * @example
 * const c = openPgConnection("postgres://postgres@127.0.0.1:5432/fnbase");
 */
export function openPgConnection(url: string, max = 10): PgConnection {
  const pool = new pg.Pool({ connectionString: url, max, types, idleTimeoutMillis: 30_000 });
  // A connection that breaks while idle in the pool must not crash the server: the pool drops it.
  pool.on("error", () => {});
  const db = new Kysely<Record<string, Record<string, unknown>>>({
    dialect: new PostgresDialect({ pool }),
  });
  return {
    db,
    pool,
    async close() {
      await db.destroy();
    },
  };
}

/** True for a `postgres://` or `postgresql://` URL. */
export const isPostgresUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s);
