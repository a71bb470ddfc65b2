/**
 * {@link Filter} → SQLite WHERE expression (JSON1 functions), for a table laid out per
 * {@link TableShape}: built-ins in their own TEXT columns, every other field inside one JSON
 * TEXT column. Same meaning as `evaluate.ts` (see its header); the shared table of cases runs
 * both.
 *
 * How it stays exact and fast:
 * - JSON paths are literals in the SQL text (`json_extract("data", '$.status')`), values are
 *   bound parameters, so a filter on a scalar field matches an expression index built with
 *   `fieldExpression` (sqlite-paths.ts).
 * - Every predicate is two-valued (never SQL NULL), so `NOT (...)` and `$nor` are exact.
 * - `json_extract` turns JSON true/false into 1/0 and arrays/objects into their JSON text, so
 *   each comparison is bracketed with `json_type(...)`: the string "5" never equals 5, `true`
 *   never equals 1, and a string never equals an array's JSON text.
 * - Arrays: `EXISTS (SELECT 1 FROM json_each(...) WHERE ...)` per element, emitted only when
 *   `shape.kindOf` says the field may hold an array.
 */

import { type Expression, type RawBuilder, type SqlBool, sql } from "kysely";
import {
  compileFilterTree,
  compileMembership,
  connectives,
  equalsAnyOf,
  type FieldDialect,
  fanOut,
  isMembership,
} from "./connectives.js";
import { type Ctx, type Location, locate, type Scope, type Site } from "./sqlite-paths.js";
import type { FieldCondition, Filter, Json, TableShape } from "./types.js";

type Sql = RawBuilder<unknown>;

const TRUE = sql<SqlBool>`1`;
const FALSE = sql<SqlBool>`0`;

/**
 * Compiles a filter to a two-valued SQLite boolean expression for `WHERE`. Needs
 * {@link registerSqliteFunctions} on the connection when the filter uses `$regex`.
 *
 * @example
 * const where = compileWhere(parseFilter({ status: "open" }), shape);
 * db.selectFrom(sql.table("Task").as("t")).selectAll().where(where).compile();
 * // ... where (json_extract("data", '$.status') = ? and json_type("data", '$.status') IS 'text')
 */
export function compileWhere(filter: Filter, shape: TableShape): Expression<SqlBool> {
  return compileFilter({ shape, aliases: 0 }, filter, { kind: "root" });
}

const bool = connectives(TRUE, FALSE);
const { any } = bool;

const dialect: FieldDialect<Ctx, Scope, JsonLocation> = {
  bool,
  locate: locate,
  column: (col, c) => compileColumn(col, c),
  json: (ctx, loc, c) => compileJson(ctx, loc, c),
};

function compileFilter(ctx: Ctx, filter: Filter, scope: Scope): RawBuilder<SqlBool> {
  return compileFilterTree(dialect, ctx, filter, scope);
}

/** Built-in columns: TEXT, nullable, always present. */
function compileColumn(col: Sql, c: FieldCondition): RawBuilder<SqlBool> {
  if (isMembership(c)) {
    return compileMembership(
      bool,
      c,
      (values) => columnIn(col, values),
      (inner) => compileColumn(col, inner),
    );
  }
  switch (c.op) {
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      return typeof c.value === "string"
        ? sql<SqlBool>`(${col} IS NOT NULL AND ${col} ${sql.raw(OPS[c.op])} ${c.value})`
        : FALSE;
    case "exists":
      return c.value ? TRUE : FALSE;
    case "regex":
      return sql<SqlBool>`fnbase_regexp(${c.pattern}, ${c.flags}, ${col})`;
    case "size":
    case "elemMatch":
      return FALSE;
  }
}

function columnIn(col: Sql, values: Json[]): RawBuilder<SqlBool> {
  const strings = values.filter((v): v is string => typeof v === "string");
  const parts: RawBuilder<SqlBool>[] = [];
  if (values.includes(null)) parts.push(sql<SqlBool>`${col} IS NULL`);
  if (strings.length === 1) parts.push(sql<SqlBool>`${col} IS ${strings[0]}`);
  if (strings.length > 1) {
    parts.push(sql<SqlBool>`(${col} IS NOT NULL AND ${col} IN (${sql.join(strings)}))`);
  }
  return any(parts);
}

const OPS = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

type JsonLocation = Extract<Location, { kind: "json" }>;

function compileJson(ctx: Ctx, loc: JsonLocation, c: FieldCondition): RawBuilder<SqlBool> {
  const t = loc.site.type;
  if (isMembership(c)) {
    return compileMembership(
      bool,
      c,
      (values) => equalsAny(ctx, loc, values),
      (inner) => compileJson(ctx, loc, inner),
    );
  }
  switch (c.op) {
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const op = sql.raw(OPS[c.op]);
      const v = c.value;
      return fanned(ctx, loc, (s) =>
        typeof v === "string"
          ? sql<SqlBool>`(${s.value} ${op} ${v} AND ${s.type} IS 'text')`
          : typeof v === "number"
            ? sql<SqlBool>`(${s.value} ${op} ${v} AND ${typeIn(s.type, NUMBER)})`
            : sql<SqlBool>`(${s.value} ${op} ${v ? 1 : 0} AND ${typeIn(s.type, BOOLEAN)})`,
      );
    }
    case "regex":
      return fanned(
        ctx,
        loc,
        (s) =>
          sql<SqlBool>`(${s.type} IS 'text' AND fnbase_regexp(${c.pattern}, ${c.flags}, ${s.value}))`,
      );
    case "exists":
      if (loc.fanout === "self") return c.value ? TRUE : FALSE;
      return c.value ? sql<SqlBool>`${t} IS NOT NULL` : sql<SqlBool>`${t} IS NULL`;
    case "size":
      return sql<SqlBool>`(${t} IS 'array' AND json_array_length(${loc.doc}, ${loc.path}) = ${c.size})`;
    case "elemMatch": {
      const alias = `je${ctx.aliases++}`;
      const inner = compileFilter(ctx, c.element, { kind: "element", alias });
      const cond =
        c.documents === true
          ? sql<SqlBool>`(${sql.ref(`${alias}.type`)} IS 'object' AND ${inner})`
          : inner;
      return sql<SqlBool>`(${t} IS 'array' AND EXISTS (SELECT 1 FROM json_each(${loc.doc}, ${loc.path}) AS ${sql.id(alias)} WHERE ${cond}))`;
    }
  }
}

const NUMBER = ["integer", "real"];
const BOOLEAN = ["true", "false"];

/** `type IN (...)`, two-valued even when the type is NULL (field missing). */
function typeIn(type: Sql, types: string[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`ifnull(${type}, '') IN (${sql.join(types.map((x) => sql.lit(x)))})`;
}

/** {@link fanOut} for a JSON location of this table. */
function fanned(
  ctx: Ctx,
  loc: JsonLocation,
  pred: (site: Site) => RawBuilder<SqlBool>,
  arrayDirect?: (site: Site) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  return fanOut(bool, loc.fanout, loc.site, pred, (p) => elements(ctx, loc, p), arrayDirect);
}

function elements(
  ctx: Ctx,
  loc: JsonLocation,
  pred: (site: Site) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  const alias = `je${ctx.aliases++}`;
  const site = { value: sql.ref(`${alias}.value`), type: sql.ref(`${alias}.type`) };
  return sql<SqlBool>`(${loc.site.type} IS 'array' AND EXISTS (SELECT 1 FROM json_each(${loc.doc}, ${loc.path}) AS ${sql.id(alias)} WHERE ${pred(site)}))`;
}

/** {@link equalsAnyOf} for a JSON location of this table. */
function equalsAny(ctx: Ctx, loc: JsonLocation, values: Json[]): RawBuilder<SqlBool> {
  return equalsAnyOf(bool, values, (pred, direct) => fanned(ctx, loc, pred, direct), valuesMatch);
}

/** The site's value equals one of `values`, compared type by type. */
function valuesMatch(s: Site, values: Json[]): RawBuilder<SqlBool> {
  const strings: string[] = [];
  const numbers: number[] = [];
  const parts: RawBuilder<SqlBool>[] = [];
  for (const v of values) {
    if (v === null) parts.push(sql<SqlBool>`${s.value} IS NULL`);
    else if (typeof v === "string") strings.push(v);
    else if (typeof v === "number") numbers.push(v);
    else if (typeof v === "boolean")
      parts.push(sql<SqlBool>`(${s.value} = ${v ? 1 : 0} AND ${s.type} IS ${sql.lit(String(v))})`);
    else {
      const type = Array.isArray(v) ? "array" : "object";
      parts.push(
        sql<SqlBool>`(${s.value} = ${JSON.stringify(v)} AND ${s.type} IS ${sql.lit(type)})`,
      );
    }
  }
  if (strings.length > 0)
    parts.unshift(sql<SqlBool>`(${inList(s.value, strings)} AND ${s.type} IS 'text')`);
  if (numbers.length > 0)
    parts.push(sql<SqlBool>`(${inList(s.value, numbers)} AND ${typeIn(s.type, NUMBER)})`);
  return any(parts);
}

function inList(value: Sql, list: (string | number)[]): Sql {
  return list.length === 1 ? sql`${value} = ${list[0]}` : sql`${value} IN (${sql.join(list)})`;
}
