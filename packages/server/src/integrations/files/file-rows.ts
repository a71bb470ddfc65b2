import type Database from "better-sqlite3";

/** An uploaded file as `integrations.db` keeps it (the bytes are in the storage). */
export interface FileRow {
  app_id: string;
  /** 22 random base64url characters (128 bits): the unguessable part of a public link. */
  id: string;
  visibility: "public" | "private";
  /** The uploader's file name, made safe (`safeFileName`). */
  name: string;
  content_type: string;
  /** Bytes. */
  size: number;
  /** The user who uploaded it; null for the service role. */
  owner_id: string | null;
  created_date: string;
}

/**
 * The `files` table: one row per stored file, written once the bytes are complete, so a row
 * always has its bytes. Synchronous (better-sqlite3).
 */
export class FileRows {
  readonly #insert: Database.Statement;
  readonly #get: Database.Statement;
  readonly #total: Database.Statement;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      `INSERT INTO files (app_id, id, visibility, name, content_type, size, owner_id, created_date)
       VALUES (@app_id, @id, @visibility, @name, @content_type, @size, @owner_id, @created_date)`,
    );
    this.#get = db.prepare("SELECT * FROM files WHERE app_id = ? AND id = ?");
    this.#total = db.prepare("SELECT COALESCE(SUM(size), 0) AS n FROM files WHERE app_id = ?");
  }

  insert(row: FileRow): void {
    this.#insert.run(row);
  }

  get(appId: string, id: string): FileRow | undefined {
    return this.#get.get(appId, id) as FileRow | undefined;
  }

  /** Bytes of every file the app keeps. */
  totalBytes(appId: string): number {
    return (this.#total.get(appId) as { n: number }).n;
  }
}
