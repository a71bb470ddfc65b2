/**
 * JSON values as the evaluator and the update operators see them: reading a path, equality,
 * and ordering within one type. Kept apart from `evaluate.ts` so updates reuse it.
 */

import { isIndexSegment } from "./names.js";
import type { FieldPath, Json } from "./types.js";

/** What a path that leads nowhere reads as (distinct from JSON `null`). */
export const MISSING: unique symbol = Symbol("missing");
export type Missing = typeof MISSING;

/**
 * Copies `from`'s own enumerable fields onto `to` as `{ ...to, ...from }` would (a field already
 * on `to` keeps its place and takes the new value; `__proto__` is a field like any other) and
 * answers `to`. Several times faster than object spread on records (V8 spreads objects of a dozen
 * fields from JSON.parse slowly: 22 µs against under 1 µs for a record of 10 fields here).
 *
 * @example
 * assignFields({ a: 1, b: 2 }, { b: 3, c: 4 }); // { a: 1, b: 3, c: 4 }
 */
export function assignFields<T extends Record<string, unknown>>(to: T, from: object): T {
  for (const k of Object.keys(from)) setField(to, k, (from as Record<string, unknown>)[k]);
  return to;
}

/** `to[k] = v` as an own field, also when `k` is `__proto__` (which `=` would take as the prototype). */
export function setField(to: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") {
    Object.defineProperty(to, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    to[k] = v;
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value at `path` in `doc`, or {@link MISSING}. Segments step into objects (own keys only);
 * an index segment (`"0"`) steps into an array. A path does not fan out over an array in the
 * middle (`items.sku` on `items: [{ sku }]` is missing; MongoDB would look in every element):
 * `$elemMatch` says that. The empty path is `doc` itself.
 */
export function resolvePath(doc: unknown, path: FieldPath): unknown {
  let current: unknown = doc;
  for (const segment of path) {
    if (Array.isArray(current)) {
      if (!isIndexSegment(segment)) return MISSING;
      const i = Number(segment);
      if (i >= current.length) return MISSING;
      current = current[i];
    } else if (isObject(current)) {
      if (!Object.hasOwn(current, segment)) return MISSING;
      current = current[segment];
    } else {
      return MISSING;
    }
    if (current === undefined) return MISSING;
  }
  return current;
}

/**
 * Deep JSON equality, key order included (as MongoDB compares sub-documents, and as SQLite
 * compares the JSON text of two objects).
 */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i]) return false;
    if (!jsonEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}

/**
 * Strings in Unicode code point order, which is the byte order of their UTF-8 form: SQLite's
 * BINARY collation and MongoDB's default. JavaScript's `<` compares UTF-16 code units instead,
 * which puts U+E000..U+FFFF after the astral characters.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Surrogates (D800..DFFF) stand for code points above FFFF: move them past E000..FFFF.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

/**
 * `a` against `b` when both are numbers, both strings or both booleans (false < true):
 * negative, zero or positive; NaN when their types differ (never comparable).
 */
export function compareScalars(a: unknown, b: number | string | boolean): number {
  if (typeof a !== typeof b) return Number.NaN;
  if (typeof b === "number") return (a as number) - b;
  if (typeof b === "string") return compareStrings(a as string, b);
  return Number(a) - Number(b);
}

/** The deepest nesting of arrays and objects in `value` (a scalar is 0), stopping past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  if (typeof value !== "object" || value === null) return 0;
  if (limit <= 0) return 1;
  let deepest = 0;
  const items = Array.isArray(value) ? value : Object.values(value);
  for (const item of items) {
    const d = jsonDepth(item, limit - 1);
    if (d > deepest) deepest = d;
    if (deepest >= limit) break;
  }
  return deepest + 1;
}

/** True when some object inside `value` has a key starting with `$`. */
export function hasOperatorKey(value: Json): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some(hasOperatorKey);
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("$") || hasOperatorKey(v)) return true;
  }
  return false;
}
