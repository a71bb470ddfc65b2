/**
 * JSONC reading shared by the config, `function.jsonc` and `.app.jsonc` readers: comments
 * and trailing commas allowed, errors reported with a 1-based line and column.
 */
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";

/** The outcome of parsing JSONC text: the value, or a message saying where it went wrong. */
export type JsoncResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Parses JSONC text.
 *
 * @example
 * parseJsonc('{ "a": 1, // note\n }'); // { ok: true, value: { a: 1 } }
 * parseJsonc('{ "a": }'); // { ok: false, error: "line 1, column 8: ValueExpected" }
 */
export function parseJsonc(text: string): JsoncResult {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first !== undefined) {
    const { line, column } = position(text, first.offset);
    return {
      ok: false,
      error: `line ${line}, column ${column}: ${printParseErrorCode(first.error)}`,
    };
  }
  if (value === undefined) return { ok: false, error: "line 1, column 1: ValueExpected" };
  return { ok: true, value };
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
