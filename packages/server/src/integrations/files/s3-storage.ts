import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { FnbaseError } from "@fnbase/shared";
import type { S3Options } from "../../config.js";
import type { ByteRange, FileStorage } from "./storage.js";

/** Part size of multipart uploads: S3's minimum, so an upload holds at most a few parts in memory. */
const PART_BYTES = 5 * 1024 * 1024;

type S3Module = typeof import("@aws-sdk/client-s3");

/**
 * Files in an S3 or S3-compatible bucket (AWS, MinIO, R2, Ceph...), through the AWS SDK v3.
 * Uploads stream as a multipart upload (`@aws-sdk/lib-storage`: 5 MiB parts, at most 4 in
 * flight, aborted on failure so nothing is left), reads are `GetObject` with a `Range`. The
 * SDK is loaded on first use, so a server on local disk never pays for it.
 *
 * @example
 * const s3 = new S3Storage({ bucket: "uploads", endpoint: "http://127.0.0.1:9000", region: "us-east-1" });
 */
export class S3Storage implements FileStorage {
  readonly kind = "s3";
  readonly #options: S3Options;
  #client: Promise<{ s3: S3Module; client: S3Client }> | undefined;

  constructor(options: S3Options) {
    this.#options = options;
  }

  #connect() {
    this.#client ??= import("@aws-sdk/client-s3").then((s3) => {
      const o = this.#options;
      const client = new s3.S3Client({
        region: o.region ?? "us-east-1",
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        forcePathStyle: o.forcePathStyle ?? o.endpoint !== undefined,
        ...(o.accessKeyId && o.secretAccessKey
          ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
          : {}),
      });
      return { s3, client };
    });
    return this.#client;
  }

  #key(key: string): string {
    return `${this.#options.prefix ?? ""}${key}`;
  }

  async put(key: string, body: Readable, meta: { contentType: string }): Promise<{ size: number }> {
    const { client } = await this.#connect();
    const { Upload } = await import("@aws-sdk/lib-storage");
    // A body that failed while we awaited (a limit on its first chunk) never ends.
    if (body.errored) throw body.errored;
    let size = 0;
    const counted = Readable.from(
      (async function* count() {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          size += chunk.length;
          yield chunk;
        }
      })(),
    );
    const upload = new Upload({
      client,
      params: {
        Bucket: this.#options.bucket,
        Key: this.#key(key),
        Body: counted,
        ContentType: meta.contentType,
      },
      partSize: PART_BYTES,
      queueSize: 4,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // A failed body (a limit, the caller leaving) is the error worth reporting.
      body.destroy();
      throw err;
    }
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const { s3, client } = await this.#connect();
    try {
      const out = await client.send(
        new s3.GetObjectCommand({
          Bucket: this.#options.bucket,
          Key: this.#key(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(out.Body instanceof Readable)) throw new Error("S3 answered without a body stream");
      return out.Body;
    } catch (err) {
      if ((err as { name?: string }).name === "NoSuchKey") {
        throw new FnbaseError("NOT_FOUND", `File not found in storage: ${key}`);
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const { s3, client } = await this.#connect();
    await client.send(
      new s3.DeleteObjectCommand({ Bucket: this.#options.bucket, Key: this.#key(key) }),
    );
  }
}
