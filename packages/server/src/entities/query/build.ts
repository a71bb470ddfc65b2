/**
 * Small constructors of {@link Filter} trees that fold constants and flatten nested
 * combinators, so a rule that is decided (`true`/`false`) disappears from the tree before any
 * compiler sees it.
 */

import type { FieldCondition, FieldPath, Filter } from "./types.js";

const TRUE: Filter = Object.freeze({ kind: "const", value: true });
const FALSE: Filter = Object.freeze({ kind: "const", value: false });

/**
 * The filter that matches every record (`true`) or none (`false`).
 *
 * @example
 * constant(true); // { kind: "const", value: true }
 */
export function constant(value: boolean): Filter {
  return value ? TRUE : FALSE;
}

/** A condition on one field. */
export function field(path: FieldPath, condition: FieldCondition): Filter {
  return { kind: "field", path, condition };
}

/**
 * All of `filters`: `and()` is true, `and(true, x)` is `x`, `and(false, x)` is false, nested
 * ANDs are flattened.
 *
 * @example
 * and(rule, userFilter); // the rule and the caller's filter together
 */
export function and(...filters: Filter[]): Filter {
  const parts: Filter[] = [];
  for (const f of filters) {
    if (f.kind === "const") {
      if (!f.value) return FALSE;
    } else if (f.kind === "and") {
      parts.push(...f.filters);
    } else {
      parts.push(f);
    }
  }
  if (parts.length === 0) return TRUE;
  if (parts.length === 1) return parts[0]!;
  return { kind: "and", filters: parts };
}

/**
 * Any of `filters`: `or()` is false, `or(true, x)` is true, `or(false, x)` is `x`, nested ORs
 * are flattened.
 */
export function or(...filters: Filter[]): Filter {
  const parts: Filter[] = [];
  for (const f of filters) {
    if (f.kind === "const") {
      if (f.value) return TRUE;
    } else if (f.kind === "or") {
      parts.push(...f.filters);
    } else {
      parts.push(f);
    }
  }
  if (parts.length === 0) return FALSE;
  if (parts.length === 1) return parts[0]!;
  return { kind: "or", filters: parts };
}

/** None of `filters` (`$nor`): `nor()` is true, `nor(true, x)` is false. */
export function nor(...filters: Filter[]): Filter {
  const any = or(...filters);
  if (any.kind === "const") return constant(!any.value);
  return { kind: "nor", filters: any.kind === "or" ? any.filters : [any] };
}
