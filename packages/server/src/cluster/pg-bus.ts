import { randomBytes } from "node:crypto";
import type { Logger } from "@fnbase/shared";
import pg from "pg";
import type { Change, ChangeBus } from "./changes.js";

/** The NOTIFY channel of every node of one store. */
export const CHANNEL = "fnbase_cluster";

/** Settings of {@link pgBus}. */
export interface PgBusSettings {
  url: string;
  /** Sends one NOTIFY (through the store's pool). */
  notify(payload: string): Promise<void>;
  nodeId: string;
  log: Logger;
  /** How long a publish waits for each live node's acknowledgement, in ms. Default 2,000. */
  ackTimeoutMs?: number;
  /** How often this node says it is alive, in ms; a node unheard for 5 times this is gone. Default 1,000. */
  heartbeatMs?: number;
}

type Message =
  | { t: "beat"; node: string }
  | { t: "bye"; node: string }
  | { t: "change"; node: string; id: string; change: Change }
  | { t: "ack"; node: string; id: string; to: string }
  | { t: "msg"; node: string; topic: string; data: unknown };

/**
 * The change bus of a cluster on PostgreSQL, on LISTEN/NOTIFY: one channel, one listening
 * connection per node (outside the pool), and every message a small JSON payload.
 *
 * - A publish applies the change here, NOTIFYs it, and waits until every node heard from in the
 *   last five heartbeats has applied it and answered with an acknowledgement, at most
 *   `ackTimeoutMs` (then it logs which nodes did not answer and goes on). So a caller who gets
 *   the answer to a deploy, a rollback or a secret change knows every live node already serves
 *   it.
 * - A node whose listening connection breaks, or that has not heard its own heartbeat back for
 *   five heartbeats (a stalled connection, the database away), may miss changes:
 *   it turns not ready (its readiness endpoint answers 503, so a load balancer stops sending it
 *   requests), reconnects with a growing delay when the connection broke, and applies
 *   `{ kind: "all" }` (reloads every cache) before it turns ready again.
 *
 * @example
 * const bus = await pgBus({ url, notify, nodeId: "node-a", log });
 */
export async function pgBus(s: PgBusSettings): Promise<ChangeBus> {
  const ackTimeoutMs = s.ackTimeoutMs ?? 2_000;
  const heartbeatMs = s.heartbeatMs ?? 1_000;
  let handler: (c: Change) => Promise<void> = async () => {};
  const seen = new Map<string, number>();
  const topics = new Map<string, (data: unknown, from: string) => void>();
  const waiting = new Map<string, { missing: Set<string>; done: () => void }>();
  let client: pg.Client | undefined;
  let ready = false;
  /** When this node last heard its own heartbeat on the channel. */
  let lastHeard = Date.now();
  let resyncing = false;
  const deaf = () => Date.now() - lastHeard > heartbeatMs * 5;
  let closed = false;
  let retryMs = 100;
  let applying: Promise<void> = Promise.resolve();

  const send = (m: Message) => s.notify(JSON.stringify(m));
  const live = () => {
    const cut = Date.now() - heartbeatMs * 5;
    return [...seen].filter(([, at]) => at >= cut).map(([n]) => n);
  };
  /** Changes are applied one at a time, in the order they arrive. */
  const apply = (c: Change) => {
    applying = applying.then(() =>
      handler(c).catch((err: unknown) =>
        s.log.error({ err, change: c }, "applying a change failed"),
      ),
    );
    return applying;
  };

  const onMessage = (raw: string | undefined) => {
    let m: Message;
    try {
      m = JSON.parse(raw ?? "") as Message;
    } catch {
      return;
    }
    if (m.node === s.nodeId) {
      // Its own heartbeat back proves both ways work (NOTIFY out, LISTEN in).
      if (m.t !== "beat") return;
      if (deaf() && !resyncing) {
        // Not heard for five heartbeats (a stalled connection, the database away): whatever was
        // said meanwhile is lost, so every cache is read again before the node is ready.
        resyncing = true;
        void apply({ kind: "all" }).finally(() => {
          resyncing = false;
        });
      }
      lastHeard = Date.now();
      return;
    }
    if (m.t === "bye") {
      seen.delete(m.node);
      for (const w of waiting.values())
        if (w.missing.delete(m.node) && w.missing.size === 0) w.done();
      return;
    }
    seen.set(m.node, Date.now());
    if (m.t === "change") {
      void apply(m.change).then(() => send({ t: "ack", node: s.nodeId, id: m.id, to: m.node }));
    } else if (m.t === "msg") {
      topics.get(m.topic)?.(m.data, m.node);
    } else if (m.t === "ack" && m.to === s.nodeId) {
      const w = waiting.get(m.id);
      if (w?.missing.delete(m.node) && w.missing.size === 0) w.done();
    }
  };

  const connect = async (): Promise<void> => {
    // Named, so an operator (and the test) can tell the bus's connection in pg_stat_activity.
    const c = new pg.Client({
      connectionString: s.url,
      application_name: `fnbase-bus ${s.nodeId}`,
    });
    c.on("notification", (n) => onMessage(n.payload));
    c.on("error", () => {});
    c.on("end", () => {
      if (closed || client !== c) return;
      client = undefined;
      ready = false;
      s.log.warn(
        "cluster: the change bus connection closed; this node is not ready until it is back",
      );
      // Drop at once what may have gone stale (decisions, instances); reloaded again once back.
      void apply({ kind: "all" });
      void reconnect();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };
  const reconnect = async () => {
    while (!closed && client === undefined) {
      await new Promise((r) => setTimeout(r, retryMs));
      retryMs = Math.min(retryMs * 2, 5_000);
      try {
        await connect();
      } catch (err) {
        s.log.warn({ err }, "cluster: cannot reach the change bus yet");
        continue;
      }
      retryMs = 100;
      // What happened while this node was deaf is unknown: reload every cache first.
      await apply({ kind: "all" });
      lastHeard = Date.now();
      ready = true;
      s.log.info("cluster: the change bus is back; caches reloaded");
    }
  };

  await connect();
  ready = true;
  const beat = setInterval(() => {
    if (client) void send({ t: "beat", node: s.nodeId }).catch(() => {});
  }, heartbeatMs);
  beat.unref();
  await send({ t: "beat", node: s.nodeId });

  return {
    get ready() {
      return ready && !resyncing && !deaf();
    },
    handle(h) {
      handler = h;
    },
    peers: live,
    send(topic, data) {
      void send({ t: "msg", node: s.nodeId, topic, data }).catch((err: unknown) =>
        s.log.warn({ err, topic }, "cluster: a message could not be sent"),
      );
    },
    listen(topic, cb) {
      topics.set(topic, cb);
    },
    async publish(change) {
      await apply(change);
      const missing = new Set(live());
      const id = randomBytes(8).toString("hex");
      const acked = new Promise<void>((resolve) => {
        if (missing.size === 0) return resolve();
        const timer = setTimeout(() => {
          waiting.delete(id);
          s.log.warn(
            { change, nodes: [...missing] },
            "cluster: nodes did not acknowledge a change in time",
          );
          resolve();
        }, ackTimeoutMs);
        waiting.set(id, {
          missing,
          done: () => {
            clearTimeout(timer);
            waiting.delete(id);
            resolve();
          },
        });
      });
      await send({ t: "change", node: s.nodeId, id, change });
      await acked;
    },
    async close() {
      closed = true;
      clearInterval(beat);
      await send({ t: "bye", node: s.nodeId }).catch(() => {});
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
      for (const w of waiting.values()) w.done();
    },
  };
}
