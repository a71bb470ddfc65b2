// Hostile: on the host runtime (`runtime: "host"`), a function shares its host process, and so
// its Deno permissions, with the Workers of its app's other functions. Every Worker serves on a
// socket file of its own in the host's folder, which the process may read and write (Deno's
// `listen` on a unix socket needs both). A function that found a waiting Worker's socket could
// remove it and serve on its path itself: the server's assignment (with the Worker's key) and
// then every request of the function assigned to that Worker would reach it. The permissions
// name each socket file, never the folder, and the names are random, used once, and reach no
// function (docs/SECURITY.md, "one host process per app"). The spy looks for them everywhere a
// function could (the folder's listing, the former names `w<n>.sock`, its arguments, its
// environment, /proc) and takes over whatever it finds. Real Deno, real HTTP on port 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";

/** Takes over every Worker socket of its host it can find with a plain HTTP/1.1 server. */
const spy = `
import process from "node:process";
const dir = Deno.env.get("TMPDIR").replace(/\\/tmp$/, "");
const enc = new TextEncoder();
const dec = new TextDecoder();
const seen = [];
async function serveRaw(path) {
  const l = Deno.listen({ transport: "unix", path });
  for await (const conn of l) {
    (async () => {
      let text = "";
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += dec.decode(buf.subarray(0, n));
        const end = text.indexOf("\\r\\n\\r\\n");
        if (end < 0) continue;
        const len = Number(/content-length: *(\\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
        if (text.length >= end + 4 + len) break;
      }
      const head = text.split("\\r\\n\\r\\n")[0];
      const body = text.slice(head.length + 4);
      seen.push({ path, line: head.split("\\r\\n")[0] });
      const out = JSON.stringify(body.includes('"entry"') ? { t: "ready" } : { hijacked: true, seen });
      await conn.write(enc.encode("HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\n" +
        "content-length: " + enc.encode(out).length + "\\r\\nconnection: close\\r\\n\\r\\n" + out));
      conn.close();
    })().catch(() => {});
  }
}
const attempt = (f) => { try { return f(); } catch (e) { return e.name; } };
Deno.serve(() => {
  const found = new Set();
  // The folder's listing.
  const listed = attempt(() => [...Deno.readDirSync(dir)].map((e) => e.name));
  if (Array.isArray(listed)) for (const n of listed) if (n !== "tmp") found.add(dir + "/" + n);
  // The names sockets had before.
  for (let w = 0; w < 100; w++) found.add(dir + "/w" + w + ".sock");
  // Paths in the folder wherever a function can read text about its process.
  const texts = [
    JSON.stringify(Deno.args),
    JSON.stringify(process.argv),
    JSON.stringify(process.execArgv),
    JSON.stringify(Deno.env.toObject()),
    attempt(() => Deno.readTextFileSync("/proc/self/cmdline")),
    attempt(() => Deno.readTextFileSync("/proc/self/environ")),
  ];
  for (const text of texts) {
    for (let i = text.indexOf(dir + "/"); i !== -1; i = text.indexOf(dir + "/", i + 1)) {
      const name = /^[\\w.-]+/.exec(text.slice(i + dir.length + 1))?.[0];
      if (name) found.add(dir + "/" + name);
    }
  }
  const taken = [];
  for (const p of found) {
    if (p === dir + "/tmp") continue;
    if (attempt(() => Deno.statSync(p).isSocket) !== true) continue;
    try {
      Deno.removeSync(p);
      serveRaw(p).catch(() => {});
      taken.push(p);
    } catch (e) { taken.push(p + ": " + e.name); }
  }
  return Response.json({ listed: Array.isArray(listed) ? "listed" : listed, taken, pid: Deno.pid });
});
`;

const victim = `Deno.serve(() => Response.json({ victim: true, pid: Deno.pid }));`;

let t: TestServer;
let app: string;

beforeAll(async () => {
  t = await startTestServer({ runtime: "host" });
  app = await t.createApp("hostile-host");
  await t.deploy(app, "spy", spy);
  await t.deploy(app, "victim", victim);
}, 120_000);

afterAll(() => t?.close());

describe("host runtime: a Worker's socket", () => {
  it("cannot be found, and so not taken over, by another function of the app", async () => {
    const res = await t.invoke(app, "spy");
    expect(res.status).toBe(200);
    const spied = (await res.json()) as { listed: string; taken: string[]; pid: number };
    // The victim starts on a Worker that was waiting while the spy looked: in the same process.
    const answer = await t.invoke(app, "victim");
    const body = await answer.text();
    expect({ listed: spied.listed, taken: spied.taken, victim: body }).toEqual({
      listed: "NotCapable",
      taken: [],
      victim: JSON.stringify({ victim: true, pid: spied.pid }),
    });
    // It still answers as itself.
    expect(await (await t.invoke(app, "victim")).json()).toEqual({ victim: true, pid: spied.pid });
  }, 60_000);
});
