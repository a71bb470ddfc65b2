/**
 * The front: the process that owns the server's public port.
 * `deno run front/main.ts`, with its settings as the first line of stdin (see {@link Settings}).
 *
 * Every request it cannot answer from memory goes to the Node server's internal port, which
 * does all the work (management API, auth, routing, cold starts) as before. When Node answers an
 * invocation it also hands back its decision for that kind of request (which instance, which
 * headers, which limits), and the front sends the next requests of the same kind straight to the
 * instance: Node is off the hot path. Node takes decisions back (`flush`, `revoke`) whenever
 * what they rest on changes; see decisions.ts.
 *
 * Protocol with Node: JSON lines. Node → front on stdin: `flush {n}`, `revoke {i}`,
 * `answered {n}`. Front → Node on stdout: `listening {port}`, `flushed {n}`,
 * `released {i, n, ago}`, `inv {r: [...]}`, `failed {i, n}` (an instance did not answer; Node
 * answers once it has seen the process exit), `error {m}`.
 */

import {
  FRONT_CHANNEL,
  functionTarget,
  HOP_BY_HOP,
  RECORD_FIELDS,
  HOST_OWNED as SHARED_HOST_OWNED,
} from "../protocol.js";
import { Decisions, type Entry } from "./decisions.ts";
import { BodyTooLarge, Exchange, Upstream } from "./http1.ts";
import { readLines, send } from "./io.ts";
import { type Answer, HttpServer, type Incoming } from "./server.ts";

interface Settings {
  /** Shared with Node: requests to its internal port carry it. */
  secret: string;
  /** Node's internal port on 127.0.0.1. */
  nodePort: number;
  /** Public address to listen on. */
  host: string;
  port: number;
  /** The server's idle timeout for instances, in ms. */
  idleMs: number;
}

const lines = readLines(Deno.stdin.readable);
const first = await lines.next();
if (first.done) Deno.exit(2);
const settings = JSON.parse(first.value) as Settings;

/** Headers the front never passes on: hop-by-hop ones, framing and its own channel to Node. */
const HOP = new Set([...HOP_BY_HOP, "expect", "content-length", ...FRONT_CHANNEL]);
/** What the host sets on a function's request (an outside caller's values are dropped). */
const HOST_OWNED = new Set(SHARED_HOST_OWNED);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const INVOCATION = /^\/(?:api\/apps\/[^/]+\/functions|api\/functions|functions)\/(?=.)/;
const JSON_TYPE = "application/json; charset=utf-8";

const node = new Upstream({ transport: "tcp", hostname: "127.0.0.1", port: settings.nodePort });
const decisions = new Decisions(settings.idleMs, (m) => send(m));

// Invocation records, sent to Node in batches for its logs and metrics: one flat array of
// RECORD_FIELDS values per record (see protocol.js), cheaper to build and to serialize than an
// object each.
let records: (string | number)[] = [];
let recordTimer: ReturnType<typeof setTimeout> | undefined;
function record(
  d: { a: string; f: string },
  requestId: string,
  status: number,
  durationMs: number,
  bytesIn: number,
  bytesOut: number,
): void {
  records.push(d.a, d.f, requestId, status, durationMs, bytesIn, bytesOut);
  if (records.length >= 500 * RECORD_FIELDS) flushRecords();
  else recordTimer ??= setTimeout(flushRecords, 50);
}
function flushRecords(): void {
  if (recordTimer !== undefined) clearTimeout(recordTimer);
  recordTimer = undefined;
  if (records.length === 0) return;
  send({ t: "inv", r: records });
  records = [];
}

/** An exchange in flight: its time limit, and its caller, who may leave before the answer. */
interface InFlight {
  deadline: number;
  started: number;
  req: Incoming;
  watched: boolean;
}

// One sweep over the exchanges in flight rather than a timer or an abort listener per request:
// past its time limit an exchange is aborted; one still waiting after 100 ms starts to watch
// its caller's signal, so a caller who leaves stops the work (as closing the socket would).
const inFlight = new Map<Exchange, InFlight>();
setInterval(() => {
  const now = Date.now();
  for (const [x, f] of inFlight) {
    if (f.deadline <= now) {
      inFlight.delete(x);
      x.abort();
    } else if (!f.watched && now - f.started > 100) {
      f.watched = true;
      f.req.watch(() => {
        x.callerGone = true;
        x.abort();
      });
    }
  }
}, 20);

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

const enc = new TextEncoder();

function errorResponse(
  status: number,
  body: string,
  extra: [string, string][],
  close = false,
): Answer {
  return {
    status,
    headers: [["content-type", JSON_TYPE], ...extra],
    body: enc.encode(body),
    close,
  };
}

/** What the front reads of a caller's headers, in one pass over them. */
interface Scan {
  host: string | null;
  /**
   * Set for a CORS preflight, and for a request that repeats a header the decision depends on
   * (servers disagree on which copy counts: node:http takes the first Authorization, say):
   * Node answers those, and its decision is not kept.
   */
  uncached: boolean;
  /** What Node's decision for this request depends on, besides the path. */
  ctx: string;
  /** The headers a function receives from the caller, as header lines. */
  lines: string;
}

function scan(req: Incoming): Scan {
  let host: string | null = null;
  let appId = "";
  let auth = "";
  let origin = "";
  let requestMethod = false;
  let repeated = false;
  let seen = 0; // bits: authorization 1, x-app-id 2, origin 4
  let lines = "";
  for (const [k, v] of req.headers) {
    switch (k) {
      case "host":
        host = v;
        break;
      case "authorization":
        if (seen & 1) repeated = true;
        seen |= 1;
        auth = v;
        continue;
      case "x-app-id":
        if (seen & 2) repeated = true;
        seen |= 2;
        appId = v;
        break;
      case "origin":
        if (seen & 4) repeated = true;
        seen |= 4;
        origin = v;
        break;
      case "access-control-request-method":
        requestMethod = true;
        break;
      default:
        if (HOP.has(k) || HOST_OWNED.has(k)) continue;
    }
    lines += `${k}: ${v}\r\n`;
  }
  return {
    host,
    uncached: (req.method === "OPTIONS" && origin !== "" && requestMethod) || repeated,
    ctx: `${host ?? ""}\n${appId}\n${auth}\n${origin}`,
    lines,
  };
}

/** Sends a request to an instance as a cached decision says, without Node. */
async function invoke(req: Incoming, target: string, sc: Scan, e: Entry): Promise<Answer> {
  const started = performance.now();
  const d = e.decision;
  const inst = e.instance;
  const requestId = crypto.randomUUID();
  const extra = (): [string, string][] => [...d.c, ["x-request-id", requestId]];
  const length = req.length;
  if (length !== undefined && length > d.b) {
    record(d, requestId, 413, performance.now() - started, length, 0);
    return errorResponse(413, d.e.tooLarge, extra(), true);
  }
  let head = `${req.method} ${functionTarget(sc.host, target)} HTTP/1.1\r\n${e.headLines}x-request-id: ${requestId}\r\nx-forwarded-for: ${req.remote}\r\n${sc.lines}`;
  head += sc.host !== null ? `x-forwarded-host: ${sc.host}\r\n` : "host: localhost\r\n";
  // What the gateway's client (undici) sends too: the function sees the same on both paths.
  head += "connection: keep-alive\r\n";
  const body = req.body;

  inst.inflight++;
  inst.lastUsed = Date.now();
  const x = new Exchange();
  inFlight.set(x, { deadline: inst.lastUsed + d.t, started: inst.lastUsed, req, watched: false });
  const end = (status: number, bytesOut: number) => {
    inFlight.delete(x);
    decisions.done(inst);
    const bytesIn = length ?? x.sent;
    record(d, requestId, status, performance.now() - started, bytesIn, bytesOut);
  };
  let res: Awaited<ReturnType<Upstream["request"]>>;
  try {
    res = await inst.upstream.request(req.method, head, body, length, d.b, x);
  } catch (err) {
    const failed = callerFailure(req, x, err, extra);
    if (failed !== undefined) {
      end(failed.status, 0);
      return failed;
    }
    if (x.aborted) {
      end(504, 0);
      return errorResponse(504, d.e.timeout, extra());
    }
    if (err instanceof BodyTooLarge) {
      end(413, 0);
      return errorResponse(413, d.e.tooLarge, extra(), true);
    }
    // The instance is gone or going: stop using it, and answer once Node has seen it go, so
    // that the caller's next request starts a new one.
    decisions.failed(inst);
    await askNode({ t: "failed", i: inst.id });
    end(502, 0);
    return errorResponse(502, d.e.crashed, extra());
  }
  // The function's headers, minus what the host sets; the decision's CORS headers unless the
  // function answered CORS itself (then its own Vary and Access-Control-* stand).
  const headers: [string, string][] = [];
  const own: [string, string][] = [];
  let ownOrigin = false;
  for (const h of res.headers) {
    const k = h[0];
    if (k === "x-request-id" || k === "x-fnbase-decision") continue;
    if (d.c.length > 0 && (k === "vary" || k.startsWith("access-control-"))) {
      if (k === "access-control-allow-origin") ownOrigin = true;
      own.push(h);
      continue;
    }
    headers.push(h);
  }
  if (ownOrigin) headers.push(...own);
  else headers.push(...d.c);
  headers.push(["x-request-id", requestId]);
  if (res.body === null || res.body instanceof Uint8Array) end(res.status, res.body?.length ?? 0);
  else res.done.then((n) => end(res.status, n));
  return { status: res.status, headers, body: res.body };
}

/**
 * The answer to an exchange that failed because of its caller: a malformed body (400), or a
 * caller who left (499, recorded as such; nobody reads it). Undefined when the caller is not
 * the reason.
 */
function callerFailure(
  req: Incoming,
  x: Exchange,
  err: unknown,
  headers: () => [string, string][],
): Answer | undefined {
  if (req.bodyFault === "malformed") {
    const body = JSON.stringify({ error: (err as Error).message, code: "BAD_REQUEST" });
    return errorResponse(400, body, headers(), true);
  }
  if (x.callerGone || req.bodyFault === "gone") {
    return { status: 499, headers: [], body: null, close: true };
  }
  return undefined;
}

/** Hands a request to Node, and keeps the decision Node sends back with an invocation. */
async function pass(
  req: Incoming,
  target: string,
  ctx: string | undefined,
  mutating: boolean,
): Promise<Answer> {
  // A change through the management API (a deploy, an app setting, a key) may void decisions:
  // drop them before it reaches Node and again once Node has answered.
  if (mutating) decisions.flushAll();
  const epoch = decisions.epoch;
  let head = `${req.method} ${target} HTTP/1.1\r\nx-fnbase-front: ${settings.secret}\r\nx-fnbase-client-addr: ${req.remote}\r\n`;
  let hasHost = false;
  for (const [k, v] of req.headers) {
    if (HOP.has(k)) continue;
    if (k === "host") hasHost = true;
    head += `${k}: ${v}\r\n`;
  }
  if (!hasHost) head += "host: localhost\r\n";
  const length = req.length;
  const body = req.body;
  let res: Awaited<ReturnType<Upstream["request"]>>;
  const x = new Exchange();
  inFlight.set(x, { deadline: Number.POSITIVE_INFINITY, started: Date.now(), req, watched: false });
  try {
    res = await node.request(req.method, head, body, length, Number.POSITIVE_INFINITY, x);
  } catch (err) {
    inFlight.delete(x);
    const failed = callerFailure(req, x, err, () => []);
    if (failed !== undefined) return failed;
    return errorResponse(
      502,
      JSON.stringify({
        error: `The fnbase server could not be reached: ${(err as Error).message}`,
        code: "UPSTREAM_ERROR",
      }),
      [],
    );
  }
  if (res.body instanceof ReadableStream) res.done.then(() => inFlight.delete(x));
  else inFlight.delete(x);
  if (mutating) decisions.flushAll();
  const headers: [string, string][] = [];
  for (const h of res.headers) {
    if (h[0] === "x-fnbase-decision") {
      if (ctx !== undefined) decisions.adopt(ctx, h[1], epoch);
      else decisions.refuse(h[1]);
    } else headers.push(h);
  }
  return { status: res.status, headers, body: res.body };
}

function handle(req: Incoming): Promise<Answer> | Answer {
  const target = req.target;
  const q = target.indexOf("?");
  const pathname = q === -1 ? target : target.slice(0, q);
  const route = INVOCATION.exec(pathname);
  if (route !== null) {
    const sc = scan(req);
    if (sc.uncached) return pass(req, target, undefined, false);
    const e = decisions.get(pathname, route[0].length - 1, sc.ctx);
    if (e) return invoke(req, target, sc, e);
    return pass(req, target, sc.ctx, false);
  }
  return pass(req, target, undefined, !SAFE_METHODS.has(req.method));
}

const onError = (err: unknown): Answer => {
  send({ t: "error", m: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return errorResponse(
    500,
    JSON.stringify({ error: "Internal error in the fnbase front", code: "INTERNAL" }),
    [],
  );
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

const server = new HttpServer(handle, onError);

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
