/**
 * `server.close()` ends whatever is in progress and leaves no process or folder behind (issue
 * 16, item 8: under load, afterAll hooks hung 120 s in close()).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sleep, startTestServer } from "./helpers.js";

/** Processes whose parent is this one (the front, instances, spares). */
async function children(): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    const zombie = /^State:\s+Z/m.test(status);
    if (!zombie && /^PPid:\s+(\d+)$/m.exec(status)?.[1] === String(process.pid)) {
      out.push(Number(entry));
    }
  }
  return out;
}

/** Resolves with "timed out" when `p` takes longer than `ms`. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, sleep(ms).then(() => "timed out" as const)]);

describe("server.close()", () => {
  it("stops an instance that is still starting, and the caller gets an error", async () => {
    const before = new Set(await children());
    const t = await startTestServer({ spareInstances: 0 });
    const app = await t.createApp("close-while-starting");
    await t.deploy(
      app,
      "slow-boot",
      `console.log("booting"); await new Promise((r) => setTimeout(r, 60_000));
Deno.serve(() => new Response("never"));`,
    );
    let booting!: () => void;
    const seen = new Promise<void>((r) => {
      booting = r;
    });
    t.server.onOutput((l) => {
      if (l.message === "booting") booting();
    });
    const call = t.invoke(app, "slow-boot").then(
      (res) => res.status,
      () => "connection closed",
    );
    await seen;
    const ours = (await children()).filter((p) => !before.has(p));
    expect(ours.length).toBe(2); // the front and the starting instance
    expect(await within(t.server.close(), 10_000)).toBeUndefined();
    const answer = await call;
    expect(answer === "connection closed" || (typeof answer === "number" && answer >= 500)).toBe(
      true,
    );
    const left = (await children()).filter((p) => ours.includes(p));
    expect(left).toEqual([]);
    expect(await readdir(join(t.dataDir, "instances"))).toEqual([]);
    await t.close();
  }, 60_000);

  it("resolves at once after a cold start, while the spare it took is being replaced", async () => {
    // Each round closes right after a cold start, when the pool starts the replacement spare.
    for (let round = 0; round < 3; round++) {
      const t = await startTestServer();
      const app = await t.createApp("close-after-cold-start");
      await t.deploy(app, "hello", `Deno.serve(() => new Response("hi"));`);
      const res = await t.invoke(app, "hello");
      expect(await res.text()).toBe("hi");
      expect(await within(t.server.close(), 10_000)).toBeUndefined();
      expect(await readdir(join(t.dataDir, "instances"))).toEqual([]);
      await t.close();
    }
  }, 60_000);
});
