import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseEnv, cliJson, type TestServer, withServerAndDir } from "./helpers.js";

let t: TestServer;
let dir: string;

withServerAndDir((server, folder) => {
  t = server;
  dir = folder;
});

/** Logs in with only `env` deciding where credentials go; answers the file login wrote. */
const login = async (env: Record<string, string | undefined>) => {
  const r = await cliJson<{ file: string }>(["login", "--server", t.server.url, "--key", t.key], {
    cwd: dir,
    env: baseEnv({ FNBASE_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined, ...env }),
  });
  expect(r.code).toBe(0);
  return r.json.file;
};

describe("the CLI config dir", () => {
  it("is $XDG_CONFIG_HOME/fnbase when XDG_CONFIG_HOME is set", async () => {
    const xdg = join(dir, "xdg");
    const file = await login({ XDG_CONFIG_HOME: xdg, HOME: join(dir, "home1") });
    expect(file).toBe(join(xdg, "fnbase", "credentials.json"));
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ key: t.key });
  });

  it("is ~/.config/fnbase without XDG_CONFIG_HOME, or when it is relative", async () => {
    const home = join(dir, "home2");
    expect(await login({ HOME: home })).toBe(join(home, ".config", "fnbase", "credentials.json"));
    expect(await login({ HOME: home, XDG_CONFIG_HOME: "relative/xdg" })).toBe(
      join(home, ".config", "fnbase", "credentials.json"),
    );
  });

  it("lets FNBASE_CONFIG_DIR win over XDG_CONFIG_HOME", async () => {
    const explicit = join(dir, "explicit");
    const file = await login({ FNBASE_CONFIG_DIR: explicit, XDG_CONFIG_HOME: join(dir, "xdg2") });
    expect(file).toBe(join(explicit, "credentials.json"));
  });
});
