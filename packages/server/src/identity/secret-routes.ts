import { FnbaseError } from "@fnbase/shared";
import type { Hono } from "hono";
import { requireApiKey } from "../api/auth.js";
import { readJson } from "../api/errors.js";
import { appOf } from "./caller.js";
import type { IdentityDeps } from "./deps.js";

/** What `GET secrets` shows in place of every value. */
export const MASKED = "****";

/**
 * `GET/POST/DELETE /api/apps/{appId}/secrets` as the contract has them, behind the same API key
 * check as the rest of the management API. Values are write-only: nothing here returns one.
 *
 * @example
 * secretRoutes(api, deps);
 */
export function secretRoutes(api: Hono, d: IdentityDeps): void {
  const path = "/api/apps/:appId/secrets";
  const auth = requireApiKey(d.isApiKey);

  api.get(path, auth, async (c) => {
    const app = appOf(d, c);
    // No prototype: a secret named __proto__ is a name like any other.
    const out: Record<string, string> = Object.create(null);
    for (const name of await d.secrets.names(app.id)) out[name] = MASKED;
    return c.json(out);
  });

  api.post(path, auth, async (c) => {
    const app = appOf(d, c);
    const body = await readJson(c);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new FnbaseError("BAD_REQUEST", "The body must be a JSON object of secrets", {
        hint: 'Send { "NAME": "value" }',
      });
    }
    const values = body as Record<string, unknown>;
    await d.secrets.set(app.id, values);
    d.log.info({ app: app.id, names: Object.keys(values) }, "secrets set");
    return c.json({ success: true });
  });

  api.delete(path, auth, async (c) => {
    const app = appOf(d, c);
    const name = c.req.query("secret_name");
    if (!name) {
      throw new FnbaseError("BAD_REQUEST", "Missing secret name: send ?secret_name=NAME");
    }
    if (!(await d.secrets.delete(app.id, name))) {
      throw new FnbaseError("NOT_FOUND", `Secret not found: ${name}`);
    }
    d.log.info({ app: app.id, name }, "secret deleted");
    return c.json({ success: true });
  });
}
