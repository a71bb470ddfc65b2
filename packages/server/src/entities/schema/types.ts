/**
 * An entity schema as fnbase reads it: the JSON-Schema subset Base44 projects write in
 * `base44/entities/*.jsonc` (`base44` CLI 0.1.18 `src/core/resources/entity/schema.ts`;
 * `../shared/BASE44-DATA.md` §2.2). Unknown keys are kept as pushed, so a pull gives back the
 * same file.
 */

import type { Json } from "../query/types.js";

/** The JSON types a property may declare. */
export const PROPERTY_TYPES = [
  "string",
  "integer",
  "number",
  "boolean",
  "array",
  "object",
  "null",
] as const;

/** One of {@link PROPERTY_TYPES}. */
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/** An access rule as written: true (anyone), false (no one but the service role), none, or a condition. */
export type RuleValue = boolean | null | "" | Record<string, unknown>;

/** Entity-level access rules; `write` stands for create, update and delete where those are absent. */
export interface EntityRules {
  create?: RuleValue;
  read?: RuleValue;
  update?: RuleValue;
  delete?: RuleValue;
  write?: RuleValue;
}

/** Field-level access rules; `write` stands for create and update where those are absent. */
export interface FieldRules {
  read?: RuleValue;
  write?: RuleValue;
  create?: RuleValue;
  update?: RuleValue;
}

/** A property of an entity (or of an object property, or an array's items). */
export interface PropertySchema {
  /** One type or several (`["string", "null"]`); absent means any. */
  type?: PropertyType | PropertyType[];
  items?: PropertySchema;
  properties?: Record<string, PropertySchema>;
  required?: string[];
  default?: Json;
  enum?: Json[];
  format?: string;
  rls?: FieldRules;
  /** fnbase: keep an index on this field. */
  index?: boolean;
  [key: string]: unknown;
}

/** A checked entity schema. */
export interface EntitySchema {
  name: string;
  type: "object";
  properties: Record<string, PropertySchema>;
  required: string[];
  rls?: EntityRules;
  /** fnbase: fields (or lists of fields) to index, besides those marked `index: true`. */
  indexes?: (string | string[])[];
  [key: string]: unknown;
}

/**
 * Fields every record has, set by the server and ignored when a caller sends them
 * (`../shared/BASE44-DATA.md` §1.4).
 */
export const BUILTIN_FIELDS = [
  "id",
  "created_date",
  "updated_date",
  "created_by",
  "created_by_id",
] as const;

/** Internal fields of hosted Base44 records; never stored from a caller's body. */
export const INTERNAL_FIELDS = [
  "_id",
  "app_id",
  "entity_name",
  "is_deleted",
  "deleted_date",
  "environment",
] as const;

/** The name of the app's users as an entity. */
export const USER_ENTITY = "User";

/** Fields of the User entity that its schema may not declare (`base44` CLI dev server wording). */
export const USER_BASE_FIELDS = ["email", "full_name"] as const;
