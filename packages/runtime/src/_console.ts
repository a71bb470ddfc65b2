import { requestContext } from "./_context.ts";
import { type Level, send } from "./_records.ts";

const MAX_MESSAGE = 16 * 1024;

function format(args: unknown[]): string {
  const text = args
    .map((a) => (typeof a === "string" ? a : Deno.inspect(a, { depth: 6, colors: false })))
    .join(" ");
  return text.length > MAX_MESSAGE
    ? `${text.slice(0, MAX_MESSAGE)}… [truncated ${text.length - MAX_MESSAGE} chars]`
    : text;
}

function emit(level: Level, args: unknown[]): void {
  const r = requestContext.getStore()?.requestId;
  send(
    r === undefined
      ? { t: "log", l: level, m: format(args) }
      : { t: "log", l: level, m: format(args), r },
  );
}

/**
 * Routes the console to structured records: log/info → info, warn → warning,
 * error/trace → error, debug → debug. Each record carries the current request's id.
 */
export function installConsole(): void {
  const c = globalThis.console as unknown as Record<string, unknown>;
  c.log = (...a: unknown[]) => emit("info", a);
  c.info = (...a: unknown[]) => emit("info", a);
  c.warn = (...a: unknown[]) => emit("warning", a);
  c.error = (...a: unknown[]) => emit("error", a);
  c.debug = (...a: unknown[]) => emit("debug", a);
  c.trace = (...a: unknown[]) => emit("error", [...a, new Error("Trace").stack ?? ""]);
}
