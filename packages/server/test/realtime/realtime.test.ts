/**
 * Realtime subscriptions through `@base44/sdk` 0.8.50 unchanged (`entities.X.subscribe`, its
 * socket.io client, websocket transport), through the front's public port: every write path
 * sends one event per record, and each subscriber gets only what its access rules let it read.
 */
import { createClient } from "@base44/sdk";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient, type TestUser } from "../entities/entity-helpers.js";
import { ADMIN_KEY, startTestServer, type TestServer } from "../helpers.js";

let t: TestServer;
let e: EntityClient;
let ada: TestUser;
let bob: TestUser;
let boss: TestUser;

interface Event {
  type: "create" | "update" | "delete";
  data: Record<string, unknown> & { id: string };
  id: string;
  timestamp: string;
}

/** A subscriber: one SDK client (one socket) subscribed to Order and Board, and its events. */
interface Sub {
  /** Order events, in order. */
  events: Event[];
  /** Board events (markers). */
  boards: Event[];
  stop(): void;
  /** Waits until an Order event matching `pred` has arrived; answers the events up to it. */
  until(pred: (e: Event) => boolean): Promise<Event[]>;
}

const clients: { cleanup(): void }[] = [];

async function waitUntil(done: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function subscribe(token: string | undefined): Promise<Sub> {
  const client = createClient({
    serverUrl: t.url,
    appId: e.appId,
    ...(token ? { token } : {}),
  });
  clients.push(client);
  const events: Event[] = [];
  const boards: Event[] = [];
  const stops = [
    client.entities.Order!.subscribe((ev: Event) => events.push(ev)),
    client.entities.Board!.subscribe((ev: Event) => boards.push(ev)),
  ];
  return {
    events,
    boards,
    stop: () => {
      for (const s of stops) s();
    },
    async until(pred) {
      await waitUntil(
        () => events.some(pred),
        () => JSON.stringify(events),
      );
      return events.slice(0, events.findIndex(pred) + 1);
    },
  };
}

/**
 * Waits until every subscriber has joined both rooms: public Board markers are written until
 * each has seen one (one socket carries both rooms, and its joins are handled in order).
 */
async function joined(subs: Sub[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (subs.some((s) => s.boards.length === 0)) {
    if (Date.now() > deadline) throw new Error("Subscribers never joined");
    await e.ok(e.admin, "POST", "Board", { text: "marker" }, 201);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ORDER = {
  name: "Order",
  properties: {
    item: { type: "string" },
    n: { type: "integer" },
    note: { type: "string" },
    secret: { type: "string", rls: { read: { user_condition: { role: "admin" } } } },
  },
  rls: {
    create: true,
    read: { $or: [{ created_by_id: "{{user.id}}" }, { user_condition: { role: "admin" } }] },
    write: { $or: [{ created_by_id: "{{user.id}}" }, { user_condition: { role: "admin" } }] },
  },
};

beforeAll(async () => {
  t = await startTestServer();
  e = await entityClient(t, "realtime");
  await e.push({
    Order: ORDER,
    Board: { name: "Board", properties: { text: { type: "string" } } },
  });
  [ada, bob, boss] = await Promise.all([
    e.user("ada@example.com"),
    e.user("bob@example.com"),
    e.user("boss@example.com", "admin"),
  ]);
}, 120_000);
afterAll(async () => {
  for (const c of clients) c.cleanup();
  await t?.close();
});

describe("realtime subscriptions", () => {
  it("a subscriber sees another user's create only when the rules let it read it", async () => {
    const [adaSub, bossSub, anonSub] = await Promise.all([
      subscribe(ada.token),
      subscribe(boss.token),
      subscribe(undefined),
    ]);
    await joined([adaSub, bossSub, anonSub]);

    const bobs = await e.ok<{ id: string }>(
      bob.as,
      "POST",
      "Order",
      { item: "bob's", secret: "s" },
      201,
    );
    const adas = await e.ok<{ id: string }>(
      ada.as,
      "POST",
      "Order",
      { item: "ada's", secret: "s" },
      201,
    );
    // The admin sees both, field included; ada sees only hers, without the admin-only field.
    const bossSaw = await bossSub.until((ev) => ev.id === adas.id);
    expect(bossSaw.map((ev) => [ev.type, ev.data.item, ev.data.secret])).toEqual([
      ["create", "bob's", "s"],
      ["create", "ada's", "s"],
    ]);
    const adaSaw = await adaSub.until((ev) => ev.id === adas.id);
    expect(adaSaw.map((ev) => ev.data.item)).toEqual(["ada's"]);
    expect(adaSaw[0]!.data).not.toHaveProperty("secret");
    expect(adaSaw[0]).toMatchObject({ id: adas.id, data: { created_by_id: ada.id } });
    expect(Date.parse(adaSaw[0]!.timestamp)).toBeGreaterThan(0);
    // Anonymous: the read rule is a condition, so nothing, even after a later public event.
    const marker = await e.ok<{ id: string }>(e.admin, "POST", "Board", { text: "after" }, 201);
    await waitUntil(
      () => anonSub.boards.some((ev) => ev.id === marker.id),
      () => "the anonymous subscriber's marker",
    );
    expect(anonSub.events).toEqual([]);
    expect(bobs.id).toBeTruthy();
    for (const s of [adaSub, bossSub, anonSub]) s.stop();
  }, 60_000);

  it("every write path sends one event per record: bulk, update, updateMany, upsert, import, delete, deleteMany", async () => {
    const adaSub = await subscribe(ada.token);
    await joined([adaSub]);
    const made = await e.ok<{ id: string }[]>(
      ada.as,
      "POST",
      "Order/bulk",
      [
        { item: "b1", n: 1 },
        { item: "b2", n: 2 },
      ],
      201,
    );
    await e.ok(ada.as, "PUT", `Order/${made[0]!.id}`, { n: 10 });
    await e.ok(ada.as, "PATCH", "Order/update-many", {
      query: { item: { $in: ["b1", "b2"] } },
      data: { $inc: { n: 1 } },
    });
    await e.ok(ada.as, "POST", "Order/upsert", {
      key: "item",
      records: [{ item: "b2", n: 5 }, { item: "b3" }],
    });
    const form = new FormData();
    form.append("file", new File(["item,n\nimported,7\n"], "o.csv", { type: "text/csv" }));
    const imported = await fetch(`${t.url}/api/apps/${e.appId}/entities/Order/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${ada.token}` },
      body: form,
    });
    expect(imported.status).toBe(200);
    await imported.text();
    await e.ok(ada.as, "PUT", "Order/bulk", [{ id: made[1]!.id, note: "bulk-updated" }]);
    await e.ok(ada.as, "DELETE", `Order/${made[0]!.id}`);
    const last = await e.ok<{ deleted: number }>(boss.as, "DELETE", "Order", {
      item: { $in: ["b2", "b3", "imported"] },
    });
    expect(last.deleted).toBe(3);
    await adaSub.until(
      (ev) => adaSub.events.filter((x) => x.type === "delete").length === 4 && ev.type === "delete",
    );
    const saw = adaSub.events;
    // Records in one call are sent in id order, which within a second is not creation order:
    // compare the events as a set, and each record's own events in order.
    const line = (ev: Event) => `${ev.type} ${ev.data.item} ${ev.data.n ?? "-"}`;
    const of = (item: string) => saw.filter((ev) => ev.data.item === item).map(line);
    expect(of("b1")).toEqual(["create b1 1", "update b1 10", "update b1 11", "delete b1 11"]);
    expect(of("b2")).toEqual([
      "create b2 2",
      "update b2 3",
      "update b2 5",
      "update b2 5",
      "delete b2 5",
    ]);
    expect(saw.map(line).sort()).toEqual(
      [
        "create b1 1",
        "create b2 2",
        "update b1 10",
        "update b1 11",
        "update b2 3",
        "update b2 5",
        "create b3 -",
        "create imported 7",
        "update b2 5",
        "delete b1 11",
        "delete b2 5",
        "delete b3 -",
        "delete imported 7",
      ].sort(),
    );
    adaSub.stop();
  }, 60_000);

  it("slims string fields over 10 KB and marks the event _oversize", async () => {
    const adaSub = await subscribe(ada.token);
    await joined([adaSub]);
    const big = await e.ok<{ id: string }>(
      ada.as,
      "POST",
      "Order",
      { item: "big", note: "x".repeat(11_000) },
      201,
    );
    const [ev] = (await adaSub.until((x) => x.id === big.id)).slice(-1);
    expect(ev!.data).toMatchObject({ item: "big", note: "", _oversize: true });
    adaSub.stop();
  }, 60_000);
});

describe("the realtime socket refuses what it must", () => {
  const connect = (query: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const socket = io(t.url, {
        path: "/ws-user-apps/socket.io/",
        transports: ["websocket"],
        query,
        reconnection: false,
      });
      socket.on("connect", () => {
        socket.disconnect();
        resolve("connected");
      });
      socket.on("connect_error", (err) => {
        socket.disconnect();
        resolve(err.message);
      });
    });

  it("refuses a wrong token and an unknown app; lets anonymous and API-key callers in", async () => {
    expect(await connect({ app_id: e.appId, token: "nope" })).toMatch(/Invalid token/);
    expect(await connect({ app_id: "no-such-app" })).toMatch(/App not found/);
    expect(await connect({ app_id: e.appId })).toBe("connected");
    expect(await connect({ app_id: e.appId, token: ADMIN_KEY })).toBe("connected");
  });

  it("never joins a room of another app", async () => {
    const other = await entityClient(t, "other");
    await other.push({ Board: { name: "Board", properties: { text: { type: "string" } } } });
    const socket = io(t.url, {
      path: "/ws-user-apps/socket.io/",
      transports: ["websocket"],
      query: { app_id: e.appId, token: ADMIN_KEY },
    });
    const got: unknown[] = [];
    socket.on("update_model", (m) => got.push(m));
    await new Promise<void>((r) => socket.on("connect", () => r()));
    socket.emit("join", `entities:${other.appId}:Board`);
    socket.emit("join", `entities:${e.appId}:Board`);
    await new Promise((r) => setTimeout(r, 200));
    await other.ok(other.admin, "POST", "Board", { text: "elsewhere" }, 201);
    const mine = await e.ok<{ id: string }>(e.admin, "POST", "Board", { text: "here" }, 201);
    const deadline = Date.now() + 5_000;
    while (!JSON.stringify(got).includes(mine.id) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    socket.disconnect();
    expect(got).toHaveLength(1);
    expect(JSON.stringify(got)).toContain(mine.id);
  });
});
