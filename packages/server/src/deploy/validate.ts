import { posix } from "node:path";
import { validateFunctionName } from "@fnbase/project";
import { FnbaseError } from "@fnbase/shared";
import type { DeployFile } from "../store/index.js";
import { parseMemoryMb } from "./limits.js";

/** A deploy request after validation: paths normalized, entry known to be among the files. */
export interface ValidDeploy {
  name: string;
  entry: string;
  files: DeployFile[];
  automations: unknown[] | null;
  timeoutMs: number | null;
  /** The function's memory limit in MB (`memory_mb`); null: the server's. */
  memoryMb: number | null;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Normalizes a file path given relative to the function folder. Paths may climb into the
 * project's `base44/` folder (`../../shared/util.ts`, as the Base44 CLI sends shared files) but
 * never out of it.
 */
export function normalizeFilePath(name: string, path: string): string {
  const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  const fail = (why: string) =>
    new FnbaseError(
      "INVALID_PATH",
      `Cannot deploy "${name}": file path ${JSON.stringify(shown)} ${why}`,
      {
        hint: "File paths are relative to the function folder and stay inside base44/",
      },
    );
  if (path.trim() === "") throw fail("is empty");
  if (path.includes("\0")) throw fail("contains a NUL byte");
  if (path.includes("\\")) throw fail("uses backslashes");
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) throw fail("is absolute");
  if (Buffer.byteLength(path) > MAX_PATH_BYTES)
    throw fail(`is longer than ${MAX_PATH_BYTES} bytes`);
  const fromRoot = posix.normalize(posix.join("functions", name, path));
  if (fromRoot === ".." || fromRoot.startsWith("../") || fromRoot === ".")
    throw fail("climbs out of the project");
  if (fromRoot.endsWith("/")) throw fail("names a folder");
  if (fromRoot.split("/").some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES))
    throw fail(`has a file or folder name longer than ${MAX_SEGMENT_BYTES} bytes`);
  const rel = posix.relative(posix.join("functions", name), fromRoot);
  if (rel === "") throw fail("names the function's own folder");
  return rel;
}

/** Longest file path of a deploy, in bytes (a path of thousands of levels cannot be written). */
const MAX_PATH_BYTES = 1024;
/** Longest file or folder name, in bytes (what file systems take). */
const MAX_SEGMENT_BYTES = 255;

/**
 * Refuses a file whose path is also a folder of another file (`a` beside `a/b`) or of the
 * function itself (`../<name>` for a function `<name>`): both cannot exist on disk.
 */
function checkFileFolderClash(name: string, paths: string[]): void {
  const folders = new Map<string, string>();
  const fnDir = posix.join("functions", name);
  for (const p of [...paths.map((p) => posix.join(fnDir, p)), posix.join(fnDir, "x")]) {
    for (let d = posix.dirname(p); d !== "."; d = posix.dirname(d)) folders.set(d, p);
  }
  for (const p of paths) {
    const holder = folders.get(posix.join(fnDir, p));
    if (holder !== undefined) {
      const inside = posix.relative(fnDir, holder);
      throw new FnbaseError(
        "INVALID_PATH",
        `Cannot deploy "${name}": file path ${JSON.stringify(p)} is also the folder of ${inside === "x" ? "the function" : JSON.stringify(inside)}`,
        { hint: "A path cannot be both a file and a folder" },
      );
    }
  }
}

/**
 * Checks a `PUT backend-functions/{name}` body. Throws a coded 400 (or 413 over the size limit)
 * and changes nothing when anything is wrong.
 */
export function validateDeploy(
  rawName: string,
  body: unknown,
  maxUploadBytes: number,
): ValidDeploy {
  const name = validateFunctionName(rawName);
  if (!isObject(body)) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Cannot deploy "${name}": the body must be a JSON object`,
      {
        hint: 'Send { "entry": "entry.ts", "files": [{ "path": "entry.ts", "content": "..." }] }',
      },
    );
  }
  const { entry, files, automations } = body;
  if (typeof entry !== "string" || entry.trim() === "") {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Cannot deploy "${name}": "entry" must be a non-empty string`,
    );
  }
  if (!Array.isArray(files) || files.length === 0) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Cannot deploy "${name}": "files" must be a non-empty array`,
    );
  }
  if (automations !== undefined && automations !== null && !Array.isArray(automations)) {
    throw new FnbaseError("BAD_REQUEST", `Cannot deploy "${name}": "automations" must be an array`);
  }
  let timeoutMs: number | null = null;
  if (body.timeout_seconds !== undefined && body.timeout_seconds !== null) {
    const t = body.timeout_seconds;
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0.1 || t > 3600) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Cannot deploy "${name}": "timeout_seconds" must be a number of seconds from 0.1 to 3600: ${JSON.stringify(t)}`,
      );
    }
    timeoutMs = Math.round(t * 1000);
  }
  const memoryMb = parseMemoryMb(name, body.memory_mb);

  const seen = new Set<string>();
  const out: DeployFile[] = [];
  let total = 0;
  for (const [i, f] of files.entries()) {
    if (!isObject(f) || typeof f.path !== "string" || typeof f.content !== "string") {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Cannot deploy "${name}": files[${i}] must be { path: string, content: string }`,
      );
    }
    const path = normalizeFilePath(name, f.path);
    if (seen.has(path)) {
      throw new FnbaseError(
        "DUPLICATE_PATH",
        `Cannot deploy "${name}": file path "${path}" appears more than once`,
      );
    }
    seen.add(path);
    total += Buffer.byteLength(f.content);
    if (total > maxUploadBytes) {
      throw new FnbaseError(
        "PAYLOAD_TOO_LARGE",
        `Cannot deploy "${name}": the files add up to more than ${maxUploadBytes} bytes`,
        {
          hint: "Leave build output and data files out of the function folder",
        },
      );
    }
    out.push({ path, content: f.content });
  }
  checkFileFolderClash(name, [...seen]);
  const entryPath = normalizeFilePath(name, entry);
  if (!seen.has(entryPath)) {
    throw new FnbaseError(
      "ENTRY_NOT_FOUND",
      `Cannot deploy "${name}": entry file ${entryPath} not found in the upload`,
      {
        hint: 'Include the entry file in "files", with the same path as "entry"',
      },
    );
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    name,
    entry: entryPath,
    files: out,
    automations: (automations as unknown[] | undefined) ?? null,
    timeoutMs,
    memoryMb,
  };
}
