import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type FnbaseServer, startServer } from "@fnbase/server";
import { afterAll, beforeAll } from "vitest";

/** The CLI binary the tests run (built by `npm run build`). */
export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../bin/fnbase.js");

/** What one CLI run produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp folder, removed by `cleanup`. */
export async function tempDir(prefix = "fnbase-cli-"): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix));
}

/** An env with no credentials from the machine running the tests. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", FNBASE_LOG_LEVEL: "silent" };
  for (const k of [
    "FNBASE_SERVER",
    "FNBASE_API_KEY",
    "BASE44_API_URL",
    "BASE44_API_KEY",
    "FORCE_COLOR",
    // Set when the tests run under npx or npm; `fnbase server` reads it (lifetime.ts).
    "npm_command",
  ])
    delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `node bin/fnbase.js ...args` to completion. */
export function cli(
  args: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: o.cwd, env: o.env, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI with `--json` and parses stdout (which must be exactly one JSON document). */
export async function cliJson<T = Record<string, unknown>>(
  args: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<CliResult & { json: T }> {
  const r = await cli([...args, "--json"], o);
  let json: T;
  try {
    json = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  }
  return { ...r, json };
}

/** Writes files (path → content) under `root`. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content, "utf8");
  }
}

/** A function that answers `{ fn: <name>, v: <version> }` and logs a line. */
export const fnSource = (name: string, v = 1) =>
  `Deno.serve(async (req) => { console.log("called ${name} v${v}"); return Response.json({ fn: "${name}", v: ${v}, auth: req.headers.get("authorization") !== null }); });\n`;

/** A real server on port 0 with a known admin key, and a temp config dir for the CLI. */
export interface TestServer {
  server: FnbaseServer;
  key: string;
  root: string;
  configDir: string;
  /** Env for a logged-in CLI (through FNBASE_SERVER / FNBASE_API_KEY). */
  env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** Starts the shared server of a test file. */
export async function startTestServer(): Promise<TestServer> {
  const root = await tempDir();
  const key = `b44k_test_${Math.random().toString(36).slice(2)}`;
  const server = await startServer({ port: 0, dataDir: join(root, "data"), adminKey: key });
  const configDir = join(root, "config");
  return {
    server,
    key,
    root,
    configDir,
    env: (extra = {}) =>
      baseEnv({
        FNBASE_CONFIG_DIR: configDir,
        FNBASE_SERVER: server.url,
        FNBASE_API_KEY: key,
        ...extra,
      }),
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A long-running CLI child (server, dev) whose output is collected. */
export interface LiveCli {
  child: ChildProcess;
  output(): string;
  /** What it wrote on stderr so far. */
  errors(): string;
  /** Resolves with the first match of `re` in stdout, or rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(): Promise<number | null>;
}

/** CLI children still running: a test that fails before its own stop() leaves one behind. */
const running = new Set<ChildProcess>();
// Registered on the file that imports this module: whatever its tests left running is stopped.
afterAll(async () => {
  await Promise.all(
    [...running].map(async (c) => {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill("SIGTERM");
        await new Promise((r) => c.once("exit", r));
      }
    }),
  );
});

/** Spawns the CLI and keeps it running (stopped after the file's tests at the latest). */
export function spawnCli(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv }): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: o.env });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  child.stderr.on("data", (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    child,
    output: () => out,
    errors: () => err,
    waitFor: (re, ms = 30_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const m = out.match(re);
          if (m) return resolve(m);
          if (child.exitCode !== null || Date.now() - started > ms) {
            return reject(
              new Error(`Timed out waiting for ${re}\nstdout:\n${out}\nstderr:\n${err}`),
            );
          }
          setTimeout(tick, 50);
        };
        tick();
      }),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return await exited;
    },
  };
}

/**
 * Starts a test server and a temp folder before a file's tests, hands both to `use`, and removes
 * both after the tests.
 */
export function withServerAndDir(use: (t: TestServer, dir: string) => void): void {
  let t: TestServer | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    t = await startTestServer();
    dir = await tempDir();
    use(t, dir);
  });
  afterAll(async () => {
    await t?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
}
