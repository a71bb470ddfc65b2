import type { LogLevel } from "../store/log-types.js";

/** Levels from lowest to highest; a level filter keeps its level and every one after it. */
export const LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];

/**
 * The rank of a level (debug 0 … error 3).
 *
 * @example
 * levelRank("warning") > levelRank("info"); // true
 */
export function levelRank(level: LogLevel): number {
  return LEVELS.indexOf(level);
}

/**
 * A level from a query string, or undefined when it names none (`warn` is taken for `warning`).
 *
 * @example
 * parseLevel("warn"); // "warning"
 */
export function parseLevel(text: string): LogLevel | undefined {
  const t = text.trim().toLowerCase();
  if (t === "warn") return "warning";
  return (LEVELS as readonly string[]).includes(t) ? (t as LogLevel) : undefined;
}
