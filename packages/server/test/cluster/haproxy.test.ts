/**
 * docs/SCALE-OUT.md, run as written: its `scale-out` blocks (the shell commands and the HAProxy
 * configuration) start three `fnbase server` processes on one PostgreSQL database and HAProxy
 * from Debian's package in front of them, with free ports and temporary folders in place of
 * 4400-4403 and `./node-*`. Then: deploy on node A and invoke through HAProxy (B and C answer),
 * a secret set on B seen by every node, a user registered on A logging in on C, realtime events
 * of writes on A and C reaching a subscriber connected through HAProxy, and node C killed with
 * SIGKILL under load: every write acknowledged is there, and HAProxy retried the rest.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createClient } from "@base44/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../postgres.js";

const ROOT = resolve(import.meta.dirname, "../../../..");
const CLI = join(ROOT, "packages/cli/bin/fnbase.js");

function haproxyPath(): string | undefined {
  try {
    return (
      execFileSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
const HAPROXY = haproxyPath();
if (!HAPROXY) {
  console.warn(
    "haproxy.test.ts skipped: haproxy is not installed (apt-get install haproxy; .ci/run does)",
  );
}
const enabled = HAPROXY !== undefined && (await postgresAvailable());

/** The `scale-out` blocks of the guide, by language. */
async function guideBlocks(): Promise<{ sh: string; haproxy: string }> {
  const doc = await readFile(join(ROOT, "docs/SCALE-OUT.md"), "utf8");
  const blocks = new Map(
    [...doc.matchAll(/```(\w+) scale-out\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]),
  );
  return { sh: blocks.get("sh")!, haproxy: blocks.get("haproxy")! };
}

/** `n` distinct free ports (all held until all are found). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((res) => {
          const s = createServer();
          s.listen(0, "127.0.0.1", () => res(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      if ((err as Error).message.includes(" exited with ")) throw err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!enabled)("three fnbase nodes behind HAProxy, as docs/SCALE-OUT.md says", () => {
  let db: TestDatabase;
  let dir: string;
  const env: Record<string, string> = {};
  const nodes = new Map<string, { port: number; proc: ChildProcess; url: string }>();
  let haproxy: ChildProcess;
  let lb = "";
  let appId = "";
  const admin = (base: string, path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: {
        api_key: env.FNBASE_ADMIN_KEY!,
        "content-type": "application/json",
        ...init.headers,
      },
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "fnbase-scale-out-"));
    const { sh, haproxy: cfg } = await guideBlocks();
    const free = await freePorts(4);
    const ports = new Map(["4400", "4401", "4402", "4403"].map((p, i) => [p, free[i]!]));
    for (const line of sh.split("\n")) {
      const exp = /^export (\w+)=(\S+)/.exec(line);
      if (exp) env[exp[1]!] = exp[2]!;
    }
    env.FNBASE_STORE = db.url;
    for (const line of sh.split("\n")) {
      const m = /^npx fnbase (server .*) &$/.exec(line);
      if (!m) continue;
      const args = m[1]!
        .split(/\s+/)
        .map((a) =>
          ports.has(a) ? String(ports.get(a)) : a.startsWith("./node-") ? join(dir, a.slice(2)) : a,
        );
      const name = args[args.indexOf("--node-id") + 1]!;
      const port = Number(args[args.indexOf("--port") + 1]);
      const proc = spawn(process.execPath, [CLI, ...args], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "ignore", "inherit"],
      });
      nodes.set(name, { port, proc, url: `http://127.0.0.1:${port}` });
    }
    expect([...nodes.keys()]).toEqual(["node-a", "node-b", "node-c"]);
    // Each 127.0.0.1:440x of the guide becomes that node's free port.
    const config = cfg.replace(
      /127\.0\.0\.1:(440\d)\b/g,
      (_m, p: string) => `127.0.0.1:${ports.get(p)}`,
    );
    const cfgFile = join(dir, "haproxy.cfg");
    await writeFile(cfgFile, config);
    const hap = /^haproxy (.*)$/m
      .exec(sh)![1]!
      .split(/\s+/)
      .map((a) => (a === "haproxy.cfg" ? cfgFile : a));
    for (const n of nodes.values()) {
      await until(
        `${n.url}/readyz`,
        async () => ((await fetch(`${n.url}/readyz`)).ok ? true : undefined),
        60_000,
      );
    }
    haproxy = spawn(HAPROXY!, hap, { stdio: ["ignore", "ignore", "ignore"] });
    lb = `http://127.0.0.1:${ports.get("4400")}`;
    // Every node is up in HAProxy once each has answered through it.
    const served = new Set<string>();
    await until("HAProxy to use every node", async () => {
      const res = await fetch(`${lb}/readyz`);
      if (res.ok) served.add(res.headers.get("x-served-by") ?? "");
      return served.size === 3 ? true : undefined;
    });
    const res = await admin(lb, "/api/apps", {
      method: "POST",
      body: JSON.stringify({ name: "scaled" }),
    });
    appId = ((await res.json()) as { id: string }).id;
  }, 120_000);

  afterAll(async () => {
    haproxy?.kill("SIGKILL");
    const exits = [...nodes.values()].map(
      (n) =>
        new Promise<void>((r) => {
          if (n.proc.exitCode !== null || n.proc.signalCode !== null) return r();
          n.proc.once("exit", () => r());
          n.proc.kill("SIGTERM");
          setTimeout(() => n.proc.kill("SIGKILL"), 15_000).unref();
        }),
    );
    await Promise.all(exits);
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const through = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${lb}${path}`, init);
    return { status: res.status, by: res.headers.get("x-served-by"), body: await res.text() };
  };

  it("serves through HAProxy on B and C what was deployed on A, and a secret set on B everywhere", async () => {
    const A = nodes.get("node-a")!.url;
    const B = nodes.get("node-b")!.url;
    const code = `Deno.serve(() => Response.json({ secret: Deno.env.get("TOKEN") ?? null }));`;
    const dep = await admin(A, `/api/apps/${appId}/backend-functions/hello`, {
      method: "PUT",
      body: JSON.stringify({ entry: "entry.ts", files: [{ path: "entry.ts", content: code }] }),
    });
    expect(dep.status, await dep.clone().text()).toBe(200);
    const calls = [];
    for (let i = 0; i < 6; i++)
      calls.push(await through(`/api/apps/${appId}/functions/hello`, { method: "POST" }));
    expect(calls.every((c) => c.status === 200 && c.body === '{"secret":null}')).toBe(true);
    expect(new Set(calls.map((c) => c.by))).toEqual(new Set(["node-a", "node-b", "node-c"]));

    const set = await admin(B, `/api/apps/${appId}/secrets`, {
      method: "POST",
      body: JSON.stringify({ TOKEN: "v2" }),
    });
    expect(set.status).toBe(200);
    for (let i = 0; i < 6; i++) {
      expect((await through(`/api/apps/${appId}/functions/hello`, { method: "POST" })).body).toBe(
        '{"secret":"v2"}',
      );
    }
  });

  it("logs in on C a user registered on A, and delivers realtime events of A's and C's writes through HAProxy", async () => {
    const A = nodes.get("node-a")!.url;
    const C = nodes.get("node-c")!.url;
    const body = JSON.stringify({ email: "ada@example.com", password: "correct horse battery" });
    const headers = { "content-type": "application/json" };
    expect(
      (await fetch(`${A}/api/apps/${appId}/auth/register`, { method: "POST", headers, body }))
        .status,
    ).toBe(201);
    expect(
      (await fetch(`${C}/api/apps/${appId}/auth/login`, { method: "POST", headers, body })).status,
    ).toBe(200);

    const push = await admin(A, `/api/apps/${appId}/entity-schemas`, {
      method: "PUT",
      body: JSON.stringify({
        entityNameToSchema: {
          Note: { name: "Note", type: "object", properties: { text: { type: "string" } } },
        },
      }),
    });
    expect(push.status).toBe(200);
    const client = createClient({ serverUrl: lb, appId, token: env.FNBASE_ADMIN_KEY! });
    const texts: string[] = [];
    const stop = client.entities.Note!.subscribe((ev) =>
      texts.push(String((ev as { data: { text: string } }).data.text)),
    );
    try {
      const write = (base: string, text: string) =>
        admin(base, `/api/apps/${appId}/entities/Note`, {
          method: "POST",
          body: JSON.stringify({ text }),
        });
      // Subscribed once probes written on A and on C arrive (the socket joins its room
      // asynchronously, and its node then tells the others it has a subscriber there).
      await until("the subscription", async () => {
        await write(A, "probe A");
        await write(C, "probe C");
        await new Promise((r) => setTimeout(r, 100));
        return texts.includes("probe A") && texts.includes("probe C") ? true : undefined;
      });
      await write(A, "from A");
      await write(C, "from C");
      await until(
        "both events",
        async () => (texts.includes("from A") && texts.includes("from C") ? true : undefined),
        10_000,
      );
    } finally {
      stop();
      client.cleanup();
    }
  });

  it("loses no acknowledged write when a node is killed under load: HAProxy retries the rest", async () => {
    const C = nodes.get("node-c")!;
    const ids: string[] = [];
    const failures: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const r = await through(`/api/apps/${appId}/entities/Note`, {
          method: "POST",
          headers: { api_key: env.FNBASE_ADMIN_KEY!, "content-type": "application/json" },
          body: JSON.stringify({ text: `w${w}-${i}` }),
        });
        if (r.status === 201) ids.push((JSON.parse(r.body) as { id: string }).id);
        else failures.push(`${r.status} ${r.body}`);
      }
    };
    const workers = [1, 2, 3, 4].map(worker);
    await new Promise((r) => setTimeout(r, 1_000));
    const before = ids.length;
    C.proc.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 2_500));
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(ids.length).toBeGreaterThan(before);
    // Every acknowledged record is in the database, read through the nodes left.
    const listed = await admin(lb, `/api/apps/${appId}/entities/Note?limit=100000`);
    const have = new Set(((await listed.json()) as { id: string }[]).map((r) => r.id));
    expect(ids.filter((id) => !have.has(id))).toEqual([]);
    // HAProxy took C out: the next requests are answered by A and B.
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await through("/readyz")).by);
    expect(after.every((b) => b === "node-a" || b === "node-b")).toBe(true);
  });
});
