import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../store/index.js";

const META_KEY = "admin_key_sha256";

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** The admin API key check: only its SHA-256 is kept. */
export interface AdminKey {
  /** The key in clear, when it was generated at this start (printed once). */
  generated?: string;
  /** The key in clear when it came from options or FNBASE_ADMIN_KEY. */
  given?: string;
  matches(candidate: string): boolean;
  /**
   * Keeps a generated key's hash in the store. The server calls it once it serves, so that a
   * start that fails (its port taken, say) keeps none, and the next start makes a key and
   * prints it (a newcomer trial, 2026-12-01, lost the key printed by nobody).
   */
  persist?(): Promise<void>;
}

/**
 * Sets up the admin key: a given key (option or `FNBASE_ADMIN_KEY`) is accepted as is; without
 * one, the server creates a key at first start, returns it once to be printed, and keeps only
 * its hash (once it serves: {@link AdminKey.persist}).
 */
export async function setupAdminKey(store: Store, given: string | undefined): Promise<AdminKey> {
  let generated: string | undefined;
  let hash: Buffer;
  if (given) {
    hash = sha256(given);
  } else {
    const stored = await store.getMeta(META_KEY);
    if (stored) hash = Buffer.from(stored, "hex");
    else {
      generated = `b44k_${randomBytes(24).toString("base64url")}`;
      hash = sha256(generated);
    }
  }
  const result: AdminKey = {
    matches: (candidate) => timingSafeEqual(sha256(candidate), hash),
  };
  if (generated) {
    result.generated = generated;
    const hex = hash.toString("hex");
    result.persist = () => store.setMeta(META_KEY, hex);
  }
  if (given) result.given = given;
  return result;
}
