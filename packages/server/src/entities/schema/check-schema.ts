import { FnbaseError } from "@fnbase/shared";
import { fieldNameProblem } from "../query/index.js";
import { checkRule } from "../rules/rule-syntax.js";
import {
  type EntitySchema,
  PROPERTY_TYPES,
  type PropertySchema,
  type PropertyType,
  USER_BASE_FIELDS,
  USER_ENTITY,
} from "./types.js";

/** Entity names: identifiers, optionally dotted (`commerce.Cart` occurs in real apps). */
export const ENTITY_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Longest entity name. */
export const MAX_ENTITY_NAME = 100;
const MAX_DEPTH = 10;
const MAX_PROPERTIES = 1_000;
/** Largest schema, as JSON. */
export const MAX_SCHEMA_BYTES = 256 * 1024;
/** Most entities one app may have. */
export const MAX_ENTITIES = 500;

const RULE_KEYS = ["create", "read", "update", "delete", "write"] as const;
const FIELD_RULE_KEYS = ["read", "write", "create", "update"] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function fail(entity: string, message: string, hint?: string): never {
  throw new FnbaseError("INVALID_SCHEMA", `Invalid schema of entity "${entity}": ${message}`, {
    ...(hint ? { hint } : {}),
  });
}

/** Checks an entity name; throws INVALID_SCHEMA. */
export function checkEntityName(name: unknown): string {
  if (typeof name !== "string" || !ENTITY_NAME.test(name) || name.length > MAX_ENTITY_NAME) {
    throw new FnbaseError(
      "INVALID_SCHEMA",
      `Invalid entity name: ${JSON.stringify(name)}: use letters, digits and _ (dots between parts), at most ${MAX_ENTITY_NAME} characters`,
    );
  }
  return name;
}

function checkType(entity: string, at: string, type: unknown): void {
  const types = Array.isArray(type) ? type : [type];
  if (types.length === 0) fail(entity, `"type" of ${at} is an empty list`);
  for (const t of types) {
    if (typeof t !== "string" || !PROPERTY_TYPES.includes(t as PropertyType)) {
      fail(
        entity,
        `unsupported type ${JSON.stringify(t)} of ${at}`,
        `Use one of ${PROPERTY_TYPES.join(", ")}`,
      );
    }
  }
}

function checkRules(entity: string, at: string, rules: unknown, keys: readonly string[]): void {
  if (rules === undefined || rules === null) return;
  if (!isObject(rules)) fail(entity, `"rls" of ${at} must be an object`);
  for (const [key, rule] of Object.entries(rules)) {
    if (!keys.includes(key)) {
      fail(entity, `unknown rule "${key}" in "rls" of ${at}`, `Rules are ${keys.join(", ")}`);
    }
    try {
      checkRule(rule);
    } catch (err) {
      fail(entity, `rule "${key}" of ${at}: ${(err as Error).message}`);
    }
  }
}

function checkProperty(
  entity: string,
  at: string,
  prop: unknown,
  depth: number,
  count: { n: number },
): void {
  if (++count.n > MAX_PROPERTIES) fail(entity, `more than ${MAX_PROPERTIES} properties`);
  if (depth > MAX_DEPTH) fail(entity, `${at} is nested deeper than ${MAX_DEPTH} levels`);
  if (!isObject(prop)) fail(entity, `${at} must be an object with a "type"`);
  if (prop.type !== undefined) checkType(entity, at, prop.type);
  if (prop.items !== undefined) checkProperty(entity, `${at}.items`, prop.items, depth + 1, count);
  if (prop.properties !== undefined) checkProperties(entity, at, prop.properties, depth + 1, count);
  if (prop.required !== undefined && !isStringArray(prop.required)) {
    fail(entity, `"required" of ${at} must be a list of property names`);
  }
  if (prop.enum !== undefined && !Array.isArray(prop.enum)) {
    fail(entity, `"enum" of ${at} must be a list`);
  }
  if (prop.index !== undefined && typeof prop.index !== "boolean") {
    fail(entity, `"index" of ${at} must be true or false`);
  }
  checkRules(entity, at, prop.rls, FIELD_RULE_KEYS);
}

function checkProperties(
  entity: string,
  at: string,
  properties: unknown,
  depth: number,
  count: { n: number },
): void {
  if (!isObject(properties)) fail(entity, `"properties" of ${at} must be an object`);
  for (const [name, prop] of Object.entries(properties)) {
    // A property is one segment of a field path: the filter's rules, and no dot.
    if (name.includes(".") || fieldNameProblem(name) !== undefined) {
      fail(
        entity,
        `invalid property name ${JSON.stringify(name)} in ${at}`,
        "Property names cannot contain a dot or start with $",
      );
    }
    checkProperty(entity, `property "${name}"`, prop, depth, count);
  }
}

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string");

/**
 * Checks one pushed entity schema and returns it normalised (`name` and `type: "object"` set,
 * `properties` and `required` present). The name comes from the schema's `name`, else from
 * `key` (the `entityNameToSchema` key), and the two must agree.
 *
 * @throws {FnbaseError} INVALID_SCHEMA naming the entity and the offending part.
 * @example
 * checkEntitySchema("Task", { name: "Task", properties: { title: { type: "string" } } });
 */
export function checkEntitySchema(key: string, raw: unknown): EntitySchema {
  const name = checkEntityName(isObject(raw) && raw.name !== undefined ? raw.name : key);
  if (name !== key) fail(name, `its "name" is "${name}" but it was sent as "${key}"`);
  if (!isObject(raw)) fail(name, "a schema must be a JSON object");
  if (JSON.stringify(raw).length > MAX_SCHEMA_BYTES) {
    fail(name, `larger than ${MAX_SCHEMA_BYTES} bytes`);
  }
  if (raw.type !== undefined && raw.type !== "object") {
    fail(name, `"type" must be "object": ${JSON.stringify(raw.type)}`);
  }
  if (raw.properties === undefined && isObject(raw.schema)) {
    fail(
      name,
      'no "properties" (they are inside a nested "schema" object)',
      'Put "type", "properties" and "required" at the top level of the file',
    );
  }
  const properties = raw.properties ?? {};
  checkProperties(name, "the entity", properties, 1, { n: 0 });
  const required = raw.required ?? [];
  if (!isStringArray(required)) fail(name, '"required" must be a list of property names');
  checkRules(name, "the entity", raw.rls, RULE_KEYS);
  if (raw.indexes !== undefined) {
    const ok =
      Array.isArray(raw.indexes) &&
      raw.indexes.every((i) => typeof i === "string" || (isStringArray(i) && i.length > 0));
    if (!ok) fail(name, '"indexes" must be a list of field names or lists of field names');
  }
  if (name === USER_ENTITY) {
    const base = USER_BASE_FIELDS.filter((f) => f in (properties as object));
    if (base.length > 0) {
      fail(
        name,
        `the User schema cannot contain base fields: ${base.join(", ")}`,
        "Every user has email and full_name already; declare only your own fields",
      );
    }
  }
  return normalizeSchema(name, raw);
}

/**
 * A schema as requests use it: `name`, `type: "object"`, `properties` and `required` always
 * present. Does not check: use it on schemas {@link checkEntitySchema} accepted when pushed.
 */
export function normalizeSchema(name: string, raw: Record<string, unknown>): EntitySchema {
  return {
    ...raw,
    name,
    type: "object",
    properties: (raw.properties ?? {}) as Record<string, PropertySchema>,
    required: Array.isArray(raw.required) ? (raw.required as string[]) : [],
  } as EntitySchema;
}
