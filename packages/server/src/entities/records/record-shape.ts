import { randomBytes } from "node:crypto";
import { FnbaseError } from "@fnbase/shared";
import type { StoredRecord } from "../../store/index.js";
import type { Json } from "../query/types.js";
import { assignFields } from "../query/values.js";

/** A record as callers see it: the entity's fields and the built-ins, flat. */
export type FlatRecord = Record<string, Json>;

/** The random part of the ids this process makes (5 bytes, as in a MongoDB ObjectId). */
let processPart = randomBytes(5).toString("hex");
let counter = 0;

/**
 * A new record id: 24 hex characters laid out as a MongoDB ObjectId, like the ids hosted Base44
 * answers with: the creation time in seconds (8), a random value fixed for this process (10),
 * and a counter (6) that goes up by one with every id. So the ids one process makes increase:
 * records created in the same second (a bulk create) sort by id in the order they were made,
 * and new rows land at the end of the id index. Ids are not secrets (they can be guessed, as
 * ObjectIds can): access rules guard records.
 */
export function newRecordId(): string {
  const secs = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, "0");
  counter = (counter + 1) & 0xffffff;
  // Every 16,777,216 ids the counter starts again, under a new random part.
  if (counter === 0) processPart = randomBytes(5).toString("hex");
  return secs + processPart + counter.toString(16).padStart(6, "0");
}

/** A stored record as the flat object callers see (built-ins win over same-named data). */
export function flat(r: StoredRecord): FlatRecord {
  const f = assignFields(assignFields({} as FlatRecord, r.data), r.builtins);
  f.id = r.id;
  f.created_date = r.created_date;
  f.updated_date = r.updated_date;
  return f;
}

/**
 * The JSON text of `flat(r)`, written from `dataJson` (the text of `r.data`) without building
 * the flat object: the same keys, in the same order, with the same values.
 *
 * @example
 * flatJson(r, JSON.stringify(r.data)) === JSON.stringify(flat(r)); // true
 */
export function flatJson(r: StoredRecord, dataJson: string): string {
  let tail = "";
  for (const [k, v] of Object.entries(r.builtins)) {
    // A field named as a built-in (not one a create keeps): the object decides the order.
    if (Object.hasOwn(r.data, k)) return JSON.stringify(flat(r));
    tail += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  for (const k of ["id", "created_date", "updated_date"] as const) {
    if (Object.hasOwn(r.data, k)) return JSON.stringify(flat(r));
    tail += `,"${k}":${JSON.stringify(r[k])}`;
  }
  return dataJson === "{}" ? `{${tail.slice(1)}}` : `${dataJson.slice(0, -1)}${tail}}`;
}

/** What a `/v2/list` cursor carries: the walk's query, and where the last page ended. */
export interface Cursor {
  /** The `q` of the walk, as sent (JSON text), or "" for none. */
  q: string;
  sort?: string;
  fields?: string;
  distinct?: string;
  /** The last item's sort values and id (records), or the last distinct value. */
  after: { values: Json[]; id: string } | { value: Json };
}

/** True when `c` has a cursor's shape (a caller may send back anything). */
function isCursor(c: unknown): c is Cursor {
  if (typeof c !== "object" || c === null || Array.isArray(c)) return false;
  const o = c as Record<string, unknown>;
  if (typeof o.q !== "string") return false;
  for (const k of ["sort", "fields", "distinct"]) {
    if (o[k] !== undefined && typeof o[k] !== "string") return false;
  }
  const a = o.after;
  if (typeof a !== "object" || a === null || Array.isArray(a)) return false;
  const after = a as Record<string, unknown>;
  // A walk of distinct values ends at a value; a walk of records at sort values and an id.
  if (o.distinct !== undefined) return "value" in after && after.value !== null;
  return Array.isArray(after.values) && typeof after.id === "string";
}

/** Encodes a cursor: opaque to callers (base64url of JSON). */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

/**
 * Decodes a cursor.
 *
 * @throws {FnbaseError} INVALID_QUERY when it is not one this server made.
 */
export function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown;
    if (isCursor(c)) return c;
  } catch {
    // fall through
  }
  throw new FnbaseError(
    "INVALID_QUERY",
    "Invalid cursor: pass next_cursor from the previous page",
    {
      hint: "Start again without a cursor",
    },
  );
}
