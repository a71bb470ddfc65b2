import { and, constant, matches, or, parseFilter } from "../query/index.js";
import type { Filter } from "../query/types.js";
import type { EntitySchema, RuleValue } from "../schema/types.js";
import { fillTemplates, isOpenRule, walkRule } from "./rule-syntax.js";

/**
 * A user as access rules see them: the User record, flat (`id`, `email`, `role`, `full_name`
 * and the app's custom fields at the top level; rules may also write `data.<field>`).
 */
export type UserDoc = Record<string, unknown> & { id: string; email: string; role: string };

/**
 * Who is acting on records. The service role (an invocation's service token, or a workspace API
 * key) passes every access rule (`../shared/BASE44-DATA.md` §2.7); `onBehalfOf` is the user a
 * function was called by (`on-behalf-of` header), whom its creates are attributed to.
 */
export type Actor =
  | { kind: "service"; onBehalfOf?: UserDoc }
  | { kind: "anonymous" }
  | { kind: "user"; user: UserDoc };

/** What an access rule is asked about. */
export type Operation = "create" | "read" | "update" | "delete";

/** The rule of `op`: its own, else `write` for create, update and delete. */
export function ruleFor(rules: EntitySchema["rls"], op: Operation): RuleValue | undefined {
  if (!rules) return undefined;
  const own = rules[op];
  if (own !== undefined || op === "read") return own;
  return rules.write;
}

/**
 * A condition rule for a known user, as a filter over records: each `user_condition` is decided
 * now against the user (a constant), each `{{user.*}}` template is filled in, and a template the
 * user cannot fill makes its condition false.
 */
export function conditionFilter(rule: Record<string, unknown>, user: UserDoc): Filter {
  return walkRule<Filter>(rule, {
    field: (key, value) => {
      const filled = fillTemplates(value, user);
      return filled === undefined ? constant(false) : parseFilter({ [key]: filled }, RULES);
    },
    user: (condition) => {
      const filled = fillTemplates(condition, user);
      if (filled === undefined) return constant(false);
      return constant(matches(parseFilter(filled, RULES), user));
    },
    and: (parts) => and(...parts),
    or: (parts) => or(...parts),
    nor: (parts) => and(...parts.map(negate)),
  });
}

const RULES = { dataPrefix: true } as const;

/** `nor` of one filter: decided filters fold, the rest become `{ $nor: [f] }`. */
function negate(f: Filter): Filter {
  if (f.kind === "const") return constant(!f.value);
  return { kind: "nor", filters: [f] };
}

/**
 * A rule as a filter for `actor`: true (everyone), false (no one), or the condition over records.
 * Open rules (absent, null, "", {}) let everyone through, anonymous callers included; a
 * condition never lets an anonymous caller through (`../shared/BASE44-DATA.md` §2.5).
 */
export function ruleFilter(rule: RuleValue | undefined, actor: Actor): Filter {
  if (actor.kind === "service") return constant(true);
  if (isOpenRule(rule)) return constant(true);
  if (typeof rule === "boolean") return constant(rule);
  if (actor.kind === "anonymous") return constant(false);
  return conditionFilter(rule as Record<string, unknown>, actor.user);
}

/**
 * The filter an entity's access rule for `op` puts on `actor`'s records: AND it with the
 * caller's own filter and the store never returns, counts or changes a record the rule hides.
 *
 * @example
 * const read = accessFilter(schema, "read", actor);
 * await store.find(ref, { filter: and(read, userFilter), ... });
 */
export function accessFilter(schema: EntitySchema, op: Operation, actor: Actor): Filter {
  return ruleFilter(ruleFor(schema.rls, op), actor);
}
