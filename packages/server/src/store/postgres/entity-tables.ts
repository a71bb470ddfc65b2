import type { FieldPath, TableShape } from "../../entities/query/types.js";
import type { EntityRef, StoredRecord } from "../entity-types.js";
import { RECORD_BUILTINS, USER_BUILTINS } from "../sqlite/entity-tables.js";

/**
 * Where one entity's records live in PostgreSQL, as on SQLite (`sqlite/entity-tables.ts`):
 * an entity's own table `e_<id>`, or the shared `users` table for the User entity. Text columns
 * are `COLLATE "C"` (code point order, what SQLite's BINARY does), `data` is `json`.
 */
export interface PgTableLayout {
  table: string;
  appColumn?: string;
  builtins: readonly string[];
  writable: readonly string[];
  shape(ref: EntityRef): TableShape;
}

function shapeOf(table: string, builtins: readonly string[], kindOf: EntityRef["kindOf"]) {
  const columns: Record<string, string> = {
    id: "id",
    created_date: "created_date",
    updated_date: "updated_date",
  };
  for (const b of builtins) columns[b] = b;
  return { table, columns, dataColumn: "data", kindOf: (p: FieldPath) => kindOf(p) };
}

/** The layout of an entity's own table. */
export function pgRecordsLayout(tableId: number): PgTableLayout {
  const table = `e_${tableId}`;
  return {
    table,
    builtins: RECORD_BUILTINS,
    writable: [],
    shape: (ref) => shapeOf(table, RECORD_BUILTINS, ref.kindOf),
  };
}

/** The layout of the User entity: the `users` table, rows of one app. */
export const PG_USERS_LAYOUT: PgTableLayout = {
  table: "users",
  appColumn: "app_id",
  builtins: USER_BUILTINS,
  writable: ["full_name", "role"],
  shape: (ref) => shapeOf("users", USER_BUILTINS, ref.kindOf),
};

/** The SQL that creates an entity's table and the indexes of its built-in fields. */
export function pgCreateTableSql(table: string): string {
  return `
    CREATE TABLE IF NOT EXISTS "${table}" (
      id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
      created_date TEXT COLLATE "C" NOT NULL,
      updated_date TEXT COLLATE "C" NOT NULL,
      created_by TEXT COLLATE "C",
      created_by_id TEXT COLLATE "C",
      data JSON NOT NULL
    );
    CREATE INDEX IF NOT EXISTS "${table}_created" ON "${table}"(created_date, id);
    CREATE INDEX IF NOT EXISTS "${table}_updated" ON "${table}"(updated_date, id);
    CREATE INDEX IF NOT EXISTS "${table}_by_id" ON "${table}"(created_by_id);
    CREATE INDEX IF NOT EXISTS "${table}_by" ON "${table}"(created_by);`;
}

/** A row as `pg` returns it (`data` parsed). */
export type PgRow = Record<string, unknown>;

/** A row of `layout` as a {@link StoredRecord}. */
export function pgToStored(layout: PgTableLayout, row: PgRow): StoredRecord {
  const builtins: Record<string, string | null> = {};
  for (const b of layout.builtins) builtins[b] = (row[b] as string | null) ?? null;
  return {
    id: row.id as string,
    created_date: row.created_date as string,
    updated_date: row.updated_date as string,
    builtins,
    data: (row.data ?? {}) as StoredRecord["data"],
  };
}
