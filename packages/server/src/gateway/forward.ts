import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { Instance } from "../runtime/instance.js";
import { flat, outboundPairs } from "./headers.js";

/** The request body went over the limit. */
export class BodyTooLarge extends Error {}
/** The request ran past its time limit. */
export class TimedOut extends Error {}

export interface ForwardOptions {
  url: string;
  headers: Record<string, string | string[]>;
  hasBody: boolean;
  /** No Content-Length: the body's size is counted as it streams, against `maxBodyBytes`. */
  chunked: boolean;
  maxBodyBytes: number;
  timeoutMs: number;
  /** Counts body bytes of a chunked request. */
  bytesIn: { n: number };
  /**
   * The answer the caller gets for the function's status and headers (hop-by-hop ones and
   * `x-request-id` already removed): its own headers with the gateway's (CORS, request id), or a
   * replacement with a body of its own, for which the function's body is dropped.
   */
  respond: (status: number, headers: [string, string][]) => Reply;
}

/** What the caller gets for a function's answer head; see {@link ForwardOptions.respond}. */
export interface Reply {
  status: number;
  headers: [string, string][];
  /** A body of the gateway's own in place of the function's. */
  body?: string;
}

async function* limited(
  req: IncomingMessage,
  max: number,
  count: { n: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    count.n += chunk.length;
    if (count.n > max) throw new BodyTooLarge();
    yield chunk;
  }
}

/** Resolves once the instance's process has exited, or after `ms`. */
export function untilExited(instance: Instance, ms: number): Promise<void> {
  if (!instance.alive) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    instance.onExit(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Sends one request to an instance with undici's dispatch API and writes the answer straight to
 * `res` (no intermediate stream or AbortSignal per request: measured, about a third of the
 * gateway's CPU). The request body streams up, the response streams down, pausing the
 * instance while the caller's socket drains. Rejects with {@link TimedOut} past the time limit,
 * {@link BodyTooLarge} over the body limit, or undici's error when the instance goes away.
 */
export function forward(
  instance: Instance,
  req: IncomingMessage,
  res: ServerResponse,
  o: ForwardOptions,
): Promise<{ bytesOut: number }> {
  let ctl: { abort(reason: Error): void } | undefined;
  let abortReason: Error | undefined;
  let bytesOut = 0;
  let replaced: string | undefined;
  const abort = (why: Error) => {
    abortReason ??= why;
    ctl?.abort(why);
  };
  const timer = setTimeout(() => abort(new TimedOut()), o.timeoutMs);
  const onClose = () => {
    if (!res.writableFinished) abort(new Error("client went away"));
  };
  res.on("close", onClose);
  const body = !o.hasBody
    ? null
    : o.chunked
      ? Readable.from(limited(req, o.maxBodyBytes, o.bytesIn))
      : req;

  return new Promise<{ bytesOut: number }>((resolve, reject) => {
    instance.dispatcher.dispatch(
      {
        path: o.url,
        method: (req.method ?? "GET") as Dispatcher.HttpMethod,
        headers: o.headers,
        body,
      },
      {
        onRequestStart(c) {
          ctl = c;
          if (abortReason !== undefined) c.abort(abortReason);
        },
        onResponseStart(_c, statusCode, upHeaders) {
          const r = o.respond(statusCode, outboundPairs(upHeaders));
          replaced = r.body;
          if (replaced) {
            r.headers.push(["content-length", String(Buffer.byteLength(replaced))]);
          }
          res.writeHead(r.status, flat(r.headers));
        },
        onResponseData(c, chunk: Buffer) {
          if (replaced !== undefined) return;
          bytesOut += chunk.length;
          if (!res.write(chunk)) {
            c.pause();
            res.once("drain", () => c.resume());
          }
        },
        onResponseEnd() {
          res.end(replaced);
          resolve({ bytesOut });
        },
        onResponseError(_c, err) {
          const reason = abortReason ?? err;
          reject(
            reason instanceof BodyTooLarge || err instanceof BodyTooLarge
              ? new BodyTooLarge()
              : reason,
          );
        },
      },
    );
  }).finally(() => {
    clearTimeout(timer);
    res.off("close", onClose);
  });
}
