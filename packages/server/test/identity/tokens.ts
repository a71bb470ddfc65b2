/** Helpers of the identity tests: tokens signed the way a forger or a clock would. */
import { join } from "node:path";
import Database from "better-sqlite3";
import { SignJWT } from "jose";

/** Reads an app's signing key from the server's real SQLite file (read-only). */
export function signingKey(dataDir: string, appId: string): Uint8Array {
  const db = new Database(join(dataDir, "fnbase.db"), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT signing_key FROM apps WHERE id = ?").get(appId) as
      | { signing_key: string }
      | undefined;
    if (!row) throw new Error(`No such app: ${appId}`);
    return Buffer.from(row.signing_key, "hex");
  } finally {
    db.close();
  }
}

/** A user token of `appId` that expired a minute ago, correctly signed. */
export async function expiredToken(dataDir: string, appId: string, sub: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ app_id: appId, role: "user" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer("fnbase")
    .setAudience(appId)
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 60)
    .sign(signingKey(dataDir, appId));
}

/** `token` with one character of its signature changed. */
export function tampered(token: string): string {
  const last = token.at(-2) === "A" ? "B" : "A";
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

/** `token` with its payload swapped for one claiming the admin role (signature kept). */
export function forgedAdmin(token: string): string {
  const [h, p, s] = token.split(".");
  const payload = JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>;
  payload.role = "admin";
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
}
