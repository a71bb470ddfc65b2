import type { EntityFilterQuery, SortField } from "./query.js";

/**
 * The options object of `list(options)` and `filter(query, options)`: read one cursor page
 * (`GET .../v2/list`) instead of an array.
 *
 * @example
 * ```ts
 * const first = await client.entities.Task.list({ sort: "-created_date", limit: 50 });
 * const next = await client.entities.Task.list({ cursor: first.next_cursor, limit: 50 });
 * ```
 */
export interface EntityListOptions<T, K extends keyof T = keyof T> {
  /** One field, `-` prefixed for descending. Default: `-created_date`. */
  sort?: SortField<T>;
  /** Records per page, up to 5,000. Default: 100. */
  limit?: number;
  /**
   * `next_cursor` of the previous page; omitted or `null` for the first. It carries the query,
   * sort and fields, so later pages need only `cursor` and `limit`.
   */
  cursor?: string | null;
  /** The fields each record holds. Default: all. */
  fields?: K[];
}

/**
 * The options object that reads the distinct values of one field, one cursor page at a time.
 *
 * @example
 * ```ts
 * const { items } = await client.entities.Task.list({ distinct: "status" });
 * ```
 */
export interface EntityDistinctOptions<T, K extends keyof T = keyof T> {
  /** The field whose values to return, ascending; an array field gives each element. */
  distinct: K;
  /** Values per page, up to 1,000. Default: 100. */
  limit?: number;
  /** `next_cursor` of the previous page; omitted or `null` for the first. */
  cursor?: string | null;
}

/**
 * The time unit of an aggregate's `dateBucket`.
 *
 * @example
 * ```ts
 * const unit: EntityDateBucketUnit = "month";
 * ```
 */
export type EntityDateBucketUnit = "day" | "week" | "month" | "year";

/**
 * What `aggregate` computes: groups (fields and/or a date bucket) and measures per group. A
 * measure of field `f` comes back as `sum_f`, `avg_f`, `min_f`, `max_f` or `count_distinct_f`.
 *
 * @example
 * ```ts
 * const spec: EntityAggregateSpec<{ agent_id: string; amount: number }> = {
 *   groupBy: "agent_id",
 *   sum: "amount",
 *   sort: "-sum_amount",
 * };
 * ```
 */
export interface EntityAggregateSpec<T> {
  /** Which records to aggregate, as `filter` takes it. Default: all the caller may read. */
  query?: EntityFilterQuery<T>;
  /** A field, or up to four, to group by. Omitted: one row for everything. */
  groupBy?: (keyof T & string) | (keyof T & string)[];
  /** Groups by a time bucket of a date field (`week` only for the built-in dates). */
  dateBucket?: { field: keyof T & string; unit: EntityDateBucketUnit };
  /** Whether rows carry `count`. Default: `true`. */
  count?: boolean;
  sum?: (keyof T & string) | (keyof T & string)[];
  avg?: (keyof T & string) | (keyof T & string)[];
  min?: (keyof T & string) | (keyof T & string)[];
  max?: (keyof T & string) | (keyof T & string)[];
  /** A field whose distinct values to count per group. */
  countDistinct?: keyof T & string;
  /** A filter on the computed columns, e.g. `{ count: { $gt: 1 } }`. */
  // biome-ignore lint/suspicious/noExplicitAny: same type as @base44/sdk
  having?: Record<string, any>;
  /** A computed or group column, `-` prefixed for descending, e.g. `"-count"`. */
  sort?: string;
  /** Rows, up to 1,000. Default: 1,000. */
  limit?: number;
}

/**
 * The key of `upsert`: the field, or fields, that identify a record.
 *
 * @example
 * ```ts
 * await client.entities.Contact.upsert(rows, { key: ["crm_id", "region"] });
 * ```
 */
export interface EntityUpsertOptions<T> {
  key: (keyof T & string) | (keyof T & string)[];
}
