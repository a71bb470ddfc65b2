import { FnbaseError } from "@fnbase/shared";
import type { StoredRecord } from "../../store/index.js";
import { constant, parseFilter } from "../query/index.js";
import type { Filter, Json } from "../query/types.js";
import type { Actor, Operation } from "../rules/access.js";
import { checkDepth, checkRecord, checkSize, declaredFields } from "../schema/record-input.js";
import type { EntitySchema } from "../schema/types.js";
import type { FlatRecord } from "./record-shape.js";

/** Largest custom data of one user, as JSON. */
export const MAX_USER_DATA_BYTES = 64 * 1024;

/** Body fields that are never a user's custom data. */
const NOT_DATA = new Set([
  "id",
  "_id",
  "email",
  "full_name",
  "role",
  "app_id",
  "password",
  "password_hash",
  "created_date",
  "updated_date",
  "created_by",
  "created_by_id",
  "is_service",
  "disabled",
  "is_verified",
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** True when the actor is an app admin (a user whose role is `admin`) or the service role. */
export function isUserAdmin(actor: Actor): boolean {
  return actor.kind === "service" || (actor.kind === "user" && actor.user.role === "admin");
}

/**
 * The User entity's fixed access rules (`../shared/BASE44-DATA.md` §2.8): the service role and
 * admins read, update and delete every user; a user reads and updates their own row only; no one
 * creates users here (they register or are invited); anonymous callers are refused.
 *
 * @throws {FnbaseError} UNAUTHORIZED for an anonymous caller.
 */
export function userAccess(op: Operation, actor: Actor): Filter {
  if (actor.kind === "anonymous") {
    throw new FnbaseError("UNAUTHORIZED", "Missing token: send Authorization: Bearer <token>", {
      hint: "Log in with POST /api/apps/{appId}/auth/login to get an access token",
    });
  }
  if (op === "create") return constant(false);
  if (isUserAdmin(actor)) return constant(true);
  if (op === "delete" || actor.kind !== "user") return constant(false);
  return parseFilter({ id: actor.user.id });
}

/** The roles a user may hold: the `enum` of the User schema's `role`, else `user` and `admin`. */
export function allowedRoles(schema: EntitySchema): string[] {
  const e = schema.properties.role?.enum;
  // "service" is the service role's, never a user's.
  return Array.isArray(e) && e.every((r) => typeof r === "string") && e.length > 0
    ? (e as string[]).filter((r) => r !== "service")
    : ["user", "admin"];
}

/**
 * Applies a `PUT` body to a user: `full_name`, `role` (admins and the service role only, one
 * of {@link allowedRoles}) and custom fields (only those the User schema declares when the app
 * pushed one; any other name otherwise). Email, id and dates never change here; a password is
 * refused.
 *
 * @throws {FnbaseError} BAD_REQUEST, FORBIDDEN, VALIDATION_FAILED, PAYLOAD_TOO_LARGE.
 */
export function changeUser(
  current: StoredRecord,
  body: unknown,
  actor: Actor,
  schema: EntitySchema,
  declaredOnly: boolean,
  now: string,
): StoredRecord {
  if (!isObject(body)) throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object");
  if ("password" in body || "password_hash" in body) {
    throw new FnbaseError("BAD_REQUEST", "A password cannot be changed through this route", {
      hint: "Use POST /api/apps/{appId}/auth/change-password",
    });
  }
  const builtins = { ...current.builtins };
  if (body.full_name !== undefined) {
    if (body.full_name !== null && typeof body.full_name !== "string") {
      throw new FnbaseError("BAD_REQUEST", '"full_name" must be a string', { field: "full_name" });
    }
    builtins.full_name = body.full_name;
  }
  if (body.role !== undefined && body.role !== current.builtins.role) {
    if (!isUserAdmin(actor)) {
      throw new FnbaseError("FORBIDDEN", "Only an admin can change a user's role", {
        field: "role",
      });
    }
    const roles = allowedRoles(schema);
    if (typeof body.role !== "string" || !roles.includes(body.role)) {
      throw new FnbaseError("BAD_REQUEST", `Invalid role: ${JSON.stringify(body.role)}`, {
        hint: `Roles of this app: ${roles.join(", ")} (declare more as an enum on "role" in User.jsonc)`,
        field: "role",
      });
    }
    builtins.role = body.role;
  }
  checkDepth(body, "The user");
  const custom: Record<string, Json> = {};
  const source = declaredOnly ? declaredFields(schema, body) : body;
  for (const [k, v] of Object.entries(source)) {
    if (!NOT_DATA.has(k) && v !== undefined) custom[k] = v as Json;
  }
  const data: Record<string, Json> = { ...current.data };
  for (const [k, v] of Object.entries(custom)) {
    if (v === null && !declaredOnly) delete data[k];
    else data[k] = v;
  }
  if (declaredOnly) checkRecord({ ...schema, required: [] }, data);
  checkSize(data, MAX_USER_DATA_BYTES);
  return { ...current, builtins, data, updated_date: now };
}

/** A user as callers see it (what `auth.me()` returns): the flat record and its app. */
export function userOut(record: FlatRecord, appId: string): FlatRecord {
  return { ...record, app_id: appId };
}
