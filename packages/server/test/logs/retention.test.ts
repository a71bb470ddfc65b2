import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionOutputLine } from "../../src/config.js";
import { OutputLimiter } from "../../src/logs/output-limiter.js";
import type { LogStore } from "../../src/store/log-types.js";
import { openSqliteLogStore } from "../../src/store/sqlite/log-store.js";
import { sleep, startTestServer, type TestServer } from "../helpers.js";
import { queryLogs, waitForLogs } from "./log-helpers.js";

const line = (app: string, message: string, time: number): FunctionOutputLine => ({
  time: new Date(time).toISOString(),
  level: "info",
  message,
  app_id: app,
  function: "f",
  deployment_id: "d",
  instance_id: "i",
  source: "function",
});

describe("SQLite log store retention", () => {
  let dir: string;
  let store: LogStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fnbase-logstore-"));
    store = openSqliteLogStore(join(dir, "logs.db"));
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("prunes lines older than the retention age and keeps newer ones", async () => {
    const now = Date.now();
    const old = Array.from({ length: 5_000 }, (_, i) => line("age", `old ${i}`, now - 10_000));
    await store.append([...old, line("age", "new", now)]);
    const removed = await store.prune({ olderThan: now - 5_000, maxBytesPerApp: 1e12 });
    expect(removed).toBe(5_000);
    const left = await store.query({ appId: "age", limit: 1000, order: "asc" });
    expect(left.map((l) => l.message)).toEqual(["new"]);
  });

  it("prunes the oldest lines of an app over its size budget, and only that app", async () => {
    const now = Date.now();
    const big = "x".repeat(1_000);
    await store.append(Array.from({ length: 500 }, (_, i) => line("big", `${i} ${big}`, now + i)));
    await store.append([line("small", "tiny", now)]);
    const before = store.appBytes("big");
    expect(before).toBeGreaterThan(500_000);
    await store.prune({ olderThan: 0, maxBytesPerApp: 100_000 });
    expect(store.appBytes("big")).toBeLessThanOrEqual(100_000);
    const left = await store.query({ appId: "big", limit: 1000, order: "asc" });
    expect(left.length).toBeGreaterThan(50);
    expect(left.length).toBeLessThan(100);
    expect(left.at(-1)?.message.startsWith("499 ")).toBe(true);
    expect(await store.query({ appId: "small", limit: 10, order: "asc" })).toHaveLength(1);
  });
});

describe("output limiter", () => {
  it("lets a burst through, then drops and reports the count", () => {
    const passed: FunctionOutputLine[] = [];
    const reports: number[] = [];
    let each = 0;
    const limiter = new OutputLimiter(
      { linesPerSecond: 10, burstLines: 100, maxLineChars: 50 },
      (l) => passed.push(l),
      (_, n) => reports.push(n),
      () => each++,
    );
    for (let i = 0; i < 1_000; i++) limiter.accept(line("a", "m".repeat(100), Date.now()));
    limiter.accept({ ...line("a", "platform event", Date.now()), source: "platform" });
    limiter.close();
    expect(passed.length).toBeGreaterThanOrEqual(101);
    expect(passed.length).toBeLessThan(110);
    expect(passed[0]?.message).toBe(`${"m".repeat(50)}… [truncated 50 chars]`);
    expect(passed.at(-1)?.message).toBe("platform event");
    expect(reports).toEqual([each]);
    expect(each + passed.length - 1).toBe(1_000);
  });
});

describe("retention in a running server", () => {
  let t: TestServer;
  let appId: string;
  beforeAll(async () => {
    t = await startTestServer({
      logPruneIntervalMs: 100,
      logRetentionMs: 60_000,
      logMaxBytesPerApp: 50_000,
    });
    appId = await t.createApp("retention");
    await t.deploy(
      appId,
      "chatty",
      `Deno.serve(() => { for (let i = 0; i < 300; i++) console.log(i + " " + "z".repeat(500)); return new Response("ok"); });`,
    );
  });
  afterAll(() => t?.close());

  it("prunes an app's logs to its size budget in the background", async () => {
    await (await t.invoke(appId, "chatty")).text();
    const all = await waitForLogs(t, appId, "chatty", (ls) =>
      ls.some((l) => l.message.startsWith("299 ")),
    );
    expect(all.some((l) => l.message.startsWith("299 "))).toBe(true);
    await sleep(400);
    const left = await queryLogs(t, appId, "chatty", "limit=1000");
    const bytes = left.reduce((n, l) => n + l.message.length + 96, 0);
    expect(bytes).toBeLessThanOrEqual(50_000);
    expect(left.length).toBeGreaterThan(10);
    expect(left[0]?.message.startsWith("299 ")).toBe(true);
  });
});
