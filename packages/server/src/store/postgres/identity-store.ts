import { type Kysely, sql } from "kysely";
import type { ApiKeyRow, IdentityStore, SecretRow, UserRow } from "../identity-types.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;

/** Emails compare without case. */
const emailKey = (email: string) => email.trim().toLowerCase();

const USER_COLUMNS = sql`id, app_id, email, full_name, role, password_hash, data, created_date, updated_date`;

/**
 * The PostgreSQL implementation of {@link IdentityStore}. `data` is a `json` column (key order
 * kept, as on SQLite); `pg` hands it back parsed.
 *
 * @example
 * const identity = openPgIdentityStore(db);
 */
export function openPgIdentityStore(db: Db): IdentityStore {
  const rows = async <T>(q: { execute(db: Db): Promise<{ rows: unknown[] }> }) =>
    (await q.execute(db)).rows as T[];
  const getUser = async (appId: string, id: string) =>
    (
      await rows<UserRow>(
        sql`SELECT ${USER_COLUMNS} FROM users WHERE app_id = ${appId} AND id = ${id}`,
      )
    )[0];
  return {
    async insertUser(u) {
      await sql`INSERT INTO users (id, app_id, email, email_key, full_name, role, password_hash, data, created_date, updated_date)
        VALUES (${u.id}, ${u.app_id}, ${u.email}, ${emailKey(u.email)}, ${u.full_name}, ${u.role},
          ${u.password_hash}, ${JSON.stringify(u.data)}::json, ${u.created_date}, ${u.updated_date})`.execute(
        db,
      );
    },
    getUser,
    async getUserByEmail(appId, email) {
      return (
        await rows<UserRow>(
          sql`SELECT ${USER_COLUMNS} FROM users WHERE app_id = ${appId} AND email_key = ${emailKey(email)}`,
        )
      )[0];
    },
    async updateUser(appId, id, patch) {
      const sets = [sql`updated_date = ${new Date().toISOString()}`];
      for (const field of ["full_name", "role", "password_hash"] as const) {
        if (patch[field] !== undefined) sets.push(sql`${sql.ref(field)} = ${patch[field]}`);
      }
      if (patch.data !== undefined) sets.push(sql`data = ${JSON.stringify(patch.data)}::json`);
      const [row] = await rows<UserRow>(
        sql`UPDATE users SET ${sql.join(sets)} WHERE app_id = ${appId} AND id = ${id} RETURNING ${USER_COLUMNS}`,
      );
      return row;
    },
    async listSecrets(appId) {
      return await rows<SecretRow>(
        sql`SELECT app_id, name, value, size, updated_date FROM secrets WHERE app_id = ${appId} ORDER BY name COLLATE "C"`,
      );
    },
    async putSecrets(list) {
      if (list.length === 0) return;
      await sql`INSERT INTO secrets (app_id, name, value, size, updated_date) VALUES ${sql.join(
        list.map((r) => sql`(${r.app_id}, ${r.name}, ${r.value}, ${r.size}, ${r.updated_date})`),
      )} ON CONFLICT (app_id, name) DO UPDATE SET value = excluded.value, size = excluded.size,
        updated_date = excluded.updated_date`.execute(db);
    },
    async deleteSecret(appId, name) {
      const r = await sql`DELETE FROM secrets WHERE app_id = ${appId} AND name = ${name}`.execute(
        db,
      );
      return Number(r.numAffectedRows ?? 0) > 0;
    },
    async insertApiKey(k) {
      await sql`INSERT INTO api_keys (id, name, prefix, key_hash, created_date, last_used_date, revoked_date)
        VALUES (${k.id}, ${k.name}, ${k.prefix}, ${k.key_hash}, ${k.created_date}, ${k.last_used_date}, ${k.revoked_date})`.execute(
        db,
      );
    },
    async listApiKeys() {
      return await rows<ApiKeyRow>(sql`SELECT * FROM api_keys ORDER BY created_date, id`);
    },
    async findApiKey(keyHash) {
      return (
        await rows<ApiKeyRow>(
          sql`SELECT * FROM api_keys WHERE key_hash = ${keyHash} AND revoked_date IS NULL`,
        )
      )[0];
    },
    async touchApiKey(id, when) {
      await sql`UPDATE api_keys SET last_used_date = ${when} WHERE id = ${id}`.execute(db);
    },
    async revokeApiKey(id, when) {
      const r =
        await sql`UPDATE api_keys SET revoked_date = ${when} WHERE id = ${id} AND revoked_date IS NULL`.execute(
          db,
        );
      return Number(r.numAffectedRows ?? 0) > 0;
    },
  };
}
