/**
 * `fnbase server --runtime`: the host runtime (an isolate per function in one Deno process per
 * app) is the default, `--runtime process` gives each instance a Deno process of its own, and a
 * wrong value is refused with a hint before anything is written.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, cli, spawnCli, tempDir, writeFiles } from "./helpers.js";

const KEY = `b44k_runtime_${Math.random().toString(36).slice(2)}`;
let root: string;

beforeAll(async () => {
  root = await tempDir("fnbase-server-runtime-");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// FNBASE_RUNTIME unset, so that the server's own default is what the first case sees.
const serverEnv = () => baseEnv({ FNBASE_ADMIN_KEY: KEY, FNBASE_RUNTIME: undefined });

/** Starts `fnbase server`, deploys two functions that answer their process id, calls both. */
async function pids(name: string, args: string[]) {
  const live = spawnCli(["server", "--port", "0", "--data", join(root, name, "data"), ...args], {
    cwd: root,
    env: serverEnv(),
  });
  try {
    const [, url = ""] = await live.waitFor(/listening on (http:\/\/\S+)/);
    const [, runtime = ""] = await live.waitFor(/Runtime: (\S+)/);
    await live.waitFor(/Press Ctrl-C/);
    const env = baseEnv({
      FNBASE_SERVER: url,
      FNBASE_API_KEY: KEY,
      FNBASE_CONFIG_DIR: join(root, name, "config"),
    });
    const project = join(root, name, "project");
    const pidFn = "Deno.serve(() => Response.json({ pid: Deno.pid }));\n";
    await writeFiles(project, {
      "base44/config.jsonc": `{ "name": "${name}" }\n`,
      "base44/functions/a/entry.ts": pidFn,
      "base44/functions/b/entry.ts": pidFn,
    });
    const created = await cli(["apps", "create", name], { cwd: project, env });
    const id = /Created app \S+ (\S+)/.exec(created.stdout)?.[1] ?? "";
    expect((await cli(["link", id], { cwd: project, env })).code).toBe(0);
    expect((await cli(["deploy"], { cwd: project, env })).code).toBe(0);
    const call = async (fn: string) => {
      const res = await fetch(`${url}/api/apps/${id}/functions/${fn}`, { method: "POST" });
      expect(res.status).toBe(200);
      return ((await res.json()) as { pid: number }).pid;
    };
    return { runtime, a: await call("a"), b: await call("b") };
  } finally {
    await live.stop();
  }
}

describe("fnbase server --runtime", () => {
  it("runs an app's functions in one process by default, each in a process with --runtime process", async () => {
    const host = await pids("host", []);
    expect(host.runtime).toBe("host");
    expect(host.a).toBe(host.b);
    const proc = await pids("proc", ["--runtime", "process"]);
    expect(proc.runtime).toBe("process");
    expect(proc.a).not.toBe(proc.b);
  });

  it("refuses an unknown runtime with a hint, and writes nothing", async () => {
    const data = join(root, "bogus", "data");
    const r = await cli(["server", "--port", "0", "--data", data, "--runtime", "isolate"], {
      cwd: root,
      env: serverEnv(),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Invalid runtime: "isolate"');
    expect(r.stderr).toContain("Use host (the default) or process (--runtime, FNBASE_RUNTIME)");
    expect(existsSync(data)).toBe(false);
  });
});
