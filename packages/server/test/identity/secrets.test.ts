import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server.js";
import { expectError, startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;
let appId: string;

const READ_SECRET = `
import { secrets } from "base44:runtime";
Deno.serve((req) => {
  const name = new URL(req.url).searchParams.get("name") ?? "";
  let env;
  try { env = Deno.env.get(name) ?? null; } catch (e) { env = "error:" + e.name; }
  return Response.json({ env, runtime: secrets.get(name) ?? null });
});
`;

const post = (body: unknown) => ({ method: "POST", body: JSON.stringify(body) });
const read = async (name: string) => {
  const res = await t.invoke(appId, `read?name=${name}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { env: string | null; runtime: string | null };
};

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("secrets");
  await t.deploy(appId, "read", READ_SECRET);
}, 120_000);
afterAll(() => t?.close());

describe("secrets", () => {
  it("are set, listed by name only, and read by a function from env and base44:runtime", async () => {
    const set = await t.admin(
      `/api/apps/${appId}/secrets`,
      post({ STRIPE_KEY: "sk_test_first", OTHER: "x" }),
    );
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ success: true });
    const list = await t.admin(`/api/apps/${appId}/secrets`);
    const names = (await list.json()) as Record<string, string>;
    expect(Object.keys(names).sort()).toEqual(["OTHER", "STRIPE_KEY"]);
    expect(JSON.stringify(names)).not.toContain("sk_test_first");
    expect(await read("STRIPE_KEY")).toEqual({ env: "sk_test_first", runtime: "sk_test_first" });
  });

  it("reach the next request after a change, with no redeploy", async () => {
    await t.admin(`/api/apps/${appId}/secrets`, post({ STRIPE_KEY: "sk_test_second" }));
    expect(await read("STRIPE_KEY")).toEqual({ env: "sk_test_second", runtime: "sk_test_second" });
  });

  it("are gone from the function once deleted", async () => {
    await t.admin(`/api/apps/${appId}/secrets`, post({ TO_DELETE: "bye" }));
    expect((await read("TO_DELETE")).env).toBe("bye");
    const del = await t.admin(`/api/apps/${appId}/secrets?secret_name=TO_DELETE`, {
      method: "DELETE",
    });
    expect(await del.json()).toEqual({ success: true });
    const after = await read("TO_DELETE");
    expect(after.runtime).toBeNull();
    expect(after.env).toBeNull();
    const again = await t.admin(`/api/apps/${appId}/secrets?secret_name=TO_DELETE`, {
      method: "DELETE",
    });
    await expectError(again, 404, "NOT_FOUND");
  });

  it.each([
    ["1ABC", "Invalid"],
    ["HAS-DASH", "Invalid"],
    ["has space", "Invalid"],
    ["", "Invalid"],
    ["DENO_DIR", "Reserved"],
    ["DENO_V8_FLAGS", "Reserved"],
    ["FNBASE_MASTER_KEY", "Reserved"],
    ["BASE44_API_KEY", "Reserved"],
    ["PATH", "Reserved"],
    ["HOME", "Reserved"],
    ["TMPDIR", "Reserved"],
    ["LD_PRELOAD", "Reserved"],
    ["NPM_CONFIG_REGISTRY", "Reserved"],
    ["https_proxy", "Reserved"],
  ])("refuse the name %j with 400", async (name, kind) => {
    const res = await t.admin(`/api/apps/${appId}/secrets`, post({ [name]: "v", GOOD: "ok" }));
    const body = await expectError(res, 400, "INVALID_SECRET_NAME");
    expect(body.error).toBe(`${kind} secret name: ${JSON.stringify(name)}`);
    const names = (await (await t.admin(`/api/apps/${appId}/secrets`)).json()) as object;
    expect(names).not.toHaveProperty("GOOD");
  });

  it("refuse values over the size limit and non-string values", async () => {
    const big = await t.admin(`/api/apps/${appId}/secrets`, post({ BIG: "x".repeat(40_000) }));
    await expectError(big, 413, "PAYLOAD_TOO_LARGE");
    const num = await t.admin(`/api/apps/${appId}/secrets`, post({ NUM: 42 }));
    await expectError(num, 400, "BAD_REQUEST");
  });

  it("refuse the per-app total over its limit", async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 9; i++) many[`CHUNK_${i}`] = "y".repeat(30_000);
    const res = await t.admin(`/api/apps/${appId}/secrets`, post(many));
    await expectError(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("reach a function whole at the app's size limit, multi-byte characters included", async () => {
    // The secrets travel in the instance's assignment on stdin, which arrives in many pieces.
    const app = await t.createApp("big-secrets");
    await t.deploy(app, "read", READ_SECRET);
    const values: Record<string, string> = {};
    for (let i = 0; i < 7; i++) values[`WIDE_${i}`] = `${"é".repeat(16_000)}${i}`;
    expect((await t.admin(`/api/apps/${app}/secrets`, post(values))).status).toBe(200);
    for (const [name, value] of Object.entries(values)) {
      const res = await t.invoke(app, `read?name=${name}`);
      expect(((await res.json()) as { env: string }).env === value, name).toBe(true);
    }
  });

  it("need an API key", async () => {
    await expectError(await fetch(`${t.url}/api/apps/${appId}/secrets`), 401, "UNAUTHORIZED");
  });

  it("are encrypted at rest under a 0600 key file", async () => {
    await t.admin(`/api/apps/${appId}/secrets`, post({ AT_REST: "clear-text-marker-987" }));
    const db = await readFile(join(t.dataDir, "fnbase.db"));
    const wal = await readFile(join(t.dataDir, "fnbase.db-wal")).catch(() => Buffer.alloc(0));
    expect(Buffer.concat([db, wal]).includes("clear-text-marker-987")).toBe(false);
    expect((await stat(join(t.dataDir, "master.key"))).mode & 0o777).toBe(0o600);
  });
});

describe("the master key", () => {
  it("must match the one the data dir was sealed with, or the server refuses to start", async () => {
    const keyA = "a".repeat(64);
    const keyB = "b".repeat(64);
    const s = await startTestServer({ masterKey: keyA });
    const dataDir = s.dataDir;
    const app = await s.createApp("sealed");
    await s.admin(`/api/apps/${app}/secrets`, post({ SEALED: "value" }));
    await s.server.close();
    try {
      await expect(startServer({ port: 0, dataDir, masterKey: keyB })).rejects.toMatchObject({
        code: "MASTER_KEY_MISMATCH",
        message: expect.stringMatching(/^Wrong master key: /),
      });
      await expect(startServer({ port: 0, dataDir })).rejects.toMatchObject({
        code: "MASTER_KEY_MISMATCH",
        message: expect.stringMatching(/^Master key missing: /),
      });
      const again = await startServer({ port: 0, dataDir, masterKey: keyA });
      await again.close();
    } finally {
      await s.close();
    }
  });

  it("refuses a key that is not 32 bytes", async () => {
    await expect(startTestServer({ masterKey: "too-short" })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });
});
