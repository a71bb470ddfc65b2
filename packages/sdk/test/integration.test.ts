// The SDK against a real fnbase server (port 0, real Deno instances); no mocks.
import { createHash, randomBytes } from "node:crypto";
import axios from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type FnbaseClient } from "../src/index.js";
import { loadFunctions, startFnbase, type TestServer } from "./helpers/fnbase.js";

let fnbase: TestServer;
let client: FnbaseClient;

beforeAll(async () => {
  fnbase = await startFnbase(
    await loadFunctions("echo", "upload", "fail", "stream", "resource", "orders/process"),
  );
  client = createClient({ appId: fnbase.appId, serverUrl: fnbase.url });
});
afterAll(() => fnbase?.[Symbol.asyncDispose]());

/** The error `promise` rejects with, failing the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => expect.fail("expected the call to be rejected"),
    (error: unknown) => error,
  );
}

describe("functions.invoke() against a real server", () => {
  it("sends JSON and resolves with the raw response", async () => {
    const res = await client.functions.invoke("echo", { orderId: 42, tags: ["a", "b"] });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.data).toEqual({
      method: "POST",
      body: { orderId: 42, tags: ["a", "b"] },
      appId: fnbase.appId,
      apiUrl: fnbase.url,
      hasServiceToken: true,
      hasUserToken: false,
    });
  });

  it("uploads a binary File whose bytes reach the function intact", async () => {
    const bytes = randomBytes(256 * 1024 + 17);
    const file = new File([bytes], "random.bin", { type: "application/octet-stream" });
    const res = await client.functions.invoke("upload", {
      file,
      meta: { kind: "random" },
      note: "hello",
    });
    expect(res.data).toEqual({
      name: "random.bin",
      size: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      meta: { kind: "random" },
      note: "hello",
    });
  });

  it.each([
    [400, { error: "Missing field: orderId", field: "orderId" }],
    [
      422,
      { error: "Order cannot be processed", details: [{ field: "qty", issue: "must be > 0" }] },
    ],
    [500, { error: "Database unavailable", retryable: true }],
  ])("rejects a %i answer with axios' error and the function's body", async (status, body) => {
    const error = await rejection(client.functions.invoke("fail", { status }));
    expect(axios.isAxiosError(error)).toBe(true);
    if (!axios.isAxiosError(error)) return;
    expect(error.response?.status).toBe(status);
    expect(error.response?.data).toEqual(body);
  });

  it("rejects with a 500 and the error's message when the function throws", async () => {
    const error = await rejection(client.functions.invoke("fail", { throw: true }));
    expect(axios.isAxiosError(error)).toBe(true);
    if (!axios.isAxiosError(error)) return;
    expect(error.response?.status).toBe(500);
    expect(error.response?.data).toMatchObject({ code: "FUNCTION_ERROR" });
  });

  it("rejects a bad token with a 401 before the function runs", async () => {
    const stranger = createClient({
      appId: fnbase.appId,
      serverUrl: fnbase.url,
      token: "not.a.valid-token",
    });
    const error = await rejection(stranger.functions.invoke("echo", { x: 1 }));
    expect(axios.isAxiosError(error)).toBe(true);
    if (!axios.isAxiosError(error)) return;
    expect(error.response?.status).toBe(401);
    expect(error.response?.data).toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("rejects an unknown function with a 404", async () => {
    const error = await rejection(client.functions.invoke("no-such-function", {}));
    expect(axios.isAxiosError(error)).toBe(true);
    if (!axios.isAxiosError(error)) return;
    expect(error.response?.status).toBe(404);
    expect(error.response?.data).toMatchObject({ code: "FUNCTION_NOT_FOUND" });
  });

  it("invokes a nested name (orders/process)", async () => {
    const res = await client.functions.invoke("orders/process", { orderId: 7 });
    expect(res.data).toEqual({ function: "orders/process", orderId: 7, callerRole: "anonymous" });
  });
});

describe("functions.fetch() against a real server", () => {
  it("reads the first chunk before the function has finished writing", async () => {
    const res = await client.functions.fetch("/stream");
    const started = performance.now(); // the headers are in: the function is running
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    const firstAt = performance.now() - started;
    expect(decoder.decode(first.value)).toBe("first\n");
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value, { stream: true });
    }
    const doneAt = performance.now() - started;
    expect(rest).toBe("second\ndone\n");
    expect(firstAt).toBeLessThan(1000);
    expect(doneAt - firstAt).toBeGreaterThan(1000);
  });

  it.each(["PUT", "PATCH"])("sends %s with a body, headers and a subpath", async (method) => {
    const res = await client.functions.fetch("resource/items/42?q=x", {
      method,
      body: JSON.stringify({ qty: 3 }),
      headers: { "content-type": "application/json", "x-custom": "yes" },
    });
    expect(res.status).toBe(200);
    const data = (await res.json()) as Record<string, unknown>;
    expect(data).toMatchObject({
      method,
      query: "x",
      body: JSON.stringify({ qty: 3 }),
      custom: "yes",
    });
    expect(String(data.path)).toMatch(/\/resource\/items\/42$/);
  });

  it("sends DELETE and gets a 204 with no body", async () => {
    const res = await client.functions.fetch("/resource/items/42", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });

  it("reaches a nested name and answers 404 for an unknown one", async () => {
    const res = await client.functions.fetch("/orders/process", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ orderId: 9 }),
    });
    expect(await res.json()).toMatchObject({ function: "orders/process", orderId: 9 });
    const missing = await client.functions.fetch("/orders/unknown");
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });
});
