/**
 * WebSockets: a function's `Deno.upgradeWebSocket` works as on bare Deno, through Node (the
 * first request of its kind) and straight from the front (the next ones), with the same auth,
 * limits and invocation records as HTTP. The client is undici's WebSocket (Node's own).
 */
import { WebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationRecord } from "../src/gateway/gateway.js";
import { oneFile, startTestServer, type TestServer } from "./helpers.js";
import { sendRaw } from "./raw-http.js";

const ECHO_WS = `
Deno.serve((req) => {
  if (req.headers.get("upgrade") !== "websocket") {
    return Response.json({ auth: req.headers.get("authorization") !== null });
  }
  // Read before the upgrade: Deno closes the request once it has switched protocols.
  const hello = JSON.stringify({
    app: req.headers.get("base44-app-id"),
    auth: req.headers.get("authorization")?.slice(0, 9) ?? null,
    url: req.url,
  });
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.onopen = () => {
    console.log("ws open");
    socket.send(hello);
  };
  socket.onmessage = (e) => socket.send(\`echo:\${e.data}\`);
  return response;
});`;

let t: TestServer;
let appId: string;
const records: InvocationRecord[] = [];

beforeAll(async () => {
  t = await startTestServer({ maxBodyBytes: 64 * 1024 });
  t.server.onInvocation((r) => records.push(r));
  appId = await t.createApp("ws");
  await t.deploy(appId, "chat", ECHO_WS);
  await t.deploy(appId, "short", oneFile(ECHO_WS, { timeout_seconds: 1 }));
}, 60_000);
afterAll(() => t?.close());

interface Session {
  hello: { app: string; auth: string | null; url: string };
  echo: string;
  socket: WebSocket;
}

/** Opens a WebSocket to `path`, reads its greeting, sends "hi" and reads the echo. */
async function session(path: string, headers: Record<string, string> = {}): Promise<Session> {
  const socket = new WebSocket(`${t.url.replace("http", "ws")}${path}`, { headers });
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  socket.onmessage = (e) => {
    messages.push(String(e.data));
    waiters.shift()?.();
  };
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const take = () => resolve(messages.shift()!);
      if (messages.length > 0) take();
      else waiters.push(take);
      socket.onerror = (e) =>
        reject(new Error(`socket error: ${(e as unknown as { error?: Error }).error?.message}`));
      socket.onclose = (e) => reject(new Error(`closed: ${e.code}`));
    });
  const hello = JSON.parse(await next()) as Session["hello"];
  socket.send("hi");
  const echo = await next();
  return { hello, echo, socket };
}

/** Resolves with the close event's code once `socket` closes. */
const closed = (socket: WebSocket) =>
  new Promise<number>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(1006);
    socket.onclose = (e) => resolve(e.code);
  });

describe("WebSockets", () => {
  it("upgrade through Node, then straight from the front, with the gateway's headers", async () => {
    const path = `/api/apps/${appId}/functions/chat/room?x=1`;
    const first = await session(path);
    const second = await session(path);
    for (const s of [first, second]) {
      expect(s.hello).toEqual({ app: appId, auth: null, url: `${t.url}${path}` });
      expect(s.echo).toBe("echo:hi");
      s.socket.close();
      await closed(s.socket);
    }
    // Recorded once each session ends: status 101, bytes each way; the second one direct.
    let mine: InvocationRecord[] = [];
    for (let i = 0; i < 100 && mine.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      mine = records.filter((r) => r.functionName === "chat" && r.status === 101);
    }
    expect(mine.map((r) => r.direct)).toEqual([false, true]);
    for (const r of mine) {
      expect(r.bytesIn).toBeGreaterThan(0);
      expect(r.bytesOut).toBeGreaterThan(0);
    }
  }, 30_000);

  it("take the caller's identity as HTTP does: a valid key, or 401", async () => {
    const path = `/api/apps/${appId}/functions/chat`;
    const auth = { authorization: `Bearer ${t.server.adminKey}` };
    for (let i = 0; i < 2; i++) {
      const s = await session(path, auth);
      expect(s.hello.auth).toBe("Bearer ey");
      s.socket.close();
    }
    const handshake = (authorization: string) =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
      `Authorization: ${authorization}\r\n\r\n`;
    for (let i = 0; i < 2; i++) {
      const refused = await sendRaw(t.server.port, handshake("Bearer nope"), "GET");
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ code: "INVALID_TOKEN" });
    }
  }, 30_000);

  it("end at the function's time limit, on both paths", async () => {
    const path = `/api/apps/${appId}/functions/short`;
    for (let i = 0; i < 2; i++) {
      const s = await session(path);
      const started = Date.now();
      expect(await closed(s.socket)).toBe(1006);
      expect(Date.now() - started).toBeLessThan(3_000);
    }
  }, 30_000);

  it("end when the caller sends more than the body limit", async () => {
    const path = `/api/apps/${appId}/functions/chat`;
    for (let i = 0; i < 2; i++) {
      const s = await session(path);
      const big = "x".repeat(40 * 1024);
      s.socket.send(big);
      s.socket.send(big);
      expect(await closed(s.socket)).toBe(1006);
    }
  }, 30_000);

  it("are refused where no function answers (a route of the management API)", async () => {
    const up = await sendRaw(
      t.server.port,
      "GET /api/apps HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      "GET",
    );
    // Served as plain HTTP: the upgrade is ignored, the route answers as it would.
    expect(up.status).toBe(401);
  });
});
