import { type Logger, pino } from "pino";
import { readEnv } from "./env.js";

export type { Logger } from "pino";

/**
 * The one logger of fnbase's own code (not functions' output, which the log store keeps).
 * JSON lines on stderr; level from `FNBASE_LOG_LEVEL` (default `info`, `silent` in tests).
 *
 * @example
 * const log = createLogger({ component: "gateway" });
 * log.info({ app: id }, "app created");
 */
export function createLogger(bindings: Record<string, unknown> = {}, level?: string): Logger {
  const resolved = level ?? readEnv("FNBASE_LOG_LEVEL") ?? (process.env.VITEST ? "silent" : "info");
  return pino({ level: resolved, base: bindings }, pino.destination({ fd: 2, sync: false }));
}
