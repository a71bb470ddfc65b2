// Resource limits, tried as a hostile function would: allocate past the memory limit (V8's heap
// and ArrayBuffers outside it), spin forever, hold the CPU past the time limit, fill the disk.
// Each time: the instance dies, the caller gets a 5xx with a code, the function's log and the
// metrics say which limit, a sibling function answers the request it had meanwhile and the
// next, and the next call works (a fresh instance). Runs on either runtime
// (FNBASE_RUNTIME): an instance is told by an id of its own, since on the host runtime its
// process is its app's host, which lives on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FunctionOutputLine, resolveOptions } from "../../src/config.js";
import {
  eventually,
  expectError,
  gone,
  oneFile,
  startTestServer,
  type TestServer,
} from "../helpers.js";
import { attempt, HOSTILE } from "./hostile.js";

const MEMORY_MB = 160;
const CPU_MS = 400;
const DISK_BYTES = 1024 * 1024;

/**
 * The host runtime (the default, unless FNBASE_RUNTIME says otherwise): instances are Workers of
 * their app's host process (see runtime-host.test).
 */
const HOST_RUNTIME = resolveOptions({}).runtime === "host";

const GREEDY = `
const id = crypto.randomUUID();
const keep = [];
Deno.serve(async (req) => {
  const u = new URL(req.url);
  const mb = Number(u.searchParams.get("mb") ?? "0");
  switch (u.pathname.split("/").pop()) {
    case "heap":
      // In steps that yield, so that memory, not the CPU time limit, is what stops it.
      for (;;) {
        for (let i = 0; i < 20000; i++) keep.push({ a: Math.random(), b: "x".repeat(32) + i });
        await new Promise((r) => setTimeout(r, 0));
      }
    case "fill":
      // In one synchronous run, fast (8 MB a step): the heap limit comes long before the CPU
      // time limit.
      for (;;) keep.push(new Array(1 << 20).fill(Math.random()));
    case "crawl":
      // In one synchronous run, slowly (small objects): it has spent about its CPU time limit
      // by the time its heap is near full.
      for (;;) keep.push({ a: Math.random(), b: "x".repeat(32) + keep.length });
    case "wait":
      await new Promise((r) => setTimeout(r, Number(u.searchParams.get("ms"))));
      return Response.json({ waited: true });
    case "buffers":
      // Yielding between buffers, so that memory, not the CPU time limit, is what stops it.
      for (let i = 0; i < mb / 16; i++) {
        keep.push(new Uint8Array(16 * 1024 * 1024).fill(1));
        await new Promise((r) => setTimeout(r, 0));
      }
      return Response.json({ held: mb });
    case "block": {
      // Works a little (the watchdog sees its CPU time grow), then blocks its thread for good:
      // asleep, its event loop held, as Deno leaves some Workers at their heap limit.
      const until = performance.now() + 200;
      while (performance.now() < until);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return new Response("woke");
    }
    case "spin":
      while (true) {}
    case "hang":
      // Never answers, and never hears the abort either: no CPU, no end.
      return new Promise(() => {});
    case "busy": {
      // Work that yields: as much CPU as a spin, but its event loop keeps turning.
      return new Promise((resolve) => {
        const until = performance.now() + 1500;
        const step = () => {
          const end = performance.now() + 5;
          while (performance.now() < end);
          if (performance.now() < until) setTimeout(step, 0);
          else resolve(Response.json({ done: true }));
        };
        step();
      });
    }
  }
  return Response.json({ pid: Deno.pid, id });
});
`;

let t: TestServer;
let app: string;
const lines: FunctionOutputLine[] = [];

/** The platform's lines so far (what a failed expectation shows). */
const platformLines = () => lines.filter((l) => l.source === "platform");
const platform = (fn: string, re: RegExp) =>
  platformLines().filter((l) => l.function === fn && re.test(l.message));

async function limitStops(fn: string): Promise<Record<string, number>> {
  const m = (await (await t.admin(`/api/apps/${app}/metrics`)).json()) as {
    functions: { name: string; limit_stops: Record<string, number> }[];
  };
  return m.functions.find((f) => f.name === fn)?.limit_stops ?? {};
}

/**
 * The instance is gone (its process, on the process runtime), the caller got `status` (502
 * FUNCTION_CRASHED when the instance died under the request), the function's log says which
 * limit, and the next call is served by a fresh instance. Meanwhile a sibling (another function
 * of the app: on the host runtime, a Worker of the same process) answers the request it had
 * when the instance was stopped, and the next.
 */
async function expectStopped(
  fn: string,
  path: string,
  limit: RegExp,
  [status, code]: [number, string] = [502, "FUNCTION_CRASHED"],
): Promise<void> {
  const before = (await (await t.invoke(app, fn)).json()) as { pid: number; id: string };
  expect((await t.invoke(app, "sibling")).status).toBe(200);
  const sibling = t.invoke(app, "sibling/wait?ms=1500");
  const started = performance.now();
  await expectError(await t.invoke(app, `${fn}/${path}`), status, code);
  if (!HOST_RUNTIME) expect(await eventually(() => gone(before.pid), 5_000)).toBe(true);
  expect(performance.now() - started).toBeLessThan(20_000);
  const said = await eventually(() => platform(fn, limit).length > 0, 5_000);
  expect(said, JSON.stringify(platformLines())).toBe(true);
  const next = await t.invoke(app, fn);
  const text = await next.text();
  expect(next.status, `${text} ${JSON.stringify(platformLines())}`).toBe(200);
  const after = JSON.parse(text) as { pid: number; id: string };
  expect(after.id).not.toBe(before.id);
  if (!HOST_RUNTIME) expect(after.pid).not.toBe(before.pid);
  const waited = await sibling;
  expect(await waited.json()).toEqual({ waited: true });
  expect((await t.invoke(app, "sibling")).status).toBe(200);
}

/**
 * `greedy` at `path` is stopped as over its memory limit, or on the host runtime maybe its CPU
 * time limit (see the cases), and the metrics count the limit its log says, once.
 */
async function expectStoppedByMemory(path: string): Promise<void> {
  const before = await limitStops("greedy");
  const said = HOST_RUNTIME
    ? new RegExp(`over its (memory limit of ${MEMORY_MB} MB|CPU time limit of ${CPU_MS} ms)`)
    : new RegExp(`over its memory limit of ${MEMORY_MB} MB`);
  const lineCount = lines.length;
  await expectStopped("greedy", path, said);
  const after = await limitStops("greedy");
  const stop = lines
    .slice(lineCount)
    .find((l) => l.source === "platform" && l.function === "greedy" && said.test(l.message));
  const which = /CPU time/.test(stop?.message ?? "") ? "cpu" : "memory";
  expect(after[which]).toBe((before[which] ?? 0) + 1);
  const other = which === "cpu" ? "memory" : "cpu";
  expect(after[other] ?? 0).toBe(before[other] ?? 0);
}

beforeAll(async () => {
  t = await startTestServer({
    sandbox: "require",
    memoryLimitMb: MEMORY_MB,
    cpuTimeLimitMs: CPU_MS,
    instanceDiskBytes: DISK_BYTES,
  });
  t.server.onOutput((l) => lines.push(l));
  app = await t.createApp("greedy");
  await t.deploy(app, "greedy", GREEDY);
  await t.deploy(app, "sibling", GREEDY);
  await t.deploy(app, "roomy", oneFile(GREEDY, { memory_mb: 512 }));
  await t.deploy(app, "hasty", oneFile(GREEDY, { timeout_seconds: 0.2 }));
  await t.deploy(app, "stuck", oneFile(GREEDY, { timeout_seconds: 0.5 }));
  await t.deploy(app, "hostile", HOSTILE);
}, 120_000);

afterAll(() => t?.close());

describe("memory", () => {
  // On the host runtime, under load, one full collection near the heap limit can take more than
  // this test's 400 ms of CPU (the default limit is 10 s): the watchdog, which cannot tell a
  // Worker's memory apart in /proc, then says CPU time (docs/ARCHITECTURE.md, the host runtime's
  // known gaps; measured: 2 of about 30 runs beside other tests, none alone).
  it("an instance that fills V8's heap past its limit is stopped (on the host runtime, maybe as over its CPU time limit)", async () => {
    await expectStoppedByMemory("heap");
  });

  // In 8 MB steps the heap limit comes first, but a loaded machine (a full suite run on a slow
  // day: 400-430 ms of CPU) can make it the CPU limit on the host runtime, as above.
  it("so is one that fills it in one synchronous run (on the host runtime under load, maybe as over its CPU time limit)", async () => {
    await expectStoppedByMemory("fill");
  });

  // The process runtime sees the process's resident memory near its limit when its CPU time
  // runs out, and says memory. The host runtime cannot tell a Worker's memory apart in /proc
  // and the Worker does not answer meanwhile: whichever limit it finds first, the heap's (its
  // Worker ends) or the CPU time's (the watchdog's sample), is the one it says
  // (docs/ARCHITECTURE.md, the host runtime's known gaps).
  it("so is one that fills it slowly in one synchronous run (on the host runtime, maybe as over its CPU time limit)", async () => {
    await expectStoppedByMemory("crawl");
  });

  // Not on the host runtime: memory outside the heap counts against the app's host process
  // only, not against one function (docs/ARCHITECTURE.md, the host runtime's known gaps).
  it.skipIf(HOST_RUNTIME)(
    "so is one that holds ArrayBuffers (outside V8's heap) past its limit",
    async () => {
      const before = (await limitStops("greedy")).memory ?? 0;
      await expectStopped("greedy", "buffers?mb=400", /over its memory limit/);
      expect((await limitStops("greedy")).memory).toBe(before + 1);
    },
  );

  it("a function's memory_mb replaces the server's limit", async () => {
    const res = await t.invoke(app, "roomy/buffers?mb=256");
    const body = await res.text();
    expect(JSON.parse(body), body).toEqual({ held: 256 });
    const listed = (await (await t.admin(`/api/apps/${app}/backend-functions`)).json()) as {
      functions: { name: string; memory_mb: number | null }[];
    };
    expect(listed.functions.find((f) => f.name === "roomy")?.memory_mb).toBe(512);
    expect(listed.functions.find((f) => f.name === "greedy")?.memory_mb).toBe(null);
    for (const bad of [64, 100000, 256.5, "256"]) {
      const r = await t.admin(`/api/apps/${app}/backend-functions/roomy`, {
        method: "PUT",
        body: JSON.stringify(oneFile(GREEDY, { memory_mb: bad })),
      });
      await expectError(r, 400, "BAD_REQUEST");
    }
  });
});

describe("CPU", () => {
  it("an instance that spins without yielding is stopped at its CPU time limit", async () => {
    await expectStopped("greedy", "spin", new RegExp(`over its CPU time limit of ${CPU_MS} ms`));
    expect((await limitStops("greedy")).cpu).toBeGreaterThanOrEqual(1);
  });

  it("one that works as hard but yields is not", async () => {
    const res = await t.invoke(app, "greedy/busy");
    expect(await res.json()).toEqual({ done: true });
  });

  it("one that spins past its function's time limit is stopped at that limit", async () => {
    // The caller has its 504 at the time limit; the instance, which never heard the abort,
    // is stopped right after.
    await expectStopped("hasty", "spin", /over its time limit of 200 ms/, [
      504,
      "FUNCTION_TIMEOUT",
    ]);
    expect((await limitStops("hasty")).time).toBe(1);
  });

  it("one that waits past its time limit without answering the abort is stopped too", async () => {
    await expectStopped(
      "stuck",
      "hang",
      /over its time limit of 500 ms \(request \S+ still running after \d+ ms\)/,
      [504, "FUNCTION_TIMEOUT"],
    );
    expect((await limitStops("stuck")).time).toBe(1);
  });
});

describe("disk", () => {
  it("an instance writes up to its quota in its own folder, and nowhere else", async () => {
    expect(await attempt(t, app, "hostile", "write", DISK_BYTES / 2)).toEqual({
      ok: true,
      value: DISK_BYTES / 2,
    });
    const full = await attempt(t, app, "hostile", "write", DISK_BYTES * 2);
    expect(full.ok).toBe(false);
    expect(full.message).toMatch(/No space left on device/);
    const tmp = ((await attempt(t, app, "hostile", "env")).value as { TMPDIR: string }).TMPDIR;
    const outside = await attempt(t, app, "hostile", "writeAt", `${tmp}/../escape`);
    expect(outside).toMatchObject({ ok: false, error: "NotCapable" });
  });
});

describe("a thread asleep for good", () => {
  // Deno 2.9 leaves about 1 in 40 Workers that reach their heap limit under load asleep for good,
  // its heap last seen low: the watchdog sees the thread asleep with a ping unanswered, and the
  // host ends it as out of memory (watchdog.ts, ASLEEP_MS: 8 s). A thread blocked for good by its own
  // code looks the same, and is ended the same way (docs/ARCHITECTURE.md, the host runtime's
  // known gaps). The process runtime leaves such a process to its time limit. Last, after the CPU
  // cases: its host then has live siblings, so only the host's end closes the blocked Worker's
  // connection (its exit says `stuck`; found so: the caller waited for ever).
  it.runIf(HOST_RUNTIME)(
    "on the host runtime, so is one whose thread sleeps for good, its loop held",
    async () => {
      const before = (await limitStops("greedy")).memory ?? 0;
      await expectStopped(
        "greedy",
        "block",
        new RegExp(`over its memory limit of ${MEMORY_MB} MB`),
      );
      expect((await limitStops("greedy")).memory).toBe(before + 1);
    },
  );
});
