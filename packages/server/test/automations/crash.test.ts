/**
 * A crash between an entity write and its delivery loses nothing: the server runs in a
 * process of its own (`server-process.ts`, on the TypeScript source through vite-node, the
 * runner vitest itself uses), its runs are held mid-delivery by the collector, the process is
 * killed with SIGKILL, and a new one on the same data dir delivers every event, each record's
 * in order.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN_KEY } from "../helpers.js";
import { type Collector, collectorEgress, reporter, startCollector } from "./automation-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../../..");
const VITE_NODE = join(
  dirname(createRequire(import.meta.url).resolve("vite-node/package.json")),
  "vite-node.mjs",
);

let dir: string;
let col: Collector;
const children: ChildProcess[] = [];

/** Starts the server process on `dir`; answers its URL and the process. */
async function serve(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      VITE_NODE,
      "--config",
      join(root, "vitest.config.ts"),
      join(here, "server-process.ts"),
      JSON.stringify({ dataDir: dir, adminKey: ADMIN_KEY }),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`The server process exited (${code})`)));
  });
  return { url, child };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fnbase-crash-"));
  col = await startCollector();
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await col?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("events written before a SIGKILL are all delivered by the next process, in order per record", async () => {
  const first = await serve();
  const admin = (url: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { api_key: ADMIN_KEY, "content-type": "application/json" },
    });
  const json = async (res: Response) => {
    const text = await res.text();
    expect(res.status, text).toBeLessThan(300);
    return JSON.parse(text);
  };
  const { id: appId } = await json(
    await admin(first.url, "/api/apps", {
      method: "POST",
      body: JSON.stringify({ name: "crash" }),
    }),
  );
  await json(
    await admin(first.url, `/api/apps/${appId}/entity-schemas`, {
      method: "PUT",
      body: JSON.stringify({
        entityNameToSchema: {
          Task: { name: "Task", type: "object", properties: { n: { type: "number" } } },
        },
      }),
    }),
  );
  await json(
    await admin(first.url, `/api/apps/${appId}`, {
      method: "PATCH",
      body: JSON.stringify(collectorEgress(col)),
    }),
  );
  await json(
    await admin(first.url, `/api/apps/${appId}/backend-functions/onTask`, {
      method: "PUT",
      body: JSON.stringify({
        entry: "entry.ts",
        files: [{ path: "entry.ts", content: reporter(col.url) }],
        automations: [
          { name: "t", type: "entity", entity_name: "Task", event_types: ["create", "update"] },
        ],
      }),
    }),
  );

  // Every delivery is held: each record's create starts; record 0's updates wait in the store
  // behind its create.
  col.hold = true;
  const records = (await json(
    await admin(first.url, `/api/apps/${appId}/entities/Task/bulk`, {
      method: "POST",
      body: JSON.stringify(Array.from({ length: 10 }, () => ({ n: 0 }))),
    }),
  )) as { id: string }[];
  const r0 = records[0]!.id;
  for (const n of [1, 2, 3]) {
    await json(
      await admin(first.url, `/api/apps/${appId}/entities/Task/${r0}`, {
        method: "PUT",
        body: JSON.stringify({ n }),
      }),
    );
  }
  await col.until(10);
  const runs = async (url: string) =>
    (
      (await json(await admin(url, `/api/apps/${appId}/automations/runs?limit=100`))) as {
        runs: { status: string; attempts: number; event: { entity_id: string } }[];
      }
    ).runs;
  const held = await runs(first.url);
  expect(held.filter((r) => r.status === "running")).toHaveLength(10);
  expect(held.filter((r) => r.status === "queued")).toHaveLength(3);

  first.child.kill("SIGKILL");
  await new Promise((resolve) => first.child.once("exit", resolve));
  col.hold = false;
  col.release();
  const before = col.received.length;

  const second = await serve();
  await col.until(before + 13, 30_000);
  const after = col.received.slice(before).map((r) => (r.body as { body: Delivered }).body);
  // Each of the 10 records' create arrived, and record 0's updates after it, in order.
  expect(
    new Set(after.filter((d) => d.event.type === "create").map((d) => d.event.entity_id)),
  ).toEqual(new Set(records.map((r) => r.id)));
  expect(
    after.filter((d) => d.event.entity_id === r0).map((d) => [d.event.type, d.data.n]),
  ).toEqual([
    ["create", 0],
    ["update", 1],
    ["update", 2],
    ["update", 3],
  ]);
  // Wait for the runs to be recorded: those that were running count a second attempt.
  let done = await runs(second.url);
  for (let i = 0; i < 100 && done.some((r) => r.status !== "succeeded"); i++) {
    await new Promise((r) => setTimeout(r, 50));
    done = await runs(second.url);
  }
  expect(done.map((r) => r.status)).toEqual(Array(13).fill("succeeded"));
  expect(done.filter((r) => r.attempts === 2)).toHaveLength(10);
  second.child.kill("SIGKILL");
}, 90_000);

interface Delivered {
  event: { type: string; entity_id: string };
  data: { n: number };
}
