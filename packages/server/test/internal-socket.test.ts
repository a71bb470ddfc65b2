/**
 * Node's internal socket, where the front passes what it cannot answer itself, is out of every
 * function's reach: a unix socket (mode 0600, in a folder of mode 0700) outside every instance's
 * Deno permissions, and Node listens on no TCP port at all.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

/** Tries every way a function has to reach a unix socket; answers how each attempt ended. */
const PROBE = `
import net from "node:net";
import http from "node:http";
Deno.serve(async (req) => {
  const path = new URL(req.url).searchParams.get("path");
  const attempts = {
    "Deno.connect": async () => { (await Deno.connect({ transport: "unix", path })).close(); return "connected"; },
    "node:net": () => new Promise((resolve, reject) => {
      const s = net.connect({ path }, () => { s.destroy(); resolve("connected"); });
      s.on("error", reject);
    }),
    "node:http": () => new Promise((resolve, reject) => {
      const r = http.request({ socketPath: path, path: "/api/apps" }, (res) => resolve("status " + res.statusCode));
      r.on("error", reject);
      r.end();
    }),
    "fetch through a unix proxy": async () => {
      const client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
      return "status " + (await fetch("http://x/api/apps", { client })).status;
    },
    "a symlink to it": async () => { await Deno.symlink(path, "./node.sock"); return "linked"; },
    "a hard link to it": async () => { await Deno.link(path, "./node.sock"); return "linked"; },
  };
  const out = {};
  for (const [name, attempt] of Object.entries(attempts)) {
    try { out[name] = await attempt(); } catch (e) { out[name] = e.name; }
  }
  return Response.json(out);
});`;

let t: TestServer;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = await t.createApp("probe");
  await t.deploy(appId, "probe", PROBE);
}, 60_000);
afterAll(() => t?.close());

/** Inodes of the TCP sockets this process listens on (state 0A in /proc/net/tcp and tcp6). */
function listeningTcpInodes(): Set<string> {
  const listening = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A" && f[9] !== undefined) listening.add(f[9]);
    }
  }
  const mine = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m && listening.has(m[1]!)) mine.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return mine;
}

describe("Node's internal socket", () => {
  it("is a unix socket only the server's user may open, and Node listens on no TCP port", () => {
    const path = t.server.internalSocket;
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect([...listeningTcpInodes()]).toEqual([]);
  });

  it("cannot be reached by a function, by any means it has", async () => {
    const path = encodeURIComponent(t.server.internalSocket);
    const res = await t.invoke(appId, `probe?path=${path}`);
    expect(await res.json()).toEqual({
      "Deno.connect": "NotCapable",
      "node:net": "NotCapable",
      "node:http": "NotCapable",
      "fetch through a unix proxy": "NotCapable",
      "a symlink to it": "NotCapable",
      "a hard link to it": "NotCapable",
    });
  });
});
