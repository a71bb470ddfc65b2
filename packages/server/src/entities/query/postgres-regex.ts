/**
 * JavaScript `$regex` patterns → PostgreSQL regular expressions (ARE) with the same meaning, for
 * the PostgreSQL store (SQLite runs the JavaScript pattern itself, `sqlite-runtime.ts`).
 *
 * The pattern has been checked by `compileRegex` (valid, linear-time: no backreferences, no
 * lookaround, counts up to 16). It is parsed with regjsparser (the parser under regexpu-core)
 * after regexpu-core has compiled `i` and `\p{...}` away into explicit character classes, then
 * written back in PostgreSQL's syntax, spelling out what JavaScript means where PostgreSQL's
 * defaults differ: `\d`, `\w`, `\s` and `\b` are JavaScript's ASCII (and Unicode space) sets,
 * not the locale's; `.` leaves out line terminators unless `s`; `^`/`$` under `m` match at
 * `\n`, `\r`, U+2028 and U+2029; characters are written as `\uXXXX` escapes. Laziness is
 * dropped (a match test does not depend on it). What PostgreSQL cannot say (a lone surrogate,
 * a negated `\D`-style escape inside a negated class) is a coded 400.
 */

import rewritePattern from "regexpu-core";
import regjsparser, { type RootNode } from "regjsparser";
import { queryError, show } from "./names.js";

type Node = RootNode<{
  unicodePropertyEscape: true;
  namedGroups: true;
  lookbehind: true;
  modifiers: true;
}>;
type ClassItem = Extract<Node, { type: "characterClass" }>["body"][number];

const WORD = "A-Za-z0-9_";
const DIGIT = "0-9";
const SPACE =
  "\\u0009-\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
const LINE_END = "\\u000a\\u000d\\u2028\\u2029";

const cache = new Map<string, string>();

/**
 * The PostgreSQL pattern for a JavaScript pattern and its (canonical) flags.
 *
 * @example
 * toPostgresRegex("^a\\d", "i"); // "^(?:[Aa])[0-9]"
 * @throws FnbaseError `INVALID_QUERY` for what PostgreSQL cannot express.
 */
export function toPostgresRegex(pattern: string, flags: string): string {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const unicode = flags.includes("u");
  let source = pattern;
  try {
    if (flags.includes("i") || unicode) {
      source = rewritePattern(
        flags.includes("i") ? `(?i:${pattern})` : pattern,
        flags.replace("i", ""),
        { modifiers: "transform", unicodePropertyEscapes: "transform" },
      );
    }
  } catch (err) {
    throw queryError("q", `invalid $regex ${show(pattern)}: ${(err as Error).message}`);
  }
  // A CommonJS module whose exports Node cannot name statically: through its default export.
  const tree = regjsparser.parse(source, unicode ? "u" : "", {
    unicodePropertyEscape: true,
    namedGroups: true,
    lookbehind: true,
    modifiers: true,
  }) as Node;
  const out = new Writer(pattern, flags.includes("m"), flags.includes("s")).node(tree);
  if (cache.size >= 256) cache.delete(cache.keys().next().value as string);
  cache.set(key, out);
  return out;
}

class Writer {
  constructor(
    readonly pattern: string,
    readonly multiline: boolean,
    readonly dotAll: boolean,
  ) {}

  fail(why: string): never {
    throw queryError("q", `$regex ${show(this.pattern)} cannot run on this store: ${why}`);
  }

  node(n: Node): string {
    switch (n.type) {
      case "alternative":
        return this.sequence(n.body);
      case "disjunction":
        return n.body.map((b) => this.node(b)).join("|");
      case "group":
        if (n.behavior !== "normal" && n.behavior !== "ignore") this.fail("lookaround");
        return `(?:${this.sequence(n.body)})`;
      case "quantifier": {
        const inner = this.node(n.body[0]);
        const max = n.max === undefined ? "" : String(n.max);
        return `(?:${inner}){${n.min},${max}}`;
      }
      case "value":
        return this.char(n.codePoint);
      case "dot":
        return this.dotAll ? "." : `[^${LINE_END}]`;
      case "anchor":
        return this.anchor(n.kind);
      case "characterClassEscape":
        return this.escapeClass(n.value);
      case "characterClass":
        return this.charClass(n);
      case "unicodePropertyEscape":
        return this.fail("a Unicode property escape outside the u flag");
      case "reference":
        return this.fail("backreferences");
    }
  }

  /** A sequence, with surrogate pairs (patterns without `u`) joined into one character. */
  sequence(body: Node[]): string {
    let out = "";
    for (let i = 0; i < body.length; i++) {
      const n = body[i]!;
      const next = body[i + 1];
      if (
        n.type === "value" &&
        next?.type === "value" &&
        n.codePoint >= 0xd800 &&
        n.codePoint <= 0xdbff &&
        next.codePoint >= 0xdc00 &&
        next.codePoint <= 0xdfff
      ) {
        out += this.char((n.codePoint - 0xd800) * 0x400 + (next.codePoint - 0xdc00) + 0x10000);
        i++;
        continue;
      }
      out += this.node(n);
    }
    return out;
  }

  anchor(kind: string): string {
    const W = `[${WORD}]`;
    switch (kind) {
      case "start":
        return this.multiline ? `(?:^|(?<=[${LINE_END}]))` : "^";
      case "end":
        return this.multiline ? `(?:$|(?=[${LINE_END}]))` : "$";
      case "boundary":
        return `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`;
      case "not-boundary":
        return `(?:(?<=${W})(?=${W})|(?<!${W})(?!${W}))`;
      default:
        return this.fail(`the anchor ${kind}`);
    }
  }

  /** The set inside brackets of `\d`, `\w`, `\s`. */
  setOf(letter: string): string {
    const l = letter.toLowerCase();
    return l === "d" ? DIGIT : l === "w" ? WORD : SPACE;
  }

  escapeClass(letter: string): string {
    const set = this.setOf(letter);
    return letter === letter.toUpperCase() ? `[^${set}]` : `[${set}]`;
  }

  charClass(n: Extract<Node, { type: "characterClass" }>): string {
    if (n.kind !== "union") this.fail("set operations in a class");
    let inside = "";
    const negatedEscapes: string[] = [];
    for (const item of n.body as ClassItem[]) {
      if (item.type === "characterClassEscape") {
        if (item.value === item.value.toUpperCase()) negatedEscapes.push(item.value);
        else inside += this.setOf(item.value);
      } else if (item.type === "characterClassRange") {
        inside += `${this.char(item.min.codePoint)}-${this.char(item.max.codePoint)}`;
      } else if (item.type === "value") {
        inside += this.char(item.codePoint);
      } else {
        this.fail("a Unicode property escape in a class");
      }
    }
    if (negatedEscapes.length > 0) {
      if (n.negative) this.fail("a negated escape inside a negated class");
      const parts = negatedEscapes.map((e) => this.escapeClass(e));
      if (inside !== "") parts.unshift(`[${inside}]`);
      return `(?:${parts.join("|")})`;
    }
    if (inside === "") return n.negative ? "." : "(?!x)x";
    return `[${n.negative ? "^" : ""}${inside}]`;
  }

  char(cp: number): string {
    if (cp >= 0xd800 && cp <= 0xdfff) this.fail("a lone surrogate");
    if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) {
      return String.fromCodePoint(cp);
    }
    const hex = cp.toString(16);
    return cp <= 0xffff ? `\\u${hex.padStart(4, "0")}` : `\\U${hex.padStart(8, "0")}`;
  }
}
