import type { Logger } from "@fnbase/shared";
import type { FunctionOutputLine } from "../config.js";
import type { MetricsRegistry } from "../metrics/registry.js";
import type { LogStore } from "../store/log-types.js";
import { LogWriter } from "./log-writer.js";
import { OutputLimiter, type OutputLimits } from "./output-limiter.js";

/** Settings of {@link createLogPipeline}. */
export interface LogPipelineSettings {
  store: LogStore;
  limits: OutputLimits;
  retentionMs: number;
  maxBytesPerApp: number;
  pruneIntervalMs: number;
  metrics: MetricsRegistry;
  log: Logger;
  /** Hands a line that passed the limits to every subscriber (the server's output hub). */
  emit: (line: FunctionOutputLine) => void;
}

/** The log pipeline: instance output in, limited lines out to the hub, hub lines to the store. */
export interface LogPipeline {
  /** Takes a line from an instance or the platform. */
  accept(line: FunctionOutputLine): void;
  /** Keeps a line that went through the hub (subscribe this to the hub). */
  keep(line: FunctionOutputLine): void;
  writer: LogWriter;
  close(): Promise<void>;
}

/** Lines waiting for the store at most; with the rate limit this is only reached by many floods. */
const MAX_PENDING_LINES = 20_000;

/**
 * Wires the rate limiter, the batching writer and the log metrics together. Dropped lines
 * become a platform warning on the function's log and a metric.
 *
 * @example
 * const pipeline = createLogPipeline({ ...settings, emit: (l) => hub.emit(l) });
 * hub.on((l) => pipeline.keep(l));
 */
export function createLogPipeline(s: LogPipelineSettings): LogPipeline {
  const limiter = new OutputLimiter(
    s.limits,
    s.emit,
    (sample, n) =>
      s.emit({
        time: new Date().toISOString(),
        level: "warning",
        message: `Dropped ${n} lines of instance ${sample.instance_id}: over the limit of ${s.limits.linesPerSecond} lines/s (burst ${s.limits.burstLines})`,
        app_id: sample.app_id,
        function: sample.function,
        deployment_id: sample.deployment_id,
        instance_id: sample.instance_id,
        source: "platform",
      }),
    (line) => s.metrics.dropped(line.app_id, line.function, "rate_limit", 1),
  );
  let overflowWarned = 0;
  const writer = new LogWriter(s.store, {
    flushIntervalMs: 100,
    batchLines: 1_000,
    maxPendingLines: MAX_PENDING_LINES,
    pruneIntervalMs: s.pruneIntervalMs,
    retention: () => ({
      olderThan: Date.now() - s.retentionMs,
      maxBytesPerApp: s.maxBytesPerApp,
    }),
    log: s.log,
    onOverflow: (line) => {
      s.metrics.dropped(line.app_id, line.function, "buffer_full", 1);
      if (Date.now() - overflowWarned > 10_000) {
        overflowWarned = Date.now();
        s.log.warn("log buffer full: dropping lines until the store catches up");
      }
    },
  });
  return {
    accept: (line) => limiter.accept(line),
    keep(line) {
      if (line.source === "function") s.metrics.logLine(line.app_id, line.function);
      writer.add(line);
    },
    writer,
    async close() {
      limiter.close();
      await writer.close();
    },
  };
}
