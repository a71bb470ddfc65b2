import { FnbaseError } from "@fnbase/shared";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { readJson } from "../api/errors.js";
import type { AutomationService } from "./service.js";

/** What the automation routes work with. */
export interface AutomationRoutesDeps {
  service: AutomationService;
  hasApp: (appId: string) => boolean;
  /** The management API's key check. */
  auth: MiddlewareHandler;
}

/**
 * The automations API (admin or workspace API key), under `/api/apps/{appId}/automations`:
 *
 * - `GET /` → `{ automations: [...] }`: each with its definition's fields, `id`,
 *   `function_name`, `source`, `status`, `owner`, `next_run_at`, `last_run`
 * - `POST /` `{ function_name, owner_id? | owner_email?, ...definition }` → 201, the automation
 * - `GET /{id}`, `PATCH /{id}` (`is_active`, `owner_id`/`owner_email`, definition fields),
 *   `DELETE /{id}`
 * - `POST /{id}/run` → 202, the queued run
 * - `GET /{id}/runs`, `GET /runs` (`automation`, `status`, `limit`) → `{ runs: [...] }`, newest
 *   first; `GET /runs/{runId}`
 *
 * @example
 * api.route("/", automationRoutes({ service, hasApp, auth }));
 */
export function automationRoutes(d: AutomationRoutesDeps): Hono {
  const r = new Hono();
  const base = "/api/apps/:appId/automations";
  r.use(base, d.auth);
  r.use(`${base}/*`, d.auth);
  const app = (c: Context) => {
    const id = c.req.param("appId") ?? "";
    if (!d.hasApp(id)) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${id}`);
    return id;
  };

  r.get(base, async (c) => c.json({ automations: await d.service.list(app(c)) }));
  r.post(base, async (c) => c.json(await d.service.create(app(c), await readJson(c)), 201));
  r.get(`${base}/runs`, async (c) => c.json({ runs: await d.service.runs(app(c), c.req.query()) }));
  r.get(`${base}/runs/:runId`, async (c) =>
    c.json(await d.service.run(app(c), c.req.param("runId"))),
  );
  r.get(`${base}/:id`, async (c) => c.json(await d.service.get(app(c), c.req.param("id"))));
  r.patch(`${base}/:id`, async (c) =>
    c.json(await d.service.patch(app(c), c.req.param("id"), await readJson(c))),
  );
  r.delete(`${base}/:id`, async (c) => {
    await d.service.remove(app(c), c.req.param("id"));
    return c.json({ success: true });
  });
  r.post(`${base}/:id/run`, async (c) =>
    c.json(await d.service.runNow(app(c), c.req.param("id")), 202),
  );
  r.get(`${base}/:id/runs`, async (c) =>
    c.json({
      runs: await d.service.runs(app(c), { ...c.req.query(), automation: c.req.param("id") }),
    }),
  );
  return r;
}
