/**
 * The front: the process that owns the server's public port.
 * `deno run front/main.ts`, with its settings as the first line of stdin (see {@link Settings}).
 *
 * Every request it cannot answer from memory goes to the Node server's internal socket, which
 * does all the work (management API, auth, routing, cold starts) as before (to_node.ts). When
 * Node answers an invocation it also hands back its decision for that kind of request (which
 * instance, which headers, which limits), and the front sends the next requests of the same kind
 * straight to the instance (direct.ts): Node is off the hot path. Node takes decisions back
 * (`flush`, `revoke`) whenever what they rest on changes; see decisions.ts.
 *
 * Protocol with Node: JSON lines. Node → front on stdin: `flush {n}`, `revoke {i}`,
 * `answered {n}`, `drain {n}` (stop accepting connections, answer what is in progress, then say
 * `drained {n}`). Front → Node on stdout: `listening {port}`, `flushed {n}`, `drained {n}`,
 * `released {i, n, ago}`, `inv {r: [...]}`, `failed {i, n}` (an instance did not answer; Node
 * answers once it has seen the process exit), `error {m}`.
 */

import { isDataRoute } from "../http_rules.js";
import { Decisions } from "./decisions.ts";
import { DirectPath } from "./direct.ts";
import { idlePool, Upstream } from "./http1.ts";
import { readLines, send } from "./io.ts";
import { flushRecords } from "./records.ts";
import { errorBody, errorResponse } from "./replies.ts";
import { type Answer, HttpServer, type Incoming } from "./server.ts";
import { NodePath } from "./to_node.ts";

interface Settings {
  /** Shared with Node: requests to its internal socket carry it. */
  secret: string;
  /** Node's internal unix socket. */
  nodeSocket: string;
  /** Public address to listen on. */
  host: string;
  port: number;
  /** The server's idle timeout for instances, in ms. */
  idleMs: number;
  /** The server's upload limit, in bytes (the deploy route's body limit follows, see http_rules.js routeBodyLimit). */
  maxUploadBytes: number;
  /** The largest file any app may upload, in bytes (the integration endpoints' body limit follows). */
  maxFileBytes: number;
  /** Callers' connections open at once, in all and per client address. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Requests in progress per app on the direct path. */
  maxConcurrentPerApp: number;
  /** Idle pooled connections to instances and Node, over all of them. */
  maxIdleUpstream: number;
}

const lines = readLines(Deno.stdin);
const first = await lines.next();
if (first.done) Deno.exit(2);
const settings = JSON.parse(first.value) as Settings;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const INVOCATION = /^\/(?:api\/apps\/[^/]+\/functions|api\/functions|functions)\/(?=.)/;

idlePool.max = settings.maxIdleUpstream;
const decisions = new Decisions(settings.idleMs, (m) => send(m));

// Questions to Node that wait for its answer (`answered {n}`), never longer than 2 s.
let asked = 0;
const answers = new Map<number, () => void>();
function askNode(m: Record<string, unknown>): Promise<void> {
  const n = ++asked;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      answers.delete(n);
      resolve();
    }, 2_000);
    answers.set(n, () => {
      clearTimeout(timer);
      resolve();
    });
    send({ ...m, n });
  });
}

const toNode = new NodePath({
  node: new Upstream({ transport: "unix", path: settings.nodeSocket }),
  decisions,
  secret: settings.secret,
  maxUploadBytes: settings.maxUploadBytes,
  maxFileBytes: settings.maxFileBytes,
});
const direct = new DirectPath({
  decisions,
  failed: (i) => askNode({ t: "failed", i }),
  maxPerApp: settings.maxConcurrentPerApp,
  toNode: (req, target) => toNode.pass(req, target, true, false),
});

function handle(req: Incoming): Promise<Answer> | Answer {
  const target = req.target;
  const q = target.indexOf("?");
  const pathname = q === -1 ? target : target.slice(0, q);
  const route = INVOCATION.exec(pathname);
  if (route !== null) {
    const ctx = req.context;
    const e = ctx === null ? undefined : decisions.get(pathname, route[0].length - 1, ctx);
    if (e) return direct.invoke(req, target, e);
    return toNode.pass(req, target, true, false);
  }
  // A change through the management API may void decisions; a write of an app's data (records,
  // files, sign-ins) never does, and flushing on each would send every next invocation through
  // Node (automations write records at the rate functions are called).
  return toNode.pass(req, target, false, !SAFE_METHODS.has(req.method) && !isDataRoute(target));
}

const onError = (err: unknown): Answer => {
  send({ t: "error", m: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return errorResponse(500, errorBody("Internal error in the fnbase front", "INTERNAL"), []);
};

/**
 * The addresses to hold the port on. A caller of `localhost` may reach either loopback address
 * (most resolvers give `::1` first), so the front holds the port on both: otherwise any local
 * process, a function's instance among them, could listen on the other one and receive those
 * callers' requests, tokens included. A wildcard host listens on `::`, which on a dual-stack
 * system takes IPv4 as well (`covered`: 0.0.0.0 is then already ours); where IPv6 is missing it
 * listens on 0.0.0.0, and where `::` is IPv6-only it holds 0.0.0.0 too.
 */
function addresses(host: string): { first: string[]; also?: string; covered?: boolean } {
  if (host === "0.0.0.0" || host === "::") {
    return { first: ["::", "0.0.0.0"], also: "0.0.0.0", covered: true };
  }
  if (host === "127.0.0.1" || host === "localhost") return { first: ["127.0.0.1"], also: "::1" };
  if (host === "::1") return { first: [host], also: "127.0.0.1" };
  return { first: [host] };
}

/** The machine cannot use this address at all (no IPv6, say): nobody else can listen there either. */
function unusable(err: unknown): boolean {
  return (
    err instanceof Deno.errors.AddrNotAvailable ||
    /not supported|unavailable|cannot assign/i.test((err as Error).message)
  );
}

const server = new HttpServer(handle, onError, {
  maxConnections: settings.maxConnections,
  maxPerAddress: settings.maxConnectionsPerAddress,
});

/** Listens on the port on every address {@link addresses} names; returns the port. */
function listen(): number {
  const { first, also, covered } = addresses(settings.host);
  for (let attempt = 0; ; attempt++) {
    let port: number | undefined;
    let lastError: unknown;
    for (const hostname of first) {
      try {
        port = server.listen(hostname, settings.port).port;
        break;
      } catch (err) {
        lastError = err;
        if (!unusable(err)) throw err;
      }
    }
    if (port === undefined) throw lastError;
    if (also === undefined) return port;
    try {
      server.listen(also, port);
      return port;
    } catch (err) {
      if (covered || unusable(err)) return port;
      server.closeListeners();
      // A port the system picked may be taken on the other address: pick again.
      if (settings.port === 0 && attempt < 10) continue;
      throw new Deno.errors.AddrInUse(
        `Port ${port} is taken on ${also} by another process, which would receive the requests ` +
          `of callers that reach ${settings.host}:${port} as localhost`,
      );
    }
  }
}

send({ t: "listening", port: listen() });

async function control(): Promise<void> {
  for await (const line of lines) {
    if (line === "") continue;
    const m = JSON.parse(line) as { t: string; n?: number; i?: string };
    if (m.t === "flush") {
      decisions.flushAll();
      send({ t: "flushed", n: m.n });
    } else if (m.t === "drain") {
      void server.shutdown().then(() => send({ t: "drained", n: m.n }));
    } else if (m.t === "revoke" && m.i !== undefined) decisions.revoke(m.i);
    else if (m.t === "answered" && m.n !== undefined) {
      answers.get(m.n)?.();
      answers.delete(m.n);
    }
  }
  // Node went away (stdin closed): stop.
  flushRecords();
  await server.shutdown();
  Deno.exit(0);
}
void control();
