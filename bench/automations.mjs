// `npm run bench:automations`: what an entity automation costs the writes that trigger it.
// One server (startServer from packages/server/dist), two apps with the same entity:
//   plain      no automation
//   automated  an entity automation on create, whose function answers at once
// Both are loaded in turns (BENCH_ROUNDS rounds of plain, then automated) with single-record
// creates (POST /api/apps/{id}/entities/Task, anonymous, 32 connections, a child process), so a
// machine whose speed drifts slows both alike. After each automated turn the benchmark waits
// until every event of that turn has been delivered, so the next turn starts from an empty
// queue. Prints writes/s of each side, the share lost (median over the rounds; the goal is 20%
// at most), and the delivery lag (from the write's commit to the end of its run) p50/p99.
//
// Environment (all optional):
//   BENCH_SECONDS         seconds of load per turn (default 5)
//   BENCH_ROUNDS          rounds of plain and automated turns (default 3)
//   BENCH_CONCURRENCY     automationConcurrency of the server (default: the server's, 32)
//   BENCH_FNBASE_DIST     folder of a built @fnbase/server (default packages/server/dist)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLogger } from "@fnbase/shared";
import Database from "better-sqlite3";
import { percentile } from "./_load.mjs";
import { cpuMsOf, onCleanup, runMain, tempDir, track } from "./_procs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const envNum = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`${name} must be a positive number: ${v}`);
  return n;
};
const cfg = {
  seconds: envNum("BENCH_SECONDS", 5),
  rounds: Math.round(envNum("BENCH_ROUNDS", 3)),
  concurrency: process.env.BENCH_CONCURRENCY ? envNum("BENCH_CONCURRENCY", 8) : undefined,
  dist: resolve(process.env.BENCH_FNBASE_DIST ?? join(here, "../packages/server/dist")),
};
const log = createLogger({ component: "bench" }, process.env.FNBASE_LOG_LEVEL ?? "warn");
const say = (msg) => console.log(`bench:automations: ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TASK = {
  name: "Task",
  type: "object",
  properties: { title: { type: "string" }, n: { type: "number" } },
};
const RECORD = JSON.stringify({ title: "a task to do", n: 1 });

/** Runs the POST load in a child process; answers its report. */
function postLoad(url, seconds) {
  const script = join(here, "_post-load.mjs");
  const child = track(process.execPath, [script, url, String(seconds), RECORD]);
  let out = "";
  let err = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  child.stderr.on("data", (c) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`load generator failed (${code}): ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}

runMain("bench:automations", async () => {
  const root = tempDir(mkdtempSync(join(tmpdir(), "fnbase-bench-auto-")));
  const { startServer } = await import(pathToFileURL(join(cfg.dist, "index.js")).href);
  const server = await startServer(
    {
      port: 0,
      dataDir: join(root, "data"),
      adminKey: "bench-admin-key",
      ...(cfg.concurrency ? { automationConcurrency: cfg.concurrency } : {}),
    },
    { log },
  );
  onCleanup(() => server.close());
  const admin = async (path, method, body) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { api_key: "bench-admin-key", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return await res.json();
  };
  const apps = {};
  for (const side of ["plain", "automated"]) {
    const app = await server.createApp(side);
    await admin(`/api/apps/${app.id}/entity-schemas`, "PUT", {
      entityNameToSchema: { Task: TASK },
    });
    await server.deploy(app.id, "onTask", {
      entry: "entry.ts",
      files: [{ path: "entry.ts", content: 'Deno.serve(() => new Response("ok"));\n' }],
      ...(side === "automated"
        ? {
            automations: [
              { name: "on-create", type: "entity", entity_name: "Task", event_types: ["create"] },
            ],
          }
        : {}),
    });
    apps[side] = `${server.url}/api/apps/${app.id}/entities/Task`;
  }
  // How the deliveries reached the function: straight from the front, or through Node's gateway.
  const paths = { direct: 0, node: 0 };
  server.onInvocation((r) => {
    if (r.functionName === "onTask") paths[r.direct ? "direct" : "node"]++;
  });
  const db = new Database(join(root, "data", "fnbase.db"), { readonly: true });
  const open = db.prepare(
    "SELECT COUNT(*) AS n FROM automation_runs WHERE status IN ('queued', 'running')",
  );
  const lags = db.prepare(
    "SELECT finished_at - created_at AS lag, status FROM automation_runs WHERE seq > ? ORDER BY seq",
  );
  const lastSeq = db.prepare("SELECT COALESCE(MAX(seq), 0) AS s FROM automation_runs");

  say(`warming up (${cfg.rounds} rounds of ${cfg.seconds} s per side follow)`);
  await postLoad(apps.plain, 1);
  await postLoad(apps.automated, 1);
  while (open.get().n > 0) await sleep(50);
  paths.direct = 0;
  paths.node = 0;

  const rows = [];
  const allLags = [];
  for (let round = 1; round <= cfg.rounds; round++) {
    let cpu0 = cpuMsOf(process.pid);
    const plain = await postLoad(apps.plain, cfg.seconds);
    const plainCpu = cpuMsOf(process.pid) - cpu0;
    const from = lastSeq.get().s;
    cpu0 = cpuMsOf(process.pid);
    const automated = await postLoad(apps.automated, cfg.seconds);
    const backlog = open.get().n;
    const t0 = performance.now();
    while (open.get().n > 0) await sleep(20);
    const drainMs = performance.now() - t0;
    const nodeCpu = cpuMsOf(process.pid) - cpu0;
    const turn = lags.all(from);
    const failed = turn.filter((r) => r.status !== "succeeded").length;
    for (const r of turn) allLags.push(r.lag);
    rows.push({
      plain,
      automated,
      backlog,
      drainMs,
      failed,
      runs: turn.length,
      // Node's CPU per write: the server's work for it (and, automated, for its delivery).
      plainUs: (plainCpu * 1000) / plain.requests,
      automatedUs: (nodeCpu * 1000) / automated.requests,
    });
    say(
      `round ${round}: plain ${plain.rps.toFixed(0)} writes/s, automated ${automated.rps.toFixed(0)} writes/s ` +
        `(${turn.length} runs, ${failed} not succeeded, ${backlog} still queued at the end, drained in ${drainMs.toFixed(0)} ms)`,
    );
  }
  db.close();
  const shares = rows.map((r) => r.automated.rps / r.plain.rps).sort((a, b) => a - b);
  const median = shares[Math.floor(shares.length / 2)];
  allLags.sort((a, b) => a - b);
  const med = (f) => rows.map(f).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
  console.log("\n                     writes/s   p50 ms   p99 ms");
  console.log(
    `no automation       ${med((r) => r.plain.rps)
      .toFixed(0)
      .padStart(9)} ${med((r) => r.plain.p50)
      .toFixed(2)
      .padStart(8)} ${med((r) => r.plain.p99)
      .toFixed(2)
      .padStart(8)}`,
  );
  console.log(
    `entity automation   ${med((r) => r.automated.rps)
      .toFixed(0)
      .padStart(9)} ${med((r) => r.automated.p50)
      .toFixed(2)
      .padStart(8)} ${med((r) => r.automated.p99)
      .toFixed(2)
      .padStart(8)}`,
  );
  console.log(
    `\nNode CPU per write: ${med((r) => r.plainUs).toFixed(0)} µs without, ${med((r) => r.automatedUs).toFixed(0)} µs with the automation (its delivery included)`,
  );
  console.log(
    `\nthroughput lost: ${((1 - median) * 100).toFixed(1)}% (median of ${rows.length} rounds; goal <= 20%)`,
  );
  console.log(
    `delivery lag (write -> run done): p50 ${percentile(allLags, 50)} ms, p99 ${percentile(allLags, 99)} ms, over ${allLags.length} runs`,
  );
  // Invocation records come in batches: give the front's last batch a moment.
  await sleep(200);
  const all = paths.direct + paths.node;
  console.log(
    `deliveries straight from the front to the instance: ${all ? ((paths.direct / all) * 100).toFixed(0) : "-"}% (the rest went through Node's gateway)`,
  );
});
