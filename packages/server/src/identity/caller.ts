import { FnbaseError } from "@fnbase/shared";
import type { Context } from "hono";
import { parseBearer } from "../auth/tokens.js";
import type { AppRecord, UserRow } from "../store/index.js";
import type { IdentityDeps } from "./deps.js";

/** Who is calling a user route: the service role (admin on its own app) or a user. */
export type Caller = { kind: "service" } | { kind: "user"; user: UserRow };

/** True when the caller may read and change any user of the app. */
export const isAdmin = (c: Caller) => c.kind === "service" || c.user.role === "admin";

/** The app named in the path, or a 404. */
export function appOf(d: IdentityDeps, c: Context): AppRecord {
  const id = c.req.param("appId") ?? "";
  const app = d.catalog.app(id);
  if (!app) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${id}`);
  return app;
}

/**
 * Resolves `Authorization: Bearer <token>` on a user route of `appId`: a user token of this
 * app, the app's service token, or an API key (whose holder acts as the service role). Anything
 * else is a 401 before the route does any work.
 *
 * @example
 * const who = await callerOf(d, app.id, c.req.header("authorization"));
 */
export async function callerOf(
  d: IdentityDeps,
  appId: string,
  header: string | undefined,
): Promise<Caller> {
  if (header === undefined || header === "") {
    throw new FnbaseError("UNAUTHORIZED", "Missing token: send Authorization: Bearer <token>", {
      hint: "Log in with POST /api/apps/{appId}/auth/login to get an access token",
    });
  }
  const token = parseBearer(header);
  if (!token) {
    throw new FnbaseError(
      "INVALID_TOKEN",
      "Malformed Authorization header: expected `Bearer <token>`",
    );
  }
  if (token.startsWith("b44k_") && (await d.isApiKey(token))) return { kind: "service" };
  const claims = await d.tokens.verify(appId, token);
  if (claims.role === "service") return { kind: "service" };
  const user = await d.users.get(appId, claims.sub);
  if (!user) throw new FnbaseError("INVALID_TOKEN", `Invalid token: no such user: ${claims.sub}`);
  return { kind: "user", user };
}
