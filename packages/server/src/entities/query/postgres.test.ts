import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  postgresAvailable,
  type TestDatabase,
} from "../../../test/postgres.js";
import { expectedIds, FILTER_CASES, SAMPLE_RECORDS } from "./cases.fixture.js";
import { parseFilter } from "./parse.js";
import { compilePgWhere } from "./postgres.js";
import { pgFieldText } from "./postgres-paths.js";
import { toPostgresRegex } from "./postgres-regex.js";
import { pgCompiler } from "./postgres-runtime.js";
import type { FieldPath, Filter, TableShape } from "./types.js";
import { isObject, MISSING, resolvePath } from "./values.js";

const COLUMNS = {
  id: "id",
  created_date: "created_date",
  updated_date: "updated_date",
  created_by: "created_by",
  created_by_id: "created_by_id",
};

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
};

const enabled = await postgresAvailable();
const k = pgCompiler();

describe.skipIf(!enabled)("compilePgWhere() on PostgreSQL", () => {
  let database: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`CREATE TABLE rec (id TEXT PRIMARY KEY, created_date TEXT, updated_date TEXT,
      created_by TEXT, created_by_id TEXT, data JSON NOT NULL)`);
    for (const r of SAMPLE_RECORDS) {
      await client.query("INSERT INTO rec VALUES ($1, $2, $3, $4, $5, $6)", [
        r.id,
        r.created_date,
        r.updated_date,
        r.created_by,
        r.created_by_id,
        JSON.stringify(r.data),
      ]);
    }
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  const run = async (filter: Filter, shape: TableShape): Promise<string[]> => {
    const q = k
      .selectFrom(sql.table("rec").as("rec"))
      .select(sql<string>`id`.as("id"))
      .where(compilePgWhere(filter, shape))
      .orderBy(sql`id`)
      .compile();
    return (await client.query(q.sql, q.parameters as unknown[])).rows.map((r) => r.id);
  };

  for (const [shapeName, shape] of Object.entries(SHAPES)) {
    describe(`the shared table of cases, ${shapeName}`, () => {
      it.each(FILTER_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
        const filter = parseFilter(c.filter);
        expect(await run(filter, shape)).toEqual(expectedIds(c));
        const complement = await run({ kind: "nor", filters: [filter] }, shape);
        const expected = new Set(expectedIds(c));
        expect(complement).toEqual(SAMPLE_RECORDS.map((r) => r.id).filter((x) => !expected.has(x)));
      });
    });
  }

  it("lets an expression index serve equality on a scalar field", async () => {
    const shape = SHAPES["kinds from the schema"]!;
    const expr = k.selectNoFrom(pgFieldText(["status"], shape).as("x")).compile().sql;
    await client.query(
      `CREATE INDEX rec_status ON rec ((${expr.slice("select ".length, expr.lastIndexOf(" as "))}))`,
    );
    const q = k
      .selectFrom(sql.table("rec").as("rec"))
      .select(sql`id`.as("id"))
      .where(compilePgWhere(parseFilter({ status: { $in: ["open", "done"] } }), shape))
      .compile();
    await client.query("SET enable_seqscan = off");
    const plan = await client.query(`EXPLAIN ${q.sql}`, q.parameters as unknown[]);
    await client.query("SET enable_seqscan = on");
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/rec_status/);
  });
});

describe("toPostgresRegex()", () => {
  it("spells out JavaScript's classes and flags", () => {
    expect(toPostgresRegex("^a\\d", "")).toBe("^a[0-9]");
    expect(toPostgresRegex("a.b", "")).toBe("a[^\\u000a\\u000d\\u2028\\u2029]b");
    expect(toPostgresRegex("a.b", "s")).toBe("a.b");
    expect(toPostgresRegex("x+?", "")).toBe("(?:x){1,}");
  });
  it("refuses what PostgreSQL cannot say, with a coded error", () => {
    expect(() => toPostgresRegex("[^\\D]", "")).toThrow(/cannot run on this store/);
  });
});
