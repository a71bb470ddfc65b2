import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@fnbase/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DenoProcess, type DenoProcessSettings, Lanes } from "./deno-process.js";
import { processSettings } from "./process-settings.fixture.js";
import { SparePool } from "./spare-pool.js";

let dir: string;
let settings: DenoProcessSettings;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fnbase-pool-"));
  settings = await processSettings(dir, 256);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves with "timed out" when `p` takes longer than `ms`. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<"timed out">((r) => setTimeout(() => r("timed out"), ms).unref())]);

const quiet = { record() {}, line() {} };

describe("stopping Deno processes that are still starting", () => {
  it("SparePool.close() right after start() resolves and leaves no process or folder", async () => {
    // The spare is still preparing its folder when close() runs. It used to start afterwards,
    // unkilled, and close() waited for its exit for ever (the suite's 120 s afterAll hangs).
    const pool = new SparePool(settings, 2, createLogger({}, { level: "silent" }));
    pool.start();
    const started = [...pool.spares()];
    expect(started).toHaveLength(2);
    expect(await within(pool.close(), 5_000)).toBeUndefined();
    for (const p of started) {
      expect(p.alive).toBe(false);
      expect(p.pid).toBeUndefined();
    }
    expect(await readdir(settings.instancesDir).catch(() => [])).toEqual([]);
  });

  it("a process killed before spawn() never starts, and its exit resolves", async () => {
    const proc = new DenoProcess(settings, new Lanes(), quiet);
    proc.kill("SIGKILL");
    expect(await within(proc.exited, 1_000)).toBe("stopped (SIGKILL) before it started");
    await proc.spawn();
    expect(proc.pid).toBeUndefined();
  });

  it("a process killed while spawning never starts; one killed once running exits", async () => {
    const early = new DenoProcess(settings, new Lanes(), quiet);
    const spawning = early.spawn();
    early.kill("SIGKILL");
    await spawning;
    expect(await within(early.exited, 1_000)).toBe("stopped (SIGKILL) before it started");
    expect(early.pid).toBeUndefined();

    const running = new DenoProcess(settings, new Lanes(), quiet);
    await running.spawn();
    expect(running.pid).toBeGreaterThan(0);
    running.kill("SIGKILL");
    expect(await within(running.exited, 5_000)).toBe("killed by SIGKILL");
  });
});
