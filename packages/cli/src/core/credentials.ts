import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { FnbaseError, readEnv } from "@fnbase/shared";

/** What `fnbase login` stores. */
export interface StoredCredentials {
  server: string;
  key: string;
}

/** The server and key a command uses, and where each came from. */
export interface Credentials {
  server: string;
  key: string;
  serverSource: string;
  keySource: string;
}

const FILE = "credentials.json";

/**
 * The CLI's config dir: `FNBASE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/fnbase`, else
 * `~/.config/fnbase`. A relative `XDG_CONFIG_HOME` is ignored, as the XDG spec says.
 *
 * @example
 * configDir(); // "/home/ada/.config/fnbase"
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = readEnv("FNBASE_CONFIG_DIR", env);
  if (explicit !== undefined) return explicit;
  const xdg = readEnv("XDG_CONFIG_HOME", env);
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), ".config"), "fnbase");
}

/** The path of the credentials file. */
export function credentialsPath(): string {
  return join(configDir(), FILE);
}

/** Reads the stored credentials, or undefined when there are none. */
export async function readStored(): Promise<StoredCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(credentialsPath(), "utf8");
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<StoredCredentials>;
    if (typeof v.server === "string" && typeof v.key === "string") {
      return { server: v.server, key: v.key };
    }
  } catch {}
  throw new FnbaseError("NOT_LOGGED_IN", `Cannot read ${credentialsPath()}: invalid credentials`, {
    hint: "Run `fnbase login` again",
  });
}

/** Stores credentials with mode 0600 (the folder 0700). */
export async function writeStored(c: StoredCredentials): Promise<string> {
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  const path = credentialsPath();
  await writeFile(path, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** Deletes the stored credentials; true when there were some. */
export async function removeStored(): Promise<boolean> {
  const had = (await readStored().catch(() => ({}))) !== undefined;
  await rm(credentialsPath(), { force: true });
  return had;
}

/** Strips a trailing slash from a server URL and checks it is http(s). */
export function normalizeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FnbaseError("USAGE", `Invalid server URL: ${url}`, {
      hint: "Pass a full URL such as http://127.0.0.1:4400",
    });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new FnbaseError("USAGE", `Invalid server URL: ${url}: only http and https are supported`);
  }
  return url.replace(/\/+$/, "");
}

/**
 * The credentials a command uses: `FNBASE_SERVER` / `BASE44_API_URL` and `FNBASE_API_KEY` /
 * `BASE44_API_KEY` override what `fnbase login` stored.
 *
 * @throws {FnbaseError} `NOT_LOGGED_IN` when either the server or the key is unknown.
 */
export async function resolveCredentials(): Promise<Credentials> {
  const stored = await readStored();
  const envServer = readEnv("FNBASE_SERVER") ?? readEnv("BASE44_API_URL");
  const envKey = readEnv("FNBASE_API_KEY") ?? readEnv("BASE44_API_KEY");
  const server = envServer ?? stored?.server;
  const key = envKey ?? stored?.key;
  if (server === undefined || key === undefined) {
    throw new FnbaseError("NOT_LOGGED_IN", "Not logged in: no server URL or API key configured", {
      hint: "Run `fnbase login --server URL --key KEY` or set FNBASE_SERVER and FNBASE_API_KEY",
    });
  }
  const envName = (
    a: "FNBASE_SERVER" | "FNBASE_API_KEY",
    b: "BASE44_API_URL" | "BASE44_API_KEY",
  ) => (readEnv(a) !== undefined ? a : b);
  return {
    server: normalizeServer(server),
    key,
    serverSource: envServer ? envName("FNBASE_SERVER", "BASE44_API_URL") : credentialsPath(),
    keySource: envKey ? envName("FNBASE_API_KEY", "BASE44_API_KEY") : credentialsPath(),
  };
}

/** A key shown without its secret part: `b44k_abc…xyz`. */
export function maskKey(key: string): string {
  return key.length <= 12 ? "****" : `${key.slice(0, 8)}…${key.slice(-4)}`;
}
