/** `base44/.app.jsonc`: the link from a project folder to an app (not committed). */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { isObject, parseJsonc } from "./jsonc.js";

/** The file name of the app link inside `base44/`. */
const APP_LINK_FILE = ".app.jsonc";

/**
 * Reads the app id from `base44/.app.jsonc`.
 *
 * @returns The id, or `undefined` when the folder is not linked.
 * @throws {FnbaseError} `PROJECT_INVALID` when the file is not JSONC or has no string `id`.
 * @example
 * const appId = await readAppLink("/home/me/app/base44"); // "app_123" or undefined
 */
export async function readAppLink(base44Dir: string): Promise<string | undefined> {
  const file = join(base44Dir, APP_LINK_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const parsed = parseJsonc(text);
  if (!parsed.ok) {
    throw new FnbaseError(
      "PROJECT_INVALID",
      `Cannot read ${file}: invalid JSONC at ${parsed.error}`,
      {
        hint: "Fix the file or delete it and link the app again",
      },
    );
  }
  const id = isObject(parsed.value) ? parsed.value.id : undefined;
  if (typeof id !== "string" || id.trim() === "") {
    throw new FnbaseError(
      "PROJECT_INVALID",
      `Cannot read ${file}: "id" must be a non-empty string`,
      {
        hint: "Fix the file or delete it and link the app again",
      },
    );
  }
  return id.trim();
}

/**
 * Links the project to an app by writing `base44/.app.jsonc` (replacing any old link).
 * The write goes through a temporary file, so a reader never sees half a file.
 *
 * @throws {TypeError} When `appId` is empty.
 * @example
 * await writeAppLink("/home/me/app/base44", "app_123");
 */
export async function writeAppLink(base44Dir: string, appId: string): Promise<void> {
  const id = appId.trim();
  if (id === "") throw new TypeError(`Invalid app id: "${appId}"`);
  await mkdir(base44Dir, { recursive: true });
  const file = join(base44Dir, APP_LINK_FILE);
  const temp = `${file}.${randomUUID()}.tmp`;
  const text = `// Links this folder to an fnbase app. Do not commit it.\n${JSON.stringify({ id }, null, 2)}\n`;
  await writeFile(temp, text, "utf8");
  await rename(temp, file);
}
