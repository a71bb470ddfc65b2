import type { AppRecord } from "../store/index.js";

const ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/** Whether `origin` may call the app's functions from a browser. */
export function originAllowed(
  app: AppRecord | undefined,
  origin: string,
  anyOrigin: boolean,
): boolean {
  if (anyOrigin || !app) return true;
  return app.cors_origins.includes("*") || app.cors_origins.includes(origin);
}

/**
 * The CORS headers the app's settings give an answer to `origin` (none when the origin is absent
 * or not allowed); how they combine with a function's own is http_rules.js's `withCors`.
 */
export function corsHeaders(origin: string | undefined, allowed: boolean): [string, string][] {
  if (!origin || !allowed) return [];
  return [
    ["access-control-allow-origin", origin],
    ["access-control-expose-headers", "X-Request-Id, Content-Type, Content-Length"],
    ["vary", "Origin"],
  ];
}

/**
 * The headers of the gateway's own answer to a preflight from an allowed origin (given when the
 * function does not answer the preflight itself with Access-Control-Allow-Origin).
 */
export function preflightHeaders(
  origin: string,
  requestedHeaders: string | undefined,
): [string, string][] {
  return [
    ["access-control-allow-origin", origin],
    ["access-control-allow-methods", ALLOW_METHODS],
    ["access-control-allow-headers", requestedHeaders ?? "Authorization, Content-Type, X-App-Id"],
    ["access-control-max-age", "86400"],
    ["vary", "Origin, Access-Control-Request-Headers"],
  ];
}
