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

type FromHost = { t: "p" } | { t: "m" } | { t: "hb" } | { t: "stop" };
type Serve = (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response>;

const data = workerData as Partial<{ port: MessagePort; socket: string; key: string }>;
const { port, socket, key } = data as { port: MessagePort; socket: string; key: string };
delete data.port;
delete data.socket;
delete data.key;
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

sendTo((json) => port.postMessage(json));
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
