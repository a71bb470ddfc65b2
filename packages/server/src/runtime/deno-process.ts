import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rm, symlink } from "node:fs/promises";
import { join, relative } from "node:path";
import { bootstrapPath, MAX_RECORD_CHARS, runtimeSrcDir } from "@fnbase/runtime";
import type { FunctionOutputLine } from "../config.js";
import { DENO_RUN } from "./deno-binary.js";
import type { InstanceSpec } from "./instance.js";
import { LineSplitter } from "./line-splitter.js";

/** Longest output line kept; the rest of a longer line is dropped (and counted). */
export const MAX_LINE_CHARS = 16 * 1024;
const RS = "\x1e";
const lineCap = (start: string) => (start.startsWith(RS) ? MAX_RECORD_CHARS : MAX_LINE_CHARS);

/**
 * Standard network settings an instance inherits from the server's environment, so `npm:` and
 * `https:` imports download behind a proxy or a TLS-inspecting gateway. They are the machine's
 * settings, not fnbase configuration (see `ENV_VARS`), passed on as a shell would.
 */
const NETWORK_ENV = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NPM_CONFIG_REGISTRY",
];

/**
 * The network settings of {@link NETWORK_ENV} that are set; Deno trusts the OS's CAs too. An
 * npm registry the operator chose for instances (`npmRegistry`) wins over the inherited one.
 */
function networkEnv(npmRegistry: string | undefined): Record<string, string> {
  const env: Record<string, string> = { DENO_TLS_CA_STORE: "mozilla,system" };
  for (const name of NETWORK_ENV) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  if (npmRegistry) env.NPM_CONFIG_REGISTRY = npmRegistry;
  return env;
}

/** Host-wide settings every Deno process shares. */
export interface DenoProcessSettings {
  denoPath: string;
  /** Deno's module cache (DENO_DIR), kept in the data dir so restarts are warm. */
  denoDir: string;
  /** Import map giving `base44:runtime` and the SDKs (`runtime/import-map.ts`). */
  importMapPath: string;
  /** Extra folders instances may read (the SDK bundles the import map points at). */
  readableDirs: string[];
  /** npm registry for `npm:` imports (`NPM_CONFIG_REGISTRY`); unset: the inherited one. */
  npmRegistry?: string | undefined;
  /** Parent folder of per-process temp dirs (each holds the process's socket). */
  instancesDir: string;
  /** Folder of the code links, one per lane (see {@link Lanes}). */
  codeLinksDir: string;
  allowAll: boolean;
}

/** A record a process sends on stdout (`_records.ts` on the Deno side). */
export type ProcessRecord =
  | { t: "waiting" }
  | { t: "ready"; ms: number }
  | { t: "log"; l: FunctionOutputLine["level"]; m: string; r?: string }
  | { t: "boot_error"; m: string; s?: string }
  | { t: "error"; m: string; s?: string; r?: string };

/** What a process says, for whoever owns it now (a spare pool, then an instance). */
export interface ProcessListener {
  record(rec: ProcessRecord): void;
  /** A plain output line; `truncated` when the splitter cut it. */
  line(stream: "stdout" | "stderr", line: string, truncated: boolean): void;
}

/** Environment names the host sets; an app's secret of the same name does not replace them. */
const HOST_ENV = new Set(["DENO_DIR", "TMPDIR", "HOME", "NO_COLOR", "DENO_NO_UPDATE_CHECK"]);

/**
 * Makes `lane` a folder whose entries are symlinks to those of the deployment's `root`. Not one
 * symlink for the whole folder: the process works in it, and a working directory reached
 * through a symlink is the target's path to the OS, where the process may not read.
 */
async function linkCode(root: string, lane: string): Promise<void> {
  await mkdir(lane);
  const entries = await readdir(root);
  await Promise.all(entries.map((e) => symlink(join(root, e), join(lane, e))));
}

/**
 * Small numbers for the paths processes read their function's code through. A process may read
 * only `<codeLinksDir>/<lane>`, fixed when it starts; when it is assigned a function, that path
 * becomes a folder of symlinks to the deployment's files (Deno checks permissions on the path
 * asked for, not on where a symlink leads). Lanes are reused (lowest free first), so Deno's
 * caches, which are keyed by module path, grow with the number of processes at once, not with
 * the number ever started. A lane is free again only once its process has exited.
 */
export class Lanes {
  readonly #free: number[] = [];
  #next = 0;

  take(): number {
    if (this.#free.length === 0) return this.#next++;
    this.#free.sort((a, b) => a - b);
    return this.#free.shift() as number;
  }

  give(lane: number): void {
    this.#free.push(lane);
  }
}

/**
 * One Deno process running the bootstrap, with only the permissions an instance needs: network,
 * read of its lane, the runtime, the module cache and its own dir, write of its own dir,
 * and the environment. It boots before it knows its function; {@link assign} makes it one.
 */
export class DenoProcess {
  readonly id = randomBytes(6).toString("hex");
  readonly dir: string;
  readonly socketPath: string;
  /** True once the bootstrap has loaded and waits for its assignment. */
  waiting = false;
  alive = false;
  /** Resolves with why, once the process has exited and its folders are removed. */
  readonly exited: Promise<string>;

  readonly #settings: DenoProcessSettings;
  readonly #lanes: Lanes;
  readonly #lane: number;
  /** The path this process reads its function's code through (its lane). */
  readonly codePath: string;
  #child: ChildProcess | undefined;
  #listener: ProcessListener;
  #assigned = false;
  #gone = false;
  #linking: Promise<void> | undefined;
  #spawned: Promise<void> | undefined;
  /** A kill asked for before the process ran: it then never starts (see {@link kill}). */
  #killedEarly = false;
  #exit!: (why: string) => void;

  constructor(settings: DenoProcessSettings, lanes: Lanes, listener: ProcessListener) {
    this.#settings = settings;
    this.#lanes = lanes;
    this.#lane = lanes.take();
    this.codePath = join(settings.codeLinksDir, String(this.#lane));
    this.#listener = listener;
    this.dir = join(settings.instancesDir, this.id);
    this.socketPath = join(this.dir, "http.sock");
    this.exited = new Promise((resolve) => {
      this.#exit = resolve;
    });
  }

  /** Who hears the process's records and lines from now on. */
  listen(listener: ProcessListener): void {
    this.#listener = listener;
  }

  #args(): string[] {
    const s = this.#settings;
    const perms = s.allowAll
      ? ["--allow-all"]
      : [
          "--allow-net",
          `--allow-read=${[this.codePath, runtimeSrcDir, s.denoDir, this.dir, ...s.readableDirs].join(",")}`,
          `--allow-write=${this.dir}`,
          // All of the env: the process's env is the host's few settings plus, once assigned, the
          // app's secrets, never the server's. npm packages list it (`debug`, which many pull
          // in, runs Object.keys(process.env) at import and fails under a name list).
          "--allow-env",
        ];
    return [...DENO_RUN, `--import-map=${s.importMapPath}`, ...perms, bootstrapPath];
  }

  /** Starts the process; resolves once it runs (not once it has booted: see `waiting`). */
  spawn(): Promise<void> {
    this.#spawned ??= this.#spawn();
    return this.#spawned;
  }

  async #spawn(): Promise<void> {
    const s = this.#settings;
    try {
      await mkdir(this.dir, { recursive: true });
      // The lane's previous process has exited; whatever its links pointed at is not ours.
      await rm(this.codePath, { recursive: true, force: true });
    } catch (e) {
      this.#finish(`cannot prepare its folder: ${(e as Error).message}`);
      return;
    }
    if (this.#killedEarly) {
      this.#finish("stopped before it started");
      return;
    }
    const child = spawn(s.denoPath, this.#args(), {
      cwd: this.dir,
      env: {
        ...networkEnv(s.npmRegistry),
        DENO_DIR: s.denoDir,
        TMPDIR: this.dir,
        HOME: this.dir,
        NO_COLOR: "1",
        DENO_NO_UPDATE_CHECK: "1",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    this.alive = true;
    const out = new LineSplitter(lineCap, (line, truncated) => {
      if (!line.startsWith(RS)) return this.#listener.line("stdout", line, truncated);
      let rec: ProcessRecord;
      try {
        rec = JSON.parse(line.slice(1)) as ProcessRecord;
      } catch {
        return this.#listener.line("stdout", line.slice(1), false);
      }
      if (rec.t === "waiting") this.waiting = true;
      this.#listener.record(rec);
    });
    const err = new LineSplitter(MAX_LINE_CHARS, (line, truncated) =>
      this.#listener.line("stderr", line, truncated),
    );
    child.stdout?.on("data", (c: Buffer) => out.push(c));
    child.stderr?.on("data", (c: Buffer) => err.push(c));
    child.stdin?.on("error", () => {});
    const done = (why: string) => {
      out.end();
      err.end();
      this.#finish(why);
    };
    child.on("exit", (code, signal) =>
      done(signal ? `killed by ${signal}` : `exited with code ${code}`),
    );
    child.on("error", (e) => done(`cannot run deno: ${e.message}`));
  }

  #finish(why: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.alive = false;
    // The lane is free only once its link is gone (and no assign is still making it).
    const linking = this.#linking ?? Promise.resolve();
    linking
      .catch(() => {})
      .then(() =>
        Promise.allSettled([
          rm(this.codePath, { recursive: true, force: true }),
          rm(this.dir, { recursive: true, force: true }),
        ]),
      )
      .then(() => {
        this.#lanes.give(this.#lane);
        // After the clean-up, so that whoever waits (a closing server) leaves no folder behind.
        this.#exit(why);
      });
  }

  /**
   * Makes this process `spec`'s instance: fills its lane with links to the deployment and sends
   * the assignment. Once only; the process then answers with `ready` or `boot_error`.
   */
  async assign(spec: InstanceSpec, key: string): Promise<void> {
    if (this.#assigned) throw new Error(`Process ${this.id} already runs a function`);
    this.#assigned = true;
    await this.spawn();
    if (this.#gone) return;
    this.#linking = linkCode(spec.root, this.codePath);
    await this.#linking;
    // No prototype: a secret named __proto__ is a name like any other.
    const env: Record<string, string> = Object.create(null);
    for (const [name, value] of Object.entries(spec.env)) {
      if (!HOST_ENV.has(name)) env[name] = value;
    }
    const assignment = {
      key,
      entry: join(this.codePath, relative(spec.root, spec.entry)),
      socket: this.socketPath,
      cwd: this.codePath,
      env,
    };
    // stdin stays open for the process's life: it ends when this server's process does, however
    // that happens (a crash or SIGKILL included), and the instance then stops by itself.
    this.#child?.stdin?.write(`${JSON.stringify(assignment)}\n`);
  }

  /**
   * Sends `signal` to the process. One asked to stop before it runs (its folder still being
   * prepared, or never spawned) never starts, and {@link exited} resolves: otherwise it would
   * start after its owner stopped waiting for it and wait for an assignment for ever (a server
   * closed while a spare was being replaced hung in `close()`).
   */
  kill(signal: NodeJS.Signals): void {
    if (this.#gone) return;
    if (this.#child) {
      this.#child.kill(signal);
      return;
    }
    this.#killedEarly = true;
    if (!this.#spawned) this.#finish("stopped before it started");
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }
}
