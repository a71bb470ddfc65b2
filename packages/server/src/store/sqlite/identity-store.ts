import type Database from "better-sqlite3";
import type { ApiKeyRow, IdentityStore, SecretRow, UserRow } from "../identity-types.js";

interface UserDbRow extends Omit<UserRow, "data"> {
  data: string;
}

const toUser = (r: UserDbRow): UserRow => ({
  ...r,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

/** Emails compare without case. */
const emailKey = (email: string) => email.trim().toLowerCase();

/**
 * The SQLite implementation of {@link IdentityStore}, over the same database as the core store.
 *
 * @example
 * const identity = openIdentityStore(db);
 * await identity.getUserByEmail("app1", "ada@example.com");
 */
export function openIdentityStore(db: Database.Database): IdentityStore {
  const q = {
    insertUser: db.prepare(
      `INSERT INTO users (id, app_id, email, email_key, full_name, role, password_hash, data, created_date, updated_date)
       VALUES (@id, @app_id, @email, @email_key, @full_name, @role, @password_hash, @data, @created_date, @updated_date)`,
    ),
    getUser: db.prepare<[string, string], UserDbRow>(
      "SELECT * FROM users WHERE app_id = ? AND id = ?",
    ),
    getUserByEmail: db.prepare<[string, string], UserDbRow>(
      "SELECT * FROM users WHERE app_id = ? AND email_key = ?",
    ),
    listSecrets: db.prepare<[string], SecretRow>(
      "SELECT * FROM secrets WHERE app_id = ? ORDER BY name",
    ),
    putSecret: db.prepare(
      `INSERT INTO secrets (app_id, name, value, size, updated_date) VALUES (@app_id, @name, @value, @size, @updated_date)
       ON CONFLICT(app_id, name) DO UPDATE SET value = excluded.value, size = excluded.size,
         updated_date = excluded.updated_date`,
    ),
    deleteSecret: db.prepare("DELETE FROM secrets WHERE app_id = ? AND name = ?"),
    insertApiKey: db.prepare(
      `INSERT INTO api_keys (id, name, prefix, key_hash, created_date, last_used_date, revoked_date)
       VALUES (@id, @name, @prefix, @key_hash, @created_date, @last_used_date, @revoked_date)`,
    ),
    listApiKeys: db.prepare<[], ApiKeyRow>("SELECT * FROM api_keys ORDER BY created_date, id"),
    findApiKey: db.prepare<[string], ApiKeyRow>(
      "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_date IS NULL",
    ),
    touchApiKey: db.prepare("UPDATE api_keys SET last_used_date = ? WHERE id = ?"),
    revokeApiKey: db.prepare(
      "UPDATE api_keys SET revoked_date = ? WHERE id = ? AND revoked_date IS NULL",
    ),
  };
  const putSecrets = db.transaction((rows: SecretRow[]) => {
    for (const r of rows) q.putSecret.run(r);
  });

  return {
    async insertUser(u) {
      q.insertUser.run({ ...u, email_key: emailKey(u.email), data: JSON.stringify(u.data) });
    },
    async getUser(appId, id) {
      const r = q.getUser.get(appId, id);
      return r && toUser(r);
    },
    async getUserByEmail(appId, email) {
      const r = q.getUserByEmail.get(appId, emailKey(email));
      return r && toUser(r);
    },
    async updateUser(appId, id, patch) {
      const sets: string[] = [];
      const values: Record<string, unknown> = { app_id: appId, id, now: new Date().toISOString() };
      for (const field of ["full_name", "role", "password_hash"] as const) {
        if (patch[field] === undefined) continue;
        sets.push(`${field} = @${field}`);
        values[field] = patch[field];
      }
      if (patch.data !== undefined) {
        sets.push("data = @data");
        values.data = JSON.stringify(patch.data);
      }
      sets.push("updated_date = @now");
      db.prepare(`UPDATE users SET ${sets.join(", ")} WHERE app_id = @app_id AND id = @id`).run(
        values,
      );
      const r = q.getUser.get(appId, id);
      return r && toUser(r);
    },
    async listSecrets(appId) {
      return q.listSecrets.all(appId);
    },
    async putSecrets(rows) {
      putSecrets(rows);
    },
    async deleteSecret(appId, name) {
      return q.deleteSecret.run(appId, name).changes > 0;
    },
    async insertApiKey(k) {
      q.insertApiKey.run(k);
    },
    async listApiKeys() {
      return q.listApiKeys.all();
    },
    async findApiKey(keyHash) {
      return q.findApiKey.get(keyHash);
    },
    async touchApiKey(id, when) {
      q.touchApiKey.run(when, id);
    },
    async revokeApiKey(id, when) {
      return q.revokeApiKey.run(when, id).changes > 0;
    },
  };
}
