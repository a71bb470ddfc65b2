import { FnbaseError } from "@fnbase/shared";
import { matches } from "../query/index.js";
import type { Json } from "../query/types.js";
import type { UpdateOp } from "../query/update-ops.js";
import type { EntitySchema, FieldRules, RuleValue } from "../schema/types.js";
import { type Actor, ruleFilter } from "./access.js";
import { isOpenRule } from "./rule-syntax.js";

/** Field-level rules of an entity, by field; empty when it has none (the usual case). */
function fieldRules(schema: EntitySchema): [string, FieldRules][] {
  const out: [string, FieldRules][] = [];
  for (const [k, p] of Object.entries(schema.properties)) if (p.rls) out.push([k, p.rls]);
  return out;
}

function writeRule(rules: FieldRules, op: "create" | "update"): RuleValue | undefined {
  return rules[op] !== undefined ? rules[op] : rules.write;
}

/** True when `rule` lets `actor` through for `record`. */
function allows(rule: RuleValue | undefined, actor: Actor, record: Record<string, unknown>) {
  const f = ruleFilter(rule, actor);
  return f.kind === "const" ? f.value : matches(f, record);
}

/**
 * Removes from a record (flat, as sent to callers) the fields whose `read` rule does not let
 * `actor` see them. Returns the record itself when nothing is hidden.
 */
export function hideFields<T extends Record<string, unknown>>(
  schema: EntitySchema,
  actor: Actor,
  record: T,
): T {
  if (actor.kind === "service") return record;
  let out: T | undefined;
  for (const [field, rules] of fieldRules(schema)) {
    if (!Object.hasOwn(record, field) || allows(rules.read, actor, record)) continue;
    out ??= { ...record };
    delete out[field];
  }
  return out ?? record;
}

/** True when some field of the entity has rules of its own (the usual case: none). */
export function hasFieldRules(schema: EntitySchema): boolean {
  return fieldRules(schema).length > 0;
}

/**
 * True when some field's `read` rule may hide it from `actor` ({@link hideFields} may take
 * something out); false when every field is always readable by them (the usual case).
 */
export function mayHideFields(schema: EntitySchema, actor: Actor): boolean {
  if (actor.kind === "service") return false;
  return fieldRules(schema).some(([, rules]) => {
    const f = ruleFilter(rules.read, actor);
    return !(f.kind === "const" && f.value);
  });
}

/**
 * Refuses a write of a field whose `write` (or `create`/`update`) rule does not let `actor`
 * change it. `record` is the record the rules are judged on (the new one for a create, the
 * stored one for an update); `next` is the record's data after the write, `before` its data
 * before (updates only) and `named` the fields the caller's body names (the keys of a plain
 * update; every field an operator targets, both sides of a `$rename`).
 *
 * A field is refused when its value changes (a create that sets it; an update that changes or
 * removes it, whatever the operator) and also, so that the answer tells nothing of a value the
 * caller cannot see, when the caller names it while its `read` rule hides it from them, even if
 * the value would stay the same (`PUT {amount: guess}` or `$max` would otherwise answer 200 or
 * 403 by comparing with the hidden value). A `$rename` out of a field the caller may not read is
 * refused too, since it would move the hidden value into a field they may read.
 *
 * @throws {FnbaseError} FORBIDDEN (403) naming the field.
 */
export function checkFieldWrites(
  schema: EntitySchema,
  actor: Actor,
  op: "create" | "update",
  record: Record<string, unknown>,
  next: Record<string, Json>,
  before?: Record<string, Json>,
  named: { fields: readonly string[]; renamedFrom?: readonly string[] } = {
    fields: Object.keys(next),
  },
): void {
  if (actor.kind === "service") return;
  const refuse = (field: string, verb: string) => {
    throw new FnbaseError(
      "FORBIDDEN",
      `Permission denied: you cannot ${verb} field "${field}" of ${schema.name}`,
      { field },
    );
  };
  for (const [field, rules] of fieldRules(schema)) {
    const hidden = () => !allows(rules.read, actor, record);
    if (named.renamedFrom?.includes(field) && hidden()) refuse(field, "rename");
    const changes = before
      ? JSON.stringify(before[field]) !== JSON.stringify(next[field])
      : Object.hasOwn(next, field);
    const mentioned = named.fields.includes(field);
    if (!changes && !(mentioned && hidden())) continue;
    if (allows(writeRule(rules, op), actor, record)) continue;
    refuse(field, op === "create" ? "set" : "change");
  }
}

/**
 * Refuses, before `update-many`'s operators run on a stored record, each operator whose outcome
 * would depend on the current value of a field `actor` may not read there: whatever the
 * operator, when its write rule refuses them too (the 403 {@link checkFieldWrites} would give,
 * given before an operator can fail on the value: `$mul` overflowing, `$pull` on a number), and
 * otherwise every operator but a whole-field `$set`, `$unset`, `$currentDate` or `$rename` into
 * it (a write-only field may be written, not probed). A `$rename` out of it is refused.
 *
 * @throws {FnbaseError} FORBIDDEN (403) naming the field.
 */
export function checkFieldOps(
  schema: EntitySchema,
  actor: Actor,
  record: Record<string, unknown>,
  ops: readonly UpdateOp[],
): void {
  if (actor.kind === "service") return;
  const rules = new Map(fieldRules(schema));
  if (rules.size === 0) return;
  for (const o of ops) {
    const targets = o.op === "rename" ? [o.path, o.to] : [o.path];
    for (const path of targets) {
      const field = path[0]!;
      const r = rules.get(field);
      if (!r || allows(r.read, actor, record)) continue;
      const renamedFrom = o.op === "rename" && path === o.path;
      const blind =
        path.length === 1 &&
        !renamedFrom &&
        (o.op === "set" || o.op === "unset" || o.op === "currentDate" || o.op === "rename");
      if (blind && allows(writeRule(r, "update"), actor, record)) continue;
      const verb = renamedFrom ? "rename" : blind ? "change" : `$${o.op}`;
      throw new FnbaseError(
        "FORBIDDEN",
        `Permission denied: you cannot ${verb} field "${field}" of ${schema.name}`,
        {
          field,
          ...(blind ? {} : { hint: "Its field rule hides it from you: only $set or $unset it" }),
        },
      );
    }
  }
}

/**
 * Refuses to filter, sort or group by a field that `actor` may not always read: a filter on a
 * hidden field would tell its values through which records come back.
 *
 * @throws {FnbaseError} FORBIDDEN (403) naming the field.
 */
export function checkReadableField(schema: EntitySchema, actor: Actor, field: string): void {
  if (actor.kind === "service") return;
  const rule = schema.properties[field]?.rls?.read;
  if (isOpenRule(rule)) return;
  const f = ruleFilter(rule, actor);
  if (f.kind === "const" && f.value) return;
  throw new FnbaseError(
    "FORBIDDEN",
    `Permission denied: you cannot filter, sort or group ${schema.name} by "${field}": its field rule may hide it from you`,
    { field },
  );
}
