/**
 * Field paths → SQLite locations: a built-in column, a path that cannot exist, or a JSON value
 * read with `json_extract(<doc>, <path>)`, the path written as a literal whenever it can be (so
 * an expression index matches it).
 */

import { type RawBuilder, sql } from "kysely";
import { isIndexSegment } from "./names.js";
import type { FieldPath, TableShape } from "./types.js";

export type Sql = RawBuilder<unknown>;

/** A place a value sits: its `json_extract`-style SQL value and its `json_type`. */
export interface Site {
  value: Sql;
  type: Sql;
}

/** Where a field path leads, as SQL. */
export type Location =
  | { kind: "column"; column: Sql }
  | { kind: "missing" }
  | {
      kind: "json";
      doc: Sql;
      path: Sql;
      site: Site;
      /** `self`: an array element tested as one value (no fan-out, always present). */
      fanout: "scalar" | "array" | "unknown" | "self";
    };

/** Where paths are read from: the record (root) or the current element of a `json_each`. */
export type Scope = { kind: "root" } | { kind: "element"; alias: string };

export interface Ctx {
  shape: TableShape;
  aliases: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The SQL a field path reads (a column, or `json_extract(data, '$.a.b')` with the path as a
 * literal): what an expression index must be built on for {@link compileWhere} to use it.
 *
 * @example
 * sql`CREATE INDEX task_status ON task (${fieldExpression(["status"], shape)}, id)`
 */
export function fieldExpression(path: FieldPath, shape: TableShape): RawBuilder<unknown> {
  const loc = locate({ shape, aliases: 0 }, { kind: "root" }, path);
  if (loc.kind === "column") return loc.column;
  if (loc.kind === "missing") return sql`NULL`;
  return loc.site.value;
}

/**
 * The `json_type` of what a field path reads (`'text'` for a set built-in column, NULL when
 * missing): aggregates use it to give booleans back as booleans and to sum only numbers.
 */
export function fieldType(path: FieldPath, shape: TableShape): RawBuilder<unknown> {
  const loc = locate({ shape, aliases: 0 }, { kind: "root" }, path);
  if (loc.kind === "column") return sql`CASE WHEN ${loc.column} IS NULL THEN NULL ELSE 'text' END`;
  if (loc.kind === "missing") return sql`NULL`;
  return loc.site.type;
}

/** A JSON path segment in SQLite's syntax: `.status`, or `."odd name"` quoted as JSON. */
export function jsonPathSegment(segment: string): string {
  return IDENT.test(segment) ? `.${segment}` : `.${JSON.stringify(segment)}`;
}

function ref(shape: TableShape, column: string): Sql {
  return sql.ref(shape.table === undefined ? column : `${shape.table}.${column}`);
}

/** Resolves a path in a scope to a {@link Location}. */
export function locate(ctx: Ctx, scope: Scope, path: FieldPath): Location {
  const { shape } = ctx;
  if (scope.kind === "root") {
    const first = path[0];
    if (first !== undefined && Object.hasOwn(shape.columns, first)) {
      const column = shape.columns[first]!;
      return path.length === 1
        ? { kind: "column", column: ref(shape, column) }
        : { kind: "missing" };
    }
    const doc = ref(shape, shape.dataColumn);
    const p = buildPath(ctx, doc, undefined, "$", path, (i) => shape.kindOf(path.slice(0, i)));
    return json(doc, p, shape.kindOf(path));
  }
  const a = scope.alias;
  const doc = sql.ref(`${a}.json`);
  if (path.length === 0) {
    const site = { value: sql.ref(`${a}.value`), type: sql.ref(`${a}.type`) };
    return { kind: "json", doc, path: sql.ref(`${a}.fullkey`), site, fanout: "self" };
  }
  return json(
    doc,
    buildPath(ctx, doc, sql.ref(`${a}.fullkey`), "", path, () => "unknown"),
    "unknown",
  );
}

function json(doc: Sql, path: Sql, fanout: "scalar" | "array" | "unknown"): Location {
  const site = { value: sql`json_extract(${doc}, ${path})`, type: sql`json_type(${doc}, ${path})` };
  return { kind: "json", doc, path, site, fanout };
}

/**
 * The SQL JSON path for `path`, appended to `base` (an expression) or starting at `$`. An index
 * segment reads `[n]` when the prefix is known to be an array; otherwise it is looked up with
 * `json_each`, which finds array element n or object key "n", whichever the value holds.
 */
function buildPath(
  ctx: Ctx,
  doc: Sql,
  base: Sql | undefined,
  start: string,
  path: FieldPath,
  kindOfPrefix: (i: number) => "scalar" | "array" | "unknown",
): Sql {
  let expr = base;
  let suffix = start;
  const current = () =>
    expr === undefined
      ? sql.lit(suffix)
      : suffix === ""
        ? expr
        : sql`(${expr} || ${sql.lit(suffix)})`;
  path.forEach((segment, i) => {
    if (!isIndexSegment(segment) || (base === undefined && i === 0)) {
      // A record is an object: its own top-level "0" is a key.
      suffix += jsonPathSegment(segment);
    } else if (expr === undefined && kindOfPrefix(i) === "array") {
      suffix += `[${segment}]`;
    } else {
      const a = sql.id(`jl${ctx.aliases++}`);
      expr = sql`(SELECT ${a}.fullkey FROM json_each(${doc}, ${current()}) AS ${a} WHERE ${a}.key IS ${sql.lit(Number(segment))} OR ${a}.key IS ${sql.lit(segment)})`;
      suffix = "";
    }
  });
  return current();
}
