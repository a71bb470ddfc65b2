// `npm run bench:density`: how many functions a server holds and how fast cold ones start, with
// each function instance a Deno process of its own (`runtime: "process"`, FNBASE_RUNTIME=process,
// the default until issue 17) and with one Deno process per app running a Worker per function
// (`runtime: "host"`, the default since), one after the other on fresh servers, printed side by
// side (issue 17).
//   warm MB per extra function   resident memory of the server's Deno processes with N warm
//                                functions of one app, minus with 1, over N-1 (no imports; and
//                                functions importing npm:@base44/sdk, served offline from the
//                                bundle the server ships)
//   first function of an app     what the first warm function of an app adds (host: the host
//                                process and its spare Worker, then the function)
//   idle: 1000 fns / 100 apps    resident memory of the whole server (Node and every Deno process)
//                                with BENCH_IDLE_FUNCTIONS functions deployed and none running, a
//                                fresh server in a Node process of its own (this script again,
//                                with the same flags), so that what the other measures left in
//                                this process's heap is not counted
//   cold start                   deploy answered -> first answer of a function never run, one at a
//                                time with 200 ms between them (p50, p95)
//   burst of 10                  10 distinct never-run functions of one app called at once (p95
//                                of the 10 answers, 3 bursts)
//   20 in sequence               20 never-run functions called one after another (p50)
//   after an idle stop           a function called again 3 s after its instance stopped for being
//                                idle (a server with a 1 s idle timeout; host: the app's host has
//                                ended too), 8 functions one after another (p50, p95)
// Writes nothing; prints a table.
//
// Environment (all optional):
//   BENCH_WARM_FUNCTIONS   N above (default 10)
//   BENCH_IDLE_FUNCTIONS   functions deployed for the idle figure, in apps of 10 (default 1000)
//   BENCH_RUNTIMES         which to run, comma-separated (default process,host)
//   BENCH_FNBASE_DIST      folder of a built @fnbase/server (default packages/server/dist)
//   BENCH_SPARE_WORKERS    host runtime: Workers each spare host boots ahead (server default)
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLogger } from "@fnbase/shared";
import { request } from "undici";
import { rssOf } from "./_deno.mjs";
import { percentile } from "./_load.mjs";
import { onCleanup, ownDescendants, runMain, tempDir } from "./_procs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const envNum = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`${name} must be a number: ${v}`);
  return n;
};
const cfg = {
  warm: Math.max(2, Math.round(envNum("BENCH_WARM_FUNCTIONS", 10))),
  idle: Math.max(10, Math.round(envNum("BENCH_IDLE_FUNCTIONS", 1000))),
  runtimes: (process.env.BENCH_RUNTIMES ?? "process,host").split(",").filter(Boolean),
  dist: resolve(process.env.BENCH_FNBASE_DIST ?? join(here, "../packages/server/dist")),
  spareWorkers: process.env.BENCH_SPARE_WORKERS
    ? Math.round(envNum("BENCH_SPARE_WORKERS", 0))
    : undefined,
};
const log = createLogger({ component: "bench" }, process.env.FNBASE_LOG_LEVEL ?? "warn");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (msg) => console.log(`bench:density: ${msg}`);
const MB = 1024 * 1024;

const PLAIN = (n) =>
  `Deno.serve(() => Response.json({ hello: "world", n: ${JSON.stringify(n)} }));\n`;
const SDK = (n) => `import { createClientFromRequest } from "npm:@base44/sdk";
Deno.serve(async (req) => {
  const client = createClientFromRequest(req);
  return Response.json({ hello: "world", n: ${JSON.stringify(n)}, sdk: typeof client.entities });
});
`;
const body = (code) => ({ entry: "entry.ts", files: [{ path: "entry.ts", content: code }] });

async function get(url) {
  const res = await request(url, { reset: true });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${text}`);
}

async function timed(url) {
  const t0 = performance.now();
  await get(url);
  return performance.now() - t0;
}

/**
 * Resident memory of this process's descendants (the front, instances, hosts and their PID
 * namespaces' `unshare`, spares), MB.
 */
async function childrenMb() {
  let sum = 0;
  for (const pid of ownDescendants()) sum += (await rssOf(pid)) ?? 0;
  return sum / MB;
}

/** Memory once it has settled (two readings a second apart within 2 MB, at most 10 s). */
async function settledMb(read) {
  let last = await read();
  for (let i = 0; i < 10; i++) {
    await sleep(1_000);
    const now = await read();
    if (Math.abs(now - last) < 2) return now;
    last = now;
  }
  return last;
}

const p = (xs, q) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    q,
  );

async function start(runtime, root, options = {}) {
  const { startServer } = await import(pathToFileURL(join(cfg.dist, "index.js")).href);
  const server = await startServer(
    {
      port: 0,
      dataDir: join(root, runtime),
      adminKey: "b44k_bench_density_key_0123456789",
      idleTimeoutMs: 600_000,
      runtime,
      ...(cfg.spareWorkers === undefined ? {} : { spareWorkers: cfg.spareWorkers }),
      ...options,
    },
    { log },
  );
  onCleanup(() => server.close());
  const url = (app, fn) => `${server.url}/api/apps/${app}/functions/${fn}`;
  return { server, url };
}

/** Warm memory: N functions of one app, each called once; what each after the first adds. */
async function warmMemory(s, label, code) {
  const app = (await s.server.createApp(`warm-${label}`)).id;
  for (let i = 0; i < cfg.warm; i++) await s.server.deploy(app, `f${i}`, body(code(i)));
  const before = await settledMb(childrenMb);
  await get(s.url(app, "f0"));
  const one = await settledMb(childrenMb);
  for (let i = 1; i < cfg.warm; i++) await get(s.url(app, `f${i}`));
  const all = await settledMb(childrenMb);
  return { first: one - before, perExtra: (all - one) / (cfg.warm - 1) };
}

async function coldStarts(s) {
  const app = (await s.server.createApp("cold")).id;
  const single = [];
  for (let i = 0; i < 20; i++) {
    await s.server.deploy(app, `c${i}`, body(PLAIN(i)));
    single.push(await timed(s.url(app, `c${i}`)));
    await sleep(200);
  }
  const burst = [];
  for (let b = 0; b < 3; b++) {
    const a = (await s.server.createApp(`burst${b}`)).id;
    for (let i = 0; i < 10; i++) await s.server.deploy(a, `b${i}`, body(PLAIN(i)));
    await sleep(500);
    burst.push(
      ...(await Promise.all(Array.from({ length: 10 }, (_, i) => timed(s.url(a, `b${i}`))))),
    );
    await sleep(500);
  }
  const seqApp = (await s.server.createApp("sequence")).id;
  for (let i = 0; i < 20; i++) await s.server.deploy(seqApp, `s${i}`, body(PLAIN(i)));
  await sleep(500);
  const sequence = [];
  for (let i = 0; i < 20; i++) sequence.push(await timed(s.url(seqApp, `s${i}`)));
  return { single, burst, sequence };
}

async function idleMemory(s) {
  const apps = Math.ceil(cfg.idle / 10);
  for (let a = 0; a < apps; a++) {
    const app = (await s.server.createApp(`idle${a}`)).id;
    for (let i = 0; i < 10 && a * 10 + i < cfg.idle; i++) {
      await s.server.deploy(app, `i${i}`, body(PLAIN(i)));
    }
  }
  return settledMb(async () => (await childrenMb()) + ((await rssOf(process.pid)) ?? 0) / MB);
}

/** Cold starts after an idle stop: each function is called, stops for being idle, and again. */
async function afterIdleStops(runtime, root) {
  const s = await start(runtime, join(root, "after-idle"), { idleTimeoutMs: 1_000 });
  try {
    const stopped = new Set();
    s.server.onOutput((l) => {
      if (/stopped after being idle/.test(l.message)) stopped.add(l.function);
    });
    const app = (await s.server.createApp("after-idle")).id;
    const times = [];
    for (let i = 0; i < 8; i++) {
      await s.server.deploy(app, `a${i}`, body(PLAIN(i)));
      await get(s.url(app, `a${i}`));
      for (const end = Date.now() + 30_000; !stopped.has(`a${i}`); await sleep(50)) {
        if (Date.now() > end) throw new Error(`a${i} did not stop within 30 s of idle`);
      }
      await sleep(3_000);
      times.push(await timed(s.url(app, `a${i}`)));
    }
    return times;
  } finally {
    await s.server.close();
  }
}

async function benchRuntime(runtime, root) {
  say(`${runtime}: starting a server`);
  const s = await start(runtime, root);
  try {
    say(`${runtime}: warm memory, ${cfg.warm} functions without imports`);
    const plain = await warmMemory(s, "plain", PLAIN);
    say(`${runtime}: warm memory, ${cfg.warm} functions importing npm:@base44/sdk`);
    const sdk = await warmMemory(s, "sdk", SDK);
    say(`${runtime}: cold starts`);
    const cold = await coldStarts(s);
    return { plain, sdk, cold };
  } finally {
    await s.server.close();
  }
}

/** The idle figure, measured by this script in a process of its own (see the top). */
async function benchIdle(runtime, root) {
  say(`${runtime}: ${cfg.idle} functions deployed, idle (a fresh server process)`);
  const out = await new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url)],
      { env: { ...process.env, BENCH_DENSITY_IDLE: JSON.stringify({ runtime, root }) } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  return JSON.parse(out.trim().split("\n").at(-1)).mb;
}

/** In the child process: one fresh server, the idle functions, its memory as JSON. */
async function idleChild({ runtime, root }) {
  const s = await start(runtime, join(root, `idle-${runtime}`));
  try {
    console.log(JSON.stringify({ mb: await idleMemory(s) }));
  } finally {
    await s.server.close();
  }
}

async function main() {
  const root = tempDir(mkdtempSync(join(tmpdir(), "fnbase-bench-density-")));
  const results = {};
  for (const runtime of cfg.runtimes) {
    results[runtime] = await benchRuntime(runtime, root);
    results[runtime].idle = await benchIdle(runtime, root);
    say(`${runtime}: cold starts after an idle stop`);
    results[runtime].afterIdle = await afterIdleStops(runtime, root);
  }
  const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "-");
  const rows = [
    ["warm MB per extra function (no imports)", (r) => f(r.plain.perExtra)],
    ["warm MB per extra function (npm:@base44/sdk)", (r) => f(r.sdk.perExtra)],
    ["first warm function of an app, MB (no imports)", (r) => f(r.plain.first)],
    ["first warm function of an app, MB (npm:@base44/sdk)", (r) => f(r.sdk.first)],
    [
      "per-app fixed MB (first minus one extra, no imports)",
      (r) => f(r.plain.first - r.plain.perExtra),
    ],
    [
      `idle: ${cfg.idle} fns in ${Math.ceil(cfg.idle / 10)} apps, whole server MB`,
      (r) => f(r.idle, 0),
    ],
    ["cold start p50 ms (deploy -> first answer)", (r) => f(p(r.cold.single, 50))],
    ["cold start p95 ms", (r) => f(p(r.cold.single, 95))],
    ["burst of 10 distinct cold: p95 ms", (r) => f(p(r.cold.burst, 95))],
    ["burst of 10 distinct cold: p50 ms", (r) => f(p(r.cold.burst, 50))],
    ["20 cold in sequence: p50 ms", (r) => f(p(r.cold.sequence, 50))],
    ["cold start after an idle stop: p50 ms", (r) => f(p(r.afterIdle, 50))],
    ["cold start after an idle stop: p95 ms", (r) => f(p(r.afterIdle, 95))],
  ];
  const width = Math.max(...rows.map(([l]) => l.length));
  console.log(`\n${"".padEnd(width)}  ${cfg.runtimes.map((r) => r.padStart(9)).join("  ")}`);
  for (const [label, value] of rows) {
    console.log(
      `${label.padEnd(width)}  ${cfg.runtimes.map((r) => value(results[r]).padStart(9)).join("  ")}`,
    );
  }
  console.log(
    `\nload average at the end: ${(await import("node:os"))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
}

const idle = process.env.BENCH_DENSITY_IDLE;
runMain("bench:density", idle ? () => idleChild(JSON.parse(idle)) : main);
