import { Readable } from "node:stream";
import { FnbaseError } from "@fnbase/shared";
import parseRange from "range-parser";
import { contentDisposition, servedInline } from "./content-type.js";
import type { FileRow } from "./file-rows.js";
import type { FileStorage } from "./storage.js";

/**
 * What a stored file is served with, whatever its type: no sniffing, no script (a sandboxed,
 * resource-less CSP, as raw.githubusercontent.com uses; PDF viewers are plugins a sandbox
 * refuses, so PDFs go without), loadable from any origin (the link itself is the permission).
 */
function securityHeaders(type: string): Record<string, string> {
  return {
    "X-Content-Type-Options": "nosniff",
    ...(type === "application/pdf"
      ? {}
      : { "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox" }),
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Access-Control-Allow-Origin": "*",
    "Referrer-Policy": "no-referrer",
  };
}

/**
 * Answers a GET or HEAD of a stored file: `Content-Type` as kept, `Content-Disposition`
 * (inline only for types that run nothing, see `servedInline`), `ETag` (files never change, so
 * the id is the tag), `Last-Modified`, `Accept-Ranges: bytes`; a single `Range` answers 206
 * with `Content-Range` (several ranges get the whole file, as RFC 9110 allows), one outside the
 * file 416 RANGE_NOT_SATISFIABLE; `If-None-Match` with the tag answers 304; `If-Range` that does not match gets the
 * whole file. `cacheControl` says how long caches may keep it (`no-transform` is added so the
 * API's compression never touches a file or its ranges). The body streams from storage.
 *
 * @example
 * return await serveFile(c.req.raw, row, storage, "public, max-age=31536000, immutable");
 */
export async function serveFile(
  req: Request,
  row: FileRow,
  storage: FileStorage,
  cacheControl: string,
): Promise<Response> {
  const etag = `"${row.id}"`;
  const headers: Record<string, string> = {
    "Content-Type": row.content_type,
    "Content-Disposition": contentDisposition(
      servedInline(row.content_type) ? "inline" : "attachment",
      row.name,
    ),
    ETag: etag,
    "Last-Modified": new Date(row.created_date).toUTCString(),
    "Cache-Control": `${cacheControl}, no-transform`,
    "Accept-Ranges": "bytes",
    ...securityHeaders(row.content_type),
  };
  const matches = (header: string | null) =>
    header !== null &&
    (header.trim() === "*" || header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag));
  if (matches(req.headers.get("if-none-match"))) {
    return new Response(null, { status: 304, headers });
  }

  let range: { start: number; end: number } | undefined;
  const rangeHeader = req.headers.get("range");
  const ifRange = req.headers.get("if-range");
  if (rangeHeader !== null && (ifRange === null || ifRange.trim() === etag)) {
    const parsed = parseRange(row.size, rangeHeader, { combine: true });
    if (parsed === -1) {
      const error = new FnbaseError(
        "RANGE_NOT_SATISFIABLE",
        `Range outside the file: ${JSON.stringify(rangeHeader)} of ${row.size} bytes`,
      );
      return Response.json(error.toJSON(), {
        status: 416,
        headers: {
          ...securityHeaders("application/json"),
          "Cache-Control": "no-store",
          "Content-Range": `bytes */${row.size}`,
        },
      });
    }
    // -2 (malformed) and several ranges: the whole file.
    if (parsed !== -2 && parsed.type === "bytes" && parsed.length === 1) range = parsed[0];
  }

  const length = range ? range.end - range.start + 1 : row.size;
  headers["Content-Length"] = String(length);
  if (range) headers["Content-Range"] = `bytes ${range.start}-${range.end}/${row.size}`;
  const status = range ? 206 : 200;
  if (req.method === "HEAD" || length === 0) return new Response(null, { status, headers });
  const stream = await storage.get(storageKey(row), range);
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
}

/** Where a file's bytes are in storage: `<appId>/<visibility>/<id>`. */
export function storageKey(row: Pick<FileRow, "app_id" | "visibility" | "id">): string {
  return `${row.app_id}/${row.visibility}/${row.id}`;
}
