import { flat, flatJson } from "../entities/records/record-shape.js";
import { changeType, type EntityRef, type RecordChange } from "../store/index.js";
import type { EventType } from "./definition.js";

/** Events whose records come to more than this, as JSON, are sent without them. */
export const MAX_EVENT_BYTES = 200 * 1024;

/**
 * The body an entity automation's function receives for one change (`../shared/BASE44-DATA.md`
 * §4.3): `{ event: { type, entity_name, entity_id }, data, old_data }`, each record flat as the
 * entity routes answer with it (`flat`). `data` is the record after a create or update and ◇
 * the deleted record for a delete; `old_data` the record before an update, else null. Records are whole (field rules do not apply: the function is the app's
 * own code). Past {@link MAX_EVENT_BYTES} both are null and `payload_too_large` is true; the
 * function reads the record itself.
 *
 * @example
 * entityEvent({ appId, entity: "Task", kindOf }, { after: record }).json;
 * // '{"event":{"type":"create","entity_name":"Task","entity_id":"..."},"data":{...},"old_data":null}'
 */
export function entityEvent(
  ref: EntityRef,
  change: RecordChange,
): { type: EventType; recordId: string; json: string } {
  const type: EventType = changeType(change);
  const record = (change.after ?? change.before)!;
  const event = JSON.stringify({ type, entity_name: ref.entity, entity_id: record.id });
  // A create's record is written from the JSON text of its fields (the write already made it).
  const data =
    change.after && change.afterJson !== undefined
      ? flatJson(change.after, change.afterJson)
      : JSON.stringify(flat(record));
  const old = type === "update" ? JSON.stringify(flat(change.before!)) : "null";
  // What JSON.stringify({ event, data, old_data }) writes, from the parts.
  const json = `{"event":${event},"data":${data},"old_data":${old}}`;
  // A UTF-16 unit is at most 3 bytes in UTF-8: most events skip counting bytes.
  if (json.length * 3 <= MAX_EVENT_BYTES || Buffer.byteLength(json) <= MAX_EVENT_BYTES)
    return { type, recordId: record.id, json };
  return {
    type,
    recordId: record.id,
    json: `{"event":${event},"data":null,"old_data":null,"payload_too_large":true}`,
  };
}

/**
 * The JSON body of a run: `function_args` (or `{}`) for scheduled and manual runs; for an
 * entity event, ◇ `function_args` merged with the event, the event's fields winning.
 */
export function runBody(
  functionArgs: Record<string, unknown> | null | undefined,
  event: string | null,
): string {
  const args = functionArgs ?? {};
  if (event === null) return JSON.stringify(args);
  if (Object.keys(args).length === 0) return event;
  return JSON.stringify({ ...args, ...(JSON.parse(event) as Record<string, unknown>) });
}
