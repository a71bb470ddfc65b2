// The built SDK in real headless Chromium (Debian's `chromium`, driven by playwright-core): a
// page on one origin uploads a file through functions.invoke to an fnbase server on another.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFunctions, startFnbase, type TestServer, testEmail } from "./helpers/fnbase.js";

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

const SDK_DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const AXIOS_ESM = fileURLToPath(
  new URL("../esm/axios.js", `file://${createRequire(import.meta.url).resolve("axios")}`),
);

/** The page: axios through an import map, the built SDK as an ES module, a file input. */
const PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>fnbase SDK browser test</title>
    <script type="importmap">{ "imports": { "axios": "/vendor/axios.js" } }</script>
  </head>
  <body>
    <input type="file" id="file" />
    <script type="module">
      import * as sdk from "/sdk/index.js";
      window.sdk = sdk;
      document.body.dataset.ready = "yes";
    </script>
  </body>
</html>`;

/** Serves the page, `/sdk/*` from the SDK's dist/ and `/vendor/axios.js`, on port 0. */
async function startPageServer(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    let file: string | undefined;
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
      return;
    }
    if (path === "/vendor/axios.js") file = AXIOS_ESM;
    else if (path.startsWith("/sdk/")) {
      const relative = normalize(path.slice("/sdk/".length));
      if (!relative.startsWith("..")) file = join(SDK_DIST, relative);
    }
    const body = file && extname(file) === ".js" ? await readFile(file).catch(() => null) : null;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What the page's script sees: the built SDK's exports. */
type PageWindow = typeof globalThis & { sdk: typeof import("../src/index.js") };

describe.skipIf(!hasChromium)(
  hasChromium
    ? "the SDK in headless Chromium"
    : `the SDK in headless Chromium (skipped: ${CHROMIUM} not found; apt-get install chromium)`,
  () => {
    let fnbase: TestServer;
    let pageServer: { url: string; server: Server };
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      if (!existsSync(join(SDK_DIST, "index.js"))) {
        throw new Error(
          `The SDK is not built: ${SDK_DIST}index.js is missing (npx tsc -b packages/sdk)`,
        );
      }
      [fnbase, pageServer, browser] = await Promise.all([
        startFnbase(await loadFunctions("upload", "echo")),
        startPageServer(),
        chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
      ]);
      // A different origin from the server's: the app must allow it (CORS).
      await fnbase.patchApp({ cors_origins: [pageServer.url] });
      page = await browser.newPage();
      await page.goto(pageServer.url);
      await page.waitForSelector("body[data-ready=yes]");
    });
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => pageServer?.server.close(resolve));
      await fnbase?.[Symbol.asyncDispose]();
    });

    it("uploads a file chosen in an <input type=file> through functions.invoke", async () => {
      const bytes = randomBytes(300 * 1024 + 3);
      await page.setInputFiles("#file", {
        name: "photo.bin",
        mimeType: "application/octet-stream",
        buffer: bytes,
      });
      const data = await page.evaluate(
        async ({ appId, serverUrl }) => {
          const { sdk } = window as unknown as PageWindow;
          const client = sdk.createClient({ appId, serverUrl });
          const input = document.querySelector<HTMLInputElement>("#file")!;
          const res = await client.functions.invoke("upload", {
            file: input.files![0]!,
            note: "from the browser",
          });
          return res.data;
        },
        { appId: fnbase.appId, serverUrl: fnbase.url },
      );
      expect(data).toEqual({
        name: "photo.bin",
        size: bytes.byteLength,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        meta: null,
        note: "from the browser",
      });
    });

    it("keeps the signed-in user's token across a reload", async () => {
      const email = testEmail();
      const password = "correct horse battery";
      const config = { appId: fnbase.appId, serverUrl: fnbase.url, email, password };
      await page.evaluate(async ({ appId, serverUrl, email, password }) => {
        const { sdk } = window as unknown as PageWindow;
        const client = sdk.createClient({ appId, serverUrl });
        await client.auth.register({ email, password });
        await client.auth.loginViaEmailPassword(email, password);
      }, config);
      await page.reload();
      await page.waitForSelector("body[data-ready=yes]");
      const after = await page.evaluate(async ({ appId, serverUrl }) => {
        const { sdk } = window as unknown as PageWindow;
        const client = sdk.createClient({ appId, serverUrl });
        const me = await client.auth.me();
        const res = await client.functions.invoke("echo", {});
        return { email: me.email, hasUserToken: res.data.hasUserToken };
      }, config);
      expect(after).toEqual({ email, hasUserToken: true });
    });
  },
);
