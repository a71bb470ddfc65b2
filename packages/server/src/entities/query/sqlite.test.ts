import Database from "better-sqlite3";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { expectedIds, FILTER_CASES, SAMPLE_RECORDS } from "./cases.fixture.js";
import { parseFilter } from "./parse.js";
import { compileWhere } from "./sqlite.js";
import { fieldExpression } from "./sqlite-paths.js";
import { registerSqliteFunctions, sqliteCompiler } from "./sqlite-runtime.js";
import type { FieldPath, Filter, TableShape } from "./types.js";
import { isObject, MISSING, resolvePath } from "./values.js";

const COLUMNS = {
  id: "id",
  created_date: "created_date",
  updated_date: "updated_date",
  created_by: "created_by",
  created_by_id: "created_by_id",
};

function openDb(): Database.Database {
  const db = new Database(":memory:");
  registerSqliteFunctions(db);
  // `rec` holds the data as JSON text, `recb` as JSONB (how the entity store keeps records).
  for (const [table, type, value] of [
    ["rec", "TEXT", "?"],
    ["recb", "BLOB", "jsonb(?)"],
  ] as const) {
    db.exec(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, created_date TEXT, updated_date TEXT,
      created_by TEXT, created_by_id TEXT, data ${type} NOT NULL)`);
    const insert = db.prepare(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, ${value})`);
    for (const r of SAMPLE_RECORDS) {
      insert.run(
        r.id,
        r.created_date,
        r.updated_date,
        r.created_by,
        r.created_by_id,
        JSON.stringify(r.data),
      );
    }
  }
  return db;
}

/** What each path holds across the sample data: the `kindOf` answer that is true of it. */
function truthfulKind(path: FieldPath): "scalar" | "array" | "unknown" {
  const kinds = new Set<string>();
  for (const r of SAMPLE_RECORDS) {
    const v = resolvePath(r.data, path);
    if (v === MISSING || v === null) continue;
    kinds.add(Array.isArray(v) ? "array" : isObject(v) ? "object" : "scalar");
  }
  if (kinds.size === 0) return "scalar";
  if (kinds.size === 1 && !kinds.has("object")) return [...kinds][0] as "scalar" | "array";
  return "unknown";
}

const SHAPES: Record<string, TableShape> = {
  "kinds from the schema": { columns: COLUMNS, dataColumn: "data", kindOf: truthfulKind },
  "every kind unknown": { columns: COLUMNS, dataColumn: "data", kindOf: () => "unknown" },
  "qualified by table": {
    columns: COLUMNS,
    dataColumn: "data",
    table: "rec",
    kindOf: truthfulKind,
  },
  "records stored as JSONB": {
    columns: COLUMNS,
    dataColumn: "data",
    table: "recb",
    kindOf: truthfulKind,
  },
};

const db = openDb();
afterAll(() => db.close());
const k = sqliteCompiler();

function run(filter: Filter, shape: TableShape): string[] {
  const table = shape.table ?? "rec";
  const q = k
    .selectFrom(sql.table(table).as(table))
    .select(sql<string>`id`.as("id"))
    .where(compileWhere(filter, shape))
    .orderBy(sql`id`)
    .compile();
  return (db.prepare(q.sql).all(...q.parameters) as { id: string }[]).map((r) => r.id);
}

for (const [shapeName, shape] of Object.entries(SHAPES)) {
  describe(`compileWhere() over the shared table of cases, ${shapeName}`, () => {
    it.each(FILTER_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const filter = parseFilter(c.filter);
      expect(run(filter, shape)).toEqual(expectedIds(c));
      // NOT (...) must be the exact complement: the predicate is never SQL NULL.
      const complement = run({ kind: "nor", filters: [filter] }, shape);
      const expected = new Set(expectedIds(c));
      expect(complement).toEqual(SAMPLE_RECORDS.map((r) => r.id).filter((x) => !expected.has(x)));
    });
  });
}

describe("compileWhere()", () => {
  const shape = SHAPES["kinds from the schema"]!;

  it("writes JSON paths as literals and values as parameters", () => {
    const q = k
      .selectFrom(sql.table("rec").as("rec"))
      .select(sql`id`.as("id"))
      .where(compileWhere(parseFilter({ status: "open", "odd name": { $gt: 1 } }), shape))
      .compile();
    expect(q.sql).toContain(`json_extract("data", '$.status') = ?`);
    expect(q.sql).toContain(`json_extract("data", '$."odd name"') > ?`);
    expect(q.parameters).toEqual(["open", 1]);
  });

  it("quotes a single quote inside a field name", () => {
    const filter = parseFilter({ "it's": 1 });
    const q = k
      .selectFrom(sql.table("rec").as("rec"))
      .select(sql`id`.as("id"))
      .where(compileWhere(filter, shape))
      .compile();
    expect(q.sql).toContain(`'$."it''s"'`);
    expect(db.prepare(q.sql).all(...q.parameters)).toEqual([]);
  });

  it("lets an expression index serve equality on a scalar field", () => {
    const idx = new Database(":memory:");
    idx.exec("CREATE TABLE rec (id TEXT PRIMARY KEY, created_by TEXT, data TEXT NOT NULL)");
    const ddl = k
      .selectFrom(sql.table("rec").as("rec"))
      .select(fieldExpression(["status"], shape).as("x"))
      .compile();
    const expr = ddl.sql.slice("select ".length, ddl.sql.indexOf(" as "));
    idx.exec(`CREATE INDEX rec_status ON rec (${expr}, id)`);
    const q = k
      .selectFrom(sql.table("rec").as("rec"))
      .select(sql`id`.as("id"))
      .where(compileWhere(parseFilter({ status: { $in: ["open", "done"] } }), shape))
      .compile();
    const plan = idx.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.parameters) as {
      detail: string;
    }[];
    expect(plan.map((p) => p.detail).join(" | ")).toMatch(/USING (COVERING )?INDEX rec_status/);
    idx.close();
  });
});
