// Hostile: an anonymous outside client must not be able to flood a cluster's bus. Each node
// announces the entity rooms its sockets are in (`fnbase:rooms`, ARCHITECTURE.md, Realtime) at
// once when that set changes and every 5 s. A socket may join up to 200 rooms of its app, and a
// room named after an entity that does not exist was announced like any other: one anonymous
// socket in 190 rooms of made-up 250-character names, joining and leaving one more in a loop,
// made its node write the whole list (57 kB, through the `socket_io_attachments` table past
// 8 kB) to PostgreSQL for every other node to read, once per turn of the event loop (1.2 MB in
// one second here; a few hundred such sockets, a union of megabytes per announcement).
import pg from "pg";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, startTestServer, type TestServer } from "../helpers.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../postgres.js";

const enabled = await postgresAvailable();

describe.skipIf(!enabled)("realtime room announcements under a flood", () => {
  let db: TestDatabase;
  let t: TestServer;
  let appId = "";
  const sockets: Socket[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestServer({ store: db.url, nodeId: "node-a" });
    appId = await t.createApp("announce");
    const push = await t.admin(`/api/apps/${appId}/entity-schemas`, {
      method: "PUT",
      body: JSON.stringify({
        entityNameToSchema: { Real: { name: "Real", properties: { n: { type: "number" } } } },
      }),
    });
    expect(push.status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
    await db?.drop();
  });

  /** An anonymous socket of the app. */
  async function anonymous(): Promise<Socket> {
    const socket = io(t.url, {
      path: "/ws-user-apps/socket.io/",
      transports: ["websocket"],
      query: { app_id: appId },
      reconnection: false,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    return socket;
  }

  /** What the node says of its rooms on the bus while `flood` runs: messages and bytes. */
  async function measure(flood: () => Promise<void>) {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    let messages = 0;
    let bytes = 0;
    listener.on("notification", (m) => {
      const p = m.payload ?? "";
      if (!p.includes("fnbase:rooms") && !p.includes("attachmentId")) return;
      messages++;
      bytes += Buffer.byteLength(p);
    });
    await listener.query('LISTEN "fnbase_io#/"');
    try {
      const before = await listener.query<{ n: string }>(
        "SELECT count(*) AS n FROM socket_io_attachments",
      );
      const started = performance.now();
      await flood();
      const seconds = (performance.now() - started) / 1000;
      await sleep(300);
      const after = await listener.query<{ n: string; bytes: string | null }>(
        "SELECT count(*) AS n, sum(octet_length(payload)) AS bytes FROM socket_io_attachments",
      );
      return {
        messages,
        bytes: bytes + Number(after.rows[0]?.bytes ?? 0),
        attachments: Number(after.rows[0]?.n) - Number(before.rows[0]?.n),
        seconds,
      };
    } finally {
      await listener.end();
    }
  }

  /** Joins and leaves `room` 400 times, about 4 ms apart in groups of 20. */
  async function flip(socket: Socket, room: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      socket.emit(i % 2 === 0 ? "join" : "leave", room);
      if (i % 20 === 0) await sleep(5);
    }
    await sleep(200);
  }

  it("rooms of made-up entities, joined and left in a loop, cost the bus nothing", async () => {
    const socket = await anonymous();
    const room = (i: number) => `entities:${appId}:${"X".repeat(250)}${i}`;
    const got = await measure(async () => {
      for (let i = 0; i < 190; i++) socket.emit("join", room(i));
      await flip(socket, room(1000));
    });
    // Nothing but, perhaps, the periodic announcement of no rooms.
    expect(got.attachments, JSON.stringify(got)).toBe(0);
    expect(got.bytes, JSON.stringify(got)).toBeLessThan(1_000);
    socket.close();
  });

  it("a real room joined and left in a loop is announced at most 20 times a second", async () => {
    const socket = await anonymous();
    const got = await measure(() => flip(socket, `entities:${appId}:Real`));
    expect(got.attachments).toBe(0);
    expect(got.messages, JSON.stringify(got)).toBeLessThanOrEqual(Math.ceil(got.seconds * 20) + 3);
    socket.close();
  });
});
