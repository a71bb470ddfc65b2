/**
 * Function discovery: which folders under the functions dir are functions, and what each
 * one uploads.
 *
 * A folder is a function when it directly holds `entry.ts`, `entry.js` or `function.jsonc`.
 * Its subfolders belong to it (they are its files) and are not scanned for further
 * functions, so `orders/entry.ts` plus `orders/process/entry.ts` is one function, `orders`,
 * whose files include `process/entry.ts`. Folders that are not functions are scanned
 * deeper, which is how `orders/process` gets its name. Folders whose name has a dot, and
 * `node_modules`, are skipped everywhere. A folder that is not a function but holds code files
 * itself (an `index.ts` without `entry.ts`, say) gets a note: its code is never uploaded.
 */
import { stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { FnbaseError, isFnbaseError } from "@fnbase/shared";
import {
  type CollectedFiles,
  collectFiles,
  compare,
  isIgnoredDir,
  readDirSorted,
} from "./files.js";
import {
  FUNCTION_CONFIG_FILE,
  type FunctionConfig,
  readFunctionConfig,
} from "./function-config.js";
import { lowerFirst, validateFunctionName } from "./names.js";
import { isDirectory, show, toPosix } from "./paths.js";
import type { DiscoveryNote, DiscoveryProblem, LocalFunction, ProjectFile } from "./types.js";

/** Entry file names tried, in order, when `function.jsonc` names none. */
const DEFAULT_ENTRIES = ["entry.ts", "entry.js"] as const;

/** Files whose presence makes a folder a function. */
const MARKERS: readonly string[] = [...DEFAULT_ENTRIES, FUNCTION_CONFIG_FILE];

/** Where to look, and what to show paths relative to. */
export interface DiscoverOptions {
  /** The absolute project root; messages show paths relative to it. */
  root: string;
  /** The absolute functions folder. */
  functionsDir: string;
  /** The absolute `base44/shared` folder; need not exist. */
  sharedDir: string;
}

/** What {@link discoverFunctions} found. */
export interface Discovery {
  functions: LocalFunction[];
  problems: DiscoveryProblem[];
  notes: DiscoveryNote[];
}

/** Extensions of code files; one in a folder that is not a function earns a note. */
const CODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

interface Candidate {
  dir: string;
  /** The folder path relative to the functions dir, with `/`. */
  folder: string;
}

/**
 * Finds and reads every function under `functionsDir`. A missing functions folder yields no
 * functions and no problems. Problems with one function leave that function out.
 *
 * @example
 * const { functions, problems } = await discoverFunctions({
 *   root: "/app",
 *   functionsDir: "/app/base44/functions",
 *   sharedDir: "/app/base44/shared",
 * });
 */
export async function discoverFunctions(options: DiscoverOptions): Promise<Discovery> {
  const problems: DiscoveryProblem[] = [];
  const notes: DiscoveryNote[] = [];
  if (!(await isDirectory(options.functionsDir))) return { functions: [], problems, notes };

  const shared = (await isDirectory(options.sharedDir))
    ? await collectFiles(options.sharedDir)
    : { files: [], oversized: [] };
  for (const file of shared.oversized) {
    problems.push({
      code: "PROJECT_INVALID",
      resource: "function",
      message: `Cannot upload shared file ${show(options.root, file.absolute)}: it is larger than 5 MB (${file.size} bytes)`,
      path: file.absolute,
    });
  }

  const candidates: Candidate[] = [];
  await scan(options, options.functionsDir, [], { candidates, problems, notes });

  const loaded = await Promise.all(candidates.map((c) => loadFunction(c, shared, options)));
  const byName = new Map<string, { fn: LocalFunction; folder: string }[]>();
  for (const result of loaded) {
    if ("problem" in result) {
      problems.push(result.problem);
      continue;
    }
    const group = byName.get(result.fn.name) ?? [];
    group.push(result);
    byName.set(result.fn.name, group);
  }

  const functions: LocalFunction[] = [];
  for (const [name, group] of byName) {
    const first = group[0];
    if (first === undefined) continue;
    if (group.length === 1) {
      functions.push(first.fn);
      continue;
    }
    const folders = group.map((g) => show(options.root, g.fn.dir)).join(" and ");
    problems.push({
      code: "PROJECT_INVALID",
      resource: "function",
      message: `Duplicate function name "${name}": defined by ${folders}`,
      path: first.fn.dir,
      function: name,
    });
  }
  functions.sort((a, b) => compare(a.name, b.name));
  return { functions, problems, notes };
}

/** What a scan collects. */
interface Found {
  candidates: Candidate[];
  problems: DiscoveryProblem[];
  notes: DiscoveryNote[];
}

async function scan(
  options: DiscoverOptions,
  dir: string,
  segments: string[],
  found: Found,
): Promise<void> {
  const entries = await readDirSorted(dir);
  const marker = entries.find((e) => !e.isDirectory() && MARKERS.includes(e.name));
  if (marker !== undefined) {
    if (segments.length > 0) {
      found.candidates.push({ dir, folder: segments.join("/") });
      return;
    }
    const file = join(dir, marker.name);
    found.problems.push({
      code: "PROJECT_INVALID",
      resource: "function",
      message: `Cannot load function from ${show(options.root, file)}: ${marker.name} must be inside a named subfolder`,
      path: file,
    });
  } else {
    const code = entries.filter((e) => !e.isDirectory() && isCodeFile(e.name)).map((e) => e.name);
    if (code.length > 0) found.notes.push(skippedCode(options, dir, segments, code));
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || isIgnoredDir(entry.name)) continue;
    const child = join(dir, entry.name);
    if (child === options.sharedDir) continue;
    await scan(options, child, [...segments, entry.name], found);
  }
}

/**
 * The note for code in a folder that is not a function:
 * `Skipped base44/functions/hello: index.ts is not part of any function (…)`.
 */
function skippedCode(
  options: DiscoverOptions,
  dir: string,
  segments: string[],
  files: string[],
): DiscoveryNote {
  const shown = files.length > 3 ? [...files.slice(0, 3), `${files.length - 3} more`] : files;
  const list =
    shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
  const verb = files.length === 1 ? "is" : "are";
  const fix =
    segments.length === 0
      ? `a function is a subfolder with entry.ts, e.g. ${show(options.root, join(dir, "hello", "entry.ts"))}`
      : `a function folder needs entry.ts, entry.js or ${FUNCTION_CONFIG_FILE}`;
  return {
    message: `Skipped ${show(options.root, dir)}: ${list} ${verb} not part of any function (${fix})`,
    path: dir,
  };
}

function isCodeFile(name: string): boolean {
  if (name.startsWith(".") || name.endsWith(".d.ts")) return false;
  return CODE_EXTENSIONS.some((ext) => name.endsWith(ext));
}

type Loaded = { fn: LocalFunction; folder: string } | { problem: DiscoveryProblem };

async function loadFunction(
  candidate: Candidate,
  shared: CollectedFiles,
  options: DiscoverOptions,
): Promise<Loaded> {
  const { dir, folder } = candidate;
  // The folder's path names the function until its function.jsonc gives another name.
  let name = folder;
  const problem = (err: unknown): Loaded => {
    if (!isFnbaseError(err)) throw err;
    const code = err.code === "INVALID_NAME" ? "INVALID_NAME" : "PROJECT_INVALID";
    return {
      problem: { code, resource: "function", message: err.message, path: dir, function: name },
    };
  };
  try {
    const config: FunctionConfig = (await stat(join(dir, FUNCTION_CONFIG_FILE)).catch(() => null))
      ? await readFunctionConfig(join(dir, FUNCTION_CONFIG_FILE), folder)
      : {};
    name = config.name ?? folderName(folder);
    const own = await collectFiles(dir);
    const big = own.oversized[0];
    if (big !== undefined) {
      return problem(
        new FnbaseError(
          "PROJECT_INVALID",
          `Cannot load function "${name}": file ${big.path} is larger than 5 MB (${big.size} bytes)`,
        ),
      );
    }
    const paths = new Set(own.files.map((f) => f.path));
    const entry = config.entry ?? DEFAULT_ENTRIES.find((e) => paths.has(e)) ?? DEFAULT_ENTRIES[0];
    if (!paths.has(entry)) {
      return problem(
        new FnbaseError(
          "PROJECT_INVALID",
          `Cannot load function "${name}": entry file ${entry} not found`,
        ),
      );
    }
    const fn: LocalFunction = {
      name,
      dir,
      entry,
      files: withShared(own.files, shared, dir, options),
    };
    if (config.automations !== undefined) fn.automations = config.automations;
    return { fn, folder };
  } catch (err) {
    return problem(err);
  }
}

/** The name a folder path gives, or an `INVALID_NAME` error that names the folder. */
function folderName(folder: string): string {
  try {
    return validateFunctionName(folder);
  } catch (err) {
    const detail = err instanceof Error ? lowerFirst(err.message) : String(err);
    throw new FnbaseError("INVALID_NAME", `Cannot load function "${folder}": ${detail}`, {
      hint: 'Rename the folder, or set "name" in function.jsonc',
    });
  }
}

/**
 * Adds the shared files, each with the path that reaches it from the function folder
 * (`../../shared/x.ts` at depth 1, `../../../shared/x.ts` at depth 2). The function's own
 * file wins if both give one path.
 */
function withShared(
  own: ProjectFile[],
  shared: CollectedFiles,
  dir: string,
  options: DiscoverOptions,
): ProjectFile[] {
  const byPath = new Map<string, ProjectFile>();
  for (const file of shared.files) {
    const path = toPosix(relative(dir, join(options.sharedDir, file.path)));
    byPath.set(path, { path, content: file.content });
  }
  for (const file of own) byPath.set(file.path, file);
  return [...byPath.values()].sort((a, b) => compare(a.path, b.path));
}
