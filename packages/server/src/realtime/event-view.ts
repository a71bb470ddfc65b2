import type { Json } from "../entities/query/types.js";

/** String fields longer than this (UTF-8 bytes) are emptied in a realtime event. */
export const OVERSIZE_FIELD_BYTES = 10 * 1024;

/**
 * A record as a realtime event carries it: string fields over 10 KB are emptied and
 * `_oversize: true` is set, so the client knows to `get(id)` the full record (what
 * `@base44/sdk` 0.8.50's `subscribe` expects: `dist/modules/entities.js`). Returns the record
 * itself when nothing is that large.
 */
export function slim(record: Record<string, Json>): Record<string, Json> {
  let out: Record<string, Json> | undefined;
  for (const [k, v] of Object.entries(record)) {
    if (typeof v !== "string" || v.length * 3 <= OVERSIZE_FIELD_BYTES) continue;
    if (Buffer.byteLength(v) <= OVERSIZE_FIELD_BYTES) continue;
    out ??= { ...record };
    out[k] = "";
  }
  if (out) out._oversize = true;
  return out ?? record;
}

/**
 * The `update_model` payload: `{ room, data }` where `data` is a JSON string of
 * `{ type, data, id, timestamp }` (`../shared/BASE44-DATA.md` §1.9).
 */
export function updateModel(
  room: string,
  type: "create" | "update" | "delete",
  record: Record<string, Json>,
  timestamp: string,
): { room: string; data: string } {
  return {
    room,
    data: JSON.stringify({ type, data: slim(record), id: record.id, timestamp }),
  };
}

/** The room of an entity's records: `entities:{appId}:{Entity}`. */
export const entityRoom = (appId: string, entity: string) => `entities:${appId}:${entity}`;

/** The app and entity of a room name, or undefined for anything else. */
export function parseRoom(room: unknown): { appId: string; entity: string } | undefined {
  if (typeof room !== "string" || room.length > 300) return undefined;
  const m = /^entities:([^:]+):([A-Za-z0-9_.]+)$/.exec(room);
  return m ? { appId: m[1]!, entity: m[2]! } : undefined;
}
