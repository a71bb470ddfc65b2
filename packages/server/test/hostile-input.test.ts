/**
 * Issue 15 §4: inputs that gave a 500 or left debris. Each gets a coded 4xx (or is handled as
 * the name it is), leaves nothing behind, and a start-up cleans what an earlier crash left.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  type DeployBody,
  oneFile,
  startTestServer,
  type TestServer,
} from "./helpers.js";

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("hostile");
}, 120_000);
afterAll(() => t?.close());

/** Every deployment folder under `deployments/<app>/`, temp ones included. */
async function deploymentsTree(): Promise<string[]> {
  const root = join(t.dataDir, "deployments");
  const out: string[] = [];
  for (const app of await readdir(root)) {
    if (app === ".format") continue;
    for (const d of await readdir(join(root, app))) out.push(`${app}/${d}`);
  }
  return out.sort();
}

async function coded(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as { code: string; error: string };
  expect(body.code).toBe(code);
  expect(body.error.length).toBeLessThan(400);
  return body.error;
}

const put = (name: string, body: DeployBody) =>
  t.admin(`/api/apps/${appId}/backend-functions/${encodeURIComponent(name)}`, {
    method: "PUT",
    body: JSON.stringify(body),
  });
const serve = 'Deno.serve(() => new Response("ok"));\n';
const withFiles = (...paths: string[]): DeployBody => ({
  entry: "entry.ts",
  files: [{ path: "entry.ts", content: serve }, ...paths.map((path) => ({ path, content: "x" }))],
});

describe("deploys that cannot be written are a 400 and leave nothing in deployments/", () => {
  it.each([
    ["the path .", "fn", withFiles("."), "INVALID_PATH", /"\." names the function's own folder/],
    [
      "../f1 in the function f1 (its own folder)",
      "f1",
      withFiles("../f1"),
      "INVALID_PATH",
      /"\.\.\/f1" names the function's own folder/,
    ],
    [
      "a file a beside a/b",
      "fn",
      withFiles("a", "a/b"),
      "INVALID_PATH",
      /"a" is also the folder of "a\/b"/,
    ],
    [
      "a file named like a folder the function lives in",
      "orders/process",
      withFiles("../../orders"),
      "INVALID_PATH",
      /file path "\.\." is also the folder of the function/,
    ],
    [
      "a 300-byte file name",
      "fn",
      withFiles(`${"n".repeat(300)}.ts`),
      "INVALID_PATH",
      /longer than 255 bytes/,
    ],
    [
      "a 3,000-level path",
      "fn",
      withFiles(`${"a/".repeat(3000)}x.ts`),
      "INVALID_PATH",
      /longer than 1024 bytes/,
    ],
    [
      "an entry of .",
      "fn",
      { entry: ".", files: [{ path: "entry.ts", content: serve }] },
      "INVALID_PATH",
      /names the function's own folder/,
    ],
    [
      "a 5,000-character function name",
      "f".repeat(5000),
      oneFile(serve),
      "INVALID_NAME",
      /longer than 200 characters/,
    ],
    [
      "timeout_seconds of 0.0001",
      "fn",
      oneFile(serve, { timeout_seconds: 0.0001 }),
      "BAD_REQUEST",
      /"timeout_seconds" must be a number of seconds from 0\.1 to 3600: 0\.0001/,
    ],
  ])("%s", async (_, name, body, code, message) => {
    const before = await deploymentsTree();
    const error = await coded(await put(name, body), 400, code);
    expect(error).toMatch(message);
    expect(await deploymentsTree()).toEqual(before);
  });

  it("code refused by the check leaves no temp folder either", async () => {
    const before = await deploymentsTree();
    await coded(await put("broken", oneFile("Deno.serve(() => {;\n")), 400, "INVALID_CODE");
    expect(await deploymentsTree()).toEqual(before);
  });
});

describe("apps, users, secrets and queries", () => {
  const createApp = (body: unknown) =>
    t.admin("/api/apps", { method: "POST", body: JSON.stringify(body) });
  const patchApp = (body: unknown) =>
    t.admin(`/api/apps/${appId}`, { method: "PATCH", body: JSON.stringify(body) });
  const appCount = async () => ((await (await t.admin("/api/apps")).json()) as unknown[]).length;

  it("a 1 MB app name is refused (by the body limit), a 300 KB one by the name's", async () => {
    const n = await appCount();
    await coded(await createApp({ name: "a".repeat(1024 * 1024) }), 413, "PAYLOAD_TOO_LARGE");
    const error = await coded(
      await createApp({ name: "a".repeat(300 * 1024) }),
      400,
      "BAD_REQUEST",
    );
    expect(error).toContain("at most 200 characters");
    await coded(await patchApp({ name: "a".repeat(300 * 1024) }), 400, "BAD_REQUEST");
    expect(await appCount()).toBe(n);
  });

  it("a NUL in an app name is refused", async () => {
    const n = await appCount();
    await coded(await createApp({ name: "shop\u0000x" }), 400, "BAD_REQUEST");
    await coded(await patchApp({ name: "shop\u0000x" }), 400, "BAD_REQUEST");
    expect(await appCount()).toBe(n);
  });

  it("a NUL in a user's email or name is refused, and no user is made", async () => {
    const register = (body: unknown) =>
      fetch(`${t.url}/api/apps/${appId}/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await coded(
      await register({ email: "ada\u0000@example.com", password: "correct horse 1" }),
      400,
      "BAD_REQUEST",
    );
    await coded(
      await register({
        email: "ada@example.com",
        password: "correct horse 1",
        full_name: "A\u0000",
      }),
      400,
      "BAD_REQUEST",
    );
    const login = await fetch(`${t.url}/api/apps/${appId}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "correct horse 1" }),
    });
    expect(login.status).toBe(401);
  });

  it("20,000 domains on an app are refused; the app keeps its domains", async () => {
    const domains = Array.from({ length: 20_000 }, (_, i) => `d${i}.example.com`);
    const error = await coded(await patchApp({ domains }), 400, "BAD_REQUEST");
    expect(error).toBe('"domains" may hold at most 100 entries: got 20000');
    await coded(await patchApp({ domains: ["shop.example.com\u0000"] }), 400, "BAD_REQUEST");
    const app = (await (await t.admin(`/api/apps/${appId}`)).json()) as { domains: string[] };
    expect(app.domains).toEqual([]);
  });

  it("?skip=1e300 on the entity routes is a 400", async () => {
    await coded(
      await fetch(`${t.url}/api/apps/${appId}/entities/User?skip=1e300`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      }),
      400,
      "INVALID_QUERY",
    );
  });

  it("a secret named __proto__ is listed, and the function reads it", async () => {
    const set = await t.admin(`/api/apps/${appId}/secrets`, {
      method: "POST",
      body: '{"__proto__":"proto-value"}',
    });
    expect(set.status).toBe(200);
    const names = await (await t.admin(`/api/apps/${appId}/secrets`)).text();
    expect(JSON.parse(names)).toHaveProperty("__proto__", "****");
    await t.deploy(
      appId,
      "reads-proto",
      'Deno.serve(() => new Response(Deno.env.get("__proto__")));',
    );
    expect(await (await t.invoke(appId, "reads-proto")).text()).toBe("proto-value");
  });
});

describe("start-up", () => {
  it("removes the temp deployment folders and instance folders an earlier crash left", async () => {
    const t0 = await startTestServer();
    const app = await t0.createApp("crashed");
    await t0.deploy(app, "hello", serve);
    const tmp = join(t0.dataDir, "deployments", app, "0123456789abcdef01234567.tmp-1a2b3c4d");
    const stale = join(t0.dataDir, "instances", "a1b2c3d4e5f6");
    await t0.server.close();
    await mkdir(join(tmp, "functions", "hello"), { recursive: true });
    await writeFile(join(tmp, "functions", "hello", "entry.ts"), serve);
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, "http.sock"), "");

    const t1 = await startTestServer({ dataDir: t0.dataDir });
    try {
      const left = await readdir(join(t0.dataDir, "deployments", app));
      expect(left).toHaveLength(1);
      expect(left[0]).not.toContain(".tmp-");
      expect(await readdir(join(t0.dataDir, "instances"))).not.toContain("a1b2c3d4e5f6");
      expect(await (await t1.invoke(app, "hello")).text()).toBe("ok");
    } finally {
      await t1.close();
      await t0.close();
    }
  }, 60_000);
});
