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

/** The children of `pid` whose command line runs the module `main` (a file name). */
async function childrenRunning(pid: number, main: string): Promise<number[]> {
  const out: number[] = [];
  for (const child of await childPids(pid)) {
    const cmd = await readFile(`/proc/${child}/cmdline`, "utf8").catch(() => "");
    if (cmd.split("\0").some((arg) => arg.endsWith(`/${main}`))) out.push(child);
  }
  return out;
}

/** A process and its descendants (Linux /proc). */
async function tree(pid: number): Promise<number[]> {
  const out = [pid];
  for (const child of await childPids(pid)) out.push(...(await tree(child)));
  return out;
}

/**
 * The `node:worker_threads` Workers running under `pid` (in it, or in the Deno process a
 * sandbox's `unshare` runs below it): threads named `worker-<id>`.
 */
async function workerThreads(pid: number): Promise<number> {
  let n = 0;
  for (const p of await tree(pid)) {
    for (const tid of await readdir(`/proc/${p}/task`).catch(() => [] as string[])) {
      const comm = await readFile(`/proc/${p}/task/${tid}/comm`, "utf8").catch(() => "");
      if (/^worker-\d+$/.test(comm.trim())) n++;
    }
  }
  return n;
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

  // On each runtime whatever the default (FNBASE_RUNTIME): a spare is a Deno process for one
  // function (`bootstrap.ts`), or a host process for one app (`host.ts`) with its Workers booted.
  it.each([
    ["process", "bootstrap.ts"],
    ["host", "host.ts"],
  ])(
    "keeps --spares Deno processes started ahead of need (%s runtime), and refuses a bad count",
    async (runtime, main) => {
      const server = spawnCli(
        ["server", "--port", "0", "--data", join(root, `spares-${runtime}`), "--spares", "2"],
        { cwd: root, env: baseEnv({ FNBASE_RUNTIME: runtime }) },
      );
      try {
        await server.waitFor(/Press Ctrl-C/);
        let spares: number[] = [];
        for (let i = 0; i < 200 && spares.length !== 2; i++) {
          spares = await childrenRunning(server.child.pid!, main);
          if (spares.length !== 2) await new Promise((r) => setTimeout(r, 50));
        }
        expect(spares).toHaveLength(2);
        if (runtime === "host") {
          // Each with Workers booted, waiting for the functions of the app it will serve.
          let workers: number[] = [];
          for (let i = 0; i < 200 && !(workers.length === 2 && workers.every((n) => n > 0)); i++) {
            workers = await Promise.all(spares.map(workerThreads));
            await new Promise((r) => setTimeout(r, 50));
          }
          expect(
            workers.every((n) => n > 0),
            JSON.stringify(workers),
          ).toBe(true);
        }
      } finally {
        await server.stop();
      }
      const bad = await cli(["server", "--spares", "-1"], {
        cwd: root,
        env: baseEnv({ FNBASE_RUNTIME: runtime }),
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--spares must be a whole number: -1");
    },
  );

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

      // Piped (as here), a line keeps its level in words: no colours say it.
      await writeFiles(project, {
        "base44/functions/loud/entry.ts":
          'Deno.serve(() => { console.warn("low on cheese"); console.error("out of cheese"); return new Response("ok"); });\n',
      });
      await dev.waitFor(/Added loud|reload .*loud/);
      const loud = await fetch(`${url}/functions/loud`, { method: "POST", body: "{}" });
      expect(await loud.text()).toBe("ok");
      await dev.waitFor(/\[loud\] WARNING low on cheese/);
      await dev.waitFor(/\[loud\] ERROR out of cheese/);

      await writeFiles(project, { "base44/functions/broken/function.jsonc": "{ not json" });
      await dev.waitFor(/problem .*broken/);
    } finally {
      await dev.stop();
    }
  });

  // On each runtime whatever the default: instances' processes, or the app's host process.
  it.each(["process", "host"])(
    "leaves no Deno process behind when it is killed without a chance to stop them (%s runtime)",
    async (runtime) => {
      const project = join(root, `killed-${runtime}`);
      await writeFiles(project, {
        "base44/config.jsonc": "{}\n",
        "base44/functions/hello/entry.ts": fnSource("hello"),
      });
      const dev = spawnCli(["dev", project, "--port", "0", "--no-check"], {
        cwd: root,
        env: baseEnv({ FNBASE_RUNTIME: runtime }),
      });
      const pid = dev.child.pid!;
      let children: number[] = [];
      try {
        const [, url] = await dev.waitFor(/ready at (http:\/\/\S+)/);
        const res = await fetch(`${url}/functions/hello`, { method: "POST", body: "{}" });
        expect(await res.json()).toMatchObject({ fn: "hello" });
        // The front, the running instance (the app's host) and the spare that replaced the one
        // it took; below them, the Deno processes a sandbox's `unshare` runs.
        for (let i = 0; i < 100; i++) {
          if ((await childPids(pid)).length >= 3) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        children = (await tree(pid)).filter((p) => p !== pid);
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
    },
  );

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
