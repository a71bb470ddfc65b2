import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, cli, fnSource, spawnCli, tempDir, writeFiles } from "./helpers.js";

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("fnbase server", () => {
  it("prints the URL and a generated admin key once, and the key works", async () => {
    const data = join(root, "server-data");
    const first = spawnCli(["server", "--port", "0", "--data", data], {
      cwd: root,
      env: baseEnv(),
    });
    const [, url] = await first.waitFor(/listening on (http:\/\/\S+)/);
    const [, key] = await first.waitFor(/Admin API key: (b44k_\S+)/);
    expect(first.output()).toContain("shown only this once");
    const res = await fetch(`${url}/api/apps`, { headers: { api_key: key ?? "" } });
    expect(res.status).toBe(200);
    expect(await first.stop()).toBe(0);

    const second = spawnCli(["server", "--port", "0", "--data", data], {
      cwd: root,
      env: baseEnv(),
    });
    await second.waitFor(/Press Ctrl-C/);
    expect(second.output()).not.toContain("Admin API key");
    await second.stop();
  });

  it("refuses a bad --port with a usage error and exit code 2", async () => {
    const r = await cli(["server", "--port", "nope"], { cwd: root, env: baseEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("The port must be a whole number: nope");
  });
});

describe("fnbase dev", () => {
  it("prints a banner with function URLs and a curl that works, streams output, reloads and reports problems", async () => {
    const project = join(root, "proj");
    await writeFiles(project, {
      "base44/config.jsonc": "{}\n",
      "base44/functions/hello/entry.ts": fnSource("hello"),
      "base44/functions/orders/process/entry.ts": fnSource("orders/process"),
    });
    const dev = spawnCli(["dev", project, "--port", "0"], { cwd: root, env: baseEnv() });
    try {
      const [, url] = await dev.waitFor(/ready at (http:\/\/\S+)/);
      await dev.waitFor(/Watching/);
      const out = dev.output();
      expect(out).toContain("App: local");
      expect(out).toContain(`${url}/functions/hello`);
      expect(out).toContain(`${url}/functions/orders/process`);
      const curl = out.match(/curl -X POST (\S+) -H 'Content-Type: application\/json' -d '\{\}'/);
      expect(curl?.[1]).toBe(`${url}/functions/hello`);

      const res = await fetch(curl?.[1] ?? "", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(await res.json()).toMatchObject({ fn: "hello", v: 1 });
      await dev.waitFor(/\[hello\] called hello v1/);

      await writeFile(join(project, "base44/functions/hello/entry.ts"), fnSource("hello", 2));
      await dev.waitFor(/reload Reloaded hello/);
      const again = await fetch(`${url}/functions/hello`, { method: "POST", body: "{}" });
      expect(await again.json()).toMatchObject({ v: 2 });

      await writeFiles(project, { "base44/functions/broken/function.jsonc": "{ not json" });
      await dev.waitFor(/problem .*broken/);
    } finally {
      await dev.stop();
    }
  });

  it("fails with a project error (exit 5) when the folder has no project", async () => {
    const empty = join(root, "empty");
    await writeFiles(empty, { "README.md": "nothing" });
    const r = await cli(["dev", empty, "--port", "0"], { cwd: root, env: baseEnv() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("No project found");
    expect(r.stderr).toContain("fnbase init");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
