/**
 * An app's host process (the server's `FNBASE_RUNTIME=host`): one Deno process per app, running
 * each of the app's function instances as a Worker of its own (`worker.ts`, on
 * `node:worker_threads`, whose `resourceLimits` give every isolate its own heap limit: one that
 * runs out ends that Worker only). It never runs a function's code on its own thread, so it can
 * always stop a Worker that does not yield.
 *
 * Like an instance process, it boots before it knows its app (a spare) with a spare Worker
 * booted too, sends `waiting`, and takes commands on stdin, one JSON line each:
 * - `{t:"app", env, cwd}`: it is this app's host from now on (the app's secrets as its env);
 * - `{t:"env", env}`: the app's secrets changed (Workers started from now on read them);
 * - `{t:"start", w, key, entry, socket, cwd, timeLimitMs, heapMb}`: Worker `w` runs a function;
 * - `{t:"p"|"m"|"stop"|"kill", w}`: ping, memory, graceful stop, stop now.
 * It answers with records on stdout (`_records.ts`), a Worker's carrying its number `w`, and
 * `{w, t:"exit", why}` once a Worker is gone. Its stdin closing, or SIGTERM, stops every Worker.
 */

import { MessageChannel, Worker } from "node:worker_threads";
import { startEgressRelay } from "./_egress_relay.ts";
import { send } from "./_records.ts";

const exit: (code?: number) => never = Deno.exit.bind(Deno);
const encoder = new TextEncoder();
const workerUrl = new URL("./worker.ts", import.meta.url);
const warmSocket = Deno.env.get("FNBASE_WARMUP_SOCKET");
const defaultHeapMb = Number(Deno.env.get("FNBASE_WORKER_HEAP_MB")) || 192;

/** Writes a Worker's record (the JSON text it sent) with its number. */
function forward(w: number, json: string, extra = ""): void {
  const bytes = encoder.encode(`\x1e{"w":${w},${extra}${json.slice(1)}\n`);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

interface Booted {
  worker: Worker;
  port: import("node:worker_threads").MessagePort;
  heapMb: number;
  /** Settles once the Worker waits for its assignment (false: it died first). */
  waiting: Promise<boolean>;
  /** Who hears its records (set when it is assigned). */
  onRecord: (json: string) => void;
  /** When it last answered the heartbeat, and its heap then (bytes). */
  beat: number;
  heap: number;
  /** Since when its heap has been above {@link FULL} of its limit. */
  fullSince?: number | undefined;
  /** Why it failed, from its error event. */
  error?: string;
  oom?: boolean;
  exited: Promise<number>;
}

/** Starts a Worker running `worker.ts` that boots and waits for its assignment. */
function boot(heapMb: number, warm: string | undefined): Booted {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerUrl, {
    workerData: { port: port2, warm },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  let waited: (ok: boolean) => void = () => {};
  const b: Booted = {
    worker,
    port: port1,
    heapMb,
    waiting: new Promise((resolve) => {
      waited = resolve;
    }),
    onRecord: () => {},
    beat: Date.now(),
    heap: 0,
    exited: new Promise((resolve) => worker.once("exit", resolve)),
  };
  port1.on("message", (json: string) => {
    if (json === '{"t":"waiting"}') return waited(true);
    if (json.startsWith("hb:")) {
      b.beat = Date.now();
      b.heap = Number(json.slice(3));
      return;
    }
    b.onRecord(json);
  });
  worker.on("error", (e: Error & { code?: string }) => {
    if (e?.code === "ERR_WORKER_OUT_OF_MEMORY") b.oom = true;
    b.error = e?.message ?? String(e);
  });
  void b.exited.then(() => {
    waited(false);
    port1.close();
  });
  return b;
}

let spare: Booted | undefined;
let refill: ReturnType<typeof setTimeout> | undefined;
/** Boots the next spare Worker soon, unless one is there (one at a time: they share a socket). */
function fillSpare(delayMs: number): void {
  if (spare || refill !== undefined || stopping) return;
  refill = setTimeout(() => {
    refill = undefined;
    if (spare || stopping) return;
    const b = boot(defaultHeapMb, warmSocket);
    spare = b;
    void b.waiting.then((ok) => {
      if (!ok && spare === b) {
        spare = undefined;
        fillSpare(1_000);
      }
    });
  }, delayMs);
}

const workers = new Map<number, Booted>();

interface Start {
  t: "start";
  w: number;
  key: string;
  entry: string;
  socket: string;
  cwd: string;
  timeLimitMs?: number;
  heapMb?: number;
}

async function start(cmd: Start): Promise<void> {
  const heapMb = cmd.heapMb ?? defaultHeapMb;
  let b: Booted;
  if (spare && spare.heapMb === heapMb) {
    b = spare;
    spare = undefined;
  } else {
    b = boot(heapMb, undefined);
  }
  b.beat = Date.now();
  workers.set(cmd.w, b);
  b.onRecord = (json) => {
    if (json.startsWith('{"t":"ready"')) {
      forward(cmd.w, json, `"tid":${b.worker.threadId},`);
      // The next spare boots once this one serves, so that it does not compete for the CPU.
      fillSpare(50);
      return;
    }
    forward(cmd.w, json);
  };
  void b.exited.then((code) => {
    workers.delete(cmd.w);
    const why = b.oom
      ? "out of memory (its heap limit)"
      : b.error !== undefined
        ? `uncaught error: ${b.error}`
        : `exited with code ${code}`;
    forward(cmd.w, JSON.stringify({ t: "exit", why, oom: b.oom === true }));
  });
  if (!(await b.waiting)) return; // its exit says why
  const { w: _w, t: _t, heapMb: _h, ...rest } = cmd;
  b.port.postMessage({ t: "assign", ...rest });
}

/** The app's secrets, as this process's environment (names set by the host stay). */
let secretNames = new Set<string>();
function setEnv(env: Record<string, string>): void {
  for (const name of secretNames) if (!(name in env)) Deno.env.delete(name);
  for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
  secretNames = new Set(Object.keys(env));
}

/** How often each Worker's heap is looked at, and how long one may go without answering, ms. */
const BEAT_MS = 500;
const HUNG_MS = 2_000;
/** Share of its heap limit past which a Worker that stopped answering ran out of memory. */
const NEAR_FULL = 0.8;
/** Share of its heap limit a Worker may not stay at for {@link FULL_MS}: V8 only collects. */
const FULL = 0.97;
const FULL_MS = 3_000;

/**
 * A Worker that reaches its heap limit while its code awaits (rather than in one synchronous
 * run) is not always ended by Deno: measured on Deno 2.9, its thread then sleeps for ever,
 * holding its heap, or goes on answering between full garbage collections that each free a
 * few kB (its code then advances by a few kB every half second, for minutes). The host asks
 * every Worker for its heap twice a second; one that has not answered for 2 s with its heap near
 * its limit, or whose heap stays above 97% of its limit for 3 s, is ended here, as out of
 * memory. (One that spins is the watchdog's: its thread's CPU time grows.)
 */
function watchHeaps(): void {
  setInterval(() => {
    const now = Date.now();
    for (const b of workers.values()) {
      const limit = b.heapMb * 1024 * 1024;
      if (b.heap < limit * FULL) b.fullSince = undefined;
      else b.fullSince ??= now;
      const hung = now - b.beat > HUNG_MS && b.heap >= limit * NEAR_FULL;
      const full = b.fullSince !== undefined && now - b.fullSince > FULL_MS;
      if ((hung || full) && !b.oom) {
        b.oom = true;
        void b.worker.terminate();
        continue;
      }
      b.port.postMessage({ t: "hb" });
    }
  }, BEAT_MS);
}

let stopping = false;
async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearTimeout(refill);
  spare?.worker.terminate();
  for (const b of workers.values()) b.port.postMessage({ t: "stop" });
  // Work that never ends must not keep the process alive.
  setTimeout(() => exit(0), 5_000);
  await Promise.allSettled([...workers.values()].map((b) => b.exited));
  exit(0);
}

type Command =
  | { t: "app"; env: Record<string, string>; cwd: string }
  | { t: "env"; env: Record<string, string> }
  | Start
  | { t: "p" | "m" | "stop" | "kill"; w: number };

function handle(cmd: Command): void {
  switch (cmd.t) {
    case "app": {
      setEnv(cmd.env);
      Deno.chdir(cmd.cwd);
      const egressSocket = Deno.env.get("FNBASE_EGRESS_SOCKET");
      const egressPort = Number(Deno.env.get("FNBASE_EGRESS_PORT"));
      if (egressSocket && egressPort > 0) startEgressRelay(egressPort, egressSocket);
      send({ t: "ready", ms: 0 });
      return;
    }
    case "env":
      setEnv(cmd.env);
      return;
    case "start":
      return void start(cmd);
    case "kill":
      return void workers.get(cmd.w)?.worker.terminate();
    default: {
      const b = workers.get(cmd.w);
      b?.port.postMessage({ t: cmd.t });
    }
  }
}

Deno.addSignalListener("SIGTERM", () => void stopAll());
watchHeaps();
fillSpare(0);
send({ t: "waiting" });

// Commands until stdin ends: the server is gone (however it ended), so is every caller.
try {
  const decoder = new TextDecoder();
  let text = "";
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
    let nl = text.indexOf("\n");
    while (nl !== -1) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      nl = text.indexOf("\n");
      if (line === "") continue;
      try {
        handle(JSON.parse(line) as Command);
      } catch (err) {
        send({ t: "error", m: `host: ${(err as Error).message}` });
      }
    }
  }
} catch {
  // a broken pipe ends it as well
}
await stopAll();
