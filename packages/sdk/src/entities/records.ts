/**
 * Entity names known to the type checker, each mapped to the fields of its schema. Empty here;
 * a generated declaration file adds one key per entity, and `client.entities.<Name>` is then
 * typed from it (with {@link ServerEntityFields} added). Entities it does not list stay
 * loosely typed. Same interface as `@base44/sdk` 0.8.50 (`dist/modules/entities.types.d.ts`).
 *
 * @example
 * ```ts
 * // base44/.types/types.d.ts (written by the type generator)
 * declare module "@fnbase/sdk" {
 *   interface EntityTypeRegistry {
 *     Order: { status: string; total?: number };
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an empty interface is what declarations augment
export interface EntityTypeRegistry {}

/**
 * Fields the server adds to every record: the id and the ISO 8601 timestamps it assigns, and
 * who created the record. Sent on a write, they are ignored.
 *
 * @example
 * ```ts
 * const { id, created_date, created_by_id }: ServerEntityFields = await client.entities.Task.get(id);
 * ```
 */
export interface ServerEntityFields {
  /** The record's id, an opaque string. */
  id: string;
  /** When the record was created (ISO 8601). */
  created_date: string;
  /** When the record was last changed (ISO 8601). */
  updated_date: string;
  /** The creator's email; `null` for records made by the service role or anonymously. */
  created_by?: string | null;
  /** The creator's user id; `null` for records made by the service role or anonymously. */
  created_by_id?: string | null;
  /** Whether the record is sample or seed data. */
  is_sample?: boolean;
}

/**
 * The full record type of each entity in {@link EntityTypeRegistry}: its schema's fields plus
 * {@link ServerEntityFields}.
 *
 * @example
 * ```ts
 * type Order = EntityRecord["Order"];
 * const order: Order = await client.entities.Order.create({ status: "open" });
 * console.log(order.id, order.status);
 * ```
 */
export type EntityRecord = {
  [K in keyof EntityTypeRegistry]: EntityTypeRegistry[K] & ServerEntityFields;
};
