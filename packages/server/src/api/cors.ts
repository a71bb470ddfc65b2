import type { Context, MiddlewareHandler } from "hono";
import type { Catalog } from "../catalog.js";
import { originAllowed } from "../gateway/cors.js";

const METHODS = "GET,HEAD,PUT,POST,DELETE,PATCH";

/** Adds `name: value` to the answer's headers where they are (see {@link appCors}). */
function addHeader(c: Context, name: string, value: string, append = false): void {
  try {
    if (append) c.res.headers.append(name, value);
    else c.res.headers.set(name, value);
  } catch {
    // Immutable headers (an answer fetched from elsewhere): Hono copies the answer.
    c.header(name, value, { append });
  }
}

/**
 * CORS for the app-scoped routes a browser frontend calls (`auth/*`, `entities/*`): an origin
 * the app allows (its `cors_origins`, the same rule as for invocations) gets the CORS headers
 * and its preflights answered; any other origin gets none. With `anyOrigin` (`fnbase dev`),
 * every origin is allowed. What `hono/cors` does, except that the headers go onto the handler's
 * answer where it is: `hono/cors` sets them through `c.header()` after the handler, which
 * rebuilds the answer around its body as a stream, so each answer cost a second Response and a
 * stream read (a third of a small entity call's time in Node).
 *
 * @example
 * api.use("/api/apps/:appId/auth/*", appCors(catalog, false));
 */
export function appCors(catalog: Catalog, anyOrigin: boolean): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin") ?? "";
    const allowed =
      origin !== "" && originAllowed(catalog.app(c.req.param("appId") ?? ""), origin, anyOrigin);
    if (c.req.method === "OPTIONS") {
      const headers = new Headers({
        vary: "Origin",
        "access-control-max-age": "86400",
        "access-control-allow-methods": METHODS,
      });
      if (allowed) headers.set("access-control-allow-origin", origin);
      const asked = c.req.header("access-control-request-headers");
      if (asked) {
        headers.set(
          "access-control-allow-headers",
          asked
            .split(",")
            .map((h) => h.trim())
            .join(","),
        );
        headers.append("vary", "Access-Control-Request-Headers");
      }
      return new Response(null, { status: 204, headers });
    }
    await next();
    if (allowed) addHeader(c, "access-control-allow-origin", origin);
    addHeader(c, "vary", "Origin", true);
    return undefined;
  };
}
