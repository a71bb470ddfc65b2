import { FnbaseError } from "@fnbase/shared";
import type { Hono } from "hono";
import { requireApiKey } from "../api/auth.js";
import { readJson } from "../api/errors.js";
import { writeDepth } from "../automations/index.js";
import { appOf, callerOf } from "./caller.js";
import type { IdentityDeps } from "./deps.js";
import { type PublicUser, publicUser } from "./users.js";

/** Lifetime of a token from `POST users/{id}/access-token` when none is asked, in seconds. */
const DEFAULT_IMPERSONATION_TTL_S = 900;

/**
 * App user routes as `@base44/sdk` calls them: `auth/register`, `auth/login` and
 * `GET entities/User/me` (`auth.me()`) for the token's user, and `POST users/{userId}/access-token`
 * `{ expires_in? }` (API key) → `{ access_token, expires_in, user }`. Every other `entities/User` route
 * (list, filter, get, update, delete, `PUT me`) is the User entity's, in `entities/`. No API
 * key is needed; each route checks its own token.
 *
 * @example
 * userRoutes(api, deps); // before the key-protected /api/apps group
 */
export function userRoutes(api: Hono, d: IdentityDeps): void {
  const base = "/api/apps/:appId";

  const view = (appId: string, user: PublicUser) => d.userView?.(appId, user) ?? user;
  const viewed = <T extends { user: PublicUser }>(appId: string, out: T): T => ({
    ...out,
    user: view(appId, out.user),
  });

  api.post(`${base}/auth/register`, async (c) => {
    const app = appOf(d, c);
    return c.json(viewed(app.id, await d.users.register(app.id, await readJson(c))), 201);
  });

  api.post(`${base}/auth/login`, async (c) => {
    const app = appOf(d, c);
    return c.json(viewed(app.id, await d.users.login(app.id, await readJson(c))));
  });

  const me = async (appId: string, header: string | undefined) => {
    const who = await callerOf(d, appId, header);
    if (who.kind === "service") {
      // An automation without an owner runs as the service role (its token carries a depth).
      throw new FnbaseError("FORBIDDEN", "The service role is not a user: it has no profile", {
        hint:
          writeDepth(header) > 0
            ? "This automation has no owner: set one with `fnbase automations owner <automation> <email>` (or PATCH /api/apps/{appId}/automations/{id} {owner_email})"
            : "Read users with GET /api/apps/{appId}/entities/User/{id}",
      });
    }
    return who.user;
  };

  // A short-lived token of one user, for an API key's holder (the dashboard's invoke console
  // runs a function as a chosen user with it). The key already acts as the service role over
  // every record of the app; this lets it see what a function does for that user.
  api.post(`${base}/users/:userId/access-token`, requireApiKey(d.isApiKey), async (c) => {
    const app = appOf(d, c);
    const text = await c.req.text();
    let ttl = DEFAULT_IMPERSONATION_TTL_S;
    if (text.trim() !== "") {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new FnbaseError("INVALID_JSON", "The request body is not valid JSON");
      }
      const given = (body as { expires_in?: unknown } | null)?.expires_in;
      if (given !== undefined) {
        if (!Number.isInteger(given) || (given as number) < 60 || (given as number) > 3600) {
          throw new FnbaseError("BAD_REQUEST", '"expires_in" must be an integer from 60 to 3600');
        }
        ttl = given as number;
      }
    }
    const out = await d.users.accessToken(app.id, c.req.param("userId"), ttl);
    d.log.info({ app: app.id, user: out.user.id }, "access token issued to an API key holder");
    return c.json(out);
  });

  api.get(`${base}/entities/User/me`, async (c) => {
    const app = appOf(d, c);
    return c.json(view(app.id, publicUser(await me(app.id, c.req.header("authorization")))));
  });
}
