import { FnbaseError } from "@fnbase/shared";
import type { Hono } from "hono";
import { readJson } from "../api/errors.js";
import { writeDepth } from "../automations/index.js";
import { appOf, callerOf } from "./caller.js";
import type { IdentityDeps } from "./deps.js";
import { publicUser } from "./users.js";

/**
 * App user routes as `@base44/sdk` calls them: `auth/register`, `auth/login` and
 * `GET entities/User/me` (`auth.me()`) for the token's user. Every other `entities/User` route
 * (list, filter, get, update, delete, `PUT me`) is the User entity's, in `entities/`. No API
 * key is needed; each route checks its own token.
 *
 * @example
 * userRoutes(api, deps); // before the key-protected /api/apps group
 */
export function userRoutes(api: Hono, d: IdentityDeps): void {
  const base = "/api/apps/:appId";

  api.post(`${base}/auth/register`, async (c) => {
    const app = appOf(d, c);
    return c.json(await d.users.register(app.id, await readJson(c)), 201);
  });

  api.post(`${base}/auth/login`, async (c) => {
    const app = appOf(d, c);
    return c.json(await d.users.login(app.id, await readJson(c)));
  });

  const me = async (appId: string, header: string | undefined) => {
    const who = await callerOf(d, appId, header);
    if (who.kind === "service") {
      // An automation without an owner runs as the service role (its token carries a depth).
      throw new FnbaseError("FORBIDDEN", "The service role is not a user: it has no profile", {
        hint:
          writeDepth(header) > 0
            ? "This automation has no owner: set one with PATCH /api/apps/{appId}/automations/{id} {owner_email}"
            : "Read users with GET /api/apps/{appId}/entities/User/{id}",
      });
    }
    return who.user;
  };

  api.get(`${base}/entities/User/me`, async (c) => {
    const app = appOf(d, c);
    return c.json(publicUser(await me(app.id, c.req.header("authorization"))));
  });
}
