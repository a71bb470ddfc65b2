// `npm run bench:hops`: what one proxy hop costs on this machine, whatever sits behind it.
//
// fnbase keeps the apps apart in separate processes behind one port, so every invocation
// crosses one proxy hop: a process that parses the caller's HTTP, picks the instance and
// forwards. This measures the leanest hops we could build, with no routing, auth, CORS, logs or
// body limits at all, in front of the same bare Deno function `npm run bench` uses:
//   bare          the function under plain `deno run`, hit directly
//   node x1, x2   node:http + undici dispatch() (hops/node-proxy.mjs), 1 process or 2 (cluster)
//   deno-fetch    Deno.serve + fetch() (hops/deno-fetch-proxy.ts), 1 or 2 processes (reusePort)
//   deno-socket   Deno.serve + a hand-written HTTP/1.1 exchange over Deno.connect
//                 (hops/deno-socket-proxy.ts), 1 or 2 processes; a lower bound for a hop on
//                 Deno.serve
//   deno-raw      plain TCP on both sides (hops/deno-raw-proxy.ts), 1 or 2 processes; a lower
//                 bound for a hop like the front's, whose server is its own (front/server.ts)
// For each it prints req/s, the share of bare, and CPU time per request of the hop, of the
// function and of the whole machine (load generator and kernel included), then the CPU budget a
// hop has for the gateway to reach 25% of bare on this machine.
//
// Environment: BENCH_SECONDS (default 8), BENCH_WARMUP_SECONDS (default 2).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { denoPath, FUNCTION_SOURCE, startBareDeno, WRAPPER_SOURCE } from "./_deno.mjs";
import { findWrk, load } from "./_load.mjs";
import { cpuMsOf, cpuOf, kill, machineBusyMs, runMain, tempDir, track } from "./_procs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const warmup = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const say = (msg) => console.log(`hops: ${msg}`);

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** `pid` and every process below it. */
function withDescendants(pid) {
  const parent = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone while we looked
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  }
  return out;
}

/** Starts a tracked child and resolves once it printed `listening`. */
function startListening(cmd, args) {
  const child = track(cmd, args, { env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args.join(" ")}: no listening in 30 s`)),
      30_000,
    );
    child.stdout.on("data", (c) => {
      out += c;
      if (out.includes("listening")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr.on("data", (c) => {
      out += c;
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited (${code}): ${out}`)));
  });
}

async function measure(url, front, upstreamPid) {
  if (warmup > 0) await load(url, warmup);
  const frontPids = front.flatMap((c) => withDescendants(c.pid));
  const f0 = cpuOf(frontPids);
  const u0 = cpuMsOf(upstreamPid) ?? 0;
  const m0 = machineBusyMs();
  const r = await load(url, seconds);
  const per = (ms) => (ms * 1000) / r.requests;
  return {
    rps: r.rps,
    requests: r.requests,
    errors: r.non2xx + r.socketErrors,
    hopUs: front.length ? per(cpuOf(frontPids) - f0) : 0,
    functionUs: per((cpuMsOf(upstreamPid) ?? 0) - u0),
    machineUs: per(machineBusyMs() - m0),
  };
}

async function main() {
  if (process.platform !== "linux") throw new Error("hops reads /proc: Linux only");
  if (!findWrk()) say("wrk not found: using the built-in undici load generator");
  const dir = tempDir(mkdtempSync(join(tmpdir(), "fnbase-hops-")));
  mkdirSync(join(dir, "fn"));
  writeFileSync(join(dir, "fn", "fn.ts"), FUNCTION_SOURCE);
  writeFileSync(join(dir, "fn", "wrapper.ts"), WRAPPER_SOURCE);
  const tcp = await startBareDeno(join(dir, "fn"), "0");
  const sock = join(dir, "fn.sock");
  const unix = await startBareDeno(join(dir, "fn"), sock);

  const rows = [];
  say(`bare: ${seconds} s`);
  rows.push({
    side: "bare",
    ...(await measure(`http://127.0.0.1:${tcp.listen}/`, [], tcp.child.pid)),
  });

  const sides = [
    ["node x1", 1, (p) => [process.execPath, [join(here, "hops/node-proxy.mjs"), sock, p, "1"]]],
    ["node x2", 1, (p) => [process.execPath, [join(here, "hops/node-proxy.mjs"), sock, p, "2"]]],
    ...["deno-fetch", "deno-socket", "deno-raw"].flatMap((name) =>
      [1, 2].map((n) => [
        `${name} x${n}`,
        n,
        (p) => [
          denoPath,
          [
            "run",
            "-A",
            "--unstable-net",
            "--no-config",
            "--quiet",
            join(here, `hops/${name}-proxy.ts`),
            p,
            tcp.listen,
          ],
        ],
      ]),
    ),
  ];
  for (const [side, count, cmd] of sides) {
    const port = String(await freePort());
    const front = [];
    for (let i = 0; i < count; i++) front.push(await startListening(...cmd(port)));
    const upstream = side.startsWith("node") ? unix.child.pid : tcp.child.pid;
    say(`${side}: ${seconds} s`);
    try {
      rows.push({ side, ...(await measure(`http://127.0.0.1:${port}/`, front, upstream)) });
    } finally {
      for (const c of front) await kill(c);
    }
  }
  await kill(tcp.child);
  await kill(unix.child);

  const bare = rows[0].rps;
  const f = (x, d = 1) => (x === undefined ? "-" : x.toFixed(d));
  console.log(
    `\n  ${"side".padEnd(16)}${"req/s".padStart(10)}${"of bare".padStart(9)}${"hop us".padStart(9)}` +
      `${"fn us".padStart(8)}${"machine us".padStart(12)}   (CPU time per request)`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.side.padEnd(16)}${f(r.rps, 0).padStart(10)}${`${f((100 * r.rps) / bare)}%`.padStart(9)}` +
        `${f(r.hopUs).padStart(9)}${f(r.functionUs).padStart(8)}${f(r.machineUs).padStart(12)}` +
        (r.errors ? `   ${r.errors} errors` : ""),
    );
  }
  // At 25% of bare, the machine has cores * 1e6 / (0.25 * bare) us of CPU per request. The load
  // generator, the kernel and the function take their share (measured on the bare side: machine
  // minus function); what is left is the most a gateway hop may cost, if it uses every core.
  const cores = cpus().length;
  const budget = (cores * 1e6) / (0.25 * bare);
  const rest = rows[0].machineUs - rows[0].functionUs;
  const fn = rows[0].functionUs;
  console.log(
    `\n  25% of bare is ${f(0.25 * bare, 0)} req/s: ${cores} cores give ${f(budget)} us of CPU per request;` +
      `\n  the load generator and kernel take about ${f(rest)}, the function ${f(fn)} or more,` +
      `\n  which leaves at most ${f(budget - rest - fn)} us for the gateway hop, spread over every core.`,
  );
  await writeFile(
    join(here, "hops-results.json"),
    `${JSON.stringify({ date: new Date().toISOString(), cores, seconds, rows }, null, 2)}\n`,
  );
}

await runMain("hops", main);
