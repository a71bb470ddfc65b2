/**
 * Helpers of the automations tests: a clock the tests move (the server's `now`), a collector
 * (an HTTP server in the test process that functions report to, and that can hold their
 * requests), and requests to the automations API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import type { ServerOptions } from "../../src/config.js";
import { startTestServer, type TestServer } from "../helpers.js";

/** A clock the server reads and the test moves. */
export interface Clock {
  now: number;
  /** Moves it to an ISO time. */
  set(iso: string): void;
  advance(ms: number): void;
}

export function clock(iso = "2026-12-01T00:00:00.000Z"): Clock {
  const c: Clock = {
    now: Date.parse(iso),
    set(t) {
      c.now = Date.parse(t);
    },
    advance(ms) {
      c.now += ms;
    },
  };
  return c;
}

/** Server options for automations tests: the clock, and no timer (tests call `tick()`). */
export const automationOptions = (c: Clock, extra: ServerOptions = {}): ServerOptions => ({
  now: () => c.now,
  automationPollMs: 0,
  ...extra,
});

/** Starts a test server on the clock. */
export const startAutomationServer = (c: Clock, extra: ServerOptions = {}) =>
  startTestServer(automationOptions(c, extra));

/** What a function sent to the collector. */
export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** An HTTP server functions report to; `hold` keeps requests unanswered until released. */
export interface Collector extends AsyncDisposable {
  url: string;
  received: Received[];
  hold: boolean;
  /** Answers every held request. */
  release(): void;
  /** Resolves once `n` requests have come. */
  until(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The body of the PATCH that opens the collector to an app's functions: instances reach no
 * loopback address unless the operator allows it (`egress_allow`, docs/SECURITY.md).
 */
export const collectorEgress = (c: Collector) => ({ egress_allow: [new URL(c.url).host] });

/** Opens the collector to one app's functions. */
export async function allowCollector(t: TestServer, appId: string, c: Collector): Promise<void> {
  const res = await t.admin(`/api/apps/${appId}`, {
    method: "PATCH",
    body: JSON.stringify(collectorEgress(c)),
  });
  expect(res.status).toBe(200);
}

export async function startCollector(): Promise<Collector> {
  const held: ServerResponse[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const c = {
    url: "",
    received: [] as Received[],
    hold: false,
    release() {
      for (const res of held.splice(0)) res.end("{}");
    },
    until(n: number, timeoutMs = 20_000) {
      if (c.received.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`Collector got ${c.received.length} of ${n} requests`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  } as Collector;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.on("data", (b: Buffer) => {
      text += b.toString();
    });
    req.on("end", () => {
      c.received.push({
        path: req.url ?? "",
        headers: req.headers,
        body: text === "" ? null : JSON.parse(text),
      });
      for (const w of waiters.filter((w) => c.received.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      res.setHeader("content-type", "application/json");
      if (c.hold) held.push(res);
      else res.end("{}");
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  c.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  c.close = () =>
    new Promise<void>((resolve) => {
      c.release();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  c[Symbol.asyncDispose] = c.close;
  return c;
}

/**
 * A function that posts what it received to the collector (at `/<entity_name>`, or `/run`
 * for scheduled and manual runs): its body, its Authorization header and, with `me`, what
 * `auth.me()` answered; then it answers `status` (200 by default).
 */
export const reporter = (collectorUrl: string, o: { status?: number; me?: boolean } = {}) => `
import { createClientFromRequest } from "npm:@base44/sdk";
Deno.serve(async (req) => {
  const body = await req.json();
  let me = null;
  ${
    o.me
      ? `try { me = await createClientFromRequest(req).auth.me(); } catch (e) { me = { error: e.status ?? String(e) }; }`
      : ""
  }
  await fetch(${JSON.stringify(collectorUrl)} + "/" + (body?.event?.entity_name ?? "run"), {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth": req.headers.get("authorization") ?? "" },
    body: JSON.stringify({ body, me }),
  });
  return Response.json({ ok: true }, { status: ${o.status ?? 200} });
});
`;

/** The automations API of one app. */
export function automationsApi(t: TestServer, appId: string) {
  const call = async <T>(method: string, path: string, body?: unknown, status = 200) => {
    const res = await t.admin(`/api/apps/${appId}/automations${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    expect(res.status, `${method} automations${path}: ${text}`).toBe(status);
    return JSON.parse(text) as T;
  };
  return {
    call,
    list: async () =>
      (await call<{ automations: Record<string, unknown>[] }>("GET", "")).automations,
    runs: async (id?: string) =>
      (await call<{ runs: Record<string, unknown>[] }>("GET", id ? `/${id}/runs` : "/runs")).runs,
    create: (body: unknown, status = 201) =>
      call<Record<string, unknown>>("POST", "", body, status),
    patch: (id: string, body: unknown, status = 200) =>
      call<Record<string, unknown>>("PATCH", `/${id}`, body, status),
    runNow: (id: string) => call<Record<string, unknown>>("POST", `/${id}/run`, undefined, 202),
  };
}
