/**
 * One function's instance as a Worker (`node:worker_threads`, so that it has a heap limit of
 * its own) in its app's host process (`host.ts`; the server's `FNBASE_RUNTIME=host`). It does
 * what `bootstrap.ts` does in a process of its own, with a private MessagePort to the host
 * instead of stdin and stdout for its records.
 *
 * It boots before it knows its function (a spare Worker) and serves its own unix socket from
 * then on. Its assignment is a request on that socket, straight from the server, carrying the
 * key the server gave it (through the host): the function's entry, folder, time limit and,
 * when they changed, the app's secrets. It loads the function and answers with
 * `{t:"ready", ms, tid}` (`tid`: its thread's, for the server's CPU watch; its records say why when
 * it cannot: `boot_error`, then it exits), and from then on every request on the socket goes to
 * the function. So a cold start never waits for the host process's own thread, which is busy
 * for tens of milliseconds each time it creates a Worker.
 *
 * The port, socket and key arrive in `workerData` and are taken out of it before the
 * function's code runs, so the function cannot read the host's pings or send records in the
 * bootstrap's name, nor learn its socket's name (each is used once, see `host.ts`); what the
 * function does with `parentPort` reaches nobody.
 */

import { getHeapStatistics } from "node:v8";
import { type MessagePort, threadId, workerData } from "node:worker_threads";
import { installConsole } from "./_console.ts";
import { watchOverdue } from "./_overdue.ts";
import { send, sendTo } from "./_records.ts";
import {
  gracefulStop,
  installCapture,
  loadEntry,
  realServe,
  reportUnhandled,
  serveWith,
} from "./_serve.ts";

/** What the server posts on the socket to make this Worker one function's instance. */
interface Assignment {
  entry: string;
  /** The folder shown as `base44/` in paths (the function's lane). */
  cwd: string;
  timeLimitMs?: number;
  /** The app's secrets, when they are not those the process has; `drop`: names to remove. */
  env?: Record<string, string>;
  drop?: string[];
}

type FromHost = { t: "p" } | { t: "m" } | { t: "hb" } | { t: "stop" } | { t: "s"; id: number };
type Serve = (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response>;

interface FromBoot {
  port: MessagePort;
  socket: string;
  key: string;
  /** Characters of this Worker's records the host has written to stdout (see {@link post}). */
  written: SharedArrayBuffer;
}
const data = workerData as Partial<FromBoot>;
const { port, socket, key } = data as FromBoot;
const written = new Int32Array((data as FromBoot).written);
delete data.port;
delete data.socket;
delete data.key;
delete data.written;
// Taken before the function's code runs.
const exit: (code?: number) => never = Deno.exit.bind(Deno);
const memory = Deno.memoryUsage.bind(Deno);
/**
 * V8's heap limit at boot, bytes. Deno raises it (by half) when the isolate reaches it, to let
 * the termination it then asks for run; measured on Deno 2.9, that termination does not always
 * come: the isolate goes on at its limit, answering between full garbage collections.
 */
const bootHeapLimit = getHeapStatistics().heap_size_limit;
const KEY_HEADER = "x-fnbase-instance-key";

/**
 * Characters of records posted to the host so far (an int32 that wraps, as the host's count in
 * {@link written} does: only their difference is read).
 */
let posted = 0;
/**
 * Characters of records the host may hold unwritten before `post` waits: the back-pressure a
 * full pipe gives a process of its own (64 KiB), here a few pipes' worth. Without it a function
 * that logs faster than the server reads would pile its records up in the host's memory, and
 * answer long before its lines reached the server.
 */
const WINDOW = 256 * 1024;

/**
 * Posts a record to the host, which writes it to stdout and then adds its length to
 * `written`. Past {@link WINDOW} characters unwritten this thread waits (as a process's
 * `writeSync` on a full pipe does), in turns of 100 ms so that a `terminate()` gets through.
 */
function post(json: string): void {
  port.postMessage(json);
  posted = (posted + json.length) | 0;
  for (;;) {
    const done = Atomics.load(written, 0);
    if (((posted - done) | 0) <= WINDOW) return;
    Atomics.wait(written, 0, done, 100);
  }
}

/** Syncs asked of the host and not yet answered, by number. */
const syncs = new Map<number, () => void>();
let lastSync = 0;

/**
 * Undefined when the host has written every record posted so far, else a promise that resolves
 * once it has: a sync (`s:<n>`) it answers after the records posted before it, which it handles
 * in order. Only an error's answer waits for it (`_serve.ts`), so a successful one costs nothing.
 */
function drain(): Promise<void> | undefined {
  if (Atomics.load(written, 0) === posted) return undefined;
  const id = ++lastSync;
  return new Promise((resolve) => {
    syncs.set(id, resolve);
    port.postMessage(`s:${id}`);
  });
}

const MAX_LINE_CHARS = 16 * 1024;

/**
 * What the function writes to stdout or stderr itself (`Deno.stdout.writeSync`, and node's
 * `process.stdout.write`, which Deno runs through it) becomes `out` records, one a line, like
 * its console's: in a host process all Workers share the process's stdout, where the server
 * could not tell whose a line is, and a write longer than a pipe's atomic size would mix with
 * the host's records. Lines are cut at {@link MAX_LINE_CHARS} (the server's cut for a process's
 * plain lines), the rest up to the next newline dropped; a last line without one is sent when
 * the next write ends it.
 */
function captureOutput(): void {
  for (const [file, s] of [
    [Deno.stdout, "o"],
    [Deno.stderr, "e"],
  ] as const) {
    const decoder = new TextDecoder();
    let pending = "";
    let dropping = false;
    const take = (bytes: Uint8Array) => {
      let text = decoder.decode(bytes, { stream: true });
      while (text.length > 0) {
        const nl = text.indexOf("\n");
        const part = nl === -1 ? text : text.slice(0, nl);
        text = nl === -1 ? "" : text.slice(nl + 1);
        if (!dropping) {
          pending += part;
          if (pending.length > MAX_LINE_CHARS) {
            send({ t: "out", s, m: pending.slice(0, MAX_LINE_CHARS), c: 1 });
            pending = "";
            dropping = true;
          }
        }
        if (nl !== -1) {
          if (!dropping) send({ t: "out", s, m: pending });
          pending = "";
          dropping = false;
        }
      }
    };
    file.writeSync = (p: Uint8Array) => {
      take(p);
      return p.byteLength;
    };
    file.write = (p: Uint8Array) => {
      take(p);
      return Promise.resolve(p.byteLength);
    };
  }
}

sendTo(post, drain);
captureOutput();
installConsole();
installCapture();
reportUnhandled();

/** The function's handler, once assigned. */
let serve: Serve | undefined;
let assigned = false;

/** The app's secrets as the process's environment (it is the whole process's). */
function setEnv(a: Assignment): void {
  for (const name of a.drop ?? []) Deno.env.delete(name);
  for (const [name, value] of Object.entries(a.env ?? {})) Deno.env.set(name, value);
}

async function assign(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
  if (req.headers.get(KEY_HEADER) !== key) {
    return Response.json({ error: "Not the host", code: "FORBIDDEN" }, { status: 403 });
  }
  if (assigned) return Response.json({ error: "Assigned already" }, { status: 409 });
  assigned = true;
  const a = (await req.json()) as Assignment;
  const started = performance.now();
  if (a.timeLimitMs !== undefined && a.timeLimitMs > 0) watchOverdue(a.timeLimitMs);
  const loaded = await loadEntry(a.entry, () => setEnv(a));
  if (!loaded.ok) {
    // The record carries it to the function's log (and the server's wait); then it ends.
    send(loaded.error);
    void info.completed.finally(() => exit(1));
    return Response.json(loaded.error);
  }
  serve = serveWith(key, loaded.captured, a.cwd);
  return Response.json({ t: "ready", ms: Math.round(performance.now() - started), tid: threadId });
}

await Deno.remove(socket).catch(() => {});
const server = realServe({ path: socket, onListen() {} }, (req, info) =>
  serve ? serve(req, info) : assign(req, info),
);
/** Stops taking requests, lets those in progress and their pending work finish, and exits. */
const stop = gracefulStop(() => server, exit);

port.on("message", (msg: FromHost) => {
  switch (msg.t) {
    case "p":
      return send({ t: "pong" });
    case "m": {
      // The isolate's own heap (and what it holds outside it), not the process's memory.
      const m = memory();
      return send({ t: "mem", b: m.heapTotal + m.external });
    }
    case "hb": {
      // The host's heartbeat: its heap now, and "!" once V8 had to raise its limit (see host.ts,
      // `watchHeaps`).
      const raised = getHeapStatistics().heap_size_limit > bootHeapLimit ? "!" : "";
      return port.postMessage(`hb:${memory().heapUsed}${raised}`);
    }
    case "stop":
      return void stop();
    case "s": {
      const done = syncs.get(msg.id);
      syncs.delete(msg.id);
      return done?.();
    }
  }
});

/**
 * One request to itself (refused: it has no key), so that the assignment and the first caller
 * do not pay for the first pass through Deno's HTTP server (a few ms).
 */
async function warmUp(): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  await conn.write(
    new TextEncoder().encode("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
  );
  const buf = new Uint8Array(1024);
  while ((await conn.read(buf)) !== null);
  conn.close();
}

await warmUp().catch(() => {});
send({ t: "waiting" });
