import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers.js";

/** Tries one forbidden thing and answers what happened. */
const PROBE = `
Deno.serve(async (req) => {
  const { op, arg } = await req.json();
  try {
    let value = null;
    switch (op) {
      case "whoami": value = Deno.env.get("TMPDIR"); break;
      case "read": value = (await Deno.readTextFile(arg)).length; break;
      case "own": value = (await Deno.readTextFile(new URL(import.meta.url))).length; break;
      case "meta": value = import.meta.url; break;
      case "relative": value = (await Deno.readTextFile(arg)).length; break;
      case "write-own": await Deno.writeTextFile(new URL(import.meta.url), "// replaced"); break;
      case "list": value = [...Deno.readDirSync(arg)].length; break;
      case "spawn": await new Deno.Command(arg).output(); break;
      case "kill": Deno.kill(arg, "SIGTERM"); break;
      case "sys": value = Deno.hostname(); break;
      case "ffi": Deno.dlopen("libc.so.6", {}); break;
      case "env": value = Deno.env.get(arg) ?? null; break;
      case "env-all": value = Object.keys(Deno.env.toObject()); break;
      case "connect": (await Deno.connect({ transport: "unix", path: arg })).close(); break;
    }
    return Response.json({ ok: true, value });
  } catch (e) {
    return Response.json({ ok: false, error: e.name, message: String(e.message) });
  }
});
`;

const PERMISSION_ERROR = /^(NotCapable|PermissionDenied)$/;

let t: TestServer;
let appA: string;
let appB: string;
let otherFile: string;

interface ProbeAnswer {
  ok: boolean;
  value?: unknown;
  error?: string;
  message?: string;
}

const probe = async (op: string, arg?: unknown): Promise<ProbeAnswer> => {
  const res = await t.invoke(appA, "probe", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ op, arg }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ProbeAnswer;
};

const expectDenied = (a: ProbeAnswer) => {
  expect(a.ok, JSON.stringify(a)).toBe(false);
  expect(a.error).toMatch(PERMISSION_ERROR);
};

beforeAll(async () => {
  process.env.ISOLATION_SENTINEL = "server-only";
  t = await startTestServer();
  appA = await t.createApp("probe");
  appB = await t.createApp("victim");
  await t.deploy(appA, "probe", PROBE);
  const { deployment_id } = await t.deploy(appB, "hidden", "Deno.serve(() => new Response('b'));");
  await t.admin(`/api/apps/${appB}/secrets`, {
    method: "POST",
    body: JSON.stringify({ B_SECRET: "b-only" }),
  });
  expect(await (await t.invoke(appB, "hidden")).text()).toBe("b");
  otherFile = join(
    t.dataDir,
    "deployments",
    appB,
    deployment_id,
    "functions",
    "hidden",
    "entry.ts",
  );
}, 120_000);
afterAll(async () => {
  delete process.env.ISOLATION_SENTINEL;
  await t?.close();
});

describe("a function", () => {
  it("reads its own deployment files", async () => {
    expect(await probe("own")).toMatchObject({ ok: true });
  });

  it("reads its own files relative to its working directory, the deployment's root", async () => {
    expect(await probe("relative", "functions/probe/entry.ts")).toMatchObject({ ok: true });
  });

  it("cannot change its own deployment's files", async () => {
    expectDenied(await probe("write-own"));
    expect(await probe("own")).toMatchObject({ ok: true, value: PROBE.length });
  });

  it("reaches its code through its own lane only, not another instance's", async () => {
    const own = new URL((await probe("meta")).value as string).pathname;
    expect(own.startsWith(`${join(t.dataDir, "code-links")}/`)).toBe(true);
    // Lanes live in a folder of this start of the server: code-links/<start>/<lane>.
    const links = dirname(own.slice(0, own.indexOf("/functions/")));
    expectDenied(await probe("list", links));
    expectDenied(await probe("list", join(t.dataDir, "code-links")));
    const lanes = (await readdir(links)).map((l) => join(links, l));
    const others = lanes.filter((l) => !own.startsWith(`${l}/`));
    // The victim's instance runs, so its lane links to its deployment.
    const victim = others.filter((l) => existsSync(join(l, "functions", "hidden", "entry.ts")));
    expect(victim).toHaveLength(1);
    for (const lane of others)
      expectDenied(await probe("read", join(lane, "functions", "hidden", "entry.ts")));
  });

  it("cannot read another app's deployment files", async () => {
    expect(existsSync(otherFile)).toBe(true);
    expectDenied(await probe("read", otherFile));
  });

  it("cannot read the server's database file", async () => {
    const db = join(t.dataDir, "fnbase.db");
    expect(existsSync(db)).toBe(true);
    expectDenied(await probe("read", db));
  });

  it("cannot read the master key file", async () => {
    const key = join(t.dataDir, "master.key");
    expect(existsSync(key)).toBe(true);
    expectDenied(await probe("read", key));
  });

  it("cannot spawn a process", async () => {
    expect(existsSync("/bin/sh")).toBe(true);
    expectDenied(await probe("spawn", "/bin/sh"));
    expectDenied(await probe("spawn", process.execPath));
  });

  it("cannot signal the server", async () => {
    expectDenied(await probe("kill", process.pid));
  });

  it("cannot read system information or load native code", async () => {
    expectDenied(await probe("sys"));
    expectDenied(await probe("ffi"));
  });

  it("cannot read the server's environment or another app's secrets", async () => {
    expect(await probe("env", "ISOLATION_SENTINEL")).toEqual({ ok: true, value: null });
    expect(await probe("env", "B_SECRET")).toEqual({ ok: true, value: null });
    const all = (await probe("env-all")).value as string[];
    expect(all).not.toContain("ISOLATION_SENTINEL");
    expect(all).not.toContain("FNBASE_MASTER_KEY");
  });

  it("cannot reach another instance's socket, which refuses requests without its key", async () => {
    // TMPDIR is the instance's writable folder, inside its own folder.
    const own = dirname((await probe("whoami")).value as string);
    const dirs = await readdir(join(t.dataDir, "instances"));
    const sockets = dirs
      .map((d) => join(t.dataDir, "instances", d, "http.sock"))
      .filter((s) => existsSync(s) && !s.startsWith(`${own}/`));
    expect(sockets.length).toBeGreaterThan(0);
    for (const socket of sockets) {
      expectDenied(await probe("connect", socket));
      const pool = new Pool("http://localhost", { socketPath: socket });
      try {
        const res = await pool.request({ path: "/", method: "GET" });
        expect(res.statusCode).toBe(403);
        expect(await res.body.json()).toMatchObject({ code: "FORBIDDEN" });
      } finally {
        await pool.close();
      }
    }
  });
});
