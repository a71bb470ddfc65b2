import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";
import { waitForLogs } from "./log-helpers.js";

// Records whose JSON escaping makes them far longer than the 16 KiB plain-line cap.
const LONG_FN = `
Deno.serve((req) => {
  const kind = new URL(req.url).searchParams.get("kind");
  if (kind === "newlines") console.error("\\n".repeat(15 * 1024) + "end-newlines");
  if (kind === "control") console.warn("\\u0001".repeat(16 * 1024) + "end-control");
  if (kind === "throw") throw new Error("\\u0002".repeat(1024 * 1024));
  if (kind === "raw") {
    Deno.stdout.writeSync(new TextEncoder().encode("r".repeat(100 * 1024) + "\\n"));
    Deno.stdout.writeSync(new TextEncoder().encode("after-raw\\n"));
  }
  return new Response("ok");
});
`;

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("long-records");
  await t.deploy(appId, "long", LONG_FN);
});
afterAll(() => t?.close());

/** Invokes `long?kind=...` and returns its request id and the function lines of that request. */
async function linesOf(kind: string) {
  const res = await t.invoke(appId, `long?kind=${kind}`);
  await res.text();
  const requestId = res.headers.get("x-request-id");
  expect(requestId).toBeTruthy();
  const lines = await waitForLogs(t, appId, "long", (ls) =>
    ls.some((l) => l.request_id === requestId),
  );
  return { res, requestId, mine: lines.filter((l) => l.request_id === requestId) };
}

it("keeps the level and request id of a 15 KiB console.error of newlines", async () => {
  const { requestId, mine } = await linesOf("newlines");
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({ level: "error", source: "function", request_id: requestId });
  expect(mine[0]?.message).toBe(`${"\n".repeat(15 * 1024)}end-newlines`);
});

it("keeps a record whose every character escapes six times, cut at 16 KiB", async () => {
  const { mine } = await linesOf("control");
  expect(mine).toHaveLength(1);
  expect(mine[0]?.level).toBe("warning");
  expect(mine[0]?.message.startsWith("\u0001".repeat(1024))).toBe(true);
  expect(mine[0]?.message).toMatch(/truncated \d+ chars\]$/);
  expect(mine[0]?.message.length).toBeLessThanOrEqual(16 * 1024 + 64);
});

it("keeps a thrown error with a 1 MiB message as one error line of its request", async () => {
  const { res, mine } = await linesOf("throw");
  expect(res.status).toBe(500);
  expect(mine).toHaveLength(1);
  expect(mine[0]?.level).toBe("error");
  expect(mine[0]?.message.startsWith("Error: \u0002")).toBe(true);
  expect(mine[0]?.message).toMatch(/truncated \d+ chars\]$/);
});

it("cuts a plain stdout line over 16 KiB with a note and keeps the next line whole", async () => {
  const res = await t.invoke(appId, "long?kind=raw");
  expect(await res.text()).toBe("ok");
  const lines = await waitForLogs(t, appId, "long", (ls) =>
    ls.some((l) => l.message === "after-raw"),
  );
  const cut = lines.find((l) => l.message.startsWith("rrrr"));
  expect(cut?.message.length).toBeLessThanOrEqual(16 * 1024);
  expect(cut?.message).toMatch(/^r+… \[line longer than 16384 chars, rest dropped\]$/);
});
