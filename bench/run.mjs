// `npm run bench`: one trivial JSON function, side by side in one run:
//   bare     the function under plain `deno run`, hit directly over TCP
//   proxy    a minimal node:http + undici proxy (baseline-proxy.mjs) in front of the function
//            under plain Deno.serve on a unix socket: a plain Node reverse proxy, for reference
//   fnbase   the function deployed on fnbase (startServer from packages/server/dist), hit
//            through /api/apps/{id}/functions/hello: the front (a Deno process on the public
//            port) sends it straight to the instance, after the first request went through Node
// plus cold starts (fnbase: deploy -> first response, idle stop -> first response, with the
// default spare process and with none; bare: spawn deno -> first response) and resident memory
// per warm instance and per spare process. Writes bench/results.json.
//
// Bare and fnbase run side by side and are loaded in turns (BENCH_ROUNDS rounds: bare, then
// fnbase), so that a machine whose speed drifts during the run (a shared VM) slows both alike:
// fnbase's share of bare is the median of the rounds' shares.
//
// Environment (all optional):
//   BENCH_SECONDS         seconds of load per side, over all rounds (default 10)
//   BENCH_ROUNDS          turns of bare and fnbase load (default 5)
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
  cpuMsOf,
  kill,
  machineBusyMs,
  machineStealMs,
  onCleanup,
  ownDescendants,
  runMain,
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
  rounds: Math.max(1, Math.round(envNum("BENCH_ROUNDS", 5))),
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
async function measureLoad(
  name,
  url,
  pids,
  { node = true, frontPid, seconds = cfg.seconds, warmup = true } = {},
) {
  if (warmup && cfg.warmupSeconds > 0) await load(url, cfg.warmupSeconds);
  say(`${name}: ${fmt(seconds)} s of load at ${url}`);
  const before = cpuNow(pids, frontPid);
  const machineBefore = machineBusyMs();
  const stealBefore = machineStealMs();
  const t0 = performance.now();
  const r = await load(url, seconds);
  const elapsedMs = performance.now() - t0;
  const machineMs = machineBusyMs() - machineBefore;
  const stealMs = machineStealMs() - stealBefore;
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
    stealPct: (100 * stealMs) / (elapsedMs * cpus().length),
    elapsedMs,
  };
}

const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/**
 * One side's rounds as one result: requests and time summed, CPU per request weighted by
 * requests, latencies and shares the median of the rounds'.
 */
function combine(rounds) {
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const ms = rounds.reduce((n, r) => n + r.elapsedMs, 0);
  const weighted = (key) =>
    rounds[0][key] === undefined
      ? undefined
      : rounds.reduce((n, r) => n + r[key] * r.requests, 0) / requests;
  const mid = (key) =>
    rounds[0][key] === undefined ? undefined : median(rounds.map((r) => r[key]));
  return {
    tool: rounds[0].tool,
    requests,
    rps: (1000 * requests) / ms,
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    socketErrors: rounds.reduce((n, r) => n + r.socketErrors, 0),
    p50: mid("p50"),
    p99: mid("p99"),
    nodeCpuUsPerReq: weighted("nodeCpuUsPerReq"),
    denoCpuUsPerReq: weighted("denoCpuUsPerReq"),
    frontCpuUsPerReq: weighted("frontCpuUsPerReq"),
    machineCpuUsPerReq: weighted("machineCpuUsPerReq"),
    frontCorePct: mid("frontCorePct"),
    machinePct: mid("machinePct"),
    stealPct: mid("stealPct"),
    rounds: rounds.map((r) => r.rps),
  };
}

const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1), samples: s };
};

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

/**
 * Bare Deno and the function on fnbase, both running, loaded in turns: `cfg.rounds` rounds of
 * bare then fnbase, `cfg.seconds / cfg.rounds` seconds each.
 */
async function benchThroughput(fnDir, root) {
  const bareDeno = await startBareDeno(fnDir, "0");
  const bareUrl = `http://127.0.0.1:${bareDeno.listen}/`;
  const { server, app, url } = await startFnbase(root, "warm");
  try {
    await timedGet(bareUrl);
    await server.deploy(app.id, "hello", deployBody(0));
    await timedGet(url);
    const seconds = cfg.seconds / cfg.rounds;
    const bare = [];
    const fnbase = [];
    for (let i = 0; i < cfg.rounds; i++) {
      say(`round ${i + 1} of ${cfg.rounds}`);
      const warmup = i === 0;
      bare.push(
        await measureLoad("bare deno", bareUrl, [bareDeno.child.pid], {
          node: false,
          seconds,
          warmup,
        }),
      );
      // Descendants, not children: on the host runtime the app's Deno process is a grandchild
      // (below the sandbox's `unshare --pid --fork`), whose CPU time its parent sees only once
      // it has exited.
      const pids = ownDescendants().filter((pid) => pid !== bareDeno.child.pid);
      fnbase.push(
        await measureLoad("fnbase", url, pids, { frontPid: server.frontPid, seconds, warmup }),
      );
    }
    const mem = await server.instanceMemory();
    const spares = server.sparePids();
    return {
      bare: { ...combine(bare), rss: await rssOf(bareDeno.child.pid) },
      fnbase: {
        ...combine(fnbase),
        instances: mem.length,
        rss: mem[0]?.rss,
        frontRss: await rssOf(server.frontPid),
        spares: spares.length,
        spareRss: spares.length ? await rssOf(spares[0]) : undefined,
        gatewayRss: process.memoryUsage().rss,
        runtime: server.options.runtime,
      },
      shares: fnbase.map((f, i) => (100 * f.rps) / bare[i].rps),
    };
  } finally {
    await server.close();
    await kill(bareDeno.child);
  }
}

async function waitFor(what, check, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Cold starts on a server keeping `spares` Deno processes booted ahead of need. */
async function benchFnbaseCold(root, spares) {
  const { server, app, url } = await startFnbase(root, `cold-${spares}`, {
    idleTimeoutMs: cfg.idleMs,
    spareInstances: spares,
  });
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
  const { bare, proxy, fnbase, cold, shares, share } = results;
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
  const add = (name, r, rss, vsBare = (100 * r?.rps) / bare.rps) =>
    r &&
    rows.push([
      name,
      fmt(r.rps, 0),
      `${fmt(vsBare)}%`,
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
  add("fnbase", fnbase, fnbase.rss, share);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log("");
  console.log(
    `Throughput (${bare.tool}${bare.tool === "wrk" ? ", 1 thread" : ""}, ${CONNECTIONS} connections, ${cfg.seconds} s per side)`,
  );
  for (const r of rows) console.log(`  ${line(r)}`);
  console.log(
    `  bare and fnbase in ${shares.length} turns of ${fmt(cfg.seconds / shares.length)} s; fnbase's share of bare ` +
      `in each: ${shares.map((x) => `${fmt(x)}%`).join(", ")}; "vs bare" is their median\n` +
      `  (the proxy's is against bare's req/s over all turns)`,
  );
  console.log(
    "  us: CPU time per request of the Node process (fnbase's server, or the proxy), of fnbase's\n" +
      "  front (the Deno process on its public port), of the function's Deno process, and of the\n" +
      "  whole machine (load generator and kernel included); steadier than req/s when other work\n" +
      "  shares the machine",
  );
  console.log(
    `  under fnbase's load the front used ${fmt(fnbase.frontCorePct, 0)}% of one core and the ` +
      `machine ${fmt(fnbase.machinePct, 0)}% of its ${cpus().length} cores ` +
      `(the hypervisor took ${fmt(fnbase.stealPct, 0)}% of them, bare's turns ${fmt(bare.stealPct, 0)}%): ` +
      (fnbase.frontCorePct >= 90
        ? "the front's one thread is the limit"
        : fnbase.machinePct >= 90
          ? "the machine's CPU is the limit"
          : "neither the front nor the machine is saturated"),
  );
  console.log("");
  console.log(
    `Cold start to first response, ms (${cfg.coldStarts} each)       p50     p95     max`,
  );
  const c = (name, s) =>
    console.log(
      `  ${name.padEnd(56)}${fmt(s.p50).padStart(6)}  ${fmt(s.p95).padStart(6)}  ${fmt(s.max).padStart(6)}`,
    );
  c("fnbase: deploy new version -> first response", cold.deploy);
  c(`fnbase: idle stop (${cfg.idleMs} ms) -> first response`, cold.idle);
  c("fnbase: instance boot only (assigned -> ready record)", cold.instanceBoot);
  c("fnbase, no spare process: deploy -> first response", cold.noSpare.deploy);
  c("fnbase, no spare process: idle stop -> first response", cold.noSpare.idle);
  c("fnbase, no spare process: boot (spawn -> ready)", cold.noSpare.instanceBoot);
  c("bare deno: spawn -> first response", cold.bare);
  console.log("");
  console.log(
    `  memory (runtime ${fnbase.runtime}): ${mb(fnbase.rss)} per warm fnbase instance ` +
      `(${fnbase.runtime === "host" ? "its isolate's heap" : "its process"}; ${fnbase.instances} running), ` +
      `${mb(bare.rss)} bare deno, ${mb(fnbase.frontRss)} front, ` +
      `${mb(fnbase.gatewayRss)} Node process (server + bench), ` +
      `${mb(fnbase.spareRss)} per spare process (${fnbase.runtime === "host" ? "a host and its waiting Workers; " : ""}${fnbase.spares} waiting)`,
  );
  const ratio = share;
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

  say(`bare deno and fnbase (${cfg.dist}): throughput, in turns`);
  const { bare, fnbase, shares } = await benchThroughput(fnDir, root);
  const share = median(shares);
  say("bare deno: cold starts");
  const bareCold = await benchBareCold(fnDir);
  const proxy = cfg.proxy ? await benchProxy(fnDir) : undefined;
  say("fnbase: cold starts");
  const cold = {
    ...(await benchFnbaseCold(root, 1)),
    noSpare: await benchFnbaseCold(root, 0),
    bare: bareCold,
  };

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
      fnbaseVsBarePercent: share,
      fnbaseVsBarePercentByRound: shares,
    },
    coldStartMs: cold,
    memory: { fnbaseInstanceRss: fnbase.rss, spareRss: fnbase.spareRss, bareDenoRss: bare.rss },
    totalSeconds: (performance.now() - started) / 1000,
  };
  await writeFile(join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  printTable({ bare, proxy, fnbase, cold, shares, share });
  console.log(`\n  ${fmt(results.totalSeconds)} s in all; wrote bench/results.json`);
}

await runMain("bench", main);
