/**
 * What the SQLite and PostgreSQL filter compilers (`sqlite.ts`, `postgres.ts`) decide the same
 * way: a filter tree's connectives (`$and`, `$or`, `$nor`, constants) as two-valued SQL, and
 * which of a field's three places (missing, a built-in column, inside the JSON document) its
 * condition compiles for. Each dialect brings its boolean literals, its path resolution and
 * its comparisons.
 */

import { type RawBuilder, type SqlBool, sql } from "kysely";
import { matchesMissing } from "./evaluate.js";
import type { FieldCondition, FieldPath, Filter, Json } from "./types.js";

type Bool = RawBuilder<SqlBool>;

/** A dialect's two boolean literals and the connectives over them (constants folded). */
export interface Connectives {
  readonly TRUE: Bool;
  readonly FALSE: Bool;
  /** Every part holds (`TRUE` for none). */
  all(parts: Bool[]): Bool;
  /** Some part holds (`FALSE` for none). */
  any(parts: Bool[]): Bool;
  not(part: Bool): Bool;
}

/** The connectives over `TRUE` and `FALSE` (`1`/`0` on SQLite, `TRUE`/`FALSE` on PostgreSQL). */
export function connectives(TRUE: Bool, FALSE: Bool): Connectives {
  return {
    TRUE,
    FALSE,
    all(parts) {
      if (parts.length === 0) return TRUE;
      if (parts.length === 1) return parts[0]!;
      return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
    },
    any(parts) {
      if (parts.length === 0) return FALSE;
      if (parts.length === 1) return parts[0]!;
      return sql<SqlBool>`(${sql.join(parts, sql` OR `)})`;
    },
    not(part) {
      if (part === TRUE) return FALSE;
      if (part === FALSE) return TRUE;
      return sql<SqlBool>`(NOT ${part})`;
    },
  };
}

/** Where a field path leads in one dialect's table (see `sqlite-paths.ts`, `postgres-paths.ts`). */
export type FieldPlace<J extends { kind: "json" }> =
  | { kind: "missing" }
  | { kind: "column"; column: RawBuilder<unknown> }
  | J;

/** One dialect's half of {@link compileFilterTree}. */
export interface FieldDialect<Ctx, Scope, J extends { kind: "json" }> {
  readonly bool: Connectives;
  locate(ctx: Ctx, scope: Scope, path: FieldPath): FieldPlace<J>;
  /** A condition on a built-in TEXT column (nullable, always present). */
  column(col: RawBuilder<unknown>, c: FieldCondition): Bool;
  /** A condition on a value inside the JSON document. */
  json(ctx: Ctx, place: J, c: FieldCondition): Bool;
}

/**
 * `filter` as a two-valued boolean expression of `dialect`, in `scope` (the record, or an
 * array element for `$elemMatch`). A field the table cannot hold is missing on every record:
 * its condition folds to a constant.
 */
export function compileFilterTree<Ctx, Scope, J extends { kind: "json" }>(
  dialect: FieldDialect<Ctx, Scope, J>,
  ctx: Ctx,
  filter: Filter,
  scope: Scope,
): Bool {
  const { bool } = dialect;
  const each = (filters: readonly Filter[]) =>
    filters.map((f) => compileFilterTree(dialect, ctx, f, scope));
  switch (filter.kind) {
    case "const":
      return filter.value ? bool.TRUE : bool.FALSE;
    case "and":
      return bool.all(each(filter.filters));
    case "or":
      return bool.any(each(filter.filters));
    case "nor":
      return bool.not(bool.any(each(filter.filters)));
    case "field": {
      const place = dialect.locate(ctx, scope, filter.path);
      if (place.kind === "missing")
        return matchesMissing(filter.condition) ? bool.TRUE : bool.FALSE;
      if (place.kind === "column") return dialect.column(place.column, filter.condition);
      return dialect.json(ctx, place, filter.condition);
    }
  }
}

/**
 * How a condition on a JSON field reaches it, from what the schema says the field holds:
 * `scalar` and `self` (an array element tested as one value) the value only, `array` its
 * elements, `unknown` both.
 */
export type Fanout = "scalar" | "array" | "unknown" | "self";

/**
 * `pred` on the value itself and/or on each element, per `fanout`: a scalar field gets the
 * direct (index-friendly) form only, an array field the element form (plus `arrayDirect` on
 * the whole value when given), an unknown one both. `someElement(pred)` is the dialect's
 * "the value is an array and one of its elements satisfies `pred`".
 */
export function fanOut<S>(
  bool: Connectives,
  fanout: Fanout,
  site: S,
  pred: (site: S) => Bool,
  someElement: (pred: (site: S) => Bool) => Bool,
  arrayDirect?: (site: S) => Bool,
): Bool {
  switch (fanout) {
    case "scalar":
    case "self":
      return pred(site);
    case "array": {
      const whole = arrayDirect === undefined ? bool.FALSE : arrayDirect(site);
      return bool.any([whole, someElement(pred)].filter((p) => p !== bool.FALSE));
    }
    case "unknown":
      return bool.any([pred(site), someElement(pred)]);
  }
}

/**
 * The value equals one of `values`, or (fan-out) an element does. For an array field the
 * direct form is still needed for `null` (the field is null or missing) and for array/object
 * values (whole-array equality). `matches(site, values)` is the dialect's type-by-type equality.
 */
export function equalsAnyOf<S>(
  bool: Connectives,
  values: Json[],
  fanned: (pred: (site: S) => Bool, arrayDirect: (site: S) => Bool) => Bool,
  matches: (site: S, values: Json[]) => Bool,
): Bool {
  if (values.length === 0) return bool.FALSE;
  const whole = values.filter((v) => v === null || typeof v === "object");
  return fanned(
    (s) => matches(s, values),
    (s) => (whole.length === 0 ? bool.FALSE : matches(s, whole)),
  );
}

/** The conditions that come down to "equals one of": the same on every place and dialect. */
export type Membership = Extract<
  FieldCondition,
  { op: "eq" | "ne" | "in" | "nin" | "all" | "not" }
>;

const MEMBERSHIP = new Set<string>(["eq", "ne", "in", "nin", "all", "not"]);

export function isMembership(c: FieldCondition): c is Membership {
  return MEMBERSHIP.has(c.op);
}

/**
 * A {@link Membership} condition from the place's "equals one of `values`" (`equalsAny`);
 * `$not`'s inner conditions compile through `each`, on the same place.
 */
export function compileMembership(
  bool: Connectives,
  c: Membership,
  equalsAny: (values: Json[]) => Bool,
  each: (c: FieldCondition) => Bool,
): Bool {
  switch (c.op) {
    case "eq":
      return equalsAny([c.value]);
    case "ne":
      return bool.not(equalsAny([c.value]));
    case "in":
      return equalsAny(c.values);
    case "nin":
      return bool.not(equalsAny(c.values));
    case "all":
      return c.values.length === 0 ? bool.FALSE : bool.all(c.values.map((v) => equalsAny([v])));
    case "not":
      return bool.not(bool.all(c.conditions.map(each)));
  }
}
