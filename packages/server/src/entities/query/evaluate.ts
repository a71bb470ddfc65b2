/**
 * The in-memory evaluator of a {@link Filter}: what decides realtime events, automation
 * triggers, create-time access rules and field rules, where there is no SQL to run. It and the
 * SQL compilers implement one meaning (the shared table of cases in `cases.fixture.ts` runs
 * against both):
 *
 * - A condition on a field holding an array matches when the array as a whole matches or any
 *   element does (`eq`, `in`, `all`, `gt`..`lte`, `regex`); `ne`/`nin` are the negations, so
 *   `{ tags: { $ne: "a" } }` means "no element is "a"".
 * - `null` matches null, a missing field, and an array holding null.
 * - Ordered comparisons hold only within one type (numbers, strings in code point order,
 *   booleans with false < true); a string "5" never compares with the number 5.
 * - Objects compare deeply and key order matters (MongoDB, and the JSON text SQLite compares).
 * - Built-in fields are always present in a stored record (null when unset): records given to
 *   {@link matches} carry every built-in key, as the store returns them.
 */

import { compileRegex } from "./regex.js";
import type { FieldCondition, Filter, Json } from "./types.js";
import { compareScalars, isObject, jsonEquals, MISSING, resolvePath } from "./values.js";

/**
 * True when `record` (a flat record: built-ins and user fields at top level) matches `filter`.
 * Never throws for a filter that {@link parseFilter} produced.
 *
 * @example
 * matches(parseFilter({ tags: "urgent" }), { id: "r1", tags: ["urgent", "ops"] }); // true
 */
export function matches(filter: Filter, record: Record<string, unknown>): boolean {
  return test(filter, record);
}

/**
 * What a condition decides for a field that is absent (`exists: false`, `eq: null`, `ne: 5`
 * are true; most others false). The SQL compilers use it for paths that cannot exist.
 */
export function matchesMissing(condition: FieldCondition): boolean {
  return testValue(MISSING, condition, true);
}

/**
 * True when one array element matches an `elemMatch` condition's element filter (the `$pull`
 * update operator uses it too).
 */
export function elementMatches(
  element: unknown,
  condition: { element: Filter; documents?: boolean },
): boolean {
  if (condition.documents === true && !isObject(element)) return false;
  return test(condition.element, element);
}

function test(filter: Filter, doc: unknown): boolean {
  switch (filter.kind) {
    case "const":
      return filter.value;
    case "and":
      return filter.filters.every((f) => test(f, doc));
    case "or":
      return filter.filters.some((f) => test(f, doc));
    case "nor":
      return !filter.filters.some((f) => test(f, doc));
    case "field":
      // The empty path is an array element tested as one value: no fan-out into it.
      return testValue(resolvePath(doc, filter.path), filter.condition, filter.path.length > 0);
  }
}

function testValue(v: unknown, c: FieldCondition, fanout: boolean): boolean {
  switch (c.op) {
    case "eq":
      return equalsAny(v, c.value, fanout);
    case "ne":
      return !equalsAny(v, c.value, fanout);
    case "gt":
      return some(v, fanout, (x) => compareScalars(x, c.value) > 0);
    case "gte":
      return some(v, fanout, (x) => compareScalars(x, c.value) >= 0);
    case "lt":
      return some(v, fanout, (x) => compareScalars(x, c.value) < 0);
    case "lte":
      return some(v, fanout, (x) => compareScalars(x, c.value) <= 0);
    case "in":
      return c.values.some((x) => equalsAny(v, x, fanout));
    case "nin":
      return !c.values.some((x) => equalsAny(v, x, fanout));
    case "exists":
      return (v !== MISSING) === c.value;
    case "regex": {
      const re = compileRegex(c.pattern, c.flags);
      return some(v, fanout, (x) => typeof x === "string" && re.test(x));
    }
    case "all":
      return c.values.length > 0 && c.values.every((x) => equalsAny(v, x, fanout));
    case "size":
      return Array.isArray(v) && v.length === c.size;
    case "elemMatch":
      return Array.isArray(v) && v.some((e) => elementMatches(e, c));
    case "not":
      return !c.conditions.every((inner) => testValue(v, inner, fanout));
  }
}

/** `v` equals `x`, or (fan-out) one element of the array `v` does. */
function equalsAny(v: unknown, x: Json, fanout: boolean): boolean {
  if (x === null) {
    return v === MISSING || v === null || (fanout && Array.isArray(v) && v.includes(null));
  }
  if (v === MISSING) return false;
  if (jsonEquals(v, x)) return true;
  return fanout && Array.isArray(v) && v.some((e) => jsonEquals(e, x));
}

/** `pred` holds for `v`, or (fan-out) for one element of the array `v`. */
function some(v: unknown, fanout: boolean, pred: (x: unknown) => boolean): boolean {
  if (v === MISSING) return false;
  if (pred(v)) return true;
  return fanout && Array.isArray(v) && v.some(pred);
}
