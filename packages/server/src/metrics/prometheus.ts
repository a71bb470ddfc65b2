import type { Histogram } from "./histogram.js";
import { type FunctionMetrics, LIMIT_REASONS, STATUS_CLASSES } from "./registry.js";

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(",")}}`;

/** Instances running per function, keyed `appId\0function`. */
export type RunningInstances = Map<string, number>;

/**
 * Every function's metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * @example
 * const text = renderPrometheus(metrics.all(), running);
 */
export function renderPrometheus(fns: FunctionMetrics[], running: RunningInstances): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, rows: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  };
  const each = (f: (m: FunctionMetrics, l: Record<string, string>) => string[]) =>
    fns.flatMap((m) => f(m, { app: m.appId, function: m.functionName }));
  const histogram = (name: string, h: Histogram, l: Record<string, string>) => [
    ...h.bounds.map((b, i) => `${name}_bucket${labels({ ...l, le: String(b) })} ${h.counts[i]}`),
    `${name}_bucket${labels({ ...l, le: "+Inf" })} ${h.count}`,
    `${name}_sum${labels(l)} ${h.sum}`,
    `${name}_count${labels(l)} ${h.count}`,
  ];

  family(
    "fnbase_invocations_total",
    "counter",
    "Finished invocations.",
    each((m, l) => [`fnbase_invocations_total${labels(l)} ${m.invocations}`]),
  );
  family(
    "fnbase_responses_total",
    "counter",
    "Responses by status class.",
    each((m, l) =>
      STATUS_CLASSES.map(
        (c) => `fnbase_responses_total${labels({ ...l, class: c })} ${m.responses[c]}`,
      ),
    ),
  );
  family(
    "fnbase_invocation_duration_seconds",
    "histogram",
    "Invocation time, request start to response end.",
    each((m, l) => histogram("fnbase_invocation_duration_seconds", m.duration, l)),
  );
  family(
    "fnbase_cold_starts_total",
    "counter",
    "Instances started.",
    each((m, l) => [`fnbase_cold_starts_total${labels(l)} ${m.coldStart.count}`]),
  );
  family(
    "fnbase_cold_start_duration_seconds",
    "histogram",
    "Time from an instance's start (its process's assignment: a spare's, or a new one's) to ready.",
    each((m, l) => histogram("fnbase_cold_start_duration_seconds", m.coldStart, l)),
  );
  family(
    "fnbase_instances_running",
    "gauge",
    "Instances running now.",
    each((m, l) => [
      `fnbase_instances_running${labels(l)} ${running.get(`${m.appId}\0${m.functionName}`) ?? 0}`,
    ]),
  );
  family(
    "fnbase_request_bytes_total",
    "counter",
    "Request body bytes passed to functions.",
    each((m, l) => [`fnbase_request_bytes_total${labels(l)} ${m.bytesIn}`]),
  );
  family(
    "fnbase_response_bytes_total",
    "counter",
    "Response body bytes sent by functions.",
    each((m, l) => [`fnbase_response_bytes_total${labels(l)} ${m.bytesOut}`]),
  );
  family(
    "fnbase_log_lines_total",
    "counter",
    "Log lines kept.",
    each((m, l) => [`fnbase_log_lines_total${labels(l)} ${m.logLines}`]),
  );
  family(
    "fnbase_log_lines_dropped_total",
    "counter",
    "Log lines dropped, by reason (rate_limit, buffer_full).",
    each((m, l) =>
      (["rate_limit", "buffer_full"] as const).map(
        (r) => `fnbase_log_lines_dropped_total${labels({ ...l, reason: r })} ${m.droppedLines[r]}`,
      ),
    ),
  );
  family(
    "fnbase_instance_limit_stops_total",
    "counter",
    "Instances stopped over a limit, by limit (memory, cpu, time).",
    each((m, l) =>
      LIMIT_REASONS.map(
        (r) => `fnbase_instance_limit_stops_total${labels({ ...l, limit: r })} ${m.limitStops[r]}`,
      ),
    ),
  );
  family(
    "fnbase_egress_refused_total",
    "counter",
    "Outbound connections of functions the egress proxy refused.",
    each((m, l) => [`fnbase_egress_refused_total${labels(l)} ${m.egressRefused}`]),
  );
  return `${out.join("\n")}\n`;
}

/**
 * The exposition text with `node="<node>"` added to every sample, so that the series of several
 * nodes scraped into one Prometheus stay apart (`fnbase_invocations_total{node="a",app=...}`).
 *
 * @example
 * withNodeLabel('x_total{app="a"} 1\n', "n1"); // 'x_total{node="n1",app="a"} 1\n'
 */
export function withNodeLabel(text: string, node: string): string {
  const label = `node="${esc(node)}"`;
  return text.replace(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/gm, (_m, name: string, brace?: string) =>
    brace ? `${name}{${label},` : `${name}{${label}}`,
  );
}
