import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cli,
  cliJson,
  fnSource,
  startTestServer,
  type TestServer,
  tempDir,
  writeFiles,
} from "./helpers.js";

let t: TestServer;
let project: string;
let appId: string;

beforeAll(async () => {
  t = await startTestServer();
  appId = (await t.server.createApp("deploy-tests")).id;
  project = await tempDir();
  await writeFiles(project, {
    "base44/config.jsonc": "{}\n",
    "base44/shared/util.ts": "export const x = 1;\n",
    "base44/functions/hello/entry.ts": fnSource("hello"),
    "base44/functions/orders/process/entry.ts": fnSource("orders/process"),
    "base44/.app.jsonc": JSON.stringify({ id: appId }),
  });
});
afterAll(async () => {
  await t.close();
  await rm(project, { recursive: true, force: true });
});

const run = (args: string[], extra?: Record<string, string | undefined>) =>
  cli(args, { cwd: project, env: t.env(extra) });
const runJson = <T = Record<string, unknown>>(args: string[], cwd = project) =>
  cliJson<T>(args, { cwd, env: t.env() });

describe("fnbase deploy", () => {
  it("deploys every function with a counter, then reports them unchanged", async () => {
    const first = await run(["deploy"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("[1/2] hello deployed");
    expect(first.stdout).toContain("[2/2] orders/process deployed");
    expect(first.stdout).toContain("2 deployed, 0 unchanged, 0 deleted, 0 failed");
    expect(t.server.functionNames(appId).sort()).toEqual(["hello", "orders/process"]);

    const again = await runJson<{
      functions: { name: string; status: string }[];
      summary: { unchanged: number };
    }>(["deploy"]);
    expect(again.code).toBe(0);
    expect(again.json.summary.unchanged).toBe(2);
    expect(again.json.functions.map((f) => f.status)).toEqual(["unchanged", "unchanged"]);
  });

  it("deploys only the named functions and refuses an unknown name", async () => {
    const r = await runJson<{ functions: { name: string }[] }>(["deploy", "hello"]);
    expect(r.json.functions.map((f) => f.name)).toEqual(["hello"]);
    const bad = await runJson(["deploy", "nope"]);
    expect(bad.code).toBe(4);
    expect(bad.json).toMatchObject({ code: "FUNCTION_NOT_FOUND" });
  });

  it("deploying a broken function by name reports its load error, not 'not found'", async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      "base44/config.jsonc": "{}\n",
      "base44/functions/fine/entry.ts": fnSource("fine"),
      "base44/functions/jc/function.jsonc": '{ "entry": "main.ts" }\n',
      "base44/functions/jc/entry.ts": fnSource("jc"),
      "base44/functions/folder/function.jsonc": '{ "name": "renamed", "entry": "main.ts" }',
    });
    const human = await cli(["deploy", "jc", "--app-id", appId], { cwd: dir, env: t.env() });
    expect(human.code).toBe(1);
    expect(human.stdout + human.stderr).toContain(
      'Cannot load function "jc": entry file main.ts not found',
    );
    expect(human.stdout + human.stderr).not.toContain("Function not found");
    // By the name its function.jsonc gives, not its folder's.
    const renamed = await cli(["deploy", "renamed", "--app-id", appId], { cwd: dir, env: t.env() });
    expect(renamed.code).toBe(1);
    expect(renamed.stdout + renamed.stderr).toContain(
      'Cannot load function "renamed": entry file main.ts not found',
    );
    const json = await cliJson<{ code: string; functions: { name: string; status: string }[] }>(
      ["deploy", "jc", "fine", "--app-id", appId],
      { cwd: dir, env: t.env() },
    );
    expect(json.code).toBe(1);
    expect(json.json.functions).toEqual([
      expect.objectContaining({ name: "jc", status: "error", code: "PROJECT_INVALID" }),
      expect.objectContaining({ name: "fine", status: "deployed" }),
    ]);
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses --force with names (exit 2)", async () => {
    const r = await runJson<{ error: string; code: string; hints: string[] }>([
      "deploy",
      "hello",
      "--force",
    ]);
    expect(r.code).toBe(2);
    expect(r.json.code).toBe("USAGE");
    expect(r.json.error).toContain("Cannot combine --force with function names");
    expect(r.json.hints.length).toBeGreaterThan(0);
  });

  it("reports a function with a bad file as an error, deploys the rest and exits 1", async () => {
    const dir = await tempDir();
    await writeFiles(dir, {
      "base44/config.jsonc": "{}\n",
      "base44/functions/good/entry.ts": fnSource("good"),
      "base44/functions/bad/entry.ts": fnSource("bad"),
      "base44/functions/bad/function.jsonc": "{ not json",
    });
    const human = await cli(["deploy", "--app-id", appId], { cwd: dir, env: t.env() });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/\[\d\/2\] bad error: /);
    expect(human.stdout).toMatch(/\[\d\/2\] good deployed/);
    expect(human.stdout).toContain("1 failed");
    const json = await cliJson<{ code: string; functions: { name: string; status: string }[] }>(
      ["deploy", "--app-id", appId],
      { cwd: dir, env: t.env() },
    );
    expect(json.code).toBe(1);
    expect(json.json.code).toBe("UNPROCESSABLE");
    expect(json.json.functions.find((f) => f.name === "bad")?.status).toBe("error");
    await rm(dir, { recursive: true, force: true });
  });

  it("--force deletes remote functions missing locally", async () => {
    await t.server.deploy(appId, "stale", {
      entry: "entry.ts",
      files: [{ path: "entry.ts", content: fnSource("stale") }],
    });
    const r = await runJson<{ functions: { name: string; status: string }[] }>([
      "deploy",
      "--force",
    ]);
    expect(r.code).toBe(0);
    expect(r.json.functions).toContainEqual({ name: "stale", status: "deleted" });
    expect(t.server.functionNames(appId)).not.toContain("stale");
  });

  it("fails without credentials, with a wrong key, for an unknown app and when not linked", async () => {
    const none = await run(["deploy"], { FNBASE_SERVER: undefined, FNBASE_API_KEY: undefined });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("Not logged in");
    expect(none.stderr).toContain("fnbase login");

    const wrong = await run(["deploy"], { FNBASE_API_KEY: "b44k_wrong" });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain("Invalid API key");

    const unknown = await runJson(["deploy", "--app-id", "no-such-app"]);
    expect(unknown.code).toBe(4);
    expect(unknown.json).toMatchObject({ code: "APP_NOT_FOUND" });

    const unlinked = await tempDir();
    await writeFiles(unlinked, {
      "base44/config.jsonc": "{}",
      "base44/functions/a/entry.ts": fnSource("a"),
    });
    const r = await cli(["functions", "list"], { cwd: unlinked, env: t.env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("No base44/.app.jsonc here");
    expect(r.stderr).toContain("Run `fnbase link` or pass `--app-id`");
    await rm(unlinked, { recursive: true, force: true });
  });
});

describe("fnbase functions", () => {
  it("lists, shows history, rolls back and refuses an unknown deployment", async () => {
    const list = await runJson<{ functions: { name: string }[] }>(["functions", "list"]);
    expect(list.json.functions.map((f) => f.name)).toEqual(["hello", "orders/process"]);

    await writeFiles(project, { "base44/functions/hello/entry.ts": fnSource("hello", 2) });
    expect((await run(["deploy", "hello"])).stdout).toContain("hello deployed");

    const hist = await runJson<{ deployments: { id: string; current: boolean }[] }>([
      "functions",
      "history",
      "hello",
    ]);
    expect(hist.json.deployments.length).toBe(2);
    expect(hist.json.deployments[0]?.current).toBe(true);
    const older = hist.json.deployments[1]?.id ?? "";

    const rb = await runJson<{ deployment_id: string }>(["functions", "rollback", "hello", older]);
    expect(rb.code).toBe(0);
    expect(rb.json.deployment_id).toBe(older);
    const res = await fetch(`${t.server.url}/api/apps/${appId}/functions/hello`, {
      method: "POST",
      body: "{}",
    });
    expect(await res.json()).toMatchObject({ v: 1 });

    const missing = await run(["functions", "rollback", "hello", "dep_does_not_exist"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("Deployment not found");
    expect(missing.stderr).toContain("fnbase functions history");
  });

  it("pulls deployed code, reporting written and unchanged files", async () => {
    const dir = await tempDir();
    await writeFiles(dir, { "base44/config.jsonc": "{}" });
    const first = await cliJson<{ files: { path: string; status: string }[] }>(
      ["functions", "pull", "--app-id", appId],
      { cwd: dir, env: t.env() },
    );
    expect(first.code).toBe(0);
    expect(first.json.files).toContainEqual({
      path: "base44/functions/hello/entry.ts",
      status: "written",
    });
    expect(first.json.files).toContainEqual({ path: "base44/shared/util.ts", status: "written" });
    expect(await readFile(join(dir, "base44/functions/hello/entry.ts"), "utf8")).toBe(
      fnSource("hello"),
    );
    const second = await cli(["functions", "pull", "hello", "--app-id", appId], {
      cwd: dir,
      env: t.env(),
    });
    expect(second.stdout).toContain("base44/functions/hello/entry.ts unchanged");
    await rm(dir, { recursive: true, force: true });
  });

  it("deletes functions and reports an unknown one", async () => {
    const r = await runJson<{ functions: { name: string; status: string }[] }>([
      "functions",
      "delete",
      "orders/process",
      "ghost",
    ]);
    expect(r.code).toBe(4);
    expect(r.json.functions).toEqual([
      { name: "orders/process", status: "deleted" },
      expect.objectContaining({ name: "ghost", status: "error", code: "FUNCTION_NOT_FOUND" }),
    ]);
    expect(t.server.functionNames(appId)).not.toContain("orders/process");
  });
});
