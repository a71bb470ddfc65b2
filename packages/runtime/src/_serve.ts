// What an instance does around the function's handler, the same in a process of its own
// (`bootstrap.ts`) and in a Worker of an app's host process (`worker.ts`): capturing the handler
// from `Deno.serve` or a default export, checking the instance key, the request-id context that
// tags log lines, the default error answer, and the warm-up request.

import { pendingWork, requestContext } from "./_context.ts";
import { handlerDone, handlerStarted } from "./_overdue.ts";
import { drained, send } from "./_records.ts";
import { ERROR_DETAIL_HEADER } from "./protocol.js";

export type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
export type ErrorHandler = (error: unknown) => Response | Promise<Response>;

/** The function's handler, once its code called Deno.serve or exported one. */
export interface Captured {
  handler: Handler;
  onError?: ErrorHandler;
}

/** Deno.serve as it was before {@link installCapture} replaced it. */
export const realServe: typeof Deno.serve = Deno.serve.bind(Deno);

let captured: Captured | undefined;
let resolveFinished: () => void = () => {};
const finished = new Promise<void>((resolve) => {
  resolveFinished = resolve;
});

/** Resolves the `finished` promise of the server object the function got from Deno.serve. */
export function markFinished(): void {
  resolveFinished();
}

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

/** Replaces Deno.serve with the capture, before the function's code loads. */
export function installCapture(): void {
  (Deno as unknown as { serve: unknown }).serve = captureServe;
}

/**
 * Imports the function's entry and returns its handler: the one it gave Deno.serve, else its
 * default export (a function, or an object with `fetch`). Undefined when it has neither.
 */
export async function loadHandler(entry: string): Promise<Captured | undefined> {
  const mod = await import(new URL(`file://${entry}`).href);
  if (!captured) {
    const def = mod.default;
    if (typeof def === "function") captured = { handler: def as Handler };
    else if (def && typeof def.fetch === "function")
      captured = { handler: def.fetch.bind(def) as Handler };
  }
  return captured;
}

export function describe(err: unknown): { m: string; s?: string } {
  if (err instanceof Error) {
    // Deno wraps a module's load error in a TypeError whose message names the real one
    // ("TypeError: SyntaxError: ..."): one name is enough.
    const m = /^[A-Z]\w*Error: /.test(err.message) ? err.message : `${err.name}: ${err.message}`;
    return err.stack ? { m, s: err.stack } : { m };
  }
  return { m: String(err) };
}

/** Reports unhandled rejections as `error` records of the request they belong to. */
export function reportUnhandled(): void {
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const d = describe(event.reason);
    const r = requestContext.getStore()?.requestId;
    send(r === undefined ? { t: "error", ...d } : { t: "error", ...d, r });
  });
}

/**
 * Serves one request to itself on a throwaway socket, so that the first caller does not pay for
 * the first pass through Deno's HTTP server (a few ms).
 */
export async function warmUp(path: string | undefined): Promise<void> {
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

/**
 * The function's handler wrapped for the host: requests without `key` are refused, the request
 * id is the context of everything the handler logs, an uncaught error is recorded and answered.
 * `cwd` is the folder whose paths are shown as the project's (`base44/...`).
 */
export function serveWith(
  key: string,
  { handler, onError }: Captured,
  cwd: string,
): (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response> {
  const relativePaths = (text: string) =>
    text.replaceAll(`file://${cwd}/`, "base44/").replaceAll(`${cwd}/`, "base44/");
  return async function serveOne(req, info) {
    if (req.headers.get("x-fnbase-instance-key") !== key) {
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
        // The error's record (and every record before it) reaches the server before the answer,
        // so that a caller who reads the logs on a 500 finds it: in a Worker of a host process
        // its records go through the host's thread, the answer straight from its socket.
        const pending = drained();
        if (pending) await pending;
        if (onError) {
          try {
            return await onError(err);
          } catch {
            // fall through to the default answer
          }
        }
        // The message may hold what the caller must not see (paths, data): only for callers
        // the host says may see it (fnbase dev, API keys); the logs have it under the request id.
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
  };
}

/** What an instance's boot ends with: its handler, or the `boot_error` record to send. */
export type Loaded =
  | { ok: true; captured: Captured }
  | { ok: false; error: { t: "boot_error"; m: string; s?: string } };

/**
 * Runs `prepare` (the environment, the working directory) and loads the function's handler
 * from `entry`: the boot of an assigned instance up to serving.
 */
export async function loadEntry(entry: string, prepare?: () => void): Promise<Loaded> {
  let captured: Captured | undefined;
  try {
    prepare?.();
    captured = await loadHandler(entry);
  } catch (err) {
    return { ok: false, error: { t: "boot_error", ...describe(err) } };
  }
  if (!captured) {
    return {
      ok: false,
      error: {
        t: "boot_error",
        m: "The function never serves: call Deno.serve(handler) or export a default handler",
      },
    };
  }
  return { ok: true, captured };
}

/**
 * Boots an assigned instance: loads its handler ({@link loadEntry}) and serves it on the unix
 * socket `socket`, sending `ready` once it listens. Code that cannot start, or that never
 * serves, sends a `boot_error` record and exits with 1 (through `exit`, taken before the
 * function's code ran).
 */
export async function bootAndServe(o: {
  key: string;
  entry: string;
  socket: string;
  cwd: string;
  started: number;
  exit: (code?: number) => never;
  prepare?: () => void;
}): Promise<Deno.HttpServer> {
  const loaded = await loadEntry(o.entry, o.prepare);
  if (!loaded.ok) {
    send(loaded.error);
    return o.exit(1);
  }
  try {
    return realServe(
      {
        path: o.socket,
        onListen() {
          send({ t: "ready", ms: Math.round(performance.now() - o.started) });
        },
      },
      serveWith(o.key, loaded.captured, o.cwd),
    );
  } catch (err) {
    send({ t: "boot_error", ...describe(err) });
    return o.exit(1);
  }
}

/**
 * The graceful stop of an instance, once: stop taking requests (the server, when it serves
 * yet), let those in progress and their pending work finish, then exit with 0.
 */
export function gracefulStop(
  server: () => Deno.HttpServer | undefined,
  exit: (code?: number) => never,
): () => Promise<void> {
  let stopping = false;
  return async () => {
    if (stopping) return;
    stopping = true;
    await server()?.shutdown();
    await Promise.allSettled([...pendingWork]);
    markFinished();
    exit(0);
  };
}
