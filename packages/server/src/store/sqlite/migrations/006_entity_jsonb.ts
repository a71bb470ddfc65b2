import type Database from "better-sqlite3";

/**
 * The record table of migration 6 (frozen: `entity-tables.ts` creates new tables the same way,
 * and a test keeps the two equal; a later layout is a later migration). `seq` is the rowid,
 * named so that it stays put (a VACUUM renumbers an unnamed rowid); `data` holds the entity's
 * fields as SQLite's binary JSON (JSONB), which `json_extract` reads without parsing text. The
 * indexes are in the default order, `created_date DESC, id` (every sort ends with `id`
 * ascending), so that a list, or a filter on an index's first column (the creator, which access
 * rules test), is read in order from the index and stops at its limit, without a sort.
 */
export function recordTableV6(table: string): string {
  return `
    CREATE TABLE "${table}" (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      created_date TEXT NOT NULL,
      updated_date TEXT NOT NULL,
      created_by TEXT,
      created_by_id TEXT,
      data BLOB NOT NULL
    );
    CREATE INDEX "${table}_created" ON "${table}"(created_date DESC, id);
    CREATE INDEX "${table}_updated" ON "${table}"(updated_date DESC, id);
    CREATE INDEX "${table}_by_id" ON "${table}"(created_by_id, created_date DESC, id);
    CREATE INDEX "${table}_by" ON "${table}"(created_by, created_date DESC, id);`;
}

/**
 * Migration 6: every entity's records move to the layout of {@link recordTableV6} (records as
 * JSONB, a named rowid, indexes in the default order), copied in `created_date, id` order. The
 * indexes of fields schemas ask for go with the old tables; the entity store builds them again
 * when it opens (it makes sure every index `entity_schemas.indexes` lists exists).
 */
export function m006EntityJsonb(db: Database.Database): void {
  const ids = db.prepare<[], { id: number }>("SELECT id FROM entity_schemas ORDER BY id").all();
  const exists = db.prepare<[string], { n: number }>(
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
  );
  for (const { id } of ids) {
    const table = `e_${id}`;
    if (exists.get(table)!.n === 0) continue;
    const old = `${table}_v5`;
    db.exec(`ALTER TABLE "${table}" RENAME TO "${old}"`);
    // The old table's indexes keep their names: drop them before the new ones take those names.
    for (const { name } of db
      .prepare<[string], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
      )
      .all(old)) {
      db.exec(`DROP INDEX "${name}"`);
    }
    db.exec(recordTableV6(table));
    db.exec(
      `INSERT INTO "${table}" (id, created_date, updated_date, created_by, created_by_id, data)
       SELECT id, created_date, updated_date, created_by, created_by_id, jsonb(data)
       FROM "${old}" ORDER BY created_date, id`,
    );
    db.exec(`DROP TABLE "${old}"`);
  }
}
