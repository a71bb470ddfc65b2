import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { checkHead, type Head, isRealtimeTarget, Refusal } from "@fnbase/runtime";
import type { Logger } from "@fnbase/shared";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import type { FrontLink } from "../front/link.js";
import type { Gateway } from "../gateway/gateway.js";
import { matchInvocation } from "../gateway/route.js";
import { writeRawAnswer } from "../gateway/upgrade.js";
import type { Realtime } from "../realtime/realtime.js";

const NOT_FRONT = new Refusal(
  403,
  "FORBIDDEN",
  "This is the fnbase server's internal socket: use its public URL",
);

/** The request's header fields as http_rules.js reads them: lower-case names, in order. */
function fields(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

/**
 * Checks what reaches Node's internal socket: the front's secret, then the same rules the front
 * applied (http_rules.js checkHead), so that a request the front would refuse is refused here too.
 */
function admit(front: FrontLink, req: IncomingMessage): Head | Refusal {
  if (!front.isFront(req.headers["x-fnbase-front"])) return NOT_FRONT;
  return checkHead(req.method ?? "", req.url ?? "", req.httpVersionMinor, fields(req.rawHeaders));
}

/** The pathname of an origin-form target. */
function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q === -1 ? target : target.slice(0, q);
}

/**
 * The server's request listeners, on its internal socket behind the front: invocation routes go
 * to the gateway's streaming proxy (raw Node HTTP, no Request/Response conversion on the hot
 * path); the realtime socket's path to socket.io; everything else to the management API (Hono).
 * `upgrade` takes WebSocket upgrades, which function invocations and the realtime socket accept.
 */
export function createListener(
  gateway: Gateway,
  api: Hono,
  log: Logger,
  front: FrontLink,
  realtime: Realtime,
) {
  const apiListener = getRequestListener(api.fetch);
  const request = (req: IncomingMessage, res: ServerResponse): void => {
    const head = admit(front, req);
    if (head instanceof Refusal) {
      const body = head.body();
      res.writeHead(head.status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
        connection: "close",
      });
      res.end(body);
      return;
    }
    const url = head.target;
    const route = matchInvocation(pathOf(url));
    if (route) {
      gateway.handle(req, res, route, url, head).catch((err) => {
        log.error({ err }, "gateway failure");
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "Internal server error", code: "INTERNAL" }));
        } else res.destroy();
      });
      return;
    }
    if (isRealtimeTarget(url)) {
      realtime.handleRequest(req, res);
      return;
    }
    void apiListener(req, res);
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, early: Buffer): void => {
    socket.on("error", () => {});
    const head = admit(front, req);
    if (head instanceof Refusal) {
      writeRawAnswer(socket, head.status, [], head.body());
      return;
    }
    const url = head.target;
    if (head.upgrade && isRealtimeTarget(url)) {
      realtime.handleUpgrade(req, socket, early);
      return;
    }
    const route = head.upgrade ? matchInvocation(pathOf(url)) : undefined;
    if (!route) {
      const no = new Refusal(
        400,
        "BAD_REQUEST",
        "Only function invocations and the realtime socket take WebSocket upgrades",
      );
      writeRawAnswer(socket, no.status, [], no.body());
      return;
    }
    gateway.upgrade(req, socket, early, route, url, head).catch((err) => {
      log.error({ err }, "gateway failure (upgrade)");
      socket.destroy();
    });
  };
  return { request, upgrade };
}
