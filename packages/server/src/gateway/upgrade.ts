import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { Instance } from "../runtime/instance.js";
import type { Reply } from "./forward.js";
import { outboundPairs } from "./headers.js";

export interface UpgradeOptions {
  url: string;
  headers: Record<string, string | string[]>;
  /** How long the whole session may last. */
  timeoutMs: number;
  /** Most bytes the caller may send through the session. */
  maxBodyBytes: number;
  /** The caller's answer for the function's status and headers (see forward.ts). */
  respond: (status: number, headers: [string, string][]) => Reply;
  /** The `{ error, code }` body for a function that did not answer in time, or went away. */
  errorBody: (why: "timeout" | "crashed") => string;
}

/** Header lines of `pairs` (names and values as latin1 strings). */
function lines(pairs: readonly (readonly [string, string])[]): string {
  let out = "";
  for (const [k, v] of pairs) out += `${k}: ${v}\r\n`;
  return out;
}

/** Writes a whole answer with a JSON `body` on a raw socket, and ends it. */
export function writeRawAnswer(
  socket: Duplex,
  status: number,
  headers: readonly (readonly [string, string])[],
  body: string,
): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n${lines(headers)}` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
    "latin1",
  );
}

/**
 * Sends a WebSocket upgrade to an instance (undici's dispatch with `upgrade`) and, on its 101,
 * carries bytes both ways between the caller's socket and the instance's until either closes,
 * the time limit passes, or the caller has sent more than `maxBodyBytes`. Any other answer of
 * the function reaches the caller as it is (then the connection closes). Resolves when it is all
 * over, with the status and the bytes each way.
 */
export function forwardUpgrade(
  instance: Instance,
  req: IncomingMessage,
  socket: Duplex,
  early: Buffer,
  o: UpgradeOptions,
): Promise<{ status: number; bytesIn: number; bytesOut: number }> {
  return new Promise((resolve) => {
    let status = 0;
    let bytesIn = 0;
    let bytesOut = 0;
    let over = false;
    let ctl: { abort(reason: Error): void } | undefined;
    let up: Duplex | undefined;
    const finish = () => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      socket.destroy();
      up?.destroy();
      resolve({ status, bytesIn, bytesOut });
    };
    const timer = setTimeout(() => {
      if (status === 0) {
        status = 504;
        writeRawAnswer(socket, 504, [], o.errorBody("timeout"));
        ctl?.abort(new Error("time limit"));
      }
      finish();
    }, o.timeoutMs);
    socket.on("error", () => finish());
    socket.on("close", () => {
      if (status === 0) {
        status = 499;
        ctl?.abort(new Error("caller went away"));
      }
      finish();
    });

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        ctl = c;
        if (over) c.abort(new Error("caller went away"));
      },
      onRequestUpgrade(_c, statusCode, headers, upSocket) {
        up = upSocket;
        status = statusCode;
        if (over) {
          upSocket.destroy();
          return;
        }
        const r = o.respond(statusCode, outboundPairs(headers));
        const protocol = typeof headers.upgrade === "string" ? headers.upgrade : "websocket";
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\n${lines(r.headers)}connection: upgrade\r\nupgrade: ${protocol}\r\n\r\n`,
          "latin1",
        );
        const fromCaller = (chunk: Buffer) => {
          bytesIn += chunk.length;
          if (bytesIn > o.maxBodyBytes) finish();
          else if (!upSocket.write(chunk)) socket.pause();
        };
        if (early.length > 0) fromCaller(early);
        socket.on("data", fromCaller);
        upSocket.on("drain", () => socket.resume());
        upSocket.on("data", (chunk: Buffer) => {
          bytesOut += chunk.length;
          if (!socket.write(chunk)) upSocket.pause();
        });
        socket.on("drain", () => upSocket.resume());
        upSocket.on("error", () => finish());
        upSocket.on("close", () => finish());
        socket.on("end", () => finish());
        upSocket.on("end", () => finish());
      },
      onResponseStart(_c, statusCode, headers) {
        // The function answered without switching: its answer as it is, then the end.
        status = statusCode;
        const r = o.respond(statusCode, outboundPairs(headers));
        socket.write(
          `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ""}\r\n${lines(r.headers)}connection: close\r\n\r\n`,
          "latin1",
        );
      },
      onResponseData(_c, chunk: Buffer) {
        bytesOut += chunk.length;
        socket.write(chunk);
      },
      onResponseEnd() {
        socket.end(() => finish());
      },
      onResponseError(_c, _err) {
        if (status === 0) {
          status = 502;
          writeRawAnswer(socket, 502, [], o.errorBody("crashed"));
          socket.once("finish", () => finish());
          return;
        }
        finish();
      },
    };
    instance.dispatcher.dispatch(
      {
        path: o.url,
        method: (req.method ?? "GET") as Dispatcher.HttpMethod,
        headers: o.headers,
        upgrade: "websocket",
      },
      handler,
    );
  });
}
