import { FnbaseError } from "@fnbase/shared";
import type { Actor } from "../../entities/index.js";
import type { FileService } from "../files/file-service.js";
import type { ContentPart } from "./openai-client.js";

/** Largest file given to a model as an image, in bytes. */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
/** Largest file given to a model as text, in bytes. */
const MAX_TEXT_BYTES = 1024 * 1024;

/** True for types a model reads as text. */
export function isTextType(type: string): boolean {
  return (
    type.startsWith("text/") ||
    type === "application/json" ||
    type === "application/xml" ||
    type === "application/x-ndjson"
  );
}

/**
 * Chat content parts for files of the app (`file_urls`, `file_url`): an image goes as an
 * `image_url` part holding a `data:` URL (so a local model needs no access to this server), a
 * text file (text, CSV, JSON, XML) as a text part with its name. Other types (PDF, Office...)
 * are 422: this server has no converter for them.
 */
export async function fileParts(
  files: FileService,
  appId: string,
  _actor: Actor,
  urls: unknown,
): Promise<ContentPart[]> {
  if (urls === undefined || urls === null) return [];
  if (!Array.isArray(urls) || urls.length > 10) {
    throw new FnbaseError("BAD_REQUEST", "Invalid file_urls: an array of at most 10 file URLs");
  }
  const parts: ContentPart[] = [];
  for (const link of urls) {
    const row = await files.resolveLink(appId, link);
    if (row.content_type.startsWith("image/") && row.content_type !== "image/svg+xml") {
      const bytes = await files.read(row, MAX_IMAGE_BYTES);
      parts.push({
        type: "image_url",
        image_url: { url: `data:${row.content_type};base64,${bytes.toString("base64")}` },
      });
    } else if (isTextType(row.content_type)) {
      const bytes = await files.read(row, MAX_TEXT_BYTES);
      parts.push({ type: "text", text: `File ${row.name}:\n${bytes.toString("utf8")}` });
    } else {
      throw new FnbaseError(
        "UNPROCESSABLE",
        `Cannot give a ${row.content_type} file to the model: ${row.name}`,
        { hint: "Images and text files (text, CSV, JSON) can be read; convert others first" },
      );
    }
  }
  return parts;
}
