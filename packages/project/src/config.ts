/** Finding a project on disk and reading `base44/config.jsonc`. */
import { readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { isObject, parseJsonc } from "./jsonc.js";

/** The folder inside a project that holds its configuration and functions. */
export const BASE44_DIR = "base44";

/** Config file names, in order of preference. */
const CONFIG_FILES = ["config.jsonc", "config.json"] as const;

/** The default functions folder, relative to `base44/`. */
export const DEFAULT_FUNCTIONS_DIR = "./functions";

/** The default entities folder, relative to `base44/` (as in the Base44 CLI). */
export const DEFAULT_ENTITIES_DIR = "./entities";

/** Config keys that name a folder: each must be a non-empty string when present. */
const FOLDER_KEYS = ["functionsDir", "entitiesDir"] as const;

/**
 * Walks up from `startDir` to the first folder that holds `base44/config.jsonc` (or
 * `base44/config.json`).
 *
 * @returns The absolute project root, or `undefined` when no folder up to the file system
 *   root has one.
 * @example
 * await findProjectRoot("/home/me/app/base44/functions/orders"); // "/home/me/app"
 */
export async function findProjectRoot(startDir: string): Promise<string | undefined> {
  let dir = resolve(startDir);
  for (;;) {
    if ((await findConfigFile(dir)) !== undefined) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The config file of the project at `root`, or `undefined` when there is none. */
export async function findConfigFile(root: string): Promise<string | undefined> {
  for (const name of CONFIG_FILES) {
    const file = join(root, BASE44_DIR, name);
    if (await isFile(file)) return file;
  }
  return undefined;
}

/**
 * Reads and checks a project config file.
 *
 * @throws {FnbaseError} `PROJECT_INVALID` for bad JSONC (with line and column), a value that
 *   is not an object, or a `functionsDir` or `entitiesDir` that is not a non-empty string.
 * @example
 * const config = await readProjectConfig("/home/me/app/base44/config.jsonc");
 */
export async function readProjectConfig(file: string): Promise<Record<string, unknown>> {
  const parsed = parseJsonc(await readFile(file, "utf8"));
  if (!parsed.ok) {
    throw new FnbaseError(
      "PROJECT_INVALID",
      `Cannot read ${file}: invalid JSONC at ${parsed.error}`,
    );
  }
  if (!isObject(parsed.value)) {
    throw new FnbaseError("PROJECT_INVALID", `Cannot read ${file}: expected a JSON object`);
  }
  for (const key of FOLDER_KEYS) {
    const value = parsed.value[key];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      throw new FnbaseError(
        "PROJECT_INVALID",
        `Cannot read ${file}: "${key}" must be a non-empty string, got ${JSON.stringify(value)}`,
      );
    }
  }
  return parsed.value;
}

/** True when `path` exists and is a file (following symlinks). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
