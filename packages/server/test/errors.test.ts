import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  CRASHY,
  ECHO,
  expectError,
  oneFile,
  SLEEPY,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const MAX_BODY = 64 * 1024;
const ORIGIN = "https://app.example.com";
let t: TestServer;
let appId: string;

const OWN_ERRORS = `
Deno.serve((req) => {
  const status = Number(new URL(req.url).searchParams.get("status"));
  return new Response(JSON.stringify({ mine: true, status }), {
    status,
    headers: { "content-type": "application/problem+json", "x-own": "yes" },
  });
});`;

const SWALLOW = `Deno.serve(async (req) => Response.json({ bytes: (await req.arrayBuffer()).byteLength }));`;

beforeAll(async () => {
  t = await startTestServer({ requestTimeoutMs: 1500, maxBodyBytes: MAX_BODY });
  appId = await t.createApp("errors");
  await t.admin(`/api/apps/${appId}`, {
    method: "PATCH",
    body: JSON.stringify({ cors_origins: [ORIGIN] }),
  });
  await t.deploy(appId, "echo", ECHO);
  await t.deploy(appId, "sleepy", SLEEPY);
  await t.deploy(appId, "sleepy-short", oneFile(SLEEPY, { timeout_seconds: 0.3 }));
  await t.deploy(appId, "crashy", CRASHY);
  await t.deploy(appId, "own-errors", OWN_ERRORS);
  await t.deploy(appId, "swallow", SWALLOW);
  await t.deploy(
    appId,
    "throws-at-import",
    'throw new Error("Boom at import");\nDeno.serve(() => new Response("never"));',
  );
  await t.deploy(appId, "never-serves", "export const x = 1;");
}, 120_000);
afterAll(() => t?.close());

/** Sends a body with Content-Length over node:http and reads the answer (fetch may hit EPIPE). */
function postRaw(
  path: string,
  body: Buffer,
  chunked: boolean,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}${path}`, {
      method: "POST",
      headers: chunked ? { "transfer-encoding": "chunked" } : { "content-length": body.length },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    if (chunked) {
      for (let i = 0; i < body.length; i += 8192) req.write(body.subarray(i, i + 8192));
      req.end();
    } else req.end(body);
  });
}

describe("error responses", () => {
  it("an unknown app answers 404 APP_NOT_FOUND", async () => {
    const body = await expectError(await t.invoke("no-such-app", "echo"), 404, "APP_NOT_FOUND");
    expect(body.error).toContain("no-such-app");
    const viaHeader = await fetch(`${t.url}/api/functions/echo`, {
      headers: { "x-app-id": "no-such-app" },
    });
    await expectError(viaHeader, 404, "APP_NOT_FOUND");
  });

  it("an unknown function answers 404 FUNCTION_NOT_FOUND", async () => {
    const body = await expectError(
      await t.invoke(appId, "missing/thing"),
      404,
      "FUNCTION_NOT_FOUND",
    );
    expect(body.error).toContain("missing/thing");
  });

  it("a boot failure answers 502, with the boot error for a caller with an API key", async () => {
    const asAdmin = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };
    const thrown = await expectError(
      await t.invoke(appId, "throws-at-import", asAdmin),
      502,
      "FUNCTION_BOOT_FAILED",
    );
    expect(thrown.error).toContain("Boom at import");
    const never = await expectError(
      await t.invoke(appId, "never-serves", asAdmin),
      502,
      "FUNCTION_BOOT_FAILED",
    );
    expect(never.error).toContain("never serves");
    // Anonymous callers get the code and the request id, not the boot error.
    const anonymous = await t.invoke(appId, "throws-at-import");
    const id = anonymous.headers.get("x-request-id");
    const body = await expectError(anonymous, 502, "FUNCTION_BOOT_FAILED");
    expect(body).toMatchObject({
      error: 'Function "throws-at-import" failed to start',
      request_id: id,
    });
  }, 60_000);

  it("an instance that dies mid-request answers 502, and the next request works", async () => {
    // Several rounds: the next request must never reach the dying process.
    for (let round = 0; round < 5; round++) {
      const before = (await (await t.invoke(appId, "crashy")).json()) as { bootId: string };
      await expectError(await t.invoke(appId, "crashy/exit"), 502, "FUNCTION_CRASHED");
      const after = await t.invoke(appId, "crashy");
      const text = await after.text();
      expect(after.status, text).toBe(200);
      expect((JSON.parse(text) as { bootId: string }).bootId).not.toBe(before.bootId);
    }
  }, 60_000);

  it("a request over the server's time limit answers 504", async () => {
    await (await t.invoke(appId, "sleepy?ms=0")).text();
    const started = performance.now();
    const body = await expectError(
      await t.invoke(appId, "sleepy?ms=5000"),
      504,
      "FUNCTION_TIMEOUT",
    );
    expect(body.error).toContain("1500 ms");
    expect(performance.now() - started).toBeLessThan(4000);
    const ok = await t.invoke(appId, "sleepy?ms=200");
    expect(ok.status).toBe(200);
    await ok.text();
  }, 60_000);

  it("a function's own timeout_seconds applies", async () => {
    await (await t.invoke(appId, "sleepy-short?ms=0")).text();
    const body = await expectError(
      await t.invoke(appId, "sleepy-short?ms=1000"),
      504,
      "FUNCTION_TIMEOUT",
    );
    expect(body.error).toContain("300 ms");
  }, 60_000);

  it("a body over the limit answers 413, with Content-Length and chunked", async () => {
    const big = Buffer.alloc(MAX_BODY + 1, 1);
    const declared = await postRaw(`/api/apps/${appId}/functions/swallow`, big, false);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).code).toBe("PAYLOAD_TOO_LARGE");
    const chunked = await postRaw(`/api/apps/${appId}/functions/swallow`, big, true);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text).code).toBe("PAYLOAD_TOO_LARGE");
    const fits = await postRaw(`/api/apps/${appId}/functions/swallow`, big.subarray(1), true);
    expect(fits.status).toBe(200);
    expect(JSON.parse(fits.text)).toEqual({ bytes: MAX_BODY });
  }, 60_000);

  it("a function's own 4xx and 5xx pass through untouched", async () => {
    for (const status of [400, 404, 422, 500, 503]) {
      const res = await t.invoke(appId, `own-errors?status=${status}`);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("x-own")).toBe("yes");
      expect(await res.json()).toEqual({ mine: true, status });
    }
  }, 60_000);

  it("functions disabled for the app answer 403", async () => {
    const other = await t.createApp("disabled");
    await t.deploy(other, "echo", ECHO);
    const patch = await t.admin(`/api/apps/${other}`, {
      method: "PATCH",
      body: JSON.stringify({ functions_enabled: false }),
    });
    expect(((await patch.json()) as { functions_enabled: boolean }).functions_enabled).toBe(false);
    await expectError(await t.invoke(other, "echo"), 403, "FUNCTIONS_DISABLED");
  });
});

describe("CORS", () => {
  it("the gateway answers a preflight from an allowed origin", async () => {
    const res = await t.invoke(appId, "echo", {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("x-echo")).toBeNull();
  });

  it("a preflight from another origin is refused", async () => {
    const res = await t.invoke(appId, "echo", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("successes and error responses carry the same CORS headers", async () => {
    const ok = await t.invoke(appId, "echo", { headers: { origin: ORIGIN } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    await ok.text();
    const notFound = await t.invoke(appId, "nope", { headers: { origin: ORIGIN } });
    expect(notFound.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    await expectError(notFound, 404, "FUNCTION_NOT_FOUND");
    const boot = await t.invoke(appId, "throws-at-import", { headers: { origin: ORIGIN } });
    expect(boot.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    await expectError(boot, 502, "FUNCTION_BOOT_FAILED");
    const timeout = await t.invoke(appId, "sleepy-short?ms=1000", { headers: { origin: ORIGIN } });
    expect(timeout.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    await expectError(timeout, 504, "FUNCTION_TIMEOUT");
  }, 60_000);
});
