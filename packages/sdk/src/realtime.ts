import type { Socket } from "socket.io-client";

/** What changed in a realtime event. */
export type RealtimeEventType = "create" | "update" | "delete";

/**
 * One change to one record, as `subscribe` callbacks receive it (`@base44/sdk` 0.8.50
 * `RealtimeEvent`): the record as the subscriber may see it (for a delete, as it was), its id,
 * and when the change was sent. A record with string fields over 10 KB arrives slimmed, those
 * fields empty and `_oversize: true` set: `get(id)` reads it whole.
 *
 * @example
 * ```ts
 * const stop = client.entities.Task.subscribe((e: RealtimeEvent) => console.log(e.type, e.id));
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: same default as @base44/sdk
export interface RealtimeEvent<T = any> {
  type: RealtimeEventType;
  data: T;
  id: string;
  timestamp: string;
}

/** A `subscribe` callback. */
// biome-ignore lint/suspicious/noExplicitAny: same default as @base44/sdk
export type RealtimeCallback<T = any> = (event: RealtimeEvent<T>) => void;

/** A client's realtime connection: one socket, shared by every subscription. */
export interface Realtime {
  /** Subscribes to an entity's room; answers the unsubscribe function. */
  subscribe(entity: string, callback: RealtimeCallback): () => void;
  /** Reconnects with the client's current token (after sign-in or sign-out). */
  reconnect(): void;
  /** Closes the socket; later subscriptions open a new one. */
  close(): void;
}

/** A room left with no listener is left this long after its last unsubscribe (as @base44/sdk does). */
const LEAVE_GRACE_MS = 250;

/**
 * The realtime connection of a client, made on its first subscription: socket.io v4 at
 * `{serverUrl}/ws-user-apps/socket.io/`, websocket transport, handshake `{ app_id, token }`,
 * `join`/`leave` of `entities:{appId}:{Entity}` (joined again on every reconnect), events
 * `update_model` `{ room, data }` whose `data` is a JSON string. socket.io-client is imported
 * only then, so a client that never subscribes never loads it.
 *
 * @example
 * ```ts
 * const realtime = createRealtime({ serverUrl, appId, token: () => session.get() });
 * const stop = realtime.subscribe("Task", (e) => console.log(e));
 * ```
 */
export function createRealtime(options: {
  serverUrl: string;
  appId: string;
  token: () => string | undefined;
}): Realtime {
  const listeners = new Map<string, Set<RealtimeCallback>>();
  const leaving = new Map<string, ReturnType<typeof setTimeout>>();
  let socket: Socket | undefined;
  let connecting: Promise<Socket> | undefined;
  const room = (entity: string) => `entities:${options.appId}:${entity}`;

  const open = (): Promise<Socket> => {
    connecting ??= import("socket.io-client").then(({ io }) => {
      const token = options.token();
      const s = io(options.serverUrl || undefined, {
        path: "/ws-user-apps/socket.io/",
        transports: ["websocket"],
        query: token ? { app_id: options.appId, token } : { app_id: options.appId },
      });
      s.on("connect", () => {
        for (const r of listeners.keys()) s.emit("join", r);
      });
      s.on("update_model", (msg: { room?: unknown; data?: unknown }) => {
        const subs = typeof msg?.room === "string" ? listeners.get(msg.room) : undefined;
        if (!subs || typeof msg.data !== "string") return;
        let event: RealtimeEvent;
        try {
          const parsed = JSON.parse(msg.data) as Partial<RealtimeEvent> & {
            data?: { id?: string };
          };
          event = {
            type: parsed.type as RealtimeEventType,
            data: parsed.data,
            id: parsed.id ?? parsed.data?.id ?? "",
            timestamp: parsed.timestamp ?? new Date().toISOString(),
          };
        } catch {
          return;
        }
        for (const cb of subs) {
          try {
            cb(event);
          } catch (err) {
            // One throwing callback must not keep the others from the event; @base44/sdk logs it too.
            // biome-ignore lint/suspicious/noConsole: the SDK's one report of a caller's bug
            console.error("[fnbase SDK] A subscribe callback threw:", err);
          }
        }
      });
      socket = s;
      return s;
    });
    return connecting;
  };

  return {
    subscribe(entity, callback) {
      const r = room(entity);
      clearTimeout(leaving.get(r));
      leaving.delete(r);
      let subs = listeners.get(r);
      if (!subs) {
        subs = new Set();
        listeners.set(r, subs);
        void open().then((s) => {
          if (listeners.has(r) && s.connected) s.emit("join", r);
        });
      }
      subs.add(callback);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        subs.delete(callback);
        if (subs.size > 0) return;
        leaving.set(
          r,
          setTimeout(() => {
            leaving.delete(r);
            if (listeners.get(r)?.size !== 0) return;
            listeners.delete(r);
            socket?.emit("leave", r);
          }, LEAVE_GRACE_MS),
        );
      };
    },
    reconnect() {
      if (!socket) return;
      socket.disconnect();
      socket = undefined;
      connecting = undefined;
      if (listeners.size > 0) void open();
    },
    close() {
      for (const t of leaving.values()) clearTimeout(t);
      leaving.clear();
      listeners.clear();
      socket?.disconnect();
      socket = undefined;
      connecting = undefined;
    },
  };
}
