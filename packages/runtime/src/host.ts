/**
 * An app's host process (the server's `FNBASE_RUNTIME=host`): one Deno process per app, running
 * each of the app's function instances as a Worker of its own (`worker.ts`, on
 * `node:worker_threads`, whose `resourceLimits` give every isolate its own heap limit: one that
 * runs out ends that Worker only). It never runs a function's code on its own thread, so it can
 * always stop a Worker that does not yield.
 *
 * Like an instance process, it boots before it knows its app (a spare), sends `waiting`, and takes
 * commands on stdin, one JSON line each:
 * - `{t:"sockets", dir, names, egress?}`, the first line, before any Worker exists: the names of
 *   the sockets its Workers serve on, in `dir`, and in the sandbox the egress proxy's socket,
 *   which its relay connects to (see below);
 * - `{t:"app", env, cwd}`: it is this app's host from now on (the app's secrets as its env, its
 *   working directory `cwd`, where the server links each function's deployment, so that relative
 *   paths resolve from a deployment's root as in a process of its own); it answers `{t:"ready", workers:[{w, waiting?, tid?}]}`, its Workers so far;
 *   later changes of the secrets come with the assignments (`worker.ts`);
 * - `{t:"boot", w, s, key, heapMb?}`: boot Worker `w` with that heap limit (else the server's
 *   default); it serves its socket (`names[s]`, never used before) and says
 *   `{w, t:"waiting", tid}`; the server assigns it a function on the socket itself, with `key`
 *   (see `worker.ts`), as soon as the socket is served: a cold start does not wait for this
 *   record, which this thread writes only between two Worker creations;
 * - `{t:"p"|"m"|"stop"|"kill", w}`: ping, memory, graceful stop, stop now;
 * - `{t:"asleep", w}`: the server found Worker `w`'s thread asleep with a ping unanswered (the
 *   watchdog's `asleep`), which is how Deno 2.9 sometimes leaves a Worker at its heap limit;
 *   when it has not answered this thread's last 4 heartbeats either, it is ended as out of
 *   memory, or blocked (see {@link watchHeaps}).
 * It answers with records on stdout (`_records.ts`), a Worker's carrying its number `w`, and
 * `{w, t:"exit", why, oom, stuck?}` once a Worker is gone (`stuck`: ended as out of memory, its
 * thread still runs and only the process's end stops it). Its stdin closing stops every Worker.
 *
 * Signals do nothing to it: every Worker may signal this process (Deno lets a process signal
 * itself without `--allow-run`), so it keeps a listener that does nothing on every signal Deno
 * lets it listen to (see {@link ignoreSignals}), and in the sandbox it is the init of a PID
 * namespace of its own, which the kernel keeps SIGKILL and SIGSTOP from when they come from
 * inside (the server's `Sandbox.command`).
 *
 * Creating a Worker blocks this thread until the Worker's runtime is up (20-25 ms for a
 * `node:worker_threads` Worker on Deno 2.9, measured), so Workers are created one at a time,
 * each in a task of its own: commands and records go through between two of them.
 *
 * Every Worker has this process's Deno permissions, and so every function of the app. They name
 * each socket file, the Workers' and the egress proxy's (read and write: what `Deno.listen` and
 * `Deno.connect` on a unix socket need), never the folder holding them, so a function can touch
 * only a socket whose name it knows. The names are random, a Worker's used once, and none
 * reaches a function: not in the arguments or the environment (both readable by every Worker),
 * not on stdin after the first line (a Worker can read stdin too; the first line is read before
 * any Worker exists), and a Worker's own is taken out of its `workerData` before its function's
 * code runs (`worker.ts`).
 */

import { MessageChannel, Worker } from "node:worker_threads";
import { startEgressRelay } from "./_egress_relay.ts";
import { send } from "./_records.ts";

const exit: (code?: number) => never = Deno.exit.bind(Deno);
const encoder = new TextEncoder();
const workerUrl = new URL("./worker.ts", import.meta.url);
const defaultHeapMb = Number(Deno.env.get("FNBASE_WORKER_HEAP_MB")) || 192;
/** The Workers' socket files (the first command), and the numbers of those used. */
let sockets: { dir: string; names: string[]; egress?: string } | undefined;
const usedSockets = new Set<number>();

/** Writes a record (JSON text) with a Worker's number. */
function forward(w: number, json: string, extra = ""): void {
  const bytes = encoder.encode(`\x1e{"w":${w},${extra}${json.slice(1)}\n`);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

interface Booted {
  w: number;
  worker: Worker;
  port: import("node:worker_threads").MessagePort;
  heapMb: number;
  /** True once it serves its socket and waits for its assignment. */
  waiting: boolean;
  /**
   * Heartbeats sent to it since its last answer (counted, not timed: a host whose own thread
   * was held, say by a sibling's huge message, sent none meanwhile), and its heap then (bytes).
   */
  unanswered: number;
  heap: number;
  /** Since when its heap has been above {@link FULL} of its limit. */
  fullSince?: number | undefined;
  /** True once its isolate reached V8's heap limit (which V8 then raised: see `worker.ts`). */
  limitRaised?: boolean;
  /** Why it failed, from its error event. */
  error?: string;
  /** True when it was ended for the server's `asleep` (see `handle`). */
  asleep?: boolean;
  /** When it was found out of memory (its error event, or `watchHeaps`), `Date.now()`. */
  oomAt?: number;
  exited: Promise<void>;
}

const workers = new Map<number, Booted>();
/** True once the process is an app's: Workers' records go to the server from then on. */
let appAssigned = false;

function sayWaiting(b: Booted): void {
  forward(b.w, JSON.stringify({ t: "waiting", tid: b.worker.threadId }));
}

/** Creates Worker `w` (this thread waits while its runtime starts: see the file's comment). */
function boot(w: number, heapMb: number, socket: string, key: string): void {
  const { port1, port2 } = new MessageChannel();
  // Characters of its records written to stdout so far (wrapping): the Worker waits on it when
  // it is too far ahead, and reads it to know whether an error's answer must wait (`worker.ts`).
  const flow = new SharedArrayBuffer(4);
  const written = new Int32Array(flow);
  let count = 0;
  const worker = new Worker(workerUrl, {
    workerData: { port: port2, socket, key, written: flow },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  let exited: () => void = () => {};
  const b: Booted = {
    w,
    worker,
    port: port1,
    heapMb,
    waiting: false,
    unanswered: 0,
    heap: 0,
    exited: new Promise((resolve) => {
      exited = resolve;
    }),
  };
  workers.set(w, b);
  port1.on("message", (json: string) => {
    if (json.startsWith("hb:")) {
      b.unanswered = 0;
      b.limitRaised = json.endsWith("!");
      b.heap = Number.parseInt(json.slice(3), 10);
      return;
    }
    if (json.startsWith("s:")) {
      // Every record posted before it is written (they came first, in order).
      port1.postMessage({ t: "s", id: Number(json.slice(2)) });
      return;
    }
    try {
      if (json === '{"t":"waiting"}') {
        b.waiting = true;
        if (appAssigned) sayWaiting(b);
      } else forward(w, json);
    } finally {
      count = (count + json.length) | 0;
      Atomics.store(written, 0, count);
      Atomics.notify(written, 0);
    }
  });
  worker.on("error", (e: Error & { code?: string }) => {
    if (e?.code === "ERR_WORKER_OUT_OF_MEMORY") {
      b.oomAt ??= Date.now();
    }
    b.error = e?.message ?? String(e);
  });
  worker.once("exit", (code: number) => {
    port1.close();
    exited();
    // Not when it was given up as stuck already (see `giveUp`): its number may be another's.
    if (workers.get(w) !== b) return;
    workers.delete(w);
    const oom = b.oomAt !== undefined;
    const why = oom
      ? b.asleep
        ? "out of memory (its heap limit), or its thread blocked: asleep, not answering"
        : "out of memory (its heap limit)"
      : b.error !== undefined
        ? `uncaught error: ${b.error}`
        : `exited with code ${code}`;
    // One ended asleep may have gone without its thread stopping (measured: a thread in
    // `Atomics.wait` kept its socket's connection open after its exit event, and its caller
    // waiting): only the process's end is sure to stop it (`stuck`, see `giveUp`).
    const stuck = b.asleep === true;
    if (appAssigned)
      forward(w, JSON.stringify({ t: "exit", why, oom, ...(stuck ? { stuck } : {}) }));
  });
}

/** Workers to create, in order. */
const queue: { w: number; heapMb: number; socket: string; key: string }[] = [];
let creating = false;

/** Queues Worker `w` on socket name `s`; one that has no name (or a used one) ends at once. */
function enqueue(w: number, s: number, key: string, heapMb: number): void {
  const name = sockets?.names[s];
  if (sockets === undefined || name === undefined || usedSockets.has(s)) {
    const why = `cannot start: socket name ${s} is ${name === undefined ? "unknown" : "used"}`;
    forward(w, JSON.stringify({ t: "exit", why, oom: false }));
    return;
  }
  usedSockets.add(s);
  queue.push({ w, heapMb, socket: `${sockets.dir}/${name}`, key });
  pump();
}

/**
 * Creates the next queued Worker, and the one after in a task of its own once this one's
 * constructor returned: Workers are created back to back while they are queued, and what came
 * in meanwhile (commands, records: a Worker that now waits for its assignment says so between
 * two creations) goes first. Waiting for each Worker to say it waits before creating the next
 * would leave this thread idle for that Worker's boot (5-10 ms of the 30-35 a Worker took).
 */
function pump(): void {
  if (creating || stopping) return;
  const next = queue.shift();
  if (!next) return;
  creating = true;
  try {
    boot(next.w, next.heapMb, next.socket, next.key);
  } catch (err) {
    forward(
      next.w,
      JSON.stringify({ t: "exit", why: `cannot start: ${(err as Error).message}`, oom: false }),
    );
  }
  setTimeout(() => {
    creating = false;
    pump();
  }, 0);
}

/** A queued Worker asked to stop before it was created: it never is. */
function dequeue(w: number): boolean {
  const i = queue.findIndex((q) => q.w === w);
  if (i === -1) return false;
  queue.splice(i, 1);
  forward(w, JSON.stringify({ t: "exit", why: "stopped before it started", oom: false }));
  return true;
}

/**
 * How often each Worker's heap is looked at, ms, and how many heartbeats in a row one may leave
 * unanswered (2 s).
 */
const BEAT_MS = 500;
const HUNG_BEATS = 4;
/** Share of its heap limit past which a Worker that stopped answering ran out of memory. */
const NEAR_FULL = 0.8;
/** Share of its heap limit a Worker may not stay at for {@link FULL_MS}: V8 only collects. */
const FULL = 0.97;
const FULL_MS = 3_000;
/** How long a Worker ended as out of memory may take to be gone before it is given up, ms. */
const STUCK_MS = 5_000;

/**
 * A Worker that reaches its heap limit while its code awaits (rather than in one synchronous
 * run) is not always ended by Deno: measured on Deno 2.9, V8 raises its limit by half for the
 * termination Deno asks for, which does not always come (the isolate then goes on answering
 * between full garbage collections, its heap a little under the old limit, for minutes), or
 * its thread sleeps for ever, holding its heap. The host asks every Worker for its heap twice a
 * second; one whose limit V8 had to raise, one that has left 4 heartbeats in a row (2 s)
 * unanswered with its heap near its limit, or one whose heap stays above 97% of its limit for 3 s
 * is ended here, as out of memory. (One that spins is the watchdog's: its thread's CPU time grows.) One that reaches its
 * limit between two heartbeats and then sleeps for good answers none, its heap last seen low:
 * the server's watchdog, which sees its thread asleep, says so (`{t:"asleep", w}`).
 */
function watchHeaps(): void {
  setInterval(() => {
    const now = Date.now();
    for (const b of workers.values()) {
      if (b.oomAt !== undefined) {
        if (now - b.oomAt > STUCK_MS) giveUp(b);
        continue;
      }
      const limit = b.heapMb * 1024 * 1024;
      if (b.heap < limit * FULL) b.fullSince = undefined;
      else b.fullSince ??= now;
      const hung = b.unanswered >= HUNG_BEATS && b.heap >= limit * NEAR_FULL;
      const full = b.fullSince !== undefined && now - b.fullSince > FULL_MS;
      if (b.limitRaised || hung || full) {
        b.oomAt = now;
        void b.worker.terminate();
        continue;
      }
      b.unanswered++;
      b.port.postMessage({ t: "hb" });
    }
  }, BEAT_MS);
}

/**
 * A Worker ended as out of memory that is still not gone: its thread cannot be stopped here.
 * The server hears it is gone (`stuck`: it then ends this process once the app's other
 * functions are done, see `AppHost.condemn`), and its number is not used again meanwhile.
 */
function giveUp(b: Booted): void {
  workers.delete(b.w);
  const why = "out of memory (its heap limit); its thread did not stop";
  forward(b.w, JSON.stringify({ t: "exit", why, oom: true, stuck: true }));
}

let stopping = false;
async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  queue.length = 0;
  for (const b of workers.values()) b.port.postMessage({ t: "stop" });
  // Work that never ends must not keep the process alive.
  setTimeout(() => exit(0), 5_000);
  await Promise.allSettled([...workers.values()].map((b) => b.exited));
  exit(0);
}

type Command =
  | { t: "sockets"; dir: string; names: string[]; egress?: string }
  | { t: "app"; env: Record<string, string>; cwd: string }
  | { t: "boot"; w: number; s: number; key: string; heapMb?: number }
  | { t: "p" | "m" | "stop" | "kill" | "asleep"; w: number };

function handle(cmd: Command): void {
  switch (cmd.t) {
    case "sockets":
      // Once, before any Worker: later, a Worker could have read the line (see the file's comment).
      if (sockets || workers.size > 0) throw new Error("Socket names come once, first");
      sockets = cmd;
      return;
    case "app": {
      // The app's secrets as the process's environment (later changes come with assignments).
      for (const [name, value] of Object.entries(cmd.env)) Deno.env.set(name, value);
      Deno.chdir(cmd.cwd);
      const egressSocket = sockets?.egress;
      const egressPort = Number(Deno.env.get("FNBASE_EGRESS_PORT"));
      if (egressSocket && egressPort > 0) startEgressRelay(egressPort, egressSocket);
      appAssigned = true;
      const list = [
        ...[...workers.values()].map((b) =>
          b.waiting ? { w: b.w, waiting: true, tid: b.worker.threadId } : { w: b.w },
        ),
        ...queue.map((q) => ({ w: q.w })),
      ];
      send({ t: "ready", ms: 0, workers: list });
      return;
    }
    case "boot":
      enqueue(cmd.w, cmd.s, cmd.key, cmd.heapMb ?? defaultHeapMb);
      return;
    case "kill":
      if (dequeue(cmd.w)) return;
      return void workers.get(cmd.w)?.worker.terminate();
    case "asleep": {
      const b = workers.get(cmd.w);
      if (!b || b.oomAt !== undefined || b.unanswered < HUNG_BEATS) return;
      b.oomAt = Date.now();
      b.asleep = true;
      return void b.worker.terminate();
    }
    case "stop":
      if (dequeue(cmd.w)) return;
      return void workers.get(cmd.w)?.port.postMessage({ t: "stop" });
    default: {
      const b = workers.get(cmd.w);
      b?.port.postMessage({ t: cmd.t });
    }
  }
}

/**
 * Signals Deno lets a process listen to (not SIGKILL, SIGSTOP, SIGILL, SIGFPE, SIGSEGV: those
 * are the PID namespace's to keep away, see the file's comment).
 */
const SIGNALS: Deno.Signal[] = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGUSR1",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS",
];

/**
 * A listener that does nothing, for good, on each of {@link SIGNALS}. Without one, a signal's
 * default action holds (SIGTERM ends the process), and a Worker that adds and removes a listener
 * of its own leaves Deno's handler to carry it out (measured on Deno 2.9: the process then ends,
 * even as a PID namespace's init, which the kernel alone would have kept it from).
 */
function ignoreSignals(): void {
  for (const signal of SIGNALS) {
    try {
      Deno.addSignalListener(signal, () => {});
    } catch {
      // not one this platform has
    }
  }
}

ignoreSignals();
watchHeaps();
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
