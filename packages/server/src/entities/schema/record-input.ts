import { FnbaseError } from "@fnbase/shared";
import { nestedDeeper } from "../../api/errors.js";
import type { Json } from "../query/types.js";
import { assignFields, setField } from "../query/values.js";
import {
  BUILTIN_FIELDS,
  type EntitySchema,
  INTERNAL_FIELDS,
  type PropertySchema,
  type PropertyType,
} from "./types.js";

/** Deepest nesting of arrays and objects a record may hold. */
export const MAX_RECORD_DEPTH = 32;

const IGNORED = new Set<string>([...BUILTIN_FIELDS, ...INTERNAL_FIELDS]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function invalid(field: string, message: string): never {
  throw new FnbaseError("VALIDATION_FAILED", `Error in field ${field}: ${message}`, { field });
}

/**
 * Checks that `value` nests no deeper than {@link MAX_RECORD_DEPTH} (without recursion: a hostile
 * body may nest 20,000 levels).
 *
 * @throws {FnbaseError} VALIDATION_FAILED.
 */
export function checkDepth(value: unknown, what = "The record"): void {
  if (nestedDeeper(value, MAX_RECORD_DEPTH)) {
    throw new FnbaseError(
      "VALIDATION_FAILED",
      `${what} is nested deeper than ${MAX_RECORD_DEPTH} levels`,
    );
  }
}

function matchesType(value: unknown, type: PropertyType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    case "null":
      return value === null;
  }
}

/**
 * Checks a value against its property: its type (a union passes when one member does), the
 * items of an array and the declared properties of an object, recursively. Messages follow the
 * `base44` CLI dev server (`Error in field <f>: Input should be a valid <type>`).
 */
function checkValue(value: unknown, prop: PropertySchema, field: string): void {
  if (prop.type !== undefined) {
    const types = Array.isArray(prop.type) ? prop.type : [prop.type];
    if (!types.some((t) => matchesType(value, t))) {
      invalid(field, `Input should be a valid ${types.join(" or ")}`);
    }
  }
  if (Array.isArray(value) && prop.items) {
    for (let i = 0; i < value.length; i++) checkValue(value[i], prop.items, `${field}[${i}]`);
  }
  if (isObject(value) && prop.properties) {
    for (const [k, sub] of Object.entries(prop.properties)) {
      const v = value[k];
      if (v === undefined) continue;
      if (v === null && !prop.required?.includes(k)) continue;
      checkValue(v, sub, `${field}.${k}`);
    }
    for (const k of prop.required ?? []) {
      if (value[k] === undefined || value[k] === null) invalid(`${field}.${k}`, "Field required");
    }
  }
}

/**
 * The entity's own fields of a body: built-in and internal fields dropped (the server sets
 * them), undeclared fields dropped (`../shared/BASE44-DATA.md` §1.4: "silently dropped, not
 * rejected").
 */
export function declaredFields(schema: EntitySchema, body: unknown): Record<string, Json> {
  if (!isObject(body)) {
    throw new FnbaseError("BAD_REQUEST", "A record must be a JSON object", {
      hint: 'Send the record\'s fields as an object, e.g. { "title": "Buy milk" }',
    });
  }
  checkDepth(body);
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(body)) {
    if (IGNORED.has(k) || !Object.hasOwn(schema.properties, k) || v === undefined) continue;
    setField(out, k, v as Json);
  }
  return out;
}

/**
 * Checks a whole record's fields against the schema: every required field present and not
 * null, every present field of its declared type. A null is accepted for a field that is not
 * required (a cleared value).
 *
 * @throws {FnbaseError} VALIDATION_FAILED (422) naming the field.
 */
export function checkRecord(schema: EntitySchema, data: Record<string, Json>): void {
  for (const field of schema.required) {
    if (!Object.hasOwn(schema.properties, field)) continue;
    if (data[field] === undefined || data[field] === null) invalid(field, "Field required");
  }
  for (const [k, v] of Object.entries(data)) {
    const prop = schema.properties[k];
    if (!prop) continue;
    if (v === null && !schema.required.includes(k)) continue;
    checkValue(v, prop, k);
  }
}

/** The schema's `default` values, for a create. */
export function defaults(schema: EntitySchema): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, p] of Object.entries(schema.properties)) {
    if (p.default !== undefined) out[k] = structuredClone(p.default);
  }
  return out;
}

/**
 * A new record's fields: the schema's defaults, then the body's declared fields, checked.
 *
 * @example
 * prepareCreate(schema, { title: "Buy milk", id: "x" }); // { title: "Buy milk", done: false }
 */
export function prepareCreate(schema: EntitySchema, body: unknown): Record<string, Json> {
  const data = assignFields(defaults(schema), declaredFields(schema, body));
  checkRecord(schema, data);
  return data;
}

/**
 * An updated record's fields: the stored fields with the body's declared fields merged over them
 * (an update merges; omitted fields keep their values), checked as a whole.
 */
export function prepareUpdate(
  schema: EntitySchema,
  current: Record<string, Json>,
  body: unknown,
): Record<string, Json> {
  const data = assignFields(assignFields({}, current), declaredFields(schema, body));
  checkRecord(schema, data);
  return data;
}

/**
 * Checks the size of a record as stored.
 *
 * @throws {FnbaseError} PAYLOAD_TOO_LARGE (413) past `maxBytes`.
 */
export function checkSize(data: Record<string, Json>, maxBytes: number): string {
  const json = JSON.stringify(data);
  if (Buffer.byteLength(json) > maxBytes) {
    throw new FnbaseError(
      "PAYLOAD_TOO_LARGE",
      `A record is over the limit of ${maxBytes} bytes: ${Buffer.byteLength(json)} bytes`,
      { hint: "Store large content as a file and keep its URL in the record" },
    );
  }
  return json;
}
