import { PassThrough, Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { FnbaseError } from "@fnbase/shared";
import busboy from "busboy";

/** The file part of an upload, as it streams in. */
export interface FilePart {
  /** The name the uploader gave (not yet made safe). */
  name: string;
  /** The part's `Content-Type`, as sent. */
  type: string | undefined;
  /** The bytes; fails with PAYLOAD_TOO_LARGE past the limit. */
  stream: Readable;
}

/** Most bytes of multipart framing and small fields allowed around the file. */
const OVERHEAD_BYTES = 64 * 1024;

const badForm = (detail: string) =>
  new FnbaseError("BAD_REQUEST", `Invalid multipart upload: ${detail}`, {
    hint: 'Send multipart/form-data with the file in a part named "file"',
  });

/**
 * Streams the part named `field` of a `multipart/form-data` request into `store`, never holding
 * the file (busboy parses as bytes arrive; backpressure reaches the caller). Other parts are
 * read and dropped. The file may be at most `maxBytes`: past it the part's stream fails with
 * PAYLOAD_TOO_LARGE (413), which `store` must let through so that nothing is kept. A body that
 * is not multipart, has no such part, or ends early is a 400.
 *
 * @example
 * const { size } = await receiveFile(c.req.raw, "file", 50 << 20, (part) => storage.put(key, part.stream, meta));
 */
export async function receiveFile<T>(
  req: Request,
  field: string,
  maxBytes: number,
  store: (part: FilePart) => Promise<T>,
): Promise<T> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type) || req.body === null) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Expected a multipart/form-data upload: got ${JSON.stringify(type || "no content type")}`,
      { hint: 'Send the file in a multipart part named "file" (what @base44/sdk does)' },
    );
  }
  const tooLarge = () =>
    new FnbaseError(
      "PAYLOAD_TOO_LARGE",
      `File too large: the limit is ${maxBytes} bytes (${(maxBytes / 1024 ** 2).toFixed(1)} MiB)`,
    );
  const declared = Number(req.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes + OVERHEAD_BYTES) throw tooLarge();

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": type },
      limits: { files: 1, fileSize: maxBytes, fields: 20, fieldSize: 64 * 1024, parts: 21 },
    });
  } catch (cause) {
    throw badForm(cause instanceof Error ? cause.message : String(cause));
  }
  const source = Readable.fromWeb(req.body as unknown as NodeWebStream<Uint8Array>);

  return await new Promise<T>((resolve, reject) => {
    let stored: Promise<T> | undefined;
    let active: Readable | undefined;
    let failure: Error | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      if (!stored) {
        reject(failure ?? badForm(`no part named "${field}"`));
        return;
      }
      stored.then(
        (value) => (failure ? reject(failure) : resolve(value)),
        (err: unknown) => reject(failure ?? err),
      );
    };
    const fail = (err: Error) => {
      failure ??= err;
      active?.destroy(err);
      source.unpipe(parser);
      source.resume();
      finish();
    };
    parser.on("file", (name, stream, info) => {
      if (stored || name !== field) {
        stream.resume();
        return;
      }
      // The store reads a pass-through: busboy finishes only once each file stream has ended,
      // so its own stream is always drained to the end, even when the store stops reading.
      const out = new PassThrough();
      const drain = () => {
        stream.unpipe(out);
        stream.resume();
      };
      stream.pipe(out);
      active = out;
      // Errors reach `store` through its own listeners; this one keeps an error raised before
      // `store` attached them (a limit on the first chunk) from being unhandled.
      out.on("error", () => {});
      // Busboy fails its file stream when the form breaks off; that failure is the store's.
      stream.on("error", (err: Error) => out.destroy(badForm(err.message)));
      stream.on("limit", () => {
        failure ??= tooLarge();
        drain();
        out.destroy(failure);
      });
      stored = store({ name: info.filename ?? "", type: info.mimeType, stream: out });
      stored.catch(drain);
    });
    parser.on("field", (_name, _value, info) => {
      if (info.valueTruncated) fail(badForm("a field over 64 KiB"));
    });
    parser.on("partsLimit", () => fail(badForm("too many parts")));
    parser.on("fieldsLimit", () => fail(badForm("too many fields")));
    parser.on("error", (err: Error) => fail(badForm(err.message)));
    parser.on("close", finish);
    source.on("error", () => fail(badForm("the upload ended early")));
    source.pipe(parser);
  });
}
