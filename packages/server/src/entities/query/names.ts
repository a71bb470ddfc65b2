/**
 * Field names as the wire writes them (`address.city`) and the checks every step shares
 * (filters, sort, fields, update operators), plus the one way this module builds its errors.
 */

import { FnbaseError } from "@fnbase/shared";
import type { FieldPath } from "./types.js";

/** At most this many dot-separated segments in a field name. */
export const MAX_PATH_SEGMENTS = 8;
/** At most this many UTF-16 code units in one segment. */
export const MAX_SEGMENT_LENGTH = 128;

/** The built-in fields: the server sets them; no update may. */
export const BUILT_IN_FIELDS: ReadonlySet<string> = new Set([
  "id",
  "created_date",
  "updated_date",
  "created_by",
  "created_by_id",
]);

/** An array index segment: digits without a leading zero, at most 9 of them. */
const INDEX_SEGMENT = /^(?:0|[1-9][0-9]{0,8})$/;

/** True when `segment` can index an array (`"0"`, `"12"`; not `"01"`). */
export function isIndexSegment(segment: string): boolean {
  return INDEX_SEGMENT.test(segment);
}

/**
 * The `FnbaseError("INVALID_QUERY")` every check of this module throws.
 *
 * @example
 * throw queryError("q", 'unknown operator "$foo" at "status"');
 * // message: Invalid q: unknown operator "$foo" at "status"
 */
export function queryError(label: string, detail: string, hint?: string): FnbaseError {
  return new FnbaseError(
    "INVALID_QUERY",
    `Invalid ${label}: ${detail}`,
    hint === undefined ? {} : { hint },
  );
}

/** A value shown in an error message: JSON, cut to 60 characters. */
export function show(value: unknown): string {
  let text: string;
  try {
    text =
      value === undefined || (typeof value === "number" && !Number.isFinite(value))
        ? String(value)
        : (JSON.stringify(value) ?? String(value));
  } catch {
    // Nested too deep for JSON.stringify (and String, which recurses into arrays too).
    text = Array.isArray(value) ? "[...]" : typeof value === "object" ? "{...}" : String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Why `name` is not a valid field name, or undefined when it is. A valid name is 1 to
 * {@link MAX_PATH_SEGMENTS} segments separated by dots, each non-empty, at most
 * {@link MAX_SEGMENT_LENGTH} long, not starting with `$` and free of control characters.
 */
export function fieldNameProblem(name: string): string | undefined {
  if (name.length === 0) return "empty field name";
  const segments = name.split(".");
  if (segments.length > MAX_PATH_SEGMENTS) {
    return `field name ${show(name)} has more than ${MAX_PATH_SEGMENTS} segments`;
  }
  for (const segment of segments) {
    if (segment.length === 0) return `field name ${show(name)} has an empty segment`;
    if (segment.length > MAX_SEGMENT_LENGTH) {
      return `field name ${show(name)} has a segment over ${MAX_SEGMENT_LENGTH} characters`;
    }
    if (segment.charCodeAt(0) === 36 /* $ */) {
      return `field name ${show(name)} starts a segment with "$"`;
    }
    for (let i = 0; i < segment.length; i++) {
      const c = segment.charCodeAt(i);
      if (c < 0x20 || c === 0x7f) {
        return `field name ${show(name)} holds a control character`;
      }
    }
  }
  return undefined;
}

/**
 * Splits a checked field name into its path; throws `INVALID_QUERY` (`Invalid <label>: ...`)
 * naming the field and, when given, where it stood.
 *
 * @example
 * parseFieldName("address.city", "q"); // ["address", "city"]
 */
export function parseFieldName(name: string, label: string, at?: string): FieldPath {
  const problem = fieldNameProblem(name);
  if (problem !== undefined) {
    throw queryError(label, at === undefined || at === "" ? problem : `${problem} at "${at}"`);
  }
  return name.split(".");
}
