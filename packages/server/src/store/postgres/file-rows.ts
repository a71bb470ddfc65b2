import { type Kysely, sql } from "kysely";
import type { FileRow, FileRowStore } from "../../integrations/files/file-rows.js";

type Db = Kysely<Record<string, Record<string, unknown>>>;

/**
 * Uploaded files' rows in the PostgreSQL store, so every node finds a file any node took. The
 * quota check and the insert run in one transaction under an advisory lock of the app, so two
 * uploads on two nodes cannot both pass the app's limit.
 *
 * @example
 * const rows = pgFileRows(store.connection.db);
 */
export function pgFileRows(db: Db): FileRowStore {
  const total = async (on: Db, appId: string) =>
    Number(
      (
        await sql<{
          n: number;
        }>`SELECT COALESCE(SUM(size), 0) AS n FROM files WHERE app_id = ${appId}`.execute(on)
      ).rows[0]?.n ?? 0,
    );
  return {
    async insertWithin(row, maxAppBytes) {
      return await db.transaction().execute(async (tx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext(${`files:${row.app_id}`}))`.execute(tx);
        if ((await total(tx, row.app_id)) + row.size > maxAppBytes) return false;
        await sql`INSERT INTO files (app_id, id, visibility, name, content_type, size, owner_id, created_date)
          VALUES (${row.app_id}, ${row.id}, ${row.visibility}, ${row.name}, ${row.content_type},
            ${row.size}, ${row.owner_id}, ${row.created_date})`.execute(tx);
        return true;
      });
    },
    async get(appId, id) {
      const { rows } =
        await sql<FileRow>`SELECT * FROM files WHERE app_id = ${appId} AND id = ${id}`.execute(db);
      return rows[0] && { ...rows[0], size: Number(rows[0].size) };
    },
    totalBytes: (appId) => total(db, appId),
  };
}
