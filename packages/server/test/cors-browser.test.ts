/**
 * CORS in real headless Chromium (Debian's `chromium`, driven by playwright-core, as the SDK's
 * browser test does): a function that answers its own preflights (an OPTIONS handler with
 * Access-Control-Allow-Credentials) gets credentialed cross-origin calls through, as on bare
 * Deno, whatever the app's CORS settings; a function without one is covered by the app's
 * settings, the gateway answering its preflights.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const hasChromium = existsSync(CHROMIUM);

/** Answers CORS itself, credentials included, for any http://127.0.0.1 origin. */
const OWN_CORS = `
Deno.serve((req) => {
  const origin = req.headers.get("origin") ?? "";
  const cors = origin.startsWith("http://127.0.0.1:")
    ? { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" }
    : {};
  if (req.method === "OPTIONS") {
    return new Response(null, {
      status: 204,
      headers: { ...cors, "access-control-allow-methods": "POST", "access-control-allow-headers": "content-type, x-custom" },
    });
  }
  return Response.json(
    { cookie: req.headers.get("cookie"), custom: req.headers.get("x-custom") },
    { headers: cors },
  );
});`;

/** Knows nothing of CORS. */
const PLAIN = `Deno.serve((req) => Response.json({ custom: req.headers.get("x-custom") }));`;

/** Serves an empty page on its own origin. */
async function startPageServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>cors</title>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? "CORS in headless Chromium"
    : `CORS in headless Chromium (skipped: ${CHROMIUM} not found; apt-get install chromium)`,
  () => {
    let t: TestServer;
    let pageServer: { url: string; server: Server };
    let browser: Browser;
    let page: Page;
    let closedApp: string;
    let openApp: string;

    beforeAll(async () => {
      [t, pageServer, browser] = await Promise.all([
        startTestServer(),
        startPageServer(),
        chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
      ]);
      // One app allows no origin, the other the page's.
      closedApp = await t.createApp("closed");
      openApp = await t.createApp("open");
      await t.admin(`/api/apps/${openApp}`, {
        method: "PATCH",
        body: JSON.stringify({ cors_origins: [pageServer.url] }),
      });
      for (const app of [closedApp, openApp]) await t.deploy(app, "own", OWN_CORS);
      await t.deploy(openApp, "plain", PLAIN);
      page = await browser.newPage();
      await page.goto(pageServer.url);
      // A cookie for 127.0.0.1 (cookies ignore the port): sent only on credentialed calls.
      await page
        .context()
        .addCookies([{ name: "session", value: "abc", domain: "127.0.0.1", path: "/" }]);
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => pageServer?.server.close(resolve));
      await t?.close();
    });

    /** A preflighted POST from the page; its JSON, or the error the browser gave. */
    const call = (url: string, credentials: RequestCredentials) =>
      page.evaluate(
        async ({ url, credentials }) => {
          try {
            const res = await fetch(url, {
              method: "POST",
              credentials,
              headers: { "content-type": "application/json", "x-custom": "1" },
              body: "{}",
            });
            return { status: res.status, body: await res.json() };
          } catch (err) {
            return { error: String(err) };
          }
        },
        { url, credentials },
      );

    it("lets a function's own OPTIONS handler answer credentialed preflights", async () => {
      for (const app of [closedApp, openApp]) {
        // Twice: the second call goes straight from the front (preflights always through Node).
        for (let i = 0; i < 2; i++) {
          const r = await call(`${t.url}/api/apps/${app}/functions/own`, "include");
          expect(r).toEqual({ status: 200, body: { cookie: "session=abc", custom: "1" } });
        }
      }
    }, 30_000);

    it("answers the preflights of a function without one from the app's CORS settings", async () => {
      for (let i = 0; i < 2; i++) {
        const r = await call(`${t.url}/api/apps/${openApp}/functions/plain`, "omit");
        expect(r).toEqual({ status: 200, body: { custom: "1" } });
      }
      // The app's settings grant no credentials: the browser refuses a credentialed call.
      const cred = await call(`${t.url}/api/apps/${openApp}/functions/plain`, "include");
      expect(cred).toMatchObject({ error: expect.stringContaining("Failed to fetch") });
    }, 30_000);
  },
);
