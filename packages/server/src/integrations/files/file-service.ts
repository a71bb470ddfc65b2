import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { FnbaseError, type Logger } from "@fnbase/shared";
import type { Actor } from "../../entities/index.js";
import { fileContentType, safeFileName } from "./content-type.js";
import type { FileRow, FileRowStore } from "./file-rows.js";
import { receiveFile } from "./multipart.js";
import { serveFile, storageKey } from "./serve.js";
import { DEFAULT_EXPIRES_S, MAX_EXPIRES_S, type UrlSigner } from "./signed-url.js";
import type { FileStorage } from "./storage.js";

/** An app's file limits, in bytes. */
export interface FileLimits {
  maxFileBytes: number;
  maxAppFilesBytes: number;
}

/** What the file service works with. */
export interface FileServiceDeps {
  rows: FileRowStore;
  storage: FileStorage;
  signer: UrlSigner;
  limits: (appId: string) => FileLimits;
  /** Base URL of file links (`filesUrl`), read when a link is made. */
  baseUrl: () => string;
  now: () => number;
  log: Logger;
}

const ID = /^[A-Za-z0-9_-]{22}$/;

/** The user a file belongs to: the caller, or the user a service-role call acts for. */
function ownerOf(actor: Actor): string | null {
  if (actor.kind === "user") return actor.user.id;
  if (actor.kind === "service") return actor.onBehalfOf?.id ?? null;
  return null;
}

/**
 * Uploaded files (`Core.UploadFile`, `UploadPrivateFile`, `CreateFileSignedUrl`) and serving
 * them. Public files get an unguessable link that works for anyone; private files only through
 * a signed link that expires. Each upload streams from the caller into storage under a fresh
 * id (files never change, so links can be cached for good), within the app's per-file limit and
 * what is left of its total; its row is written only once its bytes are complete.
 *
 * @example
 * const row = await files.upload("app1", actor, "public", request);
 * files.publicUrl(row); // https://files.example.com/api/apps/app1/files/public/<id>/photo.png
 */
export class FileService {
  readonly #d: FileServiceDeps;

  constructor(deps: FileServiceDeps) {
    this.#d = deps;
  }

  /** Streams the `file` part of a multipart request into storage; answers the new file's row. */
  async upload(
    appId: string,
    actor: Actor,
    visibility: FileRow["visibility"],
    req: Request,
  ): Promise<FileRow> {
    const { rows, storage } = this.#d;
    const limits = this.#d.limits(appId);
    const left = limits.maxAppFilesBytes - (await rows.totalBytes(appId));
    if (left <= 0) throw this.#full(appId, limits);
    const id = randomBytes(16).toString("base64url");
    let row: FileRow | undefined;
    await receiveFile(req, "file", Math.min(limits.maxFileBytes, left), async (part) => {
      const name = safeFileName(part.name);
      const contentType = fileContentType(part.type, name);
      const key = storageKey({ app_id: appId, visibility, id });
      const { size } = await storage.put(key, part.stream, { contentType });
      row = {
        app_id: appId,
        id,
        visibility,
        name,
        content_type: contentType,
        size,
        owner_id: ownerOf(actor),
        created_date: new Date(this.#d.now()).toISOString(),
      };
      // Check and insert in one step, so two uploads cannot both pass the limit.
      if (!(await rows.insertWithin(row, limits.maxAppFilesBytes))) {
        await storage.delete(key);
        throw this.#full(appId, limits);
      }
    });
    if (!row) throw new Error("The upload finished without a file");
    this.#d.log.info(
      { app: appId, file: id, visibility, size: row.size, type: row.content_type },
      "file uploaded",
    );
    return row;
  }

  #full(appId: string, limits: FileLimits): FnbaseError {
    return new FnbaseError(
      "PAYLOAD_TOO_LARGE",
      `No room for the file: app ${appId} keeps at most ${limits.maxAppFilesBytes} bytes of files`,
      { hint: "Ask the operator to raise maxAppFilesBytes for this app" },
    );
  }

  /** Stores `bytes` as a new public file (a generated image, say); answers its row. */
  async store(appId: string, actor: Actor, name: string, bytes: Buffer): Promise<FileRow> {
    const limits = this.#d.limits(appId);
    if (bytes.length > limits.maxFileBytes) {
      throw new FnbaseError(
        "PAYLOAD_TOO_LARGE",
        `File too large: the limit is ${limits.maxFileBytes} bytes`,
      );
    }
    if ((await this.#d.rows.totalBytes(appId)) + bytes.length > limits.maxAppFilesBytes) {
      throw this.#full(appId, limits);
    }
    const row: FileRow = {
      app_id: appId,
      id: randomBytes(16).toString("base64url"),
      visibility: "public",
      name: safeFileName(name),
      content_type: fileContentType(undefined, name),
      size: bytes.length,
      owner_id: ownerOf(actor),
      created_date: new Date(this.#d.now()).toISOString(),
    };
    await this.#d.storage.put(storageKey(row), Readable.from([bytes]), {
      contentType: row.content_type,
    });
    if (!(await this.#d.rows.insertWithin(row, limits.maxAppFilesBytes))) {
      await this.#d.storage.delete(storageKey(row));
      throw this.#full(appId, limits);
    }
    return row;
  }

  /**
   * The file a link of this app points at: a public link, or a signed link that is still
   * valid. Anything else (another app's file, a foreign URL, an expired link) is a coded 4xx.
   */
  async resolveLink(appId: string, link: unknown): Promise<FileRow> {
    let url: URL | undefined;
    try {
      url = typeof link === "string" ? new URL(link) : undefined;
    } catch {
      url = undefined;
    }
    const m =
      url &&
      /^\/api\/apps\/([^/]+)\/files\/(public|private)\/([A-Za-z0-9_-]{22})(\/|$)/.exec(
        url.pathname,
      );
    if (!url || !m || m[1] !== appId) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Not a file of this app on this server: ${JSON.stringify(link ?? null)}`,
        {
          hint: "Upload the file first with Core.UploadFile (or sign a private one) and pass its URL",
        },
      );
    }
    const row = await this.#d.rows.get(appId, m[3]!);
    if (!row || row.visibility !== m[2])
      throw new FnbaseError("NOT_FOUND", `File not found: ${link}`);
    if (row.visibility === "private") {
      this.#d.signer.verify(
        appId,
        row.id,
        url.searchParams.get("expires") ?? undefined,
        url.searchParams.get("signature") ?? undefined,
      );
    }
    return row;
  }

  /** A file's bytes in memory, for files of at most `maxBytes` (422 past it). */
  async read(row: FileRow, maxBytes: number): Promise<Buffer> {
    if (row.size > maxBytes) {
      throw new FnbaseError(
        "UNPROCESSABLE",
        `File too large to read here: ${row.name} is ${row.size} bytes, at most ${maxBytes}`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.#d.storage.get(storageKey(row)))
      chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The public link of a public file. */
  publicUrl(row: FileRow): string {
    return `${this.#d.baseUrl()}/api/apps/${row.app_id}/files/public/${row.id}/${encodeURIComponent(row.name)}`;
  }

  /** The opaque `file_uri` of a private file: `private/<id>/<name>`. */
  fileUri(row: FileRow): string {
    return `private/${row.id}/${row.name}`;
  }

  /**
   * `CreateFileSignedUrl`: a link to the private file `file_uri` valid `expires_in` seconds
   * (default 300, at most 7 days). A user may sign only files they uploaded; app admins and the
   * service role any file of the app. An unknown file or one of another user is a 404.
   */
  async signedUrl(appId: string, actor: Actor, params: Record<string, unknown>): Promise<string> {
    const uri = params.file_uri;
    const match = typeof uri === "string" ? /^private\/([A-Za-z0-9_-]{22})(\/|$)/.exec(uri) : null;
    if (!match) {
      throw new FnbaseError("BAD_REQUEST", `Invalid file_uri: ${JSON.stringify(uri ?? null)}`, {
        hint: "Send the file_uri Core.UploadPrivateFile answered (private/<id>/<name>)",
      });
    }
    const expires = params.expires_in ?? DEFAULT_EXPIRES_S;
    if (
      typeof expires !== "number" ||
      !Number.isInteger(expires) ||
      expires < 1 ||
      expires > MAX_EXPIRES_S
    ) {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Invalid expires_in: ${JSON.stringify(expires)}: whole seconds from 1 to ${MAX_EXPIRES_S}`,
      );
    }
    const row = await this.#d.rows.get(appId, match[1]!);
    const mayRead =
      actor.kind === "service" ||
      (actor.kind === "user" && (actor.user.role === "admin" || actor.user.id === row?.owner_id));
    if (row?.visibility !== "private" || !mayRead) {
      throw new FnbaseError("NOT_FOUND", `File not found: ${uri}`);
    }
    const q = this.#d.signer.sign(appId, row.id, expires);
    return `${this.#d.baseUrl()}/api/apps/${appId}/files/private/${row.id}/${encodeURIComponent(row.name)}?expires=${q.expires}&signature=${q.signature}`;
  }

  /**
   * Serves `GET/HEAD .../files/{public|private}/{id}/{name}`: a public file to anyone, a
   * private one with a valid signature (403 INVALID_SIGNATURE otherwise). An unknown id, or a
   * file asked for under the other visibility, is a 404.
   */
  async serve(
    appId: string,
    visibility: string,
    id: string,
    req: Request,
    query: (name: string) => string | undefined,
  ): Promise<Response> {
    const row = ID.test(id) ? await this.#d.rows.get(appId, id) : undefined;
    if (!row || row.visibility !== visibility) {
      throw new FnbaseError("NOT_FOUND", `File not found: ${visibility}/${id}`);
    }
    let cache = "public, max-age=31536000, immutable";
    if (row.visibility === "private") {
      const left = this.#d.signer.verify(appId, id, query("expires"), query("signature"));
      cache = `private, max-age=${left}`;
    }
    return await serveFile(req, row, this.#d.storage, cache);
  }
}
