import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError, createClient, type TokenStorage } from "../src/index.js";
import { startRecorder } from "./helpers/recorder.js";

let rec: Awaited<ReturnType<typeof startRecorder>>;
beforeAll(async () => {
  rec = await startRecorder();
});
afterAll(() => rec.close());
afterEach(() => {
  vi.unstubAllGlobals();
});

function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  const storage: TokenStorage = {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
  return { map, storage };
}

const user = { id: "u1", email: "ada@example.com" };

describe("auth", () => {
  it("me() GETs entities/User/me with the token and resolves with the body", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url, token: "t1" });
    rec.answer({ body: user });
    expect(await client.auth.me()).toEqual(user);
    expect(rec.last().method).toBe("GET");
    expect(rec.last().url).toBe("/api/apps/app_1/entities/User/me");
    expect(rec.last().headers.authorization).toBe("Bearer t1");
    expect(rec.last().headers["x-app-id"]).toBe("app_1");
  });

  it("updateMe() PUTs and register() POSTs their payloads", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url, token: "t1" });
    await client.auth.updateMe({ full_name: "Ada" });
    expect(rec.last().method).toBe("PUT");
    expect(rec.last().url).toBe("/api/apps/app_1/entities/User/me");
    expect(JSON.parse(rec.last().body.toString())).toEqual({ full_name: "Ada" });
    await client.auth.register({ email: "a@b.c", password: "pw", full_name: "A" });
    expect(rec.last().method).toBe("POST");
    expect(rec.last().url).toBe("/api/apps/app_1/auth/register");
    expect(JSON.parse(rec.last().body.toString())).toEqual({
      email: "a@b.c",
      password: "pw",
      full_name: "A",
    });
  });

  it("rejects with an ApiError carrying status, code and body", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    const body = { error: "Not signed in", code: "UNAUTHORIZED" };
    rec.answer({ status: 401, body });
    const err = await client.auth.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 401,
      code: "UNAUTHORIZED",
      message: "Not signed in",
      data: body,
    });
    rec.answer({ status: 401, body });
    expect(await client.auth.isAuthenticated()).toBe(false);
    rec.answer({ body: user });
    expect(await client.auth.isAuthenticated()).toBe(true);
  });

  it("loginViaEmailPassword() stores the token for later calls; logout() forgets it", async () => {
    const { map, storage } = memoryStorage();
    const client = createClient({ appId: "app_1", serverUrl: rec.url, storage });
    rec.answer({ body: { access_token: "fresh", user } });
    const result = await client.auth.loginViaEmailPassword("ada@example.com", "pw");
    expect(result).toEqual({ access_token: "fresh", user });
    expect(rec.last().url).toBe("/api/apps/app_1/auth/login");
    expect(JSON.parse(rec.last().body.toString())).toEqual({
      email: "ada@example.com",
      password: "pw",
    });
    expect(map.get("fnbase_access_token")).toBe("fresh");

    await client.functions.invoke("f", {});
    expect(rec.last().headers.authorization).toBe("Bearer fresh");
    await client.functions.fetch("f");
    expect(rec.last().headers.authorization).toBe("Bearer fresh");

    // A new client on the same storage (a page reload) is still signed in.
    const reloaded = createClient({ appId: "app_1", serverUrl: rec.url, storage });
    await reloaded.auth.me();
    expect(rec.last().headers.authorization).toBe("Bearer fresh");

    client.auth.logout();
    expect(map.size).toBe(0);
    await client.functions.invoke("f", {});
    expect(rec.last().headers.authorization).toBeUndefined();
  });

  it("a 401 login signs the client out and rethrows", async () => {
    const { map, storage } = memoryStorage({ fnbase_access_token: "old" });
    const client = createClient({ appId: "app_1", serverUrl: rec.url, storage });
    rec.answer({ status: 401, body: { error: "Wrong password", code: "UNAUTHORIZED" } });
    await expect(client.auth.loginViaEmailPassword("a@b.c", "x")).rejects.toMatchObject({
      status: 401,
    });
    expect(map.has("fnbase_access_token")).toBe(false);
  });

  it("setToken() applies to the next call; an empty token is ignored", async () => {
    const client = createClient({ appId: "app_1", serverUrl: rec.url, token: "a" });
    client.setToken("b");
    client.auth.setToken("");
    await client.auth.me();
    expect(rec.last().headers.authorization).toBe("Bearer b");
  });
});

describe("token storage in a browser", () => {
  it("uses localStorage, reads @base44/sdk's key, and takes access_token off the URL", async () => {
    const { map, storage } = memoryStorage({ base44_access_token: "from-base44" });
    vi.stubGlobal("document", { title: "t" });
    vi.stubGlobal("localStorage", storage);
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    await client.auth.me();
    expect(rec.last().headers.authorization).toBe("Bearer from-base44");

    const replaced: string[] = [];
    vi.stubGlobal("location", { search: "?access_token=from-url&x=1", pathname: "/p", hash: "#h" });
    vi.stubGlobal("history", {
      replaceState: (_d: unknown, _t: string, url: string) => replaced.push(url),
    });
    const redirected = createClient({ appId: "app_1", serverUrl: rec.url });
    await redirected.functions.invoke("f", {});
    expect(rec.last().headers.authorization).toBe("Bearer from-url");
    expect(map.get("fnbase_access_token")).toBe("from-url");
    expect(replaced).toEqual(["/p?x=1#h"]);

    redirected.auth.logout();
    expect(map.has("fnbase_access_token")).toBe(false);
    expect(map.has("base44_access_token")).toBe(false);
  });

  it("ignores localStorage where there is no document (Deno, a server)", async () => {
    const { storage } = memoryStorage({ fnbase_access_token: "leaked" });
    vi.stubGlobal("localStorage", storage);
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    await client.auth.me().catch(() => {});
    expect(rec.last().headers.authorization).toBeUndefined();
  });
});

describe("Base44Error", () => {
  it("is ApiError under @base44/sdk's name", async () => {
    const { Base44Error } = await import("../src/index.js");
    const client = createClient({ appId: "app_1", serverUrl: rec.url });
    rec.answer({ status: 404, body: { error: "gone" } });
    await expect(client.auth.me()).rejects.toBeInstanceOf(Base44Error);
  });
});
