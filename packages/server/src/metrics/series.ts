import { FnbaseError } from "@fnbase/shared";

/** Latency bucket bounds in ms: 1 ms × 1.25^i up to past 5 minutes (58 buckets, ±12%). */
const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 58 }, (_, i) => 1.25 ** i);

/** What one function did in one minute. */
interface Minute {
  invocations: number;
  /** Answers with a 5xx status (the platform's and the function's). */
  errors: number;
  coldStarts: number;
  /** Counts per latency bucket (the last one: over every bound). */
  latency: Uint32Array;
  /** Largest resident memory of the function's instances together in a sample, bytes. */
  memory: number;
}

/** The ranges a series can cover, with their step. */
export const SERIES_RANGES = {
  "1h": { spanMs: 3600_000, stepMs: 60_000 },
  "24h": { spanMs: 24 * 3600_000, stepMs: 15 * 60_000 },
} as const;
export type SeriesRange = keyof typeof SERIES_RANGES;

/** One series' columns, aligned to the answer's `times`; null where nothing was measured. */
export interface SeriesColumns {
  invocations: number[];
  errors: number[];
  p50_ms: (number | null)[];
  p95_ms: (number | null)[];
  cold_starts: number[];
  memory_mb: (number | null)[];
}

/** What `GET /api/apps/{appId}/metrics/series` answers. */
export interface SeriesAnswer {
  range: SeriesRange;
  step_seconds: number;
  /** Start of each step, epoch seconds. */
  times: number[];
  /** Every function together (latencies over all their calls, memory summed). */
  total: SeriesColumns;
  functions: Record<string, SeriesColumns>;
}

const KEEP_MINUTES = 24 * 60 + 1;

const newMinute = (): Minute => ({
  invocations: 0,
  errors: 0,
  coldStarts: 0,
  latency: new Uint32Array(LATENCY_BOUNDS_MS.length + 1),
  memory: 0,
});

/** The `q` quantile of a latency histogram, as its bucket's upper bound (ms), or null. */
function quantile(h: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const want = Math.ceil(total * q);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen >= want) {
      const bound = LATENCY_BOUNDS_MS[i] ?? LATENCY_BOUNDS_MS.at(-1)! * 1.25;
      return Math.round(bound * 10) / 10;
    }
  }
  return null;
}

/**
 * Per-minute counts of each function over the last day, in memory (like the counters of
 * `MetricsRegistry`, they start at zero with the server): invocations, 5xx answers, a latency
 * histogram (p50 and p95 within 12%), cold starts and sampled memory. About 300 bytes per
 * function per active minute; minutes older than a day are dropped as new ones start.
 *
 * @example
 * const series = new MetricsSeries();
 * server.onInvocation((r) => series.invocation(r.appId, r.functionName, r.status, r.durationMs));
 * series.query("app1", "1h"); // { times, total, functions }
 */
export class MetricsSeries {
  /** `appId\0function` → minute number → what happened. */
  readonly #fns = new Map<string, Map<number, Minute>>();
  readonly #now: () => number;
  #lastPrune = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #minute(appId: string, fn: string): Minute {
    const m = Math.floor(this.#now() / 60_000);
    if (m !== this.#lastPrune) this.#prune(m);
    const key = `${appId}\0${fn}`;
    let minutes = this.#fns.get(key);
    if (!minutes) {
      minutes = new Map();
      this.#fns.set(key, minutes);
    }
    let b = minutes.get(m);
    if (!b) {
      b = newMinute();
      minutes.set(m, b);
    }
    return b;
  }

  #prune(minute: number): void {
    this.#lastPrune = minute;
    for (const [key, minutes] of this.#fns) {
      for (const m of minutes.keys()) if (m <= minute - KEEP_MINUTES) minutes.delete(m);
      if (minutes.size === 0) this.#fns.delete(key);
    }
  }

  /** Counts one answered invocation (`status` the caller got, `ms` its duration). */
  invocation(appId: string, fn: string, status: number, ms: number): void {
    const b = this.#minute(appId, fn);
    b.invocations++;
    if (status >= 500) b.errors++;
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
    b.latency[i]!++;
  }

  coldStart(appId: string, fn: string): void {
    this.#minute(appId, fn).coldStarts++;
  }

  /** A sample of the resident memory of a function's instances together, in bytes. */
  memory(appId: string, fn: string, bytes: number): void {
    const b = this.#minute(appId, fn);
    b.memory = Math.max(b.memory, bytes);
  }

  /** The app's series over `range`, step by step, oldest first. */
  query(appId: string, range: string): SeriesAnswer {
    const r = SERIES_RANGES[range as SeriesRange];
    if (!r) {
      throw new FnbaseError("INVALID_QUERY", `Invalid "range": ${JSON.stringify(range)}`, {
        hint: "Use 1h or 24h",
      });
    }
    const stepMin = r.stepMs / 60_000;
    const steps = r.spanMs / r.stepMs;
    const nowMin = Math.floor(this.#now() / 60_000);
    const lastStep = Math.floor(nowMin / stepMin) * stepMin;
    const firstStep = lastStep - (steps - 1) * stepMin;
    const times = Array.from({ length: steps }, (_, i) => (firstStep + i * stepMin) * 60);
    const columns = (): SeriesColumns => ({
      invocations: new Array(steps).fill(0),
      errors: new Array(steps).fill(0),
      p50_ms: new Array(steps).fill(null),
      p95_ms: new Array(steps).fill(null),
      cold_starts: new Array(steps).fill(0),
      memory_mb: new Array(steps).fill(null),
    });
    const total = columns();
    const totalLatency = Array.from(
      { length: steps },
      () => new Uint32Array(LATENCY_BOUNDS_MS.length + 1),
    );
    const totalMemory = new Array<number>(steps).fill(0);
    const functions: Record<string, SeriesColumns> = {};
    const prefix = `${appId}\0`;
    for (const [key, minutes] of this.#fns) {
      if (!key.startsWith(prefix)) continue;
      const c = columns();
      const latency = Array.from(
        { length: steps },
        () => new Uint32Array(LATENCY_BOUNDS_MS.length + 1),
      );
      for (const [m, b] of minutes) {
        const i = Math.floor((m - firstStep) / stepMin);
        if (i < 0 || i >= steps) continue;
        c.invocations[i]! += b.invocations;
        c.errors[i]! += b.errors;
        c.cold_starts[i]! += b.coldStarts;
        if (b.memory > 0) c.memory_mb[i] = Math.max(c.memory_mb[i] ?? 0, b.memory / 1048576);
        for (let k = 0; k < b.latency.length; k++) {
          latency[i]![k]! += b.latency[k]!;
          totalLatency[i]![k]! += b.latency[k]!;
        }
      }
      for (let i = 0; i < steps; i++) {
        c.p50_ms[i] = quantile(latency[i]!, c.invocations[i]!, 0.5);
        c.p95_ms[i] = quantile(latency[i]!, c.invocations[i]!, 0.95);
        const mb = c.memory_mb[i];
        if (mb !== null && mb !== undefined) {
          c.memory_mb[i] = Math.round(mb * 10) / 10;
          totalMemory[i]! += mb;
        }
        total.invocations[i]! += c.invocations[i]!;
        total.errors[i]! += c.errors[i]!;
        total.cold_starts[i]! += c.cold_starts[i]!;
      }
      functions[key.slice(prefix.length)] = c;
    }
    for (let i = 0; i < steps; i++) {
      total.p50_ms[i] = quantile(totalLatency[i]!, total.invocations[i]!, 0.5);
      total.p95_ms[i] = quantile(totalLatency[i]!, total.invocations[i]!, 0.95);
      total.memory_mb[i] = totalMemory[i]! > 0 ? Math.round(totalMemory[i]! * 10) / 10 : null;
    }
    return { range: range as SeriesRange, step_seconds: r.stepMs / 1000, times, total, functions };
  }
}

/** What {@link sampleMemory} reads: the running instances and their resident memory. */
interface RunningInstances {
  instances(): {
    spec: { appId: string; functionName: string };
    rss(): Promise<number | undefined>;
  }[];
}

/** Adds one sample of each function's instances' memory (summed) to `series`. */
export async function sampleMemory(
  runtime: RunningInstances,
  series: MetricsSeries,
): Promise<void> {
  const sums = new Map<string, [string, string, number]>();
  await Promise.all(
    runtime.instances().map(async (i) => {
      const rss = await i.rss().catch(() => undefined);
      if (rss === undefined) return;
      const key = `${i.spec.appId}\0${i.spec.functionName}`;
      const e = sums.get(key) ?? [i.spec.appId, i.spec.functionName, 0];
      e[2] += rss;
      sums.set(key, e);
    }),
  );
  for (const [appId, fn, bytes] of sums.values()) series.memory(appId, fn, bytes);
}
