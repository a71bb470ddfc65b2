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
import { matchesMissing } from "./evaluate.js";
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

function compileFilter(ctx: Ctx, filter: Filter, scope: Scope): RawBuilder<SqlBool> {
  switch (filter.kind) {
    case "const":
      return filter.value ? TRUE : FALSE;
    case "and":
      return all(filter.filters.map((f) => compileFilter(ctx, f, scope)));
    case "or":
      return any(filter.filters.map((f) => compileFilter(ctx, f, scope)));
    case "nor":
      return not(any(filter.filters.map((f) => compileFilter(ctx, f, scope))));
    case "field": {
      const loc = locate(ctx, scope, filter.path);
      if (loc.kind === "missing") return matchesMissing(filter.condition) ? TRUE : FALSE;
      if (loc.kind === "column") return compileColumn(loc.column, filter.condition);
      return compileJson(ctx, loc, filter.condition);
    }
  }
}

function all(parts: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  if (parts.length === 0) return TRUE;
  if (parts.length === 1) return parts[0]!;
  return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

function any(parts: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  if (parts.length === 0) return FALSE;
  if (parts.length === 1) return parts[0]!;
  return sql<SqlBool>`(${sql.join(parts, sql` OR `)})`;
}

function not(part: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
  if (part === TRUE) return FALSE;
  if (part === FALSE) return TRUE;
  return sql<SqlBool>`(NOT ${part})`;
}

/** Built-in columns: TEXT, nullable, always present. */
function compileColumn(col: Sql, c: FieldCondition): RawBuilder<SqlBool> {
  switch (c.op) {
    case "eq":
      return columnIn(col, [c.value]);
    case "ne":
      return not(columnIn(col, [c.value]));
    case "in":
      return columnIn(col, c.values);
    case "nin":
      return not(columnIn(col, c.values));
    case "all":
      return c.values.length === 0 ? FALSE : all(c.values.map((v) => columnIn(col, [v])));
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
    case "not":
      return not(all(c.conditions.map((inner) => compileColumn(col, inner))));
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
  switch (c.op) {
    case "eq":
      return equalsAny(ctx, loc, [c.value]);
    case "ne":
      return not(equalsAny(ctx, loc, [c.value]));
    case "in":
      return equalsAny(ctx, loc, c.values);
    case "nin":
      return not(equalsAny(ctx, loc, c.values));
    case "all":
      return c.values.length === 0 ? FALSE : all(c.values.map((v) => equalsAny(ctx, loc, [v])));
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
    case "not":
      return not(all(c.conditions.map((inner) => compileJson(ctx, loc, inner))));
  }
}

const NUMBER = ["integer", "real"];
const BOOLEAN = ["true", "false"];

/** `type IN (...)`, two-valued even when the type is NULL (field missing). */
function typeIn(type: Sql, types: string[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`ifnull(${type}, '') IN (${sql.join(types.map((x) => sql.lit(x)))})`;
}

/**
 * `pred` on the value itself and/or on each element, per what the schema says the field holds:
 * a scalar field gets the direct (index-friendly) form only, an array field the element form
 * (plus `arrayDirect` on the whole value when given), an unknown one both.
 */
function fanned(
  ctx: Ctx,
  loc: JsonLocation,
  pred: (site: Site) => RawBuilder<SqlBool>,
  arrayDirect?: (site: Site) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  switch (loc.fanout) {
    case "scalar":
    case "self":
      return pred(loc.site);
    case "array": {
      const whole = arrayDirect === undefined ? FALSE : arrayDirect(loc.site);
      return any([whole, elements(ctx, loc, pred)].filter((p) => p !== FALSE));
    }
    case "unknown":
      return any([pred(loc.site), elements(ctx, loc, pred)]);
  }
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

/**
 * The value equals one of `values`, or (fan-out) an element does. For an array field the
 * direct form is still needed for `null` (the field is null or missing) and for array/object
 * values (whole-array equality).
 */
function equalsAny(ctx: Ctx, loc: JsonLocation, values: Json[]): RawBuilder<SqlBool> {
  if (values.length === 0) return FALSE;
  const whole = values.filter((v) => v === null || typeof v === "object");
  return fanned(
    ctx,
    loc,
    (s) => valuesMatch(s, values),
    (s) => (whole.length === 0 ? FALSE : valuesMatch(s, whole)),
  );
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
