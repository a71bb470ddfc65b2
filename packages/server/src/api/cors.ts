import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { Catalog } from "../catalog.js";
import { originAllowed } from "../gateway/cors.js";

/**
 * CORS for the app-scoped routes a browser frontend calls (`auth/*`, `entities/*`): an origin
 * the app allows (its `cors_origins`, the same rule as for invocations) gets the CORS headers
 * and its preflights answered; any other origin gets none. With `anyOrigin` (`fnbase dev`),
 * every origin is allowed.
 *
 * @example
 * api.use("/api/apps/:appId/auth/*", appCors(catalog, false));
 */
export function appCors(catalog: Catalog, anyOrigin: boolean): MiddlewareHandler {
  return cors({
    origin: (origin, c) =>
      originAllowed(catalog.app(c.req.param("appId") ?? ""), origin, anyOrigin) ? origin : null,
    maxAge: 86400,
  });
}
