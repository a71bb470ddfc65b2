import { bodyTooLargeMessage, routeBodyLimit } from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/**
 * Caps every management-API request body at its route's limit (http_rules.js routeBodyLimit:
 * 1 MiB by default, the upload limit for deploys, a ceiling for the entity routes, which cap
 * their own), with a coded 413 before the body is read (Content-Length) or as soon as a
 * streamed one passes it. The front enforces the same limits before Node sees a byte; this
 * holds them for requests that reach the API in process too.
 *
 * @example
 * api.use("*", limitBodies(20 * 1024 ** 2, 50 * 1024 ** 2));
 */
export function limitBodies(maxUploadBytes: number, maxFileBytes: number): MiddlewareHandler {
  const byLimit = new Map<number, MiddlewareHandler>();
  return (c, next) => {
    const max = routeBodyLimit(c.req.path, maxUploadBytes, maxFileBytes);
    let mw = byLimit.get(max);
    if (mw === undefined) {
      mw = bodyLimit({
        maxSize: max,
        onError: () => {
          throw new FnbaseError("PAYLOAD_TOO_LARGE", bodyTooLargeMessage(max));
        },
      });
      byLimit.set(max, mw);
    }
    return mw(c, next);
  };
}
