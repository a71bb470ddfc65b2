import type { Readable } from "node:stream";

/** A byte range of a file, both ends inclusive (as in `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where uploaded files' bytes live. Keys are `<appId>/<public|private>/<id>`, made by the file
 * service (never from a caller's input); names, types and sizes are kept in `integrations.db`,
 * so a storage holds bytes only. Both directions stream: nothing here holds a whole file.
 *
 * Implementations: {@link DiskStorage} (`<dataDir>/files`, the default) and `S3Storage` (any
 * S3-compatible bucket).
 */
export interface FileStorage {
  readonly kind: "disk" | "s3";
  /**
   * Writes `body` under `key`, all or nothing: if `body` fails (a size limit, the caller
   * leaving), nothing is left under `key`. Resolves with the number of bytes written.
   */
  put(key: string, body: Readable, meta: { contentType: string }): Promise<{ size: number }>;
  /** The bytes of `key` (or of `range` of them) as a stream; rejects when `key` is missing. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes `key`; no error when it is already gone. */
  delete(key: string): Promise<void>;
}
