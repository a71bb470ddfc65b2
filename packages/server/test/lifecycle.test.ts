import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationRecord } from "../src/gateway/gateway.js";
import { denoPidOf, eventually, gone, sleep, startTestServer, type TestServer } from "./helpers.js";

const IDLE_MS = 300;
const COUNTER = `
const instance = crypto.randomUUID();
let count = 0;
Deno.serve((req) => {
  if (new URL(req.url).pathname.endsWith("/die")) setTimeout(() => Deno.exit(1), 10);
  return Response.json({ instance, count: ++count, tmp: Deno.env.get("TMPDIR") });
});`;
const versioned = (v: number) => `Deno.serve(() => Response.json({ version: ${v} }));`;

interface Counted {
  instance: string;
  count: number;
  /** Its process's pid (found from the TMPDIR it reports: see `denoPidOf`). */
  pid: number;
}

let t: TestServer;
let appId: string;
const invocations: InvocationRecord[] = [];

beforeAll(async () => {
  t = await startTestServer({ idleTimeoutMs: IDLE_MS });
  t.server.onInvocation((r) => invocations.push(r));
  appId = await t.createApp("lifecycle");
  await t.deploy(appId, "counter", COUNTER);
}, 120_000);
afterAll(() => t?.close());

/** A COUNTER's answer, with its process's pid. */
async function counted(res: Response): Promise<Counted> {
  const a = (await res.json()) as Omit<Counted, "pid"> & { tmp: string };
  return { instance: a.instance, count: a.count, pid: await denoPidOf(a.tmp) };
}

/** The spare processes waiting for a function, once `ok` accepts them. */
async function spares(
  on: TestServer,
  ok: (pids: number[]) => boolean = (p) => p.length > 0,
): Promise<number[]> {
  for (let i = 0; i < 400; i++) {
    const pids = on.server.sparePids();
    if (ok(pids)) return pids;
    await sleep(25);
  }
  throw new Error(`No spare process came up: ${JSON.stringify(on.server.sparePids())}`);
}

const call = async (path: string, app = appId): Promise<Counted> => {
  const res = await t.invoke(app, path);
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return await counted(res);
};

describe("instance lifecycle", () => {
  it("a warm instance serves the next request", async () => {
    const a = await call("counter");
    const b = await call("counter");
    expect(b.instance).toBe(a.instance);
    expect(b.count).toBe(a.count + 1);
  }, 60_000);

  it("an idle instance stops, and the next request starts a fresh one", async () => {
    const a = await call("counter");
    await sleep(IDLE_MS * 2 + 200);
    expect((await t.server.instanceMemory()).filter((i) => i.function === "counter")).toEqual([]);
    const b = await call("counter");
    expect(b.instance).not.toBe(a.instance);
    expect(b.count).toBe(1);
  }, 60_000);

  it("100 concurrent requests to a cold function start exactly one instance", async () => {
    await t.deploy(appId, "burst", COUNTER.replace("count: ++count", "count: ++count, burst: 1"));
    const before = invocations.length;
    const answers = await Promise.all(Array.from({ length: 100 }, () => call("burst")));
    expect(new Set(answers.map((a) => a.instance)).size).toBe(1);
    expect(answers.map((a) => a.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    const records = invocations.slice(before).filter((r) => r.functionName === "burst");
    expect(records).toHaveLength(100);
    expect(records.filter((r) => r.cold)).toHaveLength(1);
  }, 60_000);

  it("a redeploy under load fails no request and switches answers to the new version", async () => {
    await t.deploy(appId, "versioned", versioned(1));
    let stop = false;
    const failures: string[] = [];
    const seen: number[][] = [];
    const worker = async (w: number) => {
      seen[w] = [];
      while (!stop) {
        try {
          const res = await t.invoke(appId, "versioned");
          const text = await res.text();
          if (res.status !== 200) failures.push(`${res.status} ${text}`);
          else seen[w]!.push((JSON.parse(text) as { version: number }).version);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await sleep(200);
    for (let v = 2; v <= 4; v++) {
      expect((await t.deploy(appId, "versioned", versioned(v))).status).toBe("deployed");
      // Keep the load on until the new version answers, then a little longer.
      for (let i = 0; i < 100 && !seen.some((s) => s.includes(v)); i++) await sleep(50);
      await sleep(100);
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    const all = seen.flat();
    expect(all.length).toBeGreaterThan(20);
    for (const v of [1, 2, 3, 4]) expect(all).toContain(v);
    // Once a worker saw a version, it never goes back to an older one.
    for (const s of seen) expect(s).toEqual([...s].sort((a, b) => a - b));
    expect((await (await t.invoke(appId, "versioned")).json()) as unknown).toEqual({
      version: 4,
    });
  }, 60_000);

  it("an instance that crashed between requests is replaced on the next request", async () => {
    const a = (await (await t.invoke(appId, "counter/die")).json()) as Counted;
    await sleep(300);
    const b = await call("counter");
    expect(b.instance).not.toBe(a.instance);
    expect(b.count).toBe(1);
  }, 60_000);

  it("a cold start runs in a spare process started ahead of need, which is then replaced", async () => {
    // Its own server: with this file's 300 ms idle timeout, a loaded machine stopped the first
    // instance before the last call (a flaky failure, not a fault).
    await using t0 = await startTestServer();
    const app = await t0.createApp("lifecycle-spare-a");
    await t0.deploy(app, "spare", COUNTER);
    const callOn = async (on: string) => {
      const res = await t0.invoke(on, "spare");
      expect(res.status).toBe(200);
      return await counted(res);
    };
    const [spare] = await spares(t0);
    const a = await callOn(app);
    expect(a.pid).toBe(spare);
    // A spare runs one function for the rest of its life: the next cold start, here of another
    // app, gets the next spare.
    const [next] = await spares(t0);
    expect(next).not.toBe(spare);
    const other = await t0.createApp("lifecycle-spare-b");
    await t0.deploy(other, "spare", COUNTER);
    const b = await callOn(other);
    expect(b.pid).toBe(next);
    expect((await callOn(app)).pid).toBe(spare);
  }, 60_000);

  it("a spare that dies before it is used is replaced", async () => {
    const [spare] = await spares(t);
    process.kill(spare!, "SIGKILL");
    const [next] = await spares(t, (p) => p.length > 0 && !p.includes(spare!));
    expect(next).not.toBe(spare);
    await t.deploy(appId, "after-spare-died", COUNTER);
    expect((await call("after-spare-died")).pid).toBe(next);
  }, 60_000);

  it("stops a replaced instance once its replacement runs, and at once when the server closes", async () => {
    const v2 = COUNTER.replace("count: ++count", "count: ++count, v: 2");
    await t.deploy(appId, "replaced", COUNTER);
    const old = await call("replaced");
    await t.deploy(appId, "replaced", v2);
    expect((await call("replaced")).pid).not.toBe(old.pid);
    expect(await eventually(() => gone(old.pid), 5_000)).toBe(true);

    const t0 = await startTestServer();
    const app = await t0.createApp("replaced-then-closed");
    await t0.deploy(app, "counter", COUNTER);
    const retired = await counted(await t0.invoke(app, "counter"));
    await t0.deploy(app, "counter", v2);
    await t0.close();
    expect(() => process.kill(retired.pid, 0)).toThrow(/ESRCH/);
  }, 60_000);

  it("stops its spare when the server closes", async () => {
    const t0 = await startTestServer();
    const [spare] = await spares(t0);
    await t0.close();
    expect(() => process.kill(spare!, 0)).toThrow(/ESRCH/);
  }, 60_000);

  it("starts every instance on demand with no spares", async () => {
    const t0 = await startTestServer({ spareInstances: 0 });
    try {
      const app = await t0.createApp("no-spares");
      await t0.deploy(app, "counter", COUNTER);
      const res = await t0.invoke(app, "counter");
      expect(res.status).toBe(200);
      expect(((await res.json()) as { count: number }).count).toBe(1);
      expect(t0.server.sparePids()).toEqual([]);
    } finally {
      await t0.close();
    }
  }, 60_000);

  it("instances of different apps never share a process", async () => {
    const other = await t.createApp("lifecycle-2");
    await t.deploy(other, "counter", COUNTER);
    const [a, b] = await Promise.all([call("counter"), call("counter", other)]);
    expect(a.pid).not.toBe(b.pid);
  }, 60_000);
});
