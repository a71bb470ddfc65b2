import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { FnbaseError } from "@fnbase/shared";

/** Default lifetime of a signed file link, in seconds (`CreateFileSignedUrl`'s default). */
export const DEFAULT_EXPIRES_S = 300;
/** Longest lifetime a signed link may ask for, in seconds (7 days, S3's presigning limit). */
export const MAX_EXPIRES_S = 7 * 24 * 3600;

/**
 * Signs and checks links to private files: `?expires=<unix seconds>&signature=<HMAC-SHA256>`
 * over the app, the file and the expiry, under a key derived (HKDF) from the server's master
 * key, so links survive restarts, die with the master key, and a link for one app or file
 * opens no other. Time comes from `now` (ms), which tests can move.
 *
 * @example
 * const signer = new UrlSigner(masterKey, Date.now);
 * const q = signer.sign("app1", "f1", 300); // { expires: "1767225900", signature: "..." }
 * signer.verify("app1", "f1", q.expires, q.signature); // throws INVALID_SIGNATURE when wrong or late
 */
export class UrlSigner {
  readonly #key: Buffer;
  readonly #now: () => number;

  constructor(masterKey: Buffer, now: () => number) {
    this.#key = Buffer.from(hkdfSync("sha256", masterKey, "", "fnbase file links v1", 32));
    this.#now = now;
  }

  #mac(appId: string, fileId: string, expires: string): Buffer {
    return createHmac("sha256", this.#key).update(`${appId}\n${fileId}\n${expires}`).digest();
  }

  /** Query values for a link valid `seconds` from now. */
  sign(appId: string, fileId: string, seconds: number): { expires: string; signature: string } {
    const expires = String(Math.floor(this.#now() / 1000) + seconds);
    return { expires, signature: this.#mac(appId, fileId, expires).toString("base64url") };
  }

  /**
   * Checks a link's query values; answers the seconds it has left. Throws INVALID_SIGNATURE
   * (403) when they are missing, altered, or past their expiry.
   */
  verify(
    appId: string,
    fileId: string,
    expires: string | undefined,
    signature: string | undefined,
  ): number {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) {
      throw new FnbaseError("INVALID_SIGNATURE", "Missing or malformed file link signature", {
        hint: "Private files open only through a link from Core.CreateFileSignedUrl",
      });
    }
    const given = Buffer.from(signature, "base64url");
    const expected = this.#mac(appId, fileId, expires);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new FnbaseError("INVALID_SIGNATURE", "Invalid file link signature", {
        hint: "The link was altered; create a new one with Core.CreateFileSignedUrl",
      });
    }
    const left = Number(expires) - Math.floor(this.#now() / 1000);
    if (left <= 0) {
      throw new FnbaseError(
        "INVALID_SIGNATURE",
        `File link expired: at ${new Date(Number(expires) * 1000).toISOString()}`,
        { hint: "Create a new one with Core.CreateFileSignedUrl" },
      );
    }
    return left;
  }
}
