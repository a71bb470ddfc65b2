/**
 * Caps on callers' connections, per client address and in all, so that one caller (or one
 * function calling back in) cannot take every file descriptor the front has. When a cap is
 * reached, a new connection makes room by closing an idle one (waiting for a request, or still
 * sending its head), the oldest of the address that holds the most; only when every connection
 * is answering a request is the new one refused (429 for its address, 503 in all).
 */

import { Refusal } from "../http_rules.js";
import type { Connection } from "./connection.ts";

export interface AdmissionLimits {
  /** Callers' connections open at once, in all. */
  maxConnections: number;
  /** Callers' connections open at once from one address. */
  maxPerAddress: number;
}

/** Closes the oldest connection of `set` that is not answering a request; false when none. */
function evictOldest(set: Set<Connection>, drop: (c: Connection) => void): boolean {
  for (const c of set) {
    if (c.evictable) {
      drop(c);
      c.close();
      return true;
    }
  }
  return false;
}

export class Admission {
  readonly limits: AdmissionLimits;
  readonly #byAddress = new Map<string, Set<Connection>>();
  #total = 0;
  /** Connections closed to make room, since start (for tests and diagnostics). */
  evicted = 0;

  constructor(limits: AdmissionLimits) {
    this.limits = limits;
  }

  get total(): number {
    return this.#total;
  }

  /** Admits `c`, closing idle connections to make room if a cap is reached; else says why not. */
  admit(c: Connection): Refusal | undefined {
    const drop = (old: Connection) => {
      this.remove(old);
      this.evicted++;
    };
    let mine = this.#byAddress.get(c.remote);
    if (mine !== undefined && mine.size >= this.limits.maxPerAddress && !evictOldest(mine, drop)) {
      return new Refusal(
        429,
        "RATE_LIMITED",
        `Too many connections from ${c.remote}: at most ${this.limits.maxPerAddress}, all busy`,
      );
    }
    if (this.#total >= this.limits.maxConnections) {
      const fullest = [...this.#byAddress.values()].sort((a, b) => b.size - a.size);
      if (!fullest.some((set) => evictOldest(set, drop))) {
        return new Refusal(
          503,
          "SERVICE_UNAVAILABLE",
          `The server has ${this.limits.maxConnections} connections open, all busy: try again shortly`,
        );
      }
    }
    mine = this.#byAddress.get(c.remote);
    if (mine === undefined) {
      mine = new Set();
      this.#byAddress.set(c.remote, mine);
    }
    mine.add(c);
    this.#total++;
    return undefined;
  }

  /** Forgets `c` (closed); safe to call more than once. */
  remove(c: Connection): void {
    const set = this.#byAddress.get(c.remote);
    if (set === undefined || !set.delete(c)) return;
    this.#total--;
    if (set.size === 0) this.#byAddress.delete(c.remote);
  }
}
