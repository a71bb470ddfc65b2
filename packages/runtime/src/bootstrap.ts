/**
 * The program every function instance runs: `deno run [permissions] bootstrap.ts`.
 *
 * It boots before it knows which function it will run, so the host can keep one started ahead
 * of need (a spare): once loaded it sends a `waiting` record and reads its assignment, one JSON
 * line on stdin (see {@link Assignment}). Then it sets the app's secrets as its environment,
 * captures the function's handler (from `Deno.serve(...)` in any of its shapes, or a default
 * export), serves it on the instance's unix socket, and reports to the host through records on
 * stdout (see `_records.ts`): `ready` once it listens, `boot_error` when the code cannot start,
 * `log` for every console call, tagged with the request it belongs to.
 */

import { installConsole } from "./_console.ts";
import { pendingWork, requestContext } from "./_context.ts";
import { startEgressRelay } from "./_egress_relay.ts";
import { handlerDone, handlerStarted, watchOverdue } from "./_overdue.ts";
import { send } from "./_records.ts";
import { ERROR_DETAIL_HEADER } from "./protocol.js";

// Taken before the function's code runs: a function that replaces Deno.exit cannot keep this
// instance alive once the host tells it to go.
const exit: (code?: number) => never = Deno.exit.bind(Deno);

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
type ErrorHandler = (error: unknown) => Response | Promise<Response>;

/** What the host sends on stdin to make this process one function's instance. */
interface Assignment {
  /** Requests without it in `x-fnbase-instance-key` are refused: code of another app that
   * reaches this socket cannot pose as the gateway. */
  key: string;
  /** The function's entry file. */
  entry: string;
  /** The unix socket to serve on. */
  socket: string;
  /** The working directory: the deployment's root. */
  cwd: string;
  /** The app's secrets, set as environment variables before the function's code loads. */
  env: Record<string, string>;
  /** The function's time limit per request, in ms (see _overdue.ts). */
  timeLimitMs?: number;
}

/** Reads the assignment line from stdin; exits when the host goes away before sending one. */
async function readAssignment(): Promise<Assignment> {
  const buf = new Uint8Array(16 * 1024);
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const n = await Deno.stdin.read(buf);
    if (n === null) exit(0);
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  const a = JSON.parse(text.slice(0, text.indexOf("\n"))) as Partial<Assignment>;
  if (!a.key || !a.entry || !a.socket || !a.cwd || typeof a.env !== "object" || !a.env) {
    send({ t: "boot_error", m: "The host sent an incomplete assignment" });
    exit(2);
  }
  return a as Assignment;
}

const realServe = Deno.serve.bind(Deno);
let captured: { handler: Handler; onError?: ErrorHandler } | undefined;
let resolveFinished: () => void = () => {};
const finished = new Promise<void>((resolve) => {
  resolveFinished = resolve;
});

function captureServe(...args: unknown[]): unknown {
  let handler: unknown;
  let options: Record<string, unknown> = {};
  if (typeof args[0] === "function") handler = args[0];
  else if (args[0] && typeof args[0] === "object") {
    options = args[0] as Record<string, unknown>;
    handler = typeof args[1] === "function" ? args[1] : options.handler;
  }
  if (typeof handler !== "function") {
    throw new TypeError("Deno.serve() needs a handler function");
  }
  if (captured) {
    console.warn("Deno.serve() was called more than once: only the first handler serves requests");
  } else {
    captured = { handler: handler as Handler };
    if (typeof options.onError === "function") captured.onError = options.onError as ErrorHandler;
  }
  // Ports and hostnames are the host's to choose; the function gets a server-shaped object.
  return {
    finished,
    addr: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
    shutdown: () => Promise.resolve(),
    ref() {},
    unref() {},
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

function describe(err: unknown): { m: string; s?: string } {
  if (err instanceof Error) {
    // Deno wraps a module's load error in a TypeError whose message names the real one
    // ("TypeError: SyntaxError: ..."): one name is enough.
    const m = /^[A-Z]\w*Error: /.test(err.message) ? err.message : `${err.name}: ${err.message}`;
    return err.stack ? { m, s: err.stack } : { m };
  }
  return { m: String(err) };
}

installConsole();
(Deno as unknown as { serve: unknown }).serve = captureServe;

globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const d = describe(event.reason);
  const r = requestContext.getStore()?.requestId;
  send(r === undefined ? { t: "error", ...d } : { t: "error", ...d, r });
});

/**
 * Serves one request to itself on a throwaway socket in its own folder, so that the first
 * caller does not pay for the first pass through Deno's HTTP server (a few ms).
 */
async function warmUp(): Promise<void> {
  // Not in TMPDIR: in the sandbox, that folder is mounted while the process boots.
  const path = Deno.env.get("FNBASE_WARMUP_SOCKET");
  if (!path) return;
  const server = realServe({ path, onListen() {} }, (req) =>
    requestContext.run({ requestId: req.headers.get("x-request-id") ?? "" }, () =>
      Response.json({ ok: true }),
    ),
  );
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(
    new TextEncoder().encode(
      "GET / HTTP/1.1\r\nhost: x\r\nx-request-id: w\r\nconnection: close\r\n\r\n",
    ),
  );
  const buf = new Uint8Array(1024);
  while ((await conn.read(buf)) !== null);
  conn.close();
  await server.shutdown();
  await Deno.remove(path).catch(() => {});
}
await warmUp().catch(() => {});

// Everything above is the same for every function: a spare has done it before it is needed.
send({ t: "waiting" });
const {
  key: instanceKey,
  entry,
  socket: socketPath,
  cwd,
  env,
  timeLimitMs,
} = await readAssignment();
const started = performance.now();
if (timeLimitMs !== undefined && timeLimitMs > 0) watchOverdue(timeLimitMs);

// In the sandbox, the way out of the instance's network namespace (see _egress_relay.ts); the
// host sends the assignment once the namespace's loopback is up.
const egressSocket = Deno.env.get("FNBASE_EGRESS_SOCKET");
const egressPort = Number(Deno.env.get("FNBASE_EGRESS_PORT"));
if (egressSocket && egressPort > 0) {
  try {
    startEgressRelay(egressPort, egressSocket);
  } catch (err) {
    send({ t: "boot_error", ...describe(err) });
    exit(1);
  }
}

try {
  for (const [name, value] of Object.entries(env)) Deno.env.set(name, value);
  Deno.chdir(cwd);
  const mod = await import(new URL(`file://${entry}`).href);
  if (!captured) {
    const def = mod.default;
    if (typeof def === "function") captured = { handler: def as Handler };
    else if (def && typeof def.fetch === "function")
      captured = { handler: def.fetch.bind(def) as Handler };
  }
} catch (err) {
  send({ t: "boot_error", ...describe(err) });
  exit(1);
}

if (!captured) {
  send({
    t: "boot_error",
    m: "The function never serves: call Deno.serve(handler) or export a default handler",
  });
  exit(1);
}

const { handler, onError } = captured;

/**
 * The handler's `info`: the caller's address, as Deno.serve on a public port would give it (the
 * socket's own is the host's unix socket), read from X-Forwarded-For, which only the host sets.
 * A class with getters: building it costs next to nothing for handlers that never look.
 */
class CallerInfo implements Deno.ServeHandlerInfo<Deno.NetAddr> {
  readonly #req: Request;
  readonly #info: Deno.ServeHandlerInfo;
  #addr: Deno.NetAddr | undefined;

  constructor(req: Request, info: Deno.ServeHandlerInfo) {
    this.#req = req;
    this.#info = info;
  }

  get remoteAddr(): Deno.NetAddr {
    this.#addr ??= {
      transport: "tcp",
      hostname: this.#req.headers.get("x-forwarded-for") ?? "",
      port: 0,
    };
    return this.#addr;
  }

  get completed(): Promise<void> {
    return this.#info.completed;
  }
}

async function serveOne(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
  if (req.headers.get("x-fnbase-instance-key") !== instanceKey) {
    return Response.json({ error: "Not the host", code: "FORBIDDEN" }, { status: 403 });
  }
  const requestId = req.headers.get("x-request-id") ?? "";
  const running = handlerStarted(requestId);
  return await requestContext.run({ requestId }, async () => {
    try {
      return await handler(req, new CallerInfo(req, info));
    } catch (err) {
      const d = describe(err);
      send({ t: "error", ...d, r: requestId });
      if (onError) {
        try {
          return await onError(err);
        } catch {
          // fall through to the default answer
        }
      }
      // The message may hold what the caller must not see (paths, data): only for callers the
      // host says may see it (fnbase dev, API keys); the logs have it under the request id.
      return Response.json(
        req.headers.get(ERROR_DETAIL_HEADER) === "1"
          ? { error: relativePaths(d.m), code: "FUNCTION_ERROR", request_id: requestId }
          : {
              error: "The function failed with an uncaught error",
              code: "FUNCTION_ERROR",
              request_id: requestId,
              hint: "The function's logs have the error under this request id",
            },
        { status: 500 },
      );
    } finally {
      handlerDone(running);
    }
  });
}

/** `text` with this instance's paths (its lane, `cwd`) shown as the project's: `base44/...`. */
function relativePaths(text: string): string {
  return text.replaceAll(`file://${cwd}/`, "base44/").replaceAll(`${cwd}/`, "base44/");
}

let server: Deno.HttpServer;
try {
  server = realServe(
    {
      path: socketPath,
      onListen() {
        send({ t: "ready", ms: Math.round(performance.now() - started) });
      },
    },
    serveOne,
  );
} catch (err) {
  send({ t: "boot_error", ...describe(err) });
  exit(1);
}

let stopping = false;
/** Stops taking requests, lets those in progress and their pending work finish, and exits. */
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.shutdown();
  await Promise.allSettled([...pendingWork]);
  resolveFinished();
  exit(0);
}

Deno.addSignalListener("SIGTERM", () => void stop());

// The host keeps stdin open for this process's life: its end means the host is gone (even one
// killed without a chance to stop its instances), and nobody can reach this instance any more.
// Until then it sends a "p" now and then while the process keeps the CPU busy: the answer
// (a pong record) says the event loop still turns (see the host's runtime/watchdog.ts).
(async () => {
  const buf = new Uint8Array(256);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      if (buf.subarray(0, n).includes(0x70)) send({ t: "pong" });
    }
  } catch {
    // a broken pipe ends it as well
  }
  // Nobody will send a SIGKILL after this: work that never ends must not keep it alive.
  setTimeout(() => exit(0), 5_000);
  await stop();
})();
