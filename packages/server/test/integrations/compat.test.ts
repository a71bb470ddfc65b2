/**
 * Every other route `@base44/sdk` 0.8.50 can call (docs/COMPATIBILITY.md): answered, or refused
 * with a coded error the SDK shows as a `Base44Error` with its status and code. Called through
 * the SDK itself, unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../helpers.js";
import { type Fixture, fixture, type User } from "./integration-helpers.js";

let f: Fixture;
let ada: User;

beforeAll(async () => {
  f = await fixture();
  ada = await f.user("ada@example.com");
  await f.admin(`/api/apps/${f.appId}`, {
    method: "PATCH",
    body: JSON.stringify({ cors_origins: ["https://shop.example.com"] }),
  });
}, 120_000);
afterAll(() => f?.close());

describe("answered", () => {
  it("app.getPublicSettings(): anyone may register and sign in", async () => {
    expect(await f.base44().app.getPublicSettings()).toEqual({
      id: f.appId,
      public_settings: "public_with_login",
    });
  });

  it("appLogs.logUserInApp(page): kept as a page_view analytics event", async () => {
    await f.base44(ada).appLogs.logUserInApp("Dashboard");
    const res = await f.admin(`/api/apps/${f.appId}/analytics/events?event_name=page_view`);
    const { events } = (await res.json()) as { events: { user_id: string; properties: unknown }[] };
    expect(events).toMatchObject([{ user_id: ada.id, properties: { page: "Dashboard" } }]);
  });

  it("auth.logout()'s page: back to an app's origin, never elsewhere", async () => {
    const back = await fetch(
      `${f.url}/api/apps/auth/logout?from_url=${encodeURIComponent("https://shop.example.com/cart")}`,
      { redirect: "manual" },
    );
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toBe("https://shop.example.com/cart");
    const away = await fetch(
      `${f.url}/api/apps/auth/logout?from_url=${encodeURIComponent("https://evil.example.com/")}`,
      { redirect: "manual" },
    );
    expect(away.status).toBe(200);
    expect(await away.text()).toContain("You are signed out.");
  });
});

describe("refused with a code the SDK shows", () => {
  const cases: [string, (b: ReturnType<Fixture["base44"]>) => Promise<unknown>, number, string][] =
    [
      [
        "integrations.<package>",
        (b) => b.integrations.Slack!.PostMessage!({ text: "x" }),
        501,
        "NOT_AVAILABLE",
      ],
      [
        "integrations.custom.call",
        (b) => b.integrations.custom.call("github", "get:/repos/{o}", {}),
        501,
        "NOT_AVAILABLE",
      ],
      [
        "connectors.connectAppUser",
        (b) => b.connectors.connectAppUser("google"),
        501,
        "NOT_AVAILABLE",
      ],
      [
        "asServiceRole.connectors.getAccessToken",
        (b) => b.asServiceRole.connectors.getAccessToken("google" as never),
        501,
        "NOT_AVAILABLE",
      ],
      [
        "asServiceRole.connectors.callApi",
        (b) =>
          b.asServiceRole.connectors.callApi(
            "slack" as never,
            { method: "GET", path: "/x" } as never,
          ),
        501,
        "NOT_AVAILABLE",
      ],
      [
        "asServiceRole.sso.getAccessToken",
        (b) => b.asServiceRole.sso.getAccessToken("u1"),
        501,
        "NOT_AVAILABLE",
      ],
      ["agents.listConversations", (b) => b.agents.listConversations({}), 501, "NOT_AVAILABLE"],
      [
        "agents.createConversation",
        (b) => b.agents.createConversation({ agent_name: "helper" } as never),
        501,
        "NOT_AVAILABLE",
      ],
      ["appLogs.fetchLogs", (b) => b.appLogs.fetchLogs(), 501, "NOT_AVAILABLE"],
      ["appLogs.getStats", (b) => b.appLogs.getStats(), 501, "NOT_AVAILABLE"],
      [
        "auth.verifyOtp",
        (b) => b.auth.verifyOtp({ email: "a@b.c", otpCode: "1" }),
        501,
        "NOT_AVAILABLE",
      ],
    ];

  it.each(cases)("%s", async (_name, call, status, code) => {
    const client = f.base44("service");
    const err = (await call(client).then(
      () => undefined,
      (e: unknown) => e,
    )) as { name: string; status: number; code: string; message: string } | undefined;
    expect(err).toMatchObject({ name: "Base44Error", status, code });
    expect(err!.message).toMatch(/not available on fnbase$/);
  });

  it.each([
    ["POST", "actors/Counter/connection-token", 404, "NOT_FOUND"],
    ["GET", "ai/openai/v1/models", 501, "NOT_AVAILABLE"],
    ["GET", "agents/helper/whatsapp", 501, "NOT_AVAILABLE"],
    ["GET", "auth/sso/login", 501, "NOT_AVAILABLE"],
    ["GET", "external-auth/tokens/google", 501, "NOT_AVAILABLE"],
  ])("%s /api/apps/{appId}/%s", async (method, path, status, code) => {
    await expectError(
      await fetch(`${f.url}/api/apps/${f.appId}/${path}`, {
        method,
        headers: { authorization: `Bearer ${ada.token}` },
      }),
      status,
      code,
    );
  });

  it("GET /api/apps/auth/login (sign-in through Google and the like)", async () => {
    await expectError(
      await fetch(`${f.url}/api/apps/auth/login?app_id=${f.appId}`),
      501,
      "NOT_AVAILABLE",
    );
  });

  it("an unknown app is a 404 on every one of them", async () => {
    await expectError(
      await fetch(`${f.url}/api/apps/nope/integrations/custom/a/b`, { method: "POST" }),
      404,
      "APP_NOT_FOUND",
    );
    await expectError(
      await fetch(`${f.url}/api/apps/public/prod/public-settings/by-id/nope`),
      404,
      "APP_NOT_FOUND",
    );
  });
});
