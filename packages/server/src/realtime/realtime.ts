import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { REALTIME_PATH } from "@fnbase/runtime";
import { FnbaseError, isFnbaseError, type Logger } from "@fnbase/shared";
import { Server as EngineServer } from "engine.io";
import { decodeJwt } from "jose";
import { type Socket, Server as SocketServer } from "socket.io";
import { matches } from "../entities/query/index.js";
import type { Filter } from "../entities/query/types.js";
import type { EntityChange } from "../entities/records/change-feed.js";
import { flat } from "../entities/records/record-shape.js";
import type { EntityService, Scope } from "../entities/records/service.js";
import type { Actor } from "../entities/rules/access.js";
import { USER_ENTITY } from "../entities/schema/types.js";
import { actorOf } from "../identity/caller.js";
import type { IdentityDeps } from "../identity/deps.js";
import { entityRoom, parseRoom, updateModel } from "./event-view.js";

/** What a connected socket is: its app, who it acts as, and until when its token holds. */
interface SocketState {
  appId: string;
  /** The handshake's token (undefined: anonymous), resolved again when its holder changes. */
  token: string | undefined;
  actor: Actor;
  /** The same for sockets whose actors are the same, so they see a change the same way. */
  view: string;
  /**
   * Set while the actor is being resolved again (a change to the user, a revoked key): events
   * for the socket wait behind it, in order, and are judged by the actor it resolves to.
   */
  pending?: Promise<void>;
  /** Epoch ms after which the socket's token no longer holds (the socket is then closed). */
  expiresAt: number;
  /** The read filter per entity, for the schema object it was made from. */
  filters: Map<string, { scope: Scope; read: Filter | undefined }>;
}

/**
 * How long the fan-out of changes to sockets may hold the event loop before it lets other work
 * run, in ms: a bulk write to a crowded room is hundreds of thousands of sends.
 */
const FAN_OUT_SLICE_MS = 5;

/** A key equal for equal actors: what a socket may see of a change depends on nothing else. */
function viewOf(actor: Actor): string {
  return actor.kind === "user" ? `user ${JSON.stringify(actor.user)}` : actor.kind;
}

/** A change on its way to the sockets of its room. */
interface FanOut {
  change: EntityChange;
  room: string;
  timestamp: string;
  /** The sockets in the room when the change came to be sent, and how far the sending is. */
  ids: string[];
  next: number;
  /** What each view of the room gets (null: nothing), made once per view. */
  views: Map<string, { room: string; data: string } | null>;
}

/** How often a node of a cluster announces its subscribed rooms, in ms. */
const ANNOUNCE_MS = 5_000;
/** The least time between two announcements of a node, in ms (joins and leaves in a loop). */
const ANNOUNCE_GAP_MS = 50;

/** Rooms one socket may be in at once. */
const MAX_ROOMS_PER_SOCKET = 200;

/**
 * Realtime subscriptions as `@base44/sdk`'s `entities.X.subscribe` expects them: socket.io v4 at
 * `/ws-user-apps/socket.io/`, websocket transport only, a handshake with `app_id` and `token`
 * (or none: anonymous), `join`/`leave` of `entities:{appId}:{Entity}` rooms (idempotent: the SDK
 * joins again on every reconnect), and an `update_model` event per changed record.
 *
 * Each event is filtered per socket by the reader's access rules, as a `get` would be: a socket
 * never receives a record its actor could not read, field rules hide fields, and the service
 * role sees all. The actor is the one the handshake's token names, resolved again whenever what
 * it rests on changes: a change to that user's record (role, data; a deleted user's socket is
 * closed) and a revoked API key ({@link recheckApiKeys}) are applied before any later event
 * reaches the socket, as an HTTP call made after them would be judged. When the token expires
 * the socket is closed (the SDK reconnects with the token it holds then).
 *
 * @example
 * const realtime = new Realtime({ identity, entities, log });
 * feed.on((c) => realtime.broadcast(c)); // this node's sockets, and every node's in a cluster
 * http.on("upgrade", (req, socket, head) => realtime.handleUpgrade(req, socket, head));
 */
export class Realtime {
  readonly #engine: EngineServer;
  readonly #io: SocketServer;
  readonly #state = new WeakMap<Socket, SocketState>();
  readonly #d: { identity: IdentityDeps; entities: EntityService; log: Logger; now: () => number };

  constructor(d: {
    identity: IdentityDeps;
    entities: EntityService;
    log: Logger;
    now: () => number;
  }) {
    this.#d = d;
    this.#engine = new EngineServer({
      transports: ["websocket"],
      maxHttpBufferSize: 64 * 1024,
      allowUpgrades: false,
    });
    this.#io = new SocketServer({ path: REALTIME_PATH, serveClient: false });
    this.#io.bind(this.#engine);
    this.#io.use((socket, next) => {
      this.#handshake(socket).then(
        () => next(),
        (err: unknown) => next(new Error(isFnbaseError(err) ? err.message : "Connection refused")),
      );
    });
    this.#io.on("connection", (socket) => {
      socket.on("join", (room: unknown) => this.#join(socket, room));
      socket.on("leave", (room: unknown) => {
        if (typeof room === "string") void socket.leave(room);
      });
    });
  }

  async #handshake(socket: Socket): Promise<void> {
    const q = socket.handshake.query;
    const appId = typeof q.app_id === "string" ? q.app_id : "";
    const app = this.#d.identity.catalog.app(appId);
    if (!app) throw new FnbaseError("APP_NOT_FOUND", `App not found: ${appId}`);
    // The SDK sends `token=null` when it has none (Node: no stored token): anonymous.
    const raw = typeof q.token === "string" ? q.token : "";
    const token = raw === "" || raw === "null" || raw === "undefined" ? undefined : raw;
    const actor = await this.#resolve(app.id, token);
    let expiresAt = Number.POSITIVE_INFINITY;
    if (token !== undefined && !token.startsWith("b44k_")) {
      const exp = decodeJwt(token).exp;
      if (typeof exp === "number") expiresAt = exp * 1000;
    }
    this.#state.set(socket, {
      appId: app.id,
      token,
      actor,
      view: viewOf(actor),
      expiresAt,
      filters: new Map(),
    });
  }

  /** Who `token` acts as on `appId` now (as for an HTTP call); throws when it no longer holds. */
  #resolve(appId: string, token: string | undefined): Promise<Actor> {
    return actorOf(this.#d.identity, appId, (name) =>
      name === "authorization" && token !== undefined ? `Bearer ${token}` : undefined,
    );
  }

  /** Runs `step` for a socket after what is already waiting for it, in order. */
  #enqueue(s: SocketState, step: () => void | Promise<void>): void {
    const p = (s.pending ?? Promise.resolve()).then(step).catch((err: unknown) => {
      this.#d.log.error({ err }, "realtime event failed");
    });
    s.pending = p;
    void p.then(() => {
      if (s.pending === p) s.pending = undefined;
    });
  }

  /**
   * Resolves a socket's actor again; events published meanwhile wait and are then judged by the
   * new actor. A token that no longer holds (a deleted user, a revoked key) closes the socket.
   */
  #recheck(socket: Socket, s: SocketState): void {
    this.#enqueue(s, async () => {
      try {
        s.actor = await this.#resolve(s.appId, s.token);
        s.view = viewOf(s.actor);
        s.filters.clear();
      } catch {
        socket.disconnect(true);
      }
    });
  }

  /** Resolves again the actor of every socket opened with a workspace API key (one was revoked). */
  recheckApiKeys(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const socket of this.#io.sockets.sockets.values()) {
      const s = this.#state.get(socket);
      if (!s?.token?.startsWith("b44k_")) continue;
      this.#recheck(socket, s);
      if (s.pending) waits.push(s.pending);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Resolves again the actor of the sockets of the user a User change is about. */
  #recheckUser(appId: string, userId: string): void {
    for (const socket of this.#io.sockets.sockets.values()) {
      const s = this.#state.get(socket);
      if (s?.appId === appId && s.actor.kind === "user" && s.actor.user.id === userId) {
        this.#recheck(socket, s);
      }
    }
  }

  /** Joins a room of the socket's own app; anything else is ignored. */
  #join(socket: Socket, room: unknown): void {
    const s = this.#state.get(socket);
    const r = parseRoom(room);
    if (!s || !r || r.appId !== s.appId) return;
    if (!socket.rooms.has(room as string) && socket.rooms.size > MAX_ROOMS_PER_SOCKET) return;
    void socket.join(room as string);
  }

  /** The read filter of `entity` for a socket, made once per schema version. */
  #readFilter(s: SocketState, entity: string): { scope: Scope; read: Filter | undefined } {
    const schema = this.#d.entities.schemas.get(s.appId, entity);
    const cached = s.filters.get(entity);
    if (cached && cached.scope.schema === schema) return cached;
    const scope = this.#d.entities.scope({ appId: s.appId, entity, actor: s.actor });
    let read: Filter | undefined;
    try {
      read = this.#d.entities.access(scope, "read");
    } catch {
      read = undefined; // the User entity refuses anonymous readers
    }
    const entry = { scope, read };
    s.filters.set(entity, entry);
    return entry;
  }

  #cluster = false;
  /** This node's name among the others' interest announcements. */
  readonly #node = randomUUID();
  /** The rooms other nodes have subscribers in, by node, with when each said so (epoch ms). */
  readonly #remote = new Map<string, { rooms: Set<string>; at: number; seq: number }>();
  #announceTimer: NodeJS.Timeout | undefined;
  #announcePending = false;
  /** This node's announcements so far (others keep only the latest: see `useAdapter`). */
  #announced = 0;
  /** When this node last announced (`performance.now()`). */
  #lastAnnounce = Number.NEGATIVE_INFINITY;
  #announceLater: NodeJS.Timeout | undefined;

  /**
   * Joins the other nodes of a cluster through socket.io's adapter (`@socket.io/postgres-adapter`
   * on a PostgreSQL store): {@link broadcast} then reaches the sockets of every node, each node
   * filtering by its own sockets' readers. A change crosses to other nodes only when one of them
   * has a subscriber in its room: each node announces the rooms its sockets are in when that set
   * changes and every {@link ANNOUNCE_MS} (a node not heard from for three of those is
   * forgotten). Without this, every write of every app (a 1,000,000-record import included)
   * was a NOTIFY to every node, read and dropped there.
   */
  useAdapter(adapter: Parameters<SocketServer["adapter"]>[0]): void {
    this.#io.adapter(adapter);
    this.#io.on("fnbase:change", (change: EntityChange) => this.publish(change));
    this.#io.on("fnbase:user", (appId: unknown, userId: unknown) => {
      if (typeof appId === "string" && typeof userId === "string") {
        this.#recheckUser(appId, userId);
      }
    });
    this.#io.on("fnbase:rooms", (node: string, rooms: string[], seq: unknown) => {
      if (node === this.#node || !Array.isArray(rooms)) return;
      // Announcements past 8 kB are read back from a table, after smaller ones sent later:
      // an older list never replaces a newer one.
      const n = typeof seq === "number" ? seq : 0;
      const known = this.#remote.get(node);
      if (known && n !== 0 && n <= known.seq) return;
      this.#remote.set(node, { rooms: new Set(rooms), at: this.#d.now(), seq: n });
    });
    const changed = (room: string) => {
      if (this.#announceable(room)) this.#announceSoon();
    };
    this.#io.of("/").adapter.on("create-room", changed);
    this.#io.of("/").adapter.on("delete-room", changed);
    this.#announceTimer = setInterval(() => this.#announce(), ANNOUNCE_MS);
    this.#announceTimer.unref();
    this.#cluster = true;
    this.#announce();
  }

  /**
   * True for the room of an entity its app has: a socket may join a room of any name of its
   * app (the SDK subscribes before a schema is pushed, say), but only rooms that can have
   * changes are announced, so made-up names (up to 200 a socket, 300 characters each) cost the
   * bus nothing. A room whose entity is pushed later is announced within {@link ANNOUNCE_MS}.
   */
  #announceable(room: string): boolean {
    const r = parseRoom(room);
    return r !== undefined && this.#d.entities.schemas.get(r.appId, r.entity) !== undefined;
  }

  /** The rooms this node's sockets are in that can have changes. */
  #localRooms(): string[] {
    const out: string[] = [];
    for (const room of this.#io.of("/").adapter.rooms.keys()) {
      if (this.#announceable(room)) out.push(room);
    }
    return out;
  }

  #announce(): void {
    this.#announcePending = false;
    this.#lastAnnounce = performance.now();
    this.#io.serverSideEmit("fnbase:rooms", this.#node, this.#localRooms(), ++this.#announced);
  }

  /**
   * Announces at the next turn (joins and leaves of one moment make one message), and at most
   * once per {@link ANNOUNCE_GAP_MS}: a socket joining and leaving in a loop makes 20 messages
   * a second, not one per turn of the event loop.
   */
  #announceSoon(): void {
    if (this.#announcePending) return;
    this.#announcePending = true;
    const wait = this.#lastAnnounce + ANNOUNCE_GAP_MS - performance.now();
    if (wait <= 0) setImmediate(() => this.#announce());
    else this.#announceLater = setTimeout(() => this.#announce(), wait).unref();
  }

  /** True when some other node (heard from lately) has a subscriber in `room`. */
  #remoteInterest(room: string): boolean {
    const now = this.#d.now();
    for (const [node, r] of this.#remote) {
      if (now - r.at > 3 * ANNOUNCE_MS) this.#remote.delete(node);
      else if (r.rooms.has(room)) return true;
    }
    return false;
  }

  /**
   * {@link publish} on this node and, in a cluster, on every node with a subscriber to it. A
   * change to a User record reaches every node either way (as its id alone when no node has a
   * subscriber to the User room): sockets of that user on any node, in any room or in none yet,
   * must resolve their actor again.
   */
  broadcast(change: EntityChange): void {
    this.publish(change);
    if (!this.#cluster) return;
    if (this.#remoteInterest(entityRoom(change.appId, change.entity))) {
      this.#io.serverSideEmit("fnbase:change", change);
    } else if (change.entity === USER_ENTITY) {
      this.#io.serverSideEmit("fnbase:user", change.appId, change.record.id);
    }
  }

  /** Changes waiting for their fan-out, in commit order; `#fanning` is the one going out. */
  readonly #waiting: EntityChange[] = [];
  #fanning: FanOut | undefined;
  #fanTimer: NodeJS.Immediate | undefined;

  /**
   * Sends a committed change to every socket in its entity's room that may read the record,
   * as that socket's actor sees it. Changes go out in commit order, in slices of at most
   * {@link FAN_OUT_SLICE_MS} of the event loop, so that requests of every app are served
   * between them; sockets of one view share one computed and encoded event.
   */
  publish(change: EntityChange): void {
    // Nobody here to tell (a User change is still needed: it may change a socket's actor).
    const room = entityRoom(change.appId, change.entity);
    if (change.entity !== USER_ENTITY && !this.#io.sockets.adapter.rooms.get(room)?.size) return;
    this.#waiting.push(change);
    this.#fanTimer ??= setImmediate(() => this.#fanOut());
  }

  /** Sends what is waiting for one slice of time, then lets the event loop turn. */
  #fanOut(): void {
    this.#fanTimer = undefined;
    const deadline = performance.now() + FAN_OUT_SLICE_MS;
    let taken = 0;
    do {
      if (!this.#fanning) {
        const change = this.#waiting[taken++];
        if (!change) break;
        this.#fanning = this.#begin(change);
        if (!this.#fanning) continue;
      }
      this.#step(this.#fanning, 256);
      if (this.#fanning.next >= this.#fanning.ids.length) this.#fanning = undefined;
    } while (performance.now() < deadline);
    this.#waiting.splice(0, Math.min(taken, this.#waiting.length));
    if (this.#fanning || this.#waiting.length > 0) {
      this.#fanTimer = setImmediate(() => this.#fanOut());
    }
  }

  /** Starts a change's fan-out; undefined when no socket here is in its room. */
  #begin(change: EntityChange): FanOut | undefined {
    if (change.entity === USER_ENTITY) this.#recheckUser(change.appId, change.record.id);
    const room = entityRoom(change.appId, change.entity);
    const ids = this.#io.sockets.adapter.rooms.get(room);
    if (!ids || ids.size === 0) return undefined;
    const timestamp = new Date(this.#d.now()).toISOString();
    return { change, room, timestamp, ids: [...ids], next: 0, views: new Map() };
  }

  /** Sends a change to up to `max` more sockets of its room. */
  #step(f: FanOut, max: number): void {
    const now = this.#d.now();
    const byView = new Map<string, string[]>();
    const end = Math.min(f.ids.length, f.next + max);
    for (; f.next < end; f.next++) {
      const socket = this.#io.sockets.sockets.get(f.ids[f.next]!);
      const s = socket && this.#state.get(socket);
      if (!socket || !s || !socket.connected) continue;
      if (now >= s.expiresAt) {
        socket.disconnect(true);
        continue;
      }
      if (s.pending) {
        const { room, change, timestamp } = f;
        this.#enqueue(s, () => this.#send(socket, s, room, change, timestamp));
        continue;
      }
      let event = f.views.get(s.view);
      if (event === undefined) {
        event = this.#event(s, f.room, f.change, f.timestamp);
        f.views.set(s.view, event);
      }
      if (event === null) continue;
      const list = byView.get(s.view);
      if (list) list.push(socket.id);
      else byView.set(s.view, [socket.id]);
    }
    // One encoding per view, written to each of its sockets (here only: other nodes filter
    // for their own sockets).
    for (const [view, list] of byView) {
      this.#io.local.to(list).emit("update_model", f.views.get(view)!);
    }
  }

  /** Sends one change to one socket when its actor may read the record, as it sees it. */
  #send(socket: Socket, s: SocketState, room: string, change: EntityChange, timestamp: string) {
    if (!socket.connected) return;
    const event = this.#event(s, room, change, timestamp);
    if (event) socket.emit("update_model", event);
  }

  /** The event a socket's actor gets for a change, or null when it may not read the record. */
  #event(
    s: SocketState,
    room: string,
    change: EntityChange,
    timestamp: string,
  ): { room: string; data: string } | null {
    try {
      const { scope, read } = this.#readFilter(s, change.entity);
      if (!read) return null;
      if (read.kind === "const" ? !read.value : !matches(read, flat(change.record))) return null;
      const seen = this.#d.entities.out(scope, change.record);
      return updateModel(room, change.type, seen, timestamp);
    } catch (err) {
      // An entity removed from the schema meanwhile, say: this socket gets nothing.
      if (!isFnbaseError(err)) this.#d.log.error({ err }, "realtime event failed");
      return null;
    }
  }

  /** Takes a WebSocket upgrade to {@link REALTIME_PATH}. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#engine.handleUpgrade(req, socket, head);
  }

  /** Answers a plain HTTP request to {@link REALTIME_PATH} (only the websocket transport is served). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#engine.handleRequest(req, res);
  }

  /** Closes every socket. */
  async close(): Promise<void> {
    clearInterval(this.#announceTimer);
    clearTimeout(this.#announceLater);
    if (this.#fanTimer) clearImmediate(this.#fanTimer);
    this.#waiting.length = 0;
    this.#fanning = undefined;
    this.#io.disconnectSockets(true);
    await new Promise<void>((resolve) => {
      this.#io.close(() => resolve());
    });
    this.#engine.close();
  }
}
