/**
 * A raw HTTP/1.1 client for tests: writes exactly the bytes a case needs over TCP and reads one
 * answer, framed as the server framed it (Content-Length, chunked, a 101's head alone, or up to
 * the close). No library parser sits between the test and the server.
 */
import { connect } from "node:net";

/** One answer as it arrived. */
export interface RawAnswer {
  /** 0 when the connection closed (or the time ran out) before a status line. */
  status: number;
  /** Lower-case names, values as ISO-8859-1. */
  headers: [string, string][];
  /** The body as ISO-8859-1 text. */
  body: string;
  /** No whole answer within the time allowed. */
  timedOut: boolean;
}

/** The first value of header `name`. */
export function header(a: RawAnswer, name: string): string | undefined {
  return a.headers.find(([k]) => k === name)?.[1];
}

/** Where the answer in `buf` ends, or -1 while it has not all arrived. */
function answerEnd(buf: Buffer, method: string): { end: number; a?: RawAnswer } {
  const headEnd = buf.indexOf("\r\n\r\n");
  if (headEnd === -1) return { end: -1 };
  const head = buf.subarray(0, headEnd).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "");
  const status = m ? Number(m[1]) : 0;
  const headers = head.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [
      line.slice(0, colon).toLowerCase(),
      line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ""),
    ];
  });
  const a: RawAnswer = { status, headers, body: "", timedOut: false };
  const start = headEnd + 4;
  if (status === 100) {
    const rest = answerEnd(buf.subarray(start), method);
    return rest.end === -1 ? rest : { end: start + rest.end, a: rest.a };
  }
  if (status === 101 || status === 204 || status === 304 || method === "HEAD") {
    return { end: start, a };
  }
  const length = header(a, "content-length");
  if (length !== undefined) {
    const end = start + Number(length);
    if (buf.length < end) return { end: -1 };
    a.body = buf.subarray(start, end).toString("latin1");
    return { end, a };
  }
  if (/chunked/i.test(header(a, "transfer-encoding") ?? "")) {
    let at = start;
    let body = "";
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", at);
      if (lineEnd === -1) return { end: -1 };
      const size = Number.parseInt(buf.subarray(at, lineEnd).toString("latin1"), 16);
      at = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = buf.indexOf("\r\n\r\n", at - 2);
        if (trailerEnd === -1) return { end: -1 };
        a.body = body;
        return { end: trailerEnd + 4, a };
      }
      if (buf.length < at + size + 2) return { end: -1 };
      body += buf.subarray(at, at + size).toString("latin1");
      at += size + 2;
    }
  }
  return { end: -1 }; // until the close
}

/**
 * Sends `bytes` (a latin1 string: one character per byte) to `port` on 127.0.0.1 and reads one
 * answer to a request of `method`; gives up after `timeoutMs`.
 */
export function sendRaw(
  port: number,
  bytes: string,
  method: string,
  timeoutMs = 3_000,
  localAddress?: string,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (a: RawAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(a);
    };
    const fromClose = (timedOut: boolean): RawAnswer => {
      const headEnd = buf.indexOf("\r\n\r\n");
      if (headEnd === -1) return { status: 0, headers: [], body: "", timedOut };
      const parsed = answerEnd(buf, method);
      if (parsed.a) return parsed.a;
      const head = answerEnd(Buffer.concat([buf.subarray(0, headEnd + 4)]), "HEAD").a!;
      return { ...head, body: buf.subarray(headEnd + 4).toString("latin1"), timedOut };
    };
    const timer = setTimeout(() => finish(fromClose(true)), timeoutMs);
    const sock = connect({ port, host: "127.0.0.1", localAddress }, () =>
      sock.write(Buffer.from(bytes, "latin1")),
    );
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const { end, a } = answerEnd(buf, method);
      if (end !== -1 && a) finish(a);
    });
    sock.on("error", () => finish(fromClose(false)));
    sock.on("close", () => finish(fromClose(false)));
  });
}
