import { gunzipSync } from "node:zlib";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, expectError, oneFile, startTestServer, type TestServer } from "./helpers.js";

const MAX_UPLOAD = 32 * 1024;
const HELLO = `Deno.serve(() => Response.json({ v: 1 }));`;
let t: TestServer;
let appId: string;

interface Listed {
  functions: {
    name: string;
    deployment_id: string;
    entry: string;
    files: unknown[];
    automations: unknown[];
  }[];
}

const put = (name: string, body: unknown, app = appId) =>
  t.admin(`/api/apps/${app}/backend-functions/${encodeURIComponent(name)}`, {
    method: "PUT",
    body: JSON.stringify(body),
  });
const list = async (): Promise<Listed> =>
  (await (await t.admin(`/api/apps/${appId}/backend-functions`)).json()) as Listed;

beforeAll(async () => {
  t = await startTestServer({ maxUploadBytes: MAX_UPLOAD });
  appId = await t.createApp("management");
}, 120_000);
afterAll(() => t?.close());

describe("compression", () => {
  it("gzips a large answer for a caller who accepts it, and never an event stream", async () => {
    for (let i = 0; i < 30; i++) await t.createApp(`compressed-${i}`);
    const plain = await (await t.admin("/api/apps")).text();
    expect(plain.length).toBeGreaterThan(1024);
    const res = await request(`${t.url}/api/apps`, {
      headers: { api_key: ADMIN_KEY, "accept-encoding": "gzip" },
    });
    expect(res.headers["content-encoding"]).toBe("gzip");
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(body.length).toBeLessThan(plain.length);
    expect(JSON.parse(gunzipSync(body).toString())).toEqual(JSON.parse(plain));

    const stream = await request(`${t.url}/api/apps/${appId}/functions-mgmt/logs/stream`, {
      headers: { api_key: ADMIN_KEY, "accept-encoding": "gzip" },
    });
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(stream.headers["content-encoding"]).toBeUndefined();
    await stream.body.destroy();
  });
});

describe("apps", () => {
  it("POST /api/apps creates an app, GET lists and reads it, PATCH changes it", async () => {
    const created = await t.admin("/api/apps", {
      method: "POST",
      body: JSON.stringify({ name: "shop" }),
    });
    expect(created.status).toBe(201);
    const app = (await created.json()) as Record<string, unknown>;
    expect(app).toMatchObject({ name: "shop", functions_enabled: true });
    expect(app.id).toMatch(/^\w+$/);
    expect(app).not.toHaveProperty("signing_key");

    const all = (await (await t.admin("/api/apps")).json()) as { id: string }[];
    expect(all.map((a) => a.id)).toContain(app.id);
    const one = await t.admin(`/api/apps/${app.id}`);
    expect(await one.json()).toMatchObject({ id: app.id, name: "shop" });

    const patched = await t.admin(`/api/apps/${app.id}`, {
      method: "PATCH",
      body: JSON.stringify({ name: "shop2", functions_enabled: false }),
    });
    expect(await patched.json()).toMatchObject({ name: "shop2", functions_enabled: false });
    expect(await (await t.admin(`/api/apps/${app.id}`)).json()).toMatchObject({
      name: "shop2",
      functions_enabled: false,
    });
  });

  it("bad app input answers 400 and an unknown app 404", async () => {
    await expectError(
      await t.admin("/api/apps", { method: "POST", body: JSON.stringify({ name: "" }) }),
      400,
      "BAD_REQUEST",
    );
    await expectError(
      await t.admin("/api/apps", { method: "POST", body: "{not json" }),
      400,
      "INVALID_JSON",
    );
    await expectError(
      await t.admin(`/api/apps/${appId}`, {
        method: "PATCH",
        body: JSON.stringify({ functions_enabled: "yes" }),
      }),
      400,
      "BAD_REQUEST",
    );
    await expectError(await t.admin("/api/apps/nope"), 404, "APP_NOT_FOUND");
  });
});

describe("auth", () => {
  it("a missing or wrong API key answers 401", async () => {
    await expectError(await fetch(`${t.url}/api/apps`), 401, "UNAUTHORIZED");
    await expectError(
      await fetch(`${t.url}/api/apps`, { headers: { api_key: "b44k_wrong" } }),
      401,
      "UNAUTHORIZED",
    );
    await expectError(
      await fetch(`${t.url}/api/apps/${appId}/backend-functions/x`, {
        method: "PUT",
        headers: { authorization: "Bearer wrong" },
        body: JSON.stringify(oneFile(HELLO)),
      }),
      401,
      "UNAUTHORIZED",
    );
    expect((await list()).functions.map((f) => f.name)).not.toContain("x");
  });

  it("the admin key works as Authorization: Bearer too", async () => {
    const res = await fetch(`${t.url}/api/apps`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status).toBe(200);
    await res.text();
  });
});

describe("backend-functions", () => {
  it("PUT deploys, GET lists, the function serves, DELETE removes", async () => {
    const res = await put("orders/process", {
      entry: "entry.ts",
      files: [
        {
          path: "entry.ts",
          content:
            'import { n } from "../../../shared/n.ts";\nDeno.serve(() => Response.json({ n }));',
        },
        { path: "../../../shared/n.ts", content: "export const n = 7;" },
      ],
      automations: [
        { name: "on-order", type: "entity", entity_name: "Order", event_types: ["create"] },
      ],
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { status: string; deployment_id: string };
    expect(answer.status).toBe("deployed");

    const listed = (await list()).functions.find((f) => f.name === "orders/process");
    expect(listed).toMatchObject({
      name: "orders/process",
      deployment_id: answer.deployment_id,
      entry: "entry.ts",
      // Normalised as the Base44 CLI does (is_active filled in).
      automations: [
        {
          name: "on-order",
          is_active: true,
          type: "entity",
          entity_name: "Order",
          event_types: ["create"],
        },
      ],
    });
    expect(listed?.files).toHaveLength(2);

    const invoked = await t.invoke(appId, "orders/process");
    expect(await invoked.json()).toEqual({ n: 7 });

    const del = await t.admin(
      `/api/apps/${appId}/backend-functions/${encodeURIComponent("orders/process")}`,
      {
        method: "DELETE",
      },
    );
    expect(del.status).toBe(200);
    await del.text();
    expect((await list()).functions.map((f) => f.name)).not.toContain("orders/process");
    await expectError(await t.invoke(appId, "orders/process"), 404, "FUNCTION_NOT_FOUND");
    await expectError(
      await t.admin(`/api/apps/${appId}/backend-functions/orders%2Fprocess`, { method: "DELETE" }),
      404,
      "FUNCTION_NOT_FOUND",
    );
  }, 60_000);

  it("a redeploy of the same content answers unchanged and makes no new deployment", async () => {
    const first = (await (await put("same", oneFile(HELLO))).json()) as { deployment_id: string };
    const again = await put("same", oneFile(HELLO));
    expect(await again.json()).toEqual({ status: "unchanged", deployment_id: first.deployment_id });
    const history = await t.admin(`/api/apps/${appId}/backend-functions/same/deployments`);
    expect(((await history.json()) as { deployments: unknown[] }).deployments).toHaveLength(1);
    const changed = (await (await put("same", oneFile(HELLO.replace("1", "2")))).json()) as {
      status: string;
      deployment_id: string;
    };
    expect(changed.status).toBe("deployed");
    expect(changed.deployment_id).not.toBe(first.deployment_id);
  });

  it("every bad input answers 400 with a code and changes nothing", async () => {
    const good = (await (await put("stable", oneFile(HELLO))).json()) as { deployment_id: string };
    const before = await list();
    const bad: [string, unknown, string][] = [
      [" ", oneFile(HELLO), "INVALID_NAME"],
      ["has.dot", oneFile(HELLO), "INVALID_NAME"],
      [
        "stable",
        { entry: "main.ts", files: [{ path: "entry.ts", content: HELLO }] },
        "ENTRY_NOT_FOUND",
      ],
      [
        "stable",
        { entry: "entry.ts", files: [{ path: "/etc/entry.ts", content: HELLO }] },
        "INVALID_PATH",
      ],
      [
        "stable",
        {
          entry: "entry.ts",
          files: [
            { path: "entry.ts", content: HELLO },
            { path: "../../../x.ts", content: "" },
          ],
        },
        "INVALID_PATH",
      ],
      [
        "stable",
        {
          entry: "entry.ts",
          files: [
            { path: "entry.ts", content: HELLO },
            { path: "./entry.ts", content: "" },
          ],
        },
        "DUPLICATE_PATH",
      ],
      ["stable", { entry: "entry.ts", files: [] }, "BAD_REQUEST"],
      ["stable", { entry: "entry.ts", files: [{ path: "entry.ts" }] }, "BAD_REQUEST"],
    ];
    for (const [name, body, code] of bad) {
      const res = await put(name, body);
      const err = await expectError(res, 400, code);
      expect(err.error, code).toMatch(/^[A-Z]/);
      expect(err.error, code).not.toMatch(/\.$/);
    }
    const empty = await t.admin(`/api/apps/${appId}/backend-functions/`, {
      method: "PUT",
      body: JSON.stringify(oneFile(HELLO)),
    });
    expect((await expectError(empty, 400, "INVALID_NAME")).error).toContain("empty");
    await expectError(
      await t.admin(`/api/apps/${appId}/backend-functions/stable`, { method: "PUT", body: "{" }),
      400,
      "INVALID_JSON",
    );
    expect(await list()).toEqual(before);
    expect((await list()).functions.find((f) => f.name === "stable")?.deployment_id).toBe(
      good.deployment_id,
    );
  });

  it("an upload over the size limit answers 413 and changes nothing", async () => {
    const before = await list();
    const big = oneFile(`// ${"x".repeat(MAX_UPLOAD)}\n${HELLO}`);
    await expectError(await put("big", big), 413, "PAYLOAD_TOO_LARGE");
    const huge = oneFile(`// ${"x".repeat(MAX_UPLOAD * 3)}\n${HELLO}`);
    await expectError(await put("big", huge), 413, "PAYLOAD_TOO_LARGE");
    expect(await list()).toEqual(before);
  });

  it("deploying to an unknown app answers 404", async () => {
    await expectError(await put("x", oneFile(HELLO), "no-such-app"), 404, "APP_NOT_FOUND");
  });
});
