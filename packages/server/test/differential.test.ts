/**
 * The front and Node agree on HTTP: every request gets the same answer whichever path serves
 * it. A corpus of raw requests (http-corpus.ts), valid and hostile, goes over raw TCP to two
 * servers with the same apps: on A, each case follows a plain GET of its kind, so that the front
 * answers it from Node's decision when it may (the direct path); B hands the front no decisions,
 * so Node answers everything. Status and routing (which app and function answered, or which
 * error) must be the same. Then each disagreement issue 15 listed, on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationRecord } from "../src/gateway/gateway.js";
import { startTestServer, type TestServer } from "./helpers.js";
import {
  ALPHA_HOST,
  APP,
  BETA_HOSTS,
  bytesOf,
  corpus,
  OK_ORIGIN,
  primeOf,
  type RawCase,
} from "./http-corpus.js";
import { header, type RawAnswer, sendRaw } from "./raw-http.js";

/** Answers which app and function it is, and takes WebSocket upgrades (echoing). */
const who = (name: string) => `
Deno.serve((req) => {
  if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
    try {
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => socket.send(e.data);
      return response;
    } catch {
      return new Response("not a WebSocket handshake", { status: 400 });
    }
  }
  return Response.json({ app: req.headers.get("base44-app-id"), fn: "${name}" });
});`;

interface Side {
  t: TestServer;
  port: number;
  userToken: string;
  records: Map<string, InvocationRecord>;
}

async function side(decisions: boolean): Promise<Side> {
  const t = await startTestServer({ defaultApp: APP.alpha, decisions });
  const records = new Map<string, InvocationRecord>();
  t.server.onInvocation((r) => records.set(r.requestId, r));
  for (const [id, domains] of [
    [APP.alpha, [ALPHA_HOST]],
    [APP.beta, BETA_HOSTS],
  ] as const) {
    await t.createApp(id, id);
    const res = await t.admin(`/api/apps/${id}`, {
      method: "PATCH",
      body: JSON.stringify({ domains, cors_origins: [OK_ORIGIN] }),
    });
    if (res.status !== 200) throw new Error(await res.text());
  }
  await t.deploy(APP.alpha, "who", who("who"));
  await t.deploy(APP.alpha, "other", who("other"));
  await t.deploy(APP.beta, "who", who("beta/who"));
  const reg = await fetch(`${t.url}/api/apps/${APP.alpha}/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "differential@example.com", password: "a long password" }),
  });
  const userToken = ((await reg.json()) as { access_token: string }).access_token;
  return { t, port: t.server.port, userToken, records };
}

let a: Side;
let b: Side;

beforeAll(async () => {
  [a, b] = await Promise.all([side(true), side(false)]);
}, 120_000);
afterAll(async () => {
  await Promise.all([a?.t.close(), b?.t.close()]);
});

/** What must be the same on both paths: the status, and who answered (or which error). */
function outcome(r: RawAnswer): string {
  let who = "";
  try {
    const body = JSON.parse(r.body) as { app?: string; fn?: string; code?: string };
    who = body.code ?? `${body.app}/${body.fn}`;
  } catch {
    // no JSON body (HEAD, 101, 204)
  }
  return r.timedOut ? `${r.status} (no whole answer in time)` : `${r.status} ${who}`.trim();
}

/**
 * A POST to a management route: the front drops every decision it holds before passing it on.
 * B keeps none anyway (`decisions: false`); this makes sure of it on a server without the switch.
 */
const FLUSH = "POST /api/flush HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n";

/** Sends `prime`, then `c`, to A; `c` to B. */
async function both(c: RawCase, prime: RawCase = primeOf(c)) {
  const [onA, onB] = await Promise.all([
    sendRaw(a.port, bytesOf(prime, a.userToken), prime.method).then(() =>
      sendRaw(a.port, bytesOf(c, a.userToken), c.method),
    ),
    sendRaw(b.port, FLUSH, "POST").then(() => sendRaw(b.port, bytesOf(c, b.userToken), c.method)),
  ]);
  return { onA, onB };
}

/** How many of `answers` (of A) the front served from a decision, by their invocation records. */
async function servedDirect(answers: RawAnswer[]): Promise<number> {
  // The front sends its records in batches, every 50 ms.
  await new Promise((r) => setTimeout(r, 200));
  return answers.filter((r) => a.records.get(header(r, "x-request-id") ?? "")?.direct).length;
}

describe("the front and Node", () => {
  // The disagreements issue 15 found, each on its own: the same answer on both paths, and the
  // answer fnbase gives.
  const WHO = `/api/apps/${APP.alpha}/functions/who`;
  // Run before the corpus, each of its own kind (its own Host or route), so that no earlier
  // request has given either server's front a decision for it.
  let n = 0;
  const get = (over: Partial<RawCase>): RawCase => ({
    name: "",
    method: "GET",
    target: WHO,
    headers: [["Host", `listed-${++n}.test`]],
    ...over,
  });
  const host = (): [string, string] => ["Host", `listed-${++n}.test`];
  const listed: [string, RawCase, string, RawCase?][] = [
    ["a lower-case method", get({ method: "get" }), "501 NOT_IMPLEMENTED"],
    ["an unknown method", get({ method: "BREW" }), "501 NOT_IMPLEMENTED"],
    [
      "a 20 KiB header",
      get({
        headers: [
          ["Host", ALPHA_HOST],
          ["x-big", "a".repeat(20 * 1024)],
        ],
      }),
      `200 ${APP.alpha}/who`,
    ],
    [
      "252 header fields",
      get({
        headers: [
          host(),
          ...Array.from({ length: 251 }, (_, i): [string, string] => [`x-f${i}`, "v"]),
        ],
      }),
      "431 HEADERS_TOO_LARGE",
    ],
    [
      "a chunked trailer line that is a request line",
      get({
        method: "POST",
        headers: [
          ["Host", ALPHA_HOST],
          ["transfer-encoding", "chunked"],
        ],
        body: `1\r\na\r\n0\r\nGET ${WHO} HTTP/1.1\r\n\r\n`,
      }),
      "400 BAD_REQUEST",
    ],
    ["an absolute-form target without a path", get({ target: "http://x?a=1" }), "404 NOT_FOUND"],
    [
      "an absolute-form target, whose authority is the Host",
      get({ target: "http://beta.test/functions/who?a=1" }),
      `200 ${APP.beta}/beta/who`,
    ],
    ["a head with bare LF line ends", get({ eol: "\n" }), "400 BAD_REQUEST"],
    [
      "no Host in HTTP/1.0, after an empty Host",
      get({ target: "/functions/who", version: "HTTP/1.0", headers: [] }),
      `200 ${APP.alpha}/who`,
      get({ target: "/functions/who", headers: [["Host", ""]] }),
    ],
    [
      "no Host in HTTP/1.1",
      get({ target: "/api/functions/who", headers: [] }),
      "400 BAD_REQUEST",
      get({ target: "/api/functions/who", headers: [["Host", ""]] }),
    ],
    [
      "an empty Authorization, after none",
      get({
        headers: [
          ["Host", ALPHA_HOST],
          ["Authorization", ""],
        ],
      }),
      "401 INVALID_TOKEN",
      get({}),
    ],
  ];
  it.each(listed)("answer %s the same on both paths", async (_name, c, expected, prime) => {
    const { onA, onB } = await both(c, prime);
    expect([outcome(onA), outcome(onB)]).toEqual([expected, expected]);
  });

  it("answer a corpus of 200+ raw requests alike, on the direct path and through Node", async () => {
    const cases = corpus();
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const differ: string[] = [];
    const answered: Record<string, number> = {};
    const fromA: RawAnswer[] = [];
    for (const c of cases) {
      const { onA, onB } = await both(c);
      const [x, y] = [outcome(onA), outcome(onB)];
      if (x !== y) differ.push(`${c.name}: direct path ${x}, through Node ${y}`);
      answered[x] = (answered[x] ?? 0) + 1;
      fromA.push(onA);
    }
    expect(differ).toEqual([]);
    // Both kinds of answer were exercised: the functions' own and refusals of every sort.
    expect(await servedDirect(fromA)).toBeGreaterThanOrEqual(60);
    expect(answered[`200 ${APP.alpha}/who`]).toBeGreaterThanOrEqual(30);
    expect(answered[`200 ${APP.beta}/beta/who`]).toBeGreaterThanOrEqual(10);
    for (const kind of [
      "400 BAD_REQUEST",
      "401 INVALID_TOKEN",
      "404 APP_NOT_FOUND",
      "404 FUNCTION_NOT_FOUND",
      "431 HEADERS_TOO_LARGE",
      "501 NOT_IMPLEMENTED",
      "101",
    ]) {
      expect(answered[kind], kind).toBeGreaterThan(0);
    }
  }, 120_000);
});
