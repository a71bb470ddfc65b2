/**
 * What a SQLite connection and the query builder need to run compiled filters: the
 * `fnbase_regexp` function, and a Kysely instance that only compiles (no connection).
 */

import type BetterSqlite3 from "better-sqlite3";
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import { compileRegex } from "./regex.js";

/**
 * Defines `fnbase_regexp(pattern, flags, value)` on a connection: 1 when `value` is a string
 * the pattern matches, else 0 (never NULL). Deterministic; compiled patterns come from the
 * shared LRU cache of `regex.ts` (patterns reach SQL only after `parseFilter` checked them).
 *
 * @example
 * const db = new Database(file);
 * registerSqliteFunctions(db);
 */
export function registerSqliteFunctions(db: BetterSqlite3.Database): void {
  db.function(
    "fnbase_regexp",
    { deterministic: true, varargs: false },
    (pattern: unknown, flags: unknown, value: unknown) => {
      if (typeof value !== "string" || typeof pattern !== "string" || typeof flags !== "string") {
        return 0;
      }
      return compileRegex(pattern, flags).test(value) ? 1 : 0;
    },
  );
}

/**
 * A Kysely instance that compiles SQLite queries without a connection: build with it, call
 * `.compile()`, then run `{ sql, parameters }` with better-sqlite3.
 *
 * @example
 * const k = sqliteCompiler();
 * const { sql: text, parameters } = k.selectFrom(sql.table("task").as("t")).select("id")
 *   .where(compileWhere(filter, shape)).compile();
 * db.prepare(text).all(...parameters);
 */
export function sqliteCompiler<DB = Record<string, Record<string, unknown>>>(): Kysely<DB> {
  return new Kysely<DB>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
}
