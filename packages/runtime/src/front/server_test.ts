/**
 * Tests of the front's HTTP/1.1 server with a raw TCP client that writes exactly the bytes each
 * case needs (`deno test`, run from vitest by packages/server/test/front-deno.test.ts).
 */
import { type Answer, HttpServer, type Incoming } from "./server.ts";
import { assertEquals } from "./testing.ts";
import type { Pipe } from "./tunnel.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function assertMatch(actual: string, re: RegExp, what = ""): void {
  if (!re.test(actual)) throw new Error(`${what} expected ${re}, got ${JSON.stringify(actual)}`);
}

async function readBody(req: Incoming): Promise<{ text: string; error?: string }> {
  if (req.body === null) return { text: "" };
  const parts: string[] = [];
  try {
    for await (const chunk of req.body) parts.push(dec.decode(chunk));
  } catch (err) {
    return { text: parts.join(""), error: (err as Error).message };
  }
  return { text: parts.join("") };
}

const seen: { fault?: string; gone?: boolean }[] = [];

/** Answers with what it read, or as the target asks. */
async function handler(req: Incoming): Promise<Answer> {
  const json = (v: unknown, status = 200, extra: [string, string][] = []): Answer => ({
    status,
    headers: [["content-type", "application/json"], ...extra],
    body: enc.encode(JSON.stringify(v)),
  });
  if (req.target === "/stream" || req.target === "/stream-sized") {
    const parts = ["ab", "cd"];
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        const p = parts.shift();
        if (p === undefined) ctl.close();
        else ctl.enqueue(enc.encode(p));
      },
    });
    const headers: [string, string][] =
      req.target === "/stream-sized" ? [["content-length", "4"]] : [];
    return { status: 200, headers, body };
  }
  if (req.target === "/head") {
    return { status: 200, headers: [["content-length", "1234"]], body: null };
  }
  if (req.target === "/wait") {
    const record: { gone?: boolean } = {};
    seen.push(record);
    await new Promise<void>((resolve) => {
      req.watch(() => {
        record.gone = true;
        resolve();
      });
      setTimeout(resolve, 3_000);
    });
    return json({ gone: record.gone ?? false });
  }
  if (req.target === "/throw") throw new Error("boom");
  if (req.target === "/latin1") {
    // What arrived as ISO-8859-1, echoed in a header (the caller must get the same bytes).
    const v = req.headers.find(([k]) => k === "x-l")?.[1] ?? "";
    return json({ codes: [...v].map((ch) => ch.charCodeAt(0)) }, 200, [["x-l", v]]);
  }
  if (req.target === "/ws") {
    // A tunnel that echoes what the caller sends, for an upgrade; a 101 to anything else.
    const pipe: { caller?: Pipe } = {};
    return {
      status: 101,
      headers: [
        ["connection", "upgrade"],
        ["upgrade", "websocket"],
      ],
      body: null,
      tunnel: {
        async run(caller) {
          pipe.caller = caller;
          for (;;) {
            const chunk = await caller.read();
            if (chunk === null || !(await caller.write(chunk.slice()))) break;
          }
          caller.close();
        },
        cancel() {},
      },
    };
  }
  if (req.target === "/split") {
    return {
      status: 200,
      headers: [
        ["x-before", "1"],
        ["x-bad\r\n\r\nHTTP/1.1 200 OK", "1"],
        ["x-worse", "a\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK"],
        ["x-after", "2"],
      ],
      body: enc.encode("ok"),
    };
  }
  const body = await readBody(req);
  if (req.target === "/fault") {
    seen.push({ fault: req.bodyFault });
    return json({ fault: req.bodyFault ?? null }, 400);
  }
  return json({
    m: req.method,
    t: req.target,
    h: req.headers,
    l: req.length ?? null,
    b: body.text,
    r: req.remote,
  });
}

function start(options = {}): { server: HttpServer; port: number } {
  const server = new HttpServer(
    handler,
    (err) => ({
      status: 500,
      headers: [["content-type", "text/plain"]],
      body: enc.encode(`handler failed: ${(err as Error).message}`),
    }),
    options,
  );
  const port = server.listen("127.0.0.1", 0).port;
  return { server, port };
}

/** Writes `parts` (waiting `gapMs` between them) and reads until the server closes or `ms`. */
async function raw(port: number, parts: (string | Uint8Array)[], ms = 2_000, gapMs = 0) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  for (const p of parts) {
    await conn.write(typeof p === "string" ? enc.encode(p) : p);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  let out = "";
  let closed = false;
  const buf = new Uint8Array(65536);
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"timeout">((r) => {
        timer = setTimeout(() => r("timeout"), left);
      }),
    ]);
    clearTimeout(timer);
    if (n === "timeout") break;
    if (n === null) {
      closed = true;
      break;
    }
    out += dec.decode(buf.subarray(0, n));
  }
  try {
    conn.close();
  } catch {
    // closed
  }
  return { out, closed };
}

/** The JSON bodies of the answers in `out`, in order. */
function bodies(out: string): unknown[] {
  return [...out.matchAll(/\r\n\r\n(\{[^\r]*?\})(?=HTTP\/1\.1|$)/g)].map((m) => JSON.parse(m[1]!));
}

const LAST = "GET /last HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";

Deno.test("serves keep-alive and pipelined requests in order, with their headers and bodies", async () => {
  const { server, port } = start();
  try {
    const { out, closed } = await raw(port, [
      "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Two:  spaced value \t\r\nx-two: again\r\n\r\n" +
        "POST /b HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\nhello" +
        "PUT /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nx-trailer: t\r\n\r\n" +
        LAST,
    ]);
    const b = bodies(out) as { m: string; t: string; h: string[][]; l: number; b: string }[];
    assertEquals(b.length, 4, "answers");
    assertEquals(
      [b[0]!.m, b[0]!.t, b[0]!.h],
      [
        "GET",
        "/a?x=1",
        [
          ["host", "h"],
          ["x-two", "spaced value"],
          ["x-two", "again"],
        ],
      ],
    );
    assertEquals([b[1]!.m, b[1]!.l, b[1]!.b], ["POST", 5, "hello"]);
    assertEquals([b[2]!.m, b[2]!.l, b[2]!.b], ["PUT", null, "abcde"]);
    assertEquals(closed, true, "closed after connection: close");
    assertMatch(out, /^HTTP\/1\.1 200 OK\r\ndate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} /);
    assertEquals(out.match(/connection: close/g)?.length, 1, "only the last says close");
  } finally {
    await server.shutdown();
  }
});

Deno.test("refuses malformed and ambiguous heads with a coded JSON error, and closes", async () => {
  const { server, port } = start();
  const cases: [string, number, string][] = [
    [
      "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n",
      400,
      "BAD_REQUEST",
    ],
    [
      "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
      501,
      "NOT_IMPLEMENTED",
    ],
    [
      "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
      501,
      "NOT_IMPLEMENTED",
    ],
    [
      "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
      400,
      "BAD_REQUEST",
    ],
    ["POST / HTTP/1.1\r\nhost: h\r\ncontent-length: +3\r\n\r\nabc", 400, "BAD_REQUEST"],
    ["POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3, 3\r\n\r\nabc", 400, "BAD_REQUEST"],
    ["POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET / HTTP/1.1\r\nhost: h\r\nx-a: 1\r\n folded\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET / HTTP/1.1\r\nhost: h\r\nx-a : 1\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET / HTTP/1.1\r\nhost: h\r\nx-a: 1\x012\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET / HTTP/1.1\r\nhost: h\r\nx-a: 1\nx-b: 2\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET / HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET /a b HTTP/1.1\r\nhost: h\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET a HTTP/1.1\r\nhost: h\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET / HTTP/2.0\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"],
    ["GET / HTTP/1.1\r\nhost: h\r\nexpect: something\r\n\r\n", 417, "EXPECTATION_FAILED"],
    [`GET / HTTP/1.1\r\nhost: h\r\nx-big: ${"a".repeat(33_000)}\r\n\r\n`, 431, "HEADERS_TOO_LARGE"],
    [`GET / HTTP/1.1\r\nhost: h\r\n${"x-f: 1\r\n".repeat(101)}\r\n`, 431, "HEADERS_TOO_LARGE"],
    // What node:http refuses, refused here as well (http_rules.js): methods are case-sensitive
    // and from node's list; HTTP/1.1 needs one Host, a well-formed one; no fragment.
    ["get / HTTP/1.1\r\nhost: h\r\n\r\n", 501, "NOT_IMPLEMENTED"],
    ["BREW / HTTP/1.1\r\nhost: h\r\n\r\n", 501, "NOT_IMPLEMENTED"],
    ["CONNECT h:443 HTTP/1.1\r\nhost: h:443\r\n\r\n", 501, "NOT_IMPLEMENTED"],
    ["GET / HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET / HTTP/1.1\r\nhost: a b\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET /a#b HTTP/1.1\r\nhost: h\r\n\r\n", 400, "BAD_REQUEST"],
    ["GET http://u@h/ HTTP/1.1\r\nhost: h\r\n\r\n", 400, "BAD_REQUEST"],
  ];
  try {
    for (const [head, status, code] of cases) {
      const { out, closed } = await raw(port, [head]);
      const what = JSON.stringify(head.slice(0, 60));
      assertMatch(out, new RegExp(`^HTTP/1\\.1 ${status} `), what);
      assertMatch(out, new RegExp(`"code":"${code}"`), what);
      assertMatch(out, /content-type: application\/json/, what);
      assertEquals(closed, true, `${what} closed`);
    }
    // A bare LF is refused as it arrives, without waiting for the rest of the head.
    const t0 = Date.now();
    const lf = await raw(port, ["GET / HTTP/1.1\nhost: h\n"], 5_000);
    assertMatch(lf.out, /^HTTP\/1\.1 400 .*"code":"BAD_REQUEST"/s, "bare LF");
    if (Date.now() - t0 > 1_000) throw new Error(`bare LF answered after ${Date.now() - t0} ms`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("reports a malformed chunked body and a caller who leaves mid-body to the handler", async () => {
  const { server, port } = start();
  try {
    seen.length = 0;
    const bad = await raw(port, [
      "POST /fault HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
    ]);
    assertMatch(bad.out, /"fault":"malformed"/);
    assertEquals(bad.closed, true, "closed after a malformed body");
    // A trailer line that is no header field (a smuggled request line, say) is malformed too.
    const trailer = await raw(port, [
      "POST /fault HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n0\r\nGET /x HTTP/1.1\r\n\r\n",
    ]);
    assertMatch(trailer.out, /"fault":"malformed"/);
    assertEquals(trailer.out.match(/HTTP\/1\.1 /g)?.length, 1, "one answer");
    await raw(port, ["POST /fault HTTP/1.1\r\nhost: h\r\ncontent-length: 10\r\n\r\nabc"], 300);
    for (let i = 0; i < 50 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assertEquals(seen, [{ fault: "malformed" }, { fault: "malformed" }, { fault: "gone" }]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("answers 100 Continue when the body is read, and speaks HTTP/1.0", async () => {
  const { server, port } = start();
  try {
    const c = await raw(
      port,
      [
        "POST /b HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 2\r\nconnection: close\r\n\r\n",
        "ok",
      ],
      2_000,
      100,
    );
    assertMatch(c.out, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    assertMatch(c.out, /"b":"ok"/);
    // HTTP/1.0: closed after the answer unless asked to keep it.
    const a = await raw(port, ["GET /x HTTP/1.0\r\n\r\n"]);
    assertEquals([/connection: close/.test(a.out), a.closed], [true, true]);
    const k = await raw(port, ["GET /x HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"], 300);
    assertEquals([/connection: keep-alive/.test(k.out), k.closed], [true, false]);
    // A stream to an HTTP/1.0 caller cannot be chunked: it ends with the connection.
    const s = await raw(port, ["GET /stream HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"]);
    assertMatch(s.out, /connection: close\r\n\r\nabcd$/);
    assertEquals(s.closed, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("frames answers: chunked streams, a stream's own length, HEAD, errors, bad header lines", async () => {
  const { server, port } = start();
  try {
    const { out } = await raw(port, [
      `GET /stream HTTP/1.1\r\nhost: h\r\n\r\nGET /stream-sized HTTP/1.1\r\nhost: h\r\n\r\nHEAD /head HTTP/1.1\r\nhost: h\r\n\r\nHEAD /x HTTP/1.1\r\nhost: h\r\n\r\nGET /throw HTTP/1.1\r\nhost: h\r\n\r\nGET /split HTTP/1.1\r\nhost: h\r\n\r\n${LAST}`,
    ]);
    const answers = out.split(/(?=HTTP\/1\.1 )/);
    assertMatch(answers[0]!, /transfer-encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n$/);
    assertMatch(answers[1]!, /content-length: 4\r\n\r\nabcd$/);
    assertMatch(answers[2]!, /content-length: 1234\r\n\r\n$/);
    assertMatch(answers[3]!, /content-type: application\/json\r\ncontent-length: \d+\r\n\r\n$/);
    assertMatch(answers[4]!, /^HTTP\/1\.1 500 .*handler failed: boom$/s);
    // Header lines that would end the head early or start another answer are dropped.
    assertMatch(answers[5]!, /\r\nx-before: 1\r\nx-after: 2\r\ncontent-length: 2\r\n\r\nok$/);
    assertEquals(answers.length, 7, "answers");
  } finally {
    await server.shutdown();
  }
});

Deno.test("tells the handler when its caller leaves, and reduces absolute-form targets", async () => {
  const { server, port } = start();
  try {
    seen.length = 0;
    await raw(port, ["GET /wait HTTP/1.1\r\nhost: h\r\n\r\n"], 200);
    for (let i = 0; i < 100 && seen[0]?.gone !== true; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals(seen, [{ gone: true }]);
    const { out } = await raw(port, [
      "GET http://example.com/p?q=1 HTTP/1.1\r\nhost: example.com\r\nconnection: close\r\n\r\n",
    ]);
    assertMatch(out, /"t":"\/p\?q=1"/);
    // An empty path becomes "/", and the target's authority the Host (RFC 9112, 3.2.2).
    const noPath = await raw(port, [
      "GET http://x?a=1 HTTP/1.1\r\nhost: y\r\nconnection: close\r\n\r\n",
    ]);
    assertMatch(noPath.out, /"t":"\/\?a=1","h":\[\["host","x"\]/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("closes a connection that sends its head too slowly or sits idle", async () => {
  const { server, port } = start({ headTimeoutMs: 300, idleTimeoutMs: 600 });
  try {
    const slow = await raw(port, ["GET / HTTP/1.1\r\nhost: h\r\n", "x-a: 1\r\n"], 2_000, 10);
    assertEquals([slow.out, slow.closed], ["", true]);
    const t0 = Date.now();
    const idle = await raw(port, ["GET / HTTP/1.1\r\nhost: h\r\n\r\n"], 3_000);
    assertMatch(idle.out, /^HTTP\/1\.1 200 /);
    assertEquals(idle.closed, true, "idle closed");
    const ms = Date.now() - t0;
    if (ms < 500 || ms > 2_000) throw new Error(`idle connection closed after ${ms} ms`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("takes a head up to 32 KiB, arriving in pieces, and a body larger than its buffer", async () => {
  const { server, port } = start();
  try {
    const big = "b".repeat(30_000);
    const head = `POST /big HTTP/1.1\r\nhost: h\r\nx-big: ${big}\r\ncontent-length: 100000\r\nconnection: close\r\n\r\n`;
    const { out } = await raw(
      port,
      [head.slice(0, 15_000), head.slice(15_000), "z".repeat(100_000)],
      5_000,
      20,
    );
    const [answer] = bodies(out) as { h: string[][]; b: string }[];
    assertEquals(answer!.h.find(([k]) => k === "x-big")?.[1]?.length, 30_000, "header");
    assertEquals(answer!.b, "z".repeat(100_000), "body");
  } finally {
    await server.shutdown();
  }
});

/** Writes `bytes`, reads until the server closes the connection; the bytes read. */
async function rawBytes(port: number, bytes: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes);
  const parts: number[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    parts.push(...buf.subarray(0, n));
  }
  conn.close();
  return new Uint8Array(parts);
}

Deno.test("reads and writes header bytes as ISO-8859-1, as Deno.serve and node:http do", async () => {
  const { server, port } = start();
  try {
    const head =
      "GET /latin1 HTTP/1.1\r\nhost: h\r\nconnection: close\r\nx-l: caf\xe9 \xff\r\n\r\n";
    const out = await rawBytes(
      port,
      Uint8Array.from(head, (ch) => ch.charCodeAt(0)),
    );
    const text = String.fromCharCode(...out);
    assertMatch(text, /\r\nx-l: caf\xe9 \xff\r\n/, "the same bytes back");
    assertMatch(text, /"codes":\[99,97,102,233,32,255\]/, "one character per byte");
  } finally {
    await server.shutdown();
  }
});

Deno.test("hands an upgraded connection to the answer's tunnel, and refuses a 101 nobody asked for", async () => {
  const { server, port } = start();
  try {
    const up = await raw(
      port,
      [
        "GET /ws HTTP/1.1\r\nhost: h\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\nping",
        "pong",
      ],
      1_000,
      100,
    );
    assertMatch(up.out, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assertMatch(up.out, /\r\nupgrade: websocket\r\n/);
    assertMatch(up.out, /\r\n\r\npingpong$/);
    const plain = await raw(port, ["GET /ws HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"]);
    assertMatch(plain.out, /^HTTP\/1\.1 502 .*"code":"UPSTREAM_ERROR"/s);
  } finally {
    await server.shutdown();
  }
});

Deno.test("caps connections per address: an idle one makes room, busy ones do not", async () => {
  const { server, port } = start({ maxConnections: 100, maxPerAddress: 2 });
  try {
    // Two idle connections, then a third from the same address: the oldest is closed for it.
    const first = await Deno.connect({ hostname: "127.0.0.1", port });
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    await new Promise((r) => setTimeout(r, 50));
    const third = await raw(port, ["GET /x HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"]);
    assertMatch(third.out, /^HTTP\/1\.1 200 /);
    assertEquals(await first.read(new Uint8Array(16)).catch(() => null), null, "oldest closed");
    assertEquals(server.admission.evicted, 1, "evicted");
    second.close();
    first.close();
    // Two connections waiting for answers: a third is refused with 429.
    const waiting = [
      raw(port, ["GET /wait HTTP/1.1\r\nhost: h\r\n\r\n"], 300),
      raw(port, ["GET /wait HTTP/1.1\r\nhost: h\r\n\r\n"], 300),
    ];
    await new Promise((r) => setTimeout(r, 100));
    const refused = await raw(port, ["GET /x HTTP/1.1\r\nhost: h\r\n\r\n"]);
    assertMatch(refused.out, /^HTTP\/1\.1 429 .*retry-after: 1.*"code":"RATE_LIMITED"/s);
    await Promise.all(waiting);
  } finally {
    await server.shutdown();
  }
});
