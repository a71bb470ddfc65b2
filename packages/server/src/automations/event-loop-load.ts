import { type EventLoopUtilization, performance } from "node:perf_hooks";

/**
 * How busy this process's event loop has been lately: the share of the last `windowMs` it spent
 * running code (Node's `eventLoopUtilization`), sampled by an unref'd timer. The automations
 * dispatcher reads it to give requests priority over deliveries while Node is busy.
 *
 * Busy starts when a window is over `enter` (default 50%) and ends when one is under `leave`
 * (default 30%): between the two it stays as it was, so deliveries do not flap between their
 * two limits at every window. 90% (the first threshold) was seldom reached during a burst of
 * writes on 2 cores (86-92% median: the load generator, the function's process and the server
 * share them), so deliveries ran at full width during the burst and took a third of its writes
 * (`bench:automations`); at 50% they wait for it to pass.
 *
 * @example
 * const load = new EventLoopLoad();
 * if (load.busy()) ...; // over 50% busy lately, and not yet under 30% since
 * load.close();
 */
export class EventLoopLoad {
  #last: EventLoopUtilization = performance.eventLoopUtilization();
  #utilization = 0;
  #busy = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    o: { windowMs?: number; enter?: number; leave?: number; requests?: () => number } = {},
  ) {
    const enter = o.enter ?? 0.5;
    const leave = Math.min(o.leave ?? 0.3, enter);
    let seen = o.requests?.() ?? 0;
    this.#timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.#utilization = performance.eventLoopUtilization(now, this.#last).utilization;
      this.#last = now;
      const count = o.requests?.() ?? 0;
      const quiet = o.requests !== undefined && count === seen;
      seen = count;
      if (quiet || this.#utilization < leave) this.#busy = false;
      else if (this.#utilization > enter) this.#busy = true;
    }, o.windowMs ?? 200);
    this.#timer.unref();
  }

  /** The share of the last window the event loop was busy, 0 to 1. */
  get utilization(): number {
    return this.#utilization;
  }

  /** True from a window over `enter` until one under `leave` (or, with `requests`, without any). */
  busy(): boolean {
    return this.#busy;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
