import { FnbaseError } from "@fnbase/shared";
import { Hono, type MiddlewareHandler } from "hono";
import type { AutomationCounters, AutomationMetrics } from "./automation-metrics.js";
import { type RunningInstances, renderPrometheus, withNodeLabel } from "./prometheus.js";
import type { FunctionMetrics, MetricsRegistry } from "./registry.js";
import type { MetricsSeries } from "./series.js";

/** What the metrics routes work with. */
export interface MetricsRoutesDeps {
  metrics: MetricsRegistry;
  /** This node's name: every series of `/metrics` carries it as the `node` label. */
  node: string;
  /** Instances running now per `appId\0function`. */
  running: () => RunningInstances;
  hasApp: (appId: string) => boolean;
  /** The management API's key check. */
  auth: MiddlewareHandler;
  /** Counters per automation, when the server runs them. */
  automations?: AutomationMetrics;
  /** Per-minute series of the last day (the dashboard's charts). */
  series?: MetricsSeries;
}

const automationJson = (a: AutomationCounters) => ({
  id: a.automationId,
  name: a.name,
  function: a.functionName,
  attempts: a.attempts,
  duration_ms: { count: a.duration.count, sum: Math.round(a.duration.sum * 1000) },
  event_lag_ms: { count: a.lag.count, sum: Math.round(a.lag.sum * 1000) },
});

const toJson = (m: FunctionMetrics, running: RunningInstances) => ({
  name: m.functionName,
  invocations: m.invocations,
  responses: m.responses,
  duration_ms: {
    count: m.duration.count,
    sum: Math.round(m.duration.sum * 1000),
    buckets: m.duration.bounds.map((b, i) => ({ le: b * 1000, count: m.duration.counts[i] })),
  },
  cold_starts: {
    count: m.coldStart.count,
    total_ms: Math.round(m.coldStart.sum * 1000),
    avg_ms: m.coldStart.count ? Math.round((m.coldStart.sum * 1000) / m.coldStart.count) : 0,
  },
  instances_running: running.get(`${m.appId}\0${m.functionName}`) ?? 0,
  bytes_in: m.bytesIn,
  bytes_out: m.bytesOut,
  log_lines: m.logLines,
  log_lines_dropped: m.droppedLines,
  limit_stops: m.limitStops,
  egress_refused: m.egressRefused,
});

/**
 * `GET /metrics` (Prometheus text, admin or workspace key), `GET /api/apps/{appId}/metrics`
 * (JSON per function since start) and `GET /api/apps/{appId}/metrics/series?range=1h|24h`
 * (per step: invocations, 5xx errors, p50/p95 latency, cold starts, memory; for the dashboard).
 *
 * @example
 * createApi(deps, (api) => api.route("/", metricsRoutes(metricsDeps)));
 */
export function metricsRoutes(d: MetricsRoutesDeps): Hono {
  const r = new Hono();
  r.get("/metrics", d.auth, (c) => {
    c.header("content-type", "text/plain; version=0.0.4; charset=utf-8");
    return c.body(
      withNodeLabel(
        renderPrometheus(d.metrics.all(), d.running()) + (d.automations?.prometheus() ?? ""),
        d.node,
      ),
    );
  });
  r.get("/api/apps/:appId/metrics", d.auth, (c) => {
    const appId = c.req.param("appId");
    if (!d.hasApp(appId)) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${appId}`);
    const running = d.running();
    const functions = d.metrics
      .all(appId)
      .map((m) => toJson(m, running))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const automations = (d.automations?.all(appId) ?? []).map(automationJson);
    return c.json({ app_id: appId, functions, automations });
  });
  r.get("/api/apps/:appId/metrics/series", d.auth, (c) => {
    const appId = c.req.param("appId");
    if (!d.hasApp(appId)) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${appId}`);
    if (!d.series) throw new FnbaseError("NOT_AVAILABLE", "This server keeps no metrics series");
    return c.json(d.series.query(appId, c.req.query("range") ?? "1h"));
  });
  return r;
}
