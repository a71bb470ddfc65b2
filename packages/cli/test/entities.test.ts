/**
 * `fnbase entities push/pull/list` and the entity step of `fnbase deploy`, against a real
 * server through the wire the Base44 CLI uses (`PUT/GET /api/apps/{id}/entity-schemas`).
 */
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parse } from "jsonc-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  baseEnv,
  cli,
  cliJson,
  fnSource,
  startTestServer,
  type TestServer,
  tempDir,
  writeFiles,
} from "./helpers.js";

const BASE44 = createRequire(import.meta.url).resolve("base44/bin/run.js");

let t: TestServer;
const dirs: string[] = [];

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const TASK = `// A task, with access rules
{
  "name": "Task",
  "type": "object",
  "properties": {
    "title": { "type": "string", "description": "Task title" },
    "done": { "type": "boolean", "default": false },
  },
  "required": ["title"],
  "rls": { "read": true, "write": { "created_by_id": "{{user.id}}" } },
}
`;
const CART = JSON.stringify({
  name: "commerce.Cart",
  type: "object",
  properties: { total: { type: "number" } },
});

/** A fresh app and a project linked to it, holding `files`. */
async function project(files: Record<string, string>): Promise<{ dir: string; appId: string }> {
  const appId = (await t.server.createApp("entities")).id;
  const dir = await tempDir();
  dirs.push(dir);
  await writeFiles(dir, {
    "base44/config.jsonc": '{ "name": "entities-test" }',
    "base44/.app.jsonc": JSON.stringify({ id: appId }),
    ...files,
  });
  return { dir, appId };
}

const run = (dir: string, args: string[]) => cli(args, { cwd: dir, env: t.env() });
const runJson = <T = Record<string, unknown>>(dir: string, args: string[]) =>
  cliJson<T>(args, { cwd: dir, env: t.env() });

/** The app's schemas as the server lists them. */
async function schemas(appId: string): Promise<{ name: string }[]> {
  const res = await fetch(`${t.server.url}/api/apps/${appId}/entity-schemas`, {
    headers: { api_key: t.key },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { name: string }[];
}

/** The records of an entity, read as the app's service role (the admin key). */
async function records(appId: string, entity: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${t.server.url}/api/apps/${appId}/entities/${entity}`, {
    headers: { authorization: `Bearer ${t.key}`, "x-app-id": appId },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>[];
}

interface Sync {
  created: string[];
  updated: string[];
  deleted: string[];
}

describe("fnbase entities push", () => {
  it("with no entity files says so and calls no server (no credentials needed)", async () => {
    const { dir } = await project({});
    const r = await cli(["entities", "push"], { cwd: dir, env: baseEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No entity files in base44/entities: nothing to push");
  });

  it("creates, updates, and removes from the schema what the project lost, keeping its records", async () => {
    const { dir, appId } = await project({
      "base44/entities/Task.jsonc": TASK,
      "base44/entities/commerce.Cart.jsonc": CART,
    });
    const first = await run(dir, ["entities", "push"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("Pushing 2 entities: Task, commerce.Cart");
    expect(first.stdout).toContain("Created: Task, commerce.Cart");
    expect(first.stdout).toContain("Entities pushed: 2 created, 0 updated, 0 removed");
    expect((await schemas(appId)).map((s) => s.name)).toEqual(["Task", "commerce.Cart"]);

    // A record of the cart, then the cart leaves the project.
    const created = await fetch(`${t.server.url}/api/apps/${appId}/entities/commerce.Cart`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
      body: JSON.stringify({ total: 12.5 }),
    });
    expect(created.status).toBeLessThan(300);
    await rm(join(dir, "base44/entities/commerce.Cart.jsonc"));
    await writeFile(join(dir, "base44/entities/Task.jsonc"), TASK.replace('"done"', '"finished"'));

    const second = await run(dir, ["entities", "push"]);
    expect(second.code, second.stderr).toBe(0);
    const warning = second.stdout.indexOf(
      "Not in the project, so leaving the app's schema: commerce.Cart (their records are kept",
    );
    expect(warning).toBeGreaterThan(-1);
    expect(
      second.stdout.indexOf("Removed from the schema: commerce.Cart (records kept)"),
    ).toBeGreaterThan(warning);
    expect(second.stdout).toContain("Updated: Task");
    expect((await schemas(appId)).map((s) => s.name)).toEqual(["Task"]);

    await writeFiles(dir, { "base44/entities/commerce.Cart.jsonc": CART });
    const third = await runJson<Sync>(dir, ["entities", "push"]);
    expect(third.code).toBe(0);
    expect(third.json).toMatchObject({ created: ["commerce.Cart"], deleted: [] });
    expect(await records(appId, "commerce.Cart")).toEqual([
      expect.objectContaining({ total: 12.5 }),
    ]);
  });

  it("refuses a project with a broken entity file and sends nothing", async () => {
    const { dir, appId } = await project({
      "base44/entities/Task.jsonc": TASK,
      "base44/entities/Bad.jsonc": '{\n  "name": "Bad",\n  "properties": {\n}',
    });
    const r = await run(dir, ["entities", "push"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(
      "Cannot push entities: cannot load entity from base44/entities/Bad.jsonc: invalid JSONC at line 4",
    );
    expect(r.stderr).toContain("a push replaces the app's whole schema");
    expect(await schemas(appId)).toEqual([]);
  });

  it("refuses two files with one name, naming both", async () => {
    const { dir } = await project({
      "base44/entities/Task.jsonc": TASK,
      "base44/entities/task-copy.json": '{ "name": "Task" }',
    });
    const r = await runJson<{ error: string; code: string }>(dir, ["entities", "push"]);
    expect(r.code).toBe(5);
    expect(r.json.code).toBe("PROJECT_INVALID");
    expect(r.json.error).toContain(
      'duplicate entity name "Task": defined by base44/entities/Task.jsonc and base44/entities/task-copy.json',
    );
  });

  it("shows the server's refusal of a bad schema, naming entity and field (exit 5)", async () => {
    const { dir, appId } = await project({
      "base44/entities/Task.jsonc": '{ "name": "Task", "properties": { "title": { "type": 42 } } }',
    });
    const r = await runJson<{ error: string; code: string }>(dir, ["entities", "push"]);
    expect(r.code).toBe(5);
    expect(r.json.code).toBe("INVALID_SCHEMA");
    expect(r.json.error).toContain("Task");
    expect(r.json.error).toContain("title");
    expect(await schemas(appId)).toEqual([]);
  });
});

describe("fnbase entities list", () => {
  it("shows each schema's field count and access rules, and --json", async () => {
    const { dir } = await project({
      "base44/entities/Task.jsonc": TASK,
      "base44/entities/commerce.Cart.jsonc": CART,
    });
    expect((await run(dir, ["entities", "push"])).code).toBe(0);
    const human = await run(dir, ["entities", "list"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Task\s+2 fields\s+access rules: read, write$/m);
    expect(human.stdout).toMatch(/^commerce\.Cart\s+1 field\s+no access rules$/m);
    const json = await runJson<{ entities: unknown[] }>(dir, ["entities", "list"]);
    expect(json.json.entities).toEqual([
      { name: "Task", fields: 2, access_rules: ["read", "write"], has_access_rules: true },
      { name: "commerce.Cart", fields: 1, access_rules: [], has_access_rules: false },
    ]);
  });

  it("says when the app has no schemas", async () => {
    const { dir } = await project({});
    const r = await run(dir, ["entities", "list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No entity schemas: run `fnbase entities push`");
  });
});

describe("fnbase entities pull", () => {
  it("round-trips: writes one .jsonc per schema, leaves equal files, skips different ones unless --force", async () => {
    const source = await project({
      "base44/entities/Task.jsonc": TASK,
      "base44/entities/commerce.Cart.jsonc": CART,
    });
    expect((await run(source.dir, ["entities", "push"])).code).toBe(0);
    const served = await schemas(source.appId);

    const target = await tempDir();
    dirs.push(target);
    await writeFiles(target, { "base44/config.jsonc": "{}" });
    const pull = ["entities", "pull", "--app-id", source.appId];
    const first = await runJson<{ files: unknown[] }>(target, pull);
    expect(first.code).toBe(0);
    expect(first.json.files).toEqual([
      { name: "Task", path: "base44/entities/Task.jsonc", status: "written" },
      { name: "commerce.Cart", path: "base44/entities/commerce.Cart.jsonc", status: "written" },
    ]);
    const taskText = await readFile(join(target, "base44/entities/Task.jsonc"), "utf8");
    expect(taskText.startsWith('{\n  "name": "Task",')).toBe(true);
    expect(JSON.parse(taskText)).toEqual(served[0]);

    // The source project's own files (comments, trailing commas) hold the same schemas.
    const again = await runJson<{ files: { status: string }[] }>(source.dir, ["entities", "pull"]);
    expect(again.json.files.map((f) => f.status)).toEqual(["unchanged", "unchanged"]);
    expect(await readFile(join(source.dir, "base44/entities/Task.jsonc"), "utf8")).toBe(TASK);

    const edited = taskText.replace('"Task title"', '"Edited here"');
    await writeFile(join(target, "base44/entities/Task.jsonc"), edited);
    const skipped = await run(target, pull);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain("base44/entities/Task.jsonc skipped: the local file differs");
    expect(skipped.stdout).toContain("0 written, 1 unchanged, 1 skipped");
    expect(skipped.stdout).toContain("Run with --force");
    expect(await readFile(join(target, "base44/entities/Task.jsonc"), "utf8")).toBe(edited);

    const forced = await run(target, [...pull, "--force"]);
    expect(forced.stdout).toContain("base44/entities/Task.jsonc written");
    expect(await readFile(join(target, "base44/entities/Task.jsonc"), "utf8")).toBe(taskText);

    // Pushing the pulled files changes nothing on the server.
    const pushed = await runJson<Sync>(target, ["entities", "push", "--app-id", source.appId]);
    expect(pushed.json).toMatchObject({ created: [], deleted: [] });
    expect(await schemas(source.appId)).toEqual(served);
  });

  it("writes into the file that already defines the entity, and into entitiesDir", async () => {
    const source = await project({ "base44/entities/Task.jsonc": TASK });
    expect((await run(source.dir, ["entities", "push"])).code).toBe(0);
    const target = await tempDir();
    dirs.push(target);
    await writeFiles(target, {
      "base44/config.jsonc": '{ "entitiesDir": "../models" }',
      "models/tasks.json": '{ "name": "Task" }',
    });
    const r = await runJson<{ files: unknown[] }>(target, [
      "entities",
      "pull",
      "--app-id",
      source.appId,
      "--force",
    ]);
    expect(r.json.files).toEqual([{ name: "Task", path: "models/tasks.json", status: "written" }]);
    expect(parse(await readFile(join(target, "models/tasks.json"), "utf8"))).toMatchObject({
      name: "Task",
      required: ["title"],
    });
  });
});

describe("fnbase deploy with entities", () => {
  it("pushes the entities first (one line with the counts), then deploys the functions", async () => {
    const { dir, appId } = await project({
      "base44/entities/Task.jsonc": TASK,
      "base44/functions/hello/entry.ts": fnSource("hello"),
    });
    const r = await run(dir, ["deploy"]);
    expect(r.code, r.stderr).toBe(0);
    const entities = r.stdout.indexOf("Entities: 1 created, 0 updated, 0 removed from the schema");
    expect(entities).toBeGreaterThan(-1);
    expect(r.stdout.indexOf("[1/1] hello deployed")).toBeGreaterThan(entities);
    expect((await schemas(appId)).map((s) => s.name)).toEqual(["Task"]);
    expect(t.server.functionNames(appId)).toEqual(["hello"]);

    const json = await runJson<{ entities: Sync }>(dir, ["deploy"]);
    expect(json.json.entities).toMatchObject({ created: [], deleted: [] });
  });

  it("stops before any function when the push fails, with the server's message", async () => {
    const { dir, appId } = await project({
      "base44/entities/Task.jsonc": '{ "name": "Task", "properties": { "title": { "type": 42 } } }',
      "base44/functions/hello/entry.ts": fnSource("hello"),
    });
    const r = await run(dir, ["deploy"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("Task");
    expect(r.stderr).toContain("title");
    expect(r.stdout).not.toContain("hello deployed");
    expect(t.server.functionNames(appId)).toEqual([]);
  });

  it("stops before any function on a broken entity file", async () => {
    const { dir, appId } = await project({
      "base44/entities/Bad.jsonc": '{ "properties": {} }',
      "base44/functions/hello/entry.ts": fnSource("hello"),
    });
    const r = await run(dir, ["deploy"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(
      'Cannot push entities: cannot load entity from base44/entities/Bad.jsonc: "name" is missing',
    );
    expect(t.server.functionNames(appId)).toEqual([]);
  });

  it("does not touch the entities when deploying named functions", async () => {
    const { dir, appId } = await project({
      "base44/entities/Bad.jsonc": "{ broken",
      "base44/functions/hello/entry.ts": fnSource("hello"),
    });
    const r = await run(dir, ["deploy", "hello"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("Entities:");
    expect(t.server.functionNames(appId)).toEqual(["hello"]);
  });
});

describe("the Base44 CLI's entities push", () => {
  it("lands in the schemas fnbase lists, with a workspace key", async () => {
    const { dir, appId } = await project({ "base44/entities/Task.jsonc": TASK });
    const key = (await run(dir, ["api-keys", "create", "base44"])).stdout.trim();
    expect(key).toMatch(/^b44k_/);
    const r = await new Promise<{ code: number; out: string }>((done) => {
      execFile(
        process.execPath,
        [BASE44, "entities", "push", "-y"],
        {
          cwd: dir,
          timeout: 30_000,
          env: {
            PATH: process.env.PATH,
            HOME: dir,
            CI: "true",
            NO_COLOR: "1",
            BASE44_API_URL: t.server.url,
            BASE44_API_KEY: key,
            BASE44_DISABLE_TELEMETRY: "1",
            BASE44_CLI_TEST_OVERRIDES: JSON.stringify({ latestVersion: null }),
          },
        },
        (err, stdout, stderr) => done({ code: err ? 1 : 0, out: stdout + stderr }),
      );
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("Created: Task");
    expect((await schemas(appId)).map((s) => s.name)).toEqual(["Task"]);
    const listed = await runJson<{ entities: { name: string }[] }>(dir, ["entities", "list"]);
    expect(listed.json.entities.map((e) => e.name)).toEqual(["Task"]);
  }, 60_000);
});
