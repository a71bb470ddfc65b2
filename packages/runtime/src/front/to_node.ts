/**
 * The Node path: a request the front cannot answer from a decision goes to Node's internal
 * socket with the front's secret and the caller's address, under the body limit of its route;
 * with an invocation, Node hands back its decision for that kind of request.
 */

import { bodyTooLargeMessage, isRealtimeTarget, routeBodyLimit } from "../http_rules.js";
import { FRONT_CHANNEL, HOP_BY_HOP } from "../protocol.js";
import type { Decisions } from "./decisions.ts";
import { BodyTooLarge, Exchange, type Upstream } from "./http1.ts";
import { track, untrack } from "./inflight.ts";
import type { Answer, Incoming } from "./message.ts";
import { callerFailure, errorBody, errorResponse } from "./replies.ts";
import { splice } from "./tunnel.ts";

/** Headers the front never passes on: hop-by-hop ones, framing and its own channel to Node. */
const HOP = new Set([...HOP_BY_HOP, "expect", "content-length", ...FRONT_CHANNEL]);

export interface NodePathDeps {
  node: Upstream;
  decisions: Decisions;
  /** The front's secret, which Node's listener asks of every request. */
  secret: string;
  /** The server's upload limit (see routeBodyLimit). */
  maxUploadBytes: number;
  /** The largest file any app may upload (see routeBodyLimit). */
  maxFileBytes: number;
}

/** Sends requests to Node. */
export class NodePath {
  readonly #d: NodePathDeps;

  constructor(deps: NodePathDeps) {
    this.#d = deps;
  }

  /**
   * Hands `req` to Node. `invocation`: the target is a function invocation, whose body limit and
   * upgrades are Node's (the gateway's); any other route has the body limit of routeBodyLimit, and
   * only the realtime socket's path takes an upgrade.
   * `mutating`: a change through the management API, which may void decisions (dropped before
   * it reaches Node and again once Node has answered).
   */
  async pass(
    req: Incoming,
    target: string,
    invocation: boolean,
    mutating: boolean,
  ): Promise<Answer> {
    const { decisions, node } = this.#d;
    const limit = invocation
      ? Number.POSITIVE_INFINITY
      : routeBodyLimit(target, this.#d.maxUploadBytes, this.#d.maxFileBytes);
    const length = req.length;
    if (length !== undefined && length > limit) return tooLarge(limit);
    if (mutating) decisions.flushAll();
    const epoch = decisions.epoch;
    // Invocations and the realtime socket take upgrades; elsewhere the Upgrade header is ignored.
    const upgrade = (invocation || isRealtimeTarget(target)) && req.upgrade;
    let head = `${req.method} ${target} HTTP/1.1\r\nx-fnbase-front: ${this.#d.secret}\r\nx-fnbase-client-addr: ${req.remote}\r\n`;
    for (const [k, v] of req.headers) if (!HOP.has(k)) head += `${k}: ${v}\r\n`;
    if (upgrade) head += "connection: upgrade\r\nupgrade: websocket\r\n";
    let res: Awaited<ReturnType<Upstream["request"]>>;
    const x = new Exchange();
    track(x, req, Date.now(), Number.POSITIVE_INFINITY);
    try {
      res = await node.request(req.method, head, req.body, length, limit, x, upgrade);
    } catch (err) {
      untrack(x);
      const failed = callerFailure(req, x, err, () => []);
      if (failed !== undefined) return failed;
      if (err instanceof BodyTooLarge) return tooLarge(limit);
      return errorResponse(
        502,
        errorBody(
          `The fnbase server could not be reached: ${(err as Error).message}`,
          "UPSTREAM_ERROR",
        ),
        [],
      );
    }
    if (res.body instanceof ReadableStream) res.done.then(() => untrack(x));
    else untrack(x);
    if (mutating) decisions.flushAll();
    const headers: [string, string][] = [];
    for (const h of res.headers) {
      if (h[0] === "x-fnbase-decision") decisions.offer(req.context, h[1], epoch);
      else headers.push(h);
    }
    const pipe = res.pipe;
    if (pipe !== undefined) {
      // Node's gateway holds the session's limits on its side of the tunnel.
      headers.push(["connection", "upgrade"]);
      const tunnel = {
        run: async (caller: Parameters<typeof splice>[0]) => {
          await splice(caller, pipe, {
            deadline: Number.POSITIVE_INFINITY,
            maxIn: Number.POSITIVE_INFINITY,
          });
        },
        cancel: () => pipe.close(),
      };
      return { status: res.status, headers, body: null, tunnel };
    }
    return { status: res.status, headers, body: res.body };
  }
}

/** A 413 for a body over `limit`; the connection closes (the rest of the body is not read). */
function tooLarge(limit: number): Answer {
  return errorResponse(413, errorBody(bodyTooLargeMessage(limit), "PAYLOAD_TOO_LARGE"), [], true);
}
