import { type DestinationStream, type Logger, pino } from "pino";
import { readEnv } from "./env.js";

export type { Logger } from "pino";

/** How the log is written: JSON lines for machines, one readable line each for a person. */
export type LogFormat = "json" | "pretty";

/**
 * The one place that decides the log's format when no one chose it (the CLI's `--json` passes
 * `json` to {@link createLogger}): `FNBASE_LOG_FORMAT` when set, else `pretty` when stderr is a
 * terminal and `json` when it is not (a pipe, a file, a log collector).
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const set = readEnv("FNBASE_LOG_FORMAT", env);
  if (set === "json" || set === "pretty") return set;
  return process.stderr.isTTY ? "pretty" : "json";
}

const LEVELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/**
 * One pino JSON line as a person reads it: `info dashboard sign-in key=b44k_ab admin=true`
 * (an error's message after the fields). A line that is not JSON is kept as it is.
 *
 * @example
 * prettyLine('{"level":30,"time":1,"msg":"secrets set","app":"a1"}'); // "info secrets set app=a1"
 */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const { level, time: _time, msg, component: _component, err, ...rest } = rec;
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const parts = [LEVELS[level as number] ?? show(level), show(msg ?? "")];
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${show(v)}`);
  if (err && typeof err === "object") {
    const e = err as { message?: unknown };
    parts.push(`(${show(e.message ?? err)})`);
  }
  return parts.join(" ");
}

/** A pino destination that writes each line through {@link prettyLine} to stderr. */
function prettyStderr(): DestinationStream {
  return { write: (line: string) => void process.stderr.write(`${prettyLine(line)}\n`) };
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. Default `FNBASE_LOG_LEVEL`, else `info` (`silent` in tests). */
  level?: string;
  /** How lines are written. Default {@link logFormat}. */
  format?: LogFormat;
}

/**
 * The one logger of fnbase's own code (not functions' output, which the log store keeps).
 * Lines on stderr.
 *
 * @example
 * const log = createLogger({ component: "gateway" });
 * log.info({ app: id }, "app created");
 * const quiet = createLogger({}, { level: "silent" });
 */
export function createLogger(
  bindings: Record<string, unknown> = {},
  o: LoggerOptions = {},
): Logger {
  const resolved =
    o.level ?? readEnv("FNBASE_LOG_LEVEL") ?? (process.env.VITEST ? "silent" : "info");
  const format = o.format ?? logFormat();
  const dest = format === "pretty" ? prettyStderr() : pino.destination({ fd: 2, sync: false });
  return pino({ level: resolved, base: bindings }, dest);
}
