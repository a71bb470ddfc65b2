import Database from "better-sqlite3";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  postgresAvailable,
  type TestDatabase,
} from "../../../test/postgres.js";
import { pgCreateTableSql } from "../../store/postgres/entity-tables.js";
import { flat, SAMPLE_RECORDS } from "./cases.fixture.js";
import { parseFilter } from "./parse.js";
import { compilePgWhere } from "./postgres.js";
import { compilePgAfter, compilePgOrderBy } from "./postgres-order.js";
import { pgCompiler } from "./postgres-runtime.js";
import { parseSort, sortValues } from "./sort.js";
import { compileWhere } from "./sqlite.js";
import { compileAfter, compileOrderBy } from "./sqlite-order.js";
import { registerSqliteFunctions, sqliteCompiler } from "./sqlite-runtime.js";
import type { SortKey, TableShape } from "./types.js";

/**
 * One suite, both stores' order and keyset compilers: the same pages must come back from
 * SQLite and from PostgreSQL (when one is reachable).
 */

const shape: TableShape = {
  columns: {
    id: "id",
    created_date: "created_date",
    updated_date: "updated_date",
    created_by: "created_by",
    created_by_id: "created_by_id",
  },
  dataColumn: "data",
  kindOf: () => "unknown",
};

type After = { values: unknown[]; id: string };
type Page = (keys: SortKey[], limit: number, after?: After, filter?: object) => Promise<string[]>;

const rowsOf = SAMPLE_RECORDS.map((r) => [
  r.id,
  r.created_date,
  r.updated_date,
  r.created_by,
  r.created_by_id,
  JSON.stringify(r.data),
]);

function sqlitePage(): { page: Page; close(): Promise<void> } {
  const db = new Database(":memory:");
  registerSqliteFunctions(db);
  db.exec(
    "CREATE TABLE rec (id TEXT PRIMARY KEY, created_date TEXT, updated_date TEXT, created_by TEXT, created_by_id TEXT, data TEXT NOT NULL)",
  );
  const insert = db.prepare("INSERT INTO rec VALUES (?, ?, ?, ?, ?, ?)");
  for (const r of rowsOf) insert.run(...r);
  const k = sqliteCompiler();
  return {
    async page(keys, limit, after, filter = {}) {
      let q = k
        .selectFrom(sql.table("rec").as("rec"))
        .select(sql<string>`id`.as("id"))
        .where(compileWhere(parseFilter(filter), shape));
      if (after !== undefined)
        q = q.where(compileAfter(keys, after as { values: never[]; id: string }, shape));
      for (const term of compileOrderBy(keys, shape)) q = q.orderBy(term);
      const c = q.limit(limit).compile();
      return (db.prepare(c.sql).all(...c.parameters) as { id: string }[]).map((r) => r.id);
    },
    async close() {
      db.close();
    },
  };
}

async function postgresPage(): Promise<{ page: Page; close(): Promise<void> }> {
  const database: TestDatabase = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`CREATE TABLE rec (id TEXT COLLATE "C" PRIMARY KEY, created_date TEXT COLLATE "C",
    updated_date TEXT COLLATE "C", created_by TEXT COLLATE "C", created_by_id TEXT COLLATE "C", data JSON NOT NULL)`);
  for (const r of rowsOf) await client.query("INSERT INTO rec VALUES ($1, $2, $3, $4, $5, $6)", r);
  const k = pgCompiler();
  return {
    async page(keys, limit, after, filter = {}) {
      let q = k
        .selectFrom(sql.table("rec").as("rec"))
        .select(sql<string>`id`.as("id"))
        .where(compilePgWhere(parseFilter(filter), shape));
      if (after !== undefined)
        q = q.where(compilePgAfter(keys, after as { values: never[]; id: string }, shape));
      for (const term of compilePgOrderBy(keys, shape)) q = q.orderBy(term);
      const c = q.limit(limit).compile();
      return (await client.query(c.sql, c.parameters as unknown[])).rows.map((r) => r.id);
    },
    async close() {
      await client.end();
      await database.drop();
    },
  };
}

const byId = new Map(SAMPLE_RECORDS.map((r) => [r.id, flat(r)]));
const pgEnabled = await postgresAvailable();

describe.each([
  { store: "sqlite", open: async () => sqlitePage(), skip: false },
  { store: "postgres", open: postgresPage, skip: !pgEnabled },
])("order and keyset pages on $store", ({ open, skip }) => {
  let page: Page;
  let close: () => Promise<void> = async () => {};
  beforeAll(async () => {
    if (skip) return;
    ({ page, close } = await open());
  });
  afterAll(() => close());
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }

  describe("compileOrderBy()", async () => {
    it("sorts by -created_date, then id", async () => {
      expect(await page(parseSort(undefined), 3)).toEqual(["r30", "r29", "r28"]);
    });

    it("puts null and missing first ascending, numbers and booleans together, strings after", async () => {
      const nulls = SAMPLE_RECORDS.map((r) => r.id).filter(
        (x) => !["r09", "r10", "r11", "r12", "r13", "r14", "r15", "r16"].includes(x),
      );
      expect(await page(parseSort("n"), 100)).toEqual([
        ...nulls,
        "r13",
        "r14",
        "r09",
        "r16",
        "r12",
        "r10",
        "r11",
        "r15",
      ]);
    });

    it("puts null and missing last descending, ties by id ascending", async () => {
      const got = await page(parseSort("-n"), 100);
      expect(got.slice(0, 8)).toEqual(["r15", "r11", "r10", "r12", "r09", "r16", "r14", "r13"]);
      expect(got.slice(8)).toEqual([...got.slice(8)].sort());
    });
  });

  describe("compileAfter() pages through the same order as one query", async () => {
    const sorts = [
      "-created_date",
      "created_date",
      "-updated_date,n",
      "n",
      "-n",
      "name",
      "-name",
      "created_by,-n",
      "-created_by,status",
      "-tags",
      "meta,-address.city",
      "status,-active,mixed",
      "id",
      "-id",
    ];
    it.each(sorts)("sort=%s", async (raw) => {
      const keys = parseSort(raw);
      for (const size of [1, 4, 7]) {
        const whole = await page(keys, 1000);
        const paged: string[] = [];
        let after: { values: unknown[]; id: string } | undefined;
        for (let i = 0; i < 40; i++) {
          const ids = await page(keys, size, after);
          paged.push(...ids);
          if (ids.length < size) break;
          const last = byId.get(ids[ids.length - 1]!)!;
          after = { values: sortValues(last, keys), id: last.id as string };
        }
        expect(paged).toEqual(whole);
        expect(whole).toHaveLength(30);
      }
    });

    it("combines with a filter", async () => {
      const keys = parseSort("-n");
      const first = await page(keys, 2, undefined, { n: { $exists: true } });
      expect(first).toEqual(["r15", "r11"]);
      const last = byId.get("r11")!;
      expect(
        await page(
          keys,
          3,
          { values: sortValues(last, keys), id: "r11" },
          { n: { $exists: true } },
        ),
      ).toEqual(["r10", "r12", "r09"]);
    });
  });
});

describe("compileOrderBy() on SQLite", () => {
  const k = sqliteCompiler();
  it("ends with id and does not repeat it", () => {
    const text = k.selectFrom(sql.table("rec").as("rec")).select(sql`id`.as("id"));
    const withId = compileOrderBy(parseSort("-id,name"), shape)
      .reduce((q, t) => q.orderBy(t), text)
      .compile().sql;
    expect(withId).toMatch(/order by "id" DESC$/);
    const plain = compileOrderBy(parseSort("name"), shape)
      .reduce((q, t) => q.orderBy(t), text)
      .compile().sql;
    expect(plain).toMatch(/order by json_extract\("data", '\$\.name'\) ASC, "id" ASC$/);
  });
});

describe.skipIf(!pgEnabled)("the built-in dates' order on PostgreSQL", () => {
  let database: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(pgCreateTableSql("rec"));
    await client.query(`INSERT INTO rec SELECT 'r' || lpad(i::text, 6, '0'),
      '2026-01-01T00:00:' || lpad((i / 50)::text, 2, '0') || '.000Z',
      '2026-01-02T00:' || lpad((i / 60)::text, 2, '0') || ':00.000Z',
      NULL, NULL, '{}' FROM generate_series(1, 3000) i`);
    await client.query("ANALYZE rec");
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  const plan = async (raw: string, after?: After) => {
    const keys = parseSort(raw);
    let q = pgCompiler().selectFrom(sql.table("rec").as("rec")).select(sql<string>`id`.as("id"));
    if (after) q = q.where(compilePgAfter(keys, after as { values: never[]; id: string }, shape));
    for (const term of compilePgOrderBy(keys, shape)) q = q.orderBy(term);
    const c = q.limit(50).compile();
    const rows = (await client.query(`EXPLAIN ${c.sql}`, c.parameters as unknown[])).rows;
    return rows.map((r: { "QUERY PLAN": string }) => r["QUERY PLAN"]).join("\n");
  };

  // A page sorted by a date used to sort the whole table (NULLS LAST/FIRST matched no index).
  it.each(["-created_date", "created_date", "-updated_date"])(
    "sort=%s walks the index instead of sorting the table",
    async (raw) => {
      const text = await plan(raw);
      expect(text).toMatch(/Index (Only )?Scan/);
      expect(text).not.toMatch(/(^|[^l]) Sort {2}|->\s+Sort\b|^Sort\b/m);
    },
  );

  it("a cursor page after a date seeks to it in the index", async () => {
    const text = await plan("-created_date", {
      values: ["2026-01-01T00:00:30.000Z"],
      id: "r001500",
    });
    expect(text).toMatch(/Index Cond: \(created_date <= /);
  });
});
