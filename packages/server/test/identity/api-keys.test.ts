import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;
let appId: string;

interface Created {
  id: string;
  key: string;
  prefix: string;
  name: string;
}

const create = async (name: string) => {
  const res = await t.admin("/api/workspace/api-keys", {
    method: "POST",
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
};

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("keys");
}, 60_000);
afterAll(() => t?.close());

describe("workspace API keys", () => {
  it("are created once with the b44k_ prefix and listed by prefix only", async () => {
    const k = await create("ci");
    expect(k.key).toMatch(/^b44k_[\w-]{20,}$/);
    expect(k.key.startsWith(k.prefix)).toBe(true);
    const list = (await (await t.admin("/api/workspace/api-keys")).json()) as {
      api_keys: Record<string, unknown>[];
    };
    const listed = list.api_keys.find((x) => x.id === k.id);
    expect(listed).toMatchObject({ name: "ci", prefix: k.prefix, revoked_date: null });
    expect(JSON.stringify(list)).not.toContain(k.key);
  });

  it("are stored hashed", async () => {
    const k = await create("hashed");
    const db = await readFile(join(t.dataDir, "fnbase.db"));
    const wal = await readFile(join(t.dataDir, "fnbase.db-wal")).catch(() => Buffer.alloc(0));
    expect(Buffer.concat([db, wal]).includes(k.key)).toBe(false);
  });

  it("work on the management API as api_key and as a Bearer token, until revoked", async () => {
    const k = await create("deploy");
    const path = `${t.url}/api/apps/${appId}/backend-functions`;
    expect((await fetch(path, { headers: { api_key: k.key } })).status).toBe(200);
    expect((await fetch(path, { headers: { authorization: `Bearer ${k.key}` } })).status).toBe(200);
    const del = await t.admin(`/api/workspace/api-keys/${k.id}`, { method: "DELETE" });
    expect(await del.json()).toEqual({ success: true });
    await expectError(await fetch(path, { headers: { api_key: k.key } }), 401, "UNAUTHORIZED");
    const list = (await (await t.admin("/api/workspace/api-keys")).json()) as {
      api_keys: { id: string; revoked_date: string | null }[];
    };
    expect(list.api_keys.find((x) => x.id === k.id)?.revoked_date).toEqual(expect.any(String));
  });

  it("cannot manage keys themselves: only the admin key can", async () => {
    const k = await create("limited");
    const res = await fetch(`${t.url}/api/workspace/api-keys`, {
      method: "POST",
      headers: { api_key: k.key },
    });
    await expectError(res, 403, "FORBIDDEN");
    await expectError(await fetch(`${t.url}/api/workspace/api-keys`), 401, "UNAUTHORIZED");
    await expectError(
      await fetch(`${t.url}/api/workspace/api-keys`, { headers: { api_key: "b44k_nope" } }),
      401,
      "UNAUTHORIZED",
    );
  });

  it("answer 404 when revoking an unknown key", async () => {
    const res = await t.admin("/api/workspace/api-keys/nope", { method: "DELETE" });
    await expectError(res, 404, "NOT_FOUND");
  });
});
