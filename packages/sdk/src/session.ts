import { readToken, removeToken, type TokenStorage, writeToken } from "./token-storage.js";

/** The token a client sends as its user: kept in memory, mirrored in storage when it has one. */
export interface Session {
  get(): string | undefined;
  set(token: string, save: boolean): void;
  clear(): void;
  /** Calls `cb` after each set or clear (realtime reconnects with the new token). */
  onChange(cb: () => void): void;
}

/** A session starting from `initial`, falling back to what `storage` holds. */
export function createSession(initial: string | undefined, storage?: TokenStorage): Session {
  let token = initial;
  let cleared = false;
  const changed: (() => void)[] = [];
  const notify = () => {
    for (const cb of changed) cb();
  };
  return {
    get: () => token ?? (cleared ? undefined : readToken(storage)),
    set(next, save) {
      token = next;
      cleared = false;
      if (save) writeToken(storage, next);
      notify();
    },
    clear() {
      token = undefined;
      cleared = true;
      removeToken(storage);
      notify();
    },
    onChange(cb) {
      changed.push(cb);
    },
  };
}
