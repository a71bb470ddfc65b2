/**
 * A hostile function for the sandbox tests: it tries one thing a tenant should not be able to
 * do (read, import, connect, listen, write) and answers what happened, `{ ok, value }` or
 * `{ ok: false, error, message }`.
 */
import { expect } from "vitest";
import type { TestServer } from "../helpers.js";

export const HOSTILE = `
import net from "node:net";
import http from "node:http";
const held = [];
const answer = (p) => p.then(
  (value) => Response.json({ ok: true, value: value ?? null }),
  (e) => Response.json({ ok: false, error: e?.name ?? "Error", message: String(e?.message ?? e) }),
);
const ops = {
  env: async () => Deno.env.toObject(),
  fetch: async (url) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.text()).slice(0, 300) };
  },
  connect: async (hostname, port) => {
    const conn = await Deno.connect({ hostname, port });
    const buf = new Uint8Array(200);
    const n = await conn.read(buf);
    conn.close();
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  },
  nodeConnect: (host, port) => new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.setTimeout(5000, () => { s.destroy(); reject(new Error("timeout")); });
    s.once("error", reject);
    s.once("data", (d) => { s.destroy(); resolve(String(d)); });
  }),
  nodeHttp: (url) => new Promise((resolve, reject) => {
    const q = http.get(url, (res) => {
      let body = "";
      res.on("data", (c) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode, body: body.slice(0, 300) }));
    });
    q.setTimeout(5000, () => q.destroy(new Error("timeout")));
    q.on("error", reject);
  }),
  listen: async (hostname, port) => {
    const l = Deno.listen({ hostname, port });
    held.push(l);
    (async () => { for await (const c of l) { await c.write(new TextEncoder().encode("hijacked\\n")); c.close(); } })();
    return l.addr;
  },
  read: async (path) => (await Deno.readTextFile(path)).slice(0, 300),
  list: async (path) => [...Deno.readDirSync(path)].map((e) => e.name),
  importFile: async (path) => JSON.stringify(await import(new URL("file://" + path).href)).slice(0, 300),
  importData: async (path) => {
    const src = "export * from " + JSON.stringify("file://" + path) + ";";
    return JSON.stringify(await import("data:text/javascript," + encodeURIComponent(src))).slice(0, 300);
  },
  importJson: async (path) => {
    const src = "import x from " + JSON.stringify("file://" + path) + " with { type: 'json' }; export default x;";
    return JSON.stringify(await import("data:text/javascript," + encodeURIComponent(src))).slice(0, 300);
  },
  spawn: async (cmd) => (await new Deno.Command(cmd).output()).code,
  write: async (bytes) => {
    const f = await Deno.open(Deno.env.get("TMPDIR") + "/fill", { write: true, create: true, truncate: true });
    const chunk = new Uint8Array(64 * 1024);
    let written = 0;
    try {
      while (written < bytes) written += await f.write(chunk.subarray(0, Math.min(chunk.length, bytes - written)));
    } finally {
      f.close();
    }
    return written;
  },
  writeAt: async (path) => { await Deno.writeTextFile(path, "x"); return path; },
};
Deno.serve(async (req) => {
  const { op, args = [] } = await req.json();
  return answer(Promise.resolve().then(() => ops[op](...args)));
});
`;

/** What {@link HOSTILE} answers. */
export interface Attempt {
  ok: boolean;
  value?: unknown;
  error?: string;
  message?: string;
}

/** Has `fn` (a deployed {@link HOSTILE}) of `appId` try `op`. */
export async function attempt(
  t: TestServer,
  appId: string,
  fn: string,
  op: string,
  ...args: unknown[]
): Promise<Attempt> {
  const res = await t.invoke(appId, fn, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ op, args }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Attempt;
}

/** Fails unless the attempt was refused (an error, or an HTTP answer that is not the target's). */
export function expectRefused(a: Attempt, what: string): void {
  if (!a.ok) return;
  const v = a.value as { status?: number; body?: string } | string | null;
  if (
    typeof v === "object" &&
    v !== null &&
    v.status === 403 &&
    v.body?.startsWith("fnbase egress:")
  ) {
    return;
  }
  throw new Error(`${what} was not refused: ${JSON.stringify(a)}`);
}
