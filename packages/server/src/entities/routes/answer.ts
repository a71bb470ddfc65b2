import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDeflate, createGzip, deflateSync, gzipSync } from "node:zlib";
import type { Context } from "hono";

/**
 * Answers of the record routes: JSON text, compressed here when the caller accepts it, so the
 * API's `compress()` (which runs a web CompressionStream per answer: about 1 ms here even for a
 * few hundred bytes) leaves them alone. zlib at level 1, as nginx compresses by default: for
 * JSON records about 20% larger than level 6 for a third of the CPU (a 5,000-record list of
 * 2.3 MB: 155 kB in 5 ms against 128 kB in 14 ms).
 */

/** Smallest answer worth compressing, in bytes. */
const THRESHOLD = 1024;
const LEVEL = { level: 1 };
const JSON_TYPE = "application/json; charset=UTF-8";

/** gzip or deflate, whichever `accept-encoding` allows (gzip first); undefined for neither. */
export function pickEncoding(accept: string | undefined): "gzip" | "deflate" | undefined {
  if (!accept) return undefined;
  const q = new Map<string, number>();
  for (const part of accept.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qp === undefined ? 1 : Number(qp.slice(2));
    q.set(name!.trim(), Number.isFinite(value) ? value : 0);
  }
  const allowed = (e: string) => (q.get(e) ?? q.get("*") ?? 0) > 0;
  return allowed("gzip") ? "gzip" : allowed("deflate") ? "deflate" : undefined;
}

/**
 * A JSON answer from text already written (`JSON.stringify`, or records SQLite wrote).
 *
 * @example
 * return jsonText(c, JSON.stringify(record), 201);
 */
export function jsonText(c: Context, text: string, status = 200): Response {
  const headers: Record<string, string> = { "content-type": JSON_TYPE, vary: "Accept-Encoding" };
  const encoding =
    text.length >= THRESHOLD ? pickEncoding(c.req.header("accept-encoding")) : undefined;
  // With its length (and so under the API's compress() threshold) when sent as it is.
  if (!encoding) {
    headers["content-length"] = String(Buffer.byteLength(text));
    return new Response(text, { status, headers });
  }
  const body = (encoding === "gzip" ? gzipSync : deflateSync)(Buffer.from(text), LEVEL);
  headers["content-encoding"] = encoding;
  headers["content-length"] = String(body.length);
  return new Response(body, { status, headers });
}

/**
 * A JSON array answer from batches of its elements' JSON text (see `EntityService.listJson`).
 * The first batch is read before the answer starts, so a bad query is an ordinary error answer.
 * A result that fits in one batch is answered whole; a larger one streams, each batch read only
 * once the one before has gone out (the socket's backpressure), so a list of 5,000 records holds
 * one batch of them in memory at a time, not the whole answer.
 */
export async function jsonArray(c: Context, batches: AsyncIterator<string[]>): Promise<Response> {
  const first = await batches.next();
  if (first.done) return jsonText(c, "[]");
  const second = await batches.next();
  if (second.done) return jsonText(c, `[${first.value.join(",")}]`);
  let written = 0;
  const piece = (batch: string[]): Buffer | undefined => {
    if (batch.length === 0) return undefined;
    const text = `${written === 0 ? "[" : ","}${batch.join(",")}`;
    written += batch.length;
    return Buffer.from(text);
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (const b of [first.value as string[], second.value as string[]]) {
        const p = piece(b);
        if (p) yield p;
      }
      for (let n = await batches.next(); !n.done; n = await batches.next()) {
        const p = piece(n.value);
        if (p) yield p;
      }
      yield Buffer.from(written === 0 ? "[]" : "]");
    } finally {
      await batches.return?.();
    }
  }
  // One chunk buffered at a time (highWaterMark 1 byte): the next batch waits for the socket.
  const source = Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
  const headers: Record<string, string> = { "content-type": JSON_TYPE, vary: "Accept-Encoding" };
  const encoding = pickEncoding(c.req.header("accept-encoding"));
  let out: Readable = source;
  if (encoding) {
    const z = encoding === "gzip" ? createGzip(LEVEL) : createDeflate(LEVEL);
    // Errors end both streams (the answer is cut short: its status has gone out).
    pipeline(source, z).catch(() => {});
    out = z;
    headers["content-encoding"] = encoding;
  }
  return new Response(Readable.toWeb(out) as ReadableStream<Uint8Array>, { headers });
}
