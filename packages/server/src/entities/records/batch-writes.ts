import { FnbaseError } from "@fnbase/shared";
import type { StoredRecord } from "../../store/index.js";
import { and, applyUpdate, matches, parseFilter, parseUpdate } from "../query/index.js";
import type { Filter, Json } from "../query/types.js";
import { checkFieldOps, checkFieldWrites, checkReadableField } from "../rules/field-rules.js";
import { checkDepth, checkRecord, checkSize } from "../schema/record-input.js";
import { type FlatRecord, flat } from "./record-shape.js";
import {
  asList,
  atIndex,
  byId,
  denied,
  type EntityCall,
  type EntityService,
  MAX_BATCH,
} from "./service.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `PUT /bulk`: updates every listed record (`{ id, ...fields }`, at most 500) or none. A hidden
 * id is a 404 and a readable one the caller may not update a 403, both naming the record.
 */
export async function bulkUpdate(
  svc: EntityService,
  call: EntityCall,
  body: unknown,
): Promise<FlatRecord[]> {
  const s = svc.scope(call);
  const items = asList(body, MAX_BATCH, "bulkUpdate").map((item, i) =>
    atIndex(i, () => {
      if (!isObject(item) || typeof item.id !== "string" || item.id === "") {
        throw new FnbaseError("BAD_REQUEST", 'each item needs an "id" string');
      }
      return item as Record<string, unknown> & { id: string };
    }),
  );
  const ids = items.map((i) => i.id);
  const seen = new Set(
    (
      await svc.store.find(s.ref, {
        filter: and(parseFilter({ id: { $in: ids } }), svc.access(s, "read")),
        sort: [],
        limit: ids.length,
      })
    ).map((r) => r.id),
  );
  ids.forEach((id, i) => {
    if (!seen.has(id)) {
      throw new FnbaseError(
        "RECORD_NOT_FOUND",
        `Record ${i}: ${s.schema.name} record not found: ${id}`,
      );
    }
  });
  const update = svc.access(s, "update");
  const now = svc.now();
  const changes = await svc.store.upsert(
    s.ref,
    items.map((i) => ({ match: and(byId(i.id), update) })),
    (i, cur) =>
      atIndex(i, () => {
        if (!cur) throw denied(s.schema, "update");
        const { id: _id, ...fields } = items[i]!;
        return svc.changeFor(s, fields, now)(cur);
      }),
  );
  return changes.map((c) => svc.out(s, c.after!));
}

/**
 * `PATCH /update-many`: applies MongoDB update operators (`$set`, `$inc`, ...) to the first 500
 * records (in id order) matching `query` that the caller may read and update; `has_more` says
 * whether more matched. Each changed record is checked against the schema, and one failure
 * changes nothing. A caller loops while `has_more`; an update that leaves records matching its
 * own query (`$inc` on a field it does not filter on) would meet the same records again, so such
 * loops should filter on what they change.
 */
export async function updateMany(
  svc: EntityService,
  call: EntityCall,
  body: unknown,
): Promise<{ success: true; updated: number; has_more: boolean }> {
  const s = svc.scope(call);
  if (!isObject(body)) {
    throw new FnbaseError(
      "BAD_REQUEST",
      'The body must be { "query": {...}, "data": { "$set": {...} } }',
    );
  }
  const filter = parseFilter(body.query ?? {});
  const ops = parseUpdate(body.data);
  // What the update names, for field rules: the same for every record it changes.
  const named = {
    fields: ops.fields,
    renamedFrom: ops.ops.flatMap((o) => (o.op === "rename" ? [String(o.path[0])] : [])),
  };
  svc.checkFields(s, filter);
  const scoped = and(filter, svc.access(s, "read"), svc.access(s, "update"));
  const first = await svc.store.find(s.ref, {
    filter: scoped,
    sort: [{ path: ["id"], descending: false }],
    limit: MAX_BATCH + 1,
  });
  const batch = first.slice(0, MAX_BATCH).map((r) => r.id);
  if (batch.length === 0) return { success: true, updated: 0, has_more: false };
  const now = svc.now();
  const changes = await svc.store.updateWhere(
    s.ref,
    and(scoped, parseFilter({ id: { $in: batch } })),
    MAX_BATCH,
    (cur) => {
      // No operator may tell anything of a field the caller cannot read (an error on its value).
      const before = flat(cur);
      checkFieldOps(s.schema, s.actor, before, ops.ops);
      if (s.isUser) {
        const next = applyUpdate(before, ops, new Date(now)) as Record<string, unknown>;
        return svc.changeFor(s, next, now, named)(cur);
      }
      // Fields the record already had stay (as an update merges); new ones must be declared.
      const next: Record<string, Json> = {};
      for (const [k, v] of Object.entries(applyUpdate(cur.data, ops, new Date(now)))) {
        if (Object.hasOwn(cur.data, k) || Object.hasOwn(s.schema.properties, k))
          next[k] = v as Json;
      }
      checkDepth(next);
      checkRecord(s.schema, next);
      checkFieldWrites(s.schema, s.actor, "update", before, next, cur.data, named);
      checkSize(next, svc.limits.maxRecordBytes);
      return { ...cur, data: next, updated_date: now };
    },
  );
  return { success: true, updated: changes.length, has_more: first.length > MAX_BATCH };
}

/** Reads `key` of an upsert: one field name or a list of them, each declared as a scalar. */
function upsertKeys(svc: EntityService, call: EntityCall, key: unknown): string[] {
  const s = svc.scope(call);
  const keys = typeof key === "string" ? [key] : key;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "string")) {
    throw new FnbaseError("BAD_REQUEST", '"key" must be a field name or a list of field names');
  }
  for (const k of keys as string[]) {
    const t = s.schema.properties[k]?.type;
    if (t !== "string" && t !== "number" && t !== "integer" && t !== "boolean") {
      throw new FnbaseError(
        "BAD_REQUEST",
        `Upsert key "${k}" must be a field of ${s.schema.name} declared as string, number, integer or boolean`,
        { field: k },
      );
    }
  }
  // A match on a field the caller may not read would tell its value, as a filter on it would.
  for (const k of keys as string[]) checkReadableField(s.schema, s.actor, k);
  return keys as string[];
}

/**
 * `POST /upsert`: for each record (at most 500), the record whose `key` fields hold the same
 * values is updated (a merge), or a new one is created; all in one transaction, in order, so a
 * key repeated in one call updates what the earlier item wrote (the last wins). A match the
 * caller may read but not update, or a create the create rule refuses, is a 403 and changes
 * nothing.
 */
export async function upsert(
  svc: EntityService,
  call: EntityCall,
  body: unknown,
): Promise<{ created: number; updated: number; records: FlatRecord[] }> {
  if (!isObject(body)) {
    throw new FnbaseError("BAD_REQUEST", 'The body must be { "records": [...], "key": "field" }');
  }
  const keys = upsertKeys(svc, call, body.key);
  const s = svc.scope(call);
  if (s.isUser) throw new FnbaseError("METHOD_NOT_ALLOWED", "Users cannot be upserted");
  const records = asList(body.records, MAX_BATCH, "upsert");
  const matchOf = records.map((r, i) =>
    atIndex(i, () => {
      if (!isObject(r)) throw new FnbaseError("BAD_REQUEST", "a record must be a JSON object");
      const m: Record<string, Json> = {};
      for (const k of keys) {
        const v = r[k];
        if (v === undefined || v === null || typeof v === "object") {
          throw new FnbaseError("BAD_REQUEST", `the key field "${k}" must hold a value`, {
            field: k,
          });
        }
        m[k] = v as Json;
      }
      return m;
    }),
  );
  const read = svc.access(s, "read");
  const update = svc.access(s, "update");
  const create = svc.access(s, "create");
  const now = svc.now();
  const allows = (f: Filter, r: FlatRecord) => (f.kind === "const" ? f.value : matches(f, r));
  const changes = await svc.store.upsert(
    s.ref,
    matchOf.map((m) => ({ match: and(parseFilter(m), read) })),
    (i, cur) =>
      atIndex(i, () => {
        if (!cur) return svc.newRecord(s, records[i], create, now);
        if (!allows(update, flat(cur))) throw denied(s.schema, "update");
        return svc.changeFor(s, records[i], now)(cur);
      }),
  );
  const created = changes.filter((c) => !c.before).length;
  return {
    created,
    updated: changes.length - created,
    records: changes.map((c) => svc.out(s, c.after as StoredRecord)),
  };
}
