// `npm run bench:entities`: entities at scale, on fnbase and on the Base44 CLI's dev server
// (`base44 dev`: Express and in-memory NeDB) side by side, with the same calls.
//
// One entity, Item, of 10 fields (one of them, `group`, indexed), whose read rule lets a user
// read the records they created and admins read all (`created_by` / `user_condition`). BENCH_USERS
// users own BENCH_RECORDS records between them, spread evenly; every `group` value is on 50
// records. Each side is a server in a process of its own, measured with:
//   seed         the records, by bulkCreate, two calls in flight (5,000 records per call; 200 on
//                the Base44 dev server, whose bodies are at most 100 kB)
//   indexed      `entities.Item.filter({ group })` (50 records) as an admin user (whom the read
//                rule lets read all), through @base44/sdk and @fnbase/sdk, and through
//                `asServiceRole`, one call at a time: p50/p95
//   rule         a user's `entities.Item.filter({ rating })`: a field with no index, under the
//                read rule (about 50 of the user's own 10,000 records), one call at a time
//   list         `list("-created_date", 5000)` (5,000 records, 2.3 MB of JSON each) with 1, 8
//                and 32 callers at once for BENCH_SECONDS each: lists/s and the anonymous
//                resident memory of the server's processes (heap, buffers: not the pages of the
//                database file SQLite maps) before and at most while they run, every 20 ms
//   create       POST of one record as a user, 32 connections, BENCH_SECONDS: records/s
//   bulk         100,000 more records by bulkCreate, as the seed: records/s
// With each: the CPU time the server's processes used per call (front and Node for fnbase).
// Records the create and bulk steps add to fnbase are deleted at the end. Prints a table.
//
// Environment (all optional):
//   BENCH_RECORDS         records to seed (default 1,000,000)
//   BENCH_USERS           users owning them (default 100)
//   BENCH_SAMPLES         calls measured per query (default 200; fewer when a side is slow:
//                         at most 20 s of calls per query)
//   BENCH_SECONDS         seconds of load per load step (default 5)
//   BENCH_BASE44          0 to skip the Base44 dev server (default: run it)
//   BENCH_BASE44_RECORDS  records to seed in the Base44 dev server (default BENCH_RECORDS)
//   BENCH_BASE44_HEAP_MB  its Node heap limit (default 12288: NeDB holds 1M records in ~6 GB)
//   BENCH_DATA_DIR        a folder for fnbase's data, kept after the run and reused (seeded
//                         once); default: a temporary folder
//   BENCH_CPU_PROF        a folder: the fnbase server writes a V8 CPU profile there on exit
//   BENCH_ONLY            comma-separated steps to run after seeding (default all)
//   BENCH_FNBASE_DIST     folder of a built @fnbase/server (default packages/server/dist)
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createClient as createBase44Client } from "@base44/sdk";
import { createClient as createFnbaseClient } from "@fnbase/sdk";
import { percentile } from "./_load.mjs";
import { cpuOf, kill, onCleanup, runMain, tempDir, track } from "./_procs.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const envNum = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`${name} must be a number: ${v}`);
  return n;
};
const cfg = {
  records: Math.round(envNum("BENCH_RECORDS", 1_000_000)),
  users: Math.max(1, Math.round(envNum("BENCH_USERS", 100))),
  samples: Math.max(5, Math.round(envNum("BENCH_SAMPLES", 200))),
  seconds: envNum("BENCH_SECONDS", 5),
  base44: process.env.BENCH_BASE44 !== "0",
  base44Records: Math.round(envNum("BENCH_BASE44_RECORDS", envNum("BENCH_RECORDS", 1_000_000))),
  base44Heap: Math.round(envNum("BENCH_BASE44_HEAP_MB", 12_288)),
  dataDir: process.env.BENCH_DATA_DIR ? resolve(process.env.BENCH_DATA_DIR) : undefined,
  cpuProf: process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined,
  only: process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",")) : undefined,
  dist: resolve(process.env.BENCH_FNBASE_DIST ?? join(here, "../packages/server/dist")),
};
const runs = (step) => !cfg.only || cfg.only.has(step);
const say = (msg) => console.log(`bench:entities: ${msg}`);
const APP = "bench";
const ADMIN_KEY = "b44k_bench-entities-admin-key";
const PASSWORD = "a long bench password";
const BULK = 5_000;
const PER_GROUP = 50;
const RATINGS = 200;
const QUERY_BUDGET_MS = 20_000;

const ITEM = {
  name: "Item",
  type: "object",
  properties: {
    title: { type: "string" },
    group: { type: "string", index: true },
    status: { type: "string", enum: ["open", "in_progress", "blocked", "done"] },
    priority: { type: "integer" },
    amount: { type: "number" },
    done: { type: "boolean" },
    tags: { type: "array", items: { type: "string" } },
    due_date: { type: "string", format: "date" },
    notes: { type: "string" },
    rating: { type: "integer" },
  },
  required: ["title"],
  rls: {
    read: { $or: [{ created_by: "{{user.email}}" }, { user_condition: { role: "admin" } }] },
    write: { $or: [{ created_by: "{{user.email}}" }, { user_condition: { role: "admin" } }] },
  },
};

// --- records ------------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so both sides get the same records. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const STATUSES = ITEM.properties.status.enum;
const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
const groupsOf = (records) => Math.max(1, Math.floor(records / PER_GROUP));
/** A prime that does not divide the number of groups: i -> (i * P) mod G spreads groups out. */
const SPREAD = 1_000_003;
const groupName = (g) => `g${String(g).padStart(6, "0")}`;

/** Record `i` of `total` (its group spreads each group's 50 records over the whole set). */
function record(i, total) {
  const r = prng(i + 1);
  const w = () => WORDS[Math.floor(r() * WORDS.length)];
  return {
    title: `Item ${i} ${w()} ${w()}`,
    group: groupName((i * SPREAD) % groupsOf(total)),
    status: STATUSES[Math.floor(r() * STATUSES.length)],
    priority: 1 + Math.floor(r() * 5),
    amount: Math.round(r() * 1_000_000) / 100,
    done: r() < 0.3,
    tags: [w(), w()],
    due_date: `2026-${String(1 + Math.floor(r() * 12)).padStart(2, "0")}-${String(1 + Math.floor(r() * 28)).padStart(2, "0")}`,
    notes: `Notes for item ${i}: ${w()} ${w()} ${w()} ${w()} lorem ipsum dolor sit amet`,
    rating: Math.floor(r() * RATINGS),
  };
}

// --- measuring ----------------------------------------------------------------------------

/**
 * Calls `fn(k)` one at a time: warm-up calls (at least 5, then until 1 s or 300 calls, on other
 * keys than the measured ones: each server process's first few hundred calls of a kind run
 * unoptimised code, and the step measured first after a start paid for it, 1-2 ms of server CPU
 * per call), then up to `samples` or the time budget.
 */
async function measure(fn, check, pids) {
  const warm = performance.now();
  for (let k = 0; k < 300 && (k < 5 || performance.now() - warm < 1_000); k++) {
    check(await fn(100_000 + k), 100_000 + k);
  }
  const ms = [];
  const cpu0 = cpuOf(pids);
  const node0 = cpuOf(pids.slice(0, 1));
  const start = performance.now();
  for (let k = 5; k < cfg.samples + 5 && performance.now() - start < QUERY_BUDGET_MS; k++) {
    const t0 = performance.now();
    const out = await fn(k);
    ms.push(performance.now() - t0);
    if (k % 50 === 0) check(out, k);
  }
  const cpu = (cpuOf(pids) - cpu0) / ms.length;
  const node = (cpuOf(pids.slice(0, 1)) - node0) / ms.length;
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), n: ms.length, cpu, node };
}

/** Runs the load child with `spec`; answers its report. */
async function load(spec) {
  const child = track(process.execPath, [join(here, "_entities-load.mjs"), JSON.stringify(spec)]);
  let out = "";
  let err = "";
  child.stdout.on("data", (c) => {
    out += c;
  });
  child.stderr.on("data", (c) => {
    err += c;
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`load failed (${code}): ${err}`);
  return JSON.parse(out);
}

/** Pids of `pid` and every process below it. */
function family(pid) {
  const parents = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, parent] of parents) if (parent === out[i]) out.push(child);
  }
  return out;
}

/**
 * Anonymous resident memory of processes (heap, stacks, buffers), in MB, a process gone
 * counting 0; `total` for all resident memory, which also counts pages of files mapped in (the
 * database file SQLite maps: the kernel's page cache, shared and given back under pressure).
 */
function rssMb(pids, total = false) {
  let kb = 0;
  for (const pid of pids) {
    try {
      const re = total ? /VmRSS:\s+(\d+)/ : /RssAnon:\s+(\d+)/;
      const m = re.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      kb += m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** Runs `fn` while sampling the resident memory of `pids` every 20 ms; answers the peak. */
async function peakRss(pids, fn) {
  let peak = rssMb(pids);
  let main = rssMb(pids.slice(0, 1));
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pids));
    main = Math.max(main, rssMb(pids.slice(0, 1)));
  }, 20);
  try {
    const result = await fn();
    return { result, peak: Math.max(peak, rssMb(pids)), main };
  } finally {
    clearInterval(timer);
  }
}

async function freePort() {
  const s = createServer();
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address();
  s.close();
  return port;
}

/** An unsigned-looking JWT (the Base44 dev server decodes tokens without checking them). */
function devJwt(sub) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const exp = Math.floor(Date.now() / 1000) + 365 * 86400;
  return `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub, exp })}.bench`;
}

async function http(url, init = {}) {
  const res = await fetch(url, {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers ?? {}) },
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

// --- the two sides ------------------------------------------------------------------------

/**
 * fnbase: the server in a child process (bench/_entities-server.mjs), the app `bench`, Item's
 * schema pushed, BENCH_USERS users registered (or logged in, on a reused data dir).
 */
async function startFnbase() {
  const dataDir = cfg.dataDir ?? tempDir(mkdtempSync(join(tmpdir(), "fnbase-bench-ent-")));
  mkdirSync(dataDir, { recursive: true });
  // As `fnbase` runs a server (packages/cli/bin/fnbase.js).
  const flags = ["--max-semi-space-size=4"];
  if (cfg.cpuProf) {
    mkdirSync(cfg.cpuProf, { recursive: true });
    flags.push("--cpu-prof", `--cpu-prof-dir=${cfg.cpuProf}`);
  }
  const child = track(process.execPath, [
    ...flags,
    join(here, "_entities-server.mjs"),
    dataDir,
    ADMIN_KEY,
    cfg.dist,
  ]);
  let err = "";
  child.stderr.on("data", (c) => {
    err += c;
  });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, "line").then(([l]) => l),
    once(child, "exit").then(([code]) => {
      throw new Error(`the fnbase server exited (${code}): ${err}`);
    }),
  ]);
  const { url } = JSON.parse(first);
  onCleanup(() => kill(child, "SIGTERM"));
  const admin = { api_key: ADMIN_KEY };
  const app = await http(`${url}/api/apps/${APP}`, { headers: admin });
  if (app.status === 404) {
    const made = await http(`${url}/api/apps`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ id: APP, name: APP }),
    });
    if (made.status >= 300)
      throw new Error(`create app: ${made.status} ${JSON.stringify(made.body)}`);
  }
  const push = await http(`${url}/api/apps/${APP}/entity-schemas`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ entityNameToSchema: { Item: ITEM } }),
  });
  if (push.status !== 200) throw new Error(`push: ${push.status} ${JSON.stringify(push.body)}`);
  const tokens = [];
  for (let u = 0; u <= cfg.users; u++) {
    const creds = JSON.stringify({ email: userEmail(u), password: PASSWORD });
    let r = await http(`${url}/api/apps/${APP}/auth/register`, { method: "POST", body: creds });
    if (r.status >= 300) {
      r = await http(`${url}/api/apps/${APP}/auth/login`, { method: "POST", body: creds });
    }
    if (!r.body?.access_token) throw new Error(`user ${u}: ${r.status} ${JSON.stringify(r.body)}`);
    tokens.push(r.body.access_token);
  }
  // The admin: one more user, made an admin by the API key (as `fnbase` or a script would).
  const creds = JSON.stringify({ email: "admin@bench.test", password: PASSWORD });
  let a = await http(`${url}/api/apps/${APP}/auth/register`, { method: "POST", body: creds });
  if (a.status >= 300)
    a = await http(`${url}/api/apps/${APP}/auth/login`, { method: "POST", body: creds });
  const role = await http(`${url}/api/apps/${APP}/entities/User/${a.body.user.id}`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ role: "admin" }),
  });
  if (role.status !== 200) throw new Error(`admin: ${role.status} ${JSON.stringify(role.body)}`);
  return {
    name: "fnbase",
    url,
    serviceToken: ADMIN_KEY,
    adminToken: a.body.access_token,
    tokens,
    pids: () => family(child.pid),
    sdks: ["@base44/sdk", "@fnbase/sdk"],
    bulk: BULK,
    stop: () => kill(child, "SIGTERM"),
  };
}

/** User u's e-mail; user BENCH_USERS is the one the create load runs as. */
const userEmail = (u) => `user${u}@bench.test`;

/**
 * The Base44 CLI's dev server (`base44 dev`, the npm package `base44`), on a project holding
 * the Item entity, logged in through BASE44_ACCESS_TOKEN in a HOME of its own. Users register
 * and verify with the code it prints.
 */
async function startBase44() {
  const root = tempDir(mkdtempSync(join(tmpdir(), "fnbase-bench-b44-")));
  const project = join(root, "project");
  mkdirSync(join(project, "base44", "entities"), { recursive: true });
  mkdirSync(join(root, "home"));
  writeFileSync(join(project, "base44", "config.jsonc"), '{ "name": "bench" }\n');
  writeFileSync(join(project, "base44", ".app.jsonc"), JSON.stringify({ id: APP }));
  writeFileSync(join(project, "base44", "entities", "Item.jsonc"), JSON.stringify(ITEM, null, 2));
  const port = await freePort();
  const bin = join(here, "../node_modules/base44/bin/run.js");
  if (!existsSync(bin)) throw new Error("the base44 CLI is not installed (npm install)");
  // A heap large enough for a million records in NeDB (about 5.6 GB; Node's default stops near 4).
  const heap = `--max-old-space-size=${cfg.base44Heap}`;
  const child = track(process.execPath, [heap, bin, "dev", "--port", String(port)], {
    cwd: project,
    env: {
      ...process.env,
      HOME: join(root, "home"),
      BASE44_DISABLE_TELEMETRY: "1",
      BASE44_ACCESS_TOKEN: devJwt("admin@bench.test"),
      BASE44_REFRESH_TOKEN: "bench",
      NO_COLOR: "1",
    },
  });
  onCleanup(() => kill(child, "SIGTERM"));
  let out = "";
  const codes = [];
  child.stdout.on("data", (c) => {
    out += c;
    for (const m of String(c).matchAll(/verification code: (\d+)/g)) codes.push(m[1]);
  });
  child.stderr.on("data", (c) => {
    out += c;
  });
  const deadline = Date.now() + 60_000;
  while (!out.includes("Dev server is available at")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`base44 dev did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `http://localhost:${port}`;
  const tokens = [];
  for (let u = 0; u <= cfg.users; u++) {
    const email = userEmail(u);
    const n = codes.length;
    const reg = await http(`${url}/api/apps/${APP}/auth/register`, {
      method: "POST",
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    if (reg.status !== 200) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
    while (codes.length === n) await new Promise((r) => setTimeout(r, 5));
    const v = await http(`${url}/api/apps/${APP}/auth/verify-otp`, {
      method: "POST",
      body: JSON.stringify({ email, otp_code: codes[n] }),
    });
    if (!v.body?.access_token) throw new Error(`verify: ${v.status} ${JSON.stringify(v.body)}`);
    tokens.push(v.body.access_token);
  }
  return {
    name: "Base44 dev server",
    url,
    serviceToken: devJwt("server@server.com"),
    // The account the CLI is logged in with: an admin of the app.
    adminToken: devJwt("admin@bench.test"),
    tokens,
    pids: () => family(child.pid),
    sdks: ["@base44/sdk"],
    // Its Express JSON parser takes bodies of at most 100 kB (about 200 of these records).
    bulk: 200,
    stop: () => kill(child, "SIGTERM"),
  };
}

// --- the steps ----------------------------------------------------------------------------

const recordsUrl = (side) => `${side.url}/api/apps/${APP}/entities/Item`;

function clients(side, sdk) {
  const make = sdk === "@fnbase/sdk" ? createFnbaseClient : createBase44Client;
  const base = { serverUrl: side.url, appId: APP, requiresAuth: false };
  return {
    service: make({ ...base, serviceToken: side.serviceToken }),
    admin: make({ ...base, token: side.adminToken }),
    user: (u) => make({ ...base, token: side.tokens[u] }),
  };
}

async function count(side) {
  const r = await http(`${recordsUrl(side)}/count`, {
    headers: { authorization: `Bearer ${side.serviceToken}` },
  });
  if (r.status === 200) return r.body.count;
  // The Base44 dev server has no count route.
  return undefined;
}

/** Seeds `total` records: chunk c (at most 5,000 records) belongs to user c mod BENCH_USERS. */
async function seed(side, total) {
  const have = (await count(side)) ?? 0;
  if (have >= total) return { skipped: have };
  const size = Math.min(side.bulk, Math.ceil(total / cfg.users));
  const chunks = Math.ceil(total / size);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < chunks) {
      const c = next++;
      const from = c * size;
      const body = [];
      for (let i = from; i < Math.min(total, from + size); i++) body.push(record(i, total));
      const r = await http(`${recordsUrl(side)}/bulk`, {
        method: "POST",
        headers: { authorization: `Bearer ${side.tokens[c % cfg.users]}` },
        body: JSON.stringify(body),
      });
      if (r.status !== 201 && r.status !== 200) {
        throw new Error(`seed chunk ${c}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
      if (c % 20 === 19) say(`  ${side.name}: ${((c + 1) * size).toLocaleString()} records`);
    }
  };
  await Promise.all([worker(), worker()]);
  const s = (performance.now() - t0) / 1000;
  return { rps: total / s, seconds: s };
}

async function queries(side, total) {
  const out = {};
  const groups = groupsOf(total);
  const pids = side.pids();
  for (const sdk of side.sdks) {
    const c = clients(side, sdk);
    const fifty = (rows) => {
      if (rows.length !== PER_GROUP) throw new Error(`indexed: ${rows.length} records`);
    };
    if (runs("indexed")) {
      out[`indexed ${sdk}`] = await measure(
        (k) => c.admin.entities.Item.filter({ group: groupName((k * 7919) % groups) }),
        fifty,
        pids,
      );
      if (sdk === "@base44/sdk") {
        out.service = await measure(
          (k) =>
            c.service.asServiceRole.entities.Item.filter({
              group: groupName((k * 104_729) % groups),
            }),
          fifty,
          pids,
        );
      }
    }
    if (runs("rule")) {
      const users = Array.from({ length: cfg.users }, (_, u) => c.user(u));
      out[`rule ${sdk}`] = await measure(
        (k) => users[k % cfg.users].entities.Item.filter({ rating: (k * 31) % RATINGS }),
        (rows, k) => {
          const email = userEmail(k % cfg.users);
          if (rows.length === 0 || rows.some((r) => r.created_by !== email)) {
            throw new Error(`rule: ${rows.length} records, or some not ${email}'s`);
          }
        },
        pids,
      );
    }
  }
  return out;
}

async function writes(side) {
  const out = {};
  const auth = { authorization: `Bearer ${side.tokens[cfg.users]}` };
  const pids = side.pids();
  if (runs("create")) {
    const body = JSON.stringify({ ...record(0, 1), group: "bench-create" });
    const cpu0 = cpuOf(pids);
    const node0 = cpuOf(pids.slice(0, 1));
    const r = await load({
      url: recordsUrl(side),
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body,
      connections: 32,
      seconds: cfg.seconds,
    });
    if (r.non2xx || r.errors) throw new Error(`create load: ${JSON.stringify(r)}`);
    out.create = {
      ...r,
      cpu: (cpuOf(pids) - cpu0) / r.requests,
      node: (cpuOf(pids.slice(0, 1)) - node0) / r.requests,
    };
  }
  if (runs("bulk")) {
    // 100,000 records, two calls in flight (the caller writes one while the server answers the
    // other, as a loop over a file would), bodies written beforehand.
    const calls = Math.ceil(100_000 / side.bulk);
    const bodies = Array.from({ length: calls }, (_, k) =>
      JSON.stringify(
        Array.from({ length: side.bulk }, (_, i) => ({
          ...record(k * side.bulk + i, 1),
          group: "bench-bulk",
        })),
      ),
    );
    let next = 0;
    const c0 = cpuOf(pids);
    const t0 = performance.now();
    const worker = async () => {
      while (next < calls) {
        const body = bodies[next++];
        const r = await http(`${recordsUrl(side)}/bulk`, { method: "POST", headers: auth, body });
        if (r.status >= 300) throw new Error(`bulk: ${r.status}`);
      }
    };
    await Promise.all([worker(), worker()]);
    const seconds = (performance.now() - t0) / 1000;
    out.bulk = {
      rps: (calls * side.bulk) / seconds,
      size: side.bulk,
      cpu: (cpuOf(pids) - c0) / (calls * side.bulk),
    };
  }
  // Leaves a data dir that is kept as it was. (The Base44 dev server's data goes with it; its
  // deleteMany of these would take hours: it matches ids with an $in of every one.)
  if (side.name === "fnbase")
    await http(recordsUrl(side), {
      method: "DELETE",
      headers: { authorization: `Bearer ${side.serviceToken}` },
      body: JSON.stringify({ group: { $in: ["bench-create", "bench-bulk"] } }),
    });
  return out;
}

async function lists(side) {
  const out = {};
  if (!runs("list")) return out;
  const pids = side.pids();
  out.idle = rssMb(pids);
  out.idleMain = rssMb(pids.slice(0, 1));
  out.idleTotal = rssMb(pids, true);
  for (const connections of [1, 8, 32]) {
    // One list taking seconds (the Base44 dev server sorts every record in JavaScript): many at
    // once would take minutes and measure nothing new.
    if (connections > 1 && out[1] && out[1].p50 > 5_000) {
      out[connections] = { skipped: `one list takes ${(out[1].p50 / 1000).toFixed(0)} s` };
      continue;
    }
    const cpu0 = cpuOf(pids);
    const { result, peak, main } = await peakRss(pids, () =>
      load({
        url: `${recordsUrl(side)}?sort=-created_date&limit=5000`,
        headers: { authorization: `Bearer ${side.serviceToken}` },
        connections,
        seconds: cfg.seconds,
      }),
    );
    if (result.non2xx) throw new Error(`list load: ${JSON.stringify(result)}`);
    // The Base44 dev server drops connections when many lists wait: counted, not fatal.
    out[connections] = { ...result, peak, main, cpu: (cpuOf(pids) - cpu0) / result.requests };
    say(
      `  ${side.name}: ${connections} at once: ${result.rps.toFixed(1)} lists/s, ${(result.mb / result.requests).toFixed(2)} MB each, peak ${peak.toFixed(0)} MB (main process ${main.toFixed(0)}), ${out[connections].cpu.toFixed(1)} ms CPU each${result.errors ? `, ${result.errors} failed: ${result.firstError}` : ""}`,
    );
  }
  out.after = rssMb(pids);
  return out;
}

async function runSide(side, total) {
  const loads = [loadavg()[0]];
  const timer = setInterval(() => loads.push(loadavg()[0]), 5_000);
  try {
    return { ...(await measureSide(side, total)), load: Math.max(...loads) };
  } finally {
    clearInterval(timer);
  }
}

async function measureSide(side, total) {
  say(`${side.name}: seeding ${total.toLocaleString()} records`);
  const seeded = await seed(side, total);
  say(
    `${side.name}: ${seeded.skipped ? `already seeded (${seeded.skipped.toLocaleString()} records)` : `seeded at ${seeded.rps.toFixed(0)} records/s`}`,
  );
  // A step that fails (the Base44 dev server times out under some loads) is reported, and the
  // others still run.
  const step = async (name, fn) => {
    try {
      return await fn();
    } catch (err) {
      say(`  ${side.name}: ${name} failed: ${err.message}`);
      return {};
    }
  };
  const q = await step("queries", () => queries(side, total));
  for (const [k, v] of Object.entries(q)) {
    say(
      `  ${side.name}: ${k}: p50 ${v.p50.toFixed(2)} ms, p95 ${v.p95.toFixed(2)} ms (${v.n} calls), server CPU ${v.cpu.toFixed(2)} ms per call (${v.node.toFixed(2)} in its main process)`,
    );
  }
  const l = await step("lists", () => lists(side));
  const w = await step("writes", () => writes(side));
  if (w.create)
    say(
      `  ${side.name}: create: ${w.create.rps.toFixed(0)} records/s, p50 ${w.create.p50.toFixed(1)} ms, server CPU ${(w.create.cpu * 1000).toFixed(0)} µs per record (${(w.create.node * 1000).toFixed(0)} in its main process)`,
    );
  if (w.bulk)
    say(
      `  ${side.name}: bulkCreate: ${w.bulk.rps.toFixed(0)} records/s, server CPU ${(w.bulk.cpu * 1000).toFixed(0)} µs per record`,
    );
  return { total, seeded, q, l, w };
}

// --- the report ---------------------------------------------------------------------------

function report(results) {
  const sides = Object.keys(results);
  const cell = (f) =>
    sides.map((s) => {
      try {
        return f(results[s]) ?? "-";
      } catch {
        return "-";
      }
    });
  // p50 / p95 ms, and the server's CPU per call (all its processes).
  const ms = (v) =>
    v ? `${v.p50.toFixed(2)} / ${v.p95.toFixed(2)} (${v.cpu.toFixed(2)})` : undefined;
  const rows = [
    ["records", ...cell((r) => r.total.toLocaleString())],
    [
      "highest load average of the machine (1 min) while measured (2 cores)",
      ...cell((r) => r.load.toFixed(1)),
    ],
    [
      "seed: bulkCreate, 2 calls in flight (records/s)",
      ...cell((r) => (r.seeded.rps ? r.seeded.rps.toFixed(0) : "(kept from an earlier run)")),
    ],
    [
      "indexed filter, 50 records, as an admin, @base44/sdk: p50 / p95 ms (server CPU ms)",
      ...cell((r) => ms(r.q["indexed @base44/sdk"])),
    ],
    ["the same, @fnbase/sdk", ...cell((r) => ms(r.q["indexed @fnbase/sdk"]))],
    ["the same, asServiceRole, @base44/sdk", ...cell((r) => ms(r.q.service))],
    [
      "filter on a field with no index under a created_by rule, as a user, @base44/sdk",
      ...cell((r) => ms(r.q["rule @base44/sdk"])),
    ],
    ["the same, @fnbase/sdk", ...cell((r) => ms(r.q["rule @fnbase/sdk"]))],
    [
      "create, one record per call, 32 connections: records/s (server CPU µs each)",
      ...cell((r) =>
        r.w.create
          ? `${r.w.create.rps.toFixed(0)} (${(r.w.create.cpu * 1000).toFixed(0)})`
          : undefined,
      ),
    ],
    [
      "bulkCreate, two calls in flight: records/s (server CPU µs each; records per call)",
      ...cell((r) =>
        r.w.bulk
          ? `${r.w.bulk.rps.toFixed(0)} (${(r.w.bulk.cpu * 1000).toFixed(0)}; ${r.w.bulk.size})`
          : undefined,
      ),
    ],
    [
      "server memory before the lists: anonymous (all resident) MB",
      ...cell((r) =>
        r.l.idle === undefined ? undefined : `${r.l.idle.toFixed(0)} (${r.l.idleTotal.toFixed(0)})`,
      ),
    ],
  ];
  for (const n of [1, 8, 32]) {
    rows.push([
      `list of 5,000 records, ${n} at once: lists/s, peak anonymous memory MB`,
      ...cell((r) =>
        r.l[n]?.skipped
          ? `not run (${r.l[n].skipped})`
          : r.l[n]
            ? `${r.l[n].rps.toFixed(2)}, ${r.l[n].peak.toFixed(0)}${r.l[n].errors ? ` (${r.l[n].errors} of ${r.l[n].requests + r.l[n].errors} failed)` : ""}`
            : undefined,
      ),
    ]);
  }
  rows.push(["anonymous memory after the lists (MB)", ...cell((r) => r.l.after?.toFixed(0))]);
  const header = ["", ...sides];
  console.log(`\n| ${header.join(" | ")} |\n| --- |${sides.map(() => " ---: |").join("")}`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

runMain("bench:entities", async () => {
  say(`${cfg.records.toLocaleString()} records of Item, ${cfg.users} users`);
  const results = {};
  const fn = await startFnbase();
  results.fnbase = await runSide(fn, cfg.records);
  await fn.stop();
  if (cfg.base44) {
    const b = await startBase44();
    try {
      results["Base44 dev server"] = await runSide(b, cfg.base44Records);
    } catch (err) {
      say(`Base44 dev server: stopped: ${err.message}`);
    } finally {
      await b.stop();
    }
  }
  report(results);
});
