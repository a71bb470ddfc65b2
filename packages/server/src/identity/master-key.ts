import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import type { Store } from "../store/index.js";

/** Meta key of the verifier: an HMAC of a constant under the master key, never the key. */
const VERIFIER_META = "master_key_verifier";
const VERIFIER_INPUT = "fnbase master key verifier v1";
/** Name of the key file the server creates in its data dir when no key is given. */
export const MASTER_KEY_FILE = "master.key";

/** The master key that seals secrets at rest, and where it came from (for messages). */
export interface MasterKey {
  key: Buffer;
  source: "FNBASE_MASTER_KEY" | "key file";
}

/** Parses 64 hex characters or base64 of 32 bytes; anything else is a CONFIG_INVALID error. */
export function parseMasterKey(text: string, source: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t, t.includes("-") || t.includes("_") ? "base64url" : "base64");
    if (b.length === 32) return b;
  }
  throw new FnbaseError("CONFIG_INVALID", `Invalid master key in ${source}: not 32 bytes`, {
    hint: "Use 64 hex characters or base64 of 32 bytes, e.g. `openssl rand -hex 32`",
  });
}

const verifierOf = (key: Buffer) => createHmac("sha256", key).update(VERIFIER_INPUT).digest();

/**
 * Loads the master key from `given` (the option or `FNBASE_MASTER_KEY`) or from
 * `<dataDir>/master.key`, creating that file (mode 0600) at first start. The first key used
 * with a data dir is remembered by a verifier in the store; a server started later with another
 * key (or without its key file) refuses to start with MASTER_KEY_MISMATCH rather than serve
 * secrets it cannot decrypt.
 *
 * @example
 * const master = await loadMasterKey(store, "/var/lib/fnbase", process.env.FNBASE_MASTER_KEY);
 */
export async function loadMasterKey(
  store: Store,
  dataDir: string,
  given: string | undefined,
): Promise<MasterKey> {
  const stored = await store.getMeta(VERIFIER_META);
  const file = join(dataDir, MASTER_KEY_FILE);
  let master: MasterKey;
  if (given !== undefined) {
    master = { key: parseMasterKey(given, "FNBASE_MASTER_KEY"), source: "FNBASE_MASTER_KEY" };
  } else if (existsSync(file)) {
    master = { key: parseMasterKey(await readFile(file, "utf8"), file), source: "key file" };
  } else if (stored !== undefined) {
    throw new FnbaseError(
      "MASTER_KEY_MISMATCH",
      `Master key missing: secrets in this data dir were sealed with a key that is neither in FNBASE_MASTER_KEY nor in ${file}`,
      { hint: "Restore the master.key file or set FNBASE_MASTER_KEY to the original key" },
    );
  } else {
    const key = randomBytes(32);
    await writeFile(file, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    master = { key, source: "key file" };
  }
  const verifier = verifierOf(master.key);
  if (stored === undefined) {
    await store.setMeta(VERIFIER_META, verifier.toString("hex"));
  } else if (!timingSafeEqual(Buffer.from(stored, "hex"), verifier)) {
    throw new FnbaseError(
      "MASTER_KEY_MISMATCH",
      `Wrong master key: the key from ${master.source === "key file" ? file : master.source} is not the one this data dir's secrets were sealed with`,
      {
        hint: "Start the server with the original FNBASE_MASTER_KEY (or master.key file); the server will not start with another",
      },
    );
  }
  return master;
}
