/**
 * {@link Filter} → PostgreSQL WHERE expression over a table laid out per {@link TableShape}:
 * built-ins in their own TEXT columns, every other field inside one `json` column (`json`, not
 * `jsonb`: it keeps a record's keys in the order written, which reads give back and object
 * equality compares, as on SQLite and MongoDB). Same meaning as `evaluate.ts` and `sqlite.ts`;
 * the shared table of cases runs all three.
 *
 * How it stays exact and fast:
 * - Paths are literals (`data #>> '{"status"}'`), values bound parameters, so equality on a
 *   scalar field is `text = $1 AND type = 'string'`, which an expression index on the text serves.
 * - Every predicate is two-valued (never SQL NULL), so `NOT (...)` and `$nor` are exact: type
 *   tests are `coalesce(type, '') = ...`, casts sit inside `CASE` (PostgreSQL does not promise
 *   to evaluate `AND` left to right).
 * - Values are compared type by type: the string "5" never equals 5, `true` never equals 1;
 *   numbers compare as numbers, strings in code point order (`COLLATE "C"`), arrays and objects
 *   by their JSON text (what the store writes is `JSON.stringify`'s, so equal values have equal
 *   text).
 * - Arrays: `EXISTS (SELECT 1 FROM json_array_elements(...))` per element, only when
 *   `shape.kindOf` says the field may hold an array.
 * - `$regex`: JavaScript patterns are translated to PostgreSQL's regular expressions with the
 *   same meaning (`postgres-regex.ts`).
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
import {
  type PgCtx,
  type PgLocation,
  type PgScope,
  type PgSite,
  pgLocate,
  type Sql,
} from "./postgres-paths.js";
import { toPostgresRegex } from "./postgres-regex.js";
import type { FieldCondition, Filter, Json, TableShape } from "./types.js";

const TRUE = sql<SqlBool>`TRUE`;
const FALSE = sql<SqlBool>`FALSE`;

/**
 * Compiles a filter to a two-valued PostgreSQL boolean expression for `WHERE`.
 *
 * @example
 * const where = compilePgWhere(parseFilter({ status: "open" }), shape);
 * // (("data" #>> '{"status"}') = $1 AND coalesce(json_typeof(...), '') = 'string')
 */
export function compilePgWhere(filter: Filter, shape: TableShape): Expression<SqlBool> {
  return compileFilter({ shape, aliases: 0 }, filter, { kind: "root" });
}

const bool = connectives(TRUE, FALSE);
const { any } = bool;

const dialect: FieldDialect<PgCtx, PgScope, JsonLocation> = {
  bool,
  locate: pgLocate,
  column: (col, c) => compileColumn(col, c),
  json: (ctx, loc, c) => compileJson(ctx, loc, c),
};

function compileFilter(ctx: PgCtx, filter: Filter, scope: PgScope): RawBuilder<SqlBool> {
  return compileFilterTree(dialect, ctx, filter, scope);
}

const OPS = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

/** `$regex` as PostgreSQL's `~`, on a text that is known not to be NULL. */
function regexMatch(text: Sql, pattern: string, flags: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${text} ~ ${toPostgresRegex(pattern, flags)})`;
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
        ? sql<SqlBool>`(${col} IS NOT NULL AND ${col} COLLATE "C" ${sql.raw(OPS[c.op])} ${c.value})`
        : FALSE;
    case "exists":
      return c.value ? TRUE : FALSE;
    case "regex":
      return sql<SqlBool>`(${col} IS NOT NULL AND ${regexMatch(col, c.pattern, c.flags)})`;
    case "size":
    case "elemMatch":
      return FALSE;
  }
}

function columnIn(col: Sql, values: Json[]): RawBuilder<SqlBool> {
  const strings = values.filter((v): v is string => typeof v === "string");
  const parts: RawBuilder<SqlBool>[] = [];
  if (values.includes(null)) parts.push(sql<SqlBool>`${col} IS NULL`);
  if (strings.length > 0) {
    parts.push(sql<SqlBool>`(${col} IS NOT NULL AND ${inList(col, strings)})`);
  }
  return any(parts);
}

type JsonLocation = Extract<PgLocation, { kind: "json" }>;

/** The type test, two-valued when the type is NULL (field missing). */
function typeIs(type: Sql, name: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`coalesce(${type}, '') = ${sql.lit(name)}`;
}

function compileJson(ctx: PgCtx, loc: JsonLocation, c: FieldCondition): RawBuilder<SqlBool> {
  const s = loc.site;
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
      return fanned(ctx, loc, (e) =>
        typeof v === "string"
          ? sql<SqlBool>`(${typeIs(e.type, "string")} AND ${e.text} COLLATE "C" ${op} ${v})`
          : typeof v === "number"
            ? sql<SqlBool>`(CASE WHEN ${typeIs(e.type, "number")} THEN ${e.text}::numeric ${op} ${v}::numeric ELSE FALSE END)`
            : sql<SqlBool>`(CASE WHEN ${typeIs(e.type, "boolean")} THEN ${e.text}::boolean ${op} ${v} ELSE FALSE END)`,
      );
    }
    case "regex":
      return fanned(
        ctx,
        loc,
        (e) =>
          sql<SqlBool>`(CASE WHEN ${typeIs(e.type, "string")} THEN ${regexMatch(e.text, c.pattern, c.flags)} ELSE FALSE END)`,
      );
    case "exists":
      if (loc.fanout === "self") return c.value ? TRUE : FALSE;
      return c.value ? sql<SqlBool>`${s.json} IS NOT NULL` : sql<SqlBool>`${s.json} IS NULL`;
    case "size":
      return sql<SqlBool>`(CASE WHEN ${typeIs(s.type, "array")} THEN json_array_length(${s.json}) = ${c.size} ELSE FALSE END)`;
    case "elemMatch": {
      const alias = `je${ctx.aliases++}`;
      const inner = compileFilter(ctx, c.element, { kind: "element", alias });
      const cond =
        c.documents === true
          ? sql<SqlBool>`(${typeIs(sql`json_typeof(${sql.ref(`${alias}.value`)})`, "object")} AND ${inner})`
          : inner;
      return arrayExists(s, alias, cond);
    }
  }
}

/** True when the site is an array with an element (as `alias`) meeting `cond`; never NULL. */
function arrayExists(s: PgSite, alias: string, cond: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
  return sql<SqlBool>`(CASE WHEN ${typeIs(s.type, "array")} THEN EXISTS (SELECT 1 FROM json_array_elements(${s.json}) AS ${sql.id(alias)} WHERE ${cond}) ELSE FALSE END)`;
}

/** {@link fanOut} for a JSON location of this table. */
function fanned(
  ctx: PgCtx,
  loc: JsonLocation,
  pred: (site: PgSite) => RawBuilder<SqlBool>,
  arrayDirect?: (site: PgSite) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  return fanOut(bool, loc.fanout, loc.site, pred, (p) => elements(ctx, loc, p), arrayDirect);
}

function elements(
  ctx: PgCtx,
  loc: JsonLocation,
  pred: (site: PgSite) => RawBuilder<SqlBool>,
): RawBuilder<SqlBool> {
  const alias = `je${ctx.aliases++}`;
  const value = sql.ref(`${alias}.value`);
  const site: PgSite = {
    json: value,
    text: sql`(${value} #>> '{}')`,
    type: sql`json_typeof(${value})`,
  };
  return arrayExists(loc.site, alias, pred(site));
}

/** {@link equalsAnyOf} for a JSON location of this table. */
function equalsAny(ctx: PgCtx, loc: JsonLocation, values: Json[]): RawBuilder<SqlBool> {
  return equalsAnyOf(bool, values, (pred, direct) => fanned(ctx, loc, pred, direct), valuesMatch);
}

/** The site's value equals one of `values`, compared type by type. */
function valuesMatch(s: PgSite, values: Json[]): RawBuilder<SqlBool> {
  const strings: string[] = [];
  const numbers: string[] = [];
  const parts: RawBuilder<SqlBool>[] = [];
  for (const v of values) {
    if (v === null) parts.push(sql<SqlBool>`${s.text} IS NULL`);
    else if (typeof v === "string") strings.push(v);
    else if (typeof v === "number") numbers.push(JSON.stringify(v));
    else if (typeof v === "boolean")
      parts.push(sql<SqlBool>`(${s.text} = ${String(v)} AND ${typeIs(s.type, "boolean")})`);
    else {
      const type = Array.isArray(v) ? "array" : "object";
      parts.push(
        sql<SqlBool>`(${s.json}::text = ${JSON.stringify(v)} AND ${typeIs(s.type, type)})`,
      );
    }
  }
  if (strings.length > 0)
    parts.unshift(sql<SqlBool>`(${inList(s.text, strings)} AND ${typeIs(s.type, "string")})`);
  // Numbers as the store writes them (JSON.stringify's text), so equality needs no cast.
  if (numbers.length > 0)
    parts.push(sql<SqlBool>`(${inList(s.text, numbers)} AND ${typeIs(s.type, "number")})`);
  return any(parts);
}

function inList(value: Sql, list: string[]): RawBuilder<SqlBool> {
  return list.length === 1
    ? sql<SqlBool>`${value} = ${list[0]}`
    : sql<SqlBool>`${value} IN (${sql.join(list)})`;
}
