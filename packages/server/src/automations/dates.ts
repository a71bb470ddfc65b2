/**
 * Dates and times of automations: `one_time_date`, `ends_on_date` (ISO 8601, UTC when they
 * name no zone) and `start_time` (`HH:MM`, UTC).
 */

/** Milliseconds in a minute, an hour and a day. */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a date or date-time of an automation: ISO 8601, read as UTC when it names no zone
 * (`"2026-12-01T09:00:00"` is 09:00 UTC, as Base44's examples write it with and without `Z`).
 * A date alone is its midnight, or with `endOfDay` the last millisecond of that day.
 *
 * @example
 * parseUtcDate("2026-12-01T09:00:00"); // 1796115600000
 */
export function parseUtcDate(text: string, endOfDay = false): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const base = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h ?? 0),
    Number(mi ?? 0),
    Number(s ?? 0),
    frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000),
  );
  // Date.UTC rolls over (Feb 30 is Mar 2): refuse dates that do not exist.
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h ?? 0) > 23 ||
    Number(mi ?? 0) > 59 ||
    Number(s ?? 0) > 59
  )
    return undefined;
  let offset = 0;
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    offset = (z[1] === "-" ? -1 : 1) * (Number(z[2]) * HOUR + Number(z[3]) * MINUTE);
  }
  const t = base - offset;
  return endOfDay && h === undefined ? t + DAY - 1 : t;
}

/** `HH:MM` (or `HH:MM:SS`) as milliseconds after midnight. */
export function parseStartTime(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return h * HOUR + mi * MINUTE + s * 1000;
}
