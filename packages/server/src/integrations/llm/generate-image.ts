import { FnbaseError } from "@fnbase/shared";
import type { Actor } from "../../entities/index.js";
import type { FileService } from "../files/file-service.js";
import type { LlmClient } from "./openai-client.js";

/** The file extension of an image's bytes (PNG, JPEG, WebP, GIF), else `png`. */
export function imageExtension(bytes: Buffer): string {
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return "jpg";
  if (
    bytes.subarray(0, 4).toString("latin1") === "RIFF" &&
    bytes.subarray(8, 12).toString("latin1") === "WEBP"
  )
    return "webp";
  if (bytes.subarray(0, 4).toString("latin1") === "GIF8") return "gif";
  return "png";
}

/**
 * `Core.GenerateImage` `{ prompt }`: the image model of the LLM endpoint
 * (`/images/generations`), stored as a public file of the app; answers `{ url }`.
 */
export async function generateImage(
  llm: LlmClient,
  files: FileService,
  appId: string,
  actor: Actor,
  params: Record<string, unknown>,
): Promise<{ url: string }> {
  const { prompt } = params;
  if (typeof prompt !== "string" || prompt === "" || prompt.length > 32_000) {
    throw new FnbaseError(
      "BAD_REQUEST",
      "Invalid prompt: a non-empty string of at most 32,000 characters",
    );
  }
  const image = await llm.image(prompt);
  if ("url" in image) return { url: image.url };
  const row = await files.store(appId, actor, `image.${imageExtension(image.bytes)}`, image.bytes);
  return { url: files.publicUrl(row) };
}
