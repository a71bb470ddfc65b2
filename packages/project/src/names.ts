/** Function name rules. */
import { FnbaseError } from "@fnbase/shared";

const ALLOWED = /^[A-Za-z0-9_\-/]+$/;

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
    throw new FnbaseError("INVALID_NAME", `Invalid function name "${name}": ${detail}`, {
      hint: 'Use letters, digits, "_", "-" and "/" between segments, e.g. "orders/process"',
    });
  };
  if (trimmed === "") fail("name is empty");
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
