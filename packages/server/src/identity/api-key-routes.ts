import { API_KEYS_PATH, FnbaseError } from "@fnbase/shared";
import type { Hono, MiddlewareHandler } from "hono";
import { requireApiKey } from "../api/auth.js";
import { parseBearer } from "../auth/tokens.js";
import type { IdentityDeps } from "./deps.js";

/**
 * Workspace API keys: `POST /api/workspace/api-keys` `{ name? }` answers the key once (201),
 * `GET` lists `{ api_keys: [...] }` by prefix, `DELETE /api/workspace/api-keys/{id}` revokes.
 * Only the admin key manages keys, so a leaked workspace key cannot mint more of itself.
 *
 * @example
 * apiKeyRoutes(api, deps);
 */
export function apiKeyRoutes(api: Hono, d: IdentityDeps): void {
  const path = API_KEYS_PATH;
  const adminOnly: MiddlewareHandler = async (c, next) => {
    const key =
      c.req.header("api_key") ??
      c.req.header("api-key") ??
      parseBearer(c.req.header("authorization"));
    if (key !== undefined && !d.isAdminKey(key)) {
      throw new FnbaseError("FORBIDDEN", "Only the admin key can manage API keys", {
        hint: "Use the admin key the server printed at first start (or FNBASE_ADMIN_KEY)",
      });
    }
    await next();
  };
  const auth = [requireApiKey(d.isApiKey), adminOnly] as const;

  api.post(path, ...auth, async (c) => {
    const text = await c.req.text();
    let name: unknown;
    if (text.trim() !== "") {
      try {
        name = (JSON.parse(text) as { name?: unknown } | null)?.name;
      } catch {
        throw new FnbaseError("INVALID_JSON", "The request body is not valid JSON");
      }
    }
    const created = await d.apiKeys.create(name);
    d.log.info({ id: created.id, prefix: created.prefix }, "api key created");
    return c.json(created, 201);
  });

  api.get(path, ...auth, async (c) => c.json({ api_keys: await d.apiKeys.list() }));

  api.delete(`${path}/:id`, ...auth, async (c) => {
    const id = c.req.param("id");
    if (!(await d.apiKeys.revoke(id))) {
      throw new FnbaseError("NOT_FOUND", `API key not found: ${id}`);
    }
    d.log.info({ id }, "api key revoked");
    return c.json({ success: true });
  });
}
