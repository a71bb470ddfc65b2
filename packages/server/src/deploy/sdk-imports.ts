import { init, parse } from "es-module-lexer";

/**
 * The specifier every import of Base44's SDK is rewritten to. The import map instances run
 * with maps it to the server's one bundled copy of `@base44/sdk` (`runtime/import-map.ts`).
 */
export const BASE44_SDK_SPECIFIER = "@base44/sdk";

/**
 * True for `npm:@base44/sdk` with any version, range or tag, and any subpath:
 * `npm:@base44/sdk`, `npm:@base44/sdk@0.7.1`, `npm:@base44/sdk@^0.8.0/dist/index.js`. Not for
 * another package of the scope (`npm:@base44/sdk-compat`).
 */
export function isBase44SdkSpecifier(specifier: string): boolean {
  return /^npm:@base44\/sdk(?:@[^/]*)?(?:\/.*)?$/.test(specifier);
}

/** Files Deno loads as modules, by extension. */
const CODE_FILE = /\.[cm]?[jt]sx?$/;

/**
 * Shapes of an import of the SDK, for code es-module-lexer cannot read: a string literal after
 * `from` or `import` or `import(`, with the specifier as {@link isBase44SdkSpecifier} takes it.
 */
const FALLBACK =
  /(?<![\w$.])(?:from|import)\s*(?:\(\s*)?(["'])(npm:@base44\/sdk(?:@[^"'/\s\\]*)?(?:\/[^"'\s\\]*)?)\1/g;

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** A string literal in `code`: its start (the opening quote) and end (after the closing one). */
interface Literal {
  start: number;
  end: number;
}

/**
 * The literal `[start, end)` rewritten to {@link BASE44_SDK_SPECIFIER} and padded with spaces
 * after its closing quote to its length, so that every line and column stays where it was.
 * Undefined when it cannot be (it spans lines, or is shorter than the replacement).
 */
function replacement(code: string, { start, end }: Literal): string | undefined {
  const quote = code[start];
  if ((quote !== '"' && quote !== "'") || code[end - 1] !== quote) return undefined;
  const raw = code.slice(start, end);
  const rewritten = `${quote}${BASE44_SDK_SPECIFIER}${quote}`;
  if (LINE_BREAK.test(raw) || raw.length < rewritten.length) return undefined;
  return rewritten.padEnd(raw.length, " ");
}

/** The SDK's import literals in `code`, as es-module-lexer finds them; throws on a lex error. */
function lexedLiterals(code: string): Literal[] {
  const [imports] = parse(code);
  const out: Literal[] = [];
  for (const i of imports) {
    if (i.n === undefined || !isBase44SdkSpecifier(i.n)) continue;
    // Static imports give the specifier without its quotes, dynamic ones with them.
    out.push(
      code[i.s] === '"' || code[i.s] === "'"
        ? { start: i.s, end: i.e }
        : { start: i.s - 1, end: i.e + 1 },
    );
  }
  return out;
}

/** The SDK's import literals in `code`, by {@link FALLBACK}'s shapes. */
function matchedLiterals(code: string): Literal[] {
  const out: Literal[] = [];
  for (const m of code.matchAll(FALLBACK)) {
    const end = (m.index ?? 0) + m[0].length;
    out.push({ start: end - (m[2]?.length ?? 0) - 2, end });
  }
  return out;
}

/**
 * Rewrites every import, re-export and dynamic import (with a string literal) of
 * `npm:@base44/sdk` at any version, range, tag or subpath in a module's code to
 * {@link BASE44_SDK_SPECIFIER}, so that one copy of the SDK, the server's, serves them all,
 * without the npm registry. Lines and columns do not move (the literal is padded with spaces
 * after its closing quote), so stack traces point where the author's code does. Comments,
 * strings and template literals are left alone: the imports are found by es-module-lexer, or,
 * in code it cannot read (some TypeScript, such as `a! / b`, or JSX), by the shape of an
 * import (`from "…"`, `import "…"`, `import("…")`). Files other than JavaScript and
 * TypeScript modules are returned as they are.
 *
 * @example
 * await rewriteSdkImports("main.ts", 'import { createClient } from "npm:@base44/sdk@0.7.1";');
 * // 'import { createClient } from "@base44/sdk"          ;'
 */
export async function rewriteSdkImports(path: string, code: string): Promise<string> {
  if (!CODE_FILE.test(path) || !code.includes("npm:@base44/sdk")) return code;
  await init;
  let literals: Literal[];
  try {
    literals = lexedLiterals(code);
  } catch {
    literals = matchedLiterals(code);
  }
  let out = "";
  let at = 0;
  for (const lit of literals.sort((a, b) => a.start - b.start)) {
    const text = replacement(code, lit);
    if (text === undefined || lit.start < at) continue;
    out += code.slice(at, lit.start) + text;
    at = lit.end;
  }
  return out + code.slice(at);
}
