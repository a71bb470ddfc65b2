import type { Catalog } from "../catalog.js";
import type { FunctionOutputLine } from "../config.js";
import type { InvocationRecord } from "../gateway/gateway.js";
import type { SecretChange } from "../identity/index.js";

/** What a platform line may set beyond its message. */
export type PlatformLineExtra = Partial<Pick<FunctionOutputLine, "level" | "request_id">>;

/** fnbase's own events, written as log lines of the functions they concern. */
export interface PlatformEvents {
  /** One platform line of a function (deploy, rollback, and the events below). */
  event(
    appId: string,
    fn: string,
    deploymentId: string,
    message: string,
    extra?: PlatformLineExtra,
  ): void;
  /** A finished invocation: a request that ran out of time becomes an error line. */
  invocation(r: InvocationRecord): void;
  /** A secret change: one line on each deployed function of the app, naming the secrets. */
  secretsChanged(appId: string, change: SecretChange): void;
}

/** Timer slack: a timed-out request may be recorded a hair before its limit by the clock. */
const TIMER_SLACK_MS = 10;

/**
 * Creates the platform events of a server: lines with `source: "platform"`, handed to `emit`
 * (the output hub, so they reach the store, live tails and the dev terminal).
 *
 * @example
 * const events = platformEvents({ catalog, requestTimeoutMs: 300_000, emit: (l) => hub.emit(l) });
 * invocations.on((r) => events.invocation(r));
 */
export function platformEvents(d: {
  catalog: Catalog;
  requestTimeoutMs: number;
  emit: (line: FunctionOutputLine) => void;
}): PlatformEvents {
  const event: PlatformEvents["event"] = (appId, fn, deploymentId, message, extra = {}) =>
    d.emit({
      time: new Date().toISOString(),
      level: extra.level ?? "info",
      message,
      app_id: appId,
      function: fn,
      deployment_id: deploymentId,
      instance_id: "",
      ...(extra.request_id ? { request_id: extra.request_id } : {}),
      source: "platform",
    });
  return {
    event,
    invocation(r) {
      if (r.status !== 504) return;
      const fn = d.catalog.fn(r.appId, r.functionName);
      if (!fn) return;
      const limit = fn.timeout_ms ?? d.requestTimeoutMs;
      // The gateway answers 504 FUNCTION_TIMEOUT when the limit runs out; a function may also
      // answer 504 itself, early, and that is its own business, not a platform event.
      if (r.durationMs < limit - TIMER_SLACK_MS) return;
      event(r.appId, r.functionName, fn.deployment_id, `Request timed out after ${limit} ms`, {
        level: "error",
        request_id: r.requestId,
      });
    },
    secretsChanged(appId, change) {
      const names = change.names.join(", ");
      const what =
        change.action === "set"
          ? `Secret${change.names.length === 1 ? "" : "s"} set: ${names}`
          : `Secret deleted: ${names}`;
      for (const fn of d.catalog.functions(appId).values()) {
        event(appId, fn.name, fn.deployment_id, `${what}; running instances are replaced`);
      }
    },
  };
}
