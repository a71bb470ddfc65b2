import { describe, expect, it } from "vitest";
import { MetricsSeries } from "./series.js";

describe("MetricsSeries", () => {
  it("puts calls in their minute, with percentiles within a bucket's width", () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 30);
    const s = new MetricsSeries(() => now);
    for (let i = 1; i <= 100; i++) s.invocation("a", "f", i === 100 ? 502 : 200, i);
    s.coldStart("a", "f");
    s.memory("a", "f", 50 * 1048576);
    now += 60_000;
    s.invocation("a", "g", 200, 3);
    const q = s.query("a", "1h");
    expect(q.step_seconds).toBe(60);
    expect(q.times).toHaveLength(60);
    const last = q.times.length - 1;
    expect(q.functions.f!.invocations[last - 1]).toBe(100);
    expect(q.functions.f!.errors[last - 1]).toBe(1);
    expect(q.functions.f!.cold_starts[last - 1]).toBe(1);
    expect(q.functions.f!.memory_mb[last - 1]).toBe(50);
    const p50 = q.functions.f!.p50_ms[last - 1]!;
    const p95 = q.functions.f!.p95_ms[last - 1]!;
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThanOrEqual(50 * 1.25);
    expect(p95).toBeGreaterThanOrEqual(95);
    expect(p95).toBeLessThanOrEqual(95 * 1.25);
    expect(q.functions.f!.p50_ms[last]).toBeNull();
    expect(q.total.invocations[last]).toBe(1);
    expect(q.total.invocations[last - 1]).toBe(100);
    expect(s.query("b", "1h").functions).toEqual({});
  });

  it("sums a day in 15-minute steps and forgets what is older", () => {
    let now = Date.UTC(2026, 0, 1, 0, 0, 0);
    const s = new MetricsSeries(() => now);
    s.invocation("a", "f", 200, 1);
    now += 20 * 3600_000;
    s.invocation("a", "f", 200, 1);
    expect(s.query("a", "24h").total.invocations.reduce((x, y) => x + y)).toBe(2);
    expect(s.query("a", "24h").times).toHaveLength(96);
    now += 5 * 3600_000;
    s.invocation("a", "f", 200, 1);
    expect(s.query("a", "24h").total.invocations.reduce((x, y) => x + y)).toBe(2);
    expect(() => s.query("a", "7d")).toThrow(/Invalid "range"/);
  });
});
