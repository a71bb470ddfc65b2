import { type EventLoopUtilization, performance } from "node:perf_hooks";

/**
 * How busy this process's event loop has been lately: the share of the last `windowMs` it spent
 * running code (Node's `eventLoopUtilization`), sampled by an unref'd timer. The automations
 * dispatcher reads it to give requests priority over deliveries when Node is saturated.
 *
 * @example
 * const load = new EventLoopLoad();
 * if (load.busy()) ...; // over 90% busy in the last window
 * load.close();
 */
export class EventLoopLoad {
  #last: EventLoopUtilization = performance.eventLoopUtilization();
  #utilization = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #threshold: number;

  constructor(o: { windowMs?: number; threshold?: number } = {}) {
    this.#threshold = o.threshold ?? 0.9;
    this.#timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.#utilization = performance.eventLoopUtilization(now, this.#last).utilization;
      this.#last = now;
    }, o.windowMs ?? 200);
    this.#timer.unref();
  }

  /** The share of the last window the event loop was busy, 0 to 1. */
  get utilization(): number {
    return this.#utilization;
  }

  /** True when the last window was busier than the threshold (default 90%). */
  busy(): boolean {
    return this.#utilization > this.#threshold;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
