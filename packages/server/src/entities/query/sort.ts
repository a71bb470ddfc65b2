/**
 * The list parameters of `GET .../entities/{E}` and `/v2/list` besides `q`: `sort`, `fields`,
 * `limit`, `skip` (`@base44/sdk` 0.8.50 `dist/modules/entities.js`; BASE44-DATA.md §1.3, §1.5,
 * §1.7), and the `fields` projection.
 */

import { parseFieldName, queryError, show } from "./names.js";
import type { FieldPath, Json, SortKey } from "./types.js";
import { isObject, MISSING, resolvePath } from "./values.js";

/** The order when `sort` is omitted: newest first, as the SDK documents. */
export const DEFAULT_SORT: readonly SortKey[] = Object.freeze([
  Object.freeze({ path: Object.freeze(["created_date"]), descending: true }),
]);

/**
 * Parses `sort`: `-field` descending, `+field` or `field` ascending. The SDK sends one field;
 * a comma-separated list of keys is accepted as an extension. A leading space counts as `+`
 * (an unescaped `+` arrives as a space after form decoding). Omitted or empty → `-created_date`.
 *
 * @throws FnbaseError `INVALID_QUERY` `Invalid sort: ...`
 * @example
 * parseSort("-due_date,title"); // [{ path: ["due_date"], descending: true }, { path: ["title"], descending: false }]
 */
export function parseSort(raw: string | undefined): SortKey[] {
  if (raw === undefined || raw.trim() === "") return DEFAULT_SORT.map((k) => ({ ...k }));
  return raw.split(",").map((entry) => {
    let name = entry.trim();
    let descending = false;
    if (name.startsWith("-")) {
      descending = true;
      name = name.slice(1);
    } else if (name.startsWith("+")) {
      name = name.slice(1);
    }
    return { path: parseFieldName(name, "sort"), descending };
  });
}

/**
 * Parses `fields` (`a,b,address.city`): the fields to return, or undefined for all.
 *
 * @throws FnbaseError `INVALID_QUERY` `Invalid fields: ...`
 */
export function parseFields(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  return raw.split(",").map((entry) => {
    const name = entry.trim();
    parseFieldName(name, "fields");
    return name;
  });
}

/** Digits only: no sign, no exponent, no fraction. */
const DIGITS = /^[0-9]+$/;

/**
 * Parses `limit`: digits only; omitted, empty or 0 → `fallback` (the SDK never sends 0; MongoDB
 * reads 0 as "no limit"); over `max` → `max` (hosted Base44 caps silently at 5,000).
 *
 * @throws FnbaseError `INVALID_QUERY` for `-1`, `1.5`, `1e3`, `abc`
 * @example
 * parseLimit("20000", { max: 5000, fallback: 5000 }); // 5000
 */
export function parseLimit(
  raw: string | undefined,
  options: { max: number; fallback: number },
): number {
  if (raw === undefined || raw === "") return options.fallback;
  if (!DIGITS.test(raw)) {
    throw queryError("limit", `expected a whole number, got ${show(raw)}`);
  }
  const n = Number(raw);
  if (n === 0) return options.fallback;
  return Math.min(n, options.max);
}

/**
 * Parses `skip`: digits only; omitted or empty → 0.
 *
 * @throws FnbaseError `INVALID_QUERY` for a malformed or unsafely large number
 */
export function parseSkip(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  const n = Number(raw);
  if (!DIGITS.test(raw) || !Number.isSafeInteger(n)) {
    throw queryError("skip", `expected a whole number, got ${show(raw)}`);
  }
  return n;
}

/**
 * The `fields` projection of a record: the listed fields (dotted names keep the nested value
 * under its parents) and always `id`, which every client needs to address the record (whether
 * hosted Base44 keeps `id` is unconfirmed). Returns a new object.
 *
 * @example
 * project({ id: "r1", title: "T", a: { b: 1, c: 2 } }, ["a.b"]); // { id: "r1", a: { b: 1 } }
 */
export function project(
  record: Record<string, unknown>,
  fields: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Object.hasOwn(record, "id")) out.id = record.id;
  for (const name of fields) {
    const path = name.split(".");
    const value = resolvePath(record, path);
    if (value === MISSING) continue;
    let target = out;
    for (const segment of path.slice(0, -1)) {
      const next = Object.hasOwn(target, segment) ? target[segment] : undefined;
      if (!isObject(next)) {
        const fresh: Record<string, unknown> = {};
        Object.defineProperty(target, segment, {
          value: fresh,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        target = fresh;
      } else {
        target = next;
      }
    }
    Object.defineProperty(target, path[path.length - 1]!, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * The values of `keys` on a record (null when missing): what `compileAfter` needs from the last
 * row of a page to build the next page's cursor.
 */
export function sortValues(record: Record<string, unknown>, keys: readonly SortKey[]): Json[] {
  return keys.map((k: { path: FieldPath }) => {
    const v = resolvePath(record, k.path);
    return v === MISSING ? null : (v as Json);
  });
}
