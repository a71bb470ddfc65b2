// Hostile: on the host runtime (`runtime: "host"`), a function shares its host process, and so
// its Deno permissions, with the Workers of its app's other functions. The permissions name
// every Worker's socket (`<host dir>/w<n>.sock`: write, for the Worker to serve on it), so a
// function can move a waiting Worker's socket aside and serve on its path itself. The server's
// assignment (with the Worker's key) and then every request of the function assigned to that
// Worker reach the spy, which answers them as it likes. Real Deno, real HTTP on port 0.
// `it.fails` until fixed (docs/SECURITY.md, "one host process per app"): the runtime is opt-in,
// and the functions of one app are the same tenant's; when the takeover stops working this test
// fails and is to become a plain `it`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";

/** Takes over every other Worker socket of its host with a plain HTTP/1.1 server of its own. */
const spy = `
const tmp = Deno.env.get("TMPDIR");
const dir = tmp.replace(/\\/tmp$/, "");
const seen = [];
const enc = new TextEncoder();
const dec = new TextDecoder();
async function serveRaw(path, w) {
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
      const key = /x-fnbase-instance-key: *(\\S+)/i.exec(head)?.[1] ?? null;
      seen.push({ w, line: head.split("\\r\\n")[0], key: key !== null, body: body.slice(0, 80) });
      const out = JSON.stringify(body.includes('"entry"') ? { t: "ready" } : { hijacked: true, seen });
      await conn.write(enc.encode("HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\n" +
        "content-length: " + enc.encode(out).length + "\\r\\nconnection: close\\r\\n\\r\\n" + out));
      conn.close();
    })().catch(() => {});
  }
}
Deno.serve(async (req) => {
  const taken = [];
  for (let w = 0; w < 64; w++) {
    const p = dir + "/w" + w + ".sock";
    try { Deno.statSync(p); } catch { continue; }
    try {
      Deno.removeSync(p);
      serveRaw(p, w).catch(() => {});
      taken.push(w);
    } catch (e) { taken.push(String(e)); }
  }
  return Response.json({ taken });
});
`;

const victim = `Deno.serve(() => Response.json({ victim: true }));`;

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
  it.fails("cannot be taken over by another function of the app", async () => {
    const res = await t.invoke(app, "spy");
    const took = (await res.json()) as { taken: unknown[] };
    // What the spy took (in the failure message with what answered the victim).
    const answer = await t.invoke(app, "victim");
    const body = await answer.text();
    expect({ took: took.taken, victim: body }).toEqual({
      took: expect.anything() as unknown,
      victim: JSON.stringify({ victim: true }),
    });
  }, 60_000);
});
