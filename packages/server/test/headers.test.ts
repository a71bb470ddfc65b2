import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ECHO, type Echo, startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("headers");
  await t.deploy(appId, "echo", ECHO);
}, 120_000);
afterAll(() => t?.close());

describe("headers a function receives", () => {
  it("carry the app id, the server's URL and a service token for the app", async () => {
    const res = await t.invoke(appId, "echo");
    const { headers } = (await res.json()) as Echo;
    expect(headers["base44-app-id"]).toBe(appId);
    expect(headers["base44-api-url"]).toBe(t.url);
    const auth = headers["base44-service-authorization"] ?? "";
    expect(auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = decodeJwt(auth.slice("Bearer ".length));
    expect(claims.app_id).toBe(appId);
    expect(claims.aud).toBe(appId);
  }, 60_000);

  it("carry the same X-Request-Id the caller gets back", async () => {
    const res = await t.invoke(appId, "echo");
    const { headers } = (await res.json()) as Echo;
    expect(headers["x-request-id"]).toMatch(/\S{8,}/);
    expect(res.headers.get("x-request-id")).toBe(headers["x-request-id"]);
  });

  it("replace a caller's forged Base44 headers and request id", async () => {
    const res = await t.invoke(appId, "echo", {
      headers: {
        "base44-app-id": "someone-else",
        "base44-service-authorization": "Bearer forged.token.here",
        "base44-api-url": "https://evil.example",
        "x-request-id": "forged-request-id",
        "x-fnbase-instance-key": "guess",
      },
    });
    const { headers } = (await res.json()) as Echo;
    expect(headers["base44-app-id"]).toBe(appId);
    expect(headers["base44-api-url"]).toBe(t.url);
    expect(headers["base44-service-authorization"]).not.toContain("forged");
    expect(headers["x-request-id"]).not.toBe("forged-request-id");
    expect(res.headers.get("x-request-id")).toBe(headers["x-request-id"]);
  });

  it("pass Base44-Functions-Version, Base44-State and other caller headers through", async () => {
    const res = await t.invoke(appId, "echo", {
      headers: {
        "base44-functions-version": "prod",
        "base44-state": "state-123",
        "x-custom": "kept",
      },
    });
    const { headers } = (await res.json()) as Echo;
    expect(headers["base44-functions-version"]).toBe("prod");
    expect(headers["base44-state"]).toBe("state-123");
    expect(headers["x-custom"]).toBe("kept");
    expect(headers.authorization).toBeUndefined();
  });

  it("refuse a forged user token with 401", async () => {
    const res = await t.invoke(appId, "echo", {
      headers: { authorization: "Bearer not-a-real-token" },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("INVALID_TOKEN");
  });
});
