import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDotenv } from "@fnbase/project";
import { isFnbaseError } from "@fnbase/shared";
import { checkSecretName, checkSecretValue } from "../identity/secret-rules.js";
import type { FnbaseServer } from "../server-types.js";

/** The files `fnbase dev` reads secrets from, in the project root; a later one wins. */
export const DEV_ENV_FILES = [".env", ".env.local"] as const;

/** The secrets of a local project, and why some entries were skipped. */
export interface DevEnv {
  values: Record<string, string>;
  /** Which file each value came from. */
  sources: Record<string, string>;
  problems: string[];
}

/**
 * Reads `.env` then `.env.local` from the project root (missing files count as empty). Entries
 * the parser cannot read or whose names or values fnbase refuses as secrets (`PATH`, `DENO_*`,
 * ...) are skipped and reported.
 *
 * @example
 * const { values, problems } = await readDevEnv("/work/my-app");
 */
export async function readDevEnv(root: string): Promise<DevEnv> {
  const env: DevEnv = { values: {}, sources: {}, problems: [] };
  for (const file of DEV_ENV_FILES) {
    let text: string;
    try {
      text = await readFile(join(root, file), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        env.problems.push(`Cannot read ${file}: ${(err as Error).message}`);
      }
      continue;
    }
    const parsed = parseDotenv(text);
    for (const p of parsed.problems) env.problems.push(`${file}:${p.line}: ${p.message}`);
    for (const [name, value] of Object.entries(parsed.values)) {
      try {
        checkSecretName(name);
        checkSecretValue(name, value);
      } catch (err) {
        env.problems.push(`${file}: ${isFnbaseError(err) ? err.message : String(err)}`);
        continue;
      }
      env.values[name] = value;
      env.sources[name] = file;
    }
  }
  return env;
}

/**
 * Makes the local app's secrets exactly what the project's env files hold: new and changed
 * names are set, vanished ones deleted (running instances are then replaced, so the next
 * request sees the change). Problems are printed, never thrown.
 *
 * @example
 * await syncDevSecrets(server, "local", root, print, true);
 */
export async function syncDevSecrets(
  server: FnbaseServer,
  appId: string,
  root: string,
  print: (kind: "info" | "problem" | "reload", message: string) => void,
  initial: boolean,
): Promise<void> {
  const env = await readDevEnv(root);
  for (const p of env.problems) print("problem", p);
  let changed: boolean;
  try {
    changed = await server.replaceSecrets(appId, env.values);
  } catch (err) {
    print("problem", `Cannot set secrets: ${isFnbaseError(err) ? err.message : String(err)}`);
    return;
  }
  const names = Object.keys(env.values);
  if (initial && names.length > 0) {
    const files = [...new Set(Object.values(env.sources))].join(", ");
    print("info", `Loaded ${names.length} secret(s) from ${files}`);
  } else if (!initial && changed) {
    print("reload", `Reloaded secrets (${names.length}): the next request sees them`);
  }
}
