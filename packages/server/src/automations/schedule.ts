/**
 * When a scheduled automation runs, in UTC: the instants of a one-time date, a 5-field cron
 * expression (croner) or a simple repeat, cut at `ends_on_date`. Times are epoch milliseconds.
 * The run count of `ends_after_count` is the scheduler's to keep (see scheduler.ts).
 */

import { Cron, CronPattern } from "croner";
import { DAY, HOUR, MINUTE, parseStartTime, parseUtcDate } from "./dates.js";
import type { ScheduledAutomation, ScheduledCron, ScheduledSimple } from "./definition.js";

/** The instants a schedule names. */
export interface Schedule {
  /** The first instant strictly after `t`, or undefined when there is none. */
  next(t: number): number | undefined;
  /** The last instant at or before `t`, or undefined when there is none. */
  last(t: number): number | undefined;
}

/** A schedule field the server cannot run: the field and why (the caller names the automation). */
export class ScheduleError extends Error {
  constructor(
    readonly field: string,
    readonly why: string,
  ) {
    super(`${field}: ${why}`);
  }
}

const show = (v: unknown) => JSON.stringify(v);
const dayOf = (t: number) => Math.floor(t / DAY);
/** Weekday of an epoch day, 0 = Sunday (1970-01-01 was a Thursday). */
const weekdayOf = (day: number) => (((day + 4) % 7) + 7) % 7;
/** Sunday-started week number of an epoch day. */
const weekOf = (day: number) => Math.floor((day + 4) / 7);
const monthIndex = (t: number) => {
  const d = new Date(t);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};
const mod = (a: number, n: number) => ((a % n) + n) % n;
const describe = (ms: number) =>
  ms % HOUR === 0
    ? `${ms / HOUR} hour${ms === HOUR ? "" : "s"}`
    : ms % MINUTE === 0
      ? `${ms / MINUTE} minute${ms === MINUTE ? "" : "s"}`
      : `${ms / 1000} seconds`;

/** Cuts a schedule at `end` (inclusive). */
function until(s: Schedule, end: number | undefined): Schedule {
  if (end === undefined) return s;
  return {
    next: (t) => {
      const n = s.next(t);
      return n !== undefined && n <= end ? n : undefined;
    },
    last: (t) => s.last(Math.min(t, end)),
  };
}

/** The shortest gap between two runs of a cron pattern, in ms (a lower bound; exact within a day). */
function cronMinGap(p: CronPattern): number {
  const times: number[] = [];
  for (let h = 0; h < 24; h++) {
    if (!p.hour[h]) continue;
    for (let m = 0; m < 60; m++) if (p.minute[m]) times.push(h * 60 + m);
  }
  let gap = 1440 - (times.at(-1) ?? 0) + (times[0] ?? 0);
  for (let i = 1; i < times.length; i++) gap = Math.min(gap, times[i]! - times[i - 1]!);
  return gap * MINUTE;
}

function cronSchedule(d: ScheduledCron, minIntervalMs: number, now: number): Schedule {
  const expr = d.cron_expression.trim();
  let cron: Cron;
  let pattern: CronPattern;
  try {
    pattern = new CronPattern(expr, undefined, { mode: "5-part" });
    cron = new Cron(expr, { utcOffset: 0, paused: true, mode: "5-part" });
  } catch (err) {
    const why = (err as Error).message.replace(/^CronPattern: /, "");
    throw new ScheduleError(
      "cron_expression",
      `not a 5-field cron expression (${why}): ${show(d.cron_expression)}`,
    );
  }
  const gap = cronMinGap(pattern);
  if (gap < minIntervalMs) {
    throw new ScheduleError(
      "cron_expression",
      `runs every ${describe(gap)}, more often than every ${describe(minIntervalMs)}: ${show(d.cron_expression)}`,
    );
  }
  if (cron.nextRun(new Date(now)) === null) {
    throw new ScheduleError("cron_expression", `never runs: ${show(d.cron_expression)}`);
  }
  return {
    next: (t) => cron.nextRun(new Date(t))?.getTime(),
    // previousRuns is strictly before its reference, at second precision; runs fall on minutes.
    last: (t) => cron.previousRuns(1, new Date(Math.floor(t / 1000) * 1000 + 1000))[0]?.getTime(),
  };
}

/** Minutes and hours: every `step` from `start_time` of any day, on the weekdays named. */
function stepSchedule(step: number, offset: number, days: Set<number> | undefined): Schedule {
  const allowed = (t: number) => days === undefined || days.has(weekdayOf(dayOf(t)));
  return {
    next(t) {
      let n = offset + (Math.floor((t - offset) / step) + 1) * step;
      for (let i = 0; i < 16 && !allowed(n); i++) {
        const nextDay = (dayOf(n) + 1) * DAY;
        n = offset + Math.ceil((nextDay - offset) / step) * step;
      }
      return allowed(n) ? n : undefined;
    },
    last(t) {
      let n = offset + Math.floor((t - offset) / step) * step;
      for (let i = 0; i < 16 && !allowed(n); i++) {
        const dayEnd = dayOf(n) * DAY - 1;
        n = offset + Math.floor((dayEnd - offset) / step) * step;
      }
      return allowed(n) ? n : undefined;
    },
  };
}

/** Days and weeks: the days `onDay` accepts, at `offset` after midnight. */
function daySchedule(offset: number, onDay: (day: number) => boolean, span: number): Schedule {
  return {
    next(t) {
      for (let day = dayOf(t - offset); day <= dayOf(t - offset) + span; day++) {
        const at = day * DAY + offset;
        if (at > t && onDay(day)) return at;
      }
      return undefined;
    },
    last(t) {
      for (let day = dayOf(t - offset); day >= dayOf(t - offset) - span; day--) {
        const at = day * DAY + offset;
        if (at <= t && onDay(day)) return at;
      }
      return undefined;
    },
  };
}

/** Months: day `dom` (the month's last day when shorter) of every `every`th month from the anchor's. */
function monthSchedule(offset: number, every: number, dom: number, anchorMonth: number): Schedule {
  const at = (month: number) => {
    const y = Math.floor(month / 12);
    const m = month % 12;
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    return Date.UTC(y, m, Math.min(dom, last)) + offset;
  };
  return {
    next(t) {
      let m = monthIndex(t) - 1;
      m += mod(anchorMonth - m, every);
      for (; ; m += every) if (at(m) > t) return at(m);
    },
    last(t) {
      let m = monthIndex(t) + 1;
      m -= mod(m - anchorMonth, every);
      for (; ; m -= every) if (at(m) <= t) return at(m);
    },
  };
}

function simpleSchedule(d: ScheduledSimple, minIntervalMs: number, anchor: number): Schedule {
  const every = d.repeat_interval ?? 1;
  let offset = 0;
  if (d.start_time !== undefined && d.start_time !== null) {
    const o = parseStartTime(d.start_time);
    if (o === undefined)
      throw new ScheduleError("start_time", `must be HH:MM (UTC): ${show(d.start_time)}`);
    offset = o;
  }
  const days =
    d.repeat_on_days && d.repeat_on_days.length > 0 ? new Set(d.repeat_on_days) : undefined;
  const anchorDay = dayOf(anchor);
  switch (d.repeat_unit) {
    case "minutes":
    case "hours": {
      const step = every * (d.repeat_unit === "minutes" ? MINUTE : HOUR);
      if (step < minIntervalMs) {
        throw new ScheduleError(
          "repeat_interval",
          `every ${describe(step)} is more often than every ${describe(minIntervalMs)}: ${every}`,
        );
      }
      return stepSchedule(step, offset, days);
    }
    case "days":
      return daySchedule(
        offset,
        (day) =>
          mod(day - anchorDay, every) === 0 && (days === undefined || days.has(weekdayOf(day))),
        every * 7 + 7,
      );
    case "weeks": {
      const on = days ?? new Set([weekdayOf(anchorDay)]);
      return daySchedule(
        offset,
        (day) => mod(weekOf(day) - weekOf(anchorDay), every) === 0 && on.has(weekdayOf(day)),
        every * 7 + 7,
      );
    }
    case "months":
      return monthSchedule(
        offset,
        every,
        d.repeat_on_day_of_month ?? new Date(anchor).getUTCDate(),
        monthIndex(anchor),
      );
  }
}

/**
 * Compiles a scheduled automation. `anchor` is when its schedule was defined: simple
 * schedules of days, weeks and months count their interval from it (every 2 days from that
 * day), minutes and hours run at `start_time` plus multiples of the interval on any day.
 *
 * @throws {ScheduleError} for a date, time or expression that cannot run, or a cadence below
 *   `minIntervalMs` (cron: the shortest gap between two runs of a day; simple: the interval).
 * @example
 * compileSchedule(def, { minIntervalMs: 300_000, anchor: Date.now(), now: Date.now() }).next(Date.now());
 */
export function compileSchedule(
  d: ScheduledAutomation,
  o: { minIntervalMs: number; anchor: number; now: number },
): Schedule {
  if (d.schedule_mode === "one-time") {
    const at = parseUtcDate(d.one_time_date);
    if (at === undefined) {
      throw new ScheduleError(
        "one_time_date",
        `not an ISO date-time (UTC unless it names a zone): ${show(d.one_time_date)}`,
      );
    }
    return { next: (t) => (at > t ? at : undefined), last: (t) => (at <= t ? at : undefined) };
  }
  let end: number | undefined;
  if (d.ends_type === "on") {
    end = d.ends_on_date ? parseUtcDate(d.ends_on_date, true) : undefined;
    if (end === undefined) {
      throw new ScheduleError(
        "ends_on_date",
        `must be an ISO date or date-time when ends_type is "on": ${show(d.ends_on_date ?? null)}`,
      );
    }
  }
  if (d.ends_type === "after" && !d.ends_after_count) {
    throw new ScheduleError(
      "ends_after_count",
      `must be a positive integer when ends_type is "after": ${show(d.ends_after_count ?? null)}`,
    );
  }
  const s =
    d.schedule_type === "cron"
      ? cronSchedule(d, o.minIntervalMs, o.now)
      : simpleSchedule(d, o.minIntervalMs, o.anchor);
  return until(s, end);
}
