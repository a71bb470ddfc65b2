import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@fnbase/shared";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import type { FrontLink } from "../front/link.js";
import type { Gateway } from "../gateway/gateway.js";
import { matchInvocation } from "../gateway/route.js";

/**
 * The server's one request listener, on its internal port behind the front: invocation routes go to the gateway's streaming proxy
 * (raw Node HTTP, no Request/Response conversion on the hot path); everything else to the
 * management API (Hono).
 */
export function createListener(gateway: Gateway, api: Hono, log: Logger, front: FrontLink) {
  const apiListener = getRequestListener(api.fetch);
  return (req: IncomingMessage, res: ServerResponse): void => {
    // This port is internal: callers come through the front, which adds its secret.
    if (!front.isFront(req.headers["x-fnbase-front"])) {
      res.writeHead(403, { "content-type": "application/json; charset=utf-8" });
      res.end(
        JSON.stringify({
          error: "This is the fnbase server's internal port: use its public URL",
          code: "FORBIDDEN",
        }),
      );
      return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q === -1 ? url : url.slice(0, q);
    const route = matchInvocation(pathname);
    if (route) {
      gateway.handle(req, res, route, url).catch((err) => {
        log.error({ err }, "gateway failure");
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "Internal server error", code: "INTERNAL" }));
        } else res.destroy();
      });
      return;
    }
    void apiListener(req, res);
  };
}
