import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { constant } from "../../../entities/query/index.js";
import { createTableSql } from "../entity-tables.js";
import { openSqliteStore } from "../sqlite-store.js";
import { MIGRATIONS } from "./index.js";

/** An entity table as migration 3's store made it (data as JSON text), with a field index. */
const V5_TABLE = (t: string) => `
  CREATE TABLE "${t}" (id TEXT PRIMARY KEY NOT NULL, created_date TEXT NOT NULL,
    updated_date TEXT NOT NULL, created_by TEXT, created_by_id TEXT, data TEXT NOT NULL);
  CREATE INDEX "${t}_created" ON "${t}"(created_date, id);
  CREATE INDEX "${t}_updated" ON "${t}"(updated_date, id);
  CREATE INDEX "${t}_by_id" ON "${t}"(created_by_id);
  CREATE INDEX "${t}_by" ON "${t}"(created_by);
  CREATE INDEX "${t}_f_${Buffer.from('["status"]').toString("hex")}" ON "${t}"(json_extract(data, '$.status'));`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A database file at version 5 holding one app with entity Task (3 records) and a deleted one. */
function v5File(): string {
  const dir = mkdtempSync(join(tmpdir(), "fnbase-m006-"));
  dirs.push(dir);
  const file = join(dir, "fnbase.db");
  const db = new Database(file);
  for (const m of MIGRATIONS.slice(0, 5)) db.exec(m as string);
  db.pragma("user_version = 5");
  const t = "2026-01-01T00:00:00.000Z";
  db.prepare(
    "INSERT INTO apps (id, name, signing_key, created_date, updated_date) VALUES ('a1', 'a1', 'k', ?, ?)",
  ).run(t, t);
  const schema = (name: string, deleted: string | null) =>
    db
      .prepare(
        `INSERT INTO entity_schemas (app_id, name, schema, indexes, created_date, updated_date, deleted_date)
         VALUES ('a1', ?, ?, '[["status"]]', ?, ?, ?)`,
      )
      .run(
        name,
        JSON.stringify({ name, type: "object", properties: { status: { type: "string" } } }),
        t,
        t,
        deleted,
      ).lastInsertRowid;
  for (const [name, deleted] of [
    ["Task", null],
    ["Old", t],
  ] as const) {
    const table = `e_${schema(name, deleted)}`;
    db.exec(V5_TABLE(table));
    const insert = db.prepare(`INSERT INTO "${table}" VALUES (?, ?, ?, ?, ?, ?)`);
    insert.run("b".repeat(24), "2026-01-02T00:00:00.000Z", t, "u@x.io", "u1", '{"status":"open"}');
    insert.run(
      "a".repeat(24),
      "2026-01-01T00:00:00.000Z",
      t,
      null,
      null,
      '{"status":"done","n":1.5}',
    );
    insert.run(
      "c".repeat(24),
      "2026-01-03T00:00:00.000Z",
      t,
      null,
      null,
      '{"tags":["x"],"o":{"k":null}}',
    );
  }
  db.close();
  return file;
}

describe("migration 6 (records as JSONB)", () => {
  it("moves every entity's records to the new layout, in creation order, and rebuilds field indexes", async () => {
    const file = v5File();
    const store = openSqliteStore(file);
    const ref = { appId: "a1", entity: "Task", kindOf: () => "unknown" as const };
    const records = await store.entities.find(ref, {
      filter: constant(true),
      sort: [{ path: ["created_date"], descending: false }],
      limit: 10,
    });
    expect(records.map((r) => [r.id, r.builtins, r.data])).toEqual([
      ["a".repeat(24), { created_by: null, created_by_id: null }, { status: "done", n: 1.5 }],
      ["b".repeat(24), { created_by: "u@x.io", created_by_id: "u1" }, { status: "open" }],
      ["c".repeat(24), { created_by: null, created_by_id: null }, { tags: ["x"], o: { k: null } }],
    ]);
    await store.close();

    const db = new Database(file, { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    const fresh = new Database(":memory:");
    fresh.exec(createTableSql("e_1"));
    const ddl = (d: Database.Database, table: string) =>
      d
        .prepare<[string], { name: string; sql: string }>(
          "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL AND name NOT GLOB '*_f_*' ORDER BY name",
        )
        .all(table)
        .map((r) => ({
          name: r.name,
          sql: r.sql.replace(/\s+/g, " ").replaceAll(" IF NOT EXISTS", ""),
        }));
    // Both tables, the deleted entity's too, are what a new entity's table is.
    for (const table of ["e_1", "e_2"]) {
      expect(ddl(db, table)).toEqual(
        ddl(fresh, "e_1").map((r) => ({
          name: r.name.replace("e_1", table),
          sql: r.sql.replaceAll('"e_1', `"${table}`),
        })),
      );
      const types = db.prepare(`SELECT DISTINCT typeof(data) AS t FROM "${table}"`).all();
      expect(types).toEqual([{ t: "blob" }]);
      expect(db.prepare(`SELECT id FROM "${table}" ORDER BY seq`).all()).toEqual(
        ["a", "b", "c"].map((c) => ({ id: c.repeat(24) })),
      );
      // The field index is back, in its new form, and serves equality on the field.
      const index = db
        .prepare<[string], { sql: string }>(
          "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name GLOB '*_f_*'",
        )
        .all(table);
      expect(index.map((i) => i.sql)).toEqual([
        expect.stringContaining(`(json_extract("data", '$.status'), created_date DESC, id)`),
      ]);
    }
    fresh.close();
    db.close();
  });

  it("leaves a database without entities as it was", () => {
    const dir = mkdtempSync(join(tmpdir(), "fnbase-m006-"));
    dirs.push(dir);
    const store = openSqliteStore(join(dir, "fnbase.db"));
    return store.close();
  });
});
