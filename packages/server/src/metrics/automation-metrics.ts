import { DURATION_BUCKETS, Histogram } from "./histogram.js";

/** How an attempt ended. */
export type AttemptOutcome = "succeeded" | "failed" | "retried" | "skipped";
const OUTCOMES: AttemptOutcome[] = ["succeeded", "failed", "retried", "skipped"];

/** What is counted for one automation since the server started. */
export interface AutomationCounters {
  appId: string;
  functionName: string;
  automationId: string;
  name: string;
  attempts: Record<AttemptOutcome, number>;
  /** Seconds, per attempt that reached the function. */
  duration: Histogram;
  /** Seconds from an entity event's write to its run's end (the delivery lag). */
  lag: Histogram;
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(",")}}`;

/**
 * In-memory counters per automation: attempts by outcome, their duration, and for entity
 * events the lag from the write to the run's end. Served with the function metrics (`GET
 * /metrics`, `GET /api/apps/{id}/metrics`).
 *
 * @example
 * metrics.attempt({ appId, functionName, automationId, name }, "succeeded", 0.012, 0.03);
 */
export class AutomationMetrics {
  readonly #all = new Map<string, AutomationCounters>();

  of(k: Pick<AutomationCounters, "appId" | "functionName" | "automationId" | "name">) {
    let c = this.#all.get(k.automationId);
    if (!c) {
      c = {
        ...k,
        attempts: { succeeded: 0, failed: 0, retried: 0, skipped: 0 },
        duration: new Histogram(DURATION_BUCKETS),
        lag: new Histogram(DURATION_BUCKETS),
      };
      this.#all.set(k.automationId, c);
    }
    return c;
  }

  /** Counts one attempt; `seconds` undefined when the function was not called. */
  attempt(
    k: Pick<AutomationCounters, "appId" | "functionName" | "automationId" | "name">,
    outcome: AttemptOutcome,
    seconds: number | undefined,
    lagSeconds: number | undefined,
  ): void {
    const c = this.of(k);
    c.attempts[outcome]++;
    if (seconds !== undefined) c.duration.observe(seconds);
    if (lagSeconds !== undefined) c.lag.observe(lagSeconds);
  }

  all(appId?: string): AutomationCounters[] {
    const out = [...this.#all.values()];
    return appId === undefined ? out : out.filter((c) => c.appId === appId);
  }

  /** The counters as Prometheus text (appended to the function metrics). */
  prometheus(): string {
    const out: string[] = [];
    const rows = (f: (c: AutomationCounters, l: Record<string, string>) => string[]) =>
      this.all().flatMap((c) =>
        f(c, { app: c.appId, function: c.functionName, automation: c.automationId, name: c.name }),
      );
    const histogram = (name: string, h: Histogram, l: Record<string, string>) => [
      ...h.bounds.map((b, i) => `${name}_bucket${labels({ ...l, le: String(b) })} ${h.counts[i]}`),
      `${name}_bucket${labels({ ...l, le: "+Inf" })} ${h.count}`,
      `${name}_sum${labels(l)} ${h.sum}`,
      `${name}_count${labels(l)} ${h.count}`,
    ];
    out.push(
      "# HELP fnbase_automation_attempts_total Automation run attempts, by outcome.",
      "# TYPE fnbase_automation_attempts_total counter",
      ...rows((c, l) =>
        OUTCOMES.map(
          (o) => `fnbase_automation_attempts_total${labels({ ...l, outcome: o })} ${c.attempts[o]}`,
        ),
      ),
      "# HELP fnbase_automation_attempt_duration_seconds Automation attempts that called the function, by duration.",
      "# TYPE fnbase_automation_attempt_duration_seconds histogram",
      ...rows((c, l) => histogram("fnbase_automation_attempt_duration_seconds", c.duration, l)),
      "# HELP fnbase_automation_event_lag_seconds Entity events from the write to the end of their run.",
      "# TYPE fnbase_automation_event_lag_seconds histogram",
      ...rows((c, l) => histogram("fnbase_automation_event_lag_seconds", c.lag, l)),
    );
    return `${out.join("\n")}\n`;
  }
}
