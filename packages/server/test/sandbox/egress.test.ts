// The host's network, tried as a hostile function would: loopback in every spelling and through
// names that resolve to it, link-local (cloud metadata), private ranges, this host's own
// addresses, the server's internal port, raw TCP, listening; and what an operator may open.
import { lookup } from "node:dns/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, connect, createServer as createTcpServer } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionOutputLine } from "../../src/config.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { type Attempt, attempt, expectRefused, HOSTILE } from "./hostile.js";

let t: TestServer;
let appA: string;
let appB: string;
/** An HTTP service on every address of this host, and how many requests reached it. */
let web: Server;
let webPort: number;
let webHits = 0;
/** A TCP service on every address that greets each connection, and how many reached it. */
let tcpPort: number;
let tcpHits = 0;
const lines: FunctionOutputLine[] = [];

const a = (op: string, ...args: unknown[]) => attempt(t, appA, "hostile", op, ...args);
const b = (op: string, ...args: unknown[]) => attempt(t, appB, "hostile", op, ...args);

/** Names this host resolves to a loopback address (`localhost`, usually its own name). */
async function loopbackNames(): Promise<string[]> {
  const out: string[] = [];
  for (const name of ["localhost", hostname()]) {
    const addrs = await lookup(name, { all: true }).catch(() => []);
    if (addrs.length > 0 && addrs.every((x) => /^127\.|^::1$/.test(x.address))) out.push(name);
  }
  return [...new Set(out)];
}

/** This host's own addresses that are not loopback. */
const ownAddresses = () =>
  Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .filter((i) => !i.internal && !i.address.startsWith("fe80"))
    .map((i) => i.address);

const url = (host: string, port = webPort) =>
  `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;

beforeAll(async () => {
  web = createHttpServer((_req, res) => {
    webHits++;
    res.end("host-secret");
  });
  await new Promise<void>((r) => web.listen(0, "::", r));
  webPort = (web.address() as AddressInfo).port;
  const tcp = createTcpServer((s) => {
    tcpHits++;
    s.end("greetings from the host\n");
  });
  await new Promise<void>((r) => tcp.listen(0, "::", r));
  tcpPort = (tcp.address() as AddressInfo).port;
  t = await startTestServer({ sandbox: "require" });
  t.server.onOutput((l) => lines.push(l));
  appA = await t.createApp("attacker");
  appB = await t.createApp("bystander");
  await t.deploy(appA, "hostile", HOSTILE);
  await t.deploy(appB, "hostile", HOSTILE);
}, 120_000);

afterAll(async () => {
  await t?.close();
  web?.close();
});

describe("a function's network, by default", () => {
  it("cannot reach loopback in any spelling, with fetch or node:http", async () => {
    const hosts = [
      "127.0.0.1",
      "127.1",
      "0x7f000001",
      "2130706433",
      "127.0.0.2",
      "0.0.0.0",
      "::1",
      "::ffff:127.0.0.1",
      ...(await loopbackNames()),
    ];
    for (const host of hosts) {
      expectRefused(await a("fetch", url(host)), `fetch ${url(host)}`);
      expectRefused(await a("nodeHttp", url(host)), `node:http ${url(host)}`);
    }
    expect(webHits).toBe(0);
  });

  it("names that resolve to loopback are refused for what they resolve to", async () => {
    const names = await loopbackNames();
    expect(names).toContain("localhost");
    for (const name of names) {
      const r = await a("fetch", url(name));
      expect(r.ok).toBe(true);
      expect((r.value as { body: string }).body).toMatch(
        new RegExp(`^fnbase egress: ${name} resolves to an address that is a loopback address`),
      );
    }
  });

  it("cannot open raw TCP connections to the host (Deno.connect, node:net)", async () => {
    for (const host of ["127.0.0.1", "127.1", "::1", "localhost", "0.0.0.0", ...ownAddresses()]) {
      const r1 = await a("connect", host, tcpPort);
      expect(r1.ok, `Deno.connect ${host}: ${JSON.stringify(r1)}`).toBe(false);
      const r2 = await a("nodeConnect", host, tcpPort);
      expect(r2.ok, `node:net ${host}: ${JSON.stringify(r2)}`).toBe(false);
    }
    expect(tcpHits).toBe(0);
  });

  it("cannot reach cloud metadata, private ranges or this host's own addresses", async () => {
    const targets = [
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/",
      "http://172.16.0.1/",
      "http://192.168.0.1/",
      "http://100.64.0.1/",
      "http://[fd00::1]/",
      "http://[fe80::1]/",
      ...ownAddresses().map((x) => url(x)),
    ];
    for (const target of targets) expectRefused(await a("fetch", target), `fetch ${target}`);
    expect(webHits).toBe(0);
  });

  it("reaches the server's public port (the API); Node has no TCP port to reach", async () => {
    expect(await a("fetch", `${t.url}/health`)).toEqual({
      ok: true,
      value: { status: 200, body: '{"ok":true}' },
    });
  });

  it("reaches the public internet", async () => {
    // The npm registry is the one public host this machine reaches (npm install needs it).
    const direct = await fetch("https://registry.npmjs.org/ms", {
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    if (!direct?.ok) return; // offline: nothing public to reach
    const r = (await a("fetch", "https://registry.npmjs.org/ms")) as Attempt & {
      value: { status: number; body: string };
    };
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.value.status).toBe(200);
    expect(r.value.body).toContain('"name"');
  });

  it("cannot listen on a port that anyone else can reach", async () => {
    const free = await new Promise<number>((resolve) => {
      const s = createTcpServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    for (const host of ["0.0.0.0", "127.0.0.1"]) await a("listen", host, free);
    const reached = await new Promise<string>((resolve) => {
      const s = connect({ host: "127.0.0.1", port: free });
      s.once("error", (e) => resolve((e as NodeJS.ErrnoException).code ?? "error"));
      s.once("data", (d) => resolve(String(d)));
    });
    expect(reached).toBe("ECONNREFUSED");
  });

  it("refusals are written on the function's log and counted", async () => {
    const refused = lines.filter(
      (l) => l.source === "platform" && l.app_id === appA && /Outbound connection/.test(l.message),
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ level: "warning", function: "hostile" });
    const metrics = (await (await t.admin(`/api/apps/${appA}/metrics`)).json()) as {
      functions: { name: string; egress_refused: number }[];
    };
    expect(metrics.functions.find((f) => f.name === "hostile")?.egress_refused).toBeGreaterThan(0);
  });
});

describe("egress_allow, an operator's setting per app", () => {
  const patch = (appId: string, body: unknown, key?: string) =>
    key === undefined
      ? t.admin(`/api/apps/${appId}`, { method: "PATCH", body: JSON.stringify(body) })
      : fetch(`${t.url}/api/apps/${appId}`, {
          method: "PATCH",
          headers: { api_key: key, "content-type": "application/json" },
          body: JSON.stringify(body),
        });

  it("opens a named host (and port) to one app's functions only", async () => {
    const res = await patch(appA, { egress_allow: [`localhost:${webPort}`] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { egress_allow: string[] }).egress_allow).toEqual([
      `localhost:${webPort}`,
    ]);
    expect(await a("fetch", url("localhost"))).toEqual({
      ok: true,
      value: { status: 200, body: "host-secret" },
    });
    // The name is allowed, not the address it resolves to, nor another port.
    expectRefused(await a("fetch", url("127.0.0.1")), "the address of an allowed name");
    expectRefused(await a("fetch", url("localhost", tcpPort)), "another port");
    expectRefused(await b("fetch", url("localhost")), "another app");
    expect(webHits).toBe(1);
  });

  it("takes addresses and ranges, and an empty list closes them again", async () => {
    expect((await patch(appA, { egress_allow: ["127.0.0.0/8"] })).status).toBe(200);
    expect((await a("fetch", url("127.0.0.1"))).value).toMatchObject({ body: "host-secret" });
    expect((await patch(appA, { egress_allow: [] })).status).toBe(200);
    expectRefused(await a("fetch", url("127.0.0.1")), "after the list was emptied");
  });

  it("only the admin key may change it; bad entries are refused whole", async () => {
    const created = await t.admin("/api/workspace/api-keys", {
      method: "POST",
      body: JSON.stringify({ name: "developer" }),
    });
    const { key } = (await created.json()) as { key: string };
    const res = await patch(appA, { egress_allow: ["127.0.0.1"] }, key);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("FORBIDDEN");
    for (const bad of [["127.0.0.1:99999"], ["not a host"], ["10.0.0.0/33"], "x", [3]]) {
      const r = await patch(appA, { egress_allow: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect(
      ((await (await t.admin(`/api/apps/${appA}`)).json()) as { egress_allow: string[] })
        .egress_allow,
    ).toEqual([]);
  });
});
