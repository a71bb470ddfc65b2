/**
 * Tests of the front's HTTP/1.1 client against a raw TCP server that writes exactly the bytes
 * each case needs (`deno test`, run from vitest by packages/server/test/front-deno.test.ts).
 */
import { BodyTooLarge, Exchange, Upstream, UpstreamError, UpstreamUnreachable } from "./http1.ts";
import { assertEquals } from "./testing.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function rejects(p: Promise<unknown>, type: new (...args: never[]) => Error): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof type) return;
    throw new Error(`expected ${type.name}, got ${err}`);
  }
  throw new Error(`expected ${type.name}, got a result`);
}

/**
 * A server that reads each request head (and a body of `content-length`, or a chunked one up to
 * its terminator) and answers with `answer(n, head)`; `n` counts requests over all connections.
 * `onConn` sees each accepted connection.
 */
function rawServer(answer: (n: number, head: string, body: string) => string | null) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let n = 0;
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        let buf = "";
        const chunk = new Uint8Array(65536);
        for (;;) {
          const got = await conn.read(chunk).catch(() => null);
          if (got === null) break;
          buf += dec.decode(chunk.subarray(0, got));
          for (;;) {
            const end = buf.indexOf("\r\n\r\n");
            if (end === -1) break;
            const head = buf.slice(0, end);
            let rest = buf.slice(end + 4);
            const len = /content-length: (\d+)/i.exec(head);
            let body = "";
            if (len) {
              if (rest.length < Number(len[1])) break;
              body = rest.slice(0, Number(len[1]));
              rest = rest.slice(Number(len[1]));
            } else if (/transfer-encoding: chunked/i.test(head)) {
              const term = rest.indexOf("0\r\n\r\n");
              if (term === -1) break;
              body = rest.slice(0, term + 5);
              rest = rest.slice(term + 5);
            }
            buf = rest;
            const out = answer(++n, head, body);
            if (out === null) {
              conn.close();
              return;
            }
            await conn.write(enc.encode(out)).catch(() => {});
            if (/connection: close/i.test(out)) {
              conn.close();
              return;
            }
          }
        }
      })();
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  let closed = false;
  return {
    upstream: new Upstream({ transport: "tcp", hostname: "127.0.0.1", port }),
    connections: () => conns.length,
    close() {
      if (closed) return;
      closed = true;
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
    },
  };
}

async function text(body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<string> {
  if (body === null) return "";
  if (body instanceof Uint8Array) return dec.decode(body);
  return await new Response(body).text();
}

const GET = "GET / HTTP/1.1\r\nhost: x\r\n";

Deno.test("reads Content-Length, chunked (extensions, trailers) and close-delimited bodies", async () => {
  const s = rawServer((n) => {
    if (n === 1) return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello";
    if (n === 2)
      return "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nx-trailer: t\r\n\r\n";
    return "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end";
  });
  try {
    const a = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals([a.status, await text(a.body)], [200, "hello"]);
    assertEquals(
      a.headers,
      [
        ["x-a", "1"],
        ["content-length", "5"],
      ],
      "headers",
    );
    const b = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals([b.status, await text(b.body), await b.done], [201, "abcde", 5]);
    const c = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals([c.status, await text(c.body)], [200, "until the end"]);
    // The first two shared one connection; the close-delimited one needed no new one either.
    assertEquals(s.connections(), 1, "connections");
  } finally {
    s.close();
  }
});

Deno.test("skips a 100 Continue, and reads no body for HEAD, 204 and 304", async () => {
  const s = rawServer((n) => {
    if (n === 1)
      return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
    if (n === 2) return "HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n";
    if (n === 3) return "HTTP/1.1 204 No Content\r\n\r\n";
    return "HTTP/1.1 304 Not Modified\r\ncontent-length: 7\r\n\r\n";
  });
  try {
    const a = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals([a.status, await text(a.body)], [200, "ok"]);
    const head = await s.upstream.request("HEAD", GET, null, undefined, 0, undefined);
    assertEquals([head.status, head.body, await head.done], [200, null, 0]);
    assertEquals(head.headers, [["content-length", "1000"]], "HEAD keeps its length");
    const none = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals([none.status, none.body], [204, null]);
    const same = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals([same.status, same.body], [304, null]);
    assertEquals(s.connections(), 1, "connections");
  } finally {
    s.close();
  }
});

Deno.test("sends bodies with Content-Length or chunked, and enforces the limit", async () => {
  const s = rawServer((_n, head, body) => {
    const framing = /transfer-encoding: chunked/.test(head) ? "chunked" : "length";
    const out = JSON.stringify({ framing, body });
    return `HTTP/1.1 200 OK\r\ncontent-length: ${out.length}\r\n\r\n${out}`;
  });
  const stream = (...parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(enc.encode(p));
        c.close();
      },
    });
  try {
    const a = await s.upstream.request(
      "POST",
      "POST / HTTP/1.1\r\nhost: x\r\n",
      stream("ab", "cd"),
      4,
      100,
      undefined,
    );
    assertEquals(JSON.parse(await text(a.body)), { framing: "length", body: "abcd" });
    const b = await s.upstream.request(
      "POST",
      "POST / HTTP/1.1\r\nhost: x\r\n",
      stream("ab", "cd"),
      undefined,
      100,
      undefined,
    );
    assertEquals(JSON.parse(await text(b.body)), {
      framing: "chunked",
      body: "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n",
    });
    await rejects(
      s.upstream.request(
        "POST",
        "POST / HTTP/1.1\r\nhost: x\r\n",
        stream("abc", "def"),
        undefined,
        4,
        undefined,
      ),
      BodyTooLarge,
    );
    // A POST without a body says so, so the server does not wait for one.
    const c = await s.upstream.request(
      "POST",
      "POST / HTTP/1.1\r\nhost: x\r\n",
      null,
      undefined,
      0,
      undefined,
    );
    assertEquals(JSON.parse(await text(c.body)), { framing: "length", body: "" });
  } finally {
    s.close();
  }
});

Deno.test("retries a bodiless request once when a pooled connection was closed", async () => {
  const s = rawServer((n) => (n === 2 ? null : "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
  try {
    const a = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals(await text(a.body), "ok");
    // Request 2 finds the pooled connection closed without an answer: retried on a new one.
    const b = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals(await text(b.body), "ok");
    assertEquals(s.connections(), 2, "connections");
  } finally {
    s.close();
  }
});

Deno.test("says unreachable only when no attempt reached the upstream", async () => {
  // A port nobody listens on: nothing was sent, the caller may send the request elsewhere.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const gone = new Upstream({ transport: "tcp", hostname: "127.0.0.1", port });
  await rejects(gone.request("GET", GET, null, undefined, 0, undefined), UpstreamUnreachable);
  // A pooled connection that closes without answering, then an upstream gone: the first attempt
  // may have reached it, so the error is not "unreachable".
  const s = rawServer((n) => (n === 2 ? null : "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
  const a = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
  assertEquals(await text(a.body), "ok");
  const pending = s.upstream.request("GET", GET, null, undefined, 0, undefined);
  s.close();
  let err: unknown;
  await pending.catch((e) => {
    err = e;
  });
  assertEquals(err instanceof UpstreamError, true, String(err));
  assertEquals(err instanceof UpstreamUnreachable, false, String(err));
});

Deno.test("reports an upstream that goes away, and aborts on request", async () => {
  const s = rawServer((n) =>
    n === 1 ? null : "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\npart",
  );
  try {
    // A new connection closed before answering is not retried.
    await rejects(s.upstream.request("GET", GET, null, undefined, 0, undefined), UpstreamError);
    // A body cut short errors the stream.
    const cut = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    s.close();
    await rejects(text(cut.body), Error);
  } finally {
    s.close();
  }
  const slow = rawServer(() => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n");
  try {
    const x = new Exchange();
    setTimeout(() => x.abort(), 50);
    const r = await slow.upstream.request("GET", GET, null, undefined, 0, x);
    await rejects(text(r.body), Error);
    assertEquals(x.aborted, true);
  } finally {
    slow.close();
  }
});

Deno.test("refuses a response head that could split the answer or hide its length", async () => {
  const heads = [
    "HTTP/1.1 200 OK\r\nx-a\n\nHTTP/1.1 200 OK\nx: 1\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-a: 1\n\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx a: 1\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-a: 1\x00\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\n folded: 1\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-length: 1, 1\r\n\r\nx",
    "HTTP/1.1 2000 OK\r\ncontent-length: 0\r\n\r\n",
  ];
  for (const head of heads) {
    const s = rawServer(() => head);
    try {
      await rejects(s.upstream.request("GET", GET, null, undefined, 0, undefined), UpstreamError);
    } finally {
      s.close();
    }
  }
});

/** A server that answers every connection's first request with `bytes`, then echoes. */
function bytesServer(bytes: Uint8Array) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const buf = new Uint8Array(65536);
        let answered = false;
        for (;;) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) break;
          const out = answered ? buf.slice(0, n) : bytes;
          answered = true;
          await conn.write(out).catch(() => {});
        }
      })();
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  return {
    upstream: new Upstream({ transport: "tcp", hostname: "127.0.0.1", port }),
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
    },
  };
}

const latin1 = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

Deno.test("reads a response head as ISO-8859-1, one character per byte", async () => {
  const s = bytesServer(latin1("HTTP/1.1 200 OK\r\nx-l: caf\xe9\r\ncontent-length: 0\r\n\r\n"));
  try {
    const r = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals(r.headers[0], ["x-l", "caf\u00e9"]);
  } finally {
    s.close();
  }
});

Deno.test("hands over the connection after a 101 to an upgrade, and drops one nobody asked for", async () => {
  const switched = latin1(
    "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-accept: k\r\n\r\nhello",
  );
  const s = bytesServer(switched);
  try {
    const head = `${GET}connection: upgrade\r\nupgrade: websocket\r\n`;
    const r = await s.upstream.request("GET", head, null, undefined, 0, undefined, true);
    assertEquals(r.status, 101);
    assertEquals(r.headers, [
      ["sec-websocket-accept", "k"],
      ["upgrade", "websocket"],
    ]);
    const pipe = r.pipe!;
    assertEquals(dec.decode((await pipe.read()) ?? undefined), "hello", "bytes after the head");
    await pipe.write(enc.encode("echo"));
    assertEquals(dec.decode((await pipe.read()) ?? undefined), "echo", "both ways");
    pipe.close();
    // Without an upgrade asked for, a 101 ends the connection and hands nothing over.
    const plain = await s.upstream.request("GET", GET, null, undefined, 0, undefined);
    assertEquals([plain.status, plain.pipe], [101, undefined]);
  } finally {
    s.close();
  }
});
