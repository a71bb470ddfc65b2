/**
 * Field paths → PostgreSQL locations: a built-in column, a path that cannot exist, or a JSON
 * value read from the `json` data column with `#>` (the value), `#>>` (its text) and
 * `json_typeof` (its type), the path written as a literal text array (`'{"address","city"}'`)
 * so that an expression index on `(data #>> '{...}')` serves equality on it.
 *
 * `#>` reads a digit segment as an array index or an object key, whichever the value holds:
 * the meaning of a digit segment here (see `types.ts`). A segment that PostgreSQL would read as
 * an index but is a key for us (`-1`, `+1`, `01`) steps into objects only.
 */

import { type RawBuilder, sql } from "kysely";
import { isIndexSegment } from "./names.js";
import type { FieldPath, TableShape } from "./types.js";

export type Sql = RawBuilder<unknown>;

/** A place a value sits: the JSON value, its text (`#>>`, unescaped for strings), its type. */
export interface PgSite {
  json: Sql;
  text: Sql;
  /** `json_typeof`: object, array, string, number, boolean, null; SQL NULL when missing. */
  type: Sql;
}

/** Where a field path leads, as SQL. */
export type PgLocation =
  | { kind: "column"; column: Sql }
  | { kind: "missing" }
  | {
      kind: "json";
      site: PgSite;
      /** `self`: an array element tested as one value (no fan-out, always present). */
      fanout: "scalar" | "array" | "unknown" | "self";
    };

/** Where paths are read from: the record (root) or the current element of `json_array_elements`. */
export type PgScope = { kind: "root" } | { kind: "element"; alias: string };

export interface PgCtx {
  shape: TableShape;
  aliases: number;
}

/** A text array literal of PostgreSQL (`{"a","b"}`), every element quoted. */
export function pgPathLiteral(path: FieldPath): string {
  return `{${path.map((s) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}

/** Segments PostgreSQL's `#>` would take as an array index but are object keys here. */
const NUMERIC_KEY = /^\s*[+-]?\d+\s*$/;

function ref(shape: TableShape, column: string): Sql {
  return sql.ref(shape.table === undefined ? column : `${shape.table}.${column}`);
}

/** The site of `path` under `doc` (a json expression). */
function siteAt(doc: Sql, path: FieldPath): PgSite {
  // Split at the first segment after the top level that `#>` would misread on an array.
  const cut = path.findIndex((s, i) => i > 0 && !isIndexSegment(s) && NUMERIC_KEY.test(s));
  if (cut > 0) {
    const prefix = siteAt(doc, path.slice(0, cut));
    const stepped = sql`(CASE WHEN ${prefix.type} = 'object' THEN ${prefix.json} -> ${sql.lit(path[cut]!)} END)`;
    return siteAt(stepped, path.slice(cut + 1));
  }
  if (path.length === 0) {
    return { json: doc, text: sql`(${doc} #>> '{}')`, type: sql`json_typeof(${doc})` };
  }
  const lit = sql.lit(pgPathLiteral(path));
  const json = sql`(${doc} #> ${lit})`;
  return { json, text: sql`(${doc} #>> ${lit})`, type: sql`json_typeof(${json})` };
}

/**
 * The SQL text a field path reads (`data #>> '{...}'`, or a built-in column): what an expression
 * index must be built on for equality filters to use it.
 *
 * @example
 * sql`CREATE INDEX task_status ON task ((${pgFieldText(["status"], shape)}))`
 */
export function pgFieldText(path: FieldPath, shape: TableShape): Sql {
  const loc = pgLocate({ shape, aliases: 0 }, { kind: "root" }, path);
  if (loc.kind === "column") return loc.column;
  if (loc.kind === "missing") return sql`NULL`;
  return loc.site.text;
}

/** The `json_typeof` of a field path (`'string'` for a set built-in column, NULL when missing). */
export function pgFieldType(path: FieldPath, shape: TableShape): Sql {
  const loc = pgLocate({ shape, aliases: 0 }, { kind: "root" }, path);
  if (loc.kind === "column")
    return sql`CASE WHEN ${loc.column} IS NULL THEN NULL ELSE 'string' END`;
  if (loc.kind === "missing") return sql`NULL`;
  return loc.site.type;
}

/** Resolves a path in a scope to a {@link PgLocation}. */
export function pgLocate(ctx: PgCtx, scope: PgScope, path: FieldPath): PgLocation {
  const { shape } = ctx;
  if (scope.kind === "root") {
    const first = path[0];
    if (first !== undefined && Object.hasOwn(shape.columns, first)) {
      const column = shape.columns[first]!;
      return path.length === 1
        ? { kind: "column", column: ref(shape, column) }
        : { kind: "missing" };
    }
    const site = siteAt(ref(shape, shape.dataColumn), path);
    return { kind: "json", site, fanout: shape.kindOf(path) };
  }
  const value = sql.ref(`${scope.alias}.value`);
  if (path.length === 0) return { kind: "json", site: siteAt(value, []), fanout: "self" };
  return { kind: "json", site: siteAt(value, path), fanout: "unknown" };
}
