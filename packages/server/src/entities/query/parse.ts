/**
 * Wire filter (MongoDB-style, as `@base44/sdk` 0.8.50 documents it in `EntityFilterQuery`,
 * `dist/modules/entities.types.d.ts`) → checked {@link Filter} tree. Checking happens while
 * parsing: anything the compilers could not run safely is refused here with `INVALID_QUERY`
 * (HTTP 400) naming the operator or field and where it stood (`$or[1].status`).
 */

import { and, constant, field, nor, or } from "./build.js";
import { parseFieldName, queryError, show } from "./names.js";
import { compileRegex, normalizeFlags } from "./regex.js";
import type { FieldCondition, FieldPath, Filter, Json } from "./types.js";
import { hasOperatorKey, isObject, jsonDepth } from "./values.js";

/** How {@link parseFilter} reads and bounds a filter. */
export interface ParseOptions {
  /**
   * Access-rule mode: a key `data.x.y` means the record field `x.y` (rules address user fields
   * as `data.<field>`; built-ins such as `created_by_id` are written bare and read as written).
   */
  dataPrefix?: boolean;
  /** Deepest nesting of `$and`/`$or`/`$nor`/`$elemMatch`/`$not`; default 8. */
  maxDepth?: number;
  /** Most conditions (one per operator) in the whole filter; default 1,000. */
  maxNodes?: number;
  /** Most values in one `$in`, `$nin`, `$all` or array shorthand; default 1,000. */
  maxInValues?: number;
  /** The name errors give the filter: `Invalid <label>: ...`; default `q`. */
  label?: string;
}

/** Deepest nesting of arrays/objects inside one literal value. */
const MAX_VALUE_DEPTH = 32;

interface Ctx {
  label: string;
  dataPrefix: boolean;
  maxDepth: number;
  maxNodes: number;
  maxIn: number;
  nodes: number;
}

const COMBINATORS = new Set(["$and", "$or", "$nor"]);
const ORDERED = { $gt: "gt", $gte: "gte", $lt: "lt", $lte: "lte" } as const;

/**
 * Parses and checks a wire filter (the JSON-parsed `q`, a `deleteMany` body, an access rule).
 * Several keys are ANDed; a plain array value means "any of" (`$in`), `null` means null or
 * missing, an object without `$` keys means exact sub-document equality.
 *
 * @throws FnbaseError `INVALID_QUERY`, e.g. `Invalid q: unknown operator "$foo" at "status"`
 * @example
 * parseFilter({ status: "open", n: { $gte: 5 } });
 * // { kind: "and", filters: [ {kind:"field", path:["status"], condition:{op:"eq", value:"open"}}, ... ] }
 */
export function parseFilter(input: unknown, options: ParseOptions = {}): Filter {
  const ctx: Ctx = {
    label: options.label ?? "q",
    dataPrefix: options.dataPrefix ?? false,
    maxDepth: options.maxDepth ?? 8,
    maxNodes: options.maxNodes ?? 1000,
    maxIn: options.maxInValues ?? 1000,
    nodes: 0,
  };
  if (!isObject(input)) throw queryError(ctx.label, `expected an object, got ${show(input)}`);
  return parseObject(ctx, input, "", 0, ctx.dataPrefix);
}

/**
 * Parses a query-string filter: empty or missing → match-all; otherwise `JSON.parse` then
 * {@link parseFilter}. JSON `null` also means match-all.
 *
 * @throws FnbaseError `INVALID_QUERY` `Invalid q: not valid JSON: ...`
 * @example
 * parseQueryParam(url.searchParams.get("q") ?? undefined);
 */
export function parseQueryParam(
  raw: string | undefined,
  name = "q",
  options: ParseOptions = {},
): Filter {
  if (raw === undefined || raw.trim() === "") return constant(true);
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch (err) {
    throw queryError(name, `not valid JSON: ${(err as Error).message}`);
  }
  if (input === null) return constant(true);
  return parseFilter(input, { label: name, ...options });
}

const where = (at: string) => (at === "" ? "at the top level" : `at "${at}"`);

function enter(ctx: Ctx, depth: number, at: string): number {
  if (depth + 1 > ctx.maxDepth) {
    throw queryError(ctx.label, `nested more than ${ctx.maxDepth} levels deep ${where(at)}`);
  }
  return depth + 1;
}

function count(ctx: Ctx): void {
  if (++ctx.nodes > ctx.maxNodes) {
    throw queryError(ctx.label, `more than ${ctx.maxNodes} conditions`);
  }
}

function parseObject(
  ctx: Ctx,
  obj: Record<string, unknown>,
  at: string,
  depth: number,
  prefixed: boolean,
): Filter {
  const parts: Filter[] = [];
  const prefix = at === "" ? "" : `${at}.`;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (key.startsWith("$")) {
      if (!COMBINATORS.has(key)) {
        throw queryError(ctx.label, `unknown operator ${show(key)} ${where(at)}`);
      }
      if (!Array.isArray(value) || value.length === 0) {
        throw queryError(
          ctx.label,
          `${key} expects a non-empty array of filters ${where(`${prefix}${key}`)}, got ${show(value)}`,
        );
      }
      const inner = enter(ctx, depth, `${prefix}${key}`);
      const filters = value.map((item: unknown, i) => {
        const here = `${prefix}${key}[${i}]`;
        if (!isObject(item)) {
          throw queryError(ctx.label, `expected a filter object ${where(here)}, got ${show(item)}`);
        }
        return parseObject(ctx, item, here, inner, prefixed);
      });
      parts.push(
        key === "$and" ? and(...filters) : key === "$or" ? or(...filters) : nor(...filters),
      );
    } else {
      const path = fieldPath(ctx, key, at, prefixed);
      parts.push(parseFieldValue(ctx, path, value, `${prefix}${key}`, depth));
    }
  }
  return and(...parts);
}

function fieldPath(ctx: Ctx, key: string, at: string, prefixed: boolean): FieldPath {
  if (prefixed && (key === "data" || key.startsWith("data."))) {
    if (key === "data") {
      throw queryError(
        ctx.label,
        `"data" needs a field name after it ("data.<field>") ${where(at)}`,
      );
    }
    return parseFieldName(key.slice(5), ctx.label, at);
  }
  return parseFieldName(key, ctx.label, at);
}

/** True for `{ $gt: 1, ... }`: a non-empty object whose keys all start with `$`. */
function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith("$"));
}

function parseFieldValue(
  ctx: Ctx,
  path: FieldPath,
  value: unknown,
  at: string,
  depth: number,
): Filter {
  if (isOperatorObject(value)) {
    return and(...parseOperators(ctx, value, at, depth).map((c) => field(path, c)));
  }
  count(ctx);
  if (Array.isArray(value))
    return field(path, { op: "in", values: checkList(ctx, value, "$in", at) });
  if (isObject(value) && Object.keys(value).some((k) => k.startsWith("$"))) {
    throw queryError(ctx.label, `operators mixed with field names ${where(at)}: ${show(value)}`);
  }
  return field(path, { op: "eq", value: checkValue(ctx, value, at) });
}

function parseOperators(
  ctx: Ctx,
  ops: Record<string, unknown>,
  at: string,
  depth: number,
): FieldCondition[] {
  const conditions: FieldCondition[] = [];
  let pattern: string | undefined;
  let options: string | undefined;
  for (const op of Object.keys(ops)) {
    const v = ops[op];
    const here = `${at}.${op}`;
    if (op !== "$options") count(ctx);
    switch (op) {
      case "$eq":
      case "$ne":
        conditions.push({ op: op === "$eq" ? "eq" : "ne", value: checkValue(ctx, v, here) });
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        if (typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") {
          throw queryError(
            ctx.label,
            `${op} expects a number, string or boolean at "${at}", got ${show(v)}`,
          );
        }
        conditions.push({ op: ORDERED[op], value: v });
        break;
      case "$in":
      case "$nin":
      case "$all": {
        if (!Array.isArray(v)) {
          throw queryError(ctx.label, `${op} expects an array at "${at}", got ${show(v)}`);
        }
        const values = checkList(ctx, v, op, at);
        conditions.push(
          op === "$in"
            ? { op: "in", values }
            : op === "$nin"
              ? { op: "nin", values }
              : { op: "all", values },
        );
        break;
      }
      case "$exists":
        if (typeof v !== "boolean") {
          throw queryError(ctx.label, `$exists expects true or false at "${at}", got ${show(v)}`);
        }
        conditions.push({ op: "exists", value: v });
        break;
      case "$size":
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
          throw queryError(
            ctx.label,
            `$size expects a non-negative integer at "${at}", got ${show(v)}`,
          );
        }
        conditions.push({ op: "size", size: v });
        break;
      case "$regex":
        if (typeof v !== "string") {
          throw queryError(ctx.label, `$regex expects a string at "${at}", got ${show(v)}`);
        }
        pattern = v;
        break;
      case "$options":
        if (typeof v !== "string") {
          throw queryError(ctx.label, `$options expects a string at "${at}", got ${show(v)}`);
        }
        options = v;
        break;
      case "$elemMatch":
        conditions.push(parseElemMatch(ctx, v, here, enter(ctx, depth, here)));
        break;
      case "$not": {
        const inner = enter(ctx, depth, here);
        if (typeof v === "string") {
          conditions.push({ op: "not", conditions: [regexCondition(ctx, v, "", at)] });
        } else if (isOperatorObject(v)) {
          conditions.push({ op: "not", conditions: parseOperators(ctx, v, here, inner) });
        } else {
          throw queryError(
            ctx.label,
            `$not expects an operator object or a regex string at "${at}", got ${show(v)}`,
          );
        }
        break;
      }
      default:
        throw queryError(ctx.label, `unknown operator ${show(op)} at "${at}"`);
    }
  }
  if (options !== undefined && pattern === undefined) {
    throw queryError(ctx.label, `$options without $regex at "${at}"`);
  }
  if (pattern !== undefined) conditions.push(regexCondition(ctx, pattern, options ?? "", at));
  return conditions;
}

function regexCondition(ctx: Ctx, pattern: string, options: string, at: string): FieldCondition {
  const flags = normalizeFlags(options);
  if (flags === undefined) {
    throw queryError(
      ctx.label,
      `$options may hold only i, m, s, u at "${at}", got ${show(options)}`,
    );
  }
  compileRegex(pattern, flags, ctx.label); // throws for invalid, over-long or non-linear patterns
  return { op: "regex", pattern, flags };
}

function parseElemMatch(ctx: Ctx, v: unknown, at: string, depth: number): FieldCondition {
  if (!isObject(v)) {
    throw queryError(ctx.label, `$elemMatch expects an object at "${at}", got ${show(v)}`);
  }
  const keys = Object.keys(v);
  const operators = keys.filter((k) => k.startsWith("$") && !COMBINATORS.has(k));
  if (operators.length > 0 && operators.length < keys.length) {
    throw queryError(
      ctx.label,
      `$elemMatch mixes operators and field names at "${at}": ${show(v)}`,
    );
  }
  if (operators.length > 0) {
    // The element itself is the value: { $elemMatch: { $gte: 5, $lt: 10 } }.
    return {
      op: "elemMatch",
      element: and(...parseOperators(ctx, v, at, depth).map((c) => field([], c))),
    };
  }
  return { op: "elemMatch", element: parseObject(ctx, v, at, depth, false), documents: true };
}

function checkValue(ctx: Ctx, value: unknown, at: string): Json {
  if (value === undefined) throw queryError(ctx.label, `missing value at "${at}"`);
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw queryError(ctx.label, `expected a finite number at "${at}", got ${show(value)}`);
  }
  if (typeof value === "object" && value !== null) {
    if (jsonDepth(value, MAX_VALUE_DEPTH) > MAX_VALUE_DEPTH) {
      throw queryError(
        ctx.label,
        `value nested more than ${MAX_VALUE_DEPTH} levels deep at "${at}"`,
      );
    }
    if (hasOperatorKey(value as Json)) {
      throw queryError(
        ctx.label,
        `operator inside a value at "${at}": ${show(value)}`,
        'Compare a nested field with a dotted name: { "a.b": { "$gt": 1 } }',
      );
    }
  }
  return value as Json;
}

function checkList(ctx: Ctx, values: unknown[], op: string, at: string): Json[] {
  if (values.length > ctx.maxIn) {
    throw queryError(
      ctx.label,
      `${op} has ${values.length} values at "${at}": at most ${ctx.maxIn}`,
    );
  }
  return values.map((v) => checkValue(ctx, v, at));
}
