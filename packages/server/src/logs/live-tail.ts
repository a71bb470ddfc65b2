import type { SSEStreamingApi } from "hono/streaming";
import type { FunctionOutputLine } from "../config.js";
import type { LogLevel } from "../store/log-types.js";
import { levelRank } from "./levels.js";

/** What a live-tail reader follows. */
export interface TailFilter {
  appId: string;
  functions?: string[];
  minLevel?: LogLevel;
}

/** Lines a slow reader may have waiting before newer ones are dropped (and counted). */
export const TAIL_QUEUE_LINES = 1_000;
const HEARTBEAT_MS = 15_000;

/**
 * Feeds matching lines to one server-sent-events reader as `data: {time, level, function,
 * message, request_id, source}` until it goes away. The queue per reader is bounded: a reader
 * that cannot keep up loses lines and is told how many in a line of its own. A comment line
 * opens the stream at once (so a client knows it is subscribed) and keeps idle ones alive.
 *
 * @example
 * return streamSSE(c, (stream) => tail(stream, filter, (cb) => server.onOutput(cb)));
 */
export async function tail(
  stream: SSEStreamingApi,
  filter: TailFilter,
  subscribe: (cb: (line: FunctionOutputLine) => void) => () => void,
): Promise<void> {
  const wanted = filter.functions ? new Set(filter.functions) : undefined;
  const min = filter.minLevel ? levelRank(filter.minLevel) : 0;
  let queue: FunctionOutputLine[] = [];
  let dropped = 0;
  let wake: (() => void) | undefined;
  let open = true;
  const off = subscribe((line) => {
    if (line.app_id !== filter.appId || (wanted && !wanted.has(line.function))) return;
    if (levelRank(line.level) < min) return;
    if (queue.length >= TAIL_QUEUE_LINES) dropped++;
    else queue.push(line);
    wake?.();
  });
  stream.onAbort(() => {
    open = false;
    off();
    wake?.();
  });
  try {
    await stream.write(": subscribed\n\n");
    while (open) {
      if (queue.length === 0 && dropped === 0) {
        let timer: NodeJS.Timeout | undefined;
        const woke = await new Promise<boolean>((resolve) => {
          wake = () => resolve(true);
          timer = setTimeout(() => resolve(false), HEARTBEAT_MS);
        });
        wake = undefined;
        clearTimeout(timer);
        if (!woke && open) await stream.write(": heartbeat\n\n");
        continue;
      }
      const batch = queue;
      queue = [];
      for (const l of batch) {
        await stream.writeSSE({
          data: JSON.stringify({
            time: l.time,
            level: l.level,
            function: l.function,
            message: l.message,
            request_id: l.request_id ?? null,
            source: l.source,
          }),
        });
      }
      if (dropped > 0) {
        const n = dropped;
        dropped = 0;
        await stream.writeSSE({
          data: JSON.stringify({
            time: new Date().toISOString(),
            level: "warning",
            function: "",
            message: `Dropped ${n} lines: this stream's reader fell behind`,
            request_id: null,
            source: "platform",
          }),
        });
      }
    }
  } finally {
    off();
  }
}
