// Hostile: on the host runtime (`runtime: "host"`), a function shares its host process with the
// Workers of its app's other functions (docs/SECURITY.md, "one host process per app"). What the
// process has as a whole, a function must not be able to turn against its siblings:
// - its signals: Deno lets a process signal itself without `--allow-run`, so a function could
//   end the host (SIGKILL, or any signal whose default ends a process) or freeze it (SIGSTOP),
//   which the watchdog cannot see (a stopped process uses no CPU). The host is its PID
//   namespace's init (the kernel keeps SIGKILL and SIGSTOP from it when they come from inside)
//   and listens, doing nothing, to every other signal Deno lets it.
// - its environment's proxy settings: a function that set HTTP_PROXY to a listener of its own
//   would get its siblings' later outgoing requests (their headers, API keys). Deno runs the
//   host with them ignored (`--ignore-env`).
// Real Deno in the sandbox, real HTTP on port 0; the siblings are called as any caller would.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";

/** Signals its own process in every way a function can, then answers. */
const SIGNALLER = `
import process, { kill } from "node:process";
const catchable = ["SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM",
  "SIGABRT", "SIGTRAP", "SIGBUS", "SIGXCPU", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGPROF"];
const uncatchable = ["SIGSEGV", "SIGILL", "SIGFPE", "SIGSTOP", "SIGKILL"];
Deno.serve(async () => {
  const sent = [];
  // A listener added and taken off again leaves the signal to Deno's own handler.
  for (const s of catchable) {
    const f = () => {};
    Deno.addSignalListener(s, f);
    Deno.removeSignalListener(s, f);
  }
  const ways = [
    (s) => Deno.kill(Deno.pid, s),
    (s) => process.kill(process.pid, s),
    (s) => kill(process.pid, s),
  ];
  for (const signal of [...catchable, ...uncatchable]) {
    for (const way of ways) {
      way(signal);
      sent.push(signal);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return Response.json({ sent: sent.length });
});
`;

/** A sibling: the same id as long as its instance lives. */
const SIBLING = `
const id = crypto.randomUUID();
Deno.serve(() => Response.json({ id }));
`;

/**
 * Listens on its namespace's loopback and sets every proxy setting of the shared environment to
 * that listener; `?count` says what the listener saw.
 */
const TRAP = `
import process from "node:process";
const seen = [];
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
(async () => {
  for await (const conn of listener) {
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf).catch(() => null);
    seen.push(new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\\r\\n")[0]);
    const out = "trapped";
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 200 OK\\r\\ncontent-length: " + out.length + "\\r\\nconnection: close\\r\\n\\r\\n" + out,
    )).catch(() => {});
    conn.close();
  }
})();
const proxy = "http://127.0.0.1:" + listener.addr.port;
const names = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"];
Deno.serve((req) => {
  if (new URL(req.url).searchParams.has("count")) return Response.json({ seen });
  for (const name of names) {
    Deno.env.set(name, proxy);
    process.env[name] = proxy;
  }
  Deno.env.set("NO_PROXY", "");
  Deno.env.set("NODE_USE_ENV_PROXY", "1");
  return Response.json({ proxy });
});
`;

/** Fetches the URL it is given, with fetch and with node:http. */
const FETCHER = `
import http from "node:http";
Deno.serve(async (req) => {
  const target = new URL(req.url).searchParams.get("url");
  const viaFetch = await fetch(target).then((r) => r.text(), (e) => "error: " + e.message);
  const viaNode = await new Promise((resolve) => {
    http.get(target, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(body));
    }).on("error", (e) => resolve("error: " + e.message));
  });
  return Response.json({ viaFetch, viaNode });
});
`;

let t: TestServer;
let app: string;
let web: Server;
let webPort: number;
let webHits = 0;

beforeAll(async () => {
  web = createServer((_req, res) => {
    webHits++;
    res.end("outside");
  });
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  webPort = (web.address() as AddressInfo).port;
  t = await startTestServer({ runtime: "host", sandbox: "require" });
  app = await t.createApp("shared-host");
  const res = await t.admin(`/api/apps/${app}`, {
    method: "PATCH",
    body: JSON.stringify({ egress_allow: [`127.0.0.1:${webPort}`] }),
  });
  expect(res.status).toBe(200);
  for (const [name, code] of [
    ["signaller", SIGNALLER],
    ["sibling", SIBLING],
    ["trap", TRAP],
    ["fetcher", FETCHER],
  ] as const) {
    await t.deploy(app, name, code);
  }
}, 60_000);

afterAll(async () => {
  await t?.close();
  await new Promise((r) => web?.close(r));
});

const json = async (path: string): Promise<Record<string, unknown>> => {
  const res = await t.invoke(app, path);
  const text = await res.text();
  expect(res.status, `${path}: ${text}`).toBe(200);
  return JSON.parse(text) as Record<string, unknown>;
};

const hostPids = () =>
  t.server
    .hostProcesses()
    .filter((h) => h.app_id === app)
    .map((h) => h.pid);

describe("a function on the host runtime, against its siblings", () => {
  it("cannot end or freeze its host by signalling it: its siblings keep their instances", async () => {
    const before = await json("sibling");
    const pids = hostPids();
    expect(pids).toHaveLength(1);
    // 20 signals, in three ways each (SIGKILL and SIGSTOP among them).
    expect(await json("signaller")).toEqual({ sent: 60 });
    expect(await json("sibling")).toEqual(before);
    expect(hostPids()).toEqual(pids);
  });

  it("cannot take its siblings' outgoing requests by setting the proxy in the environment", async () => {
    expect((await json("trap")).proxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Started after the trap was set, in the same host process.
    const hits = webHits;
    const answer = await json(`fetcher?url=${encodeURIComponent(`http://127.0.0.1:${webPort}/`)}`);
    expect(answer).toEqual({ viaFetch: "outside", viaNode: "outside" });
    expect(webHits).toBe(hits + 2);
    expect(await json("trap?count")).toEqual({ seen: [] });
    expect(hostPids()).toHaveLength(1);
  });
});
