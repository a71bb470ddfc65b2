/**
 * The server's own log on stderr: one readable line each in a terminal (forced here with
 * FNBASE_LOG_FORMAT=pretty, as stderr is a pipe), JSON lines under --json whatever the env says.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, cli, spawnCli, tempDir } from "./helpers.js";

const KEY = `b44k_serverlog_${Math.random().toString(36).slice(2)}`;
let root: string;

beforeAll(async () => {
  root = await tempDir("fnbase-server-log-");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Starts `fnbase server` with `args`, creates an app through it, returns its stderr. */
async function logOf(data: string, args: string[]): Promise<string> {
  const live = spawnCli(["server", "--port", "0", "--data", join(root, data), ...args], {
    cwd: root,
    env: baseEnv({ FNBASE_ADMIN_KEY: KEY, FNBASE_LOG_LEVEL: "info", FNBASE_LOG_FORMAT: "pretty" }),
  });
  try {
    const [, url = ""] = await live.waitFor(
      args.includes("--json") ? /"url": "(http[^"]+)"/ : /listening on (http:\/\/\S+)/,
    );
    const env = baseEnv({
      FNBASE_SERVER: url,
      FNBASE_API_KEY: KEY,
      FNBASE_CONFIG_DIR: join(root, "config"),
    });
    const created = await cli(["apps", "create", "logged"], { cwd: root, env });
    expect(created.code).toBe(0);
    const deadline = Date.now() + 10_000;
    while (!/app[=":]+/.test(live.errors()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return live.errors();
  } finally {
    await live.stop();
  }
}

describe("the server's log format", () => {
  it("is a readable line in human mode, JSON under --json", async () => {
    const human = await logOf("human", []);
    // pino-pretty's line: `[10:42:07.123] INFO: app created {"app":"…"}`.
    expect(human).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: .*"app":"[^"]+"/m);
    expect(human).not.toContain('{"level"');

    const json = await logOf("json", ["--json"]);
    expect(json).toContain('{"level":30');
  });
});
