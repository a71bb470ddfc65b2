import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ECHO, type Echo, startTestServer, type TestServer } from "./helpers.js";

const DEFAULT_APP = "routes-default-app";
let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer({ defaultApp: DEFAULT_APP });
  appId = await t.createApp("routes");
  await t.createApp("default", DEFAULT_APP);
  await t.deploy(appId, "echo", ECHO);
  await t.deploy(DEFAULT_APP, "echo", ECHO.replace('"x-echo": "1"', '"x-echo": "default"'));
  await t.deploy(appId, "orders", ECHO.replace('"x-echo": "1"', '"x-echo": "orders"'));
  await t.deploy(
    appId,
    "orders/process",
    ECHO.replace('"x-echo": "1"', '"x-echo": "orders/process"'),
  );
  await t.deploy(appId, "remote", "Deno.serve((_req, info) => Response.json(info.remoteAddr));");
  await t.deploy(appId, "no-content", "Deno.serve(() => new Response(null, { status: 204 }));");
}, 120_000);
afterAll(() => t?.close());

describe("invocation routes", () => {
  it("/api/apps/{appId}/functions/{name} reaches the app's function", async () => {
    const res = await t.invoke(appId, "echo", { method: "POST", body: "hi" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo")).toBe("1");
    const echo = (await res.json()) as Echo;
    expect(echo).toMatchObject({ method: "POST", body: "hi" });
    expect(echo.headers["base44-app-id"]).toBe(appId);
  }, 60_000);

  it("/api/functions/{name} with X-App-Id reaches that app", async () => {
    const res = await fetch(`${t.url}/api/functions/echo`, { headers: { "x-app-id": appId } });
    expect(res.headers.get("x-echo")).toBe("1");
    expect(((await res.json()) as Echo).headers["base44-app-id"]).toBe(appId);
  });

  it("/api/functions/{name} without X-App-Id reaches the default app", async () => {
    const res = await fetch(`${t.url}/api/functions/echo`);
    expect(res.headers.get("x-echo")).toBe("default");
    expect(((await res.json()) as Echo).headers["base44-app-id"]).toBe(DEFAULT_APP);
  });

  it("/functions/{name} reaches the default app, and the app named by X-App-Id", async () => {
    const plain = await fetch(`${t.url}/functions/echo`, { method: "POST", body: "x" });
    expect(plain.headers.get("x-echo")).toBe("default");
    expect(((await plain.json()) as Echo).body).toBe("x");
    const named = await fetch(`${t.url}/functions/echo`, { headers: { "x-app-id": appId } });
    expect(named.headers.get("x-echo")).toBe("1");
    await named.body?.cancel();
  });

  it("every HTTP method reaches the function", async () => {
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const init: RequestInit = { method };
      if (method !== "GET") init.body = `body of ${method}`;
      const res = await t.invoke(appId, "echo", init);
      expect(res.status, method).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo.method).toBe(method);
      if (method !== "GET") expect(echo.body).toBe(`body of ${method}`);
    }
  });

  it("HEAD reaches the function and answers its headers without a body", async () => {
    const res = await t.invoke(appId, "echo", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo")).toBe("1");
    expect(await res.text()).toBe("");
  });

  it("OPTIONS without CORS preflight headers goes to the function", async () => {
    const res = await t.invoke(appId, "echo", {
      method: "OPTIONS",
      headers: { origin: "https://example.com" },
    });
    expect(res.headers.get("x-echo")).toBe("1");
    expect(((await res.json()) as Echo).method).toBe("OPTIONS");
  });

  it("a function's 204 passes through with no body", async () => {
    const res = await t.invoke(appId, "no-content", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  }, 60_000);

  it("subpaths and query strings reach the function", async () => {
    const res = await t.invoke(appId, "echo/items/42?sort=desc&tag=a&tag=b");
    const echo = (await res.json()) as Echo;
    expect(echo.path).toBe(`/api/apps/${appId}/functions/echo/items/42`);
    expect(echo.search).toBe("?sort=desc&tag=a&tag=b");
    const viaApi = await fetch(`${t.url}/api/functions/echo/deep/path?x=1`, {
      headers: { "x-app-id": appId },
    });
    const e2 = (await viaApi.json()) as Echo;
    expect(e2.path).toBe("/api/functions/echo/deep/path");
    expect(e2.search).toBe("?x=1");
  });
});

describe("nested names", () => {
  it("the longest deployed name that prefixes the path wins", async () => {
    const cases: [string, string][] = [
      ["orders", "orders"],
      ["orders/42", "orders"],
      ["orders/process", "orders/process"],
      ["orders/process/42", "orders/process"],
      ["orders/processing", "orders"],
    ];
    for (const [path, fn] of cases) {
      const res = await t.invoke(appId, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("x-echo"), path).toBe(fn);
      await res.body?.cancel();
    }
  }, 60_000);

  it("a nested name may arrive URL-encoded", async () => {
    const res = await t.invoke(appId, "orders%2Fprocess");
    expect(res.headers.get("x-echo")).toBe("orders/process");
    await res.body?.cancel();
  });
});

/** GET `path` on the test server with a Host header of our choosing (fetch will not send one). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: unknown }> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ port, path, headers: { host }, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the request a function receives", () => {
  it("has the URL the caller used as req.url, through the server and on the front's direct path", async () => {
    const { host } = new URL(t.url);
    const path = `/api/apps/${appId}/functions/echo/a%20b?q=1&r=%2F`;
    const urlWith = async (h: string) => ((await getWithHost(path, h)).body as Echo).url;
    // Each Host's first call goes through the server, the next ones straight through the front
    // (which keeps a decision per Host).
    for (let i = 0; i < 3; i++) {
      const echo = (await (await fetch(`${t.url}${path}`)).json()) as Echo;
      expect(echo.url, `call ${i + 1}`).toBe(`http://${host}${path}`);
      expect(new URL(echo.url).origin).toBe(`http://${host}`);
    }
    for (let i = 0; i < 2; i++) {
      expect(await urlWith("fns.example.com:8080")).toBe(`http://fns.example.com:8080${path}`);
      expect(await urlWith("[::1]:4400")).toBe(`http://[::1]:4400${path}`);
      // A Host that is no authority, or one the URL parser refuses (new URL(req.url) would
      // throw in the function), is refused (RFC 9112, section 3.2).
      for (const bad of ["evil.com/x?", "a@b", "fns.example.com:99999", "[::::]"]) {
        expect(await getWithHost(path, bad)).toMatchObject({
          status: 400,
          body: { code: "BAD_REQUEST" },
        });
      }
    }
  });

  it("has the caller's address in info.remoteAddr, as on a public port", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await t.invoke(appId, "remote");
      expect(await res.json(), `call ${i + 1}`).toEqual({
        transport: "tcp",
        hostname: "127.0.0.1",
        port: 0,
      });
    }
  });
});
