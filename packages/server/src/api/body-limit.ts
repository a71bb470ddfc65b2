import { bodyTooLargeMessage, routeBodyLimit } from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/**
 * True for methods whose requests no route reads a body of (GET, HEAD): the body limit skips
 * them, since checking means building the web Request around Node's (a tenth of a small
 * entity call's time in Node), and a body nobody reads is never held.
 */
export function hasNoBody(method: string): boolean {
  return method === "GET" || method === "HEAD";
}

/**
 * A body limit of `max` bytes with a coded 413: a request with a Content-Length is judged by
 * it, without reading or wrapping the body (Node's own stream stays for the route to read: see
 * `readJson`); a streamed one is read and counted as it comes (`hono/body-limit`).
 *
 * @example
 * api.use("/upload", limitBody(1 << 20));
 */
export function limitBody(max: number): MiddlewareHandler {
  const streamed = bodyLimit({
    maxSize: max,
    onError: () => {
      throw new FnbaseError("PAYLOAD_TOO_LARGE", bodyTooLargeMessage(max));
    },
  });
  return (c, next) => {
    if (hasNoBody(c.req.method)) return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number(length) > max)
        throw new FnbaseError("PAYLOAD_TOO_LARGE", bodyTooLargeMessage(max));
      return next();
    }
    return streamed(c, next);
  };
}

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
    if (hasNoBody(c.req.method)) return next();
    const max = routeBodyLimit(c.req.path, maxUploadBytes, maxFileBytes);
    let mw = byLimit.get(max);
    if (mw === undefined) {
      mw = limitBody(max);
      byLimit.set(max, mw);
    }
    return mw(c, next);
  };
}
