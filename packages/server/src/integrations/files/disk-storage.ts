import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FnbaseError } from "@fnbase/shared";
import type { ByteRange, FileStorage } from "./storage.js";

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/**
 * Files on local disk under `root` (`<dataDir>/files`): `<root>/<appId>/<visibility>/<id>`. A
 * file is written to `<root>/.tmp/` first and renamed into place once complete, so a reader
 * never sees half a file and a failed upload leaves nothing.
 *
 * @example
 * const disk = new DiskStorage("/var/lib/fnbase/files");
 * await disk.put("app1/public/abc", Readable.from([Buffer.from("hi")]), { contentType: "text/plain" });
 */
export class DiskStorage implements FileStorage {
  readonly kind = "disk";
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  #path(key: string): string {
    // Keys come from the file service, never from callers; the check keeps it that way.
    if (!KEY.test(key)) throw new Error(`Invalid storage key: ${key}`);
    return join(this.#root, key);
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const path = this.#path(key);
    const tmpDir = join(this.#root, ".tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomBytes(12).toString("hex"));
    let size = 0;
    try {
      // A body that failed while we awaited (a limit on its first chunk) never ends a pipeline.
      if (body.errored) throw body.errored;
      await pipeline(
        body,
        async function* count(source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: "wx", mode: 0o600 }),
      );
      await mkdir(dirname(path), { recursive: true });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const stream = createReadStream(this.#path(key), range ?? {});
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          err.code === "ENOENT"
            ? new FnbaseError("NOT_FOUND", `File not found in storage: ${key}`)
            : err,
        ),
      );
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}
