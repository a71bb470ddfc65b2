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
 * Where file rows are kept: `integrations.db` on one node ({@link FileRows}), the PostgreSQL
 * store's `files` table on several (`store/postgres/file-rows.ts`).
 */
export interface FileRowStore {
  /**
   * Inserts `row` when the app's files, with it, take at most `maxAppBytes`; false (nothing
   * written) otherwise. The check and the insert are one step: two uploads cannot both pass.
   */
  insertWithin(row: FileRow, maxAppBytes: number): Promise<boolean>;
  get(appId: string, id: string): Promise<FileRow | undefined>;
  /** Bytes of every file the app keeps. */
  totalBytes(appId: string): Promise<number>;
}

/**
 * The `files` table of `integrations.db`: one row per stored file, written once the bytes are
 * complete, so a row always has its bytes. Synchronous underneath (better-sqlite3): the check and
 * the insert run without a turn of the event loop between them.
 */
export class FileRows implements FileRowStore {
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

  async insertWithin(row: FileRow, maxAppBytes: number): Promise<boolean> {
    if (this.#totalNow(row.app_id) + row.size > maxAppBytes) return false;
    this.#insert.run(row);
    return true;
  }

  async get(appId: string, id: string): Promise<FileRow | undefined> {
    return this.#get.get(appId, id) as FileRow | undefined;
  }

  async totalBytes(appId: string): Promise<number> {
    return this.#totalNow(appId);
  }

  #totalNow(appId: string): number {
    return (this.#total.get(appId) as { n: number }).n;
  }
}
