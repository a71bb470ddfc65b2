/**
 * Issue 16, item 5: `/functions/<name>` keeps serving the same app when a second app is
 * created, and the server says which app it serves and how to choose another.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, cli, cliJson, fnSource, spawnCli, tempDir, writeFiles } from "./helpers.js";

const KEY = `b44k_default_${Math.random().toString(36).slice(2)}`;
let root: string;

beforeAll(async () => {
  root = await tempDir("fnbase-default-app-");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** `fnbase server` on `data` with the test key, plus its URL and an env for the CLI. */
async function server(data: string, args: string[] = []) {
  const live = spawnCli(["server", "--port", "0", "--data", data, ...args], {
    cwd: root,
    env: baseEnv({ FNBASE_ADMIN_KEY: KEY }),
  });
  const [, url = ""] = await live.waitFor(/listening on (http:\/\/\S+)/);
  await live.waitFor(/Press Ctrl-C/);
  const env = baseEnv({
    FNBASE_SERVER: url,
    FNBASE_API_KEY: KEY,
    FNBASE_CONFIG_DIR: join(root, "config"),
  });
  return { live, url, env };
}

const hello = async (url: string) => {
  const res = await fetch(`${url}/functions/hello`, { method: "POST", body: "{}" });
  return (await res.json()) as { fn?: string; code?: string };
};

describe("the default app (issue 16, item 5)", () => {
  it("stays the first app created, is printed, and --default-app chooses another", async () => {
    const data = join(root, "data");
    let s = await server(data);
    let firstId = "";
    let secondId = "";
    try {
      expect(s.live.output()).toContain(
        "/functions/* will serve the first app created; choose one with --default-app <id>",
      );
      const first = await cli(["apps", "create", "first"], { cwd: root, env: s.env });
      expect(first.stdout).toContain("/functions/* serves this app (the server's default app)");
      firstId = /Created app first (\S+)/.exec(first.stdout)?.[1] ?? "";

      // A project per app, each with its own hello.
      for (const [name, id] of [["first", firstId]] as const) {
        await writeFiles(join(root, name), {
          "base44/config.jsonc": `{ "name": "${name}" }\n`,
          "base44/functions/hello/entry.ts": fnSource(name),
        });
        await cli(["link", id], { cwd: join(root, name), env: s.env });
        expect((await cli(["deploy"], { cwd: join(root, name), env: s.env })).code).toBe(0);
      }
      expect(await hello(s.url)).toMatchObject({ fn: "first" });

      const second = await cliJson<{ id: string; default: boolean }>(["apps", "create", "second"], {
        cwd: root,
        env: s.env,
      });
      secondId = second.json.id;
      expect(second.json.default).toBe(false);
      const said = await cli(["apps", "create", "third"], { cwd: root, env: s.env });
      expect(said.stdout).toMatch(
        /\/functions\/\* serves another app \(the server's default\): call this one at \/api\/apps\/\S+\/functions\/<name>, with X-App-Id: \S+, or start the server with --default-app \S+/,
      );
      await writeFiles(join(root, "second"), {
        "base44/config.jsonc": '{ "name": "second" }\n',
        "base44/functions/hello/entry.ts": fnSource("second"),
      });
      await cli(["link", secondId], { cwd: join(root, "second"), env: s.env });
      expect((await cli(["deploy"], { cwd: join(root, "second"), env: s.env })).code).toBe(0);

      // Still the first app, before and after the others were created.
      expect(await hello(s.url)).toMatchObject({ fn: "first" });
      const list = await cli(["apps", "list"], { cwd: root, env: s.env });
      expect(list.stdout).toMatch(
        new RegExp(`${firstId}\\s+first  \\(default: serves /functions/\\*\\)`),
      );
      expect(list.stdout).not.toMatch(/second {2}\(default/);
    } finally {
      await s.live.stop();
    }

    // A restart keeps it, and says so.
    s = await server(data);
    try {
      expect(s.live.output()).toContain(
        `/functions/* serves app "first" (${firstId}), the first app created; choose another with --default-app <id>`,
      );
      expect(await hello(s.url)).toMatchObject({ fn: "first" });
    } finally {
      await s.live.stop();
    }

    s = await server(data, ["--default-app", secondId]);
    try {
      expect(s.live.output()).toContain(
        `/functions/* serves app "second" (${secondId}), chosen with --default-app`,
      );
      expect(await hello(s.url)).toMatchObject({ fn: "second" });
    } finally {
      await s.live.stop();
    }
  }, 120_000);
});
