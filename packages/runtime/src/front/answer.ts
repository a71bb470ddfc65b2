/** Writing answers on a caller's connection: framing, header checks, streams and tunnels. */

import type { Refusal } from "../http_rules.js";
import type { Connection } from "./connection.ts";
import type { IncomingRequest } from "./incoming.ts";
import { latin1Bytes, latin1Into } from "./latin1.ts";
import type { Answer } from "./message.ts";
import { FIELD_VALUE, LENGTH, TOKEN } from "./syntax.ts";

const enc = new TextEncoder();

/** Header lines as the server writes them: token names, values without control characters. */
const HEADER_LINES = new RegExp(`^(?:${TOKEN}: ${FIELD_VALUE}\\r\\n)*$`);
const HEADER_LINE = new RegExp(`^${TOKEN}: ${FIELD_VALUE}\\r\\n$`);

export const REASONS: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

let dateText = "";
let dateAt = 0;
/** The Date header's value, recomputed at most once a second. */
export function httpDate(): string {
  const now = Date.now();
  if (now - dateAt >= 1000) {
    dateAt = now - (now % 1000);
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** The bytes of a refusal: a coded JSON answer that closes the connection. */
export function refusalBytes(r: Refusal, extra = ""): Uint8Array {
  const body = r.body();
  return enc.encode(
    `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? ""}\r\ndate: ${httpDate()}\r\n${extra}` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${enc.encode(body).length}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

/** The header lines of `headers` (a `content-length` left out and returned), each checked. */
function headerLines(headers: Answer["headers"]): { lines: string; declared: string | undefined } {
  let lines = "";
  let declared: string | undefined;
  for (const [k, v] of headers) {
    if (k === "content-length") declared = v;
    else lines += `${k}: ${v}\r\n`;
  }
  // One pass checks them all; only a bad answer pays for finding the bad lines. A line that
  // could end the head early or start another never reaches the caller.
  if (!HEADER_LINES.test(lines)) {
    let kept = "";
    for (const [k, v] of headers) {
      const line = `${k}: ${v}\r\n`;
      if (k !== "content-length" && HEADER_LINE.test(line)) kept += line;
    }
    lines = kept;
  }
  return { lines, declared };
}

/** Writes a 101 answer and hands the connection to the answer's tunnel; always ends it. */
async function switchProtocols(c: Connection, req: IncomingRequest, a: Answer): Promise<false> {
  const tunnel = a.tunnel!;
  const { lines } = headerLines(a.headers);
  req.answered = true;
  c.unwatch();
  c.state = "tunnel";
  if (
    !(await c.write(
      latin1Bytes(`HTTP/1.1 101 Switching Protocols\r\ndate: ${httpDate()}\r\n${lines}\r\n`),
    ))
  ) {
    tunnel.cancel();
    return false;
  }
  await tunnel.run(c);
  return false;
}

/** Writes `a` as the answer to `req`; true when the connection can serve another request. */
export async function writeAnswer(
  c: Connection,
  req: IncomingRequest,
  a: Answer,
  closing: boolean,
): Promise<boolean> {
  let status = a.status;
  let body = a.body;
  if (status === 101 && a.tunnel !== undefined && req.upgrade && !closing) {
    return await switchProtocols(c, req, a);
  }
  if (status < 200 || status > 999) {
    // Interim, nonsensical, or a switch nobody asked for: no answer may be read so.
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    a.tunnel?.cancel();
    status = 502;
    body = enc.encode(
      JSON.stringify({
        error: "The function answered with an invalid status",
        code: "UPSTREAM_ERROR",
      }),
    );
  }
  const head = req.method === "HEAD";
  const bodiless = head || status === 204 || status === 304;
  let keep = req.keepAlive && !a.close && !closing && req.bodyDone && !c.lost;
  const { lines, declared } = headerLines(a.headers);
  let text = `HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\ndate: ${httpDate()}\r\n${lines}`;
  const declaredLength =
    declared !== undefined && LENGTH.test(declared) ? Number(declared) : undefined;
  let stream: ReadableStream<Uint8Array> | null = null;
  let bytes: Uint8Array | null = null;
  let chunked = false;
  let sized: number | undefined;
  if (bodiless) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    if (head) {
      const n = body instanceof Uint8Array ? body.length : declaredLength;
      if (n !== undefined) text += `content-length: ${n}\r\n`;
    }
  } else if (body === null) text += "content-length: 0\r\n";
  else if (body instanceof Uint8Array) {
    bytes = body;
    text += `content-length: ${body.length}\r\n`;
  } else {
    stream = body;
    if (declaredLength !== undefined) {
      sized = declaredLength;
      text += `content-length: ${declaredLength}\r\n`;
    } else if (req.minor === 1) {
      chunked = true;
      text += "transfer-encoding: chunked\r\n";
    } else keep = false; // HTTP/1.0: the end of the body is the end of the connection
  }
  text += keep
    ? req.minor === 0
      ? "connection: keep-alive\r\n\r\n"
      : "\r\n"
    : "connection: close\r\n\r\n";

  // The head, and a byte body that fits with it, in one write.
  const room = text.length + (bytes?.length ?? 0);
  if (c.out.length < room && room <= 256 * 1024) {
    c.out = new Uint8Array(Math.max(room, Math.min(2 * c.out.length, 256 * 1024), 2048));
  }
  let first: Uint8Array;
  if (c.out.length >= room) {
    const written = latin1Into(text, c.out);
    if (bytes !== null) {
      c.out.set(bytes, written);
      first = c.out.subarray(0, written + bytes.length);
      bytes = null;
    } else first = c.out.subarray(0, written);
  } else first = latin1Bytes(text);
  req.answered = true;
  c.unwatch();
  if (!(await c.write(first))) {
    if (stream !== null) void stream.cancel().catch(() => {});
    return false;
  }
  if (bytes !== null && !(await c.write(bytes))) return false;
  if (stream === null) return keep;

  const reader = stream.getReader();
  // A caller who leaves mid-stream stops the source (and so the function) before its next write.
  c.watch(() => void reader.cancel().catch(() => {}));
  if (req.bodyDone) void c.readAhead();
  let sent = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      let out: Uint8Array = value;
      if (chunked) {
        const size = `${value.length.toString(16)}\r\n`;
        out = new Uint8Array(size.length + value.length + 2);
        enc.encodeInto(size, out);
        out.set(value, size.length);
        out[out.length - 2] = 13;
        out[out.length - 1] = 10;
      } else if (sized !== undefined && sent + value.length > sized) {
        // More than the source declared: the framing cannot be kept.
        await c.write(value.subarray(0, sized - sent));
        await reader.cancel().catch(() => {});
        return false;
      }
      sent += value.length;
      if (!(await c.write(out))) {
        await reader.cancel().catch(() => {});
        return false;
      }
    }
  } catch {
    // The source broke mid-body: the caller can only learn it from a connection that ends
    // without the body's proper end.
    return false;
  } finally {
    c.unwatch();
    reader.releaseLock();
  }
  if (chunked) return (await c.write(enc.encode("0\r\n\r\n"))) && keep;
  return keep && (sized === undefined || sent === sized);
}
