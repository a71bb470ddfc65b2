/** Function name rules. */
import { FnbaseError } from "@fnbase/shared";

const ALLOWED = /^[A-Za-z0-9_\-/]+$/;
/** Longest function name: it is a folder path on disk and part of every URL that calls it. */
export const MAX_FUNCTION_NAME = 200;

/**
 * Checks a function name and returns it trimmed. A name is one or more `/`-separated
 * segments of letters, digits, `_` and `-`; segments are non-empty and contain no dot.
 *
 * @throws {FnbaseError} `INVALID_NAME` when the name breaks a rule.
 * @example
 * validateFunctionName(" orders/process "); // "orders/process"
 * validateFunctionName("orders//process"); // throws INVALID_NAME
 */
export function validateFunctionName(name: string): string {
  const trimmed = name.trim();
  const fail = (detail: string): never => {
    const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
    throw new FnbaseError("INVALID_NAME", `Invalid function name "${shown}": ${detail}`, {
      hint: 'Use letters, digits, "_", "-" and "/" between segments, e.g. "orders/process"',
    });
  };
  if (trimmed === "") fail("name is empty");
  if (trimmed.length > MAX_FUNCTION_NAME)
    fail(`name is longer than ${MAX_FUNCTION_NAME} characters`);
  if (trimmed.includes("\\")) fail('backslashes are not allowed, use "/"');
  if (trimmed.startsWith("/") || trimmed.endsWith("/")) fail('name starts or ends with "/"');
  if (trimmed.split("/").some((segment) => segment === "")) fail("name has an empty segment");
  if (trimmed.includes(".")) fail("a segment contains a dot");
  if (!ALLOWED.test(trimmed)) fail('only letters, digits, "_", "-" and "/" are allowed');
  return trimmed;
}

/**
 * Lower-cases the first letter, to nest one message inside another after a colon.
 *
 * @example
 * lowerFirst('Invalid function name "a.b"'); // 'invalid function name "a.b"'
 */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * Entity names: identifiers joined by dots, as Base44 apps use them (`Task`, `commerce.Cart`).
 * The Base44 CLI 0.1.18 checks `^\w+$`, but real apps made in the Base44 editor use dotted,
 * namespaced names (`base44/entities/commerce.Cart.jsonc`), so dots between parts are allowed.
 */
export const ENTITY_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * True when `name` is a valid entity name ({@link ENTITY_NAME_PATTERN}). A valid name is also a
 * safe file name: no separators, no `..`, no leading dot.
 *
 * @example
 * isEntityName("commerce.Cart"); // true
 * isEntityName("my task"); // false
 * isEntityName("../x"); // false
 */
export function isEntityName(name: string): boolean {
  return ENTITY_NAME_PATTERN.test(name);
}
