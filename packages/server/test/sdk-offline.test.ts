// Functions importing the SDK at any version run on the server's own bundled copy: with the npm
// registry unreachable (instances pointed at a closed local port), they boot, call auth.me() as
// the caller and invoke another function as the service role. The code the server stores and
// hands back is the code that was deployed, byte for byte.
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, expectError, startTestServer, type TestServer } from "./helpers.js";

/** A local port nothing listens on: listened on once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Reports the role of the token it was called with, and the body it got. */
const TARGET = `
Deno.serve(async (req) => {
  const token = req.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
  const payload = token.split(".")[1] ?? "";
  const role = payload ? JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))).role : null;
  return Response.json({ role, body: await req.json() });
});`;

/** auth.me() as the caller, then `target` as the service role, through the SDK at `specifier`. */
const usesSdk = (specifier: string) => `import { createClientFromRequest } from "${specifier}";
Deno.serve(async (req) => {
  const client = createClientFromRequest(req);
  const me = await client.auth.me();
  const res = await client.asServiceRole.functions.invoke("target", { via: "${specifier}" });
  return Response.json({ email: me.email, status: res.status, data: res.data });
});`;

let t: TestServer;
let registry: string;
let appId: string;
let token: string;

beforeAll(async () => {
  registry = `http://127.0.0.1:${await closedPort()}/`;
  t = await startTestServer({ npmRegistry: registry });
  appId = await t.createApp("sdk-offline");
  await t.deploy(appId, "target", TARGET);
  const res = await fetch(`${t.url}/api/apps/${appId}/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "offline@example.com", password: "offline password" }),
  });
  token = ((await res.json()) as { access_token: string }).access_token;
}, 60_000);
afterAll(() => t?.close());

describe("the SDK inside a function, with the npm registry unreachable", () => {
  it("npm: imports that are not the SDK cannot load (the registry really is cut off)", async () => {
    await t.deploy(
      appId,
      "zod",
      'import { z } from "npm:zod@3.23.8";\nDeno.serve(() => Response.json(z.string().parse("x")));',
    );
    // With an API key, the caller sees the boot error (anonymous callers do not).
    const asAdmin = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };
    const body = await expectError(
      await t.invoke(appId, "zod", asAdmin),
      502,
      "FUNCTION_BOOT_FAILED",
    );
    expect(body.error).toContain(registry.slice(0, -1));
  }, 60_000);

  it.each([
    ["npm:@base44/sdk@0.7.1"], // not in the npm registry at all
    ["npm:@base44/sdk@0.8.25"],
    ["npm:@base44/sdk"],
    ["npm:@base44/sdk@^0.8.0/dist/index.js"],
    ["@base44/sdk"],
    ["@fnbase/sdk"],
  ])(
    "%s: auth.me() as the caller and functions.invoke as the service role",
    async (specifier) => {
      const name = `sdk-${specifier.replace(/\W+/g, "-")}`;
      await t.deploy(appId, name, usesSdk(specifier));
      const res = await t.invoke(appId, name, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        email: "offline@example.com",
        status: 200,
        data: { role: "service", body: { via: specifier } },
      });
    },
    60_000,
  );

  it("a dynamic import of a pinned version loads the same copy", async () => {
    await t.deploy(
      appId,
      "dynamic",
      `Deno.serve(async () => {
        const a = await import("npm:@base44/sdk@0.8.6");
        const b = await import("npm:@base44/sdk@latest");
        return Response.json({ same: a.createClient === b.createClient, type: typeof a.createClient });
      });`,
    );
    expect(await (await t.invoke(appId, "dynamic")).json()).toEqual({
      same: true,
      type: "function",
    });
  }, 60_000);
});

describe("the deployed code", () => {
  const CODE = [
    `import { createClientFromRequest } from "npm:@base44/sdk@0.7.1"; const here = new Error("here");`,
    `// import { x } from "npm:@base44/sdk@0.8.4" stays as it is written`,
    `const { createClient } = await import('npm:@base44/sdk@^0.8.0');`,
    `Deno.serve(() => Response.json({ stack: here.stack, sdk: typeof createClientFromRequest }));`,
    "",
  ].join("\n");

  it("runs with lines and columns where the author wrote them", async () => {
    await t.deploy(appId, "stack", CODE);
    const res = await t.invoke(appId, "stack");
    const { stack, sdk } = (await res.json()) as { stack: string; sdk: string };
    expect(sdk).toBe("function");
    const column = CODE.indexOf("new Error") + 1;
    expect(stack).toMatch(new RegExp(`entry\\.ts:1:${column}\\b`));
  }, 60_000);

  it("is stored and handed back byte for byte as deployed; only the copy on disk is rewritten", async () => {
    const { deployment_id } = await t.deploy(appId, "stack", CODE);
    const res = await t.admin(`/api/apps/${appId}/backend-functions`);
    const { functions } = (await res.json()) as {
      functions: { name: string; files: { path: string; content: string }[] }[];
    };
    expect(functions.find((f) => f.name === "stack")?.files).toEqual([
      { path: "entry.ts", content: CODE },
    ]);
    const onDisk = await readFile(
      join(t.dataDir, "deployments", appId, deployment_id, "functions", "stack", "entry.ts"),
      "utf8",
    );
    expect(onDisk.split("\n")).toEqual([
      `import { createClientFromRequest } from "@base44/sdk"          ; const here = new Error("here");`,
      `// import { x } from "npm:@base44/sdk@0.8.4" stays as it is written`,
      `const { createClient } = await import('@base44/sdk'           );`,
      `Deno.serve(() => Response.json({ stack: here.stack, sdk: typeof createClientFromRequest }));`,
      "",
    ]);
  }, 60_000);
});
