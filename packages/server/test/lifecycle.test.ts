import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationRecord } from "../src/gateway/gateway.js";
import type { RuntimeKind } from "../src/runtime/manager.js";
import { denoPidOf, eventually, gone, sleep, startTestServer, type TestServer } from "./helpers.js";

const RUNTIMES: RuntimeKind[] = ["process", "host"];
const IDLE_MS = 300;
const COUNTER = `
import { threadId } from "node:worker_threads";
const instance = crypto.randomUUID();
let count = 0;
Deno.serve((req) => {
  if (new URL(req.url).pathname.endsWith("/die")) setTimeout(() => Deno.exit(1), 10);
  return Response.json({ instance, count: ++count, tmp: Deno.env.get("TMPDIR"), thread: threadId });
});`;
const versioned = (v: number) => `Deno.serve(() => Response.json({ version: ${v} }));`;

interface Counted {
  instance: string;
  count: number;
  /** Its process's pid (found from the TMPDIR it reports: see `denoPidOf`). */
  pid: number;
  /**
   * Its Worker's thread id on the host runtime (the thread is named `worker-<id>` in its host
   * process); 0 on the process runtime, whose instance is its process's main thread.
   */
  thread: number;
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
  return { instance: a.instance, count: a.count, pid: await denoPidOf(a.tmp), thread: a.thread };
}

/** Whether the instance that gave `c` still runs: its process, or its Worker's thread. */
async function running(c: Counted): Promise<boolean> {
  if (c.thread === 0) return !gone(c.pid);
  for (const tid of await readdir(`/proc/${c.pid}/task`).catch(() => [] as string[])) {
    const comm = await readFile(`/proc/${c.pid}/task/${tid}/comm`, "utf8").catch(() => "");
    if (comm.trim() === `worker-${c.thread}`) return true;
  }
  return false;
}

/** Calls a COUNTER on `on`; throws unless it answered 200. */
async function callOn(on: TestServer, app: string, path: string): Promise<Counted> {
  const res = await on.invoke(app, path);
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return await counted(res);
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

const call = (path: string): Promise<Counted> => callOn(t, appId, path);

// On the server's default runtime (FNBASE_RUNTIME).
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
});

// What the spare pool and the stopping of replaced instances do, on each runtime whatever the
// default: a process per instance (`process`), or per app with a Worker thread per instance
// (`host`), where a spare is a host process that has booted Workers before it knows its app.
describe.each(RUNTIMES)("instances and spares on the %s runtime", (runtime) => {
  let r: TestServer;
  beforeAll(async () => {
    r = await startTestServer({ runtime });
  }, 120_000);
  afterAll(() => r?.close());

  it("a cold start runs in a spare process started ahead of need, which is then replaced", async () => {
    await using t0 = await startTestServer({ runtime });
    const app = await t0.createApp("lifecycle-spare-a");
    await t0.deploy(app, "spare", COUNTER);
    const [spare] = await spares(t0);
    const a = await callOn(t0, app, "spare");
    expect(a.pid).toBe(spare);
    // A spare runs one function (one app, on the host runtime) for the rest of its life: the
    // next cold start, here of another app, gets the next spare.
    const [next] = await spares(t0);
    expect(next).not.toBe(spare);
    const other = await t0.createApp("lifecycle-spare-b");
    await t0.deploy(other, "spare", COUNTER);
    const b = await callOn(t0, other, "spare");
    expect(b.pid).toBe(next);
    expect((await callOn(t0, app, "spare")).pid).toBe(spare);
  }, 60_000);

  it("a spare that dies before it is used is replaced", async () => {
    const [spare] = await spares(r);
    process.kill(spare!, "SIGKILL");
    const [next] = await spares(r, (p) => p.length > 0 && !p.includes(spare!));
    expect(next).not.toBe(spare);
    // An app with nothing running, so that its cold start takes a spare on either runtime.
    const app = await r.createApp("after-spare-died");
    await r.deploy(app, "counter", COUNTER);
    expect((await callOn(r, app, "counter")).pid).toBe(next);
  }, 60_000);

  it("stops a replaced instance once its replacement runs, and at once when the server closes", async () => {
    const v2 = COUNTER.replace("count: ++count", "count: ++count, v: 2");
    const app = await r.createApp("replaced");
    await r.deploy(app, "replaced", COUNTER);
    const old = await callOn(r, app, "replaced");
    await r.deploy(app, "replaced", v2);
    const now = await callOn(r, app, "replaced");
    expect(now.instance).not.toBe(old.instance);
    if (runtime === "host") {
      // The app's host lives on, serving the new version from a Worker of its own.
      expect(now.pid).toBe(old.pid);
      expect(now.thread).not.toBe(old.thread);
    } else {
      expect(now.pid).not.toBe(old.pid);
    }
    expect(await eventually(async () => !(await running(old)), 5_000)).toBe(true);
    expect(await running(now)).toBe(true);

    const t0 = await startTestServer({ runtime });
    const other = await t0.createApp("replaced-then-closed");
    await t0.deploy(other, "counter", COUNTER);
    const retired = await counted(await t0.invoke(other, "counter"));
    await t0.deploy(other, "counter", v2);
    await t0.close();
    expect(() => process.kill(retired.pid, 0)).toThrow(/ESRCH/);
  }, 60_000);

  it("stops its spare when the server closes", async () => {
    const t0 = await startTestServer({ runtime });
    const [spare] = await spares(t0);
    await t0.close();
    expect(() => process.kill(spare!, 0)).toThrow(/ESRCH/);
  }, 60_000);

  it("starts every instance on demand with no spares", async () => {
    await using t0 = await startTestServer({ runtime, spareInstances: 0 });
    const app = await t0.createApp("no-spares");
    await t0.deploy(app, "counter", COUNTER);
    expect((await callOn(t0, app, "counter")).count).toBe(1);
    expect(t0.server.sparePids()).toEqual([]);
  }, 60_000);

  it("instances of different apps never share a process", async () => {
    const [one, two] = [await r.createApp("apart-1"), await r.createApp("apart-2")];
    await r.deploy(one, "counter", COUNTER);
    await r.deploy(two, "counter", COUNTER);
    const [a, b] = await Promise.all([callOn(r, one, "counter"), callOn(r, two, "counter")]);
    expect(a.pid).not.toBe(b.pid);
  }, 60_000);
});
