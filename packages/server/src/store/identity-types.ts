/**
 * The identity part of the store: app users, encrypted secrets and workspace API keys. It is
 * a sub-store (`store.identity`) so the core Store interface stays about apps and functions.
 */

/** An app user as stored, password hash included: never hand this to a caller as is. */
export interface UserRow {
  id: string;
  app_id: string;
  email: string;
  full_name: string | null;
  /** `user`, `admin`, or a role the app's User schema declares (an enum on `role`). */
  role: string;
  password_hash: string;
  /** Extra fields a user or admin set through `PUT`, as a JSON object. */
  data: Record<string, unknown>;
  created_date: string;
  updated_date: string;
}

/** The fields of a user that can change. */
export type UserPatch = Partial<Pick<UserRow, "full_name" | "role" | "password_hash" | "data">>;

/** An encrypted secret of an app. */
export interface SecretRow {
  app_id: string;
  name: string;
  /** The sealed value (see `identity/secret-box.ts`), never the clear text. */
  value: string;
  /** Length of the clear value in bytes (for the per-app limit). */
  size: number;
  updated_date: string;
}

/** A workspace API key; only its SHA-256 is kept. */
export interface ApiKeyRow {
  id: string;
  name: string;
  /** The first characters of the key, shown in lists to tell keys apart. */
  prefix: string;
  key_hash: string;
  created_date: string;
  last_used_date: string | null;
  revoked_date: string | null;
}

/** What fnbase keeps about identities and secrets. */
export interface IdentityStore {
  insertUser(user: UserRow): Promise<void>;
  getUser(appId: string, id: string): Promise<UserRow | undefined>;
  getUserByEmail(appId: string, email: string): Promise<UserRow | undefined>;
  updateUser(appId: string, id: string, patch: UserPatch): Promise<UserRow | undefined>;

  listSecrets(appId: string): Promise<SecretRow[]>;
  /** Upserts every row in one transaction. */
  putSecrets(rows: SecretRow[]): Promise<void>;
  deleteSecret(appId: string, name: string): Promise<boolean>;

  insertApiKey(key: ApiKeyRow): Promise<void>;
  listApiKeys(): Promise<ApiKeyRow[]>;
  /** The live (not revoked) key with this hash. */
  findApiKey(keyHash: string): Promise<ApiKeyRow | undefined>;
  touchApiKey(id: string, when: string): Promise<void>;
  revokeApiKey(id: string, when: string): Promise<boolean>;
}
