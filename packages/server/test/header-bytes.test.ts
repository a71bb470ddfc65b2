/**
 * Header bytes from 0x80 up (obs-text, which RFC 9110 allows in a field value) pass through both
 * ways as Deno passes them, one character per byte: the function reads the byte 0xE9 as U+00E9,
 * and its U+00E9 reaches the caller as 0xE9, through Node and straight from the front alike, and
 * as bare Deno does.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveDenoPath } from "../src/runtime/deno-binary.js";
import { startTestServer, type TestServer } from "./helpers.js";
import { header, sendRaw } from "./raw-http.js";

/** The handler: the request header's characters as codes, and a header of its own with é. */
const HANDLER = `(req) => {
  const v = req.headers.get("x-l") ?? "";
  return Response.json([...v].map((ch) => ch.charCodeAt(0)), {
    headers: { "x-resp": "caf\\u00e9", "x-back": v },
  });
}`;

let t: TestServer;
let appId: string;
let bare: { port: number; kill(): void };

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("bytes");
  await t.deploy(appId, "bytes", `Deno.serve(${HANDLER});`);
  // The same handler under plain Deno, for what "as Deno passes them" means.
  const child = spawn(
    resolveDenoPath(undefined),
    [
      "eval",
      `const s = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, ${HANDLER}); console.log(s.addr.port);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } },
  );
  const first = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once("line", resolve),
  );
  bare = { port: Number(first), kill: () => child.kill() };
}, 60_000);
afterAll(async () => {
  bare?.kill();
  await t?.close();
});

const request = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nx-l: caf\xe9 \xff\xa0\r\nconnection: close\r\n\r\n`;

describe("header bytes from 0x80 up", () => {
  it("pass through both ways as on bare Deno, on both paths", async () => {
    const onBare = await sendRaw(bare.port, request("/"), "GET");
    const expected = {
      status: 200,
      codes: [99, 97, 102, 233, 32, 255, 160],
      resp: "caf\u00e9",
      back: "caf\u00e9 \u00ff\u00a0",
    };
    const seen = (r: Awaited<ReturnType<typeof sendRaw>>) => ({
      status: r.status,
      codes: JSON.parse(r.body) as number[],
      resp: header(r, "x-resp"),
      back: header(r, "x-back"),
    });
    expect(seen(onBare)).toEqual(expected);
    // Through Node first, then straight from the front.
    for (let i = 0; i < 3; i++) {
      const r = await sendRaw(t.server.port, request(`/api/apps/${appId}/functions/bytes`), "GET");
      expect(seen(r), `call ${i + 1}`).toEqual(expected);
    }
  }, 30_000);
});
