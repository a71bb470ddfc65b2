import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** What a dashboard session acts with. */
export type SessionCredential =
  /** An admin or workspace API key: the whole management API (what the key may do). */
  | { kind: "key"; key: string; admin: boolean; prefix: string }
  /** An app admin signed in with email and password: their user token, on their app only. */
  | { kind: "user"; appId: string; userId: string; email: string; token: string };

/** A signed-in dashboard session, kept in the server's memory only. */
export interface Session {
  /** Random, sent to the browser only in the HttpOnly cookie. */
  readonly id: string;
  /** The synchronizer token every request of the session must carry (`X-CSRF-Token`). */
  readonly csrf: string;
  readonly credential: SessionCredential;
  /** Epoch ms. */
  readonly created: number;
  lastSeen: number;
}

/** How long a session lives at most, in ms (12 hours). */
export const SESSION_MAX_AGE_MS = 12 * 3600_000;
/** How long a session lives unused, in ms (2 hours). */
export const SESSION_IDLE_MS = 2 * 3600_000;
/** How long a one-time sign-in code works, in ms (15 minutes). */
export const SIGN_IN_CODE_MS = 15 * 60_000;
/** Most sessions kept at once; a new one past it ends the least recently used. */
export const MAX_SESSIONS = 1_000;

/** Most sessions one signer (one key, one app user) holds at once. */
export const MAX_SESSIONS_PER_SIGNER = 20;

const digest = (id: string) => createHash("sha256").update(id).digest("base64url");

/** Who signed a session in: the key (by its digest) or the app user. */
const signerOf = (c: SessionCredential) =>
  c.kind === "key" ? `key:${digest(c.key)}` : `user:${c.appId}:${c.userId}`;

/**
 * Dashboard sessions: created at sign-in, found by the cookie's id (kept by its SHA-256, so
 * the map holds no id a browser could present), ended by sign-out, by age (12 h), by 2 h unused,
 * and by whoever checks them against their credential (a revoked key, a demoted user). In
 * memory: a restart signs everyone out, which also drops every key held in a session.
 *
 * @example
 * const s = sessions.create({ kind: "key", key, admin: true, prefix: key.slice(0, 12) });
 * sessions.get(s.id); // s, until it ends
 */
export class SessionStore {
  readonly #byDigest = new Map<string, Session>();
  readonly #codes = new Map<string, { credential: SessionCredential; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Ends the least recently used of `entries`. */
  #evictOldest(entries: [string, Session][]): void {
    let oldest: [string, Session] | undefined;
    for (const e of entries) if (!oldest || e[1].lastSeen < oldest[1].lastSeen) oldest = e;
    if (oldest) this.#byDigest.delete(oldest[0]);
  }

  /**
   * Starts a session. One signer (a key, an app user) holds at most
   * {@link MAX_SESSIONS_PER_SIGNER}: past that, their own least recently used one ends. When
   * {@link MAX_SESSIONS} are open, the least recently used app user's session ends, a key's
   * only when no app user's is left, so an app admin signing in again and again cannot push the
   * operator out.
   */
  create(credential: SessionCredential): Session {
    this.#sweep();
    const signer = signerOf(credential);
    const own = [...this.#byDigest].filter(([, s]) => signerOf(s.credential) === signer);
    if (own.length >= MAX_SESSIONS_PER_SIGNER) this.#evictOldest(own);
    if (this.#byDigest.size >= MAX_SESSIONS) {
      const users = [...this.#byDigest].filter(([, s]) => s.credential.kind === "user");
      this.#evictOldest(users.length > 0 ? users : [...this.#byDigest]);
    }
    const now = this.#now();
    const session: Session = {
      id: randomBytes(32).toString("base64url"),
      csrf: randomBytes(32).toString("base64url"),
      credential,
      created: now,
      lastSeen: now,
    };
    this.#byDigest.set(digest(session.id), session);
    return session;
  }

  /**
   * A one-time sign-in code for `credential`, good for {@link SIGN_IN_CODE_MS}: whoever
   * presents it first (`POST /_/session { code }`) gets a session; then it is gone.
   */
  grant(credential: SessionCredential): string {
    const now = this.#now();
    for (const [k, g] of this.#codes) if (g.until < now) this.#codes.delete(k);
    const code = randomBytes(24).toString("base64url");
    this.#codes.set(digest(code), { credential, until: now + SIGN_IN_CODE_MS });
    return code;
  }

  /** The credential of a live one-time code, which is then used up; else undefined. */
  redeem(code: string): SessionCredential | undefined {
    const key = digest(code);
    const g = this.#codes.get(key);
    this.#codes.delete(key);
    return g && g.until >= this.#now() ? g.credential : undefined;
  }

  /** The live session with this id (and marks it used), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined || id === "" || id.length > 100) return undefined;
    const key = digest(id);
    const s = this.#byDigest.get(key);
    if (!s) return undefined;
    const now = this.#now();
    if (now - s.created > SESSION_MAX_AGE_MS || now - s.lastSeen > SESSION_IDLE_MS) {
      this.#byDigest.delete(key);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  /** Ends a session. */
  end(session: Session): void {
    this.#byDigest.delete(digest(session.id));
  }

  /** Ends every session whose credential `match` picks; returns how many ended. */
  endWhere(match: (c: SessionCredential) => boolean): number {
    let n = 0;
    for (const [k, s] of this.#byDigest) {
      if (match(s.credential)) {
        this.#byDigest.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Sessions open now. */
  get size(): number {
    return this.#byDigest.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, s] of this.#byDigest) {
      if (now - s.created > SESSION_MAX_AGE_MS || now - s.lastSeen > SESSION_IDLE_MS) {
        this.#byDigest.delete(k);
      }
    }
  }
}

/** True when `given` is the session's CSRF token (constant time). */
export function csrfMatches(session: Session, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
