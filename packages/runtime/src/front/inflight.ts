/**
 * Exchanges in flight and their limits. One sweep over them rather than a timer or an abort
 * listener per request: past its time limit an exchange is aborted; one still waiting after
 * 100 ms starts to watch its caller, so a caller who leaves stops the work (as closing the
 * socket would).
 */

import type { Exchange } from "./http1.ts";
import type { Incoming } from "./message.ts";

interface InFlight {
  deadline: number;
  started: number;
  req: Incoming;
  watched: boolean;
}

const inFlight = new Map<Exchange, InFlight>();

setInterval(() => {
  const now = Date.now();
  for (const [x, f] of inFlight) {
    if (f.deadline <= now) {
      inFlight.delete(x);
      x.abort();
    } else if (!f.watched && now - f.started > 100) {
      f.watched = true;
      f.req.watch(() => {
        x.callerGone = true;
        x.abort();
      });
    }
  }
}, 20);

/** Watches exchange `x` for `req` until {@link untrack}: aborted at `deadline` (epoch ms). */
export function track(x: Exchange, req: Incoming, started: number, deadline: number): void {
  inFlight.set(x, { deadline, started, req, watched: false });
}

export function untrack(x: Exchange): void {
  inFlight.delete(x);
}
