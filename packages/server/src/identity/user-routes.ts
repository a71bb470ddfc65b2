import { FnbaseError } from "@fnbase/shared";
import type { Hono } from "hono";
import { readJson } from "../api/errors.js";
import { appOf, callerOf, isAdmin } from "./caller.js";
import type { IdentityDeps } from "./deps.js";
import { publicUser } from "./users.js";

const MAX_LIST = 500;

function intParam(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new FnbaseError("INVALID_QUERY", `"${name}" must be a whole number: ${raw}`);
  return n;
}

/**
 * App user routes as `@base44/sdk` calls them: `auth/register`, `auth/login`,
 * `entities/User/me` (GET, PUT) for the token's user, and `entities/User[/{id}]` for admins
 * and the service role. No API key is needed; each route checks its own token.
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
      throw new FnbaseError("FORBIDDEN", "The service role is not a user: it has no profile", {
        hint: "Read users with GET /api/apps/{appId}/entities/User/{id}",
      });
    }
    return who.user;
  };

  api.get(`${base}/entities/User/me`, async (c) => {
    const app = appOf(d, c);
    return c.json(publicUser(await me(app.id, c.req.header("authorization"))));
  });

  api.put(`${base}/entities/User/me`, async (c) => {
    const app = appOf(d, c);
    const user = await me(app.id, c.req.header("authorization"));
    const body = await readJson(c);
    return c.json(publicUser(await d.users.update(app.id, user.id, body, false)));
  });

  api.get(`${base}/entities/User`, async (c) => {
    const app = appOf(d, c);
    const who = await callerOf(d, app.id, c.req.header("authorization"));
    if (!isAdmin(who)) throw new FnbaseError("FORBIDDEN", "Only an admin can list users");
    const limit = Math.min(intParam(c.req.query("limit"), 100, "limit"), MAX_LIST);
    const skip = intParam(c.req.query("skip"), 0, "skip");
    return c.json((await d.users.list(app.id, limit, skip)).map(publicUser));
  });

  api.get(`${base}/entities/User/:id`, async (c) => {
    const app = appOf(d, c);
    const who = await callerOf(d, app.id, c.req.header("authorization"));
    const id = c.req.param("id");
    if (!isAdmin(who) && !(who.kind === "user" && who.user.id === id)) {
      throw new FnbaseError("FORBIDDEN", `Only an admin can read another user: ${id}`);
    }
    const user = await d.users.get(app.id, id);
    if (!user) throw new FnbaseError("NOT_FOUND", `User not found: ${id}`);
    return c.json(publicUser(user));
  });

  api.put(`${base}/entities/User/:id`, async (c) => {
    const app = appOf(d, c);
    const who = await callerOf(d, app.id, c.req.header("authorization"));
    const id = c.req.param("id");
    const admin = isAdmin(who);
    if (!admin && !(who.kind === "user" && who.user.id === id)) {
      throw new FnbaseError("FORBIDDEN", `Only an admin can update another user: ${id}`);
    }
    const body = await readJson(c);
    return c.json(publicUser(await d.users.update(app.id, id, body, admin)));
  });
}
