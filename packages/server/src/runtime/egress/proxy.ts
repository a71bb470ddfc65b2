import { lookup } from "node:dns/promises";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import { connect, isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { decide, type EgressRules } from "./policy.js";

/** What the proxy tells its owner about a connection it refused. */
export interface EgressRefusal {
  host: string;
  port: number;
  why: string;
}

/** How a proxy learns its instance's rules (undefined: refuse everything, e.g. a spare). */
export type RulesSource = () => EgressRules | undefined;

/** Resolves a host name to its addresses (default: the system's resolver, `dns.lookup`). */
export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const HOP = new Set([
  "proxy-connection",
  "proxy-authorization",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** `host:port` of a CONNECT target or an absolute URL's authority, brackets removed. */
function splitAuthority(authority: string, defaultPort: number): [string, number] | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return undefined;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port < 1 || port > 65_535) return undefined;
  return [m[1] ?? m[2] ?? "", port];
}

/**
 * Resolves `host` and picks the first address the rules allow. The connection is then made to
 * that exact address, so a name that resolves differently a moment later (DNS rebinding)
 * cannot move it. Throws with the reason when no address is allowed.
 */
async function pick(
  host: string,
  port: number,
  rules: EgressRules,
  resolve: Resolve,
): Promise<string> {
  const addresses = isIP(host) ? [host] : await resolve(host);
  let why = `${host} has no address`;
  for (const address of addresses) {
    const v = decide(host, address, port, rules);
    if (v.ok) return address;
    why =
      host === address
        ? v.why
        : `${host} resolves to ${v.why.replace(/^\S+ is/, "an address that is")}`;
  }
  throw new Refused(why);
}

class Refused extends Error {}

/**
 * Connections one instance may hold through its proxy at once (each is two of the server's file
 * descriptors); past it, new ones are refused until some close.
 */
export const MAX_EGRESS_CONNECTIONS = 256;

/**
 * The only way out of an instance's network namespace: an HTTP proxy on a unix socket in the
 * instance's folder. It tunnels `CONNECT host:port` (HTTPS, WebSockets over TLS, anything on
 * TCP) and forwards absolute-form HTTP requests and upgrades, each to an address the instance's
 * rules allow (see `policy.ts`): the public internet by default, plus what the app's
 * `egress_allow` names. Refusals answer 403 with the reason in the body and are reported.
 *
 * Written here rather than taken from a library: the check has to happen on the resolved
 * address and the connection has to go to that same address, which the proxy servers on npm
 * (`proxy`, `http-proxy`) leave to their own `net.connect(host)`.
 */
export class EgressProxy {
  readonly #server: Server;
  readonly #rules: RulesSource;
  readonly #onRefused: (r: EgressRefusal) => void;
  readonly #resolve: Resolve;
  readonly #sockets = new Set<Duplex>();
  /** Its own keep-alive pool: no connection is ever shared with another instance's requests. */
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    rules: RulesSource,
    onRefused: (r: EgressRefusal) => void,
    resolve: Resolve = systemResolve,
  ) {
    this.#rules = rules;
    this.#onRefused = onRefused;
    this.#resolve = resolve;
    this.#server = createServer((req, res) => void this.#forward(req, res));
    this.#server.maxConnections = MAX_EGRESS_CONNECTIONS;
    this.#server.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#tunnel(req.url ?? "", socket, head, undefined),
    );
    this.#server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head),
    );
    this.#server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
  }

  /** Starts listening on `path` (a unix socket). */
  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(path, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
  }

  /** Stops listening and cuts every connection, tunnels included. */
  close(): void {
    this.#server.close();
    this.#agent.destroy();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  async #target(host: string, port: number): Promise<string> {
    const rules = this.#rules();
    if (rules === undefined) throw new Refused("the instance runs no function yet");
    try {
      return await pick(host, port, rules, this.#resolve);
    } catch (err) {
      const why = err instanceof Refused ? err.message : `${host} cannot be resolved`;
      this.#onRefused({ host, port, why });
      throw new Refused(why);
    }
  }

  async #tunnel(
    authority: string,
    client: Duplex,
    head: Buffer,
    firstBytes: Buffer | undefined,
  ): Promise<void> {
    client.on("error", () => client.destroy());
    const target = splitAuthority(authority, 443);
    if (!target) return refuse(client, 400, `Not a host:port: ${authority}`);
    let address: string;
    try {
      address = await this.#target(...target);
    } catch (err) {
      return refuse(client, 403, (err as Error).message);
    }
    const upstream = connect({ host: address, port: target[1] });
    this.#sockets.add(upstream);
    upstream.on("close", () => this.#sockets.delete(upstream));
    let connected = false;
    upstream.once("error", (e) => {
      if (!connected) refuse(client, 502, `Cannot connect to ${authority}: ${e.message}`);
      else client.destroy();
    });
    upstream.once("connect", () => {
      connected = true;
      if (firstBytes === undefined) client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      else upstream.write(firstBytes);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    client.once("close", () => upstream.destroy());
  }

  /** A WebSocket (or other) upgrade of a plain-HTTP absolute-form request: one raw tunnel. */
  #upgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const url = absolute(req.url);
    if (!url) {
      refuse(client, 400, "The proxy takes absolute http:// URLs");
      return;
    }
    let text = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i] ?? "";
      const lower = k.toLowerCase();
      if (lower === "proxy-connection" || lower === "proxy-authorization") continue;
      text += `${k}: ${req.rawHeaders[i + 1] ?? ""}\r\n`;
    }
    void this.#tunnel(url.host, client, head, Buffer.from(`${text}\r\n`));
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = absolute(req.url);
    if (!url) return answer(res, 400, "The proxy takes absolute http:// URLs");
    const target = splitAuthority(url.host, 80);
    if (!target) return answer(res, 400, `Not a host:port: ${url.host}`);
    let address: string;
    try {
      address = await this.#target(...target);
    } catch (err) {
      return answer(res, 403, (err as Error).message);
    }
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    const up = httpRequest(
      {
        host: address,
        port: target[1],
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        setHost: false,
        agent: this.#agent,
      },
      (upRes) => {
        const out: OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(upRes.headers)) if (!HOP.has(k)) out[k] = v;
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
        upRes.pipe(res);
      },
    );
    up.on("error", (e) => {
      if (!res.headersSent) answer(res, 502, `Cannot reach ${url.host}: ${e.message}`);
      else res.destroy();
    });
    res.on("close", () => up.destroy());
    req.pipe(up);
  }
}

function absolute(target: string | undefined): URL | undefined {
  if (!target?.startsWith("http://")) return undefined;
  try {
    return new URL(target);
  } catch {
    return undefined;
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  502: "Bad Gateway",
};

/** Answers a tunnel or upgrade request that will not be served, and closes the connection. */
function refuse(client: Duplex, status: number, message: string): void {
  const body = `fnbase egress: ${message}\n`;
  client.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function answer(res: ServerResponse, status: number, message: string): void {
  const body = `fnbase egress: ${message}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
