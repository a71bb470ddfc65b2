// The host runtime (`runtime: "host"`, FNBASE_RUNTIME=host): one Deno process per app, one
// Worker per function. Real Deno, real HTTP on port 0. What each instance keeps of its own when
// it shares a process with its app's other functions: its answers, its crash, its memory and CPU
// limits, its idle stop (the memory comes back), secrets and redeploys on the next call; and
// apps never share a process.
import { readdir, readFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionOutputLine } from "../src/config.js";
import {
  ADMIN_KEY,
  denoPidOf,
  eventually,
  expectError,
  gone,
  oneFile,
  sleep,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const MEMORY_MB = 128;
const CPU_MS = 1_000;
const IDLE_MS = 2_500;

/** A function that says who it is (an id per isolate) and can crash, spin, grow or hold memory. */
const fn = (name: string) => `
const id = crypto.randomUUID();
const keep = [];
Deno.serve(async (req) => {
  const what = new URL(req.url).pathname.split("/").pop();
  if (what === "crash") setTimeout(() => { throw new Error("${name} crashed on purpose"); }, 0);
  if (what === "exit") Deno.exit(3);
  if (what === "spin") while (true) {}
  if (what === "grow") for (;;) {
    for (let i = 0; i < 20000; i++) keep.push({ a: Math.random(), b: "x".repeat(32) + i });
    await new Promise((r) => setTimeout(r, 0));
  }
  if (what === "hold") {
    // About 10 MB of heap per step (8 steps unless ?n= says), kept until the isolate goes.
    const steps = Number(new URL(req.url).searchParams.get("n") ?? 8);
    for (let i = 0; i < steps; i++) {
      keep.push(Array.from({ length: 1_250_000 }, (_, j) => j + 0.5));
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  if (what === "log") console.log("hello from ${name}");
  return Response.json({ name: "${name}", id, tmp: Deno.env.get("TMPDIR"), secret: Deno.env.get("COLOR") ?? null, v: 1 });
});
`;

interface Who {
  name: string;
  id: string;
  /** Its host process's pid, as the server sees it (inside, Deno's is 1: see the sandbox). */
  pid: number;
  secret: string | null;
  v: number;
}

let t: TestServer;
let app: string;
let other: string;
const lines: FunctionOutputLine[] = [];

const who = async (a: string, path: string): Promise<Who> => {
  const res = await t.invoke(a, path);
  const text = await res.text();
  if (res.status !== 200) {
    const fn = path.split("/")[0];
    const said = lines.filter((l) => l.function === fn).map((l) => `${l.source} ${l.message}`);
    throw new Error(`${path}: ${res.status} ${text}\n${said.join("\n")}`);
  }
  const answer = JSON.parse(text) as Omit<Who, "pid"> & { tmp: string };
  return { ...answer, pid: await denoPidOf(answer.tmp) };
};

const platform = (name: string, re: RegExp) =>
  lines.filter((l) => l.source === "platform" && l.function === name && re.test(l.message));

/** A request on a unix socket: its status and body. */
function onSocket(
  socketPath: string,
  method: string,
  headers: Record<string, string> = {},
  body = "",
): Promise<{ status: number; body: string }> {
  // A raw socket and one write: a Worker that refuses answers and closes at once, and Node's
  // http client then reports EPIPE for the body it had not finished writing instead of the answer.
  return new Promise((resolve, reject) => {
    const head = [
      `${method} / HTTP/1.1`,
      "host: localhost",
      "connection: close",
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ].join("\r\n");
    const socket = connect(socketPath);
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => {
      text += c;
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // What the Worker answered before it closed still counts.
      if (err.code !== "EPIPE" && err.code !== "ECONNRESET") reject(err);
    });
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      if (status === 0) return reject(new Error(`No answer on ${socketPath}: ${text}`));
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
    socket.write(`${head}\r\n\r\n${body}`);
  });
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

beforeAll(async () => {
  t = await startTestServer({
    runtime: "host",
    memoryLimitMb: MEMORY_MB,
    cpuTimeLimitMs: CPU_MS,
    idleTimeoutMs: IDLE_MS,
  });
  t.server.onOutput((l) => lines.push(l));
  app = await t.createApp("many");
  other = await t.createApp("other");
  for (let i = 0; i < 10; i++) await t.deploy(app, `f${i}`, fn(`f${i}`));
  await t.deploy(app, "big", oneFile(fn("big"), { memory_mb: 512 }));
  await t.deploy(other, "g", fn("g"));
}, 120_000);

afterAll(() => t?.close());

describe("host runtime", () => {
  // More than the Workers the app's host had booted ahead (spareWorkers, 8): the rest are
  // created while the first ones serve.
  it("a burst of distinct cold functions all answer, from one process of their app", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => who(app, `f${i}`)));
    expect(answers.map((a) => a.name)).toEqual(Array.from({ length: 10 }, (_, i) => `f${i}`));
    expect(new Set(answers.map((a) => a.id)).size).toBe(10);
    expect(new Set(answers.map((a) => a.pid)).size).toBe(1);
    const hosts = t.server.hostProcesses().filter((h) => h.app_id === app);
    expect(hosts).toHaveLength(1);
    expect(hosts[0]?.workers).toBe(10);
  });

  it("a burst on an app that was not running answers too, each from an isolate of its own", async () => {
    const burst = await t.createApp("burst");
    for (let i = 0; i < 16; i++) await t.deploy(burst, `b${i}`, fn(`b${i}`));
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => who(burst, `b${i}`)));
    expect(answers.map((a) => a.name)).toEqual(Array.from({ length: 16 }, (_, i) => `b${i}`));
    expect(new Set(answers.map((a) => a.id)).size).toBe(16);
    expect(new Set(answers.map((a) => a.pid)).size).toBe(1);
  });

  it("a Worker booted ahead serves nobody without its key: neither a request nor an assignment", async () => {
    // Every Worker socket of every host: those booted ahead (the spare host's, the apps' own)
    // and those serving functions.
    const instances = join(t.dataDir, "instances");
    let sockets: string[] = [];
    // Workers are booted ahead once cold starts have paused (100 ms, 2 s at most): wait for some.
    const bootedAhead = await eventually(async () => {
      sockets = [];
      for (const dir of await readdir(instances)) {
        const names = await readdir(join(instances, dir)).catch(() => [] as string[]);
        // Random names, 22 characters of base64url (see `DenoProcess.bootWorker`).
        for (const n of names) if (/^[\w-]{22}$/.test(n)) sockets.push(join(instances, dir, n));
      }
      const serving = t.server.hostProcesses().reduce((n, h) => n + h.workers, 0);
      return sockets.length > serving;
    });
    expect(bootedAhead, "more Worker sockets than Workers serving functions").toBe(true);
    const assignment = JSON.stringify({ entry: "/etc/passwd", cwd: "/" });
    // A Worker booted ahead may end meanwhile (a running app's host keeps one waiting): its
    // socket is then gone or refuses, and it serves nobody either.
    const status = (...a: Parameters<typeof onSocket>) =>
      onSocket(...a).then(
        (r) => r.status,
        (err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT" || err.code === "ECONNREFUSED") return "gone";
          throw err;
        },
      );
    let refused = 0;
    for (const socket of sockets) {
      const plain = await status(socket, "GET");
      if (plain === "gone") continue;
      expect(plain).toBe(403);
      const wrongKey = { "x-fnbase-instance-key": "0".repeat(48) };
      expect([403, "gone"]).toContain(await status(socket, "POST", wrongKey, assignment));
      expect([403, "gone"]).toContain(await status(socket, "POST", {}, assignment));
      refused++;
    }
    expect(refused, "Worker sockets that answered (403)").toBeGreaterThan(0);
    // The functions still serve, and a function started now gets one of those Workers.
    expect((await who(app, "f0")).name).toBe("f0");
    await t.deploy(app, "late", fn("late"));
    expect((await who(app, "late")).name).toBe("late");
  });

  it("a function that cannot load fails its start with its error; the app's next start works", async () => {
    await t.deploy(app, "broken", 'throw new Error("broken at import");\n');
    const asAdmin = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };
    const failed = await expectError(
      await t.invoke(app, "broken", asAdmin),
      502,
      "FUNCTION_BOOT_FAILED",
    );
    expect(failed.error).toContain("broken at import");
    expect(
      await eventually(() =>
        lines.some((l) => l.function === "broken" && l.message.includes("broken at import")),
      ),
    ).toBe(true);
    // Twice: the first failed start's Worker is gone and its number free again.
    await expectError(await t.invoke(app, "broken", asAdmin), 502, "FUNCTION_BOOT_FAILED");
    await t.deploy(app, "mended", fn("mended"));
    expect((await who(app, "mended")).name).toBe("mended");
  });

  it("instances of different apps never share a process", async () => {
    const [a, b] = [await who(app, "f0"), await who(other, "g")];
    expect(a.pid).not.toBe(b.pid);
  });

  it("logs are the function's, tagged with the request id", async () => {
    const res = await t.invoke(app, "f3/log");
    const requestId = res.headers.get("x-request-id");
    expect(res.status).toBe(200);
    expect(
      await eventually(() =>
        lines.some((l) => l.message === "hello from f3" && l.request_id === requestId),
      ),
    ).toBe(true);
    const line = lines.find((l) => l.message === "hello from f3");
    expect(line).toMatchObject({ function: "f3", app_id: app, source: "function" });
  });

  it("a crash of one function's isolate leaves its siblings serving; it comes back fresh", async () => {
    const before = await Promise.all([who(app, "f1"), who(app, "f2")]);
    const crash = await t.invoke(app, "f1/exit");
    await expectError(crash, 502, "FUNCTION_CRASHED");
    expect(await eventually(() => platform("f1", /crashed/).length > 0)).toBe(true);
    const sibling = await who(app, "f2");
    expect(sibling.id).toBe(before[1]?.id);
    const again = await who(app, "f1");
    expect(again.id).not.toBe(before[0]?.id);
    expect(again.pid).toBe(before[0]?.pid);
    // An uncaught error after the answer ends that isolate too, and only it.
    expect((await t.invoke(app, "f1/crash")).status).toBe(200);
    expect(await eventually(() => platform("f1", /crashed on purpose/).length > 0)).toBe(true);
    expect((await who(app, "f2")).id).toBe(before[1]?.id);
    expect((await who(app, "f1")).id).not.toBe(again.id);
  });

  it("a function's memory limit stops that function only", async () => {
    const sibling = await who(app, "f4");
    // The sibling is kept busy (and so not idle) while the other grows.
    const keepWarm = setInterval(() => void t.invoke(app, "f4").then((r) => r.body?.cancel()), 300);
    try {
      const victim = await who(app, "f5");
      await expectError(await t.invoke(app, "f5/grow"), 502, "FUNCTION_CRASHED");
      expect(
        await eventually(() => platform("f5", /over its memory limit of 128 MB/).length > 0),
        JSON.stringify(lines.filter((l) => l.function === "f5")),
      ).toBe(true);
      expect(await who(app, "f4")).toEqual(sibling);
      const next = await who(app, "f5");
      expect(next.id).not.toBe(victim.id);
    } finally {
      clearInterval(keepWarm);
    }
    // A function with a limit of its own holds what the server's limit would not allow: 160 MB
    // of heap, past the 96 MB every Worker was held to while the host's own isolate had a heap
    // limit (V8's flag capped its Workers' too).
    const roomy = await t.invoke(app, "big/hold?n=16");
    expect(roomy.status).toBe(200);
  });

  it("a function that spins past its CPU limit is stopped, its siblings serve meanwhile", async () => {
    const sibling = await who(app, "f6");
    const spin = t.invoke(app, "f7/spin");
    await sleep(100);
    const during = performance.now();
    expect((await who(app, "f6")).id).toBe(sibling.id);
    expect(performance.now() - during).toBeLessThan(2_000);
    await expectError(await spin, 502, "FUNCTION_CRASHED");
    expect(
      await eventually(() => platform("f7", /over its CPU time limit of 1000 ms/).length > 0),
    ).toBe(true);
    // Deno does not stop a Worker that never yields: its host process ends (once the sibling
    // is done), and with it the spinning thread; both functions start again on a new host.
    expect(await eventually(() => gone(sibling.pid))).toBe(true);
    expect((await who(app, "f7")).name).toBe("f7");
    const again = await who(app, "f6");
    expect(again.id).not.toBe(sibling.id);
    expect(again.pid).not.toBe(sibling.pid);
  });

  it("secrets and redeploys reach the next call", async () => {
    const set = await t.admin(`/api/apps/${app}/secrets`, {
      method: "POST",
      body: JSON.stringify({ COLOR: "red" }),
    });
    expect(set.status).toBe(200);
    expect((await who(app, "f8")).secret).toBe("red");
    await t.admin(`/api/apps/${app}/secrets`, {
      method: "POST",
      body: JSON.stringify({ COLOR: "blue" }),
    });
    expect((await who(app, "f8")).secret).toBe("blue");
    expect((await who(app, "f9")).secret).toBe("blue");
    await t.admin(`/api/apps/${app}/secrets?secret_name=COLOR`, { method: "DELETE" });
    expect((await who(app, "f8")).secret).toBe(null);
    // The other app's functions never see them.
    expect((await who(other, "g")).secret).toBe(null);
    await t.deploy(app, "f9", fn("f9").replace("v: 1", "v: 2"));
    expect((await who(app, "f9")).v).toBe(2);
  });

  it("idle stop frees the memory: the host's RSS drops, and a host without functions stops", async () => {
    // f0 is kept warm while "big" holds about 80 MB and then goes idle.
    const warm = await who(app, "f0");
    const keepWarm = setInterval(() => void t.invoke(app, "f0").then((r) => r.body?.cancel()), 300);
    try {
      await who(app, "big/hold");
      const pid = warm.pid;
      const held = await rssMb(pid);
      expect(
        await eventually(() => platform("big", /stopped after being idle/).length > 0, IDLE_MS * 4),
      ).toBe(true);
      let after = held;
      expect(
        await eventually(async () => {
          after = await rssMb(pid);
          return after < held - 40;
        }),
        `RSS ${held} MB with big, ${after} MB after its idle stop`,
      ).toBe(true);
      expect((await who(app, "f0")).id).toBe(warm.id);
    } finally {
      clearInterval(keepWarm);
    }
    // The other app's only function goes idle: its host process ends.
    const g = await who(other, "g");
    expect(await eventually(() => gone(g.pid), IDLE_MS * 6)).toBe(true);
    expect(t.server.hostProcesses().some((h) => h.app_id === other)).toBe(false);
  });
});
