// `npm run bench:ab -- <other checkout>`: this checkout's fnbase against another one (built, with
// its own node_modules), side by side on one machine under the same load at the same time.
//
// Two servers run in this process, each with the trivial JSON function deployed; each round loads
// both at once (wrk or the built-in load generator, 32 connections each) and reads the CPU time
// of each server's front and function per request. On a shared machine whose speed drifts, both
// sides see the same drift, so their CPU per request compares where a sequential run's req/s
// would not. Prints each round and the mean.
//
// Environment: BENCH_SECONDS (per round, default 5), BENCH_ROUNDS (default 5),
// BENCH_WARMUP_SECONDS (default 2).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLogger } from "@fnbase/shared";
import { FUNCTION_SOURCE } from "./_deno.mjs";
import { load } from "./_load.mjs";
import { cpuOf, onCleanup, ownChildren, runMain, tempDir } from "./_procs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const warmup = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const say = (msg) => console.log(`ab: ${msg}`);
const log = createLogger({ component: "bench-ab" }, process.env.FNBASE_LOG_LEVEL ?? "warn");

async function start(name, checkout, root) {
  const dist = join(checkout, "packages/server/dist/index.js");
  const { startServer } = await import(pathToFileURL(dist).href);
  const before = new Set(ownChildren());
  const server = await startServer({ port: 0, dataDir: join(root, name), adminKey: "ab" }, { log });
  onCleanup(() => server.close());
  const app = await server.createApp("ab");
  await server.deploy(app.id, "hello", {
    entry: "entry.ts",
    files: [{ path: "entry.ts", content: FUNCTION_SOURCE }],
  });
  const url = `${server.url}/api/apps/${app.id}/functions/hello`;
  const first = await fetch(url);
  if (first.status !== 200) throw new Error(`${name}: ${url} answered ${first.status}`);
  await first.arrayBuffer();
  const fn = ownChildren().filter((pid) => !before.has(pid) && pid !== server.frontPid);
  return { name, checkout, url, front: server.frontPid, fn };
}

async function main() {
  const other = process.argv[2];
  if (!other) throw new Error("usage: npm run bench:ab -- <path of another built fnbase checkout>");
  const root = tempDir(mkdtempSync(join(tmpdir(), "fnbase-ab-")));
  const sides = [
    await start("this", resolve(here, ".."), root),
    await start("other", resolve(other), root),
  ];
  if (warmup > 0) await Promise.all(sides.map((s) => load(s.url, warmup)));
  const rows = [];
  for (let r = 1; r <= rounds; r++) {
    const before = sides.map((s) => [cpuOf([s.front]), cpuOf(s.fn)]);
    const results = await Promise.all(sides.map((s) => load(s.url, seconds)));
    const row = sides.map((s, i) => {
      const n = results[i].requests;
      return {
        rps: results[i].rps,
        front: ((cpuOf([s.front]) - before[i][0]) * 1000) / n,
        fn: ((cpuOf(s.fn) - before[i][1]) * 1000) / n,
      };
    });
    rows.push(row);
    say(
      `round ${r}: ` +
        row
          .map(
            (x, i) =>
              `${sides[i].name} ${x.rps.toFixed(0)} req/s, front ${x.front.toFixed(1)} us, function ${x.fn.toFixed(1)} us`,
          )
          .join(" | "),
    );
  }
  const mean = (i, key) => rows.reduce((sum, row) => sum + row[i][key], 0) / rows.length;
  console.log("\n  CPU per request, mean of the rounds");
  for (const [i, s] of sides.entries()) {
    console.log(
      `  ${s.name.padEnd(6)} front ${mean(i, "front").toFixed(1)} us, function ${mean(i, "fn").toFixed(1)} us, ` +
        `${mean(i, "rps").toFixed(0)} req/s   (${s.checkout})`,
    );
  }
}

await runMain("ab", main);
