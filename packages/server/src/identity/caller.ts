import { FnbaseError } from "@fnbase/shared";
import type { Context } from "hono";
import { parseBearer } from "../auth/tokens.js";
import type { Actor } from "../entities/rules/access.js";
import type { AppRecord, UserRow } from "../store/index.js";
import type { IdentityDeps } from "./deps.js";
import { publicUser } from "./users.js";

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

/** What a bearer credential resolves to on `appId`. */
async function identify(d: IdentityDeps, appId: string, token: string): Promise<Caller> {
  if (token.startsWith("b44k_") && (await d.isApiKey(token))) return { kind: "service" };
  const claims = await d.tokens.verify(appId, token);
  if (claims.role === "service") return { kind: "service" };
  const user = await d.users.get(appId, claims.sub);
  if (!user) throw new FnbaseError("INVALID_TOKEN", `Invalid token: no such user: ${claims.sub}`);
  return { kind: "user", user };
}

function bearer(header: string): string {
  const token = parseBearer(header);
  if (!token) {
    throw new FnbaseError(
      "INVALID_TOKEN",
      "Malformed Authorization header: expected `Bearer <token>`",
    );
  }
  return token;
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
  return await identify(d, appId, bearer(header));
}

/**
 * Who acts on an app's records: the caller's bearer token (a user, the service role) or a
 * workspace API key (`api_key` header or Bearer; the service role), else anonymous. A token
 * that is present but wrong is a 401, never a silent anonymous call. For the service role,
 * `on-behalf-of: Bearer <user token>` (what `@base44/sdk` >= 0.8.25 sends from a function
 * called by a user) names the user its creates are attributed to; a wrong one is ignored.
 *
 * @example
 * const actor = await actorOf(d, app.id, (name) => c.req.header(name));
 */
export async function actorOf(
  d: IdentityDeps,
  appId: string,
  header: (name: string) => string | undefined,
): Promise<Actor> {
  const auth = header("authorization");
  const apiKey = header("api_key") ?? header("api-key");
  let who: Caller;
  if (auth !== undefined && auth !== "") who = await identify(d, appId, bearer(auth));
  else if (apiKey !== undefined && apiKey !== "") {
    if (!(await d.isApiKey(apiKey))) {
      throw new FnbaseError("UNAUTHORIZED", "Invalid API key", {
        hint: "The key is unknown or revoked; create one with `fnbase api-keys create`",
      });
    }
    who = { kind: "service" };
  } else return { kind: "anonymous" };
  if (who.kind === "user") return { kind: "user", user: publicUser(who.user) };
  const onBehalf = parseBearer(header("on-behalf-of"));
  if (onBehalf) {
    const user = await identify(d, appId, onBehalf).catch(() => undefined);
    if (user?.kind === "user") return { kind: "service", onBehalfOf: publicUser(user.user) };
  }
  return { kind: "service" };
}
