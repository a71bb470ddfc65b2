/** Collecting the files a function uploads. */
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ProjectFile } from "./types.js";

/** Extensions of the files uploaded with a function. */
export const UPLOAD_EXTENSIONS: readonly string[] = [".ts", ".js", ".json", ".jsonc"];

/** Files larger than this are not uploaded; each one is reported as a problem. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** A file left out because it is larger than {@link MAX_FILE_BYTES}. */
export interface OversizedFile {
  /** Relative to the collected folder, with `/` separators. */
  path: string;
  /** Absolute. */
  absolute: string;
  size: number;
}

/** What {@link collectFiles} found. */
export interface CollectedFiles {
  files: ProjectFile[];
  oversized: OversizedFile[];
}

/**
 * True for a folder name that discovery and file collection skip: any name with a dot
 * (`.git`, `.hidden`, `old.bak`) and `node_modules`.
 *
 * @example
 * isIgnoredDir("foo.bak"); // true
 */
export function isIgnoredDir(name: string): boolean {
  return name.includes(".") || name === "node_modules";
}

/**
 * Reads every uploadable file under `dir`, recursively, as UTF-8 text. Ignored folders
 * ({@link isIgnoredDir}) and hidden files (`.name`) are skipped; symlinked files are followed,
 * symlinked folders are not (no cycles). Paths are relative to `dir`, with `/`, sorted.
 *
 * @example
 * const { files } = await collectFiles("/home/me/app/base44/functions/orders");
 * files.map((f) => f.path); // ["entry.ts", "lib/tax.ts"]
 */
export async function collectFiles(dir: string): Promise<CollectedFiles> {
  const result: CollectedFiles = { files: [], oversized: [] };
  await walk(dir, "", result);
  result.files.sort((a, b) => compare(a.path, b.path));
  result.oversized.sort((a, b) => compare(a.path, b.path));
  return result;
}

async function walk(dir: string, prefix: string, result: CollectedFiles): Promise<void> {
  for (const entry of await readDirSorted(dir)) {
    const absolute = join(dir, entry.name);
    const path = prefix + entry.name;
    if (entry.isDirectory()) {
      if (!isIgnoredDir(entry.name)) await walk(absolute, `${path}/`, result);
      continue;
    }
    if (entry.name.startsWith(".") || !isUploadable(entry.name)) continue;
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const info = await stat(absolute).catch(() => undefined);
    if (info === undefined || !info.isFile()) continue;
    if (info.size > MAX_FILE_BYTES) {
      result.oversized.push({ path, absolute, size: info.size });
      continue;
    }
    result.files.push({ path, content: await readFile(absolute, "utf8") });
  }
}

/** True when the file name ends with one of {@link UPLOAD_EXTENSIONS}. */
function isUploadable(name: string): boolean {
  return UPLOAD_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/**
 * The entries of a folder sorted by name, so every walk is deterministic.
 *
 * @example
 * const entries = await readDirSorted("/home/me/app/base44/functions");
 */
export async function readDirSorted(dir: string): Promise<Dirent[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.sort((a, b) => compare(a.name, b.name));
}

/**
 * Code-unit order, independent of locale.
 *
 * @example
 * ["b", "a"].sort(compare); // ["a", "b"]
 */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
