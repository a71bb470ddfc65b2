// `npm run bench:sdk`: cold starts and memory of a function that imports the SDK, against the
// same function without it. For each kind of function (a plain JSON function; one importing
// `npm:@base44/sdk`; one importing `@fnbase/sdk`), on a fresh data dir (an empty Deno cache):
//   first    the very first deploy -> first response (the Deno cache is empty: npm downloads)
//   deploy   deploy of a new version -> first response, BENCH_COLD_STARTS times
//   idle     idle stop -> first response, BENCH_COLD_STARTS times
//   warm     a call to the warm instance (p50 of calls 100-200), for scale: the SDK functions'
//            calls include their own call back to the server (auth.me())
//   rss      the warm instance's resident memory after 200 calls (server.instanceMemory())
// The SDK functions build a client from the request and call auth.me() (anonymous: a 401 the
// function catches), so axios sends a request. Prints a table; writes nothing.
//
// Environment (all optional):
//   BENCH_COLD_STARTS     cold starts measured per kind (default 20)
//   BENCH_IDLE_MS         idleTimeoutMs of the server (default 200)
//   BENCH_FNBASE_DIST     folder of a built @fnbase/server (default packages/server/dist)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLogger } from "@fnbase/shared";
import { request } from "undici";
import { percentile } from "./_load.mjs";
import { onCleanup, runMain, tempDir } from "./_procs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const envNum = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`${name} must be a number: ${v}`);
  return n;
};
const cfg = {
  coldStarts: Math.max(1, Math.round(envNum("BENCH_COLD_STARTS", 20))),
  idleMs: envNum("BENCH_IDLE_MS", 200),
  dist: resolve(process.env.BENCH_FNBASE_DIST ?? join(here, "../packages/server/dist")),
};
const log = createLogger({ component: "bench" }, process.env.FNBASE_LOG_LEVEL ?? "warn");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (msg) => console.log(`bench:sdk: ${msg}`);

const sdkFunction = (specifier) => `import { createClientFromRequest } from "${specifier}";
Deno.serve(async (req) => {
  const client = createClientFromRequest(req);
  const me = await client.auth.me().catch((err) => err?.status ?? err?.response?.status ?? "error");
  return Response.json({ hello: "world", me });
});
`;
const KINDS = [
  ["plain (no SDK)", 'Deno.serve(() => Response.json({ hello: "world" }));\n'],
  ["npm:@base44/sdk", sdkFunction("npm:@base44/sdk")],
  ["@fnbase/sdk", sdkFunction("@fnbase/sdk")],
];

/** Sends one GET; resolves with the ms from `t0` until its body arrived. Must be 200. */
async function timedGet(url, t0 = performance.now()) {
  const res = await request(url, { reset: true });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${body}`);
  return performance.now() - t0;
}

async function waitFor(what, check, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}

const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1) };
};

async function benchKind(root, label, source) {
  const { startServer } = await import(pathToFileURL(join(cfg.dist, "index.js")).href);
  const server = await startServer(
    {
      port: 0,
      dataDir: join(root, label.replace(/\W+/g, "-")),
      adminKey: "bench-admin-key",
      idleTimeoutMs: cfg.idleMs,
    },
    { log },
  );
  onCleanup(() => server.close());
  try {
    const app = await server.createApp("bench");
    const url = `${server.url}/api/apps/${app.id}/functions/hello`;
    const body = (v) => ({
      entry: "entry.ts",
      files: [{ path: "entry.ts", content: `// version ${v}\n${source}` }],
    });
    const running = async () => (await server.instanceMemory()).length;
    // The spare has booted, as on any server that has run for a moment.
    await waitFor("a spare", async () => server.sparePids().length > 0);
    await sleep(300);
    let t0 = performance.now();
    await server.deploy(app.id, "hello", body("first"));
    const first = await timedGet(url, t0);
    // Keeps the instance busy (no idle stop) while it warms up.
    const warm = [];
    for (let i = 0; i < 200; i++) warm.push(await timedGet(url));
    const rss = (await server.instanceMemory())[0]?.rss;

    const deploy = [];
    for (let i = 0; i < cfg.coldStarts; i++) {
      await sleep(300); // the retired instance stops, the taken spare is replaced
      t0 = performance.now();
      await server.deploy(app.id, "hello", body(`d${i}`));
      deploy.push(await timedGet(url, t0));
    }
    const idle = [];
    for (let i = 0; i < cfg.coldStarts; i++) {
      await waitFor("the idle instance to stop", async () => (await running()) === 0);
      await sleep(300);
      idle.push(await timedGet(url));
    }
    return {
      first,
      warm: summary(warm.slice(100)),
      deploy: summary(deploy),
      idle: summary(idle),
      rss,
    };
  } finally {
    await server.close();
  }
}

const fmt = (v) => (v === undefined ? "-" : v.toFixed(1).padStart(7));

runMain("bench:sdk", async () => {
  const root = tempDir(mkdtempSync(join(tmpdir(), "fnbase-bench-sdk-")));
  const rows = [];
  for (const [label, source] of KINDS) {
    say(`${label}: ${cfg.coldStarts} cold starts of each kind`);
    rows.push([label, await benchKind(root, label, source)]);
  }
  console.log(
    "\nms to the first response       first  deploy p50  p95   idle p50   p95  warm p50    RSS MB",
  );
  for (const [label, r] of rows) {
    console.log(
      `${label.padEnd(16)} ${fmt(r.first)} ${fmt(r.deploy.p50)} ${fmt(r.deploy.p95)} ${fmt(r.idle.p50)} ${fmt(r.idle.p95)} ${fmt(r.warm.p50)} ${fmt(r.rss && r.rss / 1e6)}`,
    );
  }
});
