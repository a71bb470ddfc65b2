/**
 * Three nodes on one PostgreSQL store, in one process (each a whole server: its own front,
 * runtime and data dir), driven over HTTP: what one node changes, the next request to any
 * other node sees, because the change's caller gets its answer only once every live node has
 * applied it (cluster/pg-bus.ts).
 */
import { randomBytes } from "node:crypto";
import { createClient } from "@base44/sdk";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, startTestServer, type TestServer } from "../helpers.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../postgres.js";

const enabled = await postgresAvailable();
const MASTER_KEY = randomBytes(32).toString("hex");

const VERSION = (v: string) => `
Deno.serve(() => Response.json({ v: "${v}", secret: Deno.env.get("TOKEN") ?? null }));
`;

describe.skipIf(!enabled)("three nodes on one PostgreSQL store", () => {
  let db: TestDatabase;
  let nodes: TestServer[] = [];
  let appId = "";
  const [A, B, C] = [0, 1, 2];
  const json = async (res: Response) => {
    const text = await res.text();
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`${res.status}: ${text}`);
    }
  };
  const call = async (n: number, fn = "hello") =>
    json(await nodes[n]!.invoke(appId, fn, { method: "POST", body: "{}" }));

  beforeAll(async () => {
    db = await createTestDatabase();
    nodes = await Promise.all(
      ["a", "b", "c"].map((id) =>
        startTestServer({ store: db.url, nodeId: `node-${id}`, masterKey: MASTER_KEY }),
      ),
    );
    appId = await nodes[A]!.createApp("cluster");
  }, 120_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await db?.drop();
  });

  it("serves on every node what was deployed on one, and every later change at once", async () => {
    await nodes[A]!.deploy(appId, "hello", VERSION("1"));
    // B and C write the deployment out from the store on their first request.
    for (const n of [A, B, C]) expect(await call(n)).toEqual({ v: "1", secret: null });
    // Warm instances and the fronts' decisions everywhere; then a redeploy on A.
    await nodes[A]!.deploy(appId, "hello", VERSION("2"));
    for (const n of [B, C, A]) expect((await call(n)).v).toBe("2");
    // A secret set on B: the next call on A and C runs with it.
    const set = await nodes[B]!.admin(`/api/apps/${appId}/secrets`, {
      method: "POST",
      body: JSON.stringify({ TOKEN: "s3cret" }),
    });
    expect(set.status).toBe(200);
    for (const n of [A, C, B]) expect(await call(n)).toEqual({ v: "2", secret: "s3cret" });
    // A rollback on C reaches A and B.
    const rb = await nodes[C]!.admin(`/api/apps/${appId}/backend-functions/hello/rollback`, {
      method: "POST",
      body: "{}",
    });
    expect(rb.status, await rb.clone().text()).toBe(200);
    for (const n of [A, B]) expect((await call(n)).v).toBe("1");
    // An app setting changed on A: B and C refuse at once.
    const off = await nodes[A]!.admin(`/api/apps/${appId}`, {
      method: "PATCH",
      body: JSON.stringify({ functions_enabled: false }),
    });
    expect(off.status).toBe(200);
    for (const n of [B, C]) {
      expect((await nodes[n]!.invoke(appId, "hello", { method: "POST", body: "{}" })).status).toBe(
        403,
      );
    }
    await nodes[A]!.admin(`/api/apps/${appId}`, {
      method: "PATCH",
      body: JSON.stringify({ functions_enabled: true }),
    });
    // A delete on B: gone on A and C.
    const del = await nodes[B]!.admin(`/api/apps/${appId}/backend-functions/hello`, {
      method: "DELETE",
    });
    expect(del.status).toBeLessThan(300);
    for (const n of [A, C]) {
      expect((await nodes[n]!.invoke(appId, "hello", { method: "POST", body: "{}" })).status).toBe(
        404,
      );
    }
  });

  it("lets a user registered on one node log in on another, and a revoked key die everywhere", async () => {
    const reg = await fetch(`${nodes[A]!.url}/api/apps/${appId}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "correct horse battery" }),
    });
    expect(reg.status).toBe(201);
    const login = await fetch(`${nodes[C]!.url}/api/apps/${appId}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "correct horse battery" }),
    });
    expect(login.status).toBe(200);

    await nodes[A]!.deploy(appId, "echo", VERSION("k"));
    const made = await json(
      await nodes[A]!.admin("/api/workspace/api-keys", {
        method: "POST",
        body: JSON.stringify({ name: "ci" }),
      }),
    );
    const key = made.key as string;
    const withKey = (n: number) =>
      nodes[n]!.invoke(appId, "echo", {
        method: "POST",
        body: "{}",
        headers: { authorization: `Bearer ${key}` },
      });
    // B answers with the key twice (the second from its front's decision).
    expect((await withKey(B)).status).toBe(200);
    expect((await withKey(B)).status).toBe(200);
    const revoke = await nodes[A]!.admin(`/api/workspace/api-keys/${made.id as string}`, {
      method: "DELETE",
    });
    expect(revoke.status).toBeLessThan(300);
    expect((await withKey(B)).status).toBe(401);
  });

  it("sends no record change to other nodes while none of them has a subscriber to it", async () => {
    const push = await nodes[A]!.admin(`/api/apps/${appId}/entity-schemas`, {
      method: "PUT",
      body: JSON.stringify({
        entityNameToSchema: {
          Quiet: { name: "Quiet", type: "object", properties: { n: { type: "number" } } },
        },
      }),
    });
    expect(push.status).toBe(200);
    // What socket.io's adapter sends between nodes, as PostgreSQL notifies it.
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on("notification", (m) => payloads.push(m.payload ?? ""));
    await listener.query('LISTEN "fnbase_io#/"');
    try {
      for (let i = 0; i < 20; i++) {
        const res = await nodes[A]!.admin(`/api/apps/${appId}/entities/Quiet`, {
          method: "POST",
          body: JSON.stringify({ n: i }),
        });
        expect(res.status).toBe(201);
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(payloads.filter((p) => p.includes("fnbase:change"))).toEqual([]);
    } finally {
      await listener.end();
    }
  });

  it("reads on one node the records written on another, and their events reach a subscriber on a third", async () => {
    const push = await nodes[A]!.admin(`/api/apps/${appId}/entity-schemas`, {
      method: "PUT",
      body: JSON.stringify({
        entityNameToSchema: {
          Note: { name: "Note", type: "object", properties: { text: { type: "string" } } },
        },
      }),
    });
    expect(push.status).toBe(200);
    const client = createClient({ serverUrl: nodes[C]!.url, appId, token: ADMIN_KEY });
    const events: { type: string; data: { text?: string } }[] = [];
    const stop = client.entities.Note!.subscribe((ev) => events.push(ev as never));
    try {
      // The subscription is in place, and C has told A of it (a change crosses to the nodes
      // with a subscriber in its room), once an event written on A arrives.
      const deadline = Date.now() + 10_000;
      while (events.length === 0 && Date.now() < deadline) {
        await nodes[A]!.admin(`/api/apps/${appId}/entities/Note`, {
          method: "POST",
          body: JSON.stringify({ text: "probe" }),
        });
        await new Promise((r) => setTimeout(r, 100));
      }
      const created = await json(
        await nodes[A]!.admin(`/api/apps/${appId}/entities/Note`, {
          method: "POST",
          body: JSON.stringify({ text: "from A" }),
        }),
      );
      const read = await json(
        await nodes[B]!.admin(`/api/apps/${appId}/entities/Note/${created.id as string}`),
      );
      expect(read.text).toBe("from A");
      while (!events.some((e) => e.data.text === "from A") && Date.now() < deadline + 5_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(events.find((e) => e.data.text === "from A")?.type).toBe("create");
    } finally {
      stop();
      client.cleanup();
    }
  });

  it("an automation created or disabled through one node is heard by the next write on another", async () => {
    const app = await nodes[A]!.createApp("cluster-automations");
    const push = await nodes[A]!.admin(`/api/apps/${app}/entity-schemas`, {
      method: "PUT",
      body: JSON.stringify({
        entityNameToSchema: {
          Job: { name: "Job", type: "object", properties: { n: { type: "number" } } },
        },
      }),
    });
    expect(push.status).toBe(200);
    await nodes[A]!.deploy(app, "onJob", `Deno.serve(() => Response.json({ ok: true }));`);
    const write = async (n: number) => {
      const res = await nodes[C]!.admin(`/api/apps/${app}/entities/Job`, {
        method: "POST",
        body: JSON.stringify({ n }),
      });
      expect(res.status).toBe(201);
      return (await json(res)).id as string;
    };
    const runs = async (id: string) => {
      const res = await nodes[A]!.admin(`/api/apps/${app}/automations/${id}/runs`);
      expect(res.status).toBe(200);
      return ((await json(res)).runs as unknown[]).length;
    };
    // C writes before there is any automation (and keeps that it has none).
    await write(0);
    const created = await nodes[B]!.admin(`/api/apps/${app}/automations`, {
      method: "POST",
      body: JSON.stringify({
        function_name: "onJob",
        name: "on-job",
        type: "entity",
        entity_name: "Job",
        event_types: ["create"],
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const id = (await json(created)).id as string;
    await write(1);
    expect(await runs(id)).toBe(1);
    const off = await nodes[B]!.admin(`/api/apps/${app}/automations/${id}`, {
      method: "PATCH",
      body: JSON.stringify({ is_active: false }),
    });
    expect(off.status).toBe(200);
    await write(2);
    expect(await runs(id)).toBe(1);
  });

  it("tails on one node the lines a function writes on another, and labels each node's metrics", async () => {
    await nodes[A]!.deploy(
      appId,
      "talk",
      `Deno.serve(async (req) => { console.log("said " + (await req.text())); return new Response("ok"); });`,
    );
    const ac = new AbortController();
    const stream = await nodes[C]!.admin(
      `/api/apps/${appId}/functions-mgmt/logs/stream?function=talk`,
      {
        signal: ac.signal,
      },
    );
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = "";
    const seen = (async () => {
      while (!text.includes("said hello-from-a")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    // The line is written on A, again until C's reader has it (its subscription starts with the
    // stream, which a loaded machine may take a moment to set up).
    const deadlineTail = Date.now() + 15_000;
    let done = false;
    void seen.then(() => {
      done = true;
    });
    while (!done && Date.now() < deadlineTail) {
      const r = await nodes[A]!.invoke(appId, "talk", { method: "POST", body: "hello-from-a" });
      expect(r.status).toBe(200);
      await Promise.race([seen, new Promise((r) => setTimeout(r, 500))]);
    }
    ac.abort();
    expect(text).toContain("said hello-from-a");
    // Queried on B: A's writer stores its lines within 100 ms.
    const deadline = Date.now() + 5_000;
    let lines: { message: string }[] = [];
    while (!lines.some((l) => l.message === "said hello-from-a") && Date.now() < deadline) {
      lines = (await (
        await nodes[B]!.admin(`/api/apps/${appId}/functions-mgmt/talk/logs`)
      ).json()) as { message: string }[];
      if (!lines.some((l) => l.message === "said hello-from-a"))
        await new Promise((r) => setTimeout(r, 50));
    }
    expect(lines.map((l) => l.message)).toContain("said hello-from-a");

    const metrics = await (await nodes[A]!.admin("/metrics")).text();
    expect(metrics).toMatch(
      /^fnbase_invocations_total\{node="node-a",app="[0-9a-f]+",function="talk"\} [1-9]\d*$/m,
    );
    for (const n of [A, B, C]) {
      expect((await fetch(`${nodes[n]!.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${nodes[n]!.url}/readyz`)).json()).toMatchObject({
        status: "ready",
      });
    }
  });

  it("takes a node out while it cannot hear changes, and brings it back with every cache reloaded", async () => {
    await nodes[A]!.deploy(appId, "deaf", VERSION("1"));
    expect((await call(B, "deaf")).v).toBe("1");
    // B's bus connection is cut from the database's side.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const cut = await admin.query(
        // This test's database only: another test's cluster may have a node-b too.
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fnbase-bus node-b' AND datname = current_database()",
      );
      expect(cut.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    // Not ready as soon as it sees the connection go (the balancer stops sending it requests),
    // ready again once reconnected and reloaded.
    const cutAt = Date.now();
    while ((await fetch(`${nodes[B]!.url}/readyz`)).status !== 503) {
      if (Date.now() - cutAt > 2_000) throw new Error("B stayed ready without its bus");
      await new Promise((r) => setTimeout(r, 10));
    }
    // A change B cannot hear (no acknowledgement is awaited from a node that stopped beating).
    await nodes[A]!.deploy(appId, "deaf", VERSION("2"));
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${nodes[B]!.url}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error("B did not come back");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await call(B, "deaf")).v).toBe("2");
  });

  it("drains on SIGTERM: readiness fails at once, the request in progress finishes, new ones are refused", async () => {
    await nodes[A]!.deploy(
      appId,
      "slow",
      `Deno.serve(async () => { await new Promise((r) => setTimeout(r, 1500)); return new Response("done"); });`,
    );
    const c = nodes[C]!;
    expect((await c.invoke(appId, "slow", { method: "POST" })).status).toBe(200);
    const inFlight = c.invoke(appId, "slow", { method: "POST" });
    await new Promise((r) => setTimeout(r, 500));
    const draining = c.server.drain();
    await new Promise((r) => setTimeout(r, 50));
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("done");
    await draining;
    await expect(fetch(`${c.url}/healthz`)).rejects.toThrow();
    // The other nodes go on.
    expect((await nodes[A]!.invoke(appId, "slow", { method: "POST" })).status).toBe(200);
  });
});
