/**
 * One caller cannot starve the others: connections are capped per client address and in all
 * (an idle one makes room for a new caller), and requests in progress per app, so that while
 * one caller or app floods, the others are still answered.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLEEPY, startTestServer, type TestServer } from "./helpers.js";
import { header, sendRaw } from "./raw-http.js";

let t: TestServer;
let appA: string;
let appB: string;
const open: Socket[] = [];

beforeAll(async () => {
  t = await startTestServer({
    maxConnections: 60,
    maxConnectionsPerAddress: 30,
    maxConcurrentPerApp: 4,
  });
  appA = await t.createApp("flooded");
  appB = await t.createApp("other");
  await t.deploy(appA, "sleepy", SLEEPY);
  await t.deploy(appB, "hello", `Deno.serve(() => new Response("hi"));`);
}, 60_000);
afterAll(async () => {
  for (const s of open) s.destroy();
  await t?.close();
});

/** Opens `n` connections from `localAddress` that send nothing; resolves once all are open. */
async function flood(n: number, localAddress: string): Promise<Socket[]> {
  const socks = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve) => {
          const s = connect({ port: t.server.port, host: "127.0.0.1", localAddress }, () =>
            resolve(s),
          );
          s.on("error", () => resolve(s));
        }),
    ),
  );
  open.push(...socks);
  return socks;
}

const closedCount = (socks: Socket[]) =>
  new Promise<number>((resolve) =>
    setTimeout(() => resolve(socks.filter((s) => s.destroyed || s.readableEnded).length), 200),
  );

const hello = (localAddress?: string) =>
  sendRaw(
    t.server.port,
    `GET /api/apps/${appB}/functions/hello HTTP/1.1\r\nHost: x\r\n\r\n`,
    "GET",
    3_000,
    localAddress,
  );

describe("connection caps", () => {
  it("answer other callers while one address holds idle connections by the hundred", async () => {
    for (const s of await flood(100, "127.0.0.3")) s.on("end", () => s.destroy());
    const socks = open.slice(-100);
    // At most 30 stay open from that address: each new one closed an older idle one.
    expect(await closedCount(socks)).toBeGreaterThanOrEqual(70);
    for (const from of ["127.0.0.2", "127.0.0.3", "127.0.0.1"]) {
      const started = Date.now();
      const r = await hello(from);
      expect([r.status, r.body]).toEqual([200, "hi"]);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  }, 30_000);

  it("answer other callers while many addresses fill the server", async () => {
    for (let i = 10; i < 14; i++) await flood(25, `127.0.0.${i}`);
    const r = await hello("127.0.0.20");
    expect([r.status, r.body]).toEqual([200, "hi"]);
    for (const s of open) s.destroy();
  }, 30_000);

  it("give an app at most its share of requests in progress; other apps are answered", async () => {
    const slow = `GET /api/apps/${appA}/functions/sleepy?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n`;
    // A first request of the kind gives the front its decision: the flood goes straight.
    await sendRaw(
      t.server.port,
      `GET /api/apps/${appA}/functions/sleepy?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n`,
      "GET",
    );
    const flooding = Array.from({ length: 10 }, () => sendRaw(t.server.port, slow, "GET", 5_000));
    await new Promise((r) => setTimeout(r, 300));
    const other = await hello();
    expect([other.status, other.body]).toEqual([200, "hi"]);
    const answers = await Promise.all(flooding);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    const busy = answers.filter((a) => a.status === 503);
    expect(busy).toHaveLength(6);
    expect(header(busy[0]!, "retry-after")).toBe("1");
    expect(JSON.parse(busy[0]!.body)).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  }, 30_000);
});

const PRLIMIT = "/usr/bin/prlimit";

describe("a front with 1,024 file descriptors", () => {
  it.skipIf(!existsSync(PRLIMIT))(
    "answers while 1,200 idle connections are opened against it",
    async () => {
      const s = await startTestServer({ maxConnections: 256 });
      const socks: Socket[] = [];
      try {
        const id = await s.createApp("fd");
        await s.deploy(id, "hello", `Deno.serve(() => new Response("hi"));`);
        const call = () =>
          sendRaw(
            s.server.port,
            `GET /api/apps/${id}/functions/hello HTTP/1.1\r\nHost: x\r\n\r\n`,
            "GET",
            3_000,
          );
        expect((await call()).status).toBe(200);
        // The case: a front with the common default limit of open files.
        execFileSync(PRLIMIT, [`--pid=${s.server.frontPid}`, "--nofile=1024:1024"]);
        for (let i = 0; i < 12; i++) {
          socks.push(
            ...(await Promise.all(
              Array.from(
                { length: 100 },
                () =>
                  new Promise<Socket>((resolve) => {
                    const c = connect(
                      { port: s.server.port, host: "127.0.0.1", localAddress: `127.0.1.${i}` },
                      () => resolve(c),
                    );
                    c.on("error", () => resolve(c));
                  }),
              ),
            )),
          );
        }
        for (let i = 0; i < 3; i++) {
          const r = await call();
          expect([r.status, r.body]).toEqual([200, "hi"]);
        }
      } finally {
        for (const c of socks) c.destroy();
        await s.close();
      }
    },
    60_000,
  );
});
