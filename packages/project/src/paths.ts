/** Path helpers shared by function and entity discovery. */
import { stat } from "node:fs/promises";
import { relative, sep } from "node:path";

/**
 * `path` relative to the project root with `/` separators, as messages show it.
 *
 * @example
 * show("/app", "/app/base44/entities/Task.jsonc"); // "base44/entities/Task.jsonc"
 */
export function show(root: string, path: string): string {
  return toPosix(relative(root, path)) || ".";
}

/** A native path with `/` separators. */
export function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

/** True when `path` exists and is a folder (following symlinks). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
