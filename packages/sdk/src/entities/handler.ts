import type { RealtimeCallback } from "../realtime.js";
import type {
  EntityAggregateSpec,
  EntityDistinctOptions,
  EntityListOptions,
  EntityUpsertOptions,
} from "./options.js";
import type { EntityFilterQuery, SortField } from "./query.js";
import type { EntityRecord, EntityTypeRegistry } from "./records.js";
import type {
  DeleteManyResult,
  DeleteResult,
  EntityAggregateResult,
  EntityPage,
  EntityUpsertResult,
  ImportResult,
  UpdateManyResult,
} from "./results.js";

/**
 * The records of one entity, at `/api/apps/{appId}/entities/{Name}`. Every call resolves with
 * the server's JSON and rejects with an `ApiError` (`status`, `code`, `message`, `data`). Same
 * methods, requests and types as `@base44/sdk` 0.8.50's entity handler.
 *
 * @example
 * ```ts
 * const task = await client.entities.Task.create({ title: "Write docs" });
 * await client.entities.Task.update(task.id, { done: true });
 * const open = await client.entities.Task.filter({ done: false }, "-created_date", 20);
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: same default as @base44/sdk, for unregistered entities
export interface EntityHandler<T = any> {
  /**
   * Records in one array (`GET`, up to 5,000): `sort`, `limit`, `skip` and `fields` are sent
   * only when truthy.
   *
   * @example
   * ```ts
   * const recent = await client.entities.Task.list("-created_date", 10, 0, ["id", "title"]);
   * ```
   */
  list<K extends keyof T = keyof T>(
    sort?: SortField<T>,
    limit?: number,
    skip?: number,
    fields?: K[],
  ): Promise<Pick<T, K>[]>;
  /**
   * One page of a field's distinct values (`GET .../v2/list?distinct=field`).
   *
   * @example
   * ```ts
   * const { items: statuses } = await client.entities.Task.list({ distinct: "status" });
   * ```
   */
  list<K extends keyof T>(options: EntityDistinctOptions<T, K>): Promise<EntityPage<T[K]>>;
  /**
   * One cursor page of records (`GET .../v2/list`, 100 by default).
   *
   * @example
   * ```ts
   * const { items, next_cursor } = await client.entities.Task.list({ limit: 50 });
   * ```
   */
  list<K extends keyof T = keyof T>(
    options: EntityListOptions<T, K>,
  ): Promise<EntityPage<Pick<T, K>>>;

  /**
   * Records matching `query` in one array (`GET ?q=...`).
   *
   * @example
   * ```ts
   * const due = await client.entities.Task.filter({ n: { $gte: 5 } }, "+title", 20);
   * ```
   */
  filter<K extends keyof T = keyof T>(
    query: EntityFilterQuery<T>,
    sort?: SortField<T>,
    limit?: number,
    skip?: number,
    fields?: K[],
  ): Promise<Pick<T, K>[]>;
  /**
   * One page of the distinct values of a field among records matching `query`.
   *
   * @example
   * ```ts
   * const { items } = await client.entities.Task.filter({ done: false }, { distinct: "owner" });
   * ```
   */
  filter<K extends keyof T>(
    query: EntityFilterQuery<T>,
    options: EntityDistinctOptions<T, K>,
  ): Promise<EntityPage<T[K]>>;
  /**
   * One cursor page of records matching `query`.
   *
   * @example
   * ```ts
   * const page = await client.entities.Task.filter({ done: false }, { sort: "-n", limit: 20 });
   * ```
   */
  filter<K extends keyof T = keyof T>(
    query: EntityFilterQuery<T>,
    options: EntityListOptions<T, K>,
  ): Promise<EntityPage<Pick<T, K>>>;

  /**
   * One record (`GET /{id}`); 404 when it is missing or the caller may not read it.
   *
   * @example
   * ```ts
   * const task = await client.entities.Task.get("6886b8d390dc7e2f4a2c91b3");
   * ```
   */
  get(id: string): Promise<T>;
  /**
   * Creates a record (`POST`) and resolves with it, server fields included. A schema violation
   * rejects with status 422.
   *
   * @example
   * ```ts
   * const task = await client.entities.Task.create({ title: "Write docs" });
   * ```
   */
  create(data: Partial<T>): Promise<T>;
  /**
   * Changes the given fields of a record (`PUT /{id}`) and resolves with the whole record.
   *
   * @example
   * ```ts
   * await client.entities.Task.update(task.id, { done: true });
   * ```
   */
  update(id: string, data: Partial<T>): Promise<T>;
  /**
   * Deletes a record (`DELETE /{id}`).
   *
   * @example
   * ```ts
   * await client.entities.Task.delete(task.id);
   * ```
   */
  delete(id: string): Promise<DeleteResult>;
  /**
   * Deletes every record matching `query` (`DELETE` with the query as its JSON body). Anything
   * but an object rejects with a `TypeError` before a request; `{}` matches every record.
   *
   * @example
   * ```ts
   * const { deleted } = await client.entities.Task.deleteMany({ done: true });
   * ```
   */
  deleteMany(query: EntityFilterQuery<T>): Promise<DeleteManyResult>;
  /**
   * Creates several records in one request (`POST /bulk`), all or none.
   *
   * @example
   * ```ts
   * const tasks = await client.entities.Task.bulkCreate([{ title: "a" }, { title: "b" }]);
   * ```
   */
  bulkCreate(data: Partial<T>[]): Promise<T[]>;
  /**
   * Updates several records, each with its own fields (`PUT /bulk`, up to 500).
   *
   * @example
   * ```ts
   * await client.entities.Task.bulkUpdate([{ id: a.id, done: true }, { id: b.id, n: 3 }]);
   * ```
   */
  bulkUpdate(data: (Partial<T> & { id: string })[]): Promise<T[]>;
  /**
   * Applies MongoDB update operators (`$set`, `$inc`, `$unset`, ...) to the records matching
   * `query` (`PATCH /update-many`, body `{ query, data }`), up to 500 per call.
   *
   * @example
   * ```ts
   * const { updated, has_more } = await client.entities.Task.updateMany(
   *   { done: false },
   *   { $set: { done: true }, $inc: { n: 1 } },
   * );
   * ```
   */
  updateMany(
    query: EntityFilterQuery<T>,
    // biome-ignore lint/suspicious/noExplicitAny: same type as @base44/sdk
    data: Record<string, Record<string, any>>,
  ): Promise<UpdateManyResult>;
  /**
   * How many records match `query` (all when omitted) among those the caller may read
   * (`GET /count`); resolves with the number.
   *
   * @example
   * ```ts
   * const open = await client.entities.Task.count({ done: false });
   * ```
   */
  count(query?: EntityFilterQuery<T>): Promise<number>;
  /**
   * Groups and measures records on the server (`POST /aggregate`).
   *
   * @example
   * ```ts
   * const { rows } = await client.entities.Task.aggregate({ groupBy: "owner", sum: "n" });
   * ```
   */
  aggregate(spec: EntityAggregateSpec<T>): Promise<EntityAggregateResult>;
  /**
   * Creates or updates records by a key of your own (`POST /upsert`, body `{ records, key }`,
   * up to 500).
   *
   * @example
   * ```ts
   * const { created, updated } = await client.entities.Contact.upsert(rows, { key: "crm_id" });
   * ```
   */
  upsert(records: Partial<T>[], options: EntityUpsertOptions<T>): Promise<EntityUpsertResult<T>>;
  /**
   * Imports records from a file (`POST /import`, multipart, one part `file` with its name).
   *
   * @example
   * ```ts
   * const result = await client.entities.Task.importEntities(input.files[0]);
   * ```
   */
  importEntities(file: File): Promise<ImportResult<T>>;
  /**
   * Calls `callback` with each change to this entity's records that the client's user may read
   * (the server filters events by the entity's access rules), over one realtime socket per
   * client; answers the function that stops it.
   *
   * @example
   * ```ts
   * const stop = client.entities.Task.subscribe((e) => console.log(e.type, e.data.title));
   * stop();
   * ```
   */
  subscribe(callback: RealtimeCallback<T>): () => void;
}

/**
 * `client.entities`: one {@link EntityHandler} per entity name. Names in
 * {@link EntityTypeRegistry} get handlers typed by their {@link EntityRecord}; any other name
 * gets a loosely typed handler, as in `@base44/sdk`.
 *
 * @example
 * ```ts
 * const orders = await client.entities.Order.filter({ status: "open" });
 * const carts = await client.entities["commerce.Cart"].list();
 * ```
 */
export type EntitiesModule = {
  [K in keyof EntityTypeRegistry]: EntityHandler<EntityRecord[K]>;
} & {
  // biome-ignore lint/suspicious/noExplicitAny: unregistered entities are untyped, as in @base44/sdk
  [entityName: string]: EntityHandler<any>;
};
