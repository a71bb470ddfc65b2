/**
 * Decisions Node handed the front, and the instances they point at.
 *
 * A decision says how to send one kind of invocation (same function path and decision context:
 * Host, X-App-Id, Authorization and Origin, see http_rules.js) straight to an instance: its
 * socket, the headers the host adds, the CORS headers of the answer, the limits and the error
 * bodies. It lives at most `ttl` ms (Node keeps it shorter than any token in it). Node says
 * which context it computed for the request; the front keeps a decision only when its own
 * context for the request is the same, so a request the two sides read differently is never
 * answered from one.
 *
 * Each decision Node hands out holds its instance open on Node's side (like an in-flight
 * request); the front gives holds back with `released {i, n, ago}` once it no longer uses the
 * instance: when Node revokes it (redeploy, secret change, exit), when its decisions are flushed
 * or expire, or after half the idle timeout without a request (so idle instances still stop on
 * time). A decision that arrives after a flush or revoke it may predate is not used.
 */

import type { Decision } from "../protocol.js";
import { Upstream } from "./http1.ts";

export interface InstanceUse {
  id: string;
  upstream: Upstream;
  inflight: number;
  lastUsed: number;
  /** Holds Node gave with decisions for this instance and the front has not given back. */
  holds: number;
  keys: Set<string>;
  revoked: boolean;
}

export interface Entry {
  decision: Decision;
  instance: InstanceUse;
  /** The decision's headers as request header lines. */
  headLines: string;
  expires: number;
}

const MAX_ENTRIES = 10_000;

function decode(raw: string): Decision | undefined {
  try {
    const b64 = raw.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const d = JSON.parse(new TextDecoder().decode(bytes)) as Decision;
    return typeof d.i === "string" && typeof d.s === "string" ? d : undefined;
  } catch {
    return undefined;
  }
}

export class Decisions {
  /** Bumped by every flush and revoke: a decision asked for before it is stale. */
  epoch = 0;
  readonly #entries = new Map<string, Entry>();
  readonly #instances = new Map<string, InstanceUse>();
  readonly #idleMs: number;
  readonly #send: (m: unknown) => void;

  constructor(idleMs: number, send: (m: unknown) => void) {
    this.#idleMs = idleMs;
    this.#send = send;
    const every = Math.min(1_000, Math.max(25, Math.floor(idleMs / 4)));
    setInterval(() => this.#sweep(), every);
  }

  /**
   * The decision for `pathname` (whose first `base` characters are the route, up to
   * `functions/`) in context `ctx`: one for the path itself, or for the longest path prefix
   * whose decision covers the paths under it.
   */
  get(pathname: string, base: number, ctx: string): Entry | undefined {
    let e = this.#live(`${pathname}\n${ctx}`);
    if (e !== undefined) return e;
    for (let i = pathname.lastIndexOf("/"); i > base; i = pathname.lastIndexOf("/", i - 1)) {
      e = this.#live(`${pathname.slice(0, i)}\n${ctx}`);
      if (e !== undefined) return e.decision.sub ? e : undefined;
    }
    return undefined;
  }

  #live(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.expires > Date.now() && !e.instance.revoked) return e;
    this.#remove(key, e);
    return undefined;
  }

  /**
   * Takes a decision Node sent with its answer to a request of context `ctx`: kept when Node
   * computed the same context and no flush or revoke came since `epoch`, else its hold is given
   * back at once.
   */
  offer(ctx: string | null, raw: string, epoch: number): void {
    const d = decode(raw);
    if (d === undefined) return;
    const key = `${d.p}\n${ctx}`;
    const inst = this.#instance(d);
    inst.holds++;
    if (ctx === null || d.k !== ctx || epoch !== this.epoch || inst.revoked) {
      this.#maybeRelease(inst);
      return;
    }
    const old = this.#entries.get(key);
    if (old) this.#remove(key, old);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value as string;
      this.#remove(oldest, this.#entries.get(oldest)!);
    }
    let headLines = "";
    for (const [k, v] of d.h) headLines += `${k}: ${v}\r\n`;
    this.#entries.set(key, { decision: d, instance: inst, headLines, expires: Date.now() + d.ttl });
    inst.keys.add(key);
    inst.lastUsed = Date.now();
  }

  /** A request on `inst` finished. */
  done(inst: InstanceUse): void {
    inst.inflight--;
    inst.lastUsed = Date.now();
    this.#maybeRelease(inst);
  }

  /** `inst` did not answer: stop using it. */
  failed(inst: InstanceUse): void {
    this.epoch++;
    inst.revoked = true;
    this.#dropKeys(inst);
  }

  /** Node takes instance `id` back. */
  revoke(id: string): void {
    this.epoch++;
    const inst = this.#instances.get(id);
    if (!inst) return;
    inst.revoked = true;
    this.#dropKeys(inst);
    this.#maybeRelease(inst);
  }

  /** Drops every decision. */
  flushAll(): void {
    this.epoch++;
    this.#entries.clear();
    for (const inst of [...this.#instances.values()]) {
      inst.keys.clear();
      this.#maybeRelease(inst);
    }
  }

  #instance(d: Decision): InstanceUse {
    let inst = this.#instances.get(d.i);
    if (!inst) {
      inst = {
        id: d.i,
        upstream: new Upstream({ transport: "unix", path: d.s }),
        inflight: 0,
        lastUsed: Date.now(),
        holds: 0,
        keys: new Set(),
        revoked: false,
      };
      this.#instances.set(d.i, inst);
    }
    return inst;
  }

  #remove(key: string, e: Entry): void {
    this.#entries.delete(key);
    e.instance.keys.delete(key);
    this.#maybeRelease(e.instance);
  }

  #dropKeys(inst: InstanceUse): void {
    for (const k of inst.keys) this.#entries.delete(k);
    inst.keys.clear();
  }

  #maybeRelease(inst: InstanceUse): void {
    if (inst.inflight > 0 || inst.keys.size > 0) return;
    if (inst.holds > 0) {
      this.#send({ t: "released", i: inst.id, n: inst.holds, ago: Date.now() - inst.lastUsed });
      inst.holds = 0;
    }
    this.#instances.delete(inst.id);
    inst.upstream.close();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, e] of [...this.#entries]) if (e.expires <= now) this.#remove(key, e);
    for (const inst of [...this.#instances.values()]) {
      if (inst.inflight === 0 && now - inst.lastUsed >= this.#idleMs / 2) {
        this.#dropKeys(inst);
        this.#maybeRelease(inst);
      }
    }
  }
}
