import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { FnbaseError } from "@fnbase/shared";

const VERSION = "v1";

/**
 * Seals `plain` with AES-256-GCM under `key`. `context` (app id and secret name) is bound as
 * additional data, so a sealed value copied to another app or name does not open.
 *
 * @example
 * const sealed = seal(master, "app1/STRIPE_KEY", "sk_live_...");
 * open(master, "app1/STRIPE_KEY", sealed); // "sk_live_..."
 */
export function seal(key: Buffer, context: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `${VERSION}.${iv.toString("base64")}.${cipher.getAuthTag().toString("base64")}.${body.toString("base64")}`;
}

/** Opens a value made by {@link seal}; a wrong key, context or tampered value is an error. */
export function open(key: Buffer, context: string, sealed: string): string {
  const [version, iv, tag, body] = sealed.split(".");
  try {
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error("format");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString(
      "utf8",
    );
  } catch (cause) {
    throw new FnbaseError("MASTER_KEY_MISMATCH", `Cannot decrypt secret: ${context}`, {
      hint: "The secret was sealed with another master key or was altered in the database",
      cause,
    });
  }
}
