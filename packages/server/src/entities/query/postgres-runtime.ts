import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from "kysely";

/**
 * A Kysely instance that compiles PostgreSQL queries without a connection (for tests and for
 * index DDL); the store runs statements on its pool.
 *
 * @example
 * const { sql: text, parameters } = pgCompiler().selectFrom(...).compile();
 */
export function pgCompiler<DB = Record<string, Record<string, unknown>>>(): Kysely<DB> {
  return new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
}
