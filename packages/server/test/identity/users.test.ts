import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ECHO, type Echo, expectError, startTestServer, type TestServer } from "../helpers.js";
import { expiredToken, forgedAdmin, tampered } from "./tokens.js";

let t: TestServer;
let appId: string;
let otherApp: string;
let serviceToken: string;

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Login {
  access_token: string;
  user: Record<string, unknown> & { id: string; email: string; role: string };
}

async function register(app: string, email: string, password = "correct horse battery") {
  const res = await fetch(`${t.url}/api/apps/${app}/auth/register`, json({ email, password }));
  expect(res.status).toBe(201);
  return (await res.json()) as Login;
}

const me = (app: string, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/api/apps/${app}/entities/User/me`, { headers });

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("users");
  otherApp = await t.createApp("other");
  await t.deploy(appId, "echo", ECHO);
  const echo = (await (await t.invoke(appId, "echo")).json()) as Echo;
  serviceToken = (echo.headers["base44-service-authorization"] ?? "").slice("Bearer ".length);
}, 120_000);
afterAll(() => t?.close());

describe("app users", () => {
  it("register answers a token and the user, as role user, without the password hash", async () => {
    const { access_token, user } = await register(appId, "ada@example.com");
    expect(user).toMatchObject({ email: "ada@example.com", role: "user", full_name: null });
    expect(user.id).toMatch(/\S+/);
    expect(typeof user.created_date).toBe("string");
    expect(JSON.stringify(user)).not.toMatch(/password|scrypt/);
    const claims = decodeJwt(access_token);
    expect(claims).toMatchObject({ sub: user.id, aud: appId, role: "user" });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it("login answers { access_token, user } and me returns that user", async () => {
    await register(appId, "grace@example.com", "hopper-password");
    const res = await fetch(
      `${t.url}/api/apps/${appId}/auth/login`,
      json({ email: "Grace@Example.com", password: "hopper-password" }),
    );
    expect(res.status).toBe(200);
    const login = (await res.json()) as Login;
    expect(login.user.email).toBe("grace@example.com");
    const got = await me(appId, bearer(login.access_token));
    expect(got.status).toBe(200);
    const user = (await got.json()) as Record<string, unknown>;
    expect(user).toMatchObject({ id: login.user.id, email: "grace@example.com", role: "user" });
    expect(user).not.toHaveProperty("password_hash");
  });

  it("PUT me updates the profile but not the role or email", async () => {
    const { access_token, user } = await register(appId, "linus@example.com");
    const res = await fetch(`${t.url}/api/apps/${appId}/entities/User/me`, {
      ...json({ full_name: "Linus", theme: "dark", email: "x@y.z" }, bearer(access_token)),
      method: "PUT",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: user.id,
      full_name: "Linus",
      theme: "dark",
      email: "linus@example.com",
    });
    const promote = await fetch(`${t.url}/api/apps/${appId}/entities/User/me`, {
      ...json({ role: "admin" }, bearer(access_token)),
      method: "PUT",
    });
    await expectError(promote, 403, "FORBIDDEN");
    expect(await (await me(appId, bearer(access_token))).json()).toMatchObject({ role: "user" });
  });

  it("refuses a second account with the same email and a wrong password", async () => {
    await register(appId, "dup@example.com");
    await expectError(
      await fetch(
        `${t.url}/api/apps/${appId}/auth/register`,
        json({ email: "DUP@example.com", password: "another password" }),
      ),
      409,
      "CONFLICT",
    );
    await expectError(
      await fetch(
        `${t.url}/api/apps/${appId}/auth/login`,
        json({ email: "dup@example.com", password: "wrong password" }),
      ),
      401,
      "UNAUTHORIZED",
    );
    await expectError(
      await fetch(
        `${t.url}/api/apps/${appId}/auth/login`,
        json({ email: "nobody@example.com", password: "whatever1" }),
      ),
      401,
      "UNAUTHORIZED",
    );
  });

  it("refuses a bad email and a short password", async () => {
    const short = await fetch(
      `${t.url}/api/apps/${appId}/auth/register`,
      json({ email: "short@example.com", password: "abc" }),
    );
    expect((await expectError(short, 400, "BAD_REQUEST")).error).toMatch(/^Password too short:/);
    const bad = await fetch(
      `${t.url}/api/apps/${appId}/auth/register`,
      json({ email: "not-an-email", password: "long enough" }),
    );
    expect((await expectError(bad, 400, "BAD_REQUEST")).error).toBe(
      'Invalid email: "not-an-email"',
    );
  });

  it("keeps only a scrypt hash of the password in the store", async () => {
    await register(appId, "hash@example.com", "plain-text-marker-123");
    const db = await readFile(join(t.dataDir, "fnbase.db"));
    const wal = await readFile(join(t.dataDir, "fnbase.db-wal")).catch(() => Buffer.alloc(0));
    expect(Buffer.concat([db, wal]).includes("plain-text-marker-123")).toBe(false);
    expect(Buffer.concat([db, wal]).includes("scrypt$32768$8$1$")).toBe(true);
  });
});

describe("User/me answers 401", () => {
  let token: string;
  let userId: string;
  beforeAll(async () => {
    const r = await register(appId, "me401@example.com");
    token = r.access_token;
    userId = r.user.id;
  });

  it("without a token", async () => {
    await expectError(await me(appId), 401, "UNAUTHORIZED");
  });
  it("with a malformed Authorization header", async () => {
    await expectError(await me(appId, { authorization: `Token ${token}` }), 401, "INVALID_TOKEN");
  });
  it("with a tampered token", async () => {
    await expectError(await me(appId, bearer(tampered(token))), 401, "INVALID_TOKEN");
    await expectError(await me(appId, bearer(forgedAdmin(token))), 401, "INVALID_TOKEN");
  });
  it("with an expired token", async () => {
    const res = await me(appId, bearer(await expiredToken(t.dataDir, appId, userId)));
    expect((await expectError(res, 401, "INVALID_TOKEN")).error).toBe("Token expired");
  });
  it("with a token of another app", async () => {
    await expectError(await me(otherApp, bearer(token)), 401, "INVALID_TOKEN");
  });
});

describe("the service role", () => {
  it("reads and updates any user of its app, and may make an admin", async () => {
    const { user } = await register(appId, "svc@example.com");
    const url = `${t.url}/api/apps/${appId}/entities/User/${user.id}`;
    const got = await fetch(url, { headers: bearer(serviceToken) });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: user.id, email: "svc@example.com" });
    const put = await fetch(url, {
      ...json({ role: "admin", full_name: "Promoted" }, bearer(serviceToken)),
      method: "PUT",
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ role: "admin", full_name: "Promoted" });
    const list = await fetch(`${t.url}/api/apps/${appId}/entities/User`, {
      headers: bearer(serviceToken),
    });
    expect(((await list.json()) as { id: string }[]).map((u) => u.id)).toContain(user.id);
  });

  it("is refused by another app", async () => {
    const { user } = await register(otherApp, "b@example.com");
    const res = await fetch(`${t.url}/api/apps/${otherApp}/entities/User/${user.id}`, {
      headers: bearer(serviceToken),
    });
    await expectError(res, 401, "INVALID_TOKEN");
  });

  it("has no profile of its own at User/me", async () => {
    await expectError(await me(appId, bearer(serviceToken)), 403, "FORBIDDEN");
  });

  it("lets an admin user read others; to a plain user another user does not exist", async () => {
    const plain = await register(appId, "plain@example.com");
    const other = await register(appId, "target@example.com");
    const url = `${t.url}/api/apps/${appId}/entities/User/${other.user.id}`;
    await expectError(
      await fetch(url, { headers: bearer(plain.access_token) }),
      404,
      "RECORD_NOT_FOUND",
    );
    await fetch(`${t.url}/api/apps/${appId}/entities/User/${plain.user.id}`, {
      ...json({ role: "admin" }, bearer(serviceToken)),
      method: "PUT",
    });
    const res = await fetch(url, { headers: bearer(plain.access_token) });
    expect(res.status).toBe(200);
  });
});

describe("the management API", () => {
  it("refuses user tokens and service tokens", async () => {
    const { access_token } = await register(appId, "mgmt@example.com");
    for (const token of [access_token, serviceToken]) {
      for (const path of [`/api/apps/${appId}/backend-functions`, `/api/apps/${appId}/secrets`]) {
        await expectError(
          await fetch(`${t.url}${path}`, { headers: bearer(token) }),
          401,
          "UNAUTHORIZED",
        );
      }
    }
  });
});
