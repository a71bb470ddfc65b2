// `npm run bench`: one trivial JSON function, side by side in one run:
//   bare     the function under plain `deno run`, hit directly over TCP
//   proxy    a minimal node:http + undici proxy (baseline-proxy.mjs) in front of the function
//            under plain Deno.serve on a unix socket: a plain Node reverse proxy, for reference
//   fnbase   the function deployed on fnbase (startServer from packages/server/dist), hit
//            through /api/apps/{id}/functions/hello: the front (a Deno process on the public
//            port) sends it straight to the instance, after the first request went through Node
// plus cold starts (fnbase: deploy -> first response, idle stop -> first response; bare: spawn
// deno -> first response) and resident memory per warm instance. Writes bench/results.json.
//
// Environment (all optional):
//   BENCH_SECONDS         seconds of load per side (default 10)
//   BENCH_WARMUP_SECONDS  seconds of unmeasured load before each side (default 2)
//   BENCH_COLD_STARTS     cold starts measured per kind (default 20)
//   BENCH_IDLE_MS         idleTimeoutMs of the cold-start server (default 200)
//   BENCH_PROXY           0 skips the baseline-proxy side (default 1)
//   BENCH_FNBASE_DIST     folder of a built @fnbase/server (default packages/server/dist), to
//                         compare a modified copy of the gateway
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLogger } from "@fnbase/shared";
import { request } from "undici";
import { FUNCTION_SOURCE, rssOf, startBareDeno, WRAPPER_SOURCE } from "./_deno.mjs";
import { CONNECTIONS, findWrk, load, percentile } from "./_load.mjs";
import {
  cleanupAll,
  cpuMsOf,
  kill,
  machineBusyMs,
  onCleanup,
  ownChildren,
  tempDir,
} from "./_procs.mjs";
import { startBaselineProxy } from "./baseline-proxy.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const envNum = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`${name} must be a number: ${v}`);
  return n;
};
const cfg = {
  seconds: envNum("BENCH_SECONDS", 10),
  warmupSeconds: envNum("BENCH_WARMUP_SECONDS", 2),
  coldStarts: Math.max(1, Math.round(envNum("BENCH_COLD_STARTS", 20))),
  idleMs: envNum("BENCH_IDLE_MS", 200),
  proxy: process.env.BENCH_PROXY !== "0",
  dist: resolve(process.env.BENCH_FNBASE_DIST ?? join(here, "../packages/server/dist")),
};
const ADMIN_KEY = "bench-admin-key";
const log = createLogger({ component: "bench" }, process.env.FNBASE_LOG_LEVEL ?? "warn");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (msg) => console.log(`bench: ${msg}`);

/** Sends one GET and resolves with the time until its body has arrived, in ms; must be 200. */
async function timedGet(url, t0 = performance.now()) {
  const res = await request(url, { reset: true });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${body}`);
  return performance.now() - t0;
}

/**
 * CPU time of this process (the gateway or proxy runs in it), of the function's Deno processes
 * `pids` and of the front (`frontPid`, fnbase's Deno process on the public port), in ms.
 */
function cpuNow(pids, frontPid) {
  const own = process.cpuUsage();
  return {
    node: (own.user + own.system) / 1000,
    deno: pids.reduce((sum, pid) => sum + (pid === frontPid ? 0 : (cpuMsOf(pid) ?? 0)), 0),
    front: frontPid === undefined ? 0 : (cpuMsOf(frontPid) ?? 0),
  };
}

/**
 * Warms up, then loads `url`. Also reports CPU time per request, in microseconds, of this Node
 * process and of the Deno processes `pids`: unlike req/s it hardly moves when other work shares
 * the machine.
 */
async function measureLoad(name, url, pids, { node = true, frontPid } = {}) {
  if (cfg.warmupSeconds > 0) await load(url, cfg.warmupSeconds);
  say(`${name}: ${cfg.seconds} s of load at ${url}`);
  const before = cpuNow(pids, frontPid);
  const machineBefore = machineBusyMs();
  const t0 = performance.now();
  const r = await load(url, cfg.seconds);
  const elapsedMs = performance.now() - t0;
  const machineMs = machineBusyMs() - machineBefore;
  const after = cpuNow(pids, frontPid);
  if (r.non2xx || r.socketErrors)
    say(`${name}: WARNING ${r.non2xx} non-2xx responses, ${r.socketErrors} socket errors`);
  const perReq = (ms) => (r.requests ? (ms * 1000) / r.requests : undefined);
  return {
    ...r,
    nodeCpuUsPerReq: node ? perReq(after.node - before.node) : undefined,
    denoCpuUsPerReq: perReq(after.deno - before.deno),
    frontCpuUsPerReq: frontPid === undefined ? undefined : perReq(after.front - before.front),
    machineCpuUsPerReq: perReq(machineMs),
    /** Share of one core the front used, and of all cores the machine used, during the load. */
    frontCorePct:
      frontPid === undefined ? undefined : (100 * (after.front - before.front)) / elapsedMs,
    machinePct: (100 * machineMs) / (elapsedMs * cpus().length),
  };
}

const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1), samples: s };
};

async function benchBare(dir) {
  const { child, listen } = await startBareDeno(dir, "0");
  try {
    const url = `http://127.0.0.1:${listen}/`;
    await timedGet(url);
    const r = await measureLoad("bare deno", url, [child.pid], { node: false });
    return { ...r, rss: await rssOf(child.pid) };
  } finally {
    await kill(child);
  }
}

async function benchBareCold(dir) {
  const times = [];
  for (let i = 0; i < cfg.coldStarts; i++) {
    const { child, listen, t0 } = await startBareDeno(dir, "0");
    try {
      times.push(await timedGet(`http://127.0.0.1:${listen}/`, t0));
    } finally {
      await kill(child);
    }
  }
  return summary(times);
}

async function benchProxy(dir) {
  const socketPath = join(dir, "http.sock");
  const { child: deno } = await startBareDeno(dir, socketPath);
  const proxy = await startBaselineProxy({ socketPath });
  try {
    const url = `${proxy.url}/hello`;
    await timedGet(url);
    return await measureLoad("baseline proxy", url, [deno.pid]);
  } finally {
    await proxy.close();
    await kill(deno);
  }
}

const deployBody = (version) => ({
  entry: "entry.ts",
  files: [{ path: "entry.ts", content: `// version ${version}\n${FUNCTION_SOURCE}` }],
});

async function startFnbase(root, name, options = {}) {
  const { startServer } = await import(pathToFileURL(join(cfg.dist, "index.js")).href);
  const server = await startServer(
    { port: 0, dataDir: join(root, name), adminKey: ADMIN_KEY, ...options },
    { log },
  );
  onCleanup(() => server.close());
  const app = await server.createApp("bench");
  const url = `${server.url}/api/apps/${app.id}/functions/hello`;
  return { server, app, url };
}

async function benchFnbase(root) {
  const { server, app, url } = await startFnbase(root, "warm");
  try {
    await server.deploy(app.id, "hello", deployBody(0));
    await timedGet(url);
    const r = await measureLoad("fnbase", url, ownChildren(), { frontPid: server.frontPid });
    const mem = await server.instanceMemory();
    return {
      ...r,
      instances: mem.length,
      rss: mem[0]?.rss,
      frontRss: await rssOf(server.frontPid),
      gatewayRss: process.memoryUsage().rss,
    };
  } finally {
    await server.close();
  }
}

async function waitFor(what, check, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function benchFnbaseCold(root) {
  const { server, app, url } = await startFnbase(root, "cold", { idleTimeoutMs: cfg.idleMs });
  const boots = [];
  server.onOutput((line) => {
    const m = line.source === "platform" && /cold start (\d+) ms/.exec(line.message);
    if (m) boots.push(Number(m[1]));
  });
  const running = async () => (await server.instanceMemory()).length;
  try {
    // Prime Deno's transpile cache for the runtime and the first version, as any warm host has.
    await server.deploy(app.id, "hello", deployBody("prime"));
    await timedGet(url);
    boots.length = 0;

    const deploy = [];
    for (let i = 0; i < cfg.coldStarts; i++) {
      const t0 = performance.now();
      await server.deploy(app.id, "hello", deployBody(`d${i}`));
      deploy.push(await timedGet(url, t0));
      await sleep(50); // let the retired instance finish stopping
    }
    const deployBoots = boots.splice(0);

    const idle = [];
    for (let i = 0; i < cfg.coldStarts; i++) {
      await waitFor("the idle instance to stop", async () => (await running()) === 0);
      await sleep(20);
      idle.push(await timedGet(url));
    }
    return {
      deploy: summary(deploy),
      idle: summary(idle),
      instanceBoot: summary([...deployBoots, ...boots]),
    };
  } finally {
    await server.close();
  }
}

const fmt = (v, digits = 1) =>
  v === undefined || Number.isNaN(v)
    ? "-"
    : v.toFixed(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const mb = (b) => (b === undefined ? "-" : `${(b / 1024 ** 2).toFixed(1)} MB`);

function printTable(results) {
  const { bare, proxy, fnbase, cold } = results;
  const rows = [
    [
      "",
      "req/s",
      "vs bare",
      "p50 ms",
      "p99 ms",
      "node us",
      "front us",
      "function us",
      "machine us",
      "RSS",
    ],
  ];
  const add = (name, r, rss) =>
    r &&
    rows.push([
      name,
      fmt(r.rps, 0),
      `${fmt((100 * r.rps) / bare.rps)}%`,
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.nodeCpuUsPerReq),
      fmt(r.frontCpuUsPerReq),
      fmt(r.denoCpuUsPerReq),
      fmt(r.machineCpuUsPerReq),
      mb(rss),
    ]);
  add("bare deno (TCP)", bare, bare.rss);
  add("node+undici proxy", proxy);
  add("fnbase", fnbase, fnbase.rss);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log("");
  console.log(
    `Throughput (${bare.tool}${bare.tool === "wrk" ? ", 1 thread" : ""}, ${CONNECTIONS} connections, ${cfg.seconds} s)`,
  );
  for (const r of rows) console.log(`  ${line(r)}`);
  console.log(
    "  us: CPU time per request of the Node process (fnbase's server, or the proxy), of fnbase's\n" +
      "  front (the Deno process on its public port), of the function's Deno process, and of the\n" +
      "  whole machine (load generator and kernel included); steadier than req/s when other work\n" +
      "  shares the machine",
  );
  console.log(
    `  under fnbase's load the front used ${fmt(fnbase.frontCorePct, 0)}% of one core and the ` +
      `machine ${fmt(fnbase.machinePct, 0)}% of its ${cpus().length} cores: ` +
      (fnbase.frontCorePct >= 90
        ? "the front's one thread is the limit"
        : fnbase.machinePct >= 90
          ? "the machine's CPU is the limit"
          : "neither the front nor the machine is saturated"),
  );
  console.log("");
  console.log(`Cold start to first response, ms (${cfg.coldStarts} each)   p50     p95     max`);
  const c = (name, s) =>
    console.log(
      `  ${name.padEnd(52)}${fmt(s.p50).padStart(6)}  ${fmt(s.p95).padStart(6)}  ${fmt(s.max).padStart(6)}`,
    );
  c("fnbase: deploy new version -> first response", cold.deploy);
  c(`fnbase: idle stop (${cfg.idleMs} ms) -> first response`, cold.idle);
  c("fnbase: instance boot only (spawn -> ready record)", cold.instanceBoot);
  c("bare deno: spawn -> first response", cold.bare);
  console.log("");
  console.log(
    `  memory: ${mb(fnbase.rss)} per warm fnbase instance (${fnbase.instances} running), ` +
      `${mb(bare.rss)} bare deno, ${mb(fnbase.frontRss)} front, ` +
      `${mb(fnbase.gatewayRss)} Node process (server + bench)`,
  );
  const ratio = (100 * fnbase.rps) / bare.rps;
  console.log(
    `  targets: throughput >= 25% of bare: ${fmt(ratio)}% ${ratio >= 25 ? "MET" : "NOT MET"}; ` +
      `cold start p50 <= 60 ms: ${fmt(cold.idle.p50)} (idle), ${fmt(cold.deploy.p50)} (deploy) ` +
      `${cold.idle.p50 <= 60 && cold.deploy.p50 <= 60 ? "MET" : "NOT MET"}`,
  );
}

async function main() {
  const started = performance.now();
  const { loadavg } = await import("node:os");
  const loadBefore = loadavg()[0];
  if (loadBefore > cpus().length / 2)
    say(
      `WARNING load average is ${loadBefore.toFixed(1)} on ${cpus().length} CPUs: numbers will be low`,
    );
  if (!findWrk()) say("wrk not found: using the built-in undici load generator (32 connections)");
  const root = tempDir(mkdtempSync(join(tmpdir(), "fnbase-bench-")));
  const fnDir = join(root, "fn");
  mkdirSync(fnDir);
  writeFileSync(join(fnDir, "fn.ts"), FUNCTION_SOURCE);
  writeFileSync(join(fnDir, "wrapper.ts"), WRAPPER_SOURCE);

  say("bare deno: throughput");
  const bare = await benchBare(fnDir);
  say("bare deno: cold starts");
  const bareCold = await benchBareCold(fnDir);
  const proxy = cfg.proxy ? await benchProxy(fnDir) : undefined;
  say(`fnbase (${cfg.dist}): throughput`);
  const fnbase = await benchFnbase(root);
  say("fnbase: cold starts");
  const cold = { ...(await benchFnbaseCold(root)), bare: bareCold };

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      node: process.version,
      loadavg1mBefore: loadBefore,
      loadavg1mAfter: loadavg()[0],
    },
    config: { ...cfg, connections: CONNECTIONS, loadGenerator: bare.tool },
    throughput: {
      bare,
      proxy,
      fnbase,
      fnbaseVsBarePercent: (100 * fnbase.rps) / bare.rps,
    },
    coldStartMs: cold,
    memory: { fnbaseInstanceRss: fnbase.rss, bareDenoRss: bare.rss },
    totalSeconds: (performance.now() - started) / 1000,
  };
  await writeFile(join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  printTable({ bare, proxy, fnbase, cold });
  console.log(`\n  ${fmt(results.totalSeconds)} s in all; wrote bench/results.json`);
}

try {
  await main();
} catch (err) {
  console.error(`bench: failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
