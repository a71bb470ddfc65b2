import { posix } from "node:path";
import { isObject, parseJsonc } from "@fnbase/project";
import { FnbaseError } from "@fnbase/shared";
import { init, parse } from "es-module-lexer";
import type { DeployFile } from "../store/index.js";
import { isBase44SdkSpecifier } from "./sdk-imports.js";

/**
 * A function's own import map (`imports` and `scopes`), with its specifiers and targets as the
 * map file wrote them.
 */
export interface ImportMap {
  imports: Record<string, string>;
  scopes: Record<string, Record<string, string>>;
  /** Where the map file is, relative to the deployment's root (targets resolve against it). */
  file: string;
}

/** The virtual URL of a deployment's root: map targets and referrers resolve under it. */
const ROOT = "file:///deployment/";

/**
 * Specifiers the server's import map answers, which a function's map never replaces:
 * `base44:runtime` and the SDKs (`runtime/import-map.ts`).
 */
export function isServerSpecifier(specifier: string): boolean {
  return (
    specifier === "base44:runtime" ||
    specifier === "@base44/sdk" ||
    specifier === "@fnbase/sdk" ||
    isBase44SdkSpecifier(specifier)
  );
}

const fail = (name: string, file: string, why: string) =>
  new FnbaseError("BAD_REQUEST", `Cannot deploy "${name}": ${file}: ${why}`, {
    hint: 'An import map is { "imports": { "specifier": "target" }, "scopes": { ... } }',
  });

function stringMap(name: string, file: string, field: string, v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v) || !Object.values(v).every((t) => typeof t === "string")) {
    throw fail(name, file, `"${field}" must map specifiers to strings`);
  }
  return v as Record<string, string>;
}

function readMap(name: string, files: DeployFile[], path: string, text: string): ImportMap {
  const parsed = parseJsonc(text);
  if (!parsed.ok) throw fail(name, path, parsed.error);
  if (!isObject(parsed.value)) throw fail(name, path, "must be a JSON object");
  const v = parsed.value;
  // deno.json may name its import map instead of holding one.
  if (typeof v.importMap === "string" && v.imports === undefined) {
    const target = posix.normalize(posix.join(posix.dirname(path), v.importMap));
    const f = files.find((x) => x.path === target);
    if (!f)
      throw fail(name, path, `its importMap ${JSON.stringify(v.importMap)} is not among the files`);
    return readMap(name, files, target, f.content);
  }
  const scopes: ImportMap["scopes"] = {};
  if (v.scopes !== undefined) {
    if (!isObject(v.scopes)) throw fail(name, path, '"scopes" must be an object');
    for (const [k, m] of Object.entries(v.scopes))
      scopes[k] = stringMap(name, path, `scopes.${k}`, m);
  }
  return { imports: stringMap(name, path, "imports", v.imports), scopes, file: path };
}

/**
 * The import map of a function folder, as Deno would read it there: `deno.json` or
 * `deno.jsonc` (its `imports` and `scopes`, or the file its `importMap` names), else
 * `import_map.json` (as Supabase's edge functions take it). `files` are the deployment's, paths
 * relative to the function folder. Undefined when the folder has none.
 *
 * @throws FnbaseError `BAD_REQUEST` naming the file when it is not a valid import map.
 */
export function functionImportMap(name: string, files: DeployFile[]): ImportMap | undefined {
  for (const candidate of ["deno.json", "deno.jsonc", "import_map.json"]) {
    const f = files.find((x) => x.path === candidate);
    if (!f) continue;
    const map = readMap(name, files, f.path, f.content);
    if (candidate !== "import_map.json" && map.file === candidate) {
      const empty = Object.keys(map.imports).length === 0 && Object.keys(map.scopes).length === 0;
      if (empty && files.some((x) => x.path === "import_map.json")) continue;
    }
    // Paths from here on are relative to the deployment's root (functions/<name>/...).
    return { ...map, file: posix.join("functions", name, map.file) };
  }
  return undefined;
}

/** `specifier` as a URL when it is one or a path (relative to `referrer`); else it is bare. */
function asUrl(specifier: string, referrer: string): string | undefined {
  if (/^(?:\.{0,2}\/)/.test(specifier)) return new URL(specifier, referrer).href;
  try {
    return new URL(specifier).href;
  } catch {
    return undefined;
  }
}

/** Resolves `specifier` in one map of specifiers (exact keys first, then the longest prefix). */
function lookup(specifier: string, map: Record<string, string>, base: string): string | undefined {
  const keyOf = (k: string) => (/^(?:\.{0,2}\/)/.test(k) ? new URL(k, base).href : k);
  const target = (t: string) => (/^(?:\.{0,2}\/)/.test(t) ? new URL(t, base).href : t);
  let best: [string, string] | undefined;
  for (const [raw, to] of Object.entries(map)) {
    const key = keyOf(raw);
    if (key === specifier) return target(to);
    if (key.endsWith("/") && specifier.startsWith(key) && to.endsWith("/")) {
      if (!best || key.length > best[0].length) best = [key, to];
    }
  }
  return best ? target(best[1]) + specifier.slice(best[0].length) : undefined;
}

/** What `specifier`, imported by the module at `referrer` (a URL under ROOT), maps to. */
function resolve(specifier: string, referrer: string, map: ImportMap): string | undefined {
  if (isServerSpecifier(specifier)) return undefined;
  const base = ROOT + map.file;
  const asKey = asUrl(specifier, referrer) ?? specifier;
  const scopes = Object.keys(map.scopes)
    .map((k) => [new URL(k, base).href, k] as const)
    .filter(([url]) => referrer.startsWith(url))
    .sort((a, b) => b[0].length - a[0].length);
  for (const [, k] of scopes) {
    const hit = lookup(asKey, map.scopes[k] ?? {}, base);
    if (hit !== undefined) return hit;
  }
  return lookup(asKey, map.imports, base);
}

/** How the mapped `target` is written in the module at `referrer`: relative within the root. */
function spelled(target: string, referrer: string): string {
  if (!target.startsWith(ROOT)) return target;
  const from = posix.dirname(referrer.slice(ROOT.length - 1));
  const rel = posix.relative(from, target.slice(ROOT.length - 1));
  return rel.startsWith("../") ? rel : `./${rel}`;
}

/** A string literal holding a specifier: its start (the quote) and end (after the quote). */
interface Literal {
  start: number;
  end: number;
  specifier: string;
}

/** Shapes of an import for code es-module-lexer cannot read (some TypeScript, JSX). */
const FALLBACK = /(?<![\w$.])(?:from|import)\s*(?:\(\s*)?(["'])([^"'\\\r\n]+)\1/g;

function literals(code: string): Literal[] {
  try {
    const [imports] = parse(code);
    const out: Literal[] = [];
    for (const i of imports) {
      if (i.n === undefined) continue;
      const quoted = code[i.s] === '"' || code[i.s] === "'";
      out.push(
        quoted
          ? { start: i.s, end: i.e, specifier: i.n }
          : { start: i.s - 1, end: i.e + 1, specifier: i.n },
      );
    }
    return out;
  } catch {
    return [...code.matchAll(FALLBACK)].map((m) => {
      const end = (m.index ?? 0) + m[0].length;
      const specifier = m[2] ?? "";
      return { start: end - specifier.length - 2, end, specifier };
    });
  }
}

/** Files Deno loads as modules, by extension. */
const CODE_FILE = /\.[cm]?[jt]sx?$/;

/**
 * Applies a function's own import map to one module of its deployment (`path` relative to the
 * deployment's root), as Deno would have resolved its imports: every import, re-export and
 * dynamic import with a string literal whose specifier the map answers is replaced by its
 * target (a path relative to the module when the target is a file of the deployment). The
 * server's specifiers are left alone, so its map answers them (`isServerSpecifier`). A shorter
 * replacement is padded with spaces so columns stay; a longer one moves the rest of its line.
 *
 * Why at deploy time: processes start before they know their function (a spare, or a worker of
 * an app's host), so the import map they run with is the server's alone; a function's map
 * reaches them through its code. Specifiers computed at run time are not mapped.
 *
 * @example
 * rewriteWithImportMap("functions/f/entry.ts", 'import x from "@/util.ts";', map);
 * // 'import x from "./lib/util.ts";' for "imports": { "@/": "./lib/" }
 */
export async function rewriteWithImportMap(
  path: string,
  code: string,
  map: ImportMap,
): Promise<string> {
  if (!CODE_FILE.test(path)) return code;
  await init;
  const referrer = ROOT + path;
  let out = "";
  let at = 0;
  for (const lit of literals(code).sort((a, b) => a.start - b.start)) {
    if (lit.start < at) continue;
    const target = resolve(lit.specifier, referrer, map);
    if (target === undefined) continue;
    const quote = code[lit.start] === "'" ? "'" : '"';
    const text = `${quote}${spelled(target, referrer).replaceAll(quote, `\\${quote}`)}${quote}`;
    out += code.slice(at, lit.start) + text.padEnd(lit.end - lit.start, " ");
    at = lit.end;
  }
  return out + code.slice(at);
}
