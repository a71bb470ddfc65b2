// Handlers that run past their function's time limit. The caller has had its 504 by then (the
// host answers it at the limit and drops the connection); a handler that never heard that abort
// and is still running a moment later is reported, and the host stops the instance. A handler
// that keeps the CPU without yielding never lets this run: the host's watchdog covers that.

import { send } from "./_records.ts";

// Taken when the bootstrap loads, before the function's code could replace them.
const now = Date.now.bind(Date);
const every = setInterval;
const unref = Deno.unrefTimer.bind(Deno);

/** How long past the time limit a handler may still be running before it is reported, in ms. */
const GRACE_MS = 1_000;

const running = new Map<number, { at: number; r: string }>();
let seq = 0;

/** Notes a handler's start; returns the id {@link handlerDone} takes. */
export function handlerStarted(requestId: string): number {
  const id = ++seq;
  running.set(id, { at: now(), r: requestId });
  return id;
}

export function handlerDone(id: number): void {
  running.delete(id);
}

/**
 * Checks every second for a handler running longer than `limitMs` + grace and reports the
 * first it finds (an `overdue` record, once; the host then stops the instance).
 */
export function watchOverdue(limitMs: number): void {
  let reported = false;
  unref(
    every(() => {
      if (reported) return;
      const t = now();
      for (const h of running.values()) {
        if (t - h.at <= limitMs + GRACE_MS) break; // in start order: the rest started later
        reported = true;
        send({ t: "overdue", ms: t - h.at, r: h.r });
        return;
      }
    }, 1_000),
  );
}
