import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { bootstrapPath, hostPath, runtimeSrcDir } from "@fnbase/runtime";
import { FnbaseError } from "@fnbase/shared";
import type { InstanceCgroup } from "./cgroups.js";
import { denoRun } from "./deno-binary.js";
import { EgressProxy } from "./egress/proxy.js";
import type { InstanceSpec } from "./instance.js";
import { type Lanes, linkAppCode, linkCode } from "./lanes.js";
import { HOST_ENV, heapLimitMb, PROXY_ENV, processEnv } from "./process-env.js";
import { readOutput } from "./process-output.js";
import type { DenoProcessSettings, LimitReason, ProcessListener } from "./process-types.js";
import { childPid } from "./sandbox.js";

export { Lanes } from "./lanes.js";
export { MAX_LINE_CHARS } from "./process-output.js";
export type {
  DenoProcessSettings,
  LimitReason,
  ProcessListener,
  ProcessRecord,
} from "./process-types.js";

/**
 * What a process runs: one function's instance (`bootstrap.ts`), or an app's host process
 * (`host.ts`, `FNBASE_RUNTIME=host`), which runs each of the app's instances as a Worker.
 */
export type ProcessKind = "instance" | "host";

/** Workers a host process may run at once. */
export const HOST_WORKERS = 100;

/**
 * Worker sockets a host process gets, each for one Worker of its life: random names in its
 * folder, each named in its permissions (see {@link DenoProcess}). A host that has used them all
 * takes no new Workers; the app's next ones start on a new host. Every name costs each file
 * access of the process a check (Deno goes through the list: about 0.08 us a name, measured on
 * Deno 2.9, so 20 us for 256).
 */
export const HOST_SOCKETS = 256;

/** A random socket name: 128 bits, base64url (22 characters; a socket's path has 107 at most). */
const socketName = () => randomBytes(16).toString("base64url");

/** A process's id, the name of its folder in the instances' folder (12 hex characters). */
const processId = () => randomBytes(6).toString("hex");

/** The most bytes a unix socket's path may have on Linux (`sun_path` is 108, with its NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * Throws `CONFIG_INVALID` when the sockets of instances in `instancesDir` (in `dataDir`) would not
 * fit a unix socket's path (the longest: a host Worker's, `<instancesDir>/<process id>/<socket
 * name>`), so a server on a too-deep data dir fails at start, with the longest data dir that fits
 * as its hint, instead of at its first cold start.
 */
export function checkSocketPaths(dataDir: string, instancesDir: string): void {
  const longest = join(instancesDir, processId(), socketName());
  const bytes = Buffer.byteLength(longest);
  if (bytes <= MAX_SOCKET_PATH) return;
  const room = Buffer.byteLength(dataDir) - (bytes - MAX_SOCKET_PATH);
  throw new FnbaseError(
    "CONFIG_INVALID",
    `The data dir's path is too long for the unix sockets of instances: ${bytes} bytes for ${longest}, at most ${MAX_SOCKET_PATH}`,
    { hint: `Use a data dir of ${room} bytes or less (the --data option, dataDir)` },
  );
}

/** An app's secrets as a process's environment: without the names the host sets. */
export function appEnv(secrets: Record<string, string>): Record<string, string> {
  // No prototype: a secret named __proto__ is a name like any other.
  const env: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(secrets)) {
    if (!HOST_ENV.has(name)) env[name] = value;
  }
  return env;
}

/** What V8 prints when a process runs out of heap (it then aborts). */
const V8_OUT_OF_MEMORY = /Fatal (?:JavaScript|process) out of memory|JavaScript heap out of memory/;
/** What `unshare --fork` writes when the signal its child died of is SIGKILL (see its use). */
const UNSHARE_RERAISE = /^unshare: sigprocmask unblock failed/;

/**
 * One Deno process running the bootstrap, with only the permissions an instance needs: read of
 * its lane, the runtime, the SDK bundles, the npm packages of the module cache (not the rest of
 * the cache: its `gen/` folder holds every function's transpiled code) and its own folder;
 * write of its own `tmp/` (a size-limited tmpfs in the sandbox) and its socket; the network (in
 * the sandbox, a namespace whose only way out is the egress proxy); the environment. It boots
 * before it knows its function; {@link assign} makes it one.
 *
 * A host process (kind `host`) runs several functions, which share its permissions: instead of
 * its folder, it may read its `tmp/` and, read and write, each of {@link HOST_SOCKETS} socket
 * files of random names in its folder, one per Worker, used once ({@link bootWorker}). A
 * function can neither list the folder nor touch a socket whose name it does not know, so it
 * cannot take over a sibling's (`test/hostile/host-worker-socket.test.ts`). The names go to the
 * process on its stdin's first line, read before any Worker (any function) runs (`host.ts`).
 */
export class DenoProcess {
  readonly id = processId();
  readonly dir: string;
  readonly socketPath: string;
  /** Memory limit, in MB, fixed when the process starts (V8's heap limit follows it). */
  readonly memoryMb: number;
  /** True once the bootstrap has loaded and waits for its assignment (its sandbox set up). */
  waiting = false;
  alive = false;
  /** The limit it went over, when that is why it stopped (set before it is gone). */
  overLimit: LimitReason | undefined;
  readonly exited: Promise<string>;
  readonly kind: ProcessKind;

  readonly #settings: DenoProcessSettings;
  readonly #lanes: Lanes;
  readonly #lane: number;
  /** The path this process reads its function's code through (its lane). */
  readonly codePath: string;
  /**
   * A host's working directory, in its lane: the app's functions' deployments, each linked in
   * as a Worker of it is assigned (`linkAppCode`), so that relative paths resolve from a
   * deployment's root as in a process of its own. Removed with the lane.
   */
  readonly appPath: string;
  /** The functions whose own folder {@link appPath} links (see `linkAppCode`). */
  readonly #appFunctions = new Set<string>();
  readonly #tmpDir: string;
  readonly #warmUpSocket: string;
  #child: ChildProcess | undefined;
  /** Deno's pid, when it is not the child's (a host in a PID namespace: see {@link pid}). */
  #denoPid: number | undefined;
  #listener: ProcessListener;
  #assigned = false;
  #appId: string | undefined;
  #gone = false;
  #linking: Promise<void> | undefined;
  #spawned: Promise<void> | undefined;
  /** Settles once what its assignment needs is ready (see #prepare). */
  #prepared: Promise<void> = Promise.resolve();
  #prepareError: string | undefined;
  #egress: EgressProxy | undefined;
  #cgroup: InstanceCgroup | undefined;
  /** A signal asked for before the process existed: it is then never started. */
  #killedEarly: NodeJS.Signals | undefined;
  /** True once the bootstrap said `waiting`. */
  #booted = false;
  /** True once the sandbox is set up (at once without one). */
  #setUp = false;
  readonly #setUpDone: Promise<void>;
  #markSetUp!: () => void;
  #exit!: (why: string) => void;
  /** Where its egress proxy listens (in the sandbox). */
  readonly #egressSocket: string;
  /** A host's Worker socket names (random), how many are used, and each Worker's socket. */
  readonly #socketNames: readonly string[];
  #socketsUsed = 0;
  /** A host's Workers' sockets and keys, by number (the one booted last with that number). */
  readonly #workerSockets = new Map<number, { path: string; key: string }>();

  constructor(
    settings: DenoProcessSettings,
    lanes: Lanes,
    listener: ProcessListener,
    memoryMb = settings.memoryMb,
    kind: ProcessKind = "instance",
  ) {
    this.kind = kind;
    this.#settings = settings;
    this.#lanes = lanes;
    this.#lane = lanes.take();
    this.codePath = join(settings.codeLinksDir, String(this.#lane));
    this.appPath = join(this.codePath, "app");
    this.#listener = listener;
    this.memoryMb = memoryMb;
    this.dir = join(settings.instancesDir, this.id);
    this.#tmpDir = join(this.dir, "tmp");
    this.#warmUpSocket = join(this.dir, "warm-up.sock");
    this.socketPath = join(this.dir, "http.sock");
    const names = kind === "host" ? (settings.hostSockets ?? HOST_SOCKETS) : 0;
    this.#socketNames = Array.from({ length: names }, socketName);
    // A host's egress socket is out of its functions' reach as its Workers' are (`e-`: told
    // apart from theirs in a listing; short, as a socket's path is).
    this.#egressSocket = join(this.dir, kind === "host" ? `e-${socketName()}` : "egress.sock");
    this.exited = new Promise((resolve) => {
      this.#exit = resolve;
    });
    this.#setUpDone = new Promise((resolve) => {
      this.#markSetUp = () => {
        this.#setUp = true;
        resolve();
      };
    });
    if (!this.#inSandbox) this.#markSetUp();
  }

  /** True when the process runs in namespaces (its setup then reports itself). */
  get #inSandbox(): boolean {
    return this.#settings.sandbox.kind === "namespaces";
  }

  /**
   * True when Deno runs as init of a PID namespace of its own (a host, when the sandbox can):
   * its functions then cannot SIGKILL or SIGSTOP it (see `Sandbox.command`), and the child the
   * server starts is `unshare`, whose child is Deno.
   */
  get #pidNamespace(): boolean {
    return this.kind === "host" && this.#settings.sandbox.pidNamespaces;
  }

  /** Who hears the process's records and lines from now on. */
  listen(listener: ProcessListener): void {
    this.#listener = listener;
  }

  #args(): string[] {
    const s = this.#settings;
    const host = this.kind === "host";
    const sandboxed = this.#inSandbox ? [this.#egressSocket] : [];
    // A host's Workers serve on sockets named in advance, file by file: its folder stays out of
    // reach of its functions (see the class's comment).
    const hostFiles = [
      this.#tmpDir,
      ...this.#socketNames.map((n) => join(this.dir, n)),
      ...sandboxed,
    ];
    const own = host ? hostFiles : [this.dir];
    const writable = host
      ? hostFiles
      : [this.#tmpDir, this.socketPath, this.#warmUpSocket, ...sandboxed];
    // A host's functions share its environment: the proxy settings stay those it started with
    // (Deno ignores a function's changes, and its reads give undefined), so that one function
    // cannot send its siblings' outgoing requests to a listener of its own.
    const ignored = host ? [`--ignore-env=${PROXY_ENV.join(",")}`] : [];
    const perms = s.allowAll
      ? ["--allow-all", ...ignored]
      : [
          "--allow-net",
          `--allow-read=${[this.codePath, runtimeSrcDir, join(s.denoDir, "npm"), ...own, ...s.readableDirs].join(",")}`,
          `--allow-write=${writable.join(",")}`,
          // All of the env: the process's env is the host's few settings plus, once assigned, the
          // app's secrets, never the server's. npm packages list it (`debug`, which many pull
          // in, runs Object.keys(process.env) at import and fails under a name list).
          "--allow-env",
          ...ignored,
        ];
    // A host's Workers get their heap limits one by one (`resourceLimits`), and its own isolate
    // holds next to nothing. No --max-old-space-size for a host: on Deno 2.9 it caps every
    // Worker's heap too, whatever its `resourceLimits` (measured: Workers of 50 and 300 MB both
    // stopped growing at the flag's 96 MB), so a function's own memory limit was not its heap's,
    // and the host's heap watch, which goes by the function's, never saw it full.
    const v8 = host ? [] : [`--max-old-space-size=${heapLimitMb(this.memoryMb)}`];
    const script = host ? hostPath : bootstrapPath;
    return [...denoRun(v8), `--import-map=${s.importMapPath}`, ...perms, script];
  }

  /** Starts the process; resolves once it runs (not once it has booted: see `waiting`). */
  spawn(): Promise<void> {
    this.#spawned ??= this.#spawn();
    return this.#spawned;
  }

  async #spawn(): Promise<void> {
    const s = this.#settings;
    const egressSocket = this.#inSandbox ? this.#egressSocket : undefined;
    try {
      await mkdir(this.#tmpDir, { recursive: true });
    } catch (e) {
      this.#finish(`cannot prepare its folder: ${(e as Error).message}`);
      return;
    }
    if (this.#killedEarly !== undefined) {
      this.#finish(`stopped (${this.#killedEarly}) before it started`);
      return;
    }
    const [cmd, args] = s.sandbox.command(
      s.denoPath,
      this.#args(),
      { dir: this.#tmpDir, bytes: s.writableBytes },
      { pid: this.#pidNamespace },
    );
    const child = spawn(cmd, args, {
      cwd: this.dir,
      env: {
        ...processEnv({
          denoDir: s.denoDir,
          tmpDir: this.#tmpDir,
          warmUpSocket: this.#warmUpSocket,
          npmRegistry: s.npmRegistry,
          egressSocket,
          // A host's functions read its environment: it gets the socket with its socket names.
          egressSocketInEnv: this.kind !== "host",
        }),
        // The heap limit of a host's Workers booted without one (a function of the server's limit).
        ...(this.kind === "host" ? { FNBASE_WORKER_HEAP_MB: String(heapLimitMb(s.memoryMb)) } : {}),
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    this.alive = true;
    if (this.kind === "host") {
      // First, before any Worker exists (see `host.ts`); then the Workers it boots before it
      // knows its app.
      this.send({
        t: "sockets",
        dir: this.dir,
        names: this.#socketNames,
        ...(egressSocket === undefined ? {} : { egress: egressSocket }),
      });
      for (let w = 0; w < (s.hostWorkers ?? 1); w++) this.bootWorker(w);
    }
    const endOutput = readOutput(child, {
      record: (rec) => {
        if (rec.t === "sandboxed") {
          this.#markSetUp();
          this.waiting = this.#booted;
          return;
        }
        if (rec.t === "waiting") {
          this.#booted = true;
          this.waiting = this.#setUp;
        }
        this.#listener.record(rec);
      },
      line: (stream, line, truncated) => {
        if (stream === "stderr" && V8_OUT_OF_MEMORY.test(line)) this.overLimit ??= "memory";
        // A PID namespace's `unshare` (util-linux 2.38) cannot re-raise on itself the SIGKILL
        // its Deno died of, and says so as it exits: that is the kill, said already.
        if (stream === "stderr" && this.#pidNamespace && UNSHARE_RERAISE.test(line)) return;
        this.#listener.line(stream, line, truncated);
      },
    });
    child.stdin?.on("error", () => {});
    const done = async (why: string) => {
      endOutput();
      if (this.overLimit === undefined && (await this.#cgroup?.oomKilled())) {
        this.overLimit = "memory";
      }
      this.#finish(this.#prepareError ?? why);
    };
    child.on(
      "exit",
      (code, signal) => void done(signal ? `killed by ${signal}` : `exited with code ${code}`),
    );
    child.on("error", (e) => void done(`cannot run deno: ${e.message}`));
    // Beside its boot, after the handlers are on (an exit meanwhile must not go unheard).
    this.#prepared = this.#prepare(child.pid, egressSocket).catch((e: Error) => {
      this.#prepareError = `cannot prepare it: ${e.message}`;
      this.kill("SIGKILL");
    });
  }

  /**
   * What only its assignment needs, done while it boots: its lane cleared (the lane's previous
   * process has exited; whatever its links pointed at is not ours), its egress proxy, its
   * cgroup (it moves in a few exec calls into its start; what it used before is charged to the
   * server's cgroup).
   */
  async #prepare(child: number | undefined, egressSocket: string | undefined): Promise<void> {
    const s = this.#settings;
    // Deno's own pid: in a PID namespace, the child's child (what the cgroup, the watchdog and
    // the memory checks need; signals go to the child, see `kill`).
    const pid = child !== undefined && this.#pidNamespace ? await childPid(child) : child;
    this.#denoPid = pid;
    await rm(this.codePath, { recursive: true, force: true });
    if (egressSocket !== undefined) {
      this.#egress = new EgressProxy(
        () => (this.#appId === undefined ? undefined : s.egressRules?.(this.#appId)),
        (r) => this.#listener.egress?.(r),
      );
      await this.#egress.listen(egressSocket);
      if (this.#gone) this.#egress.close();
    }
    if (s.cgroups !== undefined && pid !== undefined) {
      // A host's own share (128 MB) and its Workers booted ahead, until its app's limit is set.
      const mb =
        this.kind === "host" ? 128 + ((s.hostWorkers ?? 1) + 1) * this.memoryMb : this.memoryMb;
      this.#cgroup = await s.cgroups.create(this.id, mb);
      if (this.#gone) await this.#cgroup.remove();
      else await this.#cgroup.join(pid);
    }
  }

  #finish(why: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.alive = false;
    this.#egress?.close();
    // The lane is free only once its link is gone (and no assign is still making it).
    const linking = this.#linking ?? Promise.resolve();
    linking
      .catch(() => {})
      .then(() =>
        Promise.allSettled([
          rm(this.codePath, { recursive: true, force: true }),
          rm(this.dir, { recursive: true, force: true }),
          this.#cgroup?.remove(),
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
    this.#appId = spec.appId;
    await this.spawn();
    await this.#prepared;
    if (this.#gone) return;
    this.#linking = linkCode(spec.root, this.codePath);
    await this.#linking;
    // Its loopback (the egress relay) and tmpfs must be there before its code runs.
    await Promise.race([this.#setUpDone, this.exited]);
    if (this.#gone) return;
    const env = appEnv(spec.env);
    const assignment = {
      key,
      entry: join(this.codePath, relative(spec.root, spec.entry)),
      socket: this.socketPath,
      cwd: this.codePath,
      env,
      timeLimitMs: spec.timeLimitMs,
    };
    // stdin stays open for the process's life: it ends when this server's process does, however
    // that happens (a crash or SIGKILL included), and the instance then stops by itself.
    this.#child?.stdin?.write(`${JSON.stringify(assignment)}\n`);
  }

  /**
   * Makes this host process `appId`'s (kind `host`): its environment becomes the app's secrets
   * and its lane the folder its Workers' lanes go in (`<lane>/<w>`), and {@link appPath}, its
   * working directory. Once only; it answers with a `ready` record.
   */
  async assignApp(appId: string, secrets: Record<string, string>): Promise<void> {
    if (this.#assigned) throw new Error(`Process ${this.id} already runs an app`);
    this.#assigned = true;
    this.#appId = appId;
    await this.spawn();
    await this.#prepared;
    if (this.#gone) return;
    this.#linking = mkdir(this.appPath, { recursive: true }).then(() => {});
    await this.#linking;
    await Promise.race([this.#setUpDone, this.exited]);
    if (this.#gone) return;
    this.send({ t: "app", env: appEnv(secrets), cwd: this.appPath });
  }

  /**
   * Links a deployment of its app's function into its working directory ({@link appPath}, kind
   * `host`; see `linkAppCode`) when `current()` still says so once the links before it are done:
   * one at a time, so that a deployment that replaced this one, linked after it, is what stays.
   * Nothing once the process is gone (its lane is removed only after the links being made).
   */
  linkApp(root: string, functionName: string, current: () => boolean): Promise<void> {
    const run = (this.#linking ?? Promise.resolve())
      .catch(() => {})
      .then(() =>
        this.#gone || !current()
          ? undefined
          : linkAppCode(root, this.appPath, functionName, this.#appFunctions),
      );
    this.#linking = run.catch(() => {});
    return run;
  }

  /**
   * Sets the memory limit of its cgroup, when it has one (a host, as its Workers change). The
   * writes go one at a time, the latest limit last: two at once may land in either order, and a
   * stale lower limit under a host's Workers is the kernel's OOM kill of the whole host (a burst
   * of 16 cold starts was killed so).
   */
  limitMemory(memoryMb: number): Promise<void> {
    this.#limitWanted = memoryMb;
    this.#limitWrites = this.#limitWrites.then(async () => {
      await this.#prepared;
      const mb = this.#limitWanted;
      if (mb === this.#limitSet || this.#cgroup === undefined) return;
      this.#limitSet = mb;
      await this.#cgroup.setMemory(mb);
    });
    return this.#limitWrites;
  }
  #limitWanted = 0;
  #limitSet: number | undefined;
  #limitWrites: Promise<void> = Promise.resolve();

  /**
   * Has a host process boot Worker `w` (with that heap limit, else the server's) on the next
   * unused socket name. False when it has used them all: it takes no new Workers.
   */
  bootWorker(w: number, heapMb?: number): boolean {
    const s = this.#socketsUsed;
    const name = this.#socketNames[s];
    if (name === undefined) return false;
    this.#socketsUsed++;
    const key = randomBytes(24).toString("hex");
    this.#workerSockets.set(w, { path: join(this.dir, name), key });
    this.send({ t: "boot", w, s, key, ...(heapMb === undefined ? {} : { heapMb }) });
    return true;
  }

  /** The key a host's Worker `w` takes its assignment and requests with (see `worker.ts`). */
  workerKey(w: number): string | undefined {
    return this.#workerSockets.get(w)?.key;
  }

  /** How many more Workers a host process can boot (see {@link HOST_SOCKETS}). */
  get socketsLeft(): number {
    return this.#socketNames.length - this.#socketsUsed;
  }

  /** The socket of a host's Worker `w` (the one booted last with that number). */
  workerSocket(w: number): string | undefined {
    return this.#workerSockets.get(w)?.path;
  }

  /** Worker `w` is gone: forgets its socket, and returns it (to be removed). */
  dropWorker(w: number): string | undefined {
    const socket = this.#workerSockets.get(w);
    this.#workerSockets.delete(w);
    return socket?.path;
  }

  /** Writes one command line to a host process's stdin. */
  send(cmd: object): void {
    if (this.alive && this.#child?.stdin?.writable) {
      this.#child.stdin.write(`${JSON.stringify(cmd)}\n`);
    }
  }

  /** Asks the bootstrap to answer with a `pong` record (see `runtime/watchdog.ts`). */
  ping(): void {
    if (this.alive && this.#assigned && this.kind === "instance") this.#child?.stdin?.write("p");
  }

  /**
   * Sends `signal`; with `reason`, records which limit the process went over. One asked to stop
   * before it runs (its folder still being prepared, or never spawned) never starts, and
   * {@link exited} resolves: otherwise it would start after its owner stopped waiting for it and
   * wait for an assignment for ever (a server closed while a spare was being replaced hung).
   */
  kill(signal: NodeJS.Signals, reason?: LimitReason): void {
    if (reason !== undefined) this.overLimit ??= reason;
    if (this.#gone) return;
    if (this.#child && this.kind === "host" && signal === "SIGTERM") {
      // A host stops gracefully when its stdin ends: it ignores SIGTERM, which any of its
      // functions can send it (see `host.ts`).
      this.#child.stdin?.end();
      return;
    }
    if (this.#child && this.#denoPid !== undefined && this.#pidNamespace) {
      // To Deno itself (its namespace's init: from out here, the kernel delivers it), whose
      // `unshare` then reaps it and ends: the child's exit still comes after Deno's. (Killing
      // the `unshare` first would leave Deno to die of its parent-death signal, orphaned.)
      try {
        process.kill(this.#denoPid, signal);
        return;
      } catch {
        // gone already: its `unshare` is ending
      }
    }
    if (this.#child) {
      this.#child.kill(signal);
      return;
    }
    this.#killedEarly = signal;
    if (!this.#spawned) this.#finish(`stopped (${signal}) before it started`);
  }

  /**
   * Deno's pid: the child's, or for a host in a PID namespace, the child's child, known once
   * it has forked (before the process is assigned); undefined until then.
   */
  get pid(): number | undefined {
    return this.#pidNamespace ? this.#denoPid : this.#child?.pid;
  }
}
