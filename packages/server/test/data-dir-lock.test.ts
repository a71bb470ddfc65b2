// One server per data dir, and a start that fails keeps nothing a later start would miss. Found
// by a newcomer trial (2026-12-01): a second `npm start` in one project killed the first's
// instances as "leftovers of an earlier start" and replaced its internal socket (the first then
// answered UPSTREAM_ERROR to every call), and a first `fnbase server` whose port was taken kept
// an admin key it never printed.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FnbaseError } from "@fnbase/shared";
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../src/data-dir-lock.js";
import { startServer } from "../src/index.js";
import { ECHO } from "./helpers.js";

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "fnbase-test-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const KEY = "b44k_data-dir-test-key-0123456789";

/** The server's answer to one call of `echo` in a new app (201 app, 200 call). */
async function callsEcho(url: string, appId: string): Promise<number> {
  const res = await fetch(`${url}/api/apps/${appId}/functions/echo`, { method: "POST" });
  await res.text();
  return res.status;
}

describe("the data dir lock", () => {
  it("refuses a second server while the first runs, and the first keeps serving", async () => {
    const dir = await dataDir();
    const first = await startServer({ port: 0, dataDir: dir, adminKey: KEY });
    try {
      const app = await first.createApp("one");
      await first.deploy(app.id, "echo", {
        entry: "entry.ts",
        files: [{ path: "entry.ts", content: ECHO }],
      });
      expect(await callsEcho(first.url, app.id)).toBe(200);
      const second = startServer({ port: 0, dataDir: dir, adminKey: KEY });
      const err = await second.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FnbaseError);
      expect((err as FnbaseError).code).toBe("DATA_DIR_IN_USE");
      expect((err as FnbaseError).message).toContain(`(pid ${process.pid})`);
      expect((err as FnbaseError).hint).toMatch(/--data/);
      // The first's instance, socket and store are untouched.
      expect(await callsEcho(first.url, app.id)).toBe(200);
      expect((await readFile(join(dir, LOCK_FILE), "utf8")).trim()).toBe(String(process.pid));
    } finally {
      await first.close();
    }
    // Closed: the lock is gone, and the next server takes the dir.
    await expect(readFile(join(dir, LOCK_FILE), "utf8")).rejects.toThrow(/ENOENT/);
    const next = await startServer({ port: 0, dataDir: dir, adminKey: KEY });
    await next.close();
  });

  it("takes over the lock of a server that is gone (SIGKILLed)", async () => {
    const dir = await dataDir();
    const gone = spawn(process.execPath, ["-e", ""]);
    const pid = gone.pid;
    await new Promise((r) => gone.once("exit", r));
    await writeFile(join(dir, LOCK_FILE), `${pid}\n`);
    const server = await startServer({ port: 0, dataDir: dir, adminKey: KEY });
    try {
      expect((await readFile(join(dir, LOCK_FILE), "utf8")).trim()).toBe(String(process.pid));
    } finally {
      await server.close();
    }
  });

  it("keeps no admin key from a start that failed: the next start makes one and prints it", async () => {
    const dir = await dataDir();
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const err = await startServer({ port, host: "127.0.0.1", dataDir: dir }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as Error).message).toMatch(/already in use/);
    } finally {
      await new Promise((r) => taken.close(r));
    }
    // The failed start released the dir too.
    const server = await startServer({ port: 0, dataDir: dir });
    try {
      expect(server.adminKeyGenerated).toBe(true);
      const key = server.adminKey ?? "";
      expect(key).toMatch(/^b44k_/);
      const res = await fetch(`${server.url}/api/apps`, { headers: { api_key: key } });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
    // Kept once it served: the start after prints none, and the key still works.
    const again = await startServer({ port: 0, dataDir: dir });
    try {
      expect(again.adminKeyGenerated).toBe(false);
    } finally {
      await again.close();
    }
  });
});
