/**
 * The entities part of the store: each app's entity schemas and their records. Filters arrive
 * as the parsed tree of `entities/query` (never as SQL), and each implementation compiles them
 * for its own dialect, so SQLite and PostgreSQL run the same query engine.
 *
 * Writes that must read before they write (update, update-many, upsert) take a synchronous
 * `change` function and run it inside one transaction with the read, so no other write can slip
 * between the two; they return what each record was before and after, for the events that
 * realtime and automations will deliver.
 */

import type { FieldPath, Filter, Json, SortKey } from "../entities/query/types.js";

/** A stored entity schema. `schema` is the JSON the app pushed, with `name` set. */
export interface EntitySchemaRow {
  app_id: string;
  name: string;
  schema: Record<string, unknown>;
  created_date: string;
  updated_date: string;
  /** Set when a full sync left the entity out: its records are kept, and a push of the name brings them back. */
  deleted_date: string | null;
}

/** What a schema sync changed, by entity name (the wire answer of `PUT entity-schemas`). */
export interface SchemaSyncResult {
  created: string[];
  updated: string[];
  deleted: string[];
}

/** A schema to sync, checked, with the fields the store must index. */
export interface SchemaToSync {
  name: string;
  schema: Record<string, unknown>;
  /** Paths the store keeps an index on (besides the built-ins): declared ones and those rules read. */
  indexes: FieldPath[];
}

/**
 * A record as stored: the built-in fields, and the entity's own fields in `data`. The User
 * entity's rows carry `email`, `full_name` and `role` as built-ins too (see `UserShape`).
 */
export interface StoredRecord {
  id: string;
  created_date: string;
  updated_date: string;
  /** Built-in fields beyond id and the dates (`created_by`, `created_by_id`; for users `email`, ...). */
  builtins: Record<string, string | null>;
  data: Record<string, Json>;
}

/** Which records a call is about: one entity of one app. */
export interface EntityRef {
  appId: string;
  /** The entity's name (`User` is the app's users). */
  entity: string;
  /** What the schema says each field holds; see `TableShape.kindOf`. */
  kindOf(path: FieldPath): "scalar" | "array" | "unknown";
  /**
   * Where a write comes from: `depth` is how many automation runs in a row led to it (0 for a
   * write no automation made), carried to the events the write queues.
   */
  origin?: { depth: number };
}

/** A read of records. */
export interface FindQuery {
  filter: Filter;
  sort: SortKey[];
  /** At most this many records. */
  limit: number;
  /** Skip this many first (the array routes' `skip`). */
  skip?: number;
  /** Only records after this one in `sort` order (cursor pages). */
  after?: { values: Json[]; id: string };
}

/** A record before and after one write; `before` is undefined for a create, `after` for a delete. */
export interface RecordChange {
  before?: StoredRecord;
  after?: StoredRecord;
  /** The JSON text of `after.data`, when the write had it (a create's): not written again. */
  afterJson?: string;
}

/** What a change did to its record. */
export const changeType = (c: RecordChange): "create" | "update" | "delete" =>
  c.before && c.after ? "update" : c.after ? "create" : "delete";

/**
 * Called inside each write's transaction with every record the write changed (creates,
 * updates and deletes alike), so what it writes commits or rolls back with the records: the
 * automation store queues entity events through it (see `automation-types.ts`).
 */
export type RecordChangeListener = (ref: EntityRef, changes: RecordChange[]) => void;

/** A group-by read; see `@base44/sdk` 0.8.50 `EntityAggregateSpec`. */
export interface AggregateQuery {
  filter: Filter;
  groupBy: FieldPath[];
  dateBucket?: { path: FieldPath; unit: "day" | "week" | "month" | "year" };
  count: boolean;
  sum: FieldPath[];
  avg: FieldPath[];
  min: FieldPath[];
  max: FieldPath[];
  countDistinct?: FieldPath;
  /** Rows past this many are cut (and `truncated` says so). */
  limit: number;
  /** Sort by an output column (`count`, `sum_total`, a group field), `-` for descending. */
  sort?: { column: string; descending: boolean };
}

/** Most groups one aggregate reads before `having`, sort and the caller's `limit` apply. */
export const AGGREGATE_MAX_GROUPS = 50_000;

/** One aggregate output row: group fields by name, then the measures (`count`, `sum_<f>`, ...). */
export type AggregateRow = Record<string, Json>;

/** What fnbase keeps about entities. */
export interface EntityStore {
  /** Schemas of an app, by name; deleted ones only when asked. */
  listSchemas(appId: string, options?: { includeDeleted?: boolean }): Promise<EntitySchemaRow[]>;
  /**
   * Makes the app's schema exactly `schemas` in one transaction: new names are created (or
   * brought back with their records, if a sync had removed them), changed ones updated, and
   * names not listed marked deleted (records kept). Indexes follow each schema.
   */
  syncSchemas(appId: string, schemas: SchemaToSync[]): Promise<SchemaSyncResult>;

  find(ref: EntityRef, query: FindQuery): Promise<StoredRecord[]>;
  /**
   * The records of `query` as the JSON text of their flat form (the object `flat()` makes: the
   * entity's fields, then the built-ins), in batches of at most `batch`, without building them
   * as objects. Which records, in which order, is settled by the first batch's `next()` (so a
   * bad query throws there); each later batch is read when asked for, so a caller can wait
   * between batches (for a slow reader) without holding the store. A record that changes in
   * between comes as it then is if it still matches the filter; one deleted meanwhile is left
   * out.
   */
  findJson(ref: EntityRef, query: FindQuery, batch: number): AsyncIterable<string[]>;
  count(ref: EntityRef, filter: Filter): Promise<number>;
  /** Distinct values of a field (array fields contribute each element), ascending, after `after`. */
  distinct(
    ref: EntityRef,
    path: FieldPath,
    filter: Filter,
    limit: number,
    after?: Json,
  ): Promise<Json[]>;
  aggregate(
    ref: EntityRef,
    query: AggregateQuery,
  ): Promise<{ rows: AggregateRow[]; truncated: boolean }>;

  /**
   * Inserts every record or none. `dataJson[i]`, when given, is `JSON.stringify(records[i].data)`
   * already written (a create has it from its size check).
   */
  insert(ref: EntityRef, records: StoredRecord[], dataJson?: readonly string[]): Promise<void>;
  /**
   * For each record matching `filter` (at most `limit`, in id order), calls `change` with it and
   * writes what it returns (undefined: leave that record alone); one transaction. A throw from
   * `change` writes nothing.
   */
  updateWhere(
    ref: EntityRef,
    filter: Filter,
    limit: number,
    change: (current: StoredRecord) => StoredRecord | undefined,
  ): Promise<RecordChange[]>;
  /**
   * Writes a batch in one transaction: for each item, the record matching `match` (at most one
   * is used, the oldest) is passed to `change` and replaced by its answer, or, when none matches,
   * `change(undefined)` creates one. A throw writes nothing.
   */
  upsert(
    ref: EntityRef,
    items: { match: Filter }[],
    change: (index: number, current: StoredRecord | undefined) => StoredRecord,
  ): Promise<RecordChange[]>;
  /** Deletes records matching `filter` (at most `limit`), returning them. */
  deleteWhere(ref: EntityRef, filter: Filter, limit: number): Promise<StoredRecord[]>;
}
