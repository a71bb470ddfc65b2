import { FnbaseError } from "@fnbase/shared";
import type { EntityRef, EntityStore, StoredRecord } from "../../store/index.js";
import { and, matches, parseFilter, project } from "../query/index.js";
import type { Filter, SortKey } from "../query/types.js";
import { type Actor, accessFilter, type Operation, type UserDoc } from "../rules/access.js";
import {
  checkFieldWrites,
  checkReadableField,
  hasFieldRules,
  hideFields,
  mayHideFields,
} from "../rules/field-rules.js";
import { checkSize, prepareCreate, prepareUpdate } from "../schema/record-input.js";
import { type EntitySchemas, kindOf } from "../schema/schema-catalog.js";
import { type EntitySchema, USER_ENTITY } from "../schema/types.js";
import { type FlatRecord, flat, flatJson, newRecordId } from "./record-shape.js";
import { changeUser, userAccess, userOut } from "./user-entity.js";

/** Who asks for which entity of which app. */
export interface EntityCall {
  appId: string;
  entity: string;
  actor: Actor;
  /** How many automation runs in a row led to this call (see `EntityRef.origin`); 0 when absent. */
  depth?: number;
}

/** Limits of {@link EntityService}; see `ServerOptions`. */
export interface EntityLimits {
  /** Largest record, as stored JSON, in bytes. */
  maxRecordBytes: number;
}

/** Records one bulk call may carry (create, update, upsert). */
export const MAX_BULK = 5_000;
/** Records one `updateMany`, `bulkUpdate` or `upsert` call changes (`@base44/sdk` 0.8.50 types). */
export const MAX_BATCH = 500;
/**
 * Records per batch of a listed answer: about 50 kB of JSON for records of a few hundred bytes,
 * under V8's large-object size (strings over 128 kB skip the young generation and live until a
 * full collection: with batches of 500, 32 lists at once held 50 MB more than one did; with 100,
 * 24 MB).
 */
export const LIST_BATCH = 100;

/** A resolved call: the schema, the store's handle and the actor. */
export interface Scope {
  schema: EntitySchema;
  ref: EntityRef;
  actor: Actor;
  appId: string;
  isUser: boolean;
}

/** Prefixes an error from one record of a batch with its index, keeping its code and field. */
export function atIndex<T>(i: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FnbaseError) {
      throw new FnbaseError(err.code, `Record ${i}: ${err.message}`, {
        ...(err.hint === undefined ? {} : { hint: err.hint }),
        ...(err.field === undefined ? {} : { field: err.field }),
      });
    }
    throw err;
  }
}

/**
 * Every operation on records, with access rules applied the same way on every path: each read,
 * count, aggregate and write ANDs the entity's rule for that operation into its filter, so the
 * store never returns, counts or changes a record the rule hides. Hidden records read as 404;
 * a denied create, or an update or delete of a record the caller can read but not change, is a
 * 403 (`../shared/BASE44-DATA.md` §1.8).
 */
export class EntityService {
  readonly store: EntityStore;
  readonly schemas: EntitySchemas;
  readonly limits: EntityLimits;
  readonly #now: () => Date;

  constructor(
    store: EntityStore,
    schemas: EntitySchemas,
    limits: EntityLimits,
    now: () => Date = () => new Date(),
  ) {
    this.store = store;
    this.schemas = schemas;
    this.limits = limits;
    this.#now = now;
  }

  /** The current time as records store it (ISO 8601, UTC, milliseconds, `Z`). */
  now(): string {
    return this.#now().toISOString();
  }

  /** Resolves a call's schema (404 when the entity does not exist). */
  scope(call: EntityCall): Scope {
    const schema = this.schemas.require(call.appId, call.entity);
    return {
      schema,
      actor: call.actor,
      appId: call.appId,
      isUser: call.entity === USER_ENTITY,
      ref: {
        appId: call.appId,
        entity: call.entity,
        kindOf: (p) => kindOf(schema, p),
        ...(call.depth ? { origin: { depth: call.depth } } : {}),
      },
    };
  }

  /** The filter `op`'s access rule puts on the scope's records. */
  access(s: Scope, op: Operation): Filter {
    return s.isUser ? userAccess(op, s.actor) : accessFilter(s.schema, op, s.actor);
  }

  /** A stored record as the caller may see it (field rules applied). */
  out(s: Scope, r: StoredRecord): FlatRecord {
    return this.outFlat(s, flat(r));
  }

  /** A record, flat, as the caller may see it (field rules applied). */
  outFlat(s: Scope, f: FlatRecord): FlatRecord {
    const seen = hideFields(s.schema, s.actor, f);
    return s.isUser ? userOut(seen, s.appId) : seen;
  }

  /** Refuses filters and sorts on fields the caller may not always read. */
  checkFields(s: Scope, filter: Filter, sort: SortKey[] = []): void {
    if (s.actor.kind === "service") return;
    const fields = new Set<string>();
    collectFields(filter, fields);
    for (const k of sort) fields.add(k.path[0]!);
    for (const f of fields) checkReadableField(s.schema, s.actor, f);
  }

  /** One record by id, or a 404 (also when the read rule hides it). */
  async get(call: EntityCall, id: string): Promise<FlatRecord> {
    const s = this.scope(call);
    return this.out(s, await this.#readable(s, id));
  }

  async #readable(s: Scope, id: string): Promise<StoredRecord> {
    const [r] = await this.store.find(s.ref, {
      filter: and(byId(id), this.access(s, "read")),
      sort: [],
      limit: 1,
    });
    if (!r) {
      throw new FnbaseError("RECORD_NOT_FOUND", `${s.schema.name} record not found: ${id}`);
    }
    return r;
  }

  /** The creator a new record is attributed to: the user, or whom the service role acts for. */
  #creator(actor: Actor): UserDoc | undefined {
    return actor.kind === "user"
      ? actor.user
      : actor.kind === "service"
        ? actor.onBehalfOf
        : undefined;
  }

  /** Builds a new record from a body and checks it against the schema and the create rules. */
  newRecord(s: Scope, body: unknown, createRule: Filter, now: string): StoredRecord {
    return this.#newRecord(s, body, createRule, now).record;
  }

  /** {@link newRecord}, with the JSON text of its fields (written for the size check). */
  #newRecord(s: Scope, body: unknown, createRule: Filter, now: string) {
    const data = prepareCreate(s.schema, body);
    const json = checkSize(data, this.limits.maxRecordBytes);
    const creator = this.#creator(s.actor);
    const r: StoredRecord = {
      id: newRecordId(),
      created_date: now,
      updated_date: now,
      builtins: { created_by: creator?.email ?? null, created_by_id: creator?.id ?? null },
      data,
    };
    // The flat record only when a rule reads it.
    const fields = hasFieldRules(s.schema);
    const f = createRule.kind === "const" && !fields ? undefined : flat(r);
    if (!(createRule.kind === "const" ? createRule.value : matches(createRule, f!))) {
      throw new FnbaseError(
        "FORBIDDEN",
        `Permission denied: you cannot create ${s.schema.name} records`,
        { hint: "The entity's create rule does not let you; check its rls" },
      );
    }
    if (fields) checkFieldWrites(s.schema, s.actor, "create", f!, data);
    return { record: r, json };
  }

  /**
   * The JSON text of a record as the caller may see it ({@link out}), written from the text of
   * its fields when no field rule can take anything out.
   */
  outJson(s: Scope, r: StoredRecord, dataJson: string): string {
    if (s.isUser || mayHideFields(s.schema, s.actor)) return JSON.stringify(this.out(s, r));
    return flatJson(r, dataJson);
  }

  /** Creates one record; answers its JSON text. */
  async create(call: EntityCall, body: unknown): Promise<string> {
    const s = this.#writable(call);
    const { record, json } = this.#newRecord(s, body, this.access(s, "create"), this.now());
    await this.store.insert(s.ref, [record], [json]);
    return this.outJson(s, record, json);
  }

  /**
   * Creates every record of `bodies` or none (each checked first, in order); answers the JSON
   * text of the array of them.
   */
  async bulkCreate(call: EntityCall, bodies: unknown): Promise<string> {
    const s = this.#writable(call);
    const list = asList(bodies, MAX_BULK, "bulkCreate");
    const rule = this.access(s, "create");
    const now = this.now();
    const made = list.map((b, i) => atIndex(i, () => this.#newRecord(s, b, rule, now)));
    const records = made.map((m) => m.record);
    const texts = made.map((m) => m.json);
    if (records.length > 0) await this.store.insert(s.ref, records, texts);
    return `[${records.map((r, i) => this.outJson(s, r, texts[i]!)).join(",")}]`;
  }

  #writable(call: EntityCall): Scope {
    const s = this.scope(call);
    if (s.isUser) {
      throw new FnbaseError("METHOD_NOT_ALLOWED", "Users cannot be created through entities.User", {
        hint: "Users register (auth/register) or are invited; update them with entities.User.update",
      });
    }
    return s;
  }

  /**
   * The change an update body makes to a stored record (merge, checks, field rules). `named`:
   * the fields the caller named, when not the body's keys (`update-many` passes its operators').
   */
  changeFor(
    s: Scope,
    body: unknown,
    now: string,
    named?: { fields: readonly string[]; renamedFrom?: readonly string[] },
  ): (cur: StoredRecord) => StoredRecord {
    const given = named ?? {
      fields: body !== null && typeof body === "object" ? Object.keys(body) : [],
    };
    return (cur) => {
      if (s.isUser) {
        const declared = this.schemas.hasUserSchema(s.appId);
        const next = changeUser(cur, body, s.actor, s.schema, declared, now);
        // Field rules of the app's User schema hold as on any entity (a user may not grant
        // themselves a field only admins may set, which other rules may rest on).
        const before = flat(cur);
        checkFieldWrites(s.schema, s.actor, "update", before, flat(next), before, given);
        return next;
      }
      const data = prepareUpdate(s.schema, cur.data, body);
      checkFieldWrites(s.schema, s.actor, "update", flat(cur), data, cur.data, given);
      checkSize(data, this.limits.maxRecordBytes);
      return { ...cur, data, updated_date: now };
    };
  }

  /** Updates one record (a merge): 404 when hidden, 403 when readable but not updatable. */
  async update(call: EntityCall, id: string, body: unknown): Promise<FlatRecord> {
    const s = this.scope(call);
    await this.#readable(s, id);
    const [changed] = await this.store.updateWhere(
      s.ref,
      and(byId(id), this.access(s, "update")),
      1,
      this.changeFor(s, body, this.now()),
    );
    if (!changed?.after) throw denied(s.schema, "update");
    return this.out(s, changed.after);
  }

  /** Deletes one record: 404 when hidden, 403 when readable but not deletable. */
  async remove(call: EntityCall, id: string): Promise<{ success: true }> {
    const s = this.scope(call);
    await this.#readable(s, id);
    const gone = await this.store.deleteWhere(s.ref, and(byId(id), this.access(s, "delete")), 1);
    if (gone.length === 0) throw denied(s.schema, "delete");
    return { success: true };
  }

  /** Deletes every record matching `filter` that the caller may read and delete. */
  async removeMany(call: EntityCall, filter: Filter): Promise<{ success: true; deleted: number }> {
    const s = this.scope(call);
    this.checkFields(s, filter);
    const gone = await this.store.deleteWhere(
      s.ref,
      and(filter, this.access(s, "read"), this.access(s, "delete")),
      Number.MAX_SAFE_INTEGER,
    );
    return { success: true, deleted: gone.length };
  }

  /** Counts the records matching `filter` that the caller may read. */
  async count(call: EntityCall, filter: Filter): Promise<{ count: number }> {
    const s = this.scope(call);
    this.checkFields(s, filter);
    return { count: await this.store.count(s.ref, and(filter, this.access(s, "read"))) };
  }

  /**
   * Records matching `filter` that the caller may read, sorted, paged and projected (`fields`),
   * as the JSON text of each, in batches (see `EntityStore.findJson`): checks and the choice of
   * records happen at the first `next()`. When nothing is to be taken out of them (no field rule
   * hides anything from the caller, no projection, not the User entity) records pass through as
   * SQLite wrote them; otherwise each is parsed, passed through {@link outFlat} and `project`,
   * and written again.
   */
  async *listJson(
    call: EntityCall,
    q: { filter: Filter; sort: SortKey[]; limit: number; skip: number; fields?: string[] },
  ): AsyncGenerator<string[]> {
    const s = this.scope(call);
    this.checkFields(s, q.filter, q.sort);
    const rows = this.store.findJson(
      s.ref,
      { filter: and(q.filter, this.access(s, "read")), sort: q.sort, limit: q.limit, skip: q.skip },
      LIST_BATCH,
    );
    const fields = q.fields;
    if (!fields && !s.isUser && !mayHideFields(s.schema, s.actor)) {
      yield* rows;
      return;
    }
    for await (const batch of rows) {
      yield batch.map((j) => {
        const r = this.outFlat(s, JSON.parse(j) as FlatRecord);
        return JSON.stringify(fields ? project(r, fields) : r);
      });
    }
  }
}

/** The filter of one id. */
export const byId = (id: string): Filter => parseFilter({ id });

/** The 403 of a readable record the caller may not change. */
export function denied(schema: EntitySchema, op: "update" | "delete"): FnbaseError {
  return new FnbaseError(
    "FORBIDDEN",
    `Permission denied: you cannot ${op} this ${schema.name} record`,
    { hint: `The entity's ${op} rule does not let you; check its rls` },
  );
}

/** Checks that a body is a list of at most `max` items. */
export function asList(body: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(body)) {
    throw new FnbaseError("BAD_REQUEST", `The body of ${what} must be a JSON array of records`);
  }
  if (body.length > max) {
    throw new FnbaseError(
      "BAD_REQUEST",
      `Too many records in one ${what}: ${body.length}, at most ${max}`,
      {
        hint: "Send them in several calls",
      },
    );
  }
  return body;
}

/** The top-level fields a filter reads (for field-rule checks). */
export function collectFields(f: Filter, into: Set<string>): void {
  if (f.kind === "field") {
    if (f.path.length > 0) into.add(f.path[0]!);
  } else if (f.kind !== "const") {
    for (const sub of f.filters) collectFields(sub, into);
  }
}
