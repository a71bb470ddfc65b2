/**
 * The typed tree a filter is parsed into, once, before anything runs it. `q`, a `deleteMany`
 * body, `updateMany.query`, `count`, `aggregate.query` and every access rule (after its
 * templates are filled in) become a {@link Filter}; the SQL compilers (`sqlite.ts`, later
 * PostgreSQL) and the in-memory evaluator (`evaluate.ts`) both read this tree and nothing else,
 * so they cannot disagree about what a filter means.
 *
 * Wire form: MongoDB-style, as `@base44/sdk` 0.8.50 documents it (`EntityFilterQuery` in
 * `dist/modules/entities.types.d.ts`; `../shared/BASE44-DATA.md` §1.6).
 */

/** A JSON value as it arrives on the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A field of a record: its path from the record's top level. `["status"]` is the field
 * `status`; `["address", "city"]` is `address.city` (a dotted path into objects); a segment of
 * digits indexes an array (`["items", "0", "sku"]`) or, when the value there is an object, reads
 * that key (`["scores", "2023"]`). A path does not fan out over an array in its middle
 * (`items.sku` reads nothing when `items` is an array; MongoDB would look into every element):
 * `$elemMatch` says that. The empty path `[]` is an array element inside `$elemMatch`. Built-in
 * fields (`id`, `created_date`, `updated_date`, `created_by`, `created_by_id`) are ordinary
 * one-segment paths here; the SQL compiler maps them to columns through its {@link TableShape}.
 */
export type FieldPath = readonly string[];

/** A condition on one field's value. `value`s are JSON scalars unless said otherwise. */
export type FieldCondition =
  /** Equal (a scalar against an array field: the array contains it; `null`: null or missing). */
  | { op: "eq"; value: Json }
  /** Not equal: the negation of `eq` (a missing field is not equal to anything but null). */
  | { op: "ne"; value: Json }
  /** Ordered comparisons within one type: numbers with numbers, strings with strings. */
  | { op: "gt" | "gte" | "lt" | "lte"; value: number | string | boolean }
  /** Any of `values` (a plain array value in the wire form means `in` too). */
  | { op: "in"; values: Json[] }
  /** None of `values`. */
  | { op: "nin"; values: Json[] }
  /** Present (`true`, even when null) or absent (`false`). */
  | { op: "exists"; value: boolean }
  /** A string field (or an element of an array field) matching a JavaScript regular expression. */
  | { op: "regex"; pattern: string; flags: string }
  /** An array field holding every one of `values`. */
  | { op: "all"; values: Json[] }
  /** An array field of exactly `size` elements. */
  | { op: "size"; size: number }
  /**
   * An array field with at least one element matching `element`: a {@link Filter} over the
   * element when elements are objects (`{ $elemMatch: { qty: { $gt: 5 } } }`), with the element
   * itself as the empty path `[]` when they are scalars (`{ $elemMatch: { $gte: 5 } }`).
   * `documents` is true for the sub-filter form: then only elements that are objects can match
   * (MongoDB: `{ $elemMatch: { qty: null } }` never matches the element `5`). Conditions on the
   * empty path test the element as one value: they do not reach into an element that is itself
   * an array (MongoDB's `$elemMatch` does not either).
   */
  | { op: "elemMatch"; element: Filter; documents?: boolean }
  /** The negation of every listed condition together (`{ $not: { $gt: 5 } }`). */
  | { op: "not"; conditions: FieldCondition[] };

/** A parsed filter. */
export type Filter =
  /** Matches every record (`true`) or none (`false`); what a rule becomes once it is decided. */
  | { kind: "const"; value: boolean }
  | { kind: "and"; filters: Filter[] }
  | { kind: "or"; filters: Filter[] }
  | { kind: "nor"; filters: Filter[] }
  | { kind: "field"; path: FieldPath; condition: FieldCondition };

/** One sort key: `-created_date` is `{ path: ["created_date"], descending: true }`. */
export interface SortKey {
  path: FieldPath;
  descending: boolean;
}

/**
 * How records lie in a table, for the SQL compilers: which top-level fields have their own
 * column (the built-ins) and which column holds the rest as one JSON object.
 *
 * @example
 * const shape: TableShape = {
 *   columns: { id: "id", created_date: "created_date", updated_date: "updated_date",
 *              created_by: "created_by", created_by_id: "created_by_id" },
 *   dataColumn: "data",
 *   kindOf: (path) => (path[0] === "tags" ? "array" : "unknown"),
 * };
 */
export interface TableShape {
  /** Top-level field name → column name. A path whose first segment is here reads the column. */
  readonly columns: Readonly<Record<string, string>>;
  /** The column holding every other field as a JSON object (TEXT in SQLite, jsonb in PostgreSQL). */
  readonly dataColumn: string;
  /**
   * The table name or alias that qualifies every column reference (`"t"."data"`), for queries
   * that join; column references are bare when omitted.
   */
  readonly table?: string;
  /**
   * What the entity's schema says a field holds: `scalar` (string, number, integer, boolean),
   * `array`, or `unknown` (object, undeclared, or a union of types). The compilers use it to
   * keep a condition on a known scalar in a form an expression index can serve. It is a
   * promise about the data: `scalar` means never an array, `array` means an array, null or
   * missing. Called with full paths (digit segments included) and with their prefixes (an
   * `array` prefix lets `items.0` compile to the literal path `$.items[0]`).
   */
  kindOf(path: FieldPath): "scalar" | "array" | "unknown";
}
