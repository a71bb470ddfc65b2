// How the build writes what instances read (the SDK bundles and their declarations): only when
// the content changed, and by renaming a complete file into place, so that a build run while
// servers are up (`npm start`, a test that runs it) never shows a Deno process a half-written
// or empty module.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

/**
 * Writes `data` to `path` unless the file already holds exactly that.
 *
 * @param {string} path
 * @param {string | Uint8Array} data
 * @returns {boolean} whether the file was written
 */
export function writeIfChanged(path, data) {
  const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
  if (existsSync(path) && readFileSync(path).equals(bytes)) return false;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
  return true;
}
