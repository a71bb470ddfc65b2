import { sql } from "kysely";
import { PG_MIGRATIONS } from "./migrations/index.js";
import type { PgConnection } from "./pool.js";

/** The advisory lock key migrations hold (any 64-bit number; "fnbase" in ASCII). */
export const MIGRATION_LOCK = 0x666e62617365n;

/**
 * Runs the pending migrations in one transaction that first takes a transaction-level advisory
 * lock: when several nodes start together, one migrates and the others wait on the lock, then
 * find every version recorded and run nothing. A failed migration rolls back whole (PostgreSQL's
 * DDL is transactional), so no node ever sees half a schema. Answers the versions it ran.
 *
 * @example
 * await migratePostgres(connection); // [1, 2, 3, 4, 5] on an empty database, then []
 */
export async function migratePostgres(c: PgConnection): Promise<number[]> {
  return await c.db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK.toString())}::bigint)`.execute(
      tx,
    );
    await sql`CREATE TABLE IF NOT EXISTS fnbase_migrations (
      version INTEGER PRIMARY KEY, applied_date TEXT NOT NULL)`.execute(tx);
    const done = await sql<{ v: number | null }>`SELECT MAX(version) AS v FROM fnbase_migrations`
      .execute(tx)
      .then((r) => r.rows[0]?.v ?? 0);
    const ran: number[] = [];
    for (let v = done; v < PG_MIGRATIONS.length; v++) {
      await sql.raw(PG_MIGRATIONS[v]!).execute(tx);
      await sql`INSERT INTO fnbase_migrations (version, applied_date) VALUES (${v + 1}, ${new Date().toISOString()})`.execute(
        tx,
      );
      ran.push(v + 1);
    }
    return ran;
  });
}
