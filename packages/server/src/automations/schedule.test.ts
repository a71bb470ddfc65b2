import { describe, expect, it } from "vitest";
import { parseUtcDate } from "./dates.js";
import type { ScheduledAutomation } from "./definition.js";
import { compileSchedule } from "./schedule.js";

const T = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
const base = { name: "s", is_active: true, type: "scheduled" } as const;
const simple = (extra: Record<string, unknown>) =>
  ({
    ...base,
    schedule_mode: "recurring",
    schedule_type: "simple",
    ends_type: "never",
    ...extra,
  }) as ScheduledAutomation;
const cron = (expr: string, extra: Record<string, unknown> = {}) =>
  ({
    ...base,
    schedule_mode: "recurring",
    schedule_type: "cron",
    cron_expression: expr,
    ends_type: "never",
    ...extra,
  }) as ScheduledAutomation;

/** The first `n` runs after `from`. */
function runs(d: ScheduledAutomation, from: string, n: number, anchor = from): string[] {
  const s = compileSchedule(d, { minIntervalMs: 300_000, anchor: T(anchor), now: T(from) });
  const out: string[] = [];
  let t = T(from);
  for (let i = 0; i < n; i++) {
    const next = s.next(t);
    if (next === undefined) break;
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

describe("compileSchedule: the runs of each kind, in UTC", () => {
  it.each<[string, ScheduledAutomation, string, string[]]>([
    [
      "one-time without a zone is UTC",
      { ...base, schedule_mode: "one-time", one_time_date: "2026-12-02T09:00:00" },
      "2026-12-01T00:00:00Z",
      ["2026-12-02T09:00:00.000Z"],
    ],
    [
      "one-time with an offset",
      { ...base, schedule_mode: "one-time", one_time_date: "2026-12-02T09:00:00+02:00" },
      "2026-12-01T00:00:00Z",
      ["2026-12-02T07:00:00.000Z"],
    ],
    [
      "cron on weekdays at 09:00",
      cron("0 9 * * 1-5"),
      "2026-12-04T10:00:00Z", // a Friday
      ["2026-12-07T09:00:00.000Z", "2026-12-08T09:00:00.000Z"],
    ],
    [
      "cron ends on a date, inclusive",
      cron("0 9 * * *", { ends_type: "on", ends_on_date: "2026-12-03" }),
      "2026-12-01T10:00:00Z",
      ["2026-12-02T09:00:00.000Z", "2026-12-03T09:00:00.000Z"],
    ],
    [
      "every 15 minutes from 09:05",
      simple({ repeat_unit: "minutes", repeat_interval: 15, start_time: "09:05" }),
      "2026-12-01T10:00:00Z",
      ["2026-12-01T10:05:00.000Z", "2026-12-01T10:20:00.000Z", "2026-12-01T10:35:00.000Z"],
    ],
    [
      "every 2 hours on Mondays only",
      simple({ repeat_unit: "hours", repeat_interval: 2, repeat_on_days: [1] }),
      "2026-12-06T21:00:00Z", // a Sunday
      ["2026-12-07T00:00:00.000Z", "2026-12-07T02:00:00.000Z"],
    ],
    [
      "every 2 days at 08:30, counted from the day it was defined",
      simple({ repeat_unit: "days", repeat_interval: 2, start_time: "08:30" }),
      "2026-12-01T09:00:00Z",
      ["2026-12-03T08:30:00.000Z", "2026-12-05T08:30:00.000Z"],
    ],
    [
      "weekly on Tuesday and Thursday",
      simple({ repeat_unit: "weeks", repeat_on_days: [2, 4], start_time: "07:00" }),
      "2026-12-01T08:00:00Z", // a Tuesday, after 07:00
      ["2026-12-03T07:00:00.000Z", "2026-12-08T07:00:00.000Z", "2026-12-10T07:00:00.000Z"],
    ],
    [
      "every 2 weeks on the weekday it was defined",
      simple({ repeat_unit: "weeks", repeat_interval: 2 }),
      "2026-12-01T08:00:00Z",
      ["2026-12-15T00:00:00.000Z", "2026-12-29T00:00:00.000Z"],
    ],
    [
      "monthly on the 31st: the last day of shorter months",
      simple({ repeat_unit: "months", repeat_on_day_of_month: 31, start_time: "12:00" }),
      "2027-01-31T13:00:00Z",
      ["2027-02-28T12:00:00.000Z", "2027-03-31T12:00:00.000Z", "2027-04-30T12:00:00.000Z"],
    ],
    [
      "every 3 months from the month it was defined",
      simple({ repeat_unit: "months", repeat_interval: 3, repeat_on_day_of_month: 1 }),
      "2026-12-15T00:00:00Z",
      ["2027-03-01T00:00:00.000Z", "2027-06-01T00:00:00.000Z"],
    ],
  ])("%s", (name, d, from, expected) => {
    // A schedule that ends has no run past the expected ones; the others go on.
    const ends = name.startsWith("one-time") || name.includes("ends on");
    const got = runs(d, from, expected.length + 1);
    expect(got.slice(0, expected.length)).toEqual(expected);
    expect(got.length).toBe(ends ? expected.length : expected.length + 1);
  });

  it("last() is the latest run at or before a time (the catch-up tick)", () => {
    const s = compileSchedule(cron("*/5 * * * *"), {
      minIntervalMs: 300_000,
      anchor: 0,
      now: T("2026-12-01T00:00:00Z"),
    });
    expect(iso(s.last(T("2026-12-01T08:05:00Z")))).toBe("2026-12-01T08:05:00.000Z");
    expect(iso(s.last(T("2026-12-01T08:09:59.999Z")))).toBe("2026-12-01T08:05:00.000Z");
    const m = compileSchedule(simple({ repeat_unit: "months", repeat_on_day_of_month: 15 }), {
      minIntervalMs: 300_000,
      anchor: T("2026-01-01T00:00:00Z"),
      now: 0,
    });
    expect(iso(m.last(T("2026-12-14T00:00:00Z")))).toBe("2026-11-15T00:00:00.000Z");
    const w = compileSchedule(simple({ repeat_unit: "hours", repeat_on_days: [1] }), {
      minIntervalMs: 300_000,
      anchor: 0,
      now: 0,
    });
    expect(iso(w.last(T("2026-12-09T12:30:00Z")))).toBe("2026-12-07T23:00:00.000Z");
  });

  it("parseUtcDate reads dates, zones and the end of a day", () => {
    expect(parseUtcDate("2026-12-01")).toBe(T("2026-12-01T00:00:00Z"));
    expect(parseUtcDate("2026-12-01", true)).toBe(T("2026-12-02T00:00:00Z") - 1);
    expect(parseUtcDate("2026-12-01T10:00:00-05:00")).toBe(T("2026-12-01T15:00:00Z"));
    expect(parseUtcDate("2026-13-01")).toBeUndefined();
    expect(parseUtcDate("12/01/2026")).toBeUndefined();
  });
});
