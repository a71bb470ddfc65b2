import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceLocation } from "@fnbase/shared";

/** A problem in a deployment's code: where, what, and what to do. */
export interface CodeProblem {
  location: SourceLocation;
  message: string;
  hint?: string;
}

/** A position in `deno info --json`: line and character from 0. */
interface InfoPosition {
  line: number;
  character: number;
}

/** One import of a module in `deno info --json` (Deno 2.x, `version: 1`). */
interface InfoDependency {
  specifier: string;
  isDynamic?: boolean;
  code?: { specifier?: string; error?: string; span?: { start: InfoPosition } };
}

/** One module of the graph in `deno info --json`. */
interface InfoModule {
  specifier: string;
  kind?: string;
  error?: string;
  dependencies?: InfoDependency[];
}

/** What `deno info --json` prints (the parts read here). */
export interface DenoInfo {
  roots: string[];
  modules: InfoModule[];
  redirects?: Record<string, string>;
}

/** Where the graph is: the deployment's root folder and the prefix outside imports map to. */
export interface GraphPlaces {
  /** The deployment's root folder (its `base44/` tree), absolute. */
  root: string;
  /** The URL prefix that every file outside the deployment and the runtime is mapped to. */
  outside: string;
}

/** Errors `deno info --no-npm --no-remote` gives for what it was told not to fetch: not ours. */
const NOT_FETCHED = /--no-npm is specified|--no-remote is specified|--allow-import/;

/**
 * The problems a deployment's module graph has, from `deno info --json` run on its entry with
 * `--no-npm --no-remote` (see `CodeChecker`): a module of the deployment that does not parse, a
 * static import of a file that is not there (a relative import without its extension among
 * them), of a file outside the deployment, of a bare name no import map entry covers, a
 * malformed `npm:`/`jsr:` specifier, an unsupported scheme. Only imports reached from the entry
 * by static imports count: a dynamic import may be optional. npm, JSR and remote modules are not
 * fetched, so they are not checked beyond their specifier. Paths are shown as
 * `base44/<path in the deployment>`, which is where they are in a project of the usual layout.
 *
 * @example
 * graphProblems(JSON.parse(stdout), { root: "/data/deployments/a/1", outside: "file:///x/" });
 * // [{ location: { file: "base44/functions/hello/entry.ts", line: 4, column: 13 },
 * //    message: "SyntaxError: Expression expected" }]
 */
export function graphProblems(info: DenoInfo, places: GraphPlaces): CodeProblem[] {
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const redirects = info.redirects ?? {};
  const find = (url: string) => modules.get(redirects[url] ?? url);
  const inside = (url: string) => localPath(url, places.root) !== undefined;
  const problems: CodeProblem[] = [];
  const seen = new Set<string>();
  const queue = [...info.roots];
  while (queue.length > 0) {
    const url = queue.shift() as string;
    if (seen.has(url)) continue;
    seen.add(url);
    const m = find(url);
    const file = localPath(url, places.root);
    if (!m || file === undefined) continue;
    if (m.error !== undefined && !m.error.startsWith("Module not found")) {
      problems.push(parseProblem(m.error, file, places.root));
      continue;
    }
    for (const dep of m.dependencies ?? []) {
      const code = dep.code;
      if (!code || dep.isDynamic) continue;
      const at = {
        file,
        line: (code.span?.start.line ?? 0) + 1,
        column: (code.span?.start.character ?? 0) + 1,
      };
      const problem = importProblem(dep.specifier, code, at, find, places);
      if (problem) problems.push(problem);
      else if (code.specifier !== undefined && inside(code.specifier)) queue.push(code.specifier);
    }
  }
  return problems;
}

/** What is wrong with one static import, if anything. */
function importProblem(
  specifier: string,
  code: NonNullable<InfoDependency["code"]>,
  location: SourceLocation,
  find: (url: string) => InfoModule | undefined,
  places: GraphPlaces,
): CodeProblem | undefined {
  const quoted = JSON.stringify(specifier);
  if (code.error !== undefined) {
    const bare = /not a dependency and not in import map/.test(code.error);
    return bare
      ? {
          location,
          message: `Cannot resolve import ${quoted}: a bare name needs "npm:" or "jsr:" (or "./" for a file)`,
          hint: `Write "npm:${specifier}" for an npm package, "./${specifier}" for a file of the function`,
        }
      : { location, message: `Cannot resolve import ${quoted}: ${firstLine(code.error)}` };
  }
  const target = code.specifier;
  if (target === undefined) return undefined;
  if (target.startsWith(places.outside)) {
    return {
      location,
      message: `Import of a file outside the deployed files: ${quoted}`,
      hint: "A function reads only its own files and base44/shared/; deploy what it imports",
    };
  }
  const m = find(target);
  if (m?.kind === "external") {
    return { location, message: `Unsupported import ${quoted}: Deno cannot load this scheme` };
  }
  const error = m?.error;
  if (error === undefined || NOT_FETCHED.test(error)) return undefined;
  // A module of the deployment that does not parse is reported at its own error's place.
  if (localPath(target, places.root) !== undefined && !error.startsWith("Module not found"))
    return undefined;
  if (error.startsWith("Module not found")) {
    const extensionless = !/\.[A-Za-z0-9]+$/.test(specifier) && specifier.startsWith(".");
    return {
      location,
      message: `Module not found: ${quoted}${extensionless ? " (a relative import needs its file extension)" : ""}`,
      hint: extensionless
        ? `Write the file's extension: "${specifier}.ts"`
        : "Deploy every file the function imports; shared code goes in base44/shared/",
    };
  }
  if (error.startsWith("Invalid package specifier")) {
    return {
      location,
      message: `Invalid package specifier ${quoted}`,
      hint: 'Write "npm:<package>[@<version>][/<path>]" or "jsr:@<scope>/<name>[@<version>]"',
    };
  }
  return { location, message: `Cannot load ${quoted}: ${firstLine(error)}` };
}

/** A module's own error (a syntax error, mostly): the first line and the place it names. */
function parseProblem(error: string, file: string, root: string): CodeProblem {
  const at = /at (file:\/\/\S+):(\d+):(\d+)\s*$/.exec(error);
  const named = at?.[1] === undefined ? undefined : localPath(at[1], root);
  return {
    location: {
      file: named ?? file,
      line: at ? Number(at[2]) : 1,
      column: at ? Number(at[3]) : 1,
    },
    message: firstLine(error),
  };
}

const firstLine = (text: string) => text.split("\n", 1)[0]?.trim() ?? text;

/** `base44/<path>` for a file URL inside `root`; undefined for anything else. */
function localPath(url: string, root: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  let rel: string;
  try {
    rel = relative(root, fileURLToPath(url));
  } catch {
    return undefined;
  }
  if (rel === "" || rel.startsWith("..") || rel.startsWith("/")) return undefined;
  return `base44/${rel.split("\\").join("/")}`;
}
