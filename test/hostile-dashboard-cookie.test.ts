/**
 * Hostile: a function's answer is served on the dashboard's origin. SECURITY.md ("Function
 * answers run in a sandbox", "Sessions") says a page a function serves cannot act on the
 * dashboard. The sandbox stops its script; it does not stop the answer's own `Set-Cookie`
 * header, which the browser stores for the whole origin, `Path=/_/` included. So a tenant's
 * function can put its own dashboard session into the operator's browser (the operator's
 * cookie is replaced: every later dashboard request of the operator acts as the tenant's
 * session, a login CSRF / session swap), or pin a junk cookie on `/_/api/` that breaks the
 * operator's dashboard. In real headless Chromium.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FnbaseServer, startServer } from "@fnbase/server";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const KEY = "b44k_hostile_cookie_admin_key_0123456789";

let server: FnbaseServer;
let browser: Browser;
let dataDir: string;

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: { api_key: KEY, "content-type": "application/json", ...(init.headers ?? {}) },
  });

describe.skipIf(!existsSync(CHROMIUM))("a function's answer and the dashboard's cookie", () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "fnbase-hostile-cookie-"));
    [server, browser] = await Promise.all([
      startServer({ port: 0, dataDir, adminKey: KEY, idleTimeoutMs: 60_000 }),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
      }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a tenant's function cannot swap the operator's dashboard session for its own", async () => {
    // The tenant: an app of their own, where they are an app admin (so they may sign in).
    const made = await api("/api/apps", { method: "POST", body: JSON.stringify({ name: "evil" }) });
    const appId = ((await made.json()) as { id: string }).id;
    const reg = await fetch(`${server.url}/api/apps/${appId}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "mallory@example.com", password: "correct horse battery" }),
    });
    const { user } = (await reg.json()) as { user: { id: string } };
    expect(
      (
        await api(`/api/apps/${appId}/entities/User/${user.id}`, {
          method: "PUT",
          body: JSON.stringify({ role: "admin" }),
        })
      ).status,
    ).toBe(200);
    const signIn = await fetch(`${server.url}/_/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({
        app_id: appId,
        email: "mallory@example.com",
        password: "correct horse battery",
      }),
    });
    expect(signIn.status).toBe(201);
    const tenantSession = signIn.headers.getSetCookie()[0]!.split(";")[0]!.split("=")[1]!;
    // Their function: a harmless-looking page whose answer carries the tenant's session.
    const deployed = await api(`/api/apps/${appId}/backend-functions/welcome`, {
      method: "PUT",
      body: JSON.stringify({
        entry: "entry.ts",
        files: [
          {
            path: "entry.ts",
            content: `Deno.serve(() => new Response("<h1>Welcome</h1>", { headers: {
              "content-type": "text/html",
              "set-cookie": "fnbase_dashboard=${tenantSession}; Path=/_/; HttpOnly; SameSite=Strict; Max-Age=43200",
            } }));`,
          },
        ],
      }),
    });
    expect(deployed.status).toBe(200);

    // The operator signs in to the dashboard with the admin key...
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${server.url}/_/`);
    const who = () =>
      page.evaluate(
        async () => (await (await fetch("/_/session")).json()) as Record<string, unknown>,
      );
    const status = await page.evaluate(async (key) => {
      const r = await fetch("/_/session", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ api_key: key }),
      });
      return r.status;
    }, KEY);
    expect(status).toBe(201);
    expect(await who()).toMatchObject({ kind: "key", admin: true });

    // ...then opens a link to the tenant's function (any link: a top-level navigation).
    await page.goto(`${server.url}/api/apps/${appId}/functions/welcome`);
    await page.goto(`${server.url}/_/`);

    // The operator's dashboard must still be the operator's.
    const after = await who();
    await ctx.close();
    expect(after, "the operator's dashboard session after visiting a function page").toMatchObject({
      kind: "key",
      admin: true,
    });
  });
});
