import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { type Decision, frontPath, RECORD_FIELDS, runtimeSrcDir } from "@fnbase/runtime";
import { FnbaseError, type Logger } from "@fnbase/shared";
import { untilExited } from "../gateway/forward.js";
import type { InvocationRecord } from "../gateway/gateway.js";
import { DENO_RUN } from "../runtime/deno-binary.js";
import type { Instance } from "../runtime/instance.js";
import { LineSplitter } from "../runtime/line-splitter.js";

export interface FrontSettings {
  denoPath: string;
  host: string;
  port: number;
  /** How the busy-port hint names the way to pick another port (`ServerOptions.portOption`). */
  portOption: string;
  idleMs: number;
  /** The front's limits (see its Settings in packages/runtime/src/front/main.ts). */
  limits: {
    maxUploadBytes: number;
    maxFileBytes: number;
    maxConnections: number;
    maxConnectionsPerAddress: number;
    maxConcurrentPerApp: number;
    maxIdleUpstream: number;
  };
  /** The folder of Node's internal socket (the front connects to it; no instance may). */
  internalDir: string;
  /** Where instance sockets live (the front connects to them). */
  instancesDir: string;
  log: Logger;
  onInvocation: (r: InvocationRecord) => void;
  /** The running instance with this id, if any. */
  instance: (id: string) => Instance | undefined;
}

type Message =
  | { t: "listening"; port: number }
  | { t: "flushed"; n: number }
  | { t: "drained"; n: number }
  | { t: "released"; i: string; n: number; ago: number }
  /** Invocation records, flat: RECORD_FIELDS values each. */
  | { t: "inv"; r: (string | number)[] }
  | { t: "error"; m: string }
  | { t: "failed"; i: string; n: number };

/**
 * Node's end of the front: starts the Deno process that owns the public port, hands it
 * decisions (each holding its instance open until the front gives it back), and takes them back
 * when what they rest on changes.
 */
export class FrontLink {
  readonly secret = randomBytes(24).toString("hex");
  port = 0;
  readonly #secret = Buffer.from(this.secret);
  readonly #s: FrontSettings;
  #child: ChildProcess | undefined;
  #nodeSocket = "";
  #closing = false;
  /** Restarts in a row that did not get the front serving for long (see the exit handler). */
  #failedRestarts = 0;
  #flushSeq = 0;
  readonly #flushes = new Map<number, () => void>();
  /** Per instance, the releases of the holds given with decisions. */
  readonly #holds = new Map<string, ((agoMs?: number) => void)[]>();

  constructor(settings: FrontSettings) {
    this.#s = settings;
  }

  /**
   * Starts the front in front of Node's internal socket and resolves once it listens on the
   * public port.
   */
  start(nodeSocket: string): Promise<void> {
    this.#nodeSocket = nodeSocket;
    const s = this.#s;
    const child = spawn(
      s.denoPath,
      [
        ...DENO_RUN,
        "--allow-net",
        `--allow-read=${runtimeSrcDir},${s.instancesDir},${s.internalDir}`,
        `--allow-write=${s.instancesDir},${s.internalDir}`,
        frontPath,
      ],
      {
        env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", PATH: process.env.PATH ?? "" },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    this.#child = child;
    child.stdin?.on("error", () => {});
    child.stdin?.write(
      `${JSON.stringify({
        secret: this.secret,
        nodeSocket,
        host: s.host,
        port: s.port,
        idleMs: s.idleMs,
        ...s.limits,
      })}\n`,
    );
    let stderr = "";
    let listenedAt: number | undefined;
    return new Promise<void>((resolve, reject) => {
      const out = new LineSplitter(1 << 26, (line) => {
        let m: Message;
        try {
          m = JSON.parse(line) as Message;
        } catch {
          s.log.warn({ line }, "front: unexpected output");
          return;
        }
        if (m.t === "listening") {
          this.port = m.port;
          listenedAt = Date.now();
          resolve();
        } else this.#onMessage(m);
      });
      child.stdout?.on("data", (c: Buffer) => out.push(c));
      child.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString();
        if (stderr.length > 8192) stderr = stderr.slice(-8192);
      });
      child.once("error", (e) => reject(new Error(`cannot run deno for the front: ${e.message}`)));
      child.once("exit", (code, signal) => {
        this.#child = undefined;
        // Whatever the front held, Node takes back.
        for (const releases of this.#holds.values()) for (const release of releases) release();
        this.#holds.clear();
        for (const done of this.#flushes.values()) done();
        this.#flushes.clear();
        const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
        if (this.port === 0) {
          reject(
            /AddrInUse|address already in use/i.test(stderr)
              ? new FnbaseError(
                  "BAD_REQUEST",
                  `Port ${s.port} is already in use${takenOn(stderr)}`,
                  { hint: `Stop the other server or pick another port with ${s.portOption}` },
                )
              : new Error(`the front did not start (${why}): ${stderr.trim()}`),
          );
        } else if (!this.#closing) {
          // A front that served a while comes back at once, so the port is free for as short a
          // while as can be; one that could not listen (its port taken, say) or died soon after
          // comes back less and less often.
          const upMs = listenedAt === undefined ? 0 : Date.now() - listenedAt;
          this.#failedRestarts = upMs >= 10_000 ? 0 : this.#failedRestarts + 1;
          const delay =
            this.#failedRestarts === 0 ? 0 : Math.min(5_000, 100 * 2 ** this.#failedRestarts);
          s.log.error(
            { why, stderr: stderr.trim(), retryInMs: delay },
            listenedAt !== undefined
              ? "the front stopped; restarting it"
              : "the front could not start again; retrying",
          );
          s.port = this.port;
          setTimeout(() => {
            if (!this.#closing) {
              this.start(this.#nodeSocket).catch((err) =>
                s.log.error({ err }, "the front did not restart"),
              );
            }
          }, delay);
        }
      });
    });
  }

  #onMessage(m: Message): void {
    if (m.t === "flushed" || m.t === "drained") {
      this.#flushes.get(m.n)?.();
      this.#flushes.delete(m.n);
    } else if (m.t === "released") {
      const list = this.#holds.get(m.i);
      for (const release of list?.splice(0, m.n) ?? []) release(m.ago);
      if (list?.length === 0) this.#holds.delete(m.i);
    } else if (m.t === "inv") {
      const r = m.r;
      for (let i = 0; i + RECORD_FIELDS <= r.length; i += RECORD_FIELDS) {
        this.#s.onInvocation({
          appId: String(r[i]),
          functionName: String(r[i + 1]),
          requestId: String(r[i + 2]),
          status: Number(r[i + 3]),
          durationMs: Number(r[i + 4]),
          bytesIn: Number(r[i + 5]),
          bytesOut: Number(r[i + 6]),
          cold: false,
          direct: true,
        });
      }
    } else if (m.t === "failed") {
      // The front could not reach an instance: answer once its exit is seen (or a second
      // passed), so the caller's next request does not go to the dying process.
      const inst = this.#s.instance(m.i);
      const seen = inst ? untilExited(inst, 1_000) : Promise.resolve();
      void seen.then(() => this.#send({ t: "answered", n: m.n }));
    } else if (m.t === "error") {
      this.#s.log.error({ error: m.m }, "front: request failed");
    }
  }

  #send(m: unknown): void {
    this.#child?.stdin?.write(`${JSON.stringify(m)}\n`);
  }

  /** The front's process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True when a request came through the front (it carries the front's secret). */
  isFront(value: string | string[] | undefined): boolean {
    if (typeof value !== "string" || value.length !== this.secret.length) return false;
    return timingSafeEqual(Buffer.from(value), this.#secret);
  }

  /**
   * Encodes `decision` for the front, with a hold on its instance (`hold` from the runtime
   * manager); undefined when the instance can no longer be held.
   */
  decide(decision: Decision, hold: (() => ((agoMs?: number) => void) | undefined) | undefined) {
    if (!this.#child) return undefined;
    const release = hold?.();
    if (!release) return undefined;
    let list = this.#holds.get(decision.i);
    if (!list) {
      list = [];
      this.#holds.set(decision.i, list);
    }
    list.push(release);
    return Buffer.from(JSON.stringify(decision)).toString("base64url");
  }

  /**
   * Takes an instance back: the front stops sending it requests and gives its holds back once
   * its requests there are done (the runtime manager's drain waits for that).
   */
  revoke(instance: Instance): void {
    if (this.#holds.has(instance.id)) this.#send({ t: "revoke", i: instance.id });
  }

  /** Drops every decision the front holds; resolves once it has. */
  flush(): Promise<void> {
    if (!this.#child) return Promise.resolve();
    const n = ++this.#flushSeq;
    return new Promise<void>((resolve) => {
      this.#flushes.set(n, resolve);
      this.#send({ t: "flush", n });
    });
  }

  /**
   * Stops taking connections on the public port and resolves once every request in progress
   * has been answered, or after `timeoutMs` (graceful drain; `close()` follows).
   */
  drain(timeoutMs: number): Promise<void> {
    if (!this.#child) return Promise.resolve();
    const n = ++this.#flushSeq;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#flushes.delete(n);
        resolve();
      }, timeoutMs);
      this.#flushes.set(n, () => {
        clearTimeout(timer);
        resolve();
      });
      this.#send({ t: "drain", n });
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.stdin?.end();
    const kill = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(kill);
  }
}

/** ` on <address>` when the front said which of its addresses was taken (see front/main.ts). */
function takenOn(stderr: string): string {
  const m = /is taken on (\S+) by another process/.exec(stderr);
  return m ? ` on ${m[1]}` : "";
}
