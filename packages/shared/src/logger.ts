import { createRequire } from "node:module";
import { type DestinationStream, type Logger, pino } from "pino";
import type PinoPretty from "pino-pretty";
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

/**
 * The terminal's destination: pino-pretty in this thread, writing to stderr synchronously (no
 * worker transport), one line a record: `[14:03:05.123] INFO: secrets set {"app":"a1"}`. An
 * error shows its message after the text; its stack is on the JSON log (pino-pretty would
 * write it as a block of lines).
 */
function prettyStderr(): DestinationStream {
  // Loaded when first used: importing it costs every CLI command about 30 ms.
  const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
  return pretty({
    destination: 2,
    sync: true,
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,component,err",
    // `err` (pino's error key) is always error-like; other fields, `error` too, stay plain JSON.
    errorLikeObjectKeys: ["err"],
    messageFormat: (log, key) => {
      const err = log.err;
      const why = err && typeof err === "object" ? (err as { message?: unknown }).message : err;
      const msg = String(log[key] ?? "");
      return why === undefined ? msg : `${msg} (${String(why)})`;
    },
  });
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
