import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { bootstrapPath, MAX_RECORD_CHARS, runtimeSrcDir } from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";
import { Pool } from "undici";
import type { FunctionOutputLine } from "../config.js";
import type { Instance, InstanceSpec, StopReason } from "./instance.js";
import { LineSplitter } from "./line-splitter.js";

/** Longest output line kept; the rest of a longer line is dropped (and counted). */
export const MAX_LINE_CHARS = 16 * 1024;
const RS = "\x1e";
/** A plain line the splitter cut: say so (within the line limit, so the note is kept). */
const CUT_NOTE = `… [line longer than ${MAX_LINE_CHARS} chars, rest dropped]`;
const cutNote = (line: string) => `${line.slice(0, MAX_LINE_CHARS - CUT_NOTE.length)}${CUT_NOTE}`;
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

/** The network settings of {@link NETWORK_ENV} that are set; Deno trusts the OS's CAs too. */
function networkEnv(): Record<string, string> {
  const env: Record<string, string> = { DENO_TLS_CA_STORE: "mozilla,system" };
  for (const name of NETWORK_ENV) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

/** Host-wide settings every Deno instance shares. */
export interface DenoHostSettings {
  denoPath: string;
  /** Deno's module cache (DENO_DIR), kept in the data dir so restarts are warm. */
  denoDir: string;
  /** Import map giving `base44:runtime` and `@fnbase/sdk`. */
  importMapPath: string;
  /** Extra folders instances may read (the SDK, for the import alias). */
  readableDirs: string[];
  /** Parent folder of per-instance temp dirs. */
  instancesDir: string;
  bootTimeoutMs: number;
  allowAll: boolean;
  onOutput: (
    line: Omit<FunctionOutputLine, "app_id" | "function" | "deployment_id" | "instance_id">,
    instance: DenoInstance,
  ) => void;
}

type Record_ =
  | { t: "ready"; ms: number }
  | { t: "log"; l: FunctionOutputLine["level"]; m: string; r?: string }
  | { t: "boot_error"; m: string; s?: string }
  | { t: "error"; m: string; s?: string; r?: string };

/**
 * A function instance as its own Deno process, with only the permissions it needs: network,
 * read of its deployment, the runtime and the module cache, write of its own temp dir, and the
 * app's secrets as its only environment. It serves HTTP on a unix socket in its temp dir.
 */
export class DenoInstance implements Instance {
  readonly id = randomBytes(6).toString("hex");
  readonly spec: InstanceSpec;
  readonly authHeader: readonly [string, string];
  readonly socketPath: string;
  dispatcher!: Pool;
  coldStartMs = 0;
  alive = false;

  readonly #host: DenoHostSettings;
  readonly #key = randomBytes(24).toString("hex");
  readonly #dir: string;
  #child: ChildProcess | undefined;
  #exitCbs: ((unexpected: string | undefined) => void)[] = [];
  #stopping: StopReason | undefined;
  #stderrTail: string[] = [];
  #exited: Promise<void> | undefined;

  constructor(spec: InstanceSpec, host: DenoHostSettings) {
    this.spec = spec;
    this.#host = host;
    this.authHeader = ["x-fnbase-instance-key", this.#key];
    this.#dir = join(host.instancesDir, this.id);
    this.socketPath = join(this.#dir, "http.sock");
  }

  #args(socket: string): string[] {
    const h = this.#host;
    const perms = h.allowAll
      ? ["--allow-all"]
      : [
          "--allow-net",
          `--allow-read=${[this.spec.root, runtimeSrcDir, h.denoDir, this.#dir, ...h.readableDirs].join(",")}`,
          `--allow-write=${this.#dir}`,
          // All of the env: the child's env is built below from the function's secrets and a few
          // settings, never the server's. npm packages list it (npm:@base44/sdk pulls in
          // `debug`, which runs Object.keys(process.env) at import and fails under a name list).
          "--allow-env",
        ];
    return [
      "run",
      "--no-prompt",
      "--no-config",
      "--no-lock",
      "--quiet",
      `--import-map=${h.importMapPath}`,
      ...perms,
      bootstrapPath,
      this.spec.entry,
      socket,
    ];
  }

  start(): Promise<void> {
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.stop("boot_failed", false).catch(() => {});
        reject(
          new FnbaseError(
            "FUNCTION_BOOT_FAILED",
            `Function "${this.spec.functionName}" failed to start: ${message}`,
            {
              hint: "Check the function's code; its boot error is in the function's logs",
            },
          ),
        );
      };
      const timer = setTimeout(
        () => fail(`it did not serve within ${this.#host.bootTimeoutMs} ms`),
        this.#host.bootTimeoutMs,
      );

      mkdir(this.#dir, { recursive: true }).then(
        () => {
          const socket = this.socketPath;
          const child = spawn(this.#host.denoPath, this.#args(socket), {
            cwd: this.spec.root,
            env: {
              ...networkEnv(),
              ...this.spec.env,
              DENO_DIR: this.#host.denoDir,
              TMPDIR: this.#dir,
              HOME: this.#dir,
              NO_COLOR: "1",
              DENO_NO_UPDATE_CHECK: "1",
            },
            stdio: ["pipe", "pipe", "pipe"],
          });
          this.#child = child;
          this.alive = true;
          child.stdin?.end(`${this.#key}\n`);
          this.dispatcher = new Pool("http://localhost", {
            socketPath: socket,
            connections: 128,
            pipelining: 1,
            headersTimeout: 0,
            bodyTimeout: 0,
            keepAliveTimeout: 60_000,
          });

          const emit = (
            level: FunctionOutputLine["level"],
            message: string,
            requestId?: string,
          ) => {
            const line = {
              time: new Date().toISOString(),
              level,
              message,
              source: "function" as const,
            };
            this.#host.onOutput(requestId ? { ...line, request_id: requestId } : line, this);
          };
          const out = new LineSplitter(lineCap, (line, truncated) => {
            if (!line.startsWith(RS)) return emit("info", truncated ? cutNote(line) : line);
            let rec: Record_;
            try {
              rec = JSON.parse(line.slice(1)) as Record_;
            } catch {
              return emit("info", line.slice(1));
            }
            switch (rec.t) {
              case "ready":
                if (!settled) {
                  settled = true;
                  clearTimeout(timer);
                  this.coldStartMs = Math.round(performance.now() - started);
                  resolve();
                }
                return;
              case "log":
                return emit(rec.l, rec.m, rec.r || undefined);
              case "error":
                return emit("error", rec.s ?? rec.m, rec.r || undefined);
              case "boot_error":
                emit("error", rec.s ?? rec.m);
                return fail(rec.m);
            }
          });
          const err = new LineSplitter(MAX_LINE_CHARS, (raw, truncated) => {
            const line = truncated ? cutNote(raw) : raw;
            this.#stderrTail.push(line);
            if (this.#stderrTail.length > 20) this.#stderrTail.shift();
            emit("error", line);
          });
          child.stdout?.on("data", (c: Buffer) => out.push(c));
          child.stderr?.on("data", (c: Buffer) => err.push(c));
          this.#exited = new Promise<void>((done) => {
            child.on("exit", (code, signal) => {
              out.end();
              err.end();
              this.alive = false;
              const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
              fail(
                this.#stderrTail.at(-1) ? `${why}: ${this.#stderrTail.slice(-5).join("\n")}` : why,
              );
              const unexpected = this.#stopping ? undefined : why;
              this.dispatcher.destroy().catch(() => {});
              rm(this.#dir, { recursive: true, force: true }).catch(() => {});
              for (const cb of this.#exitCbs) cb(unexpected);
              done();
            });
          });
          child.on("error", (e) => fail(`cannot run deno: ${e.message}`));
        },
        (e: Error) => fail(e.message),
      );
    });
  }

  async stop(reason: StopReason, graceful = true): Promise<void> {
    if (!this.#stopping) this.#stopping = reason;
    const child = this.#child;
    if (!child || !this.alive) return;
    child.kill(graceful ? "SIGTERM" : "SIGKILL");
    if (graceful) {
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await this.#exited;
      clearTimeout(kill);
    } else {
      await this.#exited;
    }
  }

  onExit(cb: (unexpected: string | undefined) => void): void {
    this.#exitCbs.push(cb);
  }

  async rss(): Promise<number | undefined> {
    const pid = this.#child?.pid;
    if (!pid || process.platform !== "linux") return undefined;
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }
}
