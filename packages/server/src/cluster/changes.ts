/**
 * What a node keeps in memory only as a cache of the store (the catalog, entity schemas, the
 * front's decisions, warm instances), and the changes that void it. Every write that changes
 * one of those publishes a {@link Change} on the {@link ChangeBus}; every node, the writer
 * included, applies it through the same handler (`server.ts` `applyChange`).
 */

/** A change to what nodes cache. */
export type Change =
  /** An app was created or its settings changed (domains, CORS, functions_enabled, egress). */
  | { kind: "app"; appId: string }
  /** A function was deployed, rolled back or deleted. */
  | { kind: "function"; appId: string; name: string }
  /** An app's secrets changed: its instances must restart with the new values. */
  | { kind: "secrets"; appId: string }
  /** A workspace API key was revoked. */
  | { kind: "api_keys" }
  /** An app's entity schemas were pushed. */
  | { kind: "schemas"; appId: string }
  /** Anything may have changed (a node that lost the bus reloads everything). */
  | { kind: "all" };

/**
 * Carries changes between the nodes sharing a store. On one node (SQLite) it calls the handler
 * in process; on PostgreSQL it is LISTEN/NOTIFY (`pg-bus.ts`).
 */
export interface ChangeBus {
  /**
   * Applies `change` on this node, tells every other node, and resolves once each live node has
   * applied it (or its acknowledgement is overdue: see `pg-bus.ts`).
   */
  publish(change: Change): Promise<void>;
  /** Sets the one handler that applies a change to this node's caches. */
  handle(handler: (change: Change) => Promise<void>): void;
  /** False while this node may have missed changes (its bus connection is down). */
  readonly ready: boolean;
  /** The other nodes heard from lately, by name. */
  peers(): string[];
  /** Sends `data` (small JSON) to every other node's `listen(topic)`; none on one node. */
  send(topic: string, data: unknown): void;
  /** Hears what other nodes `send` on `topic`. */
  listen(topic: string, cb: (data: unknown, from: string) => void): void;
  close(): Promise<void>;
}

/**
 * The bus of a single node: publishing applies the change here and nowhere else.
 *
 * @example
 * const bus = localBus();
 * bus.handle(async (c) => catalog.reload(c));
 */
export function localBus(): ChangeBus {
  let handler: (c: Change) => Promise<void> = async () => {};
  return {
    publish: (c) => handler(c),
    handle(h) {
      handler = h;
    },
    ready: true,
    peers: () => [],
    send: () => {},
    listen: () => {},
    close: async () => {},
  };
}
