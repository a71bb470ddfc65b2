import { FnbaseError } from "@fnbase/shared";
import type { LogLevel } from "../store/log-types.js";
import { parseLevel } from "./levels.js";

/** Largest `limit` of a log query. */
export const MAX_LOG_LIMIT = 1000;
/** `limit` when none is given. */
export const DEFAULT_LOG_LIMIT = 100;

/** The parsed parameters of `GET functions-mgmt/{name}/logs`. */
export interface LogQueryParams {
  since?: number;
  until?: number;
  minLevel?: LogLevel;
  requestId?: string;
  search?: string;
  limit: number;
  order: "asc" | "desc";
}

/** Longest `q` (search text) and `request_id` of a log query, in characters. */
const MAX_TEXT = 200;

const bad = (message: string, hint?: string) =>
  new FnbaseError("INVALID_QUERY", message, hint === undefined ? {} : { hint });

function time(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (text.trim() === "" || Number.isNaN(ms)) {
    throw bad(
      `Invalid "${name}": not an ISO time: ${JSON.stringify(text)}`,
      'Use an ISO 8601 time such as "2025-01-31T12:00:00Z"',
    );
  }
  return ms;
}

/**
 * The level filter of a query string.
 *
 * @example
 * levelParam("warning"); // "warning"
 */
export function levelParam(text: string | undefined): LogLevel | undefined {
  if (text === undefined) return undefined;
  const level = parseLevel(text);
  if (!level) {
    throw bad(`Invalid "level": ${JSON.stringify(text)}`, "Use one of debug, info, warning, error");
  }
  return level;
}

/**
 * Parses `since`, `until`, `level`, `limit`, `order`, `request_id` and `q` (text the message
 * contains); anything malformed is a 400
 * `INVALID_QUERY`.
 *
 * @example
 * parseLogQuery({ level: "warning", limit: "50" }); // { minLevel: "warning", limit: 50, order: "desc" }
 */
export function parseLogQuery(q: Record<string, string | undefined>): LogQueryParams {
  const since = time("since", q.since);
  const until = time("until", q.until);
  if (since !== undefined && until !== undefined && since > until) {
    throw bad(`Invalid time range: "since" (${q.since}) is after "until" (${q.until})`);
  }
  let limit = DEFAULT_LOG_LIMIT;
  if (q.limit !== undefined) {
    limit = /^\d{1,7}$/.test(q.limit) ? Number(q.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LOG_LIMIT)) {
      throw bad(
        `Invalid "limit": must be an integer from 1 to ${MAX_LOG_LIMIT}: ${JSON.stringify(q.limit)}`,
      );
    }
  }
  const order = q.order ?? "desc";
  if (order !== "asc" && order !== "desc") {
    throw bad(`Invalid "order": ${JSON.stringify(order)}`, "Use asc or desc");
  }
  const out: LogQueryParams = { limit, order };
  if (since !== undefined) out.since = since;
  if (until !== undefined) out.until = until;
  const minLevel = levelParam(q.level);
  if (minLevel) out.minLevel = minLevel;
  for (const [param, field] of [
    ["request_id", "requestId"],
    ["q", "search"],
  ] as const) {
    const v = q[param];
    if (v === undefined || v === "") continue;
    if (v.length > MAX_TEXT) throw bad(`Invalid "${param}": longer than ${MAX_TEXT} characters`);
    out[field] = v;
  }
  return out;
}

/**
 * The `function` filter of the live stream: comma-separated names (each may hold `/`), or
 * undefined for every function of the app.
 *
 * @example
 * functionsParam("hello,orders/process"); // ["hello", "orders/process"]
 */
export function functionsParam(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(",").map((s) => s.trim());
  if (names.some((n) => n === "")) {
    throw bad(`Invalid "function": empty name in ${JSON.stringify(text)}`, "Use function=a,b");
  }
  return names;
}
