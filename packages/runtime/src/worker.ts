/**
 * One function's instance as a Worker (`node:worker_threads`, so that it has a heap limit of
 * its own) in its app's host process (`host.ts`; the server's `FNBASE_RUNTIME=host`). It does
 * what `bootstrap.ts` does in a process of its own, with a private MessagePort to the host
 * instead of stdin and stdout: it boots before it knows its function (a spare Worker), then
 * takes an assignment, captures the handler, serves it on its own unix socket and sends records.
 *
 * The port arrives in `workerData` and is taken out of it before the function's code runs, so
 * the function cannot read the host's pings or send records in the bootstrap's name; what the
 * function does with `parentPort` reaches nobody.
 */

import { type MessagePort, workerData } from "node:worker_threads";
import { installConsole } from "./_console.ts";
import { watchOverdue } from "./_overdue.ts";
import { send, sendTo } from "./_records.ts";
import { bootAndServe, gracefulStop, installCapture, reportUnhandled, warmUp } from "./_serve.ts";

/** What the host posts to make this Worker one function's instance. */
interface Assignment {
  t: "assign";
  key: string;
  entry: string;
  socket: string;
  /** The folder shown as `base44/` in paths (the function's lane). */
  cwd: string;
  timeLimitMs?: number;
}

type FromHost = Assignment | { t: "p" } | { t: "m" } | { t: "hb" } | { t: "stop" };

const data = workerData as { port: MessagePort; warm?: string };
const port = data.port;
delete (data as Partial<typeof data>).port;
// Taken before the function's code runs.
const exit: (code?: number) => never = Deno.exit.bind(Deno);
const memory = Deno.memoryUsage.bind(Deno);

sendTo((json) => port.postMessage(json));
installConsole();
installCapture();
reportUnhandled();

let server: Deno.HttpServer | undefined;
/** Stops taking requests, lets those in progress and their pending work finish, and exits. */
const stop = gracefulStop(() => server, exit);

let assigned: (a: Assignment) => void = () => {};
const assignment = new Promise<Assignment>((resolve) => {
  assigned = resolve;
});
port.on("message", (msg: FromHost) => {
  switch (msg.t) {
    case "p":
      return send({ t: "pong" });
    case "m": {
      // The isolate's own heap (and what it holds outside it), not the process's memory.
      const m = memory();
      return send({ t: "mem", b: m.heapTotal + m.external });
    }
    case "hb":
      // The host's heartbeat: its heap now (see host.ts, `watchHeaps`).
      return port.postMessage(`hb:${memory().heapUsed}`);
    case "stop":
      return void stop();
    case "assign":
      return assigned(msg);
  }
});

await warmUp(data.warm).catch(() => {});
send({ t: "waiting" });
const { key, entry, socket, cwd, timeLimitMs } = await assignment;
const started = performance.now();
if (timeLimitMs !== undefined && timeLimitMs > 0) watchOverdue(timeLimitMs);

server = await bootAndServe({ key, entry, socket, cwd, started, exit });
