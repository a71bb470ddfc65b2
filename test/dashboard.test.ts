/**
 * The dashboard end to end, in real headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a real server: sign in with the admin key, create an app, enable
 * its functions, set a secret, deploy with the CLI and open the link it prints, see the
 * function and its code, invoke it from the console and watch its streamed answer arrive, see
 * its log line in a live tail open in another tab, roll back, edit a record, create a key, sign
 * in with it elsewhere and revoke it (that session ends); the Base44 CLI's link; a page a
 * function serves cannot reach the dashboard's session; 360 px and the keyboard. Screenshots of
 * the main pages go to test-artifacts/dashboard/ (and docs/screenshots/ with
 * FNBASE_UPDATE_SCREENSHOTS=1).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type FnbaseServer, startServer } from "@fnbase/server";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(REPO, "packages/cli/bin/fnbase.js");
const SHOTS = join(REPO, "test-artifacts/dashboard");
const DOC_SHOTS = join(REPO, "docs/screenshots");
const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const KEY = "b44k_dashboard_e2e_admin_key_0123456789";

/** v1 of `hello`: plain JSON. */
const HELLO_V1 = `Deno.serve(() => Response.json({ version: 1 }));\n`;
/** v2: logs a line, then streams a greeting with the secret, a pause, and the end. */
const HELLO_V2 = `Deno.serve(async (req) => {
  const { name } = await req.json();
  console.log(\`Saying hello to \${name}\`);
  const enc = new TextEncoder();
  return new Response(new ReadableStream({
    async start(c) {
      c.enqueue(enc.encode(\`\${Deno.env.get("GREETING")}, \${name}!\\n\`));
      await new Promise((r) => setTimeout(r, 1500));
      c.enqueue(enc.encode("the end\\n"));
      c.close();
    },
  }), { headers: { "content-type": "text/plain; charset=utf-8" } });
});
`;
/** A hostile function's page: tries the dashboard's cookie, session and relay. */
const EVIL = `Deno.serve(() => new Response(\`<!doctype html><title>evil</title><script>
(async () => {
  const out = {};
  try { out.cookie = document.cookie; } catch (e) { out.cookie = "blocked: " + e.name; }
  try { out.storage = String(localStorage.length); } catch (e) { out.storage = "blocked: " + e.name; }
  try { const r = await fetch("/_/session", { credentials: "include" }); out.session = r.status + " " + (await r.text()); }
  catch (e) { out.session = "blocked: " + e.name; }
  try { const r = await fetch("/_/api/apps", { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body: '{"name":"pwned"}' }); out.relay = String(r.status); }
  catch (e) { out.relay = "blocked: " + e.name; }
  document.body.dataset.result = JSON.stringify(out);
})();
</script>\`, { headers: { "content-type": "text/html" } }));
`;

let server: FnbaseServer;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let dataDir: string;
let project: string;

/** Saves a screenshot of the page under `name`. */
async function shot(p: Page, name: string): Promise<void> {
  // Mantine's transitions (menus, modals) take about 150 ms.
  await p.waitForTimeout(150);
  const file = join(SHOTS, `${name}.png`);
  // Without the toasts a change leaves in the corner.
  await p.screenshot({ path: file, style: ".mantine-Notifications-root { display: none }" });
  if (process.env.FNBASE_UPDATE_SCREENSHOTS === "1")
    await copyFile(file, join(DOC_SHOTS, `${name}.png`));
}

/** The management API with the admin key. */
async function admin<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { api_key: KEY, "content-type": "application/json", ...init.headers },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Runs the fnbase CLI in the project. */
function fnbase(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          HOME: project,
          NO_COLOR: "1",
          FNBASE_SERVER: server.url,
          FNBASE_API_KEY: KEY,
          FNBASE_LOG_LEVEL: "silent",
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

/** Waits until the locator's first element is visible. */
const visible = (l: Locator) => l.first().waitFor({ state: "visible", timeout: 10_000 });
/** Polls the locator's text. */
const text = (l: Locator) => expect.poll(() => l.first().textContent(), { timeout: 10_000 });

/** Signs in with a key on `p` (at the sign-in page). */
async function signInWith(p: Page, key: string): Promise<void> {
  await p.getByLabel("API key").fill(key);
  await p.getByRole("button", { name: "Sign in" }).click();
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? "the dashboard in headless Chromium"
    : `the dashboard in headless Chromium (skipped: ${CHROMIUM} not found; apt-get install chromium)`,
  () => {
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "fnbase-dashboard-"));
      project = await mkdtemp(join(tmpdir(), "fnbase-dashboard-project-"));
      await mkdir(SHOTS, { recursive: true });
      if (process.env.FNBASE_UPDATE_SCREENSHOTS === "1")
        await mkdir(DOC_SHOTS, { recursive: true });
      [server, browser] = await Promise.all([
        startServer({ port: 0, dataDir, adminKey: KEY, idleTimeoutMs: 60_000 }),
        chromium.launch({
          executablePath: CHROMIUM,
          headless: true,
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
          ],
        }),
      ]);
      ctx = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        colorScheme: "light",
      });
      ctx.setDefaultTimeout(10_000);
      page = await ctx.newPage();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await rm(dataDir, { recursive: true, force: true });
      await rm(project, { recursive: true, force: true });
    });

    let appId = "";

    it("signs in with the admin key and creates an app with functions enabled", async () => {
      await page.goto(`${server.url}/_/`);
      await visible(page.getByRole("button", { name: "Sign in" }));
      await shot(page, "sign-in");
      // A wrong key: the server's code and message on the page.
      await signInWith(page, "b44k_wrong");
      await text(page.getByRole("alert")).toContain("Invalid API key");
      await text(page.getByTestId("error-code")).toBe("UNAUTHORIZED");
      await signInWith(page, KEY);
      await visible(page.getByText("No apps yet"));
      await page.getByLabel("New app").fill("Shop");
      await page.getByRole("button", { name: "Create app" }).click();
      await visible(page.getByRole("heading", { name: "Shop", level: 2 }));
      appId = /\/_\/apps\/([^/]+)$/.exec(page.url())![1]!;
      const toggle = page.getByRole("switch", { name: "Functions enabled" });
      await expect.poll(() => toggle.isChecked()).toBe(true);
      await toggle.click();
      await expect.poll(() => toggle.isChecked()).toBe(false);
      expect(
        (await admin<{ functions_enabled: boolean }>(`/api/apps/${appId}`)).functions_enabled,
      ).toBe(false);
      await toggle.click();
      await expect.poll(() => toggle.isChecked()).toBe(true);
      await expect
        .poll(
          async () =>
            (await admin<{ functions_enabled: boolean }>(`/api/apps/${appId}`)).functions_enabled,
        )
        .toBe(true);
      await shot(page, "app-settings");
    });

    it("sets a secret whose value it never shows", async () => {
      await page.getByRole("link", { name: "Secrets" }).click();
      await page.getByLabel("Name").fill("GREETING");
      await page.getByLabel("Value").fill("Hej");
      await page.getByRole("button", { name: "Save secret" }).click();
      await text(page.getByTestId("secrets")).toContain("GREETING");
      expect(await page.content()).not.toContain("Hej");
      expect(await admin<Record<string, string>>(`/api/apps/${appId}/secrets`)).toEqual({
        GREETING: "****",
      });
      await shot(page, "secrets");
    });

    let dashboardLink = "";

    it("deploys with the CLI, whose printed link opens the app's functions", async () => {
      await admin(`/api/apps/${appId}/backend-functions/hello`, {
        method: "PUT",
        body: JSON.stringify({
          entry: "entry.ts",
          files: [{ path: "entry.ts", content: HELLO_V1 }],
        }),
      });
      const files: Record<string, string> = {
        "base44/config.jsonc": '{ "name": "shop" }\n',
        "base44/.app.jsonc": JSON.stringify({ id: appId }),
        "base44/functions/hello/entry.ts": HELLO_V2,
        "base44/functions/evil/entry.ts": EVIL,
        "base44/entities/Order.jsonc": JSON.stringify({
          name: "Order",
          type: "object",
          properties: { item: { type: "string" }, quantity: { type: "number" } },
          required: ["item"],
        }),
      };
      for (const [p, content] of Object.entries(files)) {
        await mkdir(dirname(join(project, p)), { recursive: true });
        await writeFile(join(project, p), content);
      }
      const r = await fnbase(["deploy"]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      dashboardLink = /Dashboard: (\S+)/.exec(r.stdout)?.[1] ?? "";
      expect(dashboardLink).toBe(`${server.url}/_/apps/${appId}/functions`);
      await page.goto(dashboardLink);
      await visible(page.getByRole("heading", { name: "Functions" }));
      await visible(page.getByRole("link", { name: "hello" }));
      await shot(page, "functions");
      await page.getByRole("link", { name: "hello" }).click();
      await text(page.getByTestId("code")).toContain("Saying hello to");
      await page.getByRole("tab", { name: "History" }).click();
      await expect.poll(() => page.getByTestId("history").getByRole("row").count()).toBe(3);
      await shot(page, "function");
    });

    let logs: Page;

    it("invokes from the console: the answer streams in, its log line reaches a live tail", async () => {
      logs = await ctx.newPage();
      await logs.goto(`${server.url}/_/apps/${appId}/logs`);
      await visible(logs.getByText("Live", { exact: true }));
      // A page in the background gets few animation frames, which every click waits for.
      await page.bringToFront();
      await page.goto(`${server.url}/_/apps/${appId}/invoke?function=hello`);
      await expect
        .poll(() => page.getByRole("combobox", { name: "Function" }).inputValue())
        .toBe("hello");
      await page.getByRole("button", { name: "Send" }).click();
      const body = page.getByTestId("invoke-body");
      // The greeting is on the page while the function still holds the rest back.
      await page.waitForFunction(() => {
        const text = document.querySelector("[data-testid=invoke-body]")?.textContent ?? "";
        return text.includes("Hej, Ada!") && !text.includes("the end");
      });
      await text(page.getByTestId("invoke-timing")).toContain("streaming");
      await text(body).toContain("the end");
      await text(page.getByTestId("invoke-status")).toBe("200 OK");
      await text(page.getByTestId("invoke-timing")).toContain("done");
      await shot(page, "invoke");
      await text(logs.getByTestId("log-lines")).toContain("Saying hello to Ada");
      await logs.bringToFront();
      await shot(logs, "logs");
      await page.bringToFront();
      // Its request id narrows the view to that request.
      await page.getByRole("link", { name: "its log lines" }).click();
      await text(page.getByTestId("log-lines")).toContain("Saying hello to Ada");
      await logs.close();
    });

    it("rolls back to the previous deployment", async () => {
      await page.goto(`${server.url}/_/apps/${appId}/functions/hello`);
      const before = await page.getByTestId("current-deployment").textContent();
      await page.getByRole("tab", { name: "History" }).click();
      await page.getByRole("button", { name: /^Roll back to / }).click();
      await text(page.getByTestId("current-deployment")).not.toBe(before!);
      const res = await fetch(`${server.url}/api/apps/${appId}/functions/hello`, {
        method: "POST",
        body: "{}",
      });
      expect(await res.json()).toEqual({ version: 1 });
    });

    it("edits a record", async () => {
      const rec = await admin<{ id: string }>(`/api/apps/${appId}/entities/Order`, {
        method: "POST",
        body: JSON.stringify({ item: "tea", quantity: 1 }),
      });
      await page.goto(`${server.url}/_/apps/${appId}/data/Order`);
      const table = page.getByTestId("records");
      await text(table).toContain("tea");
      await page.getByRole("button", { name: `Edit ${rec.id}` }).click();
      const editor = page.getByLabel("Fields (JSON)");
      await editor.fill(JSON.stringify({ item: "green tea", quantity: 3 }));
      await page.getByRole("button", { name: "Save record" }).click();
      await text(table).toContain("green tea");
      expect(await admin(`/api/apps/${appId}/entities/Order/${rec.id}`)).toMatchObject({
        item: "green tea",
        quantity: 3,
      });
      // CSV in: two more records; CSV out: every record, the edited one included.
      await page.locator('input[type="file"]').setInputFiles({
        name: "orders.csv",
        mimeType: "text/csv",
        buffer: Buffer.from('item,quantity\ncoffee,2\n"scones, warm",6\n'),
      });
      await text(page.getByText(/\(\d+ records\)/)).toContain("(3 records)");
      await text(table).toContain("scones, warm");
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Export CSV" }).click(),
      ]);
      const csv = await readFile((await download.path())!, "utf8");
      expect(csv.split("\r\n")[0]).toBe("id,item,quantity,created_date,updated_date,created_by");
      expect(csv).toContain(`${rec.id},green tea,3,`);
      expect(csv).toContain('"scones, warm",6');
      await shot(page, "data");
      await page.goto(`${server.url}/_/apps/${appId}/metrics`);
      await visible(page.getByRole("img", { name: "Latency chart" }));
      await shot(page, "metrics");
    });

    it("changes a user's role", async () => {
      const reg = await fetch(`${server.url}/api/apps/${appId}/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "grace@example.com", password: "correct horse battery" }),
      });
      const { user } = (await reg.json()) as { user: { id: string } };
      await page.goto(`${server.url}/_/apps/${appId}/users`);
      await page.getByRole("combobox", { name: "Role of grace@example.com" }).click();
      await page.getByRole("option", { name: "admin" }).click();
      await expect
        .poll(
          async () =>
            (await admin<{ role: string }>(`/api/apps/${appId}/entities/User/${user.id}`)).role,
        )
        .toBe("admin");
      await shot(page, "users");
    });

    it("creates a key, whose session ends when the key is revoked", async () => {
      await page.goto(`${server.url}/_/keys`);
      await page.getByLabel("New key").fill("laptop");
      await page.getByRole("button", { name: "Create key" }).click();
      const key = (await page.getByTestId("new-key").textContent())!.trim();
      expect(key).toMatch(/^b44k_/);
      await page.getByRole("button", { name: "Done" }).click();
      await text(page.getByTestId("api-keys")).toContain("laptop");
      await shot(page, "api-keys");
      const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const elsewhere = await other.newPage();
      await elsewhere.goto(`${server.url}/_/`);
      await signInWith(elsewhere, key);
      await text(elsewhere.getByTestId("who")).toContain("workspace key");
      await page.getByRole("button", { name: "Revoke laptop" }).click();
      await page.getByRole("button", { name: "Confirm: Revoke laptop" }).click();
      await text(page.getByTestId("api-keys")).toContain("revoked");
      await elsewhere.reload();
      await visible(elsewhere.getByRole("button", { name: "Sign in" }));
      await other.close();
    });

    it("opens the Base44 CLI's dashboard link on the app's page", async () => {
      await page.goto(`${server.url}/apps/${appId}/editor/workspace/overview`);
      await visible(page.getByRole("heading", { name: "Shop", level: 2 }));
      expect(page.url()).toBe(`${server.url}/_/apps/${appId}`);
    });

    it("a page a function serves cannot read the dashboard's cookie or session, nor use the relay", async () => {
      const before = (await admin<unknown[]>("/api/apps")).length;
      const evil = await ctx.newPage();
      const res = await evil.goto(`${server.url}/api/apps/${appId}/functions/evil`);
      expect(res?.headers()["content-security-policy"]).toContain("sandbox");
      await evil.waitForFunction(() => document.body?.dataset.result !== undefined);
      const result = JSON.parse(await evil.evaluate(() => document.body.dataset.result!)) as Record<
        string,
        string
      >;
      expect(result.cookie).toMatch(/^blocked/);
      expect(result.storage).toMatch(/^blocked/);
      expect(result.session).toMatch(/^blocked/);
      expect(result.relay).toMatch(/^blocked/);
      expect((await admin<unknown[]>("/api/apps")).length).toBe(before);
      await evil.close();
    });

    it("refuses a form another origin posts to the relay, though the browser sends the cookie", async () => {
      // Another port of the same host is the same site: SameSite=Strict lets the cookie go, and
      // the Origin check is what refuses it.
      const other: Server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<!doctype html><form method="post" action="${server.url}/_/api/apps">
          <input name="name" value="pwned"></form><script>document.forms[0].submit()</script>`);
      });
      await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
      const before = (await admin<unknown[]>("/api/apps")).length;
      const p = await ctx.newPage();
      const answered = p.waitForResponse((r) => r.url() === `${server.url}/_/api/apps`);
      await p.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      const res = await answered;
      expect(res.status()).toBe(403);
      expect(await res.json()).toMatchObject({ code: "CSRF_FAILED" });
      expect(await res.request().headerValue("cookie")).toMatch(/fnbase_dashboard=/);
      expect((await admin<unknown[]>("/api/apps")).length).toBe(before);
      await p.close();
      other.close();
    });

    it("works at 360 px and from the keyboard", async () => {
      const phone = await browser.newContext({
        viewport: { width: 360, height: 740 },
        storageState: await ctx.storageState(),
      });
      const p = await phone.newPage();
      await p.goto(`${server.url}/_/apps/${appId}/invoke`);
      await visible(p.getByRole("button", { name: "Send" }));
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await shot(p, "invoke-360px");
      await p.getByRole("button", { name: "Open the menu" }).click();
      await visible(p.getByRole("link", { name: "Functions" }));
      await p.keyboard.press("Escape");
      await p.goto(`${server.url}/_/apps/${appId}/functions`);
      await visible(p.getByRole("link", { name: "hello" }));
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      // The first Tab lands on the skip link, Enter moves focus to the page's content.
      await p.keyboard.press("Tab");
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
      await phone.close();
    });

    it("a tenant's function cannot swap the operator's dashboard session for its own", async () => {
      // The tenant: an app of their own, where they are an app admin (so they may sign in).
      const tenant = (
        await admin<{ id: string }>("/api/apps", {
          method: "POST",
          body: JSON.stringify({ name: "evil" }),
        })
      ).id;
      const reg = await fetch(`${server.url}/api/apps/${tenant}/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "mallory@example.com", password: "correct horse battery" }),
      });
      const { user } = (await reg.json()) as { user: { id: string } };
      await admin(`/api/apps/${tenant}/entities/User/${user.id}`, {
        method: "PUT",
        body: JSON.stringify({ role: "admin" }),
      });
      const signIn = await fetch(`${server.url}/_/session`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: server.url },
        body: JSON.stringify({
          app_id: tenant,
          email: "mallory@example.com",
          password: "correct horse battery",
        }),
      });
      expect(signIn.status).toBe(201);
      const tenantSession = signIn.headers.getSetCookie()[0]!.split(";")[0]!.split("=")[1]!;
      // Their function: a harmless-looking page whose answer carries the tenant's session.
      await admin(`/api/apps/${tenant}/backend-functions/welcome`, {
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
      // The operator, signed in with the admin key, opens a link to the tenant's function.
      const p = await ctx.newPage();
      await p.goto(`${server.url}/_/`);
      const who = () =>
        p.evaluate(
          async () => (await (await fetch("/_/session")).json()) as Record<string, unknown>,
        );
      expect(await who()).toMatchObject({ kind: "key", admin: true });
      await p.goto(`${server.url}/api/apps/${tenant}/functions/welcome`);
      await p.goto(`${server.url}/_/`);
      // The operator's dashboard must still be the operator's.
      const after = await who();
      await p.close();
      expect(after, "the operator's session after visiting a function page").toMatchObject({
        kind: "key",
        admin: true,
      });
    });
  },
);
