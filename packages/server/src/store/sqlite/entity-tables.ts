import type { FieldPath, TableShape } from "../../entities/query/types.js";
import type { EntityRef, StoredRecord } from "../entity-types.js";
import { recordTableV6 } from "./migrations/006_entity_jsonb.js";

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
  /** True when `data` is JSONB (records), false when it is JSON text (the users table). */
  jsonb: boolean;
  /** The column that names a row for as long as it lives (the rowid). */
  rowKey: string;
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
    jsonb: true,
    rowKey: "seq",
    shape: (ref) => shapeOf(`e_${tableId}`, RECORD_BUILTINS, ref.kindOf),
  };
}

/** The layout of the User entity: the `users` table, rows of one app. */
export const USERS_LAYOUT: TableLayout = {
  table: "users",
  appColumn: "app_id",
  builtins: USER_BUILTINS,
  writable: ["full_name", "role"],
  jsonb: false,
  // A table of migration 2 (`id TEXT PRIMARY KEY`): its rowid is unnamed; fnbase never VACUUMs.
  rowKey: "rowid",
  shape: (ref) => shapeOf("users", USER_BUILTINS, ref.kindOf),
};

/**
 * The SQL that creates an entity's table and the indexes of its built-in fields: the layout of
 * migration 6 (`migrations/006_entity_jsonb.ts`), which moved older tables to it.
 */
export function createTableSql(table: string): string {
  return recordTableV6(table)
    .replaceAll("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ")
    .replaceAll("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ");
}

/**
 * The columns a read selects to build a {@link StoredRecord}: the built-ins, and `data` as JSON
 * text (`json()` turns JSONB into text and leaves text as it is); unqualified for `RETURNING`.
 */
export function storedColumns(layout: TableLayout, qualified = true): string {
  const t = qualified ? `"${layout.table}".` : "";
  const cols = ["id", "created_date", "updated_date", ...layout.builtins].map((c) => `${t}${c}`);
  return `${cols.join(", ")}, json(${t}data) AS data`;
}

/**
 * The SQL of a record as its flat JSON text, as callers see it before field rules (the same
 * object as `flat()` of `entities/records/record-shape.ts`, keys in the same order: the
 * entity's fields, then the built-ins), made by SQLite from the stored JSON without a round
 * trip through JavaScript objects.
 */
export function flatJsonSql(layout: TableLayout): string {
  const t = `"${layout.table}"`;
  const set = [...layout.builtins, "id", "created_date", "updated_date"]
    .map((c) => `'$.${c}', ${t}.${c}`)
    .join(", ");
  return `json_set(${t}.data, ${set})`;
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
