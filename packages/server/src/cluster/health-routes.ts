import { FnbaseError } from "@fnbase/shared";
import { Hono } from "hono";

/** What the health routes look at. */
export interface HealthDeps {
  node: string;
  /** False while the node drains (SIGTERM) or has lost the cluster's change bus. */
  ready(): boolean;
  /** Throws when the store cannot be reached. */
  pingStore(): Promise<void>;
}

/**
 * Health and readiness for load balancers, without a key (they say nothing about apps):
 * `GET /healthz` answers 200 while the process serves HTTP (liveness); `GET /readyz` answers 200
 * `{ status: "ready", node }` when the node should get traffic: the store answers, the change
 * bus is connected and the node is not draining; else 503 `NOT_READY` with the reason.
 *
 * @example
 * api.route("/", healthRoutes({ node: "a", ready: () => true, pingStore: async () => {} }));
 */
export function healthRoutes(d: HealthDeps): Hono {
  const r = new Hono();
  r.get("/healthz", (c) => c.json({ status: "ok", node: d.node }));
  r.get("/readyz", async (c) => {
    if (!d.ready()) {
      throw new FnbaseError("NOT_READY", `Node ${d.node} is not ready: draining or reconnecting`);
    }
    try {
      await d.pingStore();
    } catch (err) {
      throw new FnbaseError("NOT_READY", `Node ${d.node} is not ready: the store does not answer`, {
        cause: err,
      });
    }
    c.header("cache-control", "no-store");
    return c.json({ status: "ready", node: d.node });
  });
  return r;
}
