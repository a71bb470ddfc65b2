/**
 * The program every function instance runs: `deno run [permissions] bootstrap.ts <entry> <socket>`.
 *
 * It captures the function's handler (from `Deno.serve(...)` in any of its shapes, or a default
 * export), serves it on the instance's unix socket, and reports to the host through records on
 * stdout (see `_records.ts`): `ready` once it listens, `boot_error` when the code cannot start,
 * `log` for every console call, tagged with the request it belongs to.
 */

import { installConsole } from "./_console.ts";
import { pendingWork, requestContext } from "./_context.ts";
import { send } from "./_records.ts";

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;
type ErrorHandler = (error: unknown) => Response | Promise<Response>;

const started = performance.now();
const [entry, socketPath] = Deno.args;
if (!entry || !socketPath) {
  send({ t: "boot_error", m: "Bootstrap needs two arguments: <entry> <socket>" });
  Deno.exit(2);
}

// The host passes a per-instance key on stdin; requests without it are refused, so code of
// another app that reaches this socket cannot pose as the gateway.
async function readKey(): Promise<string> {
  const buf = new Uint8Array(256);
  let text = "";
  while (!text.includes("\n")) {
    const n = await Deno.stdin.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text.split("\n")[0]!.trim();
}
const instanceKey = await readKey();

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
    return err.stack
      ? { m: `${err.name}: ${err.message}`, s: err.stack }
      : { m: `${err.name}: ${err.message}` };
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

try {
  const mod = await import(new URL(`file://${entry}`).href);
  if (!captured) {
    const def = mod.default;
    if (typeof def === "function") captured = { handler: def as Handler };
    else if (def && typeof def.fetch === "function")
      captured = { handler: def.fetch.bind(def) as Handler };
  }
} catch (err) {
  send({ t: "boot_error", ...describe(err) });
  Deno.exit(1);
}

if (!captured) {
  send({
    t: "boot_error",
    m: "The function never serves: call Deno.serve(handler) or export a default handler",
  });
  Deno.exit(1);
}

const { handler, onError } = captured;

async function serveOne(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
  if (req.headers.get("x-fnbase-instance-key") !== instanceKey) {
    return Response.json({ error: "Not the host", code: "FORBIDDEN" }, { status: 403 });
  }
  const requestId = req.headers.get("x-request-id") ?? "";
  return await requestContext.run({ requestId }, async () => {
    try {
      return await handler(req, info);
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
      return Response.json({ error: d.m, code: "FUNCTION_ERROR" }, { status: 500 });
    }
  });
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
  Deno.exit(1);
}

Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  await Promise.allSettled([...pendingWork]);
  resolveFinished();
  Deno.exit(0);
});
