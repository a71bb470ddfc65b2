/**
 * The dashboard's sessions, CSRF checks and relay, over HTTP against a real server: sign-in with
 * an API key or an app admin's password, the cookie's attributes, changes refused without the
 * session's token or from another origin, a revoked key's session ended, and the relay passing
 * requests to the ordinary API routes (a function invoked through it, streaming) without the
 * browser's cookie or the session's key ever reaching a function.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  ECHO,
  type Echo,
  expectError,
  startTestServer,
  type TestServer,
} from "../helpers.js";
import { cookieOf, signIn } from "./dashboard-helpers.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("dash");
  await t.deploy(appId, "echo", ECHO);
  await t.deploy(
    appId,
    "page",
    `Deno.serve(() => new Response("<h1>hi</h1>", { headers: { "content-type": "text/html", "content-security-policy": "img-src 'none'" } }));`,
  );
});
afterAll(() => t?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("sign-in", () => {
  it("sets an HttpOnly, SameSite=Strict cookie scoped to /_/ and answers the CSRF token", async () => {
    const res = await post("/_/session", { api_key: ADMIN_KEY }, { origin: t.url });
    expect(res.status).toBe(201);
    const set = res.headers.getSetCookie()[0]!;
    expect(set).toMatch(/^fnbase_dashboard=[A-Za-z0-9_-]{43};/);
    expect(set).toMatch(/; Path=\/_\//);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Strict/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ kind: "key", admin: true, key_prefix: ADMIN_KEY.slice(0, 12) });
    expect(typeof body.csrf_token).toBe("string");
    const me = await fetch(`${t.url}/_/session`, { headers: { cookie: cookieOf(res) } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { csrf_token: string }).csrf_token).toBe(body.csrf_token);
  });

  it("refuses a wrong key, and a sign-in from another origin or without one", async () => {
    await expectError(
      await post("/_/session", { api_key: "b44k_nope" }, { origin: t.url }),
      401,
      "UNAUTHORIZED",
    );
    await expectError(
      await post("/_/session", { api_key: ADMIN_KEY }, { origin: "http://evil.example" }),
      403,
      "CSRF_FAILED",
    );
    await expectError(await post("/_/session", { api_key: ADMIN_KEY }), 403, "CSRF_FAILED");
    await expectError(
      await post(
        "/_/session",
        { api_key: ADMIN_KEY },
        { origin: t.url, "sec-fetch-site": "cross-site" },
      ),
      403,
      "CSRF_FAILED",
    );
  });

  it("a one-time sign-in link (what fnbase dev prints) signs in once, as the admin", async () => {
    const link = new URL(t.server.dashboardSignInLink(`/apps/${appId}`));
    expect(link.pathname).toBe(`/_/apps/${appId}`);
    const code = link.searchParams.get("code")!;
    const res = await post("/_/session", { code }, { origin: t.url });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ kind: "key", admin: true });
    const s = { cookie: cookieOf(res) };
    const me = await fetch(`${t.url}/_/session`, { headers: { cookie: s.cookie } });
    expect(me.status).toBe(200);
    await expectError(await post("/_/session", { code }, { origin: t.url }), 401, "UNAUTHORIZED");
  });

  it("without a session, the relay and the session answer SESSION_REQUIRED", async () => {
    await expectError(await fetch(`${t.url}/_/session`), 401, "SESSION_REQUIRED");
    await expectError(
      await fetch(`${t.url}/_/api/apps`, { headers: { cookie: "fnbase_dashboard=forged" } }),
      401,
      "SESSION_REQUIRED",
    );
  });
});

describe("CSRF", () => {
  it("refuses relay requests without the session's token, reads included", async () => {
    const s = await signIn(t, { api_key: ADMIN_KEY });
    await expectError(
      await s.call("/_/api/apps", { headers: { "x-csrf-token": "" } }),
      403,
      "CSRF_FAILED",
    );
    await expectError(
      await s.call("/_/api/apps", { headers: { "x-csrf-token": `${s.csrf.slice(1)}x` } }),
      403,
      "CSRF_FAILED",
    );
    const ok = await s.call("/_/api/apps");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }[]).map((a) => a.id)).toContain(appId);
  });

  it("refuses a cross-site form post carrying the cookie, and creates nothing", async () => {
    const s = await signIn(t, { api_key: ADMIN_KEY });
    const before = ((await (await t.admin("/api/apps")).json()) as unknown[]).length;
    const res = await fetch(`${t.url}/_/api/apps`, {
      method: "POST",
      headers: {
        cookie: s.cookie,
        origin: "http://evil.example",
        "sec-fetch-site": "cross-site",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "name=pwned",
    });
    await expectError(res, 403, "CSRF_FAILED");
    // The token alone does not help another origin either, nor does an opaque one.
    for (const origin of ["http://evil.example", "null"]) {
      await expectError(
        await s.call("/_/api/apps", {
          method: "POST",
          body: '{"name":"pwned"}',
          headers: { origin },
        }),
        403,
        "CSRF_FAILED",
      );
    }
    const after = ((await (await t.admin("/api/apps")).json()) as unknown[]).length;
    expect(after).toBe(before);
    const made = await s.call("/_/api/apps", { method: "POST", body: '{"name":"made"}' });
    expect(made.status).toBe(201);
  });

  it("signs out: the cookie no longer opens anything", async () => {
    const s = await signIn(t, { api_key: ADMIN_KEY });
    const out = await s.call("/_/session", { method: "DELETE" });
    expect(out.status).toBe(200);
    await expectError(await s.call("/_/api/apps"), 401, "SESSION_REQUIRED");
  });
});

describe("sessions end with their credential", () => {
  it("a revoked workspace key's session ends", async () => {
    const created = (await (
      await t.admin("/api/workspace/api-keys", { method: "POST", body: '{"name":"dash"}' })
    ).json()) as { id: string; key: string };
    const s = await signIn(t, { api_key: created.key });
    const me = (await (await s.call("/_/session")).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ kind: "key", admin: false });
    expect((await s.call("/_/api/apps")).status).toBe(200);
    const revoked = await t.admin(`/api/workspace/api-keys/${created.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    await expectError(await s.call("/_/api/apps"), 401, "SESSION_REQUIRED");
    // Ended for good, not just refused once.
    await expectError(await s.call("/_/session"), 401, "SESSION_REQUIRED");
  });

  it("an app admin signs in with email and password; a demoted one's session ends", async () => {
    const reg = await post(`/api/apps/${appId}/auth/register`, {
      email: "boss@example.com",
      password: "correct horse battery",
    });
    const { user } = (await reg.json()) as { user: { id: string } };
    const login = { app_id: appId, email: "boss@example.com", password: "correct horse battery" };
    await expectError(await post("/_/session", login, { origin: t.url }), 403, "FORBIDDEN");
    const promote = await t.admin(`/api/apps/${appId}/entities/User/${user.id}`, {
      method: "PUT",
      body: '{"role":"admin"}',
    });
    expect(promote.status).toBe(200);
    const s = await signIn(t, login);
    expect(await (await s.call("/_/session")).json()).toMatchObject({
      kind: "user",
      app_id: appId,
      user: { id: user.id, email: "boss@example.com" },
    });
    const users = await s.call(`/_/api/apps/${appId}/entities/User`);
    expect(users.status).toBe(200);
    // The management API takes keys, not users: the relay passes its coded refusal on.
    await expectError(await s.call(`/_/api/apps/${appId}/secrets`), 401, "UNAUTHORIZED");
    await t.admin(`/api/apps/${appId}/entities/User/${user.id}`, {
      method: "PUT",
      body: '{"role":"user"}',
    });
    await expectError(await s.call(`/_/api/apps/${appId}/entities/User`), 401, "SESSION_REQUIRED");
  });
});

describe("the relay", () => {
  it("invokes a function with the service role; neither the cookie nor the key reaches it", async () => {
    const s = await signIn(t, { api_key: ADMIN_KEY });
    const res = await s.call(`/_/api/apps/${appId}/functions/echo/sub?x=1`, {
      method: "POST",
      body: '{"a":1}',
      headers: { "x-custom": "yes" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("content-security-policy")).toContain("sandbox allow-scripts");
    const echo = (await res.json()) as Echo;
    expect(echo.path).toBe(`/api/apps/${appId}/functions/echo/sub`);
    expect(echo.search).toBe("?x=1");
    expect(echo.body).toBe('{"a":1}');
    expect(echo.headers["x-custom"]).toBe("yes");
    expect(echo.headers.cookie).toBeUndefined();
    expect(echo.headers["x-csrf-token"]).toBeUndefined();
    expect(echo.headers.origin).toBeUndefined();
    expect(echo.headers.authorization).toMatch(/^Bearer ey/);
    expect(JSON.stringify(echo)).not.toContain(ADMIN_KEY);
    expect(JSON.stringify(echo)).not.toContain(s.cookie.split("=")[1]!);
  });

  it("invokes anonymously, or as a user with a token the API key obtained", async () => {
    const s = await signIn(t, { api_key: ADMIN_KEY });
    const anon = (await (
      await s.call(`/_/api/apps/${appId}/functions/echo`, {
        headers: { "x-fnbase-as": "anonymous" },
      })
    ).json()) as Echo;
    expect(anon.headers.authorization).toBeUndefined();
    const reg = await post(`/api/apps/${appId}/auth/register`, {
      email: "ada@example.com",
      password: "correct horse battery",
    });
    const { user } = (await reg.json()) as { user: { id: string } };
    const tokenRes = await s.call(`/_/api/apps/${appId}/users/${user.id}/access-token`, {
      method: "POST",
      body: '{"expires_in":120}',
    });
    expect(tokenRes.status).toBe(200);
    const token = (await tokenRes.json()) as { access_token: string; expires_in: number };
    expect(token.expires_in).toBe(120);
    const me = await s.call(`/_/api/apps/${appId}/entities/User/me`, {
      headers: { "x-fnbase-as": "bearer", authorization: `Bearer ${token.access_token}` },
    });
    expect(await me.json()).toMatchObject({ id: user.id, email: "ada@example.com" });
    const asUser = (await (
      await s.call(`/_/api/apps/${appId}/functions/echo`, {
        headers: { "x-fnbase-as": "bearer", authorization: `Bearer ${token.access_token}` },
      })
    ).json()) as Echo;
    expect(asUser.headers.authorization).toBe(`Bearer ${token.access_token}`);
    // Users cannot mint tokens of others.
    await expectError(
      await fetch(`${t.url}/api/apps/${appId}/users/${user.id}/access-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${token.access_token}` },
      }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("streams a function's answer as it is written", async () => {
    await t.deploy(
      appId,
      "drip",
      `Deno.serve(() => {
        const enc = new TextEncoder();
        let release;
        globalThis.gate = new Promise((r) => (release = r));
        setTimeout(() => release(), 1500);
        return new Response(new ReadableStream({
          async start(c) {
            c.enqueue(enc.encode("data: first\\n\\n"));
            await globalThis.gate;
            c.enqueue(enc.encode("data: last\\n\\n"));
            c.close();
          },
        }), { headers: { "content-type": "text/event-stream" } });
      });`,
    );
    const s = await signIn(t, { api_key: ADMIN_KEY });
    const started = Date.now();
    const res = await s.call(`/_/api/apps/${appId}/functions/drip`, {
      headers: { "accept-encoding": "gzip" },
    });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("data: first");
    expect(Date.now() - started).toBeLessThan(1200);
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += new TextDecoder().decode(r.value);
    }
    expect(rest).toContain("data: last");
  });

  it("passes the API's coded errors and a function answer's policies on", async () => {
    const s = await signIn(t, { api_key: ADMIN_KEY });
    const missing = await expectError(await s.call("/_/api/apps/nope"), 404, "APP_NOT_FOUND");
    expect(missing.error).toContain("nope");
    const page = await s.call(`/_/api/apps/${appId}/functions/page`);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("img-src 'none'");
    expect(csp).toContain(
      "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads",
    );
    expect(csp).not.toContain("allow-same-origin");
  });
});

describe("pages", () => {
  it("serves index.html for every page path, never cached, under a strict policy", async () => {
    for (const path of ["/_/", `/_/apps/${appId}/functions/orders/process`, "/_/keys"]) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const csp = res.headers.get("content-security-policy")!;
      const host = new URL(t.url).host;
      expect(csp).toContain(`script-src http://${host}/_/assets/ https://${host}/_/assets/;`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("'unsafe-inline'");
      const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
      const html = await res.text();
      expect(html).toContain(`content="${nonce}"`);
      expect(html).not.toContain("__FNBASE_CSP_NONCE__");
    }
    const html = await (await fetch(`${t.url}/_/`)).text();
    const asset = /src="(\/_\/assets\/[^"]+)"/.exec(html)![1]!;
    const js = await fetch(`${t.url}${asset}`);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
    await expectError(await fetch(`${t.url}/_/assets/nope.js`), 404, "NOT_FOUND");
    await expectError(await fetch(`${t.url}/_/assets/..%2Findex.html`), 404, "NOT_FOUND");
  });

  it("behind a proxy that rewrites Host, takes the browser's host from X-Forwarded-Host", async () => {
    const headers = { "x-forwarded-host": "fn.example.com" };
    const page = await fetch(`${t.url}/_/`, { headers });
    expect(page.headers.get("content-security-policy")).toContain(
      "https://fn.example.com/_/assets/",
    );
    const res = await post(
      "/_/session",
      { api_key: ADMIN_KEY },
      {
        ...headers,
        origin: "https://fn.example.com",
      },
    );
    expect(res.status).toBe(201);
  });
});

describe("links", () => {
  it("the Base44 CLI's dashboard link redirects to the app's page", async () => {
    const res = await fetch(`${t.url}/apps/${appId}/editor/workspace/overview`, {
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/_/apps/${appId}`);
  });
});
