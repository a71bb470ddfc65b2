/**
 * A frontend in real headless Chromium (Debian's `chromium`, playwright-core): a page on its own
 * origin loads `@base44/sdk` 0.8.50 (the browser build fnbase ships), subscribes to an entity
 * through the server's public port, and sees another user's create only when the entity's
 * access rules let its user read it.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { base44SdkBundlePath } from "@fnbase/runtime";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient, type TestUser } from "../entities/entity-helpers.js";
import { startTestServer, type TestServer } from "../helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8" /><title>realtime</title></head>
<body><script type="module">
  import { createClient } from "/sdk.js";
  window.events = [];
  window.start = (serverUrl, appId, token) => {
    const base44 = createClient({ serverUrl, appId, token });
    base44.entities.Note.subscribe((e) => window.events.push(e));
  };
  document.body.dataset.ready = "yes";
</script></body></html>`;

let t: TestServer;
let e: EntityClient;
let ada: TestUser;
let bob: TestUser;
let carol: TestUser;
let pages: Server;
let browser: Browser;

async function startPages(): Promise<string> {
  const sdk = await readFile(base44SdkBundlePath);
  pages = createServer((req, res) => {
    if (req.url === "/sdk.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(sdk);
    } else {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
    }
  });
  await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  t = await startTestServer();
  e = await entityClient(t, "realtime-browser");
  // Notes are read by their author and by the users named in `readers`.
  await e.push({
    Note: {
      name: "Note",
      properties: {
        text: { type: "string" },
        readers: { type: "array", items: { type: "string" } },
      },
      rls: {
        create: true,
        read: { $or: [{ created_by_id: "{{user.id}}" }, { "data.readers": "{{user.email}}" }] },
      },
    },
  });
  [ada, bob, carol] = await Promise.all([
    e.user("ada@example.com"),
    e.user("bob@example.com"),
    e.user("carol@example.com"),
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  pages?.close();
  await t?.close();
});

describe.skipIf(!existsSync(CHROMIUM))("realtime in a browser", () => {
  it("shows another user's create only when the rules let the page's user read it", async () => {
    const origin = await startPages();
    const page: Page = await browser.newPage();
    await page.goto(origin);
    await page.waitForSelector("body[data-ready=yes]", { state: "attached" });
    await page.evaluate(
      ([url, appId, token]) =>
        (window as unknown as { start: (...a: string[]) => void }).start(url!, appId!, token!),
      [t.url, e.appId, ada.token],
    );
    const events = () =>
      page.evaluate(
        () => (window as unknown as { events: { type: string; data: { text: string } }[] }).events,
      );
    // Bob writes notes until ada's page has one it may read: then the subscription is live.
    let shared: { id: string } | undefined;
    for (let i = 0; i < 100 && (await events()).length === 0; i++) {
      await e.ok(bob.as, "POST", "Note", { text: `private ${i}` }, 201);
      shared = await e.ok<{ id: string }>(
        bob.as,
        "POST",
        "Note",
        { text: `for ada ${i}`, readers: ["ada@example.com"] },
        201,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(shared).toBeDefined();
    await e.ok(carol.as, "POST", "Note", { text: "carol's own" }, 201);
    const last = await e.ok<{ id: string }>(
      bob.as,
      "POST",
      "Note",
      { text: "last for ada", readers: ["ada@example.com"] },
      201,
    );
    await page.waitForFunction(
      (id) => (window as unknown as { events: { id: string }[] }).events.some((x) => x.id === id),
      last.id,
    );
    const texts = (await events()).map((x) => x.data.text);
    expect(texts.every((text) => text.startsWith("for ada") || text === "last for ada")).toBe(true);
    expect(texts).toContain("last for ada");
    expect(texts.some((text) => text.startsWith("private") || text === "carol's own")).toBe(false);
    await page.close();
  }, 60_000);
});
