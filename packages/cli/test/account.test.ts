import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  baseEnv,
  cli,
  cliJson,
  fnSource,
  type TestServer,
  withServerAndDir,
  writeFiles,
} from "./helpers.js";

let t: TestServer;
let dir: string;

withServerAndDir((server, folder) => {
  t = server;
  dir = folder;
});

/** Env with only the config dir: credentials must come from `fnbase login`. */
const fileEnv = () => baseEnv({ FNBASE_CONFIG_DIR: t.configDir });

describe("login, whoami, logout", () => {
  it("refuses a wrong key and stores nothing", async () => {
    const r = await cli(["login", "--server", t.server.url, "--key", "b44k_wrong"], {
      cwd: dir,
      env: fileEnv(),
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("Invalid API key");
    await expect(stat(join(t.configDir, "credentials.json"))).rejects.toThrow();
  });

  it("stores credentials with mode 0600, whoami uses them, env overrides them, logout removes them", async () => {
    const login = await cliJson<{ file: string }>(
      ["login", "--server", `${t.server.url}/`, "--key", t.key],
      { cwd: dir, env: fileEnv() },
    );
    expect(login.code).toBe(0);
    const st = await stat(login.json.file);
    expect(st.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(login.json.file, "utf8"))).toEqual({
      server: t.server.url,
      key: t.key,
    });

    const who = await cliJson<{ server: string; key_source: string }>(["whoami"], {
      cwd: dir,
      env: fileEnv(),
    });
    expect(who.json.server).toBe(t.server.url);
    expect(who.json.key_source).toBe(login.json.file);

    const override = await cli(["whoami"], {
      cwd: dir,
      env: baseEnv({ FNBASE_CONFIG_DIR: t.configDir, BASE44_API_KEY: "b44k_nope" }),
    });
    expect(override.code).toBe(3);

    expect((await cli(["logout"], { cwd: dir, env: fileEnv() })).stdout).toContain("Logged out");
    const after = await cliJson(["whoami"], { cwd: dir, env: fileEnv() });
    expect(after.code).toBe(3);
    expect(after.json).toMatchObject({ code: "NOT_LOGGED_IN" });
  });

  it("says the server cannot be reached (exit 6)", async () => {
    const r = await cli(["apps", "list"], {
      cwd: dir,
      env: t.env({ FNBASE_SERVER: "http://127.0.0.1:9" }),
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("Cannot reach the server at http://127.0.0.1:9");
  });
});

describe("init, apps, link, types, invoke", () => {
  let project: string;
  let appId: string;

  it("init writes the template without asking when not a terminal, and refuses to overwrite", async () => {
    project = join(dir, "app");
    const r = await cliJson<{ files: string[] }>(["init", project], { cwd: dir, env: t.env() });
    expect(r.code).toBe(0);
    expect(r.json.files).toEqual(
      expect.arrayContaining([
        "base44/config.jsonc",
        "base44/functions/hello/entry.ts",
        "base44/entities/Task.jsonc",
        "base44/deno.json",
        ".gitignore",
        "tsconfig.json",
        ".vscode/settings.json",
      ]),
    );
    const ignore = await readFile(join(project, ".gitignore"), "utf8");
    expect(ignore).toContain("base44/.app.jsonc");
    expect(ignore).toContain(".env*");
    expect(ignore).toContain("base44/.types/");
    const again = await cli(["init", project], { cwd: dir, env: t.env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("A project already exists");
    // The next steps are written as the user ran the CLI: `npx fnbase` under npx (npm exec).
    const viaNpx = await cli(["init", join(dir, "npx-app")], {
      cwd: dir,
      env: t.env({ npm_command: "exec" }),
    });
    expect(viaNpx.stdout).toContain(`Next: npx fnbase dev ${join(dir, "npx-app")} to serve it`);
    expect(viaNpx.stdout).toMatch(/^ {2}npx fnbase link {17}link the folder/m);
    expect(viaNpx.stdout).toMatch(/^ {2}npx fnbase deploy {15}push/m);
    const plain = await cli(["init", join(dir, "plain-app")], {
      cwd: dir,
      env: t.env({ npm_command: "" }),
    });
    expect(plain.stdout).toMatch(/^ {2}fnbase link {17}link the folder/m);
    expect(plain.stdout).not.toContain("npx fnbase");
  });

  it("apps create and list; link writes .app.jsonc and refuses an unknown app", async () => {
    const created = await cliJson<{ id: string; name: string }>(["apps", "create", "shop"], {
      cwd: project,
      env: t.env(),
    });
    expect(created.json.name).toBe("shop");
    appId = created.json.id;
    const list = await cliJson<{ id: string }[]>(["apps", "list"], { cwd: project, env: t.env() });
    expect(list.json.map((a) => a.id)).toContain(appId);

    const bad = await cli(["link", "no-such-app"], { cwd: project, env: t.env() });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain("App not found: no-such-app");

    const noArg = await cli(["link"], { cwd: project, env: t.env() });
    expect(noArg.code).toBe(2);

    const link = await cli(["link", appId], { cwd: project, env: t.env() });
    expect(link.code).toBe(0);
    expect(await readFile(join(project, "base44/.app.jsonc"), "utf8")).toContain(appId);
  });

  it("types generate augments both SDKs and adds the types to tsconfig include", async () => {
    await writeFiles(project, {
      "base44/functions/orders/process/entry.ts": fnSource("orders/process"),
      "tsconfig.json": JSON.stringify({ include: ["src"] }),
    });
    const r = await cliJson<{ functions: string[]; entities: string[]; tsconfig: string }>(
      ["types", "generate"],
      { cwd: project, env: t.env() },
    );
    expect(r.json.functions).toEqual(["hello", "orders/process"]);
    expect(r.json.entities).toEqual(["Task"]);
    expect(r.json.tsconfig).toBe("updated");
    const dts = await readFile(join(project, "base44/.types/types.d.ts"), "utf8");
    expect(dts).toContain('declare module "@fnbase/sdk"');
    expect(dts).toContain('declare module "@base44/sdk"');
    expect(dts).toContain('"orders/process": true;');
    expect(dts).toContain("export {};");
    expect(dts).toContain("interface EntityTypeRegistry extends Entities {}");
    expect(JSON.parse(await readFile(join(project, "tsconfig.json"), "utf8")).include).toEqual([
      "src",
      "base44/.types/*.d.ts",
    ]);
  });

  it("invoke prints status and body, sends data, a path, and --as-service", async () => {
    expect((await cli(["deploy"], { cwd: project, env: t.env() })).code).toBe(0);
    const human = await cli(["invoke", "hello", "--data", '{"name":"Ada"}'], {
      cwd: project,
      env: t.env(),
    });
    expect(human.code).toBe(0);
    expect(human.stderr).toContain("HTTP 200");
    expect(JSON.parse(human.stdout)).toEqual({ message: "Hello, Ada!" });

    const svc = await cliJson<{ status: number; body: { auth: boolean } }>(
      ["invoke", "orders/process", "--as-service", "--path", "/x"],
      { cwd: project, env: t.env() },
    );
    expect(svc.json.status).toBe(200);
    expect(svc.json.body.auth).toBe(true);

    const anon = await cliJson<{ body: { auth: boolean } }>(["invoke", "orders/process"], {
      cwd: project,
      env: t.env(),
    });
    expect(anon.json.body.auth).toBe(false);

    const missing = await cliJson<{ status: number }>(["invoke", "ghost"], {
      cwd: project,
      env: t.env(),
    });
    expect(missing.code).toBe(1);
    expect(missing.json.status).toBe(404);

    const badJson = await cli(["invoke", "hello", "--data", "{nope"], {
      cwd: project,
      env: t.env(),
    });
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain("Invalid JSON in --data");
  });

  it("secrets set, list and delete, never showing values", async () => {
    const envFile = join(dir, ".env.test");
    await writeFiles(dir, { ".env.test": '# comment\nexport B_KEY="two words"\n' });
    const set = await cliJson(["secrets", "set", "A_KEY=1", "--env-file", envFile], {
      cwd: project,
      env: t.env(),
    });
    expect(set.code).toBe(0);
    const list = await cliJson<{ secrets: string[] }>(["secrets", "list"], {
      cwd: project,
      env: t.env(),
    });
    expect(list.json.secrets).toEqual(["A_KEY", "B_KEY"]);
    expect(list.stdout).not.toContain("two words");
    expect((await cli(["secrets", "delete", "A_KEY"], { cwd: project, env: t.env() })).code).toBe(
      0,
    );
    const after = await cliJson<{ secrets: string[] }>(["secrets", "list"], {
      cwd: project,
      env: t.env(),
    });
    expect(after.json.secrets).toEqual(["B_KEY"]);
    const bad = await cli(["secrets", "set", "no-equals"], { cwd: project, env: t.env() });
    expect(bad.code).toBe(2);
  });

  it("logs shows function output", async () => {
    const r = await cliJson<{ logs: { function: string; message: string }[] }>(
      ["logs", "--function", "hello", "--since", "1h"],
      {
        cwd: project,
        env: t.env(),
      },
    );
    expect(r.code).toBe(0);
    expect(
      r.json.logs.some((l) => l.function === "hello" && l.message.includes("Saying hello to Ada")),
    ).toBe(true);
  });
});
