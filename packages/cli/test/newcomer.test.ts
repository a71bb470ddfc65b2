/**
 * Issue 16 (items 3, 4, 7, 9), driven the way a newcomer hit them: a project made by
 * `fnbase init` in an empty folder outside the repository, then the commands they ran.
 */
import { execFile } from "node:child_process";
import { readFile, stat, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import {
  baseEnv,
  type CliResult,
  cli,
  cliJson,
  fnSource,
  spawnCli,
  type TestServer,
  withServerAndDir,
  writeFiles,
} from "./helpers.js";

const require = createRequire(import.meta.url);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const TSC = require.resolve("typescript/bin/tsc");
const DENO = join(dirname(require.resolve("deno/package.json")), "deno");
const BASE44 = require.resolve("base44/bin/run.js");

let t: TestServer;
let dir: string;

withServerAndDir((server, folder) => {
  t = server;
  dir = folder;
});

/** Runs a program to completion. */
function exec(
  file: string,
  args: string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { cwd: o.cwd, env: o.env ?? process.env, timeout: 60_000 },
      (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** `fnbase init <name>` in the test folder; the project's root. */
async function init(name: string, args: string[] = []): Promise<string> {
  const r = await cli(["init", name, ...args], { cwd: dir, env: t.env() });
  expect(r.code, r.stderr).toBe(0);
  return join(dir, name);
}

describe("types with the project `fnbase init` writes (issue 16, item 3)", () => {
  it("types generate makes invoke('no-such-fn') a type error for tsc, and a real name passes", async () => {
    const root = await init("typed");
    // What `npm install @base44/sdk typescript` gives the user.
    await symlink(join(REPO, "node_modules"), join(root, "node_modules"), "dir");
    const generated = await cli(["types", "generate"], { cwd: root, env: t.env() });
    expect(generated.code).toBe(0);
    expect(generated.stdout).toContain(
      "Wrote base44/.types/types.d.ts (1 function(s), 1 entity type(s))",
    );

    const app = (name: string) => `import { createClient } from "@base44/sdk";

const base44 = createClient({ appId: "my-app" });
await base44.functions.invoke(${JSON.stringify(name)}, { name: "Ada" });
const task = await base44.entities.Task.create({ title: "Write the tests" });
const title: string = task.title;
export { title };
`;
    await writeFiles(root, { "src/app.ts": app("no-such-fn") });
    const wrong = await exec(process.execPath, [TSC, "--noEmit", "-p", "."], { cwd: root });
    expect(wrong.code).not.toBe(0);
    // Exactly the one error: none from the Deno code of base44/functions (no "Deno" unknown).
    expect(wrong.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^src\/app\.ts\(4,\d+\): error TS2345: Argument of type '"no-such-fn"' is not assignable to parameter of type '"hello"'/,
      ),
    ]);

    await writeFiles(root, { "src/app.ts": app("hello") });
    const right = await exec(process.execPath, [TSC, "--noEmit", "-p", "."], { cwd: root });
    expect(right.stdout + right.stderr).toBe("");
    expect(right.code).toBe(0);
  }, 60_000);

  it("Deno checks the functions with base44/deno.json, and writes no lock file", async () => {
    const root = await init("deno-typed");
    expect(JSON.parse(await readFile(join(root, "base44/deno.json"), "utf8"))).toEqual({
      nodeModulesDir: "none",
      lock: false,
    });
    expect(JSON.parse(await readFile(join(root, ".vscode/settings.json"), "utf8"))).toEqual({
      "deno.enablePaths": ["base44/functions", "base44/shared"],
    });
    await writeFiles(root, {
      "base44/functions/broken/entry.ts": "const n: number = Deno.env.get('X');\nexport { n };\n",
    });
    // One run over both: the only error is the real one in broken/ (hello knows `Deno`).
    const r = await exec(DENO, ["check", "hello/entry.ts", "broken/entry.ts"], {
      cwd: join(root, "base44/functions"),
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(r.code).not.toBe(0);
    const errors = r.stderr.split("\n").filter((l) => /^TS\d+ \[ERROR\]/.test(l));
    expect(errors).toEqual([
      "TS2322 [ERROR]: Type 'string | undefined' is not assignable to type 'number'.",
    ]);
    expect(r.stderr).toContain("broken/entry.ts:1:7");
    await expect(stat(join(root, "base44/deno.lock"))).rejects.toThrow();
  }, 60_000);
});

describe("a project name for the Base44 CLI (issue 16, item 4)", () => {
  it("init writes the folder's name, or --name, into base44/config.jsonc", async () => {
    const named = await init("my-shop");
    const config = parse(await readFile(join(named, "base44/config.jsonc"), "utf8"));
    expect(config).toMatchObject({ name: "my-shop", functionsDir: "./functions" });
    const custom = await init("other", ["--name", "Corner Shop"]);
    expect(parse(await readFile(join(custom, "base44/config.jsonc"), "utf8")).name).toBe(
      "Corner Shop",
    );
    expect(basename(custom)).toBe("other");
  });

  it("base44 functions deploy works on an init project linked with fnbase", async () => {
    const root = await init("for-base44");
    const appId = (
      await cliJson<{ id: string }>(["apps", "create", "b44"], { cwd: root, env: t.env() })
    ).json.id;
    expect((await cli(["link", appId], { cwd: root, env: t.env() })).code).toBe(0);
    const key = (
      await cli(["api-keys", "create", "base44 cli"], { cwd: root, env: t.env() })
    ).stdout.trim();

    const home = join(dir, "b44-home");
    const run = await exec(process.execPath, [BASE44, "functions", "deploy"], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        CI: "true",
        NO_COLOR: "1",
        BASE44_API_URL: t.server.url,
        BASE44_API_KEY: key,
        BASE44_DISABLE_TELEMETRY: "1",
        BASE44_CLI_TEST_OVERRIDES: JSON.stringify({ latestVersion: null }),
      },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(t.server.functionNames(appId)).toEqual(["hello"]);
    const res = await fetch(`${t.server.url}/api/apps/${appId}/functions/hello`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Ada" }),
    });
    expect(await res.json()).toEqual({ message: "Hello, Ada!" });
  }, 60_000);
});

describe("no silent skips (issue 16, item 7)", () => {
  it("deploy notes a folder without entry.ts and lists functions only the server has", async () => {
    const root = join(dir, "skips");
    const appId = (await t.server.createApp("skips")).id;
    await writeFiles(root, {
      "base44/config.jsonc": '{ "name": "skips" }',
      "base44/.app.jsonc": JSON.stringify({ id: appId }),
      "base44/functions/hello/index.ts": fnSource("hello"),
      "base44/functions/ok/entry.ts": fnSource("ok"),
    });
    await t.server.deploy(appId, "stale", {
      entry: "entry.ts",
      files: [{ path: "entry.ts", content: fnSource("stale") }],
    });
    const r = await cli(["deploy"], { cwd: root, env: t.env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "Note: Skipped base44/functions/hello: index.ts is not part of any function (a function folder needs entry.ts, entry.js or function.jsonc)",
    );
    expect(r.stdout).toContain("[1/1] ok deployed");
    expect(r.stdout).toContain(
      "Only on the server, not in this project: stale (left as they are; delete them with `fnbase functions delete stale` or `fnbase deploy --force`)",
    );
    expect(t.server.functionNames(appId).sort()).toEqual(["ok", "stale"]);

    const json = await cliJson<{ server_only: string[]; notes: string[] }>(["deploy"], {
      cwd: root,
      env: t.env(),
    });
    expect(json.json.server_only).toEqual(["stale"]);
    expect(json.json.notes).toEqual([expect.stringContaining("Skipped base44/functions/hello")]);

    const forced = await cli(["deploy", "--force"], { cwd: root, env: t.env() });
    expect(forced.stdout).not.toContain("Only on the server");
    expect(forced.stdout).toContain("stale deleted");
  });
});

describe("no silent skips in fnbase dev (issue 16, item 7)", () => {
  it("dev prints a note for a folder with index.ts and no entry.ts", async () => {
    const root = join(dir, "dev-skips");
    await writeFiles(root, {
      "base44/config.jsonc": '{ "name": "dev-skips" }',
      "base44/functions/hello/index.ts": fnSource("hello"),
    });
    const dev = spawnCli(["dev", root, "--port", "0", "--no-check"], { cwd: dir, env: baseEnv() });
    try {
      await dev.waitFor(/ready at/);
      expect(dev.output()).toContain(
        "note Skipped base44/functions/hello: index.ts is not part of any function",
      );
    } finally {
      await dev.stop();
    }
  });
});

describe("small things (issue 16, item 9)", () => {
  it("invoke ends a text body with a newline, and leaves a binary body as it came", async () => {
    const root = join(dir, "newline");
    const appId = (await t.server.createApp("newline")).id;
    await writeFiles(root, {
      "base44/config.jsonc": '{ "name": "newline" }',
      "base44/.app.jsonc": JSON.stringify({ id: appId }),
      "base44/functions/json/entry.ts": "Deno.serve(() => Response.json({ ok: true }));\n",
      "base44/functions/bytes/entry.ts":
        "Deno.serve(() => new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'application/octet-stream' } }));\n",
    });
    expect((await cli(["deploy"], { cwd: root, env: t.env() })).code).toBe(0);
    const json = await cli(["invoke", "json"], { cwd: root, env: t.env() });
    expect(json.stdout).toBe('{"ok":true}\n');
    const bytes = await new Promise<Buffer>((done) => {
      execFile(
        process.execPath,
        [join(REPO, "packages/cli/bin/fnbase.js"), "invoke", "bytes"],
        { cwd: root, env: t.env(), encoding: "buffer" },
        (_err, stdout) => done(stdout),
      );
    });
    expect([...bytes]).toEqual([1, 2, 3]);
  });

  it("a wrong b44k_ key is told it is unknown or revoked, a token that it is not a key", async () => {
    const wrong = await cli(["whoami"], {
      cwd: dir,
      env: t.env({ FNBASE_API_KEY: "b44k_revoked" }),
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain("Invalid API key");
    expect(wrong.stderr).toContain(
      "This key is unknown or revoked: create one with `fnbase api-keys create`",
    );
    expect(wrong.stderr).not.toContain("service token");
    const token = await cli(["whoami"], { cwd: dir, env: t.env({ FNBASE_API_KEY: "eyJ.x.y" }) });
    expect(token.code).toBe(3);
    expect(token.stderr).toContain("not a user or service token");
  });

  it("the README's hello is the shipped hello: the quickstart's and the one init writes", async () => {
    const root = await init("hello-sample");
    const written = await readFile(join(root, "base44/functions/hello/entry.ts"), "utf8");
    const quickstart = await readFile(
      join(REPO, "examples/quickstart/base44/functions/hello/entry.ts"),
      "utf8",
    );
    const readme = await readFile(join(REPO, "README.md"), "utf8");
    const intro = readme.indexOf("This is `examples/quickstart/base44/functions/hello/entry.ts`");
    expect(intro).toBeGreaterThan(-1);
    const sample = /```ts\n([\s\S]*?)```/.exec(readme.slice(intro))?.[1];
    expect(sample).toBe(quickstart);
    expect(written).toBe(quickstart);
  });
});
