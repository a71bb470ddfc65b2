/**
 * The direct path: a request the front answers from a decision Node handed back, sent straight
 * to the function's instance without Node, with the headers, limits, error answers and records
 * the gateway would give it.
 */

import { appBusyMessage, functionAnswerHeaders } from "../http_rules.js";
import { FRONT_CHANNEL, functionTarget, HOP_BY_HOP, HOST_OWNED } from "../protocol.js";
import type { Decisions, Entry } from "./decisions.ts";
import { BodyTooLarge, Exchange, type Upstream, UpstreamUnreachable } from "./http1.ts";
import { track, untrack } from "./inflight.ts";
import type { Answer, Incoming } from "./message.ts";
import { record } from "./records.ts";
import { callerFailure, errorBody, errorResponse } from "./replies.ts";
import { splice } from "./tunnel.ts";

/** Headers a function never gets from the caller: hop-by-hop ones, framing, the front's channel, and what the host sets. */
const DROPPED = new Set([
  ...HOP_BY_HOP,
  "expect",
  "content-length",
  ...FRONT_CHANNEL,
  ...HOST_OWNED,
]);

/** The caller's headers a function receives, as header lines. */
function forwardedLines(req: Incoming): string {
  let lines = "";
  for (const [k, v] of req.headers) if (!DROPPED.has(k)) lines += `${k}: ${v}\r\n`;
  return lines;
}

export interface DirectDeps {
  decisions: Decisions;
  /** Tells Node that instance `i` did not answer; resolves once Node has seen it go. */
  failed: (instanceId: string) => Promise<void>;
  /** Requests in progress per app on this path, at most. */
  maxPerApp: number;
  /**
   * Passes a request to Node whole: used when a decision's instance cannot be connected to
   * (it stopped, and Node's revoke has not reached the front yet), so the request, which never
   * reached the function, gets what Node decides now (a new instance) instead of a 502.
   */
  toNode: (req: Incoming, target: string) => Promise<Answer>;
}

/** Sends requests to instances as cached decisions say. */
export class DirectPath {
  readonly #d: DirectDeps;
  readonly #busy = new Map<string, number>();

  constructor(deps: DirectDeps) {
    this.#d = deps;
  }

  /** Answers `req` (target `target`) as decision entry `e` says. */
  async invoke(req: Incoming, target: string, e: Entry): Promise<Answer> {
    const started = performance.now();
    const d = e.decision;
    const inst = e.instance;
    const requestId = crypto.randomUUID();
    const extra = (): [string, string][] => [...d.c, ["x-request-id", requestId]];
    const length = req.length;
    if (length !== undefined && length > d.b) {
      record(d, requestId, 413, performance.now() - started, length, 0);
      return errorResponse(413, d.e.tooLarge, extra(), true);
    }
    const busy = this.#busy.get(d.a) ?? 0;
    if (busy >= this.#d.maxPerApp) {
      record(d, requestId, 503, performance.now() - started, 0, 0);
      return errorResponse(
        503,
        errorBody(appBusyMessage(d.a, this.#d.maxPerApp), "SERVICE_UNAVAILABLE"),
        [...extra(), ["retry-after", "1"]],
      );
    }
    const host = req.host;
    let head = `${req.method} ${functionTarget(host, target)} HTTP/1.1\r\n${e.headLines}x-request-id: ${requestId}\r\nx-forwarded-for: ${req.remote}\r\n${forwardedLines(req)}`;
    if (host !== "") head += `x-forwarded-host: ${host}\r\n`;
    // What the gateway's client (undici) sends too: the function sees the same on both paths.
    head += req.upgrade
      ? "connection: upgrade\r\nupgrade: websocket\r\n"
      : "connection: keep-alive\r\n";
    const body = req.body;

    this.#busy.set(d.a, busy + 1);
    inst.inflight++;
    const t0 = Date.now();
    inst.lastUsed = t0;
    const x = new Exchange();
    track(x, req, t0, t0 + d.t);
    let ended = false;
    /** Ends the exchange on this path; `status` undefined: not answered here (no record). */
    const end = (status: number | undefined, bytesOut: number, bytesIn = length ?? x.sent) => {
      if (ended) return;
      ended = true;
      untrack(x);
      const n = (this.#busy.get(d.a) ?? 1) - 1;
      if (n === 0) this.#busy.delete(d.a);
      else this.#busy.set(d.a, n);
      this.#d.decisions.done(inst);
      if (status !== undefined) {
        record(d, requestId, status, performance.now() - started, bytesIn, bytesOut);
      }
    };
    let res: Awaited<ReturnType<Upstream["request"]>>;
    try {
      res = await inst.upstream.request(req.method, head, body, length, d.b, x, req.upgrade);
    } catch (err) {
      const failed = callerFailure(req, x, err, extra);
      if (failed !== undefined) {
        end(failed.status, 0);
        return failed;
      }
      if (x.aborted) {
        end(504, 0);
        return errorResponse(504, d.e.timeout, extra());
      }
      if (err instanceof BodyTooLarge) {
        end(413, 0);
        return errorResponse(413, d.e.tooLarge, extra(), true);
      }
      // The instance is gone or going: stop using it, and answer once Node has seen it go, so
      // that the caller's next request starts a new one.
      this.#d.decisions.failed(inst);
      await this.#d.failed(inst.id);
      if (err instanceof UpstreamUnreachable && !x.aborted) {
        // Nothing reached the function (its body unread): Node takes the request whole.
        end(undefined, 0);
        return this.#d.toNode(req, target);
      }
      end(502, 0);
      return errorResponse(502, d.e.crashed, extra());
    }
    // The function's headers, minus what the host sets, with the app's CORS headers unless the
    // function answered CORS itself, and the sandbox policy (http_rules.js functionAnswerHeaders:
    // the same on Node's path).
    const own: [string, string][] = [];
    for (const h of res.headers) {
      const k = h[0];
      if (k !== "x-request-id" && k !== "x-fnbase-decision") own.push(h);
    }
    const headers = functionAnswerHeaders(own, d.c);
    headers.push(["x-request-id", requestId]);
    const pipe = res.pipe;
    if (pipe !== undefined) {
      // A WebSocket: the session runs under the request's time limit, and what the caller
      // sends under its body limit, as an HTTP exchange would.
      untrack(x);
      headers.push(["connection", "upgrade"]);
      return {
        status: 101,
        headers,
        body: null,
        tunnel: {
          run: async (caller) => {
            const r = await splice(caller, pipe, { deadline: t0 + d.t, maxIn: d.b });
            end(101, r.bytesOut, r.bytesIn);
          },
          cancel: () => {
            pipe.close();
            end(499, 0);
          },
        },
      };
    }
    if (res.body === null || res.body instanceof Uint8Array) end(res.status, res.body?.length ?? 0);
    else res.done.then((n) => end(res.status, n));
    return { status: res.status, headers, body: res.body };
  }
}
