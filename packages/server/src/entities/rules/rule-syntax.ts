import { parseFilter } from "../query/index.js";
import type { Filter } from "../query/types.js";
import type { RuleValue } from "../schema/types.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A template such as `{{user.id}}` inside a rule's string value. */
export const TEMPLATE = /\{\{\s*user\.([A-Za-z0-9_.]+)\s*\}\}/g;
/** A string that is one template and nothing else: its value keeps its JSON type. */
const WHOLE_TEMPLATE = /^\{\{\s*user\.([A-Za-z0-9_.]+)\s*\}\}$/;

/** Reads `id`, `email`, `role`, `data.x` or `x` of the user object (custom fields are flat). */
export function userValue(user: Record<string, unknown>, path: string): unknown {
  const parts = (path.startsWith("data.") ? path.slice(5) : path).split(".");
  let v: unknown = user;
  for (const p of parts) {
    if (!isObject(v) || !Object.hasOwn(v, p)) return undefined;
    v = v[p];
  }
  return v;
}

/**
 * Fills `{{user.*}}` templates in every string of `value`. A string that is only a template
 * takes the user's value as it is (an id, a number, a list); a template inside a longer string is
 * written as text. Returns `undefined` when a template names something the user does not have:
 * the caller then treats the condition as false, never as "equal to null", which would match
 * every record that lacks the field.
 */
export function fillTemplates(value: unknown, user: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = WHOLE_TEMPLATE.exec(value);
    if (whole) {
      const v = userValue(user, whole[1]!);
      return v === null ? undefined : v;
    }
    let missing = false;
    const text = value.replace(TEMPLATE, (_m, path: string) => {
      const v = userValue(user, path);
      if (v === undefined || v === null) missing = true;
      return String(v ?? "");
    });
    return missing ? undefined : text;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const v = fillTemplates(item, user);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  }
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(value)) {
      const v = fillTemplates(item, user);
      if (v === undefined) return undefined;
      out[k] = v;
    }
    return out;
  }
  return value;
}

/** True for a rule that restricts nothing: absent, null, "" or {}. */
export function isOpenRule(rule: RuleValue | undefined): boolean {
  return (
    rule === undefined ||
    rule === null ||
    rule === "" ||
    (isObject(rule) && Object.keys(rule).length === 0)
  );
}

/**
 * Walks a condition rule, calling `field` for each record condition (`{ key: value }`) and
 * `user` for each `user_condition`, and joins the answers with the rule's `$and`/`$or`/`$nor`.
 * Several keys in one object are an implicit AND.
 */
export function walkRule<T>(
  rule: Record<string, unknown>,
  on: {
    field: (key: string, value: unknown) => T;
    user: (condition: Record<string, unknown>) => T;
    and: (parts: T[]) => T;
    or: (parts: T[]) => T;
    nor: (parts: T[]) => T;
  },
): T {
  const parts: T[] = [];
  for (const [key, value] of Object.entries(rule)) {
    if (key === "user_condition") {
      if (!isObject(value)) throw new Error('"user_condition" must be an object');
      parts.push(on.user(value));
    } else if (key === "$and" || key === "$or" || key === "$nor") {
      if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) {
        throw new Error(`"${key}" must be a non-empty list of conditions`);
      }
      const subs = value.map((v) => walkRule(v as Record<string, unknown>, on));
      parts.push(key === "$and" ? on.and(subs) : key === "$or" ? on.or(subs) : on.nor(subs));
    } else {
      parts.push(on.field(key, value));
    }
  }
  return on.and(parts);
}

/**
 * Checks a rule's syntax when a schema is pushed, so a bad rule fails at push time and not on
 * the first request: booleans, empty rules, and conditions whose record and user parts parse
 * as filters (templates stand in as strings).
 *
 * @throws {Error} with a message saying what is wrong.
 */
export function checkRule(rule: unknown): void {
  if (typeof rule === "boolean" || isOpenRule(rule as RuleValue)) return;
  if (!isObject(rule)) throw new Error("a rule must be true, false, null or a condition object");
  walkRule<Filter | null>(rule, {
    field: (key, value) => parseFilter({ [key]: value }, { dataPrefix: true }),
    user: (condition) => parseFilter(condition, { dataPrefix: true }),
    and: () => null,
    or: () => null,
    nor: () => null,
  });
}
