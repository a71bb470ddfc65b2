import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the recorder received. */
export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** A scripted answer: status, JSON body, extra headers. */
export interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A plain HTTP server on port 0 that records every request and answers with what the test
 * queued for it (default `200 {"ok":true}`). It knows nothing of fnbase: it is an echo, used to
 * check what the SDK puts on the wire.
 */
export async function startRecorder() {
  const requests: Recorded[] = [];
  const answers: Answer[] = [];
  let custom: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (custom) return custom(req, res);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const answer = answers.shift() ?? {};
      res.writeHead(answer.status ?? 200, {
        "content-type": "application/json",
        ...answer.headers,
      });
      res.end(answer.body === undefined ? '{"ok":true}' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** The last request received. */
    last: () => requests.at(-1)!,
    /** Queues the answer to the next request. */
    answer: (a: Answer) => answers.push(a),
    /** Replaces the recorder with a raw handler (for streaming and hanging answers). */
    handle: (h: typeof custom) => {
      custom = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
