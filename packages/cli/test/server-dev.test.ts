import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, baseEnv, cli, fnSource, spawnCli, tempDir, writeFiles } from "./helpers.js";

let root: string;

/** The pids of a process's children (Linux /proc). */
async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await readFile(`/proc/${entry}/status`, "utf8");
      if (/^PPid:\s+(\d+)$/m.exec(status)?.[1] === String(pid)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The command lines of a process's children (Linux /proc). */
async function childCommands(pid: number): Promise<string[]> {
  const out: string[] = [];
  for (const child of await childPids(pid)) {
    try {
      out.push((await readFile(`/proc/${child}/cmdline`, "utf8")).replaceAll("\0", " "));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether a process still runs (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

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
    // The note is its own line after the key's: wait for it rather than read what has come.
    await first.waitFor(/shown only this once/);
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

  it("keeps --spares Deno processes started ahead of need, and refuses a bad count", async () => {
    const server = spawnCli(
      ["server", "--port", "0", "--data", join(root, "spares-data"), "--spares", "2"],
      { cwd: root, env: baseEnv() },
    );
    try {
      await server.waitFor(/Press Ctrl-C/);
      let spares = 0;
      for (let i = 0; i < 200 && spares !== 2; i++) {
        spares = (await childCommands(server.child.pid!)).filter((c) =>
          c.includes("bootstrap.ts"),
        ).length;
        if (spares !== 2) await new Promise((r) => setTimeout(r, 50));
      }
      expect(spares).toBe(2);
    } finally {
      await server.stop();
    }
    const bad = await cli(["server", "--spares", "-1"], { cwd: root, env: baseEnv() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--spares must be a whole number: -1");
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
      "base44/entities/Note.jsonc":
        '{ "name": "Note", "properties": { "text": { "type": "string" } } }\n',
    });
    const dev = spawnCli(["dev", project, "--port", "0", "--no-check"], {
      cwd: root,
      env: baseEnv(),
    });
    try {
      const [, url] = await dev.waitFor(/ready at (http:\/\/\S+)/);
      await dev.waitFor(/Watching/);
      const out = dev.output();
      expect(out).toContain("App: local");
      expect(out).toContain(`${url}/api/apps/local/entities/Note`);
      const note = await fetch(`${url}/api/apps/local/entities/Note`, {
        method: "POST",
        body: JSON.stringify({ text: "hi" }),
      });
      expect(await note.json()).toMatchObject({ text: "hi" });
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

  it("leaves no Deno process behind when it is killed without a chance to stop them", async () => {
    const project = join(root, "killed");
    await writeFiles(project, {
      "base44/config.jsonc": "{}\n",
      "base44/functions/hello/entry.ts": fnSource("hello"),
    });
    const dev = spawnCli(["dev", project, "--port", "0", "--no-check"], {
      cwd: root,
      env: baseEnv(),
    });
    const pid = dev.child.pid!;
    let children: number[] = [];
    try {
      const [, url] = await dev.waitFor(/ready at (http:\/\/\S+)/);
      const res = await fetch(`${url}/functions/hello`, { method: "POST", body: "{}" });
      expect(await res.json()).toMatchObject({ fn: "hello" });
      // The front, the running instance and the spare that replaced the one it took.
      for (let i = 0; i < 100; i++) {
        children = await childPids(pid);
        if (children.length >= 3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(children.length).toBeGreaterThanOrEqual(3);
    } finally {
      dev.child.kill("SIGKILL");
      await dev.stop();
    }
    let left = children;
    for (let i = 0; i < 200 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = children.filter(alive);
    }
    expect(left).toEqual([]);
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

describe("when the process that started it goes away", () => {
  /**
   * Runs `fnbase <args>` in the background of `sh -c "… & wait"` (the shape of `npm start`:
   * npm's shell, its child), its output in a file; resolves once it printed `ready`.
   */
  async function underShell(args: string[], ready: RegExp, env = baseEnv()) {
    const log = join(root, `shell-${args[0]}-${env.npm_command ?? ""}.log`);
    const sh = spawn(
      "sh",
      ["-c", `"$0" "$@" > "${log}" 2>&1 & echo $!; wait`, process.execPath, BIN, ...args],
      { cwd: root, env, stdio: ["ignore", "pipe", "ignore"] },
    );
    const pid = await new Promise<number>((done) => {
      sh.stdout.once("data", (d) => done(Number(String(d).trim())));
    });
    const read = () => {
      try {
        return readFileSync(log, "utf8");
      } catch {
        return ""; // the shell's child has not opened it yet
      }
    };
    for (let i = 0; i < 300; i++) {
      const m = read().match(ready);
      if (m) return { sh, pid, url: m[1] ?? "" };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Not ready: ${read()}`);
  }

  it("fnbase dev stops with its Deno processes, and so does fnbase server started by npx; otherwise fnbase server keeps running (a daemonizer reparents it on purpose)", async () => {
    await writeFiles(join(root, "orphan"), {
      "base44/config.jsonc": "{}\n",
      "base44/functions/hello/entry.ts": fnSource("hello"),
    });
    const dev = await underShell(
      ["dev", join(root, "orphan"), "--port", "0", "--no-check", "--data", join(root, "od")],
      /ready at (http:\/\/\S+)/,
    );
    const server = await underShell(
      ["server", "--port", "0", "--data", join(root, "os")],
      /listening on (http:\/\/\S+)/,
    );
    // `npx fnbase server &`: npm exec is the parent, and `kill <its pid>` must stop the server.
    const npx = await underShell(
      ["server", "--port", "0", "--data", join(root, "on")],
      /listening on (http:\/\/\S+)/,
      baseEnv({ npm_command: "exec" }),
    );
    const devChildren = await childPids(dev.pid);
    expect(devChildren.length).toBeGreaterThanOrEqual(2); // the front and a spare
    try {
      dev.sh.kill("SIGTERM");
      server.sh.kill("SIGTERM");
      npx.sh.kill("SIGTERM");
      const gone = [dev.pid, ...devChildren, npx.pid];
      // A server drains before it exits (a few seconds here under load).
      for (let i = 0; i < 400 && gone.some(alive); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(gone.filter(alive)).toEqual([]);
      await expect(fetch(dev.url)).rejects.toThrow();
      expect([dev.sh.signalCode, server.sh.signalCode]).toEqual(["SIGTERM", "SIGTERM"]);
      // The server's parent is long gone by now (several of its 200 ms looks): it still serves.
      expect(alive(server.pid)).toBe(true);
      expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ ok: true });
    } finally {
      for (const pid of [dev.pid, server.pid, npx.pid])
        if (alive(pid)) process.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && alive(server.pid); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
});
