/**
 * Three schedulers, and three dispatchers, racing on one store: three connections to one SQLite
 * file, and three nodes' stores on one PostgreSQL database (row locks on the automation for a
 * tick, `FOR UPDATE SKIP LOCKED` for runs). Every tick is queued once, and every run is
 * attempted once.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@fnbase/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dispatcher } from "../../src/automations/dispatcher.js";
import { Scheduler } from "../../src/automations/scheduler.js";
import { newId } from "../../src/deploy/deployer.js";
import { openSqliteStore, type Store } from "../../src/store/index.js";
import { openPostgresStore } from "../../src/store/postgres/pg-store.js";
import { storeCases } from "../postgres.js";
import { clock } from "./automation-helpers.js";

const AUTOMATIONS = 20;

describe.each(await storeCases())("racing on one $name store", ({ name, skip, setup }) => {
  if (skip) {
    it.skip("PostgreSQL is not reachable", () => {});
    return;
  }
  const c = clock("2026-12-01T00:00:00Z");
  let dir: string;
  let one: Store;
  let two: Store;
  let three: Store;
  let cleanup = async () => {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fnbase-race-"));
    const s = await setup();
    cleanup = s.cleanup;
    const open = () =>
      name === "sqlite"
        ? Promise.resolve(openSqliteStore(join(dir, "fnbase.db")))
        : openPostgresStore(s.store);
    [one, two, three] = await Promise.all([open(), open(), open()]);
    await one.createApp({ id: "app", name: "race", signing_key: "00" });
    for (let i = 0; i < AUTOMATIONS; i++) {
      const definition = {
        name: `a${i}`,
        is_active: true,
        type: "scheduled",
        schedule_mode: "recurring",
        schedule_type: "cron",
        cron_expression: "*/5 * * * *",
        ends_type: "never",
      };
      await one.automations.create(
        "app",
        "job",
        {
          id: newId(),
          name: definition.name,
          source: "api",
          definition,
          kind: "scheduled",
          is_active: true,
          entity_name: null,
          event_types: [],
          schedule: { next_run_at: Date.parse("2026-12-01T00:05:00Z"), anchor: c.now },
        },
        new Date().toISOString(),
      );
    }
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await three?.close();
    await cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("three scheduler loops queue each tick exactly once", async () => {
    const loops = [one, two, three].map((s) => new Scheduler(s.automations, () => c.now));
    const queued = [0, 0, 0];
    // Two hours in steps of a minute; at each step the loops pass at once, in turning order.
    for (let step = 1; step <= 120; step++) {
      c.advance(60_000);
      const order = [0, 1, 2].map((i) => (i + step) % 3);
      const results = await Promise.all(order.map((i) => loops[i]!.pass()));
      order.forEach((i, k) => {
        queued[i]! += results[k]!.length;
      });
    }
    const runs = await one.automations.listRuns("app", { limit: 10_000 });
    // 24 ticks of every 5 minutes in 2 hours, for each automation; none twice.
    expect(runs).toHaveLength(AUTOMATIONS * 24);
    const ticks = new Set(runs.map((r) => `${r.automation_id} ${r.scheduled_for}`));
    expect(ticks.size).toBe(runs.length);
    expect(queued[0]! + queued[1]! + queued[2]!).toBe(runs.length);
    // More than one loop won ticks: they did race.
    expect(queued.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it("a scheduler with a stale plan cannot queue a tick a second time", async () => {
    const [a] = await one.automations.list("app");
    const [taken] = await one.automations.listRuns("app", { automationId: a!.id, limit: 1 });
    // The tick's run exists: claiming it again (with a current next_run_at) inserts nothing.
    const run = await two.automations.claimTick(a!.id, a!.next_run_at!, c.now, () => ({
      next_run_at: a!.next_run_at! + 300_000,
      run: {
        automation_id: a!.id,
        app_id: "app",
        trigger: "schedule",
        scheduled_for: taken!.scheduled_for,
        depth: 1,
      },
    }));
    expect(run).toBeUndefined();
    expect(await one.automations.listRuns("app", { automationId: a!.id, limit: 100 })).toHaveLength(
      24,
    );
  });

  it("three dispatchers attempt each run exactly once", async () => {
    const attempted: string[] = [];
    const dispatcher = (store: Store, owner: string) =>
      new Dispatcher({
        store: store.automations,
        now: () => c.now,
        owner,
        concurrency: 4,
        retryDelaysMs: [],
        leaseMs: () => 60_000,
        attempt: async (claimed) => {
          attempted.push(claimed.run.id);
          await new Promise((r) => setImmediate(r));
          return { status: 200, requestId: owner, error: null, retryable: false, durationMs: 1 };
        },
        log: createLogger({ component: "test" }),
      });
    const ds = [dispatcher(one, "one"), dispatcher(two, "two"), dispatcher(three, "three")];
    await Promise.all(ds.map((d) => d.idle()));
    const runs = await one.automations.listRuns("app", { limit: 10_000 });
    expect(attempted.length).toBe(runs.length);
    expect(new Set(attempted).size).toBe(runs.length);
    expect(runs.every((r) => r.status === "succeeded" && r.attempts === 1)).toBe(true);
    const byOwner = new Map<string, number>();
    for (const r of runs) byOwner.set(r.request_id!, (byOwner.get(r.request_id!) ?? 0) + 1);
    expect(byOwner.size).toBeGreaterThan(1);
  });

  it("while the process is saturated, deliveries yield: a few at once, and every run in the end", async () => {
    const deliver = async (busy: boolean) => {
      // The next tick of every automation.
      c.advance(300_000);
      const queued = (await new Scheduler(one.automations, () => c.now).pass()).length;
      let now = 0;
      let most = 0;
      let done = 0;
      const d = new Dispatcher({
        store: one.automations,
        now: () => c.now,
        owner: `load-${busy}`,
        concurrency: 32,
        busy: () => busy,
        // The narrow width at once (the deferral has its own test below).
        deferMs: 0,
        retryDelaysMs: [],
        leaseMs: () => 60_000,
        attempt: async () => {
          most = Math.max(most, ++now);
          await new Promise((r) => setTimeout(r, 5));
          now--;
          done++;
          return { status: 200, requestId: "x", error: null, retryable: false, durationMs: 5 };
        },
        log: createLogger({ component: "test" }),
      });
      d.wake();
      await d.idle();
      expect(queued).toBeGreaterThan(10);
      return { most, left: queued - done };
    };
    expect(await deliver(true)).toEqual({ most: 2, left: 0 });
    expect((await deliver(false)).most).toBeGreaterThan(2);
  });

  it("while Node is busy with requests, due runs wait up to deferMs, then go at the narrow width", async () => {
    c.advance(300_000);
    const queued = (await new Scheduler(one.automations, () => c.now).pass()).length;
    expect(queued).toBeGreaterThan(2);
    const started = performance.now();
    let first = Number.POSITIVE_INFINITY;
    let done = 0;
    const d = new Dispatcher({
      store: one.automations,
      now: () => c.now,
      owner: "deferred",
      concurrency: 32,
      busy: () => true,
      deferMs: 300,
      retryDelaysMs: [],
      leaseMs: () => 60_000,
      attempt: async () => {
        first = Math.min(first, performance.now() - started);
        done++;
        return { status: 200, requestId: "x", error: null, retryable: false, durationMs: 1 };
      },
      log: createLogger({ component: "test" }),
    });
    d.wake();
    await d.idle();
    expect(first, "ms before the first delivery").toBeGreaterThanOrEqual(290);
    expect(done).toBe(queued);

    // Once the queue is empty, the next runs wait their full deferral again.
    c.advance(300_000);
    const again = (await new Scheduler(one.automations, () => c.now).pass()).length;
    expect(again).toBeGreaterThan(0);
    const restarted = performance.now();
    first = Number.POSITIVE_INFINITY;
    const from = done;
    d.wake();
    await d.idle();
    expect(first - (restarted - started), "ms before the next delivery").toBeGreaterThanOrEqual(
      290,
    );
    expect(done - from).toBe(again);
  });
});
