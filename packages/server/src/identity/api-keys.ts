import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type ApiKeyInfo, type CreatedApiKey, FnbaseError } from "@fnbase/shared";
import type { ApiKeyRow, IdentityStore } from "../store/index.js";

/** Prefix of every API key, so tools that read `BASE44_API_KEY` send it as `api_key`. */
export const API_KEY_PREFIX = "b44k_";
const SHOWN_CHARS = 12;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const info = (r: ApiKeyRow): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  created_date: r.created_date,
  last_used_date: r.last_used_date,
  revoked_date: r.revoked_date,
});

/**
 * Workspace API keys for the management API: created once (the key is shown only then),
 * listed by prefix, revoked; only their SHA-256 is stored.
 *
 * @example
 * const { key } = await apiKeys.create("ci");
 * await apiKeys.matches(key); // true
 */
export class ApiKeyService {
  readonly #store: IdentityStore;
  readonly #revoked: () => Promise<void>;

  /** `revoked` runs after a key is revoked (the front drops decisions made with it). */
  constructor(store: IdentityStore, revoked: () => Promise<void> = () => Promise.resolve()) {
    this.#store = store;
    this.#revoked = revoked;
  }

  /** Creates a key; the answer's `key` is the only time it is seen in clear. */
  async create(name: unknown): Promise<CreatedApiKey> {
    if (name !== undefined && (typeof name !== "string" || name.length > 100)) {
      throw new FnbaseError("BAD_REQUEST", '"name" must be a string of at most 100 characters');
    }
    const key = `${API_KEY_PREFIX}${randomBytes(24).toString("base64url")}`;
    const row: ApiKeyRow = {
      id: randomUUID(),
      name: typeof name === "string" && name.trim() !== "" ? name.trim() : "api key",
      prefix: key.slice(0, SHOWN_CHARS),
      key_hash: sha256(key),
      created_date: new Date().toISOString(),
      last_used_date: null,
      revoked_date: null,
    };
    await this.#store.insertApiKey(row);
    return { ...info(row), key };
  }

  /** Every key, revoked ones included, without the keys themselves. */
  async list(): Promise<ApiKeyInfo[]> {
    return (await this.#store.listApiKeys()).map(info);
  }

  /** Revokes a key; false when there is no live key with that id. */
  async revoke(id: string): Promise<boolean> {
    const done = await this.#store.revokeApiKey(id, new Date().toISOString());
    await this.#revoked();
    return done;
  }

  /** True when `key` is a live workspace key (and records its use). */
  async matches(key: string): Promise<boolean> {
    if (!key.startsWith(API_KEY_PREFIX)) return false;
    const row = await this.#store.findApiKey(sha256(key));
    if (!row) return false;
    await this.#store.touchApiKey(row.id, new Date().toISOString());
    return true;
  }
}
