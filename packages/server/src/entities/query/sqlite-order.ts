/**
 * ORDER BY and keyset ("rows after this one") conditions for SQLite, over the same
 * {@link TableShape} as `sqlite.ts`.
 *
 * Order: a JSON field sorts by `json_extract(...)`, a built-in by its column. Null and missing
 * sort first ascending, last descending (MongoDB and SQLite agree). Mixed types follow SQLite's
 * order, not MongoDB's: null, then numbers and booleans together (booleans as 0/1), then
 * strings and arrays/objects together (these by their JSON text), all in binary (code point)
 * order. Every order ends with `id` ascending so pages are deterministic; an index on
 * `(<field expression>, id)` serves both the order and the keyset condition.
 */

import { type RawBuilder, type SqlBool, sql } from "kysely";
import { locate } from "./sqlite-paths.js";
import type { Json, SortKey, TableShape } from "./types.js";

interface Term {
  expr: RawBuilder<unknown>;
  descending: boolean;
  /** The SQL value the expression had on the last row. */
  value: string | number | null;
}

/**
 * The ORDER BY terms for `keys`, direction included, ending with `id` ascending (unless a key
 * already sorts by `id`).
 *
 * @example
 * let q = db.selectFrom(sql.table("task").as("t")).selectAll();
 * for (const term of compileOrderBy(parseSort("-due_date"), shape)) q = q.orderBy(term);
 */
export function compileOrderBy(keys: readonly SortKey[], shape: TableShape): RawBuilder<unknown>[] {
  return terms(keys, undefined, shape).map((t) =>
    t.descending ? sql`${t.expr} DESC` : sql`${t.expr} ASC`,
  );
}

/**
 * The keyset condition "rows strictly after `last` in the order of `keys`" for cursor pages.
 * `last.values[i]` is the value of `keys[i]` on the last row returned (null when missing; see
 * `sortValues`), `last.id` its id. Correct with nulls and descending keys; two-valued.
 *
 * @example
 * q.where(compileAfter(keys, { values: ["2025-01-01"], id: "r17" }, shape))
 */
export function compileAfter(
  keys: readonly SortKey[],
  last: { values: readonly Json[]; id: string },
  shape: TableShape,
): RawBuilder<SqlBool> {
  const list = terms(keys, last, shape);
  const disjuncts: RawBuilder<SqlBool>[] = [];
  list.forEach((term, i) => {
    const equal = list.slice(0, i).map((t) => same(t));
    const after = strictlyAfter(term);
    if (after !== undefined) disjuncts.push(and([...equal, after]));
  });
  if (disjuncts.length === 0) return sql<SqlBool>`0`;
  return disjuncts.length === 1 ? disjuncts[0]! : sql<SqlBool>`(${sql.join(disjuncts, sql` OR `)})`;
}

function terms(
  keys: readonly SortKey[],
  last: { values: readonly Json[]; id: string } | undefined,
  shape: TableShape,
): Term[] {
  const ctx = { shape, aliases: 0 };
  const out: Term[] = [];
  const idColumn = shape.columns.id ?? "id";
  const idRef = sql.ref(shape.table === undefined ? idColumn : `${shape.table}.${idColumn}`);
  let sortsById = false;
  keys.forEach((key, i) => {
    if (sortsById) return;
    const loc = locate(ctx, { kind: "root" }, key.path);
    if (loc.kind === "missing") return; // the same (null) on every row: orders nothing
    const raw = last?.values[i] ?? null;
    if (loc.kind === "column") {
      if (key.path[0] === "id") sortsById = true;
      out.push({
        expr: loc.column,
        descending: key.descending,
        value: raw === null ? null : typeof raw === "string" ? raw : JSON.stringify(raw),
      });
    } else {
      out.push({ expr: loc.site.value, descending: key.descending, value: sqlValue(raw) });
    }
  });
  if (!sortsById) out.push({ expr: idRef, descending: false, value: last?.id ?? null });
  return out;
}

/** The value `json_extract` gives for a JSON value. */
function sqlValue(v: Json): string | number | null {
  if (v === null || typeof v === "string" || typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return JSON.stringify(v);
}

function same(t: Term): RawBuilder<SqlBool> {
  return t.value === null ? sql<SqlBool>`${t.expr} IS NULL` : sql<SqlBool>`${t.expr} IS ${t.value}`;
}

/** Rows whose term sorts strictly after the last row's value; undefined when none can. */
function strictlyAfter(t: Term): RawBuilder<SqlBool> | undefined {
  if (!t.descending) {
    // Ascending, nulls first: after null comes every non-null value.
    return t.value === null
      ? sql<SqlBool>`${t.expr} IS NOT NULL`
      : sql<SqlBool>`(${t.expr} IS NOT NULL AND ${t.expr} > ${t.value})`;
  }
  // Descending, nulls last: nothing comes after null.
  return t.value === null ? undefined : sql<SqlBool>`(${t.expr} IS NULL OR ${t.expr} < ${t.value})`;
}

function and(parts: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  return parts.length === 1 ? parts[0]! : sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}
