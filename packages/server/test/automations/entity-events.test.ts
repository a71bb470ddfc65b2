/**
 * Entity automations against a real server: every write path queues one event per record
 * (in the write's transaction), delivered to the function through the public URL with the
 * record, in order per record; oversized records; loops stopped at the depth limit; the
 * owner's identity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient } from "../entities/entity-helpers.js";
import type { TestServer } from "../helpers.js";
import {
  allowCollector,
  automationsApi,
  type Collector,
  clock,
  type Received,
  reporter,
  startAutomationServer,
  startCollector,
} from "./automation-helpers.js";

const c = clock();
let t: TestServer;
let col: Collector;

const TASK = {
  name: "Task",
  type: "object",
  properties: { title: { type: "string" }, n: { type: "number" }, blob: { type: "string" } },
};
const NOTE = { name: "Note", type: "object", properties: { text: { type: "string" } } };

interface Delivered {
  event: { type: string; entity_name: string; entity_id: string };
  data: Record<string, unknown> | null;
  old_data: Record<string, unknown> | null;
  payload_too_large?: true;
  extra?: string;
}
const events = (rs: Received[]) => rs.map((r) => (r.body as { body: Delivered }).body);

/** An app with Task and Note, and `onTask` listening to `types` of Task. */
async function app(name: string, types: string[], code?: string): Promise<EntityClient> {
  const e = await entityClient(t, name);
  await e.push({ Task: TASK, Note: NOTE });
  await allowCollector(t, e.appId, col);
  await t.deploy(e.appId, "onTask", {
    entry: "entry.ts",
    files: [{ path: "entry.ts", content: code ?? reporter(col.url) }],
    automations: [
      {
        name: "on-task",
        type: "entity",
        entity_name: "Task",
        event_types: types,
        function_args: { extra: "arg", event: "overridden" },
      },
    ],
  });
  return e;
}

beforeAll(async () => {
  t = await startAutomationServer(c);
  col = await startCollector();
});
afterAll(async () => {
  await t?.close();
  await col?.close();
});

describe("entity events", () => {
  it("every write path queues one event per record, delivered with the record", async () => {
    col.received.length = 0;
    const e = await app("every-path", ["create", "update", "delete"]);
    const a = e.admin;
    const one = await e.ok<{ id: string }>(a, "POST", "Task", { title: "one", n: 1 }, 201);
    const bulk = await e.ok<{ id: string }[]>(
      a,
      "POST",
      "Task/bulk",
      [{ title: "b1" }, { title: "b2" }],
      201,
    );
    await e.ok(a, "PUT", `Task/${one.id}`, { n: 2 });
    await e.ok(a, "PUT", "Task/bulk", [
      { id: bulk[0]!.id, n: 10 },
      { id: bulk[1]!.id, n: 20 },
    ]);
    await e.ok(a, "PATCH", "Task/update-many", {
      query: { title: { $in: ["b1", "b2"] } },
      data: { $inc: { n: 1 } },
    });
    const up = await e.ok<{ records: { id: string }[] }>(a, "POST", "Task/upsert", {
      key: "title",
      records: [
        { title: "one", n: 3 },
        { title: "u-new", n: 0 },
      ],
    });
    const form = new FormData();
    form.append("file", new File(["title,n\ni1,1\ni2,2\n"], "tasks.csv"));
    const imported = await fetch(`${t.url}/api/apps/${e.appId}/entities/Task/import`, {
      method: "POST",
      headers: { api_key: (a as { apiKey: string }).apiKey },
      body: form,
    });
    const ids = ((await imported.json()) as { output: { id: string }[] }).output.map((r) => r.id);
    await e.ok(a, "DELETE", `Task/${one.id}`);
    await e.ok(a, "DELETE", "Task", { title: { $in: ["i1", "i2"] } });
    // Another entity's writes queue nothing for this automation.
    await e.ok(a, "POST", "Note", { text: "x" }, 201);

    await t.server.automations.tick();
    const got = events(col.received).map((d) => `${d.event.type} ${d.event.entity_id}`);
    const [b1, b2] = [bulk[0]!.id, bulk[1]!.id];
    const expected = [
      `create ${one.id}`,
      `create ${b1}`,
      `create ${b2}`,
      `update ${one.id}`,
      `update ${b1}`,
      `update ${b2}`,
      `update ${b1}`,
      `update ${b2}`,
      `update ${one.id}`,
      `create ${up.records[1]!.id}`,
      `create ${ids[0]}`,
      `create ${ids[1]}`,
      `delete ${one.id}`,
      `delete ${ids[0]}`,
      `delete ${ids[1]}`,
    ];
    expect(got.sort()).toEqual(expected.sort());
    // Per record, in the order of the writes.
    const ofOne = events(col.received).filter((d) => d.event.entity_id === one.id);
    expect(ofOne.map((d) => [d.event.type, d.data?.n ?? null, d.old_data?.n ?? null])).toEqual([
      ["create", 1, null],
      ["update", 2, 1],
      ["update", 3, 2],
      ["delete", 3, null],
    ]);
    const first = ofOne[0]!;
    expect(first.event).toEqual({ type: "create", entity_name: "Task", entity_id: one.id });
    expect(first.data).toMatchObject({ id: one.id, title: "one", n: 1, created_by_id: null });
    expect(first.data?.created_date).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    // function_args are merged in; the event's own fields win.
    expect(first.extra).toBe("arg");
    const runs = await automationsApi(t, e.appId).runs();
    expect(runs).toHaveLength(15);
    expect(runs.every((r) => r.status === "succeeded" && r.trigger === "entity")).toBe(true);
    expect(runs.every((r) => typeof r.request_id === "string" && r.http_status === 200)).toBe(true);
  });

  it("only the event types listed queue runs; a disabled automation queues none", async () => {
    col.received.length = 0;
    const e = await app("some-types", ["delete"]);
    const r = await e.ok<{ id: string }>(e.admin, "POST", "Task", { title: "x" }, 201);
    await e.ok(e.admin, "PUT", `Task/${r.id}`, { n: 1 });
    await t.server.automations.tick();
    expect(col.received).toHaveLength(0);
    const api = automationsApi(t, e.appId);
    const [auto] = await api.list();
    await api.patch(auto!.id as string, { is_active: false });
    await e.ok(e.admin, "DELETE", `Task/${r.id}`);
    await t.server.automations.tick();
    expect(col.received).toHaveLength(0);
    expect(await api.runs()).toEqual([]);
  });

  it("runs of one record wait for the one before; other records do not", async () => {
    col.received.length = 0;
    const e = await app("order", ["update"]);
    const [x, y] = await e.ok<{ id: string }[]>(
      e.admin,
      "POST",
      "Task/bulk",
      [{ title: "x" }, { title: "y" }],
      201,
    );
    col.hold = true;
    try {
      await e.ok(e.admin, "PUT", `Task/${x!.id}`, { n: 1 });
      await col.until(1);
      await e.ok(e.admin, "PUT", `Task/${x!.id}`, { n: 2 });
      await e.ok(e.admin, "PUT", `Task/${x!.id}`, { n: 3 });
      await e.ok(e.admin, "PUT", `Task/${y!.id}`, { n: 1 });
      // y's run starts while x's first is held; x's later ones wait (the store queues a run
      // behind an open one of its record with no start time, whenever the dispatcher asks).
      await col.until(2);
      expect(col.received).toHaveLength(2);
      const runs = await automationsApi(t, e.appId).runs();
      expect(runs.map((r) => r.status).sort()).toEqual(["queued", "queued", "running", "running"]);
      // The waiting ones have no start time until the run before them ends.
      expect(runs.filter((r) => r.status === "queued").map((r) => r.next_attempt_at)).toEqual([
        null,
        null,
      ]);
    } finally {
      col.hold = false;
      col.release();
    }
    await t.server.automations.tick();
    const ofX = events(col.received).filter((d) => d.event.entity_id === x!.id);
    expect(ofX.map((d) => d.data?.n)).toEqual([1, 2, 3]);
  });

  it("a record over 200 KB is sent without data, with payload_too_large", async () => {
    col.received.length = 0;
    const e = await app("large", ["create"]);
    const r = await e.ok<{ id: string }>(
      e.admin,
      "POST",
      "Task",
      { title: "big", blob: "x".repeat(210 * 1024) },
      201,
    );
    await e.ok(e.admin, "POST", "Task", { title: "small", blob: "x".repeat(190 * 1024) }, 201);
    await t.server.automations.tick();
    const [big, small] = events(col.received).sort((p, q) =>
      p.event.entity_id === r.id ? -1 : q.event.entity_id === r.id ? 1 : 0,
    );
    expect(big).toEqual({
      extra: "arg",
      event: { type: "create", entity_name: "Task", entity_id: r.id },
      data: null,
      old_data: null,
      payload_too_large: true,
    });
    expect(small?.payload_too_large).toBeUndefined();
    expect((small!.data!.blob as string).length).toBe(190 * 1024);
  });

  it("an automation whose writes trigger itself stops at the depth limit", async () => {
    // Each run adds 1 to n through the service role, which triggers the next run.
    const bump = `
import { createClientFromRequest } from "npm:@base44/sdk";
Deno.serve(async (req) => {
  const { data } = await req.json();
  const base44 = createClientFromRequest(req);
  await base44.asServiceRole.entities.Task.update(data.id, { n: data.n + 1 });
  return Response.json({ ok: true });
});`;
    const e = await app("loop", ["update"], bump);
    const r = await e.ok<{ id: string }>(e.admin, "POST", "Task", { title: "l", n: 0 }, 201);
    await e.ok(e.admin, "PUT", `Task/${r.id}`, { n: 1 });
    await t.server.automations.tick();
    const runs = (await automationsApi(t, e.appId).runs()).reverse();
    expect(runs.map((x) => [x.depth, x.status])).toEqual([
      [1, "succeeded"],
      [2, "succeeded"],
      [3, "succeeded"],
      [4, "succeeded"],
      [5, "succeeded"],
      [6, "skipped"],
    ]);
    expect(runs[5]!.error).toMatch(
      /5 automation runs in a row led to this event \(the limit is 5\)/,
    );
    expect((await e.ok<{ n: number }>(e.admin, "GET", `Task/${r.id}`)).n).toBe(6);
  });
});

describe("who an automation runs as", () => {
  it("its owner, whose token auth.me() reads; without one, the service role", async () => {
    col.received.length = 0;
    const e = await app("owner", ["create"], reporter(col.url, { me: true }));
    const ada = await e.user("ada@example.com", "admin");
    await e.ok(e.admin, "POST", "Task", { title: "as service" }, 201);
    await t.server.automations.tick();
    const api = automationsApi(t, e.appId);
    const [auto] = await api.list();
    const owned = await api.patch(auto!.id as string, { owner_email: "ada@example.com" });
    expect(owned.owner).toEqual({ id: ada.id, email: "ada@example.com" });
    await e.ok(e.admin, "POST", "Task", { title: "as ada" }, 201);
    await t.server.automations.tick();
    const [asService, asAda] = col.received.map((r) => r.body as { me: unknown });
    expect(asService!.me).toEqual({ error: 403 });
    expect(asAda!.me).toMatchObject({ id: ada.id, email: "ada@example.com", role: "admin" });
    // An owner that is not a user of the app is refused.
    const bad = await t.admin(`/api/apps/${e.appId}/automations/${auto!.id}`, {
      method: "PATCH",
      body: JSON.stringify({ owner_email: "nobody@example.com" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("nobody@example.com");
  });
});
