import { describe, expect, it } from "vitest";
import { cli, cliJson, type TestServer, withServerAndDir } from "./helpers.js";

interface Created {
  id: string;
  name: string;
  prefix: string;
  key: string;
}

let t: TestServer;
let dir: string;

withServerAndDir((server, folder) => {
  t = server;
  dir = folder;
});

/** Env whose key is `key` instead of the admin key. */
const as = (key: string) => t.env({ FNBASE_API_KEY: key });

describe("fnbase api-keys", () => {
  let created: Created;

  it("creates a key, printing it once on stdout with a note on stderr", async () => {
    const r = await cli(["api-keys", "create", "ci deploys"], { cwd: dir, env: t.env() });
    expect(r.code).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^b44k_[A-Za-z0-9_-]{20,}$/);
    expect(r.stderr).toContain("ci deploys");
    expect(r.stderr).toContain("will not show it again");

    const json = await cliJson<Created>(["api-keys", "create"], { cwd: dir, env: t.env() });
    expect(json.code).toBe(0);
    expect(json.json).toMatchObject({ name: "api key", prefix: json.json.key.slice(0, 12) });
    created = { ...json.json };
  });

  it("the new key works for whoami and apps list", async () => {
    expect((await cli(["apps", "create", "keyed"], { cwd: dir, env: t.env() })).code).toBe(0);
    const who = await cliJson<{ apps: number }>(["whoami"], { cwd: dir, env: as(created.key) });
    expect(who.code).toBe(0);
    expect(who.json.apps).toBeGreaterThanOrEqual(1);
    const apps = await cliJson<{ name: string }[]>(["apps", "list"], {
      cwd: dir,
      env: as(created.key),
    });
    expect(apps.json.map((a) => a.name)).toContain("keyed");
  });

  it("lists keys by prefix only, never the key", async () => {
    const human = await cli(["api-keys", "list"], { cwd: dir, env: t.env() });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(created.id);
    expect(human.stdout).toContain(created.prefix);
    expect(human.stdout).not.toContain(created.key);

    const json = await cliJson<{ api_keys: Record<string, unknown>[] }>(["api-keys", "list"], {
      cwd: dir,
      env: t.env(),
    });
    expect(json.json.api_keys.map((k) => k.name).sort()).toEqual(["api key", "ci deploys"]);
    expect(json.stdout).not.toContain(created.key);
    for (const k of json.json.api_keys) expect(k).not.toHaveProperty("key");
  });

  it("refuses a workspace key that tries to manage keys (exit 3)", async () => {
    const r = await cliJson(["api-keys", "create", "sneaky"], { cwd: dir, env: as(created.key) });
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ code: "FORBIDDEN" });
    expect((await cli(["api-keys", "list"], { cwd: dir, env: as(created.key) })).code).toBe(3);
  });

  it("revokes a key, which is then refused (exit 3)", async () => {
    const r = await cliJson<{ revoked: string }>(["api-keys", "revoke", created.id], {
      cwd: dir,
      env: t.env(),
    });
    expect(r.code).toBe(0);
    expect(r.json.revoked).toBe(created.id);
    const who = await cli(["whoami"], { cwd: dir, env: as(created.key) });
    expect(who.code).toBe(3);
    expect((await cli(["apps", "list"], { cwd: dir, env: as(created.key) })).code).toBe(3);

    const list = await cliJson<{ api_keys: { id: string; revoked_date: string | null }[] }>(
      ["api-keys", "list"],
      { cwd: dir, env: t.env() },
    );
    expect(list.json.api_keys.find((k) => k.id === created.id)?.revoked_date).not.toBeNull();
  });

  it("says an unknown id is not found (exit 4)", async () => {
    const r = await cliJson(["api-keys", "revoke", "no-such-key"], { cwd: dir, env: t.env() });
    expect(r.code).toBe(4);
    expect(r.json).toMatchObject({ code: "NOT_FOUND" });
  });
});
