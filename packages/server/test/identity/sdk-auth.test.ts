import { createClient } from "@base44/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("sdk-auth");
}, 60_000);
afterAll(() => t?.close());

describe("@base44/sdk against fnbase", () => {
  it("registers, logs in, reads and updates the user", async () => {
    const base44 = createClient({ serverUrl: t.url, appId });
    await base44.auth.register({ email: "sdk@example.com", password: "sdk password 1" });
    const { access_token, user } = await base44.auth.loginViaEmailPassword(
      "sdk@example.com",
      "sdk password 1",
    );
    expect(access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(user).toMatchObject({ email: "sdk@example.com", role: "user" });
    expect(await base44.auth.me()).toMatchObject({ id: user.id, email: "sdk@example.com" });
    await base44.auth.updateMe({ full_name: "Via SDK" });
    expect(await base44.auth.me()).toMatchObject({ full_name: "Via SDK" });
  });

  it("rejects a wrong password with a 401", async () => {
    const base44 = createClient({ serverUrl: t.url, appId });
    await expect(
      base44.auth.loginViaEmailPassword("sdk@example.com", "wrong password"),
    ).rejects.toMatchObject({ status: 401 });
  });
});
