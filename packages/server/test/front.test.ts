/**
 * The front: the first invocation of a kind goes through Node's gateway, which hands the front
 * its decision; the next ones go straight to the instance. These tests check that the direct
 * path behaves exactly like the gateway, and that every change reaches the very next request.
 */
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationRecord } from "../src/gateway/gateway.js";
import {
  CRASHY,
  ECHO,
  type Echo,
  expectError,
  oneFile,
  SLEEPY,
  sleep,
  sse,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const ORIGIN = "https://app.example.com";
const MAX_BODY = 64 * 1024;
let t: TestServer;
let appId: string;
const records: InvocationRecord[] = [];

const FORGER = `
Deno.serve(() => new Response("hi", { headers: { "x-fnbase-decision": "eyJpIjoieCJ9" } }));`;
// Tries to listen on the server's port at ::1, where callers of localhost may connect.
const SQUATTER = `
import net from "node:net";
Deno.serve(async (req) => {
  const port = Number(new URL(req.headers.get("base44-api-url")).port);
  const result = await new Promise((resolve) => {
    const s = net.createServer();
    s.on("error", (e) => resolve(e.code ?? e.name));
    s.listen({ host: "::1", port }, () => s.close(() => resolve("listening")));
  });
  return Response.json({ result });
});`;
const HOPPY = `
Deno.serve(() => new Response("ok", { headers: { "proxy-authenticate": "Basic", "x-kept": "1" } }));`;
const LOGGER = `
Deno.serve((req) => {
  console.log("handled", new URL(req.url).searchParams.get("n"));
  return Response.json({ ok: true });
});`;

beforeAll(async () => {
  t = await startTestServer({ requestTimeoutMs: 1500, maxBodyBytes: MAX_BODY });
  t.server.onInvocation((r) => records.push(r));
  appId = await t.createApp("front");
  await t.admin(`/api/apps/${appId}`, {
    method: "PATCH",
    body: JSON.stringify({ cors_origins: [ORIGIN] }),
  });
  await t.deploy(appId, "echo", ECHO);
  await t.deploy(appId, "sleepy", SLEEPY);
  await t.deploy(appId, "crashy", CRASHY);
  await t.deploy(appId, "sse", sse(800));
  await t.deploy(appId, "forger", FORGER);
  await t.deploy(appId, "logger", LOGGER);
  await t.deploy(appId, "squatter", SQUATTER);
  await t.deploy(appId, "hoppy", HOPPY);
}, 120_000);

/**
 * Invokes `name` until it answers `want` (while the front comes back, calls fail) or `until`
 * (a time) passes; returns the last answer.
 */
async function answerOnceUp(
  s: TestServer,
  appId: string,
  name: string,
  want: string,
  until: number,
): Promise<string> {
  let answer = "";
  while (answer !== want && Date.now() < until) {
    answer = await s
      .invoke(appId, name)
      .then((r) => r.text())
      .catch(() => "");
    if (answer !== want) await sleep(20);
  }
  return answer;
}

/** Whether this machine has an IPv6 loopback to listen on. */
async function hasIpv6Loopback(): Promise<boolean> {
  const s = createServer();
  return await new Promise<boolean>((resolve) => {
    s.once("error", () => resolve(false));
    s.listen(0, "::1", () => s.close(() => resolve(true)));
  });
}
afterAll(() => t?.close());

const HAS_IPV6 = await hasIpv6Loopback();

/** Waits until the front has reported `requestId` (its records come in batches). */
async function recordOf(requestId: string): Promise<InvocationRecord> {
  for (let i = 0; i < 100; i++) {
    const r = records.find((x) => x.requestId === requestId);
    if (r) return r;
    await sleep(20);
  }
  throw new Error(`no invocation record for ${requestId}`);
}

/** Writes `text` to the public port as it is; reads until the server closes the connection. */
async function raw(text: string): Promise<string> {
  const { port } = new URL(t.url);
  return await new Promise<string>((resolve, reject) => {
    // Written without a half-close: a caller that shuts its side is taken to have left.
    const sock = connect(Number(port), "127.0.0.1", () => sock.write(text));
    let out = "";
    sock.setEncoding("utf8");
    sock.on("data", (c: string) => {
      out += c;
    });
    sock.on("error", reject);
    sock.on("close", () => resolve(out));
  });
}

/** Invokes `path` until the front answers it directly; returns that answer. */
async function direct(path: string, init: RequestInit = {}): Promise<Response> {
  for (let i = 0; i < 5; i++) {
    const res = await t.invoke(appId, path, init);
    const id = res.headers.get("x-request-id");
    if (id && (await recordOf(id)).direct) return res;
    await res.arrayBuffer();
  }
  throw new Error(`${path} never went straight to the instance`);
}

describe("the front", () => {
  it("keeps its decisions across writes of app data, drops them on management changes", async () => {
    await direct("echo/data");
    // A record, a sign-up: app data, which no decision rests on.
    await t.admin(`/api/apps/${appId}/entity-schemas`, {
      method: "PUT",
      body: JSON.stringify({ entityNameToSchema: { Note: { name: "Note", properties: {} } } }),
    });
    await direct("echo/data");
    const note = await fetch(`${t.url}/api/apps/${appId}/entities/Note`, {
      method: "POST",
      body: "{}",
    });
    expect(note.status).toBe(201);
    const after = await t.invoke(appId, "echo/data");
    expect((await recordOf(after.headers.get("x-request-id")!)).direct).toBe(true);
    await after.arrayBuffer();
    // An app setting: the next call goes through Node again.
    await t.admin(`/api/apps/${appId}`, {
      method: "PATCH",
      body: JSON.stringify({ name: "renamed" }),
    });
    const changed = await t.invoke(appId, "echo/data");
    expect((await recordOf(changed.headers.get("x-request-id")!)).direct).toBe(false);
    await changed.arrayBuffer();
  });

  it("sends repeat invocations straight to the instance, with the gateway's headers", async () => {
    const init = {
      method: "POST",
      body: "payload",
      headers: {
        "x-custom": "kept",
        origin: ORIGIN,
        authorization: `Bearer ${t.server.adminKey}`,
        "base44-app-id": "forged",
        "x-forwarded-for": "6.6.6.6",
        "x-fnbase-front": "forged",
        "x-fnbase-client-addr": "6.6.6.6",
      },
    };
    const first = await t.invoke(appId, "echo/a?q=1", init);
    const firstId = first.headers.get("x-request-id")!;
    expect((await recordOf(firstId)).direct).toBe(false);
    const viaGateway = (await first.json()) as Echo;

    const second = await direct("echo/a?q=1", init);
    expect(second.status).toBe(200);
    expect(second.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(second.headers.get("x-echo")).toBe("1");
    const viaFront = (await second.json()) as Echo;
    expect(viaFront.headers["x-request-id"]).toBe(second.headers.get("x-request-id"));
    expect(viaFront.headers["x-request-id"]).not.toBe(viaGateway.headers["x-request-id"]);
    const same = (h: Record<string, string>) => {
      const { "x-request-id": _id, "content-length": _len, ...rest } = h;
      return rest;
    };
    expect(same(viaFront.headers)).toEqual(same(viaGateway.headers));
    expect(viaFront.headers["base44-app-id"]).toBe(appId);
    expect(viaFront.headers["x-forwarded-for"]).not.toBe("6.6.6.6");
    expect(viaFront.headers["x-fnbase-front"]).toBeUndefined();
    expect(viaFront.headers.authorization).toMatch(/^Bearer ey/);
    expect(viaFront).toMatchObject({
      method: "POST",
      path: `/api/apps/${appId}/functions/echo/a`,
      search: "?q=1",
      body: "payload",
    });
    // Its invocation record says the same as the gateway's would.
    const rec = await recordOf(second.headers.get("x-request-id")!);
    expect(rec).toMatchObject({
      appId,
      functionName: "echo",
      status: 200,
      bytesIn: 7,
      cold: false,
      direct: true,
    });
    expect(rec.bytesOut).toBe(Number(second.headers.get("content-length")));
    expect(rec.durationMs).toBeGreaterThan(0);
  }, 60_000);

  it("answers pipelined requests on one connection in order, on the direct path", async () => {
    const base = `/api/apps/${appId}/functions/echo`;
    // The first one takes Node's decision for this Host; the ones after go straight.
    await raw(`GET ${base}/p0 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    const out = await raw(
      `GET ${base}/p1 HTTP/1.1\r\nhost: x\r\n\r\n` +
        `POST ${base}/p2 HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc` +
        `PUT ${base}/p3 HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n` +
        `GET ${base}/p4 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
    );
    const answers = out
      .split(/(?=HTTP\/1\.1 \d{3} )/)
      .map((a) => JSON.parse(a.slice(a.indexOf("\r\n\r\n") + 4)) as Echo);
    expect(answers.map((a) => [a.method, a.path.slice(base.length), a.body])).toEqual([
      ["GET", "/p1", ""],
      ["POST", "/p2", "abc"],
      ["PUT", "/p3", "de"],
      ["GET", "/p4", ""],
    ]);
    expect(out.match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(4);
    const ids = [...out.matchAll(/^x-request-id: (.+)\r$/gm)].map((m) => m[1]!);
    expect((await Promise.all(ids.map(recordOf))).map((r) => r.direct)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  }, 30_000);

  it("refuses an ambiguous request with a coded 400 and closes the connection", async () => {
    const out = await raw(
      `POST /api/apps/${appId}/functions/echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n` +
        "transfer-encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
    );
    expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(out).toMatch(/connection: close/);
    expect(JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4))).toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(out.match(/HTTP\/1\.1/g)).toHaveLength(1);
  });

  it("answers a malformed chunked body with a coded 400 on both paths", async () => {
    const path = `/api/apps/${appId}/functions/echo/chunks`;
    const bad = (host: string) =>
      raw(
        `POST ${path} HTTP/1.1\r\nhost: ${host}\r\ntransfer-encoding: chunked\r\n\r\n` +
          "3\r\nabcdef\r\n0\r\n\r\n",
      );
    const good = (host: string) =>
      raw(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`);
    const id = (out: string) => /^x-request-id: (.+)\r$/m.exec(out)![1]!;
    // No decision yet for this Host: through Node.
    const viaNode = await bad("chunks-a");
    // The first good request takes Node's decision; the bad one after it goes straight.
    await good("chunks-b");
    expect((await recordOf(id(await good("chunks-b")))).direct).toBe(true);
    const viaFront = await bad("chunks-b");
    for (const out of [viaNode, viaFront]) {
      expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(out).toMatch(/\r\nconnection: close\r\n/);
      expect(JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4))).toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    expect((await recordOf(id(viaFront))).status).toBe(400);
  });

  it("keeps no decision for a request that repeats Authorization", async () => {
    // node:http takes the first Authorization; a decision kept under the last one would lend
    // the first one's identity to callers who send only the last.
    const path = `/api/apps/${appId}/functions/echo/twice`;
    for (let i = 0; i < 3; i++) {
      const out = await raw(
        `GET ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${t.server.adminKey}\r\n` +
          "authorization: Bearer not-a-key\r\nconnection: close\r\n\r\n",
      );
      const id = /^x-request-id: (.+)\r$/m.exec(out)![1]!;
      expect((await recordOf(id)).direct).toBe(false);
    }
    const res = await t.invoke(appId, "echo/twice", {
      headers: { authorization: "Bearer not-a-key" },
    });
    expect(res.status).not.toBe(200);
    expect(((await recordOf(res.headers.get("x-request-id")!)) as InvocationRecord).direct).toBe(
      false,
    );
  });

  it("drops an answer's hop-by-hop headers on both paths", async () => {
    const viaGateway = await t.invoke(appId, "hoppy");
    const viaFront = await direct("hoppy");
    for (const res of [viaGateway, viaFront]) {
      expect(await res.text()).toBe("ok");
      expect(res.headers.get("x-kept")).toBe("1");
      expect(res.headers.get("proxy-authenticate")).toBeNull();
    }
  });

  it("counts the bytes of a chunked upload on the direct path", async () => {
    await (await direct("echo/count", { method: "POST", body: "x" })).arrayBuffer();
    const { status, requestId } = await new Promise<{ status: number; requestId: string }>(
      (resolve, reject) => {
        const req = request(`${t.url}/api/apps/${appId}/functions/echo/count`, {
          method: "POST",
          headers: { "transfer-encoding": "chunked" },
        });
        req.on("response", (res) => {
          res.resume();
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              requestId: String(res.headers["x-request-id"]),
            }),
          );
        });
        req.on("error", reject);
        for (let i = 0; i < 3; i++) req.write(Buffer.alloc(1000, 1));
        req.end();
      },
    );
    expect(status).toBe(200);
    expect(await recordOf(requestId)).toMatchObject({ direct: true, bytesIn: 3000 });
  }, 30_000);

  it("covers the paths under a function's name, unless a function is nested there", async () => {
    const WHO = (name: string) =>
      `Deno.serve((req) => Response.json({ fn: "${name}", path: new URL(req.url).pathname }));`;
    await t.deploy(appId, "items", WHO("items"));
    await (await direct("items/1")).arrayBuffer();
    const other = await t.invoke(appId, "items/2/detail");
    expect(await other.json()).toMatchObject({ fn: "items" });
    expect((await recordOf(other.headers.get("x-request-id")!)).direct).toBe(true);

    await t.deploy(appId, "orders", WHO("orders"));
    await t.deploy(appId, "orders/process", WHO("orders/process"));
    await (await direct("orders/1")).arrayBuffer();
    const nested = await t.invoke(appId, "orders/process/7");
    expect(await nested.json()).toMatchObject({ fn: "orders/process" });
    await (await direct("orders/process/7")).arrayBuffer();
    const sibling = await t.invoke(appId, "orders/2");
    expect(await sibling.json()).toMatchObject({ fn: "orders" });
    const deeper = await t.invoke(appId, "orders/process/8");
    expect(await deeper.json()).toMatchObject({ fn: "orders/process" });
    // An encoded slash is not a prefix the front can trust: Node decides those.
    const encoded = await t.invoke(appId, "orders%2Fprocess/9");
    expect(await encoded.json()).toMatchObject({ fn: "orders/process" });
  }, 60_000);

  it("answers 504, 502 and 413 itself, with CORS, like the gateway", async () => {
    const cors = { headers: { origin: ORIGIN } };
    await (await direct("sleepy?ms=0", cors)).arrayBuffer();
    // Same decision (the key leaves the query out), a request over the 1.5 s limit:
    const timedOut = await t.invoke(appId, "sleepy?ms=5000", cors);
    expect(timedOut.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const e504 = await expectError(timedOut, 504, "FUNCTION_TIMEOUT");
    expect(e504.error).toContain("sleepy");
    const r504 = await recordOf(timedOut.headers.get("x-request-id")!);
    expect(r504).toMatchObject({ direct: true, status: 504 });

    const warm = (await (await direct("crashy", cors)).json()) as { bootId: string };
    const died = await t.invoke(appId, "crashy/exit", cors);
    expect(died.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    await expectError(died, 502, "FUNCTION_CRASHED");
    const after = (await (await t.invoke(appId, "crashy", cors)).json()) as { bootId: string };
    expect(after.bootId).not.toBe(warm.bootId);

    await (await direct("echo/big", { method: "POST", body: "x", ...cors })).arrayBuffer();
    const tooBig = await t.invoke(appId, "echo/big", {
      method: "POST",
      body: "x".repeat(MAX_BODY + 1),
      ...cors,
    });
    expect(tooBig.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    await expectError(tooBig, 413, "PAYLOAD_TOO_LARGE");
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.url}/api/apps/${appId}/functions/echo/big`, {
        method: "POST",
        headers: { "transfer-encoding": "chunked", origin: ORIGIN },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(16 * 1024, 1));
      req.end();
    });
    expect(chunked).toBe(413);
  }, 60_000);

  it("passes a large body with its Content-Length", async () => {
    await t.deploy(
      appId,
      "big",
      `const body = new Uint8Array(3 * 1024 * 1024).fill(97);
Deno.serve(() => new Response(body, { headers: { "content-length": String(body.length) } }));`,
    );
    for (let i = 0; i < 3; i++) {
      const res = await t.invoke(appId, "big");
      expect(res.headers.get("content-length")).toBe(String(3 * 1024 * 1024));
      expect((await res.arrayBuffer()).byteLength).toBe(3 * 1024 * 1024);
    }
  }, 30_000);

  it("streams an SSE answer as it is written", async () => {
    await (await direct("sse")).text();
    const started = performance.now();
    const res = await t.invoke(appId, "sse");
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const firstAt = performance.now() - started;
    expect(new TextDecoder().decode(value)).toContain("data: first");
    expect(firstAt).toBeLessThan(700);
    let rest = "";
    for (;;) {
      const { value: v, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(v);
    }
    expect(rest).toContain("data: last");
    expect((await recordOf(res.headers.get("x-request-id")!)).direct).toBe(true);
  }, 30_000);

  it("tells the function when its caller leaves, on both paths", async () => {
    const code = `let aborted = 0;
Deno.serve(async (req) => {
  if (new URL(req.url).pathname.endsWith("/count")) return Response.json({ aborted });
  await new Promise((resolve) => {
    req.signal.addEventListener("abort", () => { aborted++; resolve(null); });
    setTimeout(resolve, 5000);
  });
  return new Response("done");
});`;
    // Its own time limit is long, so only the caller leaving can end the request early.
    await t.deploy(appId, "watch", oneFile(code, { timeout_seconds: 30 }));
    const count = async () =>
      ((await (await t.invoke(appId, "watch/count")).json()) as { aborted: number }).aborted;
    await (await direct("watch/count")).arrayBuffer();
    // Straight from the front (its decision covers watch/*), then through Node (a new Origin).
    const callers: Record<string, string>[] = [{}, { origin: "https://other.example.com" }];
    for (const headers of callers) {
      const before = await count();
      await expect(
        t.invoke(appId, "watch", { headers, signal: AbortSignal.timeout(300) }),
      ).rejects.toThrow();
      const until = Date.now() + 1_000;
      while ((await count()) === before && Date.now() < until) await sleep(50);
      expect(await count()).toBe(before + 1);
    }
  }, 30_000);

  it("lets a change reach the very next request", async () => {
    const name = "changing";
    await t.deploy(appId, name, `Deno.serve(() => Response.json({ v: 1 }));`);
    expect(await (await direct(name)).json()).toEqual({ v: 1 });
    // a redeploy
    await t.deploy(appId, name, `Deno.serve(() => Response.json({ v: 2 }));`);
    expect(await (await t.invoke(appId, name)).json()).toEqual({ v: 2 });
    // a rollback
    expect(await (await direct(name)).json()).toEqual({ v: 2 });
    const rolled = await t.admin(`/api/apps/${appId}/backend-functions/${name}/rollback`, {
      method: "POST",
      body: "{}",
    });
    expect(rolled.status).toBe(200);
    expect(await (await t.invoke(appId, name)).json()).toEqual({ v: 1 });
    // functions disabled for the app, then enabled again
    await (await direct(name)).arrayBuffer();
    await t.admin(`/api/apps/${appId}`, {
      method: "PATCH",
      body: JSON.stringify({ functions_enabled: false }),
    });
    await expectError(await t.invoke(appId, name), 403, "FUNCTIONS_DISABLED");
    await t.admin(`/api/apps/${appId}`, {
      method: "PATCH",
      body: JSON.stringify({ functions_enabled: true }),
    });
    // the function deleted
    await (await direct(name)).arrayBuffer();
    const del = await t.admin(`/api/apps/${appId}/backend-functions/${name}`, { method: "DELETE" });
    expect(del.status).toBeLessThan(300);
    await expectError(await t.invoke(appId, name), 404, "FUNCTION_NOT_FOUND");
  }, 60_000);

  it("stops honouring a revoked API key on the next request", async () => {
    const created = await t.admin("/api/workspace/api-keys", {
      method: "POST",
      body: JSON.stringify({ name: "front-test" }),
    });
    const { id, key } = (await created.json()) as { id: string; key: string };
    const auth = { headers: { authorization: `Bearer ${key}` } };
    const ok = (await (await direct("echo/key", auth)).json()) as Echo;
    expect(ok.headers.authorization).toMatch(/^Bearer ey/);
    const revoked = await t.admin(`/api/workspace/api-keys/${id}`, { method: "DELETE" });
    expect(revoked.status).toBeLessThan(300);
    await expectError(await t.invoke(appId, "echo/key", auth), 401, "INVALID_TOKEN");
  }, 60_000);

  it("keeps a function from handing the front a decision of its own", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await t.invoke(appId, "forger");
      expect(await res.text()).toBe("hi");
    }
    // The forged decision was not taken: the same path still answers, through the gateway or
    // a decision of Node's.
    const again = await t.invoke(appId, "forger");
    expect(again.status).toBe(200);
  }, 30_000);

  it("records direct invocations in the function's logs with their request id", async () => {
    const res = await direct("logger?n=direct-1");
    const requestId = res.headers.get("x-request-id")!;
    await res.arrayBuffer();
    let lines: { message: string; request_id?: string }[] = [];
    for (let i = 0; i < 50 && !lines.some((l) => l.request_id === requestId); i++) {
      await sleep(50);
      const logs = await t.admin(`/api/apps/${appId}/functions-mgmt/logger/logs?limit=50`);
      if (logs.status === 200) lines = (await logs.json()) as typeof lines;
    }
    expect(lines.find((l) => l.request_id === requestId)?.message).toContain("handled");
    const metrics = await (await t.admin("/metrics")).text();
    expect(metrics).toMatch(/logger/);
  }, 30_000);

  it("refuses requests on Node's internal socket that did not come through it", async () => {
    const ask = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ socketPath: t.server.internalSocket, path, headers }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
    for (const [path, headers] of [
      ["/api/apps", { api_key: t.server.adminKey!, "x-fnbase-front": "guess" }],
      [`/api/apps/${appId}/functions/echo`, {}],
    ] as const) {
      const r = await ask(path, headers);
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ code: "FORBIDDEN" });
    }
  });

  it("lets an idle instance stop on time though the front held it", async () => {
    const s = await startTestServer({ idleTimeoutMs: 300 });
    try {
      const id = await s.createApp("idle");
      await s.deploy(id, "hello", `Deno.serve(() => new Response("hi"));`);
      for (let i = 0; i < 5; i++) await (await s.invoke(id, "hello")).text();
      expect((await s.server.instanceMemory()).length).toBe(1);
      const until = Date.now() + 3_000;
      while ((await s.server.instanceMemory()).length > 0 && Date.now() < until) await sleep(50);
      expect(await s.server.instanceMemory()).toEqual([]);
      expect(await (await s.invoke(id, "hello")).text()).toBe("hi");
    } finally {
      await s.close();
    }
  }, 30_000);

  it("comes back on the same port if its process dies", async () => {
    const s = await startTestServer();
    try {
      const id = await s.createApp("restart");
      await s.deploy(id, "hello", `Deno.serve(() => new Response("hi"));`);
      for (let i = 0; i < 3; i++) expect(await (await s.invoke(id, "hello")).text()).toBe("hi");
      const pid = s.server.frontPid!;
      process.kill(pid, "SIGKILL");
      const until = Date.now() + 10_000;
      while ((s.server.frontPid === undefined || s.server.frontPid === pid) && Date.now() < until)
        await sleep(20);
      expect(await answerOnceUp(s, id, "hello", "hi", until)).toBe("hi");
      expect((await s.server.instanceMemory()).length).toBe(1);
    } finally {
      await s.close();
    }
  }, 30_000);

  it("keeps trying, less and less often, while its port is taken, and comes back once it is free", async () => {
    const s = await startTestServer();
    try {
      const id = await s.createApp("squat");
      await s.deploy(id, "hello", `Deno.serve(() => new Response("hi"));`);
      expect(await (await s.invoke(id, "hello")).text()).toBe("hi");
      const port = s.server.port;
      const first = s.server.frontPid!;
      process.kill(first, "SIGKILL");
      // Take the port the moment the front lets go of it.
      const squatter = createServer();
      const until = Date.now() + 5_000;
      for (;;) {
        const taken = await new Promise<boolean>((resolve) => {
          squatter.once("error", () => resolve(false));
          squatter.listen(port, "127.0.0.1", () => resolve(true));
        });
        if (taken) break;
        if (Date.now() > until) throw new Error("the port never came free");
        await sleep(1);
      }
      // Attempts to start it again while the port is taken: each is a new process.
      const attempts = new Set<number>();
      const watchUntil = Date.now() + 1_500;
      while (Date.now() < watchUntil) {
        const pid = s.server.frontPid;
        if (pid !== undefined && pid !== first) attempts.add(pid);
        await sleep(5);
      }
      expect(attempts.size).toBeGreaterThan(0);
      expect(attempts.size).toBeLessThanOrEqual(6); // 100 ms apart would be 15
      await new Promise<void>((r) => squatter.close(() => r()));
      expect(await answerOnceUp(s, id, "hello", "hi", Date.now() + 10_000)).toBe("hi");
    } finally {
      await s.close();
    }
  }, 30_000);

  it.skipIf(!HAS_IPV6)(
    "holds its port on ::1 too, where no function can listen in its place",
    async () => {
      const res = await fetch(`${t.url}/api/apps/${appId}/functions/squatter`);
      // Without the sandbox the address is taken; in it, the function listens in a network
      // namespace of its own, where no caller arrives. Either way callers reach fnbase.
      const { result } = (await res.json()) as { result: string };
      expect(
        t.server.options.sandbox === "off" ? ["EADDRINUSE"] : ["EADDRINUSE", "listening"],
      ).toContain(result);
      // Callers that reach localhost as ::1 get fnbase, on both paths.
      for (let i = 0; i < 2; i++) {
        const echo = await fetch(`http://[::1]:${t.server.port}/api/apps/${appId}/functions/echo`);
        expect(echo.status).toBe(200);
        expect(((await echo.json()) as Echo).headers["x-forwarded-for"]).toBe("::1");
      }
    },
  );

  it.skipIf(!HAS_IPV6).each(["0.0.0.0", "localhost"])(
    "on host %s takes IPv4 and IPv6 callers alike, each with its own address",
    async (host) => {
      const s = await startTestServer({ host });
      try {
        const id = await s.createApp("wild");
        await s.deploy(id, "echo", ECHO);
        for (const [at, addr] of [
          ["127.0.0.1", "127.0.0.1"],
          ["[::1]", "::1"],
        ] as const) {
          for (let i = 0; i < 2; i++) {
            const res = await fetch(`http://${at}:${s.server.port}/api/apps/${id}/functions/echo`);
            expect(((await res.json()) as Echo).headers["x-forwarded-for"]).toBe(addr);
          }
        }
      } finally {
        await s.close();
      }
    },
    30_000,
  );

  it.skipIf(!HAS_IPV6)("says so when the port is taken on ::1", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "::1", r));
    const { port } = blocker.address() as { port: number };
    try {
      await expect(startTestServer({ port, host: "127.0.0.1" })).rejects.toThrow(
        `Port ${port} is already in use on ::1`,
      );
    } finally {
      blocker.close();
    }
  });

  it("says so when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const { port } = blocker.address() as { port: number };
    try {
      await expect(startTestServer({ port, host: "127.0.0.1" })).rejects.toThrow(
        `Port ${port} is already in use`,
      );
    } finally {
      blocker.close();
    }
  });
});
