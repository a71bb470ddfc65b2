import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  ECHO,
  type Echo,
  expectError,
  startTestServer,
  type TestServer,
} from "../helpers.js";
import { expiredToken, forgedAdmin, tampered } from "./tokens.js";

/** Calls back into the server with the service token it was given (plain fetch, no SDK). */
const CALLBACK = `
Deno.serve(async (req) => {
  const api = req.headers.get("base44-api-url");
  const appId = req.headers.get("base44-app-id");
  const service = req.headers.get("base44-service-authorization");
  const q = new URL(req.url).searchParams;
  const target = q.get("app") ?? appId;
  const user = await fetch(api + "/api/apps/" + target + "/entities/User/" + q.get("user"), {
    headers: { authorization: service },
  });
  const echo = await fetch(api + "/api/apps/" + target + "/functions/echo", {
    method: "POST",
    headers: { authorization: service },
  });
  return Response.json({
    user: { status: user.status, body: await user.json() },
    echo: { status: echo.status, body: await echo.json() },
    sawAuthorization: req.headers.get("authorization"),
  });
});
`;

let t: TestServer;
let appA: string;
let appB: string;
let token: string;
let userId: string;

beforeAll(async () => {
  t = await startTestServer();
  appA = await t.createApp("a");
  appB = await t.createApp("b");
  await t.deploy(appA, "echo", ECHO);
  await t.deploy(appA, "callback", CALLBACK);
  await t.deploy(appB, "echo", ECHO);
  const res = await fetch(`${t.url}/api/apps/${appA}/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "caller@example.com", password: "caller password" }),
  });
  const body = (await res.json()) as { access_token: string; user: { id: string } };
  token = body.access_token;
  userId = body.user.id;
}, 120_000);
afterAll(() => t?.close());

const echo = async (app: string, headers: Record<string, string> = {}) => {
  const res = await t.invoke(app, "echo", { method: "POST", headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as Echo).headers;
};

describe("invoking with and without a user", () => {
  it("without a token is anonymous: the function sees no Authorization", async () => {
    const headers = await echo(appA);
    expect(headers).not.toHaveProperty("authorization");
    expect(headers["base44-service-authorization"]).toMatch(/^Bearer /);
  });

  it("with a valid user token passes that token on", async () => {
    const headers = await echo(appA, { authorization: `Bearer ${token}` });
    expect(headers.authorization).toBe(`Bearer ${token}`);
  });

  it("with an API key runs as the service role", async () => {
    const headers = await echo(appA, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(headers.authorization).not.toContain(ADMIN_KEY);
    expect(decodeJwt((headers.authorization ?? "").slice(7))).toMatchObject({ role: "service" });
  });
});

describe("invoking answers 401 before any function runs", () => {
  const cases: [string, () => Promise<string>][] = [
    ["a malformed header", async () => `Token ${token}`],
    ["a tampered token", async () => `Bearer ${tampered(token)}`],
    ["a token with a forged role", async () => `Bearer ${forgedAdmin(token)}`],
    ["an expired token", async () => `Bearer ${await expiredToken(t.dataDir, appA, userId)}`],
    ["a token of another app", async () => `Bearer ${token}`],
  ];
  it.each(cases)("with %s", async (what, header) => {
    const app = what === "a token of another app" ? appB : appA;
    const res = await t.invoke(app, "echo", { headers: { authorization: await header() } });
    expect(res.headers.get("x-echo")).toBeNull();
    await expectError(res, 401, "INVALID_TOKEN");
  });
});

describe("the service token a function receives", () => {
  it("reads a user of its app and invokes another of its functions", async () => {
    const res = await t.invoke(appA, `callback?user=${userId}`);
    const out = (await res.json()) as {
      user: { status: number; body: { email: string } };
      echo: { status: number; body: Echo };
      sawAuthorization: string | null;
    };
    expect(out.sawAuthorization).toBeNull();
    expect(out.user.status).toBe(200);
    expect(out.user.body.email).toBe("caller@example.com");
    expect(out.echo.status).toBe(200);
    const auth = out.echo.body.headers.authorization ?? "";
    expect(decodeJwt(auth.slice(7))).toMatchObject({ role: "service", aud: appA });
  });

  it("is refused by another app", async () => {
    const res = await t.invoke(appA, `callback?user=${userId}&app=${appB}`);
    const out = (await res.json()) as {
      user: { status: number; body: { code: string } };
      echo: { status: number; body: { code: string } };
    };
    expect(out.user).toMatchObject({ status: 401, body: { code: "INVALID_TOKEN" } });
    expect(out.echo).toMatchObject({ status: 401, body: { code: "INVALID_TOKEN" } });
  });

  it("cannot be forged by a caller, nor borrowed from another app", async () => {
    const serviceOfB = (await echo(appB))["base44-service-authorization"] ?? "";
    const headers = await echo(appA, {
      "base44-service-authorization": serviceOfB,
      "base44-app-id": appB,
    });
    expect(headers["base44-app-id"]).toBe(appA);
    expect(headers["base44-service-authorization"]).not.toBe(serviceOfB);
    const claims = decodeJwt((headers["base44-service-authorization"] ?? "").slice(7));
    expect(claims.aud).toBe(appA);
    await expectError(
      await t.invoke(appA, "echo", { headers: { authorization: serviceOfB } }),
      401,
      "INVALID_TOKEN",
    );
  });
});

describe("functions_enabled", () => {
  it("false answers 403 on every invocation route and starts nothing", async () => {
    const app = await t.createApp("disabled");
    await t.deploy(app, "echo", ECHO);
    const patch = await t.admin(`/api/apps/${app}`, {
      method: "PATCH",
      body: JSON.stringify({ functions_enabled: false }),
    });
    expect(patch.status).toBe(200);
    const routes = [
      () => t.invoke(app, "echo", { method: "POST" }),
      () => fetch(`${t.url}/api/functions/echo`, { headers: { "x-app-id": app } }),
      () => fetch(`${t.url}/functions/echo`, { method: "POST", headers: { "x-app-id": app } }),
    ];
    for (const call of routes) {
      const body = await expectError(await call(), 403, "FUNCTIONS_DISABLED");
      expect(body.error).toBe("Backend functions are disabled for this app");
    }
    const running = await t.server.instanceMemory();
    expect(running.filter((i) => i.app_id === app)).toEqual([]);
    await t.admin(`/api/apps/${app}`, {
      method: "PATCH",
      body: JSON.stringify({ functions_enabled: true }),
    });
    expect((await t.invoke(app, "echo")).status).toBe(200);
  });
});
