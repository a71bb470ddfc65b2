import type { FieldPath, TableShape } from "../../entities/query/types.js";
import type { EntityRef, StoredRecord } from "../entity-types.js";

/**
 * Where one entity's records live in SQLite and how a row maps to a {@link StoredRecord}.
 * Records of an app's entity are in their own table `e_<id>`; the User entity reads the
 * server's `users` table (shared by every app, hence `appColumn`), whose `email`, `full_name`
 * and `role` are columns.
 */
export interface TableLayout {
  /** The table's name (quoted where used). */
  table: string;
  /** When the table holds several apps' rows: the column holding the app id. */
  appColumn?: string;
  /** Built-in fields besides id and the two dates, each a column of the same name. */
  builtins: readonly string[];
  /** Built-ins a write may change (the User entity's `full_name` and `role`). */
  writable: readonly string[];
  shape(ref: EntityRef): TableShape;
}

/** Built-ins of an ordinary entity's records. */
export const RECORD_BUILTINS = ["created_by", "created_by_id"] as const;
/** Built-ins of the User entity's rows. */
export const USER_BUILTINS = ["email", "full_name", "role"] as const;

function shapeOf(
  table: string,
  builtins: readonly string[],
  kindOf: EntityRef["kindOf"],
): TableShape {
  const columns: Record<string, string> = {
    id: "id",
    created_date: "created_date",
    updated_date: "updated_date",
  };
  for (const b of builtins) columns[b] = b;
  // Columns are qualified with the table, so queries that join json_each (whose own columns
  // include `id`) stay unambiguous.
  return { table, columns, dataColumn: "data", kindOf: (p: FieldPath) => kindOf(p) };
}

/** The layout of an entity's own table. */
export function recordsLayout(tableId: number): TableLayout {
  return {
    table: `e_${tableId}`,
    builtins: RECORD_BUILTINS,
    writable: [],
    shape: (ref) => shapeOf(`e_${tableId}`, RECORD_BUILTINS, ref.kindOf),
  };
}

/** The layout of the User entity: the `users` table, rows of one app. */
export const USERS_LAYOUT: TableLayout = {
  table: "users",
  appColumn: "app_id",
  builtins: USER_BUILTINS,
  writable: ["full_name", "role"],
  shape: (ref) => shapeOf("users", USER_BUILTINS, ref.kindOf),
};

/** The SQL that creates an entity's table and the indexes of its built-in fields. */
export function createTableSql(table: string): string {
  return `
    CREATE TABLE IF NOT EXISTS "${table}" (
      id TEXT PRIMARY KEY NOT NULL,
      created_date TEXT NOT NULL,
      updated_date TEXT NOT NULL,
      created_by TEXT,
      created_by_id TEXT,
      data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS "${table}_created" ON "${table}"(created_date, id);
    CREATE INDEX IF NOT EXISTS "${table}_updated" ON "${table}"(updated_date, id);
    CREATE INDEX IF NOT EXISTS "${table}_by_id" ON "${table}"(created_by_id);
    CREATE INDEX IF NOT EXISTS "${table}_by" ON "${table}"(created_by);`;
}

/** A row as SQLite returns it. */
export type Row = Record<string, string | null>;

/** A row of `layout` as a {@link StoredRecord}. */
export function toStored(layout: TableLayout, row: Row): StoredRecord {
  const builtins: Record<string, string | null> = {};
  for (const b of layout.builtins) builtins[b] = row[b] ?? null;
  return {
    id: row.id!,
    created_date: row.created_date!,
    updated_date: row.updated_date!,
    builtins,
    data: JSON.parse(row.data ?? "{}") as StoredRecord["data"],
  };
}
