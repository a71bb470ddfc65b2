/**
 * The answer to `delete(id)`.
 *
 * @example
 * ```ts
 * const { success }: DeleteResult = await client.entities.Task.delete(id);
 * ```
 */
export interface DeleteResult {
  success: boolean;
}

/**
 * The answer to `deleteMany(query)`.
 *
 * @example
 * ```ts
 * const { deleted }: DeleteManyResult = await client.entities.Task.deleteMany({ done: true });
 * ```
 */
export interface DeleteManyResult {
  success: boolean;
  /** How many records were deleted. */
  deleted: number;
}

/**
 * The answer to `updateMany(query, ops)`: at most 500 records change per call; call again
 * while `has_more` is `true`.
 *
 * @example
 * ```ts
 * const { updated, has_more }: UpdateManyResult = await client.entities.Task.updateMany(
 *   { done: false },
 *   { $set: { done: true } },
 * );
 * ```
 */
export interface UpdateManyResult {
  success: boolean;
  /** How many records changed in this call. */
  updated: number;
  /** Whether matching records remain for another call. */
  has_more: boolean;
}

/**
 * One page of `list(options)` or `filter(query, options)`: records, or a field's distinct values.
 *
 * @example
 * ```ts
 * let page: EntityPage<Task> = await client.entities.Task.list({ limit: 100 });
 * while (page.has_more) page = await client.entities.Task.list({ cursor: page.next_cursor });
 * ```
 */
export interface EntityPage<T> {
  items: T[];
  /** The `cursor` of the next page; `null` on the last. */
  next_cursor: string | null;
  has_more: boolean;
}

/**
 * The answer to `aggregate(spec)`: one row per group (the group fields, then `count`,
 * `sum_<field>`, ...), and whether `limit` cut groups off.
 *
 * @example
 * ```ts
 * const { rows, truncated }: EntityAggregateResult = await client.entities.Sale.aggregate({ groupBy: "agent_id" });
 * ```
 */
export interface EntityAggregateResult {
  // biome-ignore lint/suspicious/noExplicitAny: same type as @base44/sdk
  rows: Record<string, any>[];
  truncated: boolean;
}

/**
 * The answer to `upsert(records, { key })`: counts and the records as they now are.
 *
 * @example
 * ```ts
 * const { created, updated }: EntityUpsertResult = await client.entities.Contact.upsert(rows, { key: "crm_id" });
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: same default as @base44/sdk
export interface EntityUpsertResult<T = any> {
  created: number;
  updated: number;
  records: T[];
}

/**
 * The answer to `importEntities(file)`.
 *
 * @example
 * ```ts
 * const result: ImportResult = await client.entities.Task.importEntities(file);
 * if (result.status === "success") console.log(result.output?.length);
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: same default as @base44/sdk
export interface ImportResult<T = any> {
  status: "success" | "error";
  /** What happened, e.g. how many records were imported. */
  details: string | null;
  /** The created records on success, `null` on error. */
  output: T[] | null;
}
