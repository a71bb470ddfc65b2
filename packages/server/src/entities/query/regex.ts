/**
 * `$regex` patterns come from callers, so every one must run in time linear in the text it
 * scans (a pattern such as `(a+)+$` takes minutes on 30 characters in a backtracking engine).
 *
 * How: a pattern is accepted only when V8's linear-time engine can run it (checked by compiling
 * it once with the experimental `l` flag). It then runs on V8's usual (fast) engine, with V8's
 * "fall back to the linear engine on excessive backtracks" switch on, so a hostile text costs
 * at most a few tens of thousands of backtracking steps before the linear engine takes over.
 * The linear engine of Node 20 cannot do case-insensitive or unicode matching, so the `i` and
 * `u` flags are compiled away first by `regexpu-core` (Babel's pattern rewriter, which expands
 * `a` under `i` to `[Aa]` and astral characters to surrogate pairs).
 *
 * Refused with `INVALID_QUERY`: patterns over {@link MAX_PATTERN_LENGTH} characters, invalid
 * ones, and those the linear engine cannot run: backreferences, lookaround, a counted
 * repetition over 16 (`a{17}`), and a few forms the rewrite turns into lookaround (`.` or a
 * negated class with `u`, a negated class with `i`).
 */

import v8 from "node:v8";
import rewritePattern from "regexpu-core";
import { queryError, show } from "./names.js";

// Both switches must be on before the first RegExp of this module is built. They affect only
// how V8 runs regular expressions (the second adds a safety net to every one in the process);
// Node documents `setFlagsFromString` after start-up as use-with-care, so the regex tests of
// this module guard the behaviour on every Node upgrade.
v8.setFlagsFromString("--enable-experimental-regexp-engine");
v8.setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");

/** The longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 512;

/** The `$options` letters accepted (MongoDB's `x` is not). */
const FLAG_ORDER = "imsu";

/** How many compiled patterns are kept. */
const CACHE_SIZE = 256;
const cache = new Map<string, RegExp>();

/**
 * The canonical form of a `$options` string (`"si"` → `"is"`), or undefined when it holds a
 * letter other than `i`, `m`, `s`, `u`.
 */
export function normalizeFlags(options: string): string | undefined {
  let out = "";
  for (const f of FLAG_ORDER) if (options.includes(f)) out += f;
  for (const c of options) if (!FLAG_ORDER.includes(c)) return undefined;
  return out;
}

function build(pattern: string, flags: string, label: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw queryError(
      label,
      `$regex pattern is ${pattern.length} characters long: at most ${MAX_PATTERN_LENGTH}`,
    );
  }
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    throw queryError(label, `invalid $regex ${show(pattern)}: ${(err as Error).message}`);
  }
  let source = pattern;
  let runFlags = flags;
  if (flags.includes("i") || flags.includes("u")) {
    runFlags = flags.replace("i", "").replace("u", "");
    try {
      source = rewritePattern(
        flags.includes("i") ? `(?i:${pattern})` : pattern,
        flags.replace("i", ""),
        {
          modifiers: "transform",
          unicodeFlag: "transform",
          unicodePropertyEscapes: "transform",
        },
      );
    } catch (err) {
      throw queryError(label, `invalid $regex ${show(pattern)}: ${(err as Error).message}`);
    }
  }
  try {
    new RegExp(source, `${runFlags}l`);
  } catch {
    throw queryError(
      label,
      `$regex ${show(pattern)} cannot run in linear time`,
      "Patterns may not use backreferences, lookahead or lookbehind, or repeat counts over 16",
    );
  }
  return new RegExp(source, runFlags);
}

/**
 * The RegExp for a `$regex` pattern and its canonical flags, from a small LRU cache; throws
 * `INVALID_QUERY` (`Invalid <label>: ...`) for a pattern that is invalid, too long or cannot run
 * in linear time. The returned RegExp has no `g`/`y` flag, so `test` keeps no state.
 *
 * @example
 * compileRegex("^ada", "i").test("Ada Lovelace"); // true
 */
export function compileRegex(pattern: string, flags: string, label = "q"): RegExp {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Keep recently used patterns at the end of the Map's order.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const re = build(pattern, flags, label);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, re);
  return re;
}
