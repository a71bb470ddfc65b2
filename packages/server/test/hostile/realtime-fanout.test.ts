// Hostile: one app must not be able to stall the server for the others. A realtime change is
// sent to every socket in its room, each judged by its own reader: one `bulk` write of 5,000
// records to a room with 200 anonymous subscribers was 1,000,000 rule checks, record copies and
// encodings on Node's event loop in one go (the write answered after 13 s; a request of another
// app waited 2.5 s, 4.9 s in one run with 50 subscribers on a busier machine). Anyone may open those sockets where an app lets anonymous
// callers read, and the app's own owner always can.
import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EntityClient, entityClient } from "../entities/entity-helpers.js";
import { sleep, startTestServer, type TestServer } from "../helpers.js";

const SOCKETS = 200;
// 400,000 events: before the fix they held the loop about 6 s (1,000,000 took 15 s), well over
// the 1 s this test allows; 5,000 records made the test 15 s long for the same verdict.
const RECORDS = 2_000;

/**
 * N anonymous subscribers in another process; prints "joined", then every 200 ms how many
 * events of the bulk write they heard, how many sockets were closed and why, and how many
 * heard a "ready" record (so are in the room for sure).
 */
const CLIENTS = `
import { io } from "socket.io-client";
const [url, appId, n] = process.argv.slice(1);
let joined = 0, closed = 0, heard = 0;
const ready = [], why = new Set();
for (let i = 0; i < Number(n); i++) {
  const s = io(url, { path: "/ws-user-apps/socket.io/", transports: ["websocket"], query: { app_id: appId }, reconnection: false });
  s.on("update_model", (e) => {
    if (String(e?.data).includes('"ready"')) ready[i] = true;
    else heard++;
  });
  s.on("disconnect", (reason) => { closed++; why.add(reason); });
  s.on("connect", () => { s.emit("join", "entities:" + appId + ":Msg"); if (++joined === Number(n)) console.log("joined"); });
}
setInterval(() => {
  console.log(JSON.stringify({ heard, closed, why: [...why], ready: ready.filter(Boolean).length }));
}, 200);
`;

let t: TestServer;
let a: EntityClient;
let b: EntityClient;

beforeAll(async () => {
  t = await startTestServer();
  a = await entityClient(t, "fan-out");
  b = await entityClient(t, "bystander");
  const Msg = { name: "Msg", properties: { text: { type: "string" } } };
  await a.push({ Msg: { ...Msg, rls: { read: true, create: true } } });
  await b.push({ Msg });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe("realtime fan-out", () => {
  it("a bulk write to a crowded room does not stall another app's requests", async () => {
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", CLIENTS, t.url, a.appId, String(SOCKETS)],
      {
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let last = "";
    // (Its first count may still be to come: "joined" is then its last line.)
    const state = () =>
      (last.startsWith("{") ? JSON.parse(last) : { heard: 0, closed: 0, why: [], ready: 0 }) as {
        heard: number;
        closed: number;
        why: string[];
        ready: number;
      };
    child.stdout.on("data", (d: Buffer) => {
      last = d.toString().trim().split("\n").at(-1) ?? "";
    });
    try {
      const deadline = Date.now() + 20_000;
      while (last !== "joined" && !last.startsWith("{")) {
        if (Date.now() > deadline) throw new Error("subscribers never joined");
        await sleep(50);
      }
      // A join is a packet the server may read after the write below when this machine is
      // busy: "ready" records until every socket heard one.
      const joinedBy = Date.now() + 30_000;
      while (state().ready < SOCKETS) {
        if (Date.now() > joinedBy) throw new Error(`only ${state().ready} subscribers in the room`);
        expect((await a.req("anonymous", "POST", "Msg", { text: "ready" })).status).toBe(201);
        await sleep(300);
      }
      // Another app's request, every 20 ms, while the write's events go out.
      const waits: number[] = [];
      let stop = false;
      const probe = (async () => {
        while (!stop) {
          const started = performance.now();
          const res = await b.req(b.admin, "GET", "Msg?limit=1");
          await res.arrayBuffer();
          waits.push(performance.now() - started);
          await sleep(20);
        }
      })();
      await sleep(200);
      const records = Array.from({ length: RECORDS }, (_, i) => ({
        text: `m${i} ${"x".repeat(200)}`,
      }));
      // The server runs in this process: how long its event loop was held at once.
      const held = monitorEventLoopDelay({ resolution: 10 });
      held.enable();
      expect((await a.req("anonymous", "POST", "Msg/bulk", records)).status).toBe(201);
      // Every subscriber hears every record (12 s alone; the subscribers' process shares two
      // cores with the rest of the suite).
      const until = Date.now() + 150_000;
      while (state().heard < SOCKETS * RECORDS && state().closed === 0 && Date.now() < until) {
        await sleep(100);
      }
      held.disable();
      stop = true;
      await probe;
      const heldMs = held.max / 1e6;
      console.log({ last, heldMs, longestWait: Math.max(...waits), probes: waits.length });
      const { heard, closed, why } = state();
      expect(closed, `subscribers closed (${why.join(", ")})`).toBe(0);
      expect(heard, "events heard by all subscribers").toBe(SOCKETS * RECORDS);
      // The bulk write itself (5,000 records checked and inserted in one transaction) held it
      // some 200-300 ms; its 1,000,000 sends, before, 15 s (here: 2,000 records, 400,000 sends).
      expect(heldMs, "longest time Node's event loop was held, ms").toBeLessThan(1_000);
      // Through the front and a CPU shared with the subscribers' process: looser.
      expect(Math.max(...waits), "longest wait of the other app's request, ms").toBeLessThan(2_000);
    } finally {
      child.kill();
    }
  }, 200_000);
});
