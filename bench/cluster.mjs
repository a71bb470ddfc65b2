// `npm run bench:cluster`: three fnbase nodes on one PostgreSQL database (startServer from
// packages/server/dist, in this process), and HAProxy from Debian's package in front of them
// with docs/SCALE-OUT.md's configuration.
//   1. Invalidation: a secret set on node A (a new value each time) while a loop on node B
//      invokes a function that answers the secret. Prints, p50/p99 over BENCH_CHANGES changes:
//      how long the change took to answer on A (it waits for every node's acknowledgement), how
//      long from the change's start until B first answered the new value, and how many answers
//      B gave with the old value after A had answered (must be 0).
//   2. Throughput through HAProxy with 1 node and with 3 nodes (a function answering at once,
//      32 connections, BENCH_SECONDS each, wrk when installed else undici), in turns.
// On a 2-core machine the point is that a node more costs nothing per call, not that it scales.
//
// Environment (all optional):
//   BENCH_POSTGRES   maintenance database URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_CHANGES    changes measured (default 30)
//   BENCH_SECONDS    seconds of load per turn (default 5)
//   BENCH_ROUNDS     rounds of 1-node and 3-node turns (default 2)
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLogger } from "@fnbase/shared";
import pg from "pg";
import { load, percentile } from "./_load.mjs";
import { onCleanup, runMain, tempDir, track } from "./_procs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const num = (name, def) => Number(process.env[name] ?? def);
const cfg = {
  admin: process.env.BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/postgres",
  changes: num("BENCH_CHANGES", 30),
  seconds: num("BENCH_SECONDS", 5),
  rounds: num("BENCH_ROUNDS", 2),
};
const say = (m) => console.log(`bench:cluster: ${m}`);
const ms = (v) => `${v.toFixed(1)} ms`;
const ADMIN_KEY = "b44k_bench_cluster_admin_key_0123456789";

async function freePorts(n) {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((r) => {
          const s = createServer();
          s.listen(0, "127.0.0.1", () => r(s));
        }),
    ),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function main() {
  const haproxy = (() => {
    try {
      return execFileSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).trim();
    } catch {
      throw new Error("haproxy is not installed: apt-get install haproxy");
    }
  })();
  const { startServer } = await import(
    pathToFileURL(resolve(here, "../packages/server/dist/index.js")).href
  );
  const name = `fnbase_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: cfg.admin });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  onCleanup(async () => {
    const c = new pg.Client({ connectionString: cfg.admin });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(cfg.admin);
  url.pathname = `/${name}`;
  const dir = tempDir(mkdtempSync(join(tmpdir(), "fnbase-bench-cluster-")));
  const masterKey = randomBytes(32).toString("hex");
  const [lbPort, ...nodePorts] = await freePorts(4);
  const nodes = [];
  for (const [i, id] of ["a", "b", "c"].entries()) {
    const s = await startServer(
      {
        port: nodePorts[i],
        dataDir: join(dir, `node-${id}`),
        store: url.toString(),
        nodeId: `node-${id}`,
        masterKey,
        adminKey: ADMIN_KEY,
      },
      { log: createLogger({ component: "server" }, process.env.FNBASE_LOG_LEVEL ?? "warn") },
    );
    onCleanup(() => s.close());
    nodes.push(s);
  }
  const api = (s, path, init = {}) =>
    fetch(`${s.url}${path}`, {
      ...init,
      headers: { api_key: ADMIN_KEY, "content-type": "application/json" },
    });
  const appId = (
    await (await api(nodes[0], "/api/apps", { method: "POST", body: '{"name":"bench"}' })).json()
  ).id;
  const code = 'Deno.serve(() => new Response(Deno.env.get("TOKEN") ?? "none"));';
  const dep = await api(nodes[0], `/api/apps/${appId}/backend-functions/hello`, {
    method: "PUT",
    body: JSON.stringify({ entry: "entry.ts", files: [{ path: "entry.ts", content: code }] }),
  });
  if (!dep.ok) throw new Error(`deploy failed: ${await dep.text()}`);
  const invoke = (s) => fetch(`${s.url}/api/apps/${appId}/functions/hello`).then((r) => r.text());

  // 1. Invalidation lag.
  say(`invalidation: ${cfg.changes} secret changes on node-a, node-b asked in a loop`);
  const acked = [];
  const seen = [];
  let stale = 0;
  for (let i = 0; i < cfg.changes; i++) {
    await invoke(nodes[1]);
    const value = `v${i}`;
    const t0 = performance.now();
    let answeredAt;
    const change = api(nodes[0], `/api/apps/${appId}/secrets`, {
      method: "POST",
      body: JSON.stringify({ TOKEN: value }),
    }).then(async (r) => {
      await r.text();
      answeredAt = performance.now();
    });
    for (;;) {
      const asked = performance.now();
      const got = await invoke(nodes[1]);
      if (got === value) {
        seen.push(performance.now() - t0);
        break;
      }
      if (answeredAt !== undefined && asked > answeredAt) stale++;
    }
    await change;
    acked.push(answeredAt - t0);
  }
  acked.sort((a, b) => a - b);
  seen.sort((a, b) => a - b);
  say(
    `  change answered on node-a (every node acknowledged): p50 ${ms(percentile(acked, 50))}, p99 ${ms(percentile(acked, 99))}`,
  );
  say(
    `  first answer with the new value on node-b, from the change's start: p50 ${ms(percentile(seen, 50))}, p99 ${ms(percentile(seen, 99))}`,
  );
  say(`  answers on node-b with the old value after node-a had answered: ${stale}`);

  // 2. Throughput through HAProxy, 1 node and 3 nodes.
  const doc = readFileSync(join(here, "../docs/SCALE-OUT.md"), "utf8");
  const block = /```haproxy scale-out\n([\s\S]*?)```/.exec(doc)[1];
  const ports = new Map([
    ["4400", lbPort],
    ["4401", nodePorts[0]],
    ["4402", nodePorts[1]],
    ["4403", nodePorts[2]],
  ]);
  const config = (count) =>
    block
      .split("\n")
      .filter((l) => !/^\s+server node-[bc] /.test(l) || count === 3)
      .join("\n")
      .replace(/127\.0\.0\.1:(440\d)\b/g, (_m, p) => `127.0.0.1:${ports.get(p)}`);
  const lb = `http://127.0.0.1:${lbPort}/api/apps/${appId}/functions/hello`;
  const results = { 1: [], 3: [] };
  for (let round = 0; round < cfg.rounds; round++) {
    for (const count of [1, 3]) {
      const file = join(dir, `haproxy-${count}.cfg`);
      writeFileSync(file, config(count));
      const proc = track(haproxy, ["-f", file], { stdio: ["ignore", "ignore", "ignore"] });
      // Up once every server answered its checks (rise 2, every second).
      await new Promise((r) => setTimeout(r, 2_500));
      const r = await load(lb, cfg.seconds);
      results[count].push(r);
      say(
        `  ${count} node${count > 1 ? "s" : ""}, round ${round + 1}: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.non2xx ? `, ${r.non2xx} non-2xx` : ""}`,
      );
      proc.kill("SIGKILL");
      await new Promise((res) => proc.once("exit", res));
    }
  }
  const median = (rs) => rs.map((r) => r.rps).sort((a, b) => a - b)[Math.floor(rs.length / 2)];
  say(
    `through HAProxy: 1 node ${Math.round(median(results[1]))} req/s, 3 nodes ${Math.round(median(results[3]))} req/s (median of ${cfg.rounds})`,
  );
}

await runMain("bench:cluster", main);
