import { FnbaseError } from "@fnbase/shared";
import type { MiddlewareHandler } from "hono";
import { parseBearer } from "../auth/tokens.js";

/** The API key a management request carries (`api_key`, `api-key` or a bearer), if any. */
export function requestApiKey(header: (name: string) => string | undefined): string | undefined {
  return header("api_key") ?? header("api-key") ?? parseBearer(header("authorization"));
}

/**
 * Management API auth: a workspace or admin API key in the `api_key` header (what the Base44
 * CLI sends) or as `Authorization: Bearer <key>`. User and service tokens are refused here.
 */
export function requireApiKey(isApiKey: (key: string) => Promise<boolean>): MiddlewareHandler {
  return async (c, next) => {
    const key = requestApiKey((n) => c.req.header(n));
    if (!key) {
      throw new FnbaseError("UNAUTHORIZED", "Missing API key: send it in the api_key header", {
        hint: "Use the admin key the server printed at first start, or a workspace key",
      });
    }
    if (!(await isApiKey(key))) {
      throw new FnbaseError("UNAUTHORIZED", "Invalid API key", {
        hint: key.startsWith("b44k_")
          ? "This key is unknown or revoked: create one with `fnbase api-keys create` (as the admin)"
          : "The management API takes an API key (b44k_...), not a user or service token",
      });
    }
    await next();
  };
}
