/**
 * PostgreSQL for tests: the server at `FNBASE_TEST_POSTGRES` (default
 * `postgres://postgres@127.0.0.1:5432/postgres`, what `.ci/run` starts), one database of a
 * random name per test file, dropped after. When the server cannot be reached, the PostgreSQL
 * cases skip and say so once.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The maintenance database URL tests create their databases from. */
export const PG_ADMIN_URL =
  process.env.FNBASE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/postgres";

let available: Promise<boolean> | undefined;

/** True when the test PostgreSQL answers (checked once per process, within 2 s). */
export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2_000 });
    try {
      await c.connect();
      await c.query("SELECT 1");
      return true;
    } catch (err) {
      console.warn(
        `PostgreSQL cases skipped: ${PG_ADMIN_URL} cannot be reached (${(err as Error).message}); set FNBASE_TEST_POSTGRES`,
      );
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return available;
}

/** A fresh database and its URL; `drop()` removes it (closing whatever still uses it). */
export interface TestDatabase extends AsyncDisposable {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** Creates a database of a random name (`fnbase_test_<hex>`) on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `fnbase_test_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
    return dropped;
  };
  return { url: url.toString(), name, drop, [Symbol.asyncDispose]: drop };
}

/** A store the integration suites run against: its server options and what to clean up. */
export interface StoreCase {
  name: "sqlite" | "postgres";
  /** True when the store cannot be used here (PostgreSQL unreachable). */
  skip: boolean;
  /** Server options for a fresh store (`store` set), and what removes it afterwards. */
  setup(): Promise<{ store: string; cleanup(): Promise<void> }>;
}

/**
 * SQLite, and PostgreSQL when reachable: run a suite once per store with
 * `describe.each(await storeCases())`.
 */
export async function storeCases(): Promise<StoreCase[]> {
  const pgUp = await postgresAvailable();
  return [
    {
      name: "sqlite",
      skip: false,
      setup: async () => ({ store: "sqlite", cleanup: async () => {} }),
    },
    {
      name: "postgres",
      skip: !pgUp,
      async setup() {
        const d = await createTestDatabase();
        return { store: d.url, cleanup: () => d.drop() };
      },
    },
  ];
}
