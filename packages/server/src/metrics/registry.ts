import type { InvocationRecord } from "../gateway/gateway.js";
import { COLD_START_BUCKETS, DURATION_BUCKETS, Histogram } from "./histogram.js";

/** Status classes responses are counted by. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Why log lines were dropped. */
export type DropReason = "rate_limit" | "buffer_full";

/** The limits an instance can be stopped over (`runtime/deno-process.ts`'s `LimitReason`). */
export const LIMIT_REASONS = ["memory", "cpu", "time"] as const;
export type LimitStop = (typeof LIMIT_REASONS)[number];

/** What is counted for one function of one app. */
export interface FunctionMetrics {
  appId: string;
  functionName: string;
  invocations: number;
  responses: Record<StatusClass, number>;
  /** Seconds. */
  duration: Histogram;
  /** Seconds; its count is the number of cold starts. */
  coldStart: Histogram;
  bytesIn: number;
  bytesOut: number;
  logLines: number;
  droppedLines: Record<DropReason, number>;
  /** Instances stopped over a limit, by limit. */
  limitStops: Record<LimitStop, number>;
  /** Outbound connections the egress proxy refused. */
  egressRefused: number;
}

/**
 * In-memory counters per function since the server started: invocations, responses by status
 * class, a duration histogram, cold starts and their time, bytes in and out, and log lines
 * written and dropped. Instances running are read from the runtime when metrics are served.
 *
 * @example
 * const metrics = new MetricsRegistry();
 * server.onInvocation((r) => metrics.invocation(r));
 */
export class MetricsRegistry {
  readonly #fns = new Map<string, FunctionMetrics>();

  /** The counters of one function, created at first use. */
  of(appId: string, functionName: string): FunctionMetrics {
    const key = `${appId}\0${functionName}`;
    let m = this.#fns.get(key);
    if (!m) {
      m = {
        appId,
        functionName,
        invocations: 0,
        responses: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
        duration: new Histogram(DURATION_BUCKETS),
        coldStart: new Histogram(COLD_START_BUCKETS),
        bytesIn: 0,
        bytesOut: 0,
        logLines: 0,
        droppedLines: { rate_limit: 0, buffer_full: 0 },
        limitStops: { memory: 0, cpu: 0, time: 0 },
        egressRefused: 0,
      };
      this.#fns.set(key, m);
    }
    return m;
  }

  invocation(r: InvocationRecord): void {
    const m = this.of(r.appId, r.functionName);
    m.invocations++;
    const cls = STATUS_CLASSES[Math.floor(r.status / 100) - 1];
    if (cls) m.responses[cls]++;
    m.duration.observe(r.durationMs / 1000);
    m.bytesIn += r.bytesIn;
    m.bytesOut += r.bytesOut;
  }

  coldStart(appId: string, functionName: string, ms: number): void {
    this.of(appId, functionName).coldStart.observe(ms / 1000);
  }

  logLine(appId: string, functionName: string): void {
    this.of(appId, functionName).logLines++;
  }

  dropped(appId: string, functionName: string, reason: DropReason, n: number): void {
    this.of(appId, functionName).droppedLines[reason] += n;
  }

  limitStop(appId: string, functionName: string, reason: LimitStop): void {
    this.of(appId, functionName).limitStops[reason]++;
  }

  egressRefused(appId: string, functionName: string): void {
    this.of(appId, functionName).egressRefused++;
  }

  /** Every function's counters, optionally of one app. */
  all(appId?: string): FunctionMetrics[] {
    const out = [...this.#fns.values()];
    return appId === undefined ? out : out.filter((m) => m.appId === appId);
  }
}
