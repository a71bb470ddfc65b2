/**
 * Issue 16, item 9: `npm start` stopped the way a process manager or an editor's stop button
 * stops it, with SIGTERM to the npm process alone. npm runs the script through `sh -c` and
 * forwards the signal to that shell only; the server (and so its Deno processes) must stop all
 * the same, and nothing be left listening.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A process as /proc shows it: parent, state (R, S, Z...) and command line. */
interface Proc {
  pid: number;
  ppid: number;
  state: string;
  cmd: string;
}

/** The process `pid` from /proc, or undefined when it is gone. */
function proc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid ...: comm may hold spaces and parentheses.
    const [state = "", ppid = "0"] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(ppid), state, cmd };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root`. */
function descendants(root: number): Proc[] {
  const all = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => proc(Number(d)))
    .filter((p): p is Proc => p !== undefined && p.state !== "Z");
  const found: Proc[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Whether `pid` is gone (or a zombie waiting to be reaped). */
const gone = (pid: number) => {
  const p = proc(pid);
  return p === undefined || p.state === "Z";
};

/** Resolves with the first match of `re` in what `child` prints, or rejects after `ms`. */
function waitFor(child: ChildProcess, out: () => string, re: RegExp, ms: number) {
  return new Promise<RegExpMatchArray>((done, fail) => {
    const started = Date.now();
    const tick = () => {
      const m = out().match(re);
      if (m) return done(m);
      if (child.exitCode !== null || Date.now() - started > ms) {
        return fail(new Error(`Timed out waiting for ${re}:\n${out()}`));
      }
      setTimeout(tick, 50);
    };
    tick();
  });
}

let data: string | undefined;
const started: number[] = [];
afterAll(async () => {
  // Whatever a failed test left behind, by pid.
  for (const pid of started) {
    try {
      if (!gone(pid)) process.kill(pid, "SIGKILL");
    } catch {}
  }
  if (data) await rm(data, { recursive: true, force: true });
});

describe.skipIf(process.platform !== "linux")("npm start", () => {
  it("stops the server and every Deno process it started when the npm process gets SIGTERM", async () => {
    data = await mkdtemp(join(tmpdir(), "fnbase-npm-start-"));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    for (const k of Object.keys(env)) if (/^(npm_|FNBASE_|VITEST)/.test(k)) delete env[k];
    const npm = spawn("npm", ["start", "--", "--port", "0", "--data", data], {
      cwd: REPO,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    npm.stdout?.on("data", (c) => {
      out += String(c);
    });
    npm.stderr?.on("data", (c) => {
      out += String(c);
    });
    const exited = new Promise<unknown>((r) => npm.once("exit", r));
    started.push(npm.pid ?? 0);

    const [, url] = await waitFor(npm, () => out, /ready at (http:\/\/\S+)/, 90_000);
    const hello = await fetch(`${url}/functions/hello?name=Ada`);
    expect(await hello.json()).toEqual({ message: "Hello, Ada!" });

    const tree = descendants(npm.pid ?? 0);
    started.push(...tree.map((p) => p.pid));
    // npm, then `sh -c "node scripts/start.mjs …"`, then node: the server.
    const server = tree.find((p) => /^\S*node (?:--\S+ )*scripts\/start\.mjs/.test(p.cmd));
    const deno = tree.filter((p) => /(^|\/)deno /.test(p.cmd));
    expect(server).toBeDefined();
    // The front, a spare and hello's instance at least (a type check may still run too).
    expect(deno.length).toBeGreaterThanOrEqual(3);
    expect(deno.every((p) => p.ppid === server?.pid)).toBe(true);

    npm.kill("SIGTERM");
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !tree.every((p) => gone(p.pid))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(tree.filter((p) => !gone(p.pid)).map((p) => p.cmd)).toEqual([]);
    await exited;
    await expect(fetch(`${url}/functions/hello`)).rejects.toThrow();
  }, 120_000);
});
