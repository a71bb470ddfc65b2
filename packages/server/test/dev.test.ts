import { createHash, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../src/dev/dev-server.js";

const QUICKSTART = resolve(dirname(fileURLToPath(import.meta.url)), "../../../examples/quickstart");

let dir: string;
let dev: DevServer;
const printed: { kind: string; message: string }[] = [];
const fn = (path: string, init?: RequestInit) => fetch(`${dev.server.url}/functions/${path}`, init);
const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fnbase-dev-"));
  await cp(QUICKSTART, dir, {
    recursive: true,
    filter: (src) => !/[\\/](\.fnbase|\.types|\.app\.jsonc)$/.test(src),
  });
  dev = await startDevServer({
    dir,
    port: 0,
    dataDir: join(dir, ".fnbase"),
    debounceMs: 50,
    idleTimeoutMs: 5_000,
    print: (kind, message) => printed.push({ kind, message }),
  });
}, 120_000);
afterAll(async () => {
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("fnbase dev on examples/quickstart", () => {
  it("deploys every example function at start", () => {
    expect(dev.server.functionNames(dev.appId).sort()).toEqual([
      "default-export",
      "hello",
      "orders/all",
      "orders/get",
      "orders/process",
      "stream",
      "upload",
      "validate",
    ]);
    expect(printed.filter((p) => p.kind === "problem")).toEqual([]);
  });

  it("serves the JSON function from a body and from the query", async () => {
    expect(await (await fn("hello", json({ name: "Ada" }))).json()).toEqual({
      message: "Hello, Ada!",
    });
    expect(await (await fn("hello?name=Grace")).json()).toEqual({ message: "Hello, Grace!" });
  }, 60_000);

  it("serves the nested function with its shared helper", async () => {
    const res = await fn(
      "orders/process",
      json({
        items: [
          { price_cents: 250, quantity: 2 },
          { price_cents: 100, quantity: 1 },
        ],
      }),
    );
    expect(await res.json()).toEqual({ status: "processed", total_cents: 600 });
  }, 60_000);

  it("passes the validate function's 422 through and serves the default export", async () => {
    const bad = await fn("validate", json({ email: "nope" }));
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: "Invalid email", field: "email" });
    const good = await fn("validate", json({ email: "a@b.c" }));
    expect(await good.json()).toEqual({ ok: true, email: "a@b.c" });
    const def = await fn("default-export", { method: "PATCH" });
    expect(await def.json()).toMatchObject({ method: "PATCH" });
  }, 60_000);

  it("streams the SSE function's events", async () => {
    const res = await fn("stream");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    expect(text.match(/^data: /gm)).toHaveLength(5);
  }, 60_000);

  it("answers the upload's name, size and sha256", async () => {
    const bytes = randomBytes(100_000);
    const form = new FormData();
    form.append("file", new Blob([bytes]), "photo.jpg");
    const res = await fn("upload", { method: "POST", body: form });
    expect(await res.json()).toEqual({
      name: "photo.jpg",
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }, 60_000);

  it("pushes the Order entity; its functions read orders under the access rules", async () => {
    expect(printed).toContainEqual({ kind: "info", message: "Entities: created Order" });
    const api = (path: string, init?: RequestInit) =>
      fetch(`${dev.server.url}/api/apps/${dev.appId}/${path}`, init);
    const register = async (email: string) => {
      const res = await api("auth/register", json({ email, password: "correct horse battery" }));
      return (await res.json()) as { access_token: string; user: { id: string } };
    };
    const ada = await register("ada@example.com");
    const bob = await register("bob@example.com");
    const as = (token: string, init: RequestInit = {}) => ({
      ...init,
      headers: { ...init.headers, authorization: `Bearer ${token}` },
    });
    const order = (await (
      await api("entities/Order", as(ada.access_token, json({ item: "tea" })))
    ).json()) as { id: string; status: string };
    expect(order.status).toBe("open");
    const mine = await fn(`orders/get?id=${order.id}`, as(ada.access_token));
    expect(await mine.json()).toMatchObject({ order: { id: order.id, item: "tea" } });
    const theirs = await fn(`orders/get?id=${order.id}`, as(bob.access_token));
    expect(theirs.status).toBe(404);
    await theirs.text();
    expect((await fn("orders/all", as(ada.access_token))).status).toBe(403);
    await api(`entities/User/${ada.user.id}`, {
      method: "PUT",
      headers: { api_key: dev.server.adminKey!, "content-type": "application/json" },
      body: JSON.stringify({ role: "admin" }),
    });
    const all = await fn("orders/all", as(ada.access_token));
    expect(await all.json()).toMatchObject({ open: 1, orders: [{ id: order.id }] });
  }, 60_000);

  it("pushes an edited entity schema on save and keeps the records", async () => {
    const file = join(dir, "base44/entities/Order.jsonc");
    const schema = JSON.parse((await readFile(file, "utf8")).replace(/^\s*\/\/.*$/gm, "")) as {
      properties: Record<string, unknown>;
    };
    schema.properties.note = { type: "string" };
    const reloaded = dev.reloaded();
    await writeFile(file, JSON.stringify(schema, null, 2));
    await reloaded;
    expect(printed).toContainEqual({ kind: "reload", message: "Entities: updated Order" });
    const count = await fetch(`${dev.server.url}/api/apps/${dev.appId}/entities/Order/count`, {
      headers: { api_key: dev.server.adminKey! },
    });
    expect(await count.json()).toEqual({ count: 1 });
  }, 60_000);

  it("redeploys an edited function so the next request runs the new code", async () => {
    await (await fn("hello")).text();
    const reloaded = dev.reloaded();
    await writeFile(
      join(dir, "base44/functions/hello/entry.ts"),
      'Deno.serve(() => Response.json({ message: "Edited" }));\n',
    );
    await reloaded;
    expect(await (await fn("hello")).json()).toEqual({ message: "Edited" });
    expect(printed).toContainEqual({
      kind: "reload",
      message: "Reloaded hello: the next request runs the new code",
    });
  }, 60_000);

  it("reports an entry file in the functions root without stopping", async () => {
    const reloaded = dev.reloaded();
    await writeFile(join(dir, "base44/functions/entry.ts"), "Deno.serve(() => new Response());\n");
    await reloaded;
    const problems = printed.filter((p) => p.kind === "problem").map((p) => p.message);
    expect(problems.join("\n")).toMatch(/named subfolder/);
    expect((await fn("hello")).status).toBe(200);
    const removed = dev.reloaded();
    await rm(join(dir, "base44/functions/entry.ts"));
    await removed;
  }, 60_000);

  it("reports two functions with one name without stopping", async () => {
    const before = printed.length;
    const reloaded = dev.reloaded();
    await mkdir(join(dir, "base44/functions/hello-again"));
    await writeFile(
      join(dir, "base44/functions/hello-again/entry.ts"),
      "Deno.serve(() => new Response('x'));\n",
    );
    await writeFile(
      join(dir, "base44/functions/hello-again/function.jsonc"),
      '{ "name": "hello", "entry": "entry.ts" }\n',
    );
    await reloaded;
    // Writing two files can take two debounced reloads; wait for the problem to show.
    for (let i = 0; i < 20 && !printed.slice(before).some((p) => p.kind === "problem"); i++) {
      await dev.reloaded();
    }
    const problems = printed.slice(before).filter((p) => p.kind === "problem");
    expect(problems.map((p) => p.message).join("\n")).toMatch(/Duplicate function name "hello"/);
    expect(await (await fn("hello")).json()).toEqual({ message: "Edited" });
  }, 60_000);
});

describe("a function that never deployed", () => {
  it("answers 404 with why it did not deploy, then serves once fixed", async () => {
    const reloaded = dev.reloaded();
    await mkdir(join(dir, "base44/functions/broken"), { recursive: true });
    await writeFile(join(dir, "base44/functions/broken/entry.ts"), "Deno.serve(() => {\n");
    await reloaded;
    for (let i = 0; i < 20 && !printed.some((p) => /broken/.test(p.message)); i++) {
      await dev.reloaded();
    }
    const res = await fn("broken");
    expect(res.status).toBe(404);
    const body = (await res.json()) as { code: string; hint: string };
    expect(body.code).toBe("FUNCTION_NOT_FOUND");
    expect(body.hint).toMatch(/^fnbase dev could not deploy it: .*broken\/entry\.ts:\d+:\d+/);
    // A name the project has no folder for says where functions come from.
    const other = (await (await fn("nowhere")).json()) as { hint: string };
    expect(other.hint).toMatch(/base44\/functions\/<name>\/entry\.ts/);
    const fixed = dev.reloaded();
    await writeFile(
      join(dir, "base44/functions/broken/entry.ts"),
      "Deno.serve(() => new Response('mended'));\n",
    );
    await fixed;
    for (let i = 0; i < 20 && !dev.server.functionNames(dev.appId).includes("broken"); i++) {
      await dev.reloaded();
    }
    expect(await (await fn("broken")).text()).toBe("mended");
  }, 60_000);
});
