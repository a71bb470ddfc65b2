// Hostile: on the host runtime a function shares its host process's stdout, which carries the
// host's records to the server (`\x1e` + JSON, one a line). What it writes through `console`,
// `Deno.stdout` or `process.stdout` becomes records of its own (`worker.ts`), but a `node:fs`
// write to fd 1 reaches the pipe as it is, so a function can write any record in its host's
// name. Found by a hostile session (2026-12-01): a forged `ready` record (the host's answer to
// its app, listing its Workers) was taken at any time, for any Worker numbers, and each number
// became a Worker slot of the server's with the server's memory limit: the host's cgroup limit
// went from 640 MB to 1.2 TB with one write (the app's memory limit gone: ArrayBuffers and a
// function's own Workers are held by the cgroup only), and the server's map of slots grew with
// every record, each costing a pass over all of them, until Node threw "Map maximum size
// exceeded" in the pipe's data handler and the whole server, every app's, crashed. Real Deno,
// real HTTP on port 0.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionOutputLine } from "../../src/config.js";
import { eventually, startTestServer, type TestServer } from "../helpers.js";

/**
 * Writes `ready` records listing `n` Worker numbers (from `from` on, 4,000 a record: under the
 * server's cut of a record's length) straight to fd 1, then a marker line.
 */
const forger = `
import fs from "node:fs";
Deno.serve((req) => {
  const url = new URL(req.url);
  const n = Number(url.searchParams.get("n") ?? 1000);
  const from = Number(url.searchParams.get("from") ?? 100);
  for (let i = 0; i < n; i += 4000) {
    const workers = Array.from({ length: Math.min(4000, n - i) }, (_, k) => ({ w: from + i + k }));
    fs.writeSync(1, "\\x1e" + JSON.stringify({ t: "ready", ms: 0, workers }) + "\\n");
  }
  // After the forged record on the same pipe (the host forwards it later).
  console.log("forged " + url.searchParams.get("mark"));
  return Response.json({ tmp: Deno.env.get("TMPDIR") });
});
`;

const victim = `Deno.serve(() => new Response("victim ok"));`;

/** Writes `n` plain lines of 16,000 characters straight to fd 1 (not through \`Deno.stdout\`). */
const writer = `
import fs from "node:fs";
Deno.serve((req) => {
  const url = new URL(req.url);
  const n = Number(url.searchParams.get("n") ?? 1);
  const line = (url.searchParams.get("mark") ?? "") + "x".repeat(16_000) + "\\n";
  for (let i = 0; i < n; i++) fs.writeSync(1, line);
  return new Response("wrote " + n);
});
`;

/** The memory limit of the cgroup `pid` is in, bytes; undefined without memory cgroups. */
async function memoryLimit(pid: number): Promise<number | undefined> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => "")).split("\n");
  const v1 = lines.find((l) => /^\d+:memory:/.test(l))?.split(":")[2];
  const v2 = lines.find((l) => l.startsWith("0::"))?.slice(3);
  const files = [
    ...(v1 ? [`/sys/fs/cgroup/memory${v1}/memory.limit_in_bytes`] : []),
    ...(v2 ? [`/sys/fs/cgroup${v2}/memory.max`] : []),
  ];
  for (const file of files) {
    const text = (await readFile(file, "utf8").catch(() => "")).trim();
    if (/^\d+$/.test(text)) return Number(text);
  }
  return undefined;
}

let t: TestServer;
let attacker: string;
let victimApp: string;
const lines: FunctionOutputLine[] = [];

beforeAll(async () => {
  t = await startTestServer({ runtime: "host" });
  t.server.onOutput((line) => lines.push(line));
  attacker = await t.createApp("attacker");
  victimApp = await t.createApp("victim");
  await t.deploy(attacker, "forger", forger);
  await t.deploy(attacker, "writer", writer);
  await t.deploy(victimApp, "victim", victim);
}, 120_000);

afterAll(() => t?.close());

/** Calls the forger and waits until the server has read what it wrote after its record. */
async function forge(query: string, mark: string): Promise<void> {
  const res = await t.invoke(attacker, `forger?${query}&mark=${mark}`);
  expect(res.status).toBe(200);
  await res.body?.cancel();
  const seen = await eventually(() => lines.some((l) => l.message === `forged ${mark}`), 20_000);
  expect(seen).toBe(true);
}

describe("host runtime: records a function forges on its host's stdout", () => {
  it("cannot raise its host's memory limit", async () => {
    // A first call starts the host; its limit settles once its Workers are known.
    await forge("n=0", "warm");
    const host = t.server.hostProcesses().find((h) => h.app_id === attacker);
    expect(host?.pid).toBeTypeOf("number");
    const pid = host?.pid as number;
    await forge("n=4000&from=100", "one");
    // The server would write a new limit after it read the record: give it a moment.
    await new Promise((r) => setTimeout(r, 500));
    // The host's own 128 MB and its Workers' limits (a spare host's 8 ahead and the app's few):
    // a few GB at most, not 4,000 Workers' worth (1 TB). Undefined without memory cgroups (not
    // root, no FNBASE_CGROUP).
    const limit = await memoryLimit(pid);
    if (limit !== undefined) expect(limit).toBeLessThan(16 * 1024 ** 3);
  }, 60_000);

  it("cannot grow the server's state with Worker numbers it never booted", async () => {
    // Many records of many numbers: each number was a slot of the server's, each record a pass
    // over all of them (a flood of 16.7 million crashed the server). The same numbers again
    // and again cost nothing when they are ignored; new ones each time is what grew the map.
    for (let i = 0; i < 20; i++) await forge(`n=8000&from=${10_000 + i * 8000}`, `many${i}`);
    const host = t.server.hostProcesses().find((h) => h.app_id === attacker);
    // The app's host still runs its function, and it is the only Worker the server counts.
    expect(host?.workers).toBe(1);
    const before = host?.pid === undefined ? undefined : await memoryLimit(host.pid);
    // 128 MB of the host's own and a few Workers of the server's limit, not 160,000 of them.
    if (before !== undefined) expect(before).toBeLessThan(16 * 1024 ** 3);
    // Another app is not affected: it answers, and so does the attacker's own function.
    const answer = await t.invoke(victimApp, "victim");
    expect(await answer.text()).toBe("victim ok");
    expect((await t.invoke(attacker, "forger?n=0&mark=after")).status).toBe(200);
  }, 120_000);
});

describe("host runtime: plain lines a function writes on its host's stdout", () => {
  it("go to its app's logs, where its log limits hold, not to the server's own log", async () => {
    // Two of the app's functions run, so the host cannot tell whose a plain line is. Such lines
    // went to the server's own log, without a limit: a function wrote 1.9 GB of it in 30 s
    // (the operator's disk), where its app's logs have their limits.
    expect((await t.invoke(attacker, "forger?n=0&mark=two")).status).toBe(200);
    const res = await t.invoke(attacker, "writer?n=3&mark=plain-line-");
    expect(await res.text()).toBe("wrote 3");
    const mine = (l: FunctionOutputLine) =>
      l.app_id === attacker && l.message.startsWith("plain-line-");
    expect(await eventually(() => lines.filter(mine).length === 3, 20_000)).toBe(true);
  }, 60_000);
});
