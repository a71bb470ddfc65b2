import type { IncomingMessage } from "node:http";
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

/** The CORS headers a response to `origin` carries (none when the origin is not allowed). */
export function corsHeaders(origin: string | undefined, allowed: boolean): Record<string, string> {
  if (!origin || !allowed) return {};
  return {
    "access-control-allow-origin": origin,
    "access-control-expose-headers": "X-Request-Id, Content-Type, Content-Length",
    vary: "Origin",
  };
}

/** True for a CORS preflight (the gateway answers it; the function never sees it). */
export function isPreflight(req: IncomingMessage): boolean {
  return (
    req.method === "OPTIONS" &&
    !!req.headers.origin &&
    !!req.headers["access-control-request-method"]
  );
}

/** The headers of a successful preflight answer. */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin ?? "*";
  const requested = req.headers["access-control-request-headers"];
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": ALLOW_METHODS,
    "access-control-allow-headers": requested ?? "Authorization, Content-Type, X-App-Id",
    "access-control-max-age": "86400",
    vary: "Origin, Access-Control-Request-Headers",
  };
}
