/** The key fnbase keeps a browser's access token under. */
export const TOKEN_KEY = "fnbase_access_token";
/** The key `@base44/sdk` uses; read too, so a session started by it carries over. */
export const BASE44_TOKEN_KEY = "base44_access_token";

/**
 * Where a client keeps its user's access token between page loads. A browser client uses
 * `localStorage` by default; pass your own (or `false`) through `createClient({ storage })`.
 *
 * @example
 * ```ts
 * const memory = new Map<string, string>();
 * const storage: TokenStorage = {
 *   getItem: (key) => memory.get(key) ?? null,
 *   setItem: (key, value) => void memory.set(key, value),
 *   removeItem: (key) => void memory.delete(key),
 * };
 * const client = createClient({ appId, serverUrl, storage });
 * ```
 */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * `localStorage` when running in a browser page, else `undefined`. Deno also has a
 * `localStorage`, but a server process shared by many callers must not keep one caller's token
 * there, so a document is required too.
 */
export function browserStorage(): TokenStorage | undefined {
  const g = globalThis as { document?: unknown; localStorage?: TokenStorage };
  if (g.document === undefined) return undefined;
  try {
    return g.localStorage ?? undefined;
  } catch {
    return undefined; // reading localStorage throws when storage is blocked
  }
}

/** Reads the stored token, the fnbase key first, then `@base44/sdk`'s. */
export function readToken(storage: TokenStorage | undefined): string | undefined {
  if (!storage) return undefined;
  try {
    return storage.getItem(TOKEN_KEY) ?? storage.getItem(BASE44_TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Stores the token; a storage that refuses (quota, private mode) leaves it in memory only. */
export function writeToken(storage: TokenStorage | undefined, token: string): void {
  try {
    storage?.setItem(TOKEN_KEY, token);
  } catch {
    // the token still lives in memory for this page
  }
}

/** Forgets the token under both keys. */
export function removeToken(storage: TokenStorage | undefined): void {
  try {
    storage?.removeItem(TOKEN_KEY);
    storage?.removeItem(BASE44_TOKEN_KEY);
  } catch {
    // nothing stored, or storage blocked
  }
}

/**
 * Takes an `access_token` query parameter off the page's URL (where a login redirect leaves
 * it, as with `@base44/sdk`) and returns it; the URL is rewritten without it.
 */
export function takeTokenFromUrl(): string | undefined {
  const g = globalThis as {
    document?: { title: string };
    location?: { search: string; pathname: string; hash: string };
    history?: { replaceState(data: unknown, unused: string, url: string): void };
  };
  if (!g.document || !g.location) return undefined;
  try {
    const params = new URLSearchParams(g.location.search);
    const token = params.get("access_token");
    if (!token) return undefined;
    params.delete("access_token");
    const query = params.toString();
    g.history?.replaceState(
      {},
      g.document.title,
      `${g.location.pathname}${query ? `?${query}` : ""}${g.location.hash}`,
    );
    return token;
  } catch {
    return undefined;
  }
}
