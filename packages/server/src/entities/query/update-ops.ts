/**
 * The update operators of `updateMany` (`PATCH .../update-many`, body `{ query, data }`): the
 * set `@base44/sdk` 0.8.50 documents (`dist/modules/entities.types.d.ts`, BASE44-DATA.md §1.6):
 * `$set $rename $unset $inc $mul $min $max $currentDate $addToSet $push $pull`, each field in at
 * most one operator. Parsed and checked once here; `update-apply.ts` applies them per record.
 */

import { BUILT_IN_FIELDS, parseFieldName, queryError, show } from "./names.js";
import { parseFilter } from "./parse.js";
import type { FieldCondition, FieldPath, Json } from "./types.js";
import { hasOperatorKey, isObject, jsonDepth } from "./values.js";

/** One checked update operation on one field. */
export type UpdateOp =
  | { op: "set"; path: FieldPath; value: Json }
  | { op: "unset"; path: FieldPath }
  | { op: "rename"; path: FieldPath; to: FieldPath }
  | { op: "inc" | "mul"; path: FieldPath; by: number }
  | { op: "min" | "max"; path: FieldPath; value: number | string | boolean | null }
  /** Sets the field to the update time as an ISO-8601 UTC string (`{ $type: "timestamp" }` too). */
  | { op: "currentDate"; path: FieldPath }
  | { op: "addToSet" | "push"; path: FieldPath; values: Json[] }
  /** Removes the elements matching `element` (a value, operators, or a sub-filter on objects). */
  | { op: "pull"; path: FieldPath; element: Extract<FieldCondition, { op: "elemMatch" }> };

/** A parsed update. */
export interface UpdateOps {
  readonly ops: readonly UpdateOp[];
  /** The top-level fields the update may change (both sides of a `$rename`), for field rules. */
  readonly fields: readonly string[];
}

const OPERATORS = new Set([
  "$set",
  "$rename",
  "$unset",
  "$inc",
  "$mul",
  "$min",
  "$max",
  "$currentDate",
  "$addToSet",
  "$push",
  "$pull",
]);

/** Most fields in one update, and most values in one `$each`. */
const MAX_FIELDS = 1000;
const MAX_EACH = 1000;
const MAX_VALUE_DEPTH = 32;
const LABEL = "update";

/**
 * Parses and checks an update document.
 *
 * @throws FnbaseError `INVALID_QUERY` `Invalid update: ...` for an unknown operator, a field in
 * two operators (or a field and its parent), a built-in field (`id`, `created_date`,
 * `updated_date`, `created_by`, `created_by_id`), or a value of the wrong type
 * @example
 * parseUpdate({ $set: { status: "done" }, $inc: { attempts: 1 } });
 */
export function parseUpdate(input: unknown): UpdateOps {
  if (!isObject(input))
    throw queryError(LABEL, `expected an object of operators, got ${show(input)}`);
  const keys = Object.keys(input);
  if (keys.length === 0) throw queryError(LABEL, "no operator: expected $set, $inc, ...");
  const ops: UpdateOp[] = [];
  const claimed: { name: string; path: FieldPath }[] = [];
  const claim = (name: string, op: string): FieldPath => {
    const path = parseFieldName(name, LABEL, op);
    if (BUILT_IN_FIELDS.has(path[0]!)) {
      throw queryError(LABEL, `${op} may not change the built-in field ${show(path[0])}`);
    }
    for (const other of claimed) {
      const n = Math.min(other.path.length, path.length);
      if (other.path.slice(0, n).every((s, i) => s === path[i])) {
        throw queryError(
          LABEL,
          `${show(name)} conflicts with ${show(other.name)}: a field may appear in one operator only`,
        );
      }
    }
    claimed.push({ name, path });
    if (claimed.length > MAX_FIELDS) throw queryError(LABEL, `more than ${MAX_FIELDS} fields`);
    return path;
  };
  for (const op of keys) {
    if (!OPERATORS.has(op)) {
      throw queryError(
        LABEL,
        op.startsWith("$")
          ? `unknown operator ${show(op)}`
          : `expected update operators ($set, ...), got the field ${show(op)}`,
      );
    }
    const body = input[op];
    if (!isObject(body))
      throw queryError(LABEL, `${op} expects an object of fields, got ${show(body)}`);
    for (const [name, v] of Object.entries(body)) {
      const path = claim(name, op);
      ops.push(parseOne(op, name, path, v, claim));
    }
  }
  const fields = [...new Set(claimed.map((c) => c.path[0]!))];
  return { ops, fields };
}

function parseOne(
  op: string,
  name: string,
  path: FieldPath,
  v: unknown,
  claim: (name: string, op: string) => FieldPath,
): UpdateOp {
  const at = `${op}.${name}`;
  switch (op) {
    case "$set":
      return { op: "set", path, value: value(v, at) };
    case "$unset":
      return { op: "unset", path };
    case "$rename":
      if (typeof v !== "string")
        throw queryError(LABEL, `$rename expects a field name at "${at}", got ${show(v)}`);
      return { op: "rename", path, to: claim(v, op) };
    case "$inc":
    case "$mul":
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw queryError(LABEL, `${op} expects a number at "${at}", got ${show(v)}`);
      }
      return { op: op === "$inc" ? "inc" : "mul", path, by: v };
    case "$min":
    case "$max":
      if (v !== null && typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") {
        throw queryError(
          LABEL,
          `${op} expects a number, string, boolean or null at "${at}", got ${show(v)}`,
        );
      }
      return { op: op === "$min" ? "min" : "max", path, value: v };
    case "$currentDate":
      if (
        v !== true &&
        !(
          isObject(v) &&
          (v.$type === "date" || v.$type === "timestamp") &&
          Object.keys(v).length === 1
        )
      ) {
        throw queryError(
          LABEL,
          `$currentDate expects true or { "$type": "date" } at "${at}", got ${show(v)}`,
        );
      }
      return { op: "currentDate", path };
    case "$addToSet":
    case "$push": {
      let values: Json[];
      if (isObject(v) && Object.keys(v).some((k) => k.startsWith("$"))) {
        const extra = Object.keys(v).filter((k) => k !== "$each");
        if (extra.length > 0)
          throw queryError(
            LABEL,
            `${op} supports only the $each modifier at "${at}", got ${show(extra[0])}`,
          );
        if (!Array.isArray(v.$each))
          throw queryError(LABEL, `$each expects an array at "${at}", got ${show(v.$each)}`);
        if (v.$each.length > MAX_EACH)
          throw queryError(
            LABEL,
            `$each has ${v.$each.length} values at "${at}": at most ${MAX_EACH}`,
          );
        values = v.$each.map((x) => value(x, at));
      } else {
        values = [value(v, at)];
      }
      return { op: op === "$push" ? "push" : "addToSet", path, values };
    }
    default: {
      // $pull: a value (elements equal to it), operators ({ $gte: 6 }) or a sub-filter on
      // object elements ({ qty: 0 }), read exactly as $elemMatch reads its argument.
      const condition = isObject(v) ? { $elemMatch: v } : { $elemMatch: { $eq: v } };
      const probe = parseFilter({ [name]: condition }, { label: LABEL });
      if (probe.kind !== "field" || probe.condition.op !== "elemMatch") {
        throw queryError(LABEL, `$pull cannot read its condition at "${at}": ${show(v)}`);
      }
      return { op: "pull", path, element: probe.condition };
    }
  }
}

function value(v: unknown, at: string): Json {
  if (v === undefined) throw queryError(LABEL, `missing value at "${at}"`);
  if (typeof v === "number" && !Number.isFinite(v))
    throw queryError(LABEL, `expected a finite number at "${at}"`);
  if (typeof v === "object" && v !== null) {
    if (jsonDepth(v, MAX_VALUE_DEPTH) > MAX_VALUE_DEPTH) {
      throw queryError(LABEL, `value nested more than ${MAX_VALUE_DEPTH} levels deep at "${at}"`);
    }
    if (hasOperatorKey(v as Json))
      throw queryError(LABEL, `a key starting with "$" inside the value at "${at}"`);
  }
  return v as Json;
}
