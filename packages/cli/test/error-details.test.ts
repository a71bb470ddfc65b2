/**
 * Issue 16, item 6 (and issue 15 §4's boot errors): a failing function's details never reach
 * anonymous callers of `fnbase server`; they get a short message, the code and the request id,
 * and the details go to the logs and to callers with an API key. `fnbase dev` shows them to
 * everyone. Paths are the project's (`base44/...`), never the server's.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, type LiveCli, spawnCli, tempDir, writeFiles } from "./helpers.js";

const KEY = `b44k_details_${Math.random().toString(36).slice(2)}`;
const THROWS = `Deno.serve(() => { throw new Error("Card 4242 of ada@example.com was declined"); });\n`;
const BOOT = `await import("./missing-at-boot.ts");\nDeno.serve(() => new Response("never"));\n`;

let root: string;
beforeAll(async () => {
  root = await tempDir("fnbase-details-");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface ErrorAnswer {
  status: number;
  requestId: string | null;
  body: Record<string, unknown>;
  text: string;
}

async function call(url: string, init: RequestInit = {}): Promise<ErrorAnswer> {
  const res = await fetch(url, { method: "POST", body: "{}", ...init });
  const text = await res.text();
  return {
    status: res.status,
    requestId: res.headers.get("x-request-id"),
    body: JSON.parse(text) as Record<string, unknown>,
    text,
  };
}

describe("fnbase server: details of a failure (issue 16, item 6)", () => {
  let server: LiveCli;
  let url: string;
  let dataDir: string;
  let appId: string;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { api_key: KEY, "content-type": "application/json" },
    });

  beforeAll(async () => {
    dataDir = join(root, "server-data");
    server = spawnCli(["server", "--port", "0", "--data", dataDir], {
      cwd: root,
      env: baseEnv({ FNBASE_ADMIN_KEY: KEY }),
    });
    [, url = ""] = await server.waitFor(/listening on (http:\/\/\S+)/);
    const app = await admin("/api/apps", { method: "POST", body: '{"name":"details"}' });
    appId = ((await app.json()) as { id: string }).id;
    for (const [name, content] of [
      ["throws", THROWS],
      ["boot", BOOT],
    ] as const) {
      const res = await admin(`/api/apps/${appId}/backend-functions/${name}`, {
        method: "PUT",
        body: JSON.stringify({ entry: "entry.ts", files: [{ path: "entry.ts", content }] }),
      });
      expect(res.status, await res.text()).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("an uncaught exception: anonymous callers get the code and request id, on both paths", async () => {
    // The first call goes through Node; the second the front answers from its decision.
    for (let i = 0; i < 2; i++) {
      const r = await call(`${url}/api/apps/${appId}/functions/throws`, {
        // A caller cannot ask for the details.
        headers: { "x-fnbase-error-detail": "1" },
      });
      expect(r.status).toBe(500);
      expect(r.body).toEqual({
        error: "The function failed with an uncaught error",
        code: "FUNCTION_ERROR",
        request_id: r.requestId,
        hint: "The function's logs have the error under this request id",
      });
      expect(r.text).not.toContain("4242");
    }
  });

  it("a caller with an API key gets the message, and the logs have it under the request id", async () => {
    const r = await call(`${url}/api/apps/${appId}/functions/throws`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({
      error: "Error: Card 4242 of ada@example.com was declined",
      code: "FUNCTION_ERROR",
      request_id: r.requestId,
    });
    const logs = (await (
      await admin(`/api/apps/${appId}/functions-mgmt/throws/logs?level=error`)
    ).json()) as { message: string; request_id?: string }[];
    const line = logs.find((l) => l.request_id === r.requestId);
    expect(line?.message).toContain("Card 4242");
    expect(line?.message).not.toContain(dataDir);
  });

  it("a boot failure: no boot error for anonymous callers; relative paths for an API key", async () => {
    const anonymous = await call(`${url}/api/apps/${appId}/functions/boot`);
    expect(anonymous.status).toBe(502);
    expect(anonymous.body).toEqual({
      error: 'Function "boot" failed to start',
      code: "FUNCTION_BOOT_FAILED",
      message: 'Function "boot" failed to start',
      hint: "Its boot error is in the function's logs: fnbase logs --function boot",
      request_id: anonymous.requestId,
    });

    const withKey = await call(`${url}/api/apps/${appId}/functions/boot`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(withKey.status).toBe(502);
    expect(withKey.body.error).toMatch(
      /^Function "boot" failed to start: TypeError: Module not found "base44\/functions\/boot\/missing-at-boot\.ts"/,
    );
    expect(withKey.text).not.toContain(dataDir);
    const logs = await (await admin(`/api/apps/${appId}/functions-mgmt/boot/logs`)).text();
    expect(logs).toContain("base44/functions/boot/missing-at-boot.ts");
    expect(logs).not.toContain(dataDir);
  });
});

describe("fnbase dev: details for everyone, paths of the project (issue 16, item 6)", () => {
  it("shows an exception's message and a boot error with project paths to any caller", async () => {
    const project = join(root, "dev-project");
    await writeFiles(project, {
      "base44/config.jsonc": "{}\n",
      "base44/functions/throws/entry.ts": THROWS,
      "base44/functions/boot/entry.ts": BOOT,
    });
    const dev = spawnCli(["dev", project, "--port", "0", "--no-check"], {
      cwd: root,
      env: baseEnv(),
    });
    try {
      const [, url] = await dev.waitFor(/ready at (http:\/\/\S+)/);
      const thrown = await call(`${url}/functions/throws`);
      expect(thrown.body).toMatchObject({
        error: "Error: Card 4242 of ada@example.com was declined",
        code: "FUNCTION_ERROR",
        request_id: thrown.requestId,
      });
      const boot = await call(`${url}/functions/boot`);
      expect(boot.status).toBe(502);
      expect(boot.body.error).toContain(
        'Module not found "base44/functions/boot/missing-at-boot.ts"',
      );
      expect(boot.text).not.toContain(project);
      await dev.waitFor(/\[boot\] .*base44\/functions\/boot\/missing-at-boot\.ts/);
      expect(dev.output()).not.toContain(join(project, ".fnbase"));
    } finally {
      await dev.stop();
    }
  });
});
