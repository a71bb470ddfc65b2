import { existsSync } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
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
      case "cwd": value = Deno.cwd(); break;
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
/**
 * The server's runtime (`FNBASE_RUNTIME`): on the host runtime, an app's functions are Workers
 * of one process of that app, with one working directory, one lane (a Worker's lane inside it)
 * and sockets of random names in the host's folder (docs/ARCHITECTURE.md, The host runtime).
 */
let host: boolean;
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
  host = t.server.options.runtime === "host";
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
    expect(await probe("relative", "functions/probe/entry.ts")).toEqual({
      ok: true,
      value: PROBE.length,
    });
    // Inside the code links (its lane; on the host runtime, its host's), not the deployment's
    // own folder, which it may not read.
    const cwd = (await probe("cwd")).value as string;
    expect(cwd.startsWith(`${join(t.dataDir, "code-links")}/`)).toBe(true);
  });

  it("reads a redeployed function's new files relative to its working directory", async () => {
    // Its deployment holds a file of the project outside its folder, and one in the probe's.
    const rel = (tag: string) => ({
      entry: "entry.ts",
      files: [
        {
          path: "entry.ts",
          content: `// ${tag}\nDeno.serve(async () => Response.json({
  own: (await Deno.readTextFile("functions/rel/entry.ts")).length,
  shared: await Deno.readTextFile("shared/note.txt"),
}));\n`,
        },
        { path: "../../shared/note.txt", content: tag },
        { path: "../probe/entry.ts", content: `// not the probe: ${tag}` },
      ],
    });
    const v1 = rel("one");
    const v2 = rel("the second version");
    await t.deploy(appA, "rel", v1);
    expect(await (await t.invoke(appA, "rel")).json()).toEqual({
      own: v1.files[0]?.content.length,
      shared: "one",
    });
    await t.deploy(appA, "rel", v2);
    expect(await (await t.invoke(appA, "rel")).json()).toEqual({
      own: v2.files[0]?.content.length,
      shared: "the second version",
    });
    // Its own folder stays its own deployment's on both runtimes.
    expect(await probe("relative", "functions/probe/entry.ts")).toEqual({
      ok: true,
      value: PROBE.length,
    });
    // A sibling's code: the host runtime's functions of one app share a working directory
    // (docs/SECURITY.md, one host process per app); a process's holds its own deployment only.
    const sibling = await probe("relative", "functions/rel/entry.ts");
    if (host) expect(sibling).toEqual({ ok: true, value: v2.files[0]?.content.length });
    else expect(sibling).toMatchObject({ ok: false, error: "NotFound" });
  });

  it("cannot change its own deployment's files", async () => {
    expectDenied(await probe("write-own"));
    expect(await probe("own")).toMatchObject({ ok: true, value: PROBE.length });
  });

  it("reaches its code through its own lane only, not another instance's (another app's)", async () => {
    const own = new URL((await probe("meta")).value as string).pathname;
    const codeLinks = join(t.dataDir, "code-links");
    expect(own.startsWith(`${codeLinks}/`)).toBe(true);
    // Lanes live in a folder of this start of the server: code-links/<start>/<lane>. On the host
    // runtime a lane is a host's (one per app), holding a lane per Worker (<lane>/<w>) and the
    // host's working directory (<lane>/app): its app's functions may read each other's code.
    const codeLane = own.slice(0, own.indexOf("/functions/"));
    const ownLane = host ? dirname(codeLane) : codeLane;
    const links = dirname(ownLane);
    expect(dirname(links)).toBe(codeLinks);
    expectDenied(await probe("list", links));
    expectDenied(await probe("list", codeLinks));
    const lanes = (await readdir(links)).map((l) => join(links, l));
    const others = lanes.filter((l) => l !== ownLane);
    // Where another lane links to a function's code: the lane itself, or each folder in it.
    const codeIn = async (lane: string): Promise<string[]> =>
      host ? (await readdir(lane)).map((d) => join(lane, d)) : [lane];
    // The victim's instance runs, so its lane links to its deployment.
    const hidden = (dir: string) => join(dir, "functions", "hidden", "entry.ts");
    const victim: string[] = [];
    for (const lane of others) {
      if ((await codeIn(lane)).some((d) => existsSync(hidden(d)))) victim.push(lane);
    }
    expect(victim).toHaveLength(1);
    for (const lane of others) {
      expectDenied(await probe("read", hidden(lane)));
      for (const dir of await codeIn(lane)) expectDenied(await probe("read", hidden(dir)));
    }
    if (host) {
      // On the host runtime, the victim's host's Workers and its working directory.
      const dirs = await codeIn(victim[0] as string);
      expect(dirs.filter((d) => existsSync(hidden(d))).length).toBeGreaterThanOrEqual(2);
      expect(dirs).toContain(join(victim[0] as string, "app"));
    }
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
    // TMPDIR is the instance's writable folder, inside its own folder (a host's on the host
    // runtime, shared by its app's functions).
    const own = dirname((await probe("whoami")).value as string);
    const instances = join(t.dataDir, "instances");
    const dirs = (await readdir(instances)).map((d) => join(instances, d));
    // A process serves on <folder>/http.sock; a host's Workers on sockets of random names in
    // its folder, its egress proxy on `e-<name>` (docs/SECURITY.md, one host process per app).
    const socketsIn = async (dir: string): Promise<string[]> => {
      if (!host) return [join(dir, "http.sock")].filter((s) => existsSync(s));
      const names = await readdir(dir).catch(() => [] as string[]);
      const found: string[] = [];
      for (const name of names) {
        const st = await lstat(join(dir, name)).catch(() => undefined);
        if (st?.isSocket()) found.push(join(dir, name));
      }
      return found;
    };
    const sockets: string[] = [];
    for (const dir of dirs) if (dir !== own) sockets.push(...(await socketsIn(dir)));
    expect(sockets.length).toBeGreaterThan(0);
    for (const socket of sockets) expectDenied(await probe("connect", socket));
    // Whoever reaches a function's socket is refused without its key; on the host runtime,
    // its siblings' too (their names are out of its reach: hostile/host-worker-socket.test.ts).
    const served = [...sockets, ...(host ? await socketsIn(own) : [])].filter(
      (s) => !s.split("/").at(-1)?.startsWith("e-"),
    );
    let answered = 0;
    for (const socket of served) {
      const pool = new Pool("http://localhost", { socketPath: socket });
      try {
        const res = await pool.request({ path: "/", method: "GET" });
        expect(res.statusCode).toBe(403);
        expect(await res.body.json()).toMatchObject({ code: "FORBIDDEN" });
        answered++;
      } catch (e) {
        // A host ends the Workers it no longer needs (a replaced deployment's, those booted
        // ahead beyond one once it is quiet): their sockets go with them.
        const code = (e as { code?: string }).code;
        if (!host || (code !== "ENOENT" && code !== "ECONNREFUSED" && code !== "EPIPE")) throw e;
      } finally {
        await pool.close();
      }
    }
    expect(answered).toBeGreaterThan(0);
  });
});
