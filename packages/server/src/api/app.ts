import { RELAY_PATH } from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";
import { Hono } from "hono";
import { compress } from "hono/compress";
import { schemaRoutes } from "../entities/index.js";
import { appsRoutes } from "./apps.js";
import { requireApiKey } from "./auth.js";
import { limitBodies } from "./body-limit.js";
import type { ApiDeps } from "./context.js";
import { appCors } from "./cors.js";
import { onApiError } from "./errors.js";
import { functionsRoutes } from "./functions.js";

export type { ApiDeps } from "./context.js";

/**
 * The management API as a Hono app (web-standard Request/Response, so tests may call
 * `api.request("/api/apps")` in process). Extra route groups (users, secrets, logs) mount
 * through `extend`.
 */
export function createApi(d: ApiDeps, extend: (api: Hono) => void = () => {}): Hono {
  const api = new Hono();
  // No route reads an unbounded body (users' login and register included).
  api.use("*", limitBodies(d.maxUploadBytes, d.maxFileBytes));
  // gzip or deflate when the caller accepts it, for answers over 1 KiB (logs, code, lists);
  // never an event stream, whose events must leave as they are written, and never what the
  // dashboard's relay passes on (the API route it stands for compressed it already, and a
  // function's streamed answer must arrive as it is written).
  const gzip = compress();
  api.use("*", (c, next) => (c.req.path.startsWith(RELAY_PATH) ? next() : gzip(c, next)));
  api.get("/health", (c) => c.json({ ok: true }));
  // Browser frontends on the app's origins call these (the SDK's auth module).
  api.use("/api/apps/:appId/auth/*", appCors(d.catalog, d.corsAnyOrigin));
  api.use("/api/apps/:appId/entities/*", appCors(d.catalog, d.corsAnyOrigin));
  extend(api);
  const mgmt = new Hono();
  mgmt.use("*", requireApiKey(d.isApiKey));
  mgmt.route("/", appsRoutes(d));
  mgmt.route("/", functionsRoutes(d));
  mgmt.route("/", schemaRoutes(d.catalog, d.entitySchemas));
  api.route("/api/apps", mgmt);
  api.notFound((c) => {
    throw new FnbaseError("NOT_FOUND", `No such route: ${c.req.method} ${c.req.path}`);
  });
  api.onError(onApiError(d.log));
  return api;
}
