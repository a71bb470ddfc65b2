/**
 * Routes that are not function invocations take small bodies: no caller can make the server
 * read a large body it did not ask for (users' login and register answer 413 at once, before the
 * body is read). Deploys take up to the upload limit; the entity routes have a ceiling and cap
 * their own bodies below it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";
import { type RawAnswer, sendRaw } from "./raw-http.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer({ maxUploadBytes: 1024 * 1024 });
  appId = await t.createApp("limits");
}, 60_000);
afterAll(() => t?.close());

const MiB = 1024 * 1024;

/** A POST of `path` declaring `length` bytes, of which only `send` are sent. */
function declared(path: string, length: number, send = 1024): Promise<RawAnswer> {
  return sendRaw(
    t.server.port,
    `POST ${path} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n${"x".repeat(send)}`,
    "POST",
    2_000,
  );
}

/** A chunked POST of `path` with `total` bytes in chunks of 64 KiB, all sent at once. */
function chunked(path: string, total: number): Promise<RawAnswer> {
  const chunk = `${(64 * 1024).toString(16)}\r\n${"x".repeat(64 * 1024)}\r\n`;
  return sendRaw(
    t.server.port,
    `POST ${path} HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n${chunk.repeat(total / (64 * 1024))}0\r\n\r\n`,
    "POST",
    5_000,
  );
}

const tooLarge = (r: RawAnswer, limit: number) => {
  expect(r.status).toBe(413);
  expect(JSON.parse(r.body)).toEqual({
    error: `Request body is over the limit of ${limit} bytes`,
    code: "PAYLOAD_TOO_LARGE",
  });
};

describe("body limits of routes that are not invocations", () => {
  it("answer 413 to a 300 MB login or register at once, without reading it", async () => {
    for (const route of ["auth/login", "auth/register"]) {
      const started = Date.now();
      const r = await declared(`/api/apps/${appId}/${route}`, 300 * 1000 * 1000);
      tooLarge(r, MiB);
      expect(r.timedOut).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_500);
    }
  });

  it("stop a streamed body at the limit, on any management route", async () => {
    for (const path of [
      `/api/apps/${appId}/auth/login`,
      "/api/apps",
      `/api/apps/${appId}/secrets`,
    ]) {
      tooLarge(await chunked(path, 2 * MiB), MiB);
    }
  });

  it("give deploys the upload limit, and the entity routes a ceiling of their own", async () => {
    const deploy = `/api/apps/${appId}/backend-functions/big`;
    const uploadLimit = 2 * MiB + 64 * 1024;
    tooLarge(await declared(deploy, uploadLimit + 1), uploadLimit);
    // Under its limit, a deploy body is read (and judged by the deploy route, not refused).
    expect((await declared(deploy, 2 * MiB, 2 * MiB)).status).not.toBe(413);
    const entities = `/api/apps/${appId}/entities/Thing`;
    tooLarge(await declared(entities, 51 * MiB), 50 * MiB);
    expect((await declared(entities, 2 * MiB, 2 * MiB)).status).not.toBe(413);
  });

  it("hold in process too, where the API is called without the front", async () => {
    const res = await t.server.api.request(`/api/apps/${appId}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@b.c", password: "x".repeat(2 * MiB) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });
});

describe("a caller still sending the body an early 413 refused", () => {
  it("reads the answer, then a clean end: the front drains what still comes (no reset)", async () => {
    const { connect } = await import("node:net");
    const socket = connect(t.server.port, "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    const total = 4 * MiB;
    socket.write(
      `POST /api/apps/${appId}/auth/register HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\n\r\n`,
    );
    let received = "";
    socket.on("data", (d) => {
      received += d.toString("latin1");
    });
    const ended = new Promise<string>((resolve) => {
      socket.once("end", () => resolve("end"));
      socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
      socket.once("close", () => resolve("close"));
    });
    // Keeps sending after the answer, as a client that writes its whole body first does.
    const chunk = Buffer.alloc(64 * 1024, 120);
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (!socket.write(chunk)) {
        await Promise.race([new Promise((r) => socket.once("drain", r)), ended]);
      }
      if (received.includes("\r\n\r\n") && sent > 2 * MiB) break;
    }
    expect(await ended).toBe("end");
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
  });
});
