/**
 * A sort for `list` and `filter`: one field name, ascending as it is or with a `+` prefix,
 * descending with a `-` prefix. The server's default is `-created_date`.
 *
 * @example
 * ```ts
 * const sort: SortField<{ title: string }> = "+title"; // also "title", "-title"
 * ```
 */
export type SortField<T> = (keyof T & string) | `+${keyof T & string}` | `-${keyof T & string}`;

type Comparable<T> = Exclude<T, undefined> | null;

type StringOperators<T> =
  Extract<Exclude<T, undefined | null>, string> extends never
    ? // biome-ignore lint/complexity/noBannedTypes: no operators for non-string fields
      {}
    : {
        /** A regular expression the string must match. */
        $regex?: string;
      };

type ArrayElement<T> = T extends readonly (infer U)[] ? U : never;

type ArrayOperators<T> = [ArrayElement<Exclude<T, undefined | null>>] extends [never]
  ? // biome-ignore lint/complexity/noBannedTypes: no operators for non-array fields
    {}
  : {
      /** The array holds every one of these. */
      $all?: ArrayElement<Exclude<T, undefined | null>>[];
      /** The array has exactly this many elements. */
      $size?: number;
    };

type CommonOperators<T> = {
  $eq?: Comparable<T>;
  $ne?: Comparable<T>;
  $gt?: Comparable<T>;
  $gte?: Comparable<T>;
  $lt?: Comparable<T>;
  $lte?: Comparable<T>;
  $in?: Comparable<T>[];
  $nin?: Comparable<T>[];
  /** The field is present (`true`) or absent (`false`). */
  $exists?: boolean;
} & StringOperators<T> &
  ArrayOperators<T>;

/**
 * MongoDB-style operators on one field, typed from the field's value: comparisons for all,
 * `$regex` for strings, `$all` and `$size` for arrays, `$not` around any of them.
 *
 * @example
 * ```ts
 * const ops: EntityFilterOperators<number> = { $gte: 5, $lt: 10 };
 * ```
 */
export type EntityFilterOperators<T> = CommonOperators<T> & {
  /** Matches where the inner operators do not. */
  $not?: CommonOperators<T>;
};

/**
 * What a filter may say about one field: a value (equality), `null` (null or missing), an array
 * (any of these values) or an {@link EntityFilterOperators} object.
 *
 * @example
 * ```ts
 * const v: EntityFilterValue<string> = ["open", "late"];
 * ```
 */
export type EntityFilterValue<T> = Comparable<T> | Comparable<T>[] | EntityFilterOperators<T>;

/**
 * The query of `filter`, `count`, `deleteMany`, `updateMany` and `aggregate`: field names of the
 * entity with {@link EntityFilterValue}s, combined with `$and`, `$or` and `$nor` at the root.
 * It travels as `q=JSON.stringify(query)` in a query string, or as JSON in a body. Same type as
 * `@base44/sdk` 0.8.50 (`dist/modules/entities.types.d.ts`).
 *
 * @example
 * ```ts
 * const q: EntityFilterQuery<{ status: string; n: number }> = {
 *   n: { $gte: 5 },
 *   $or: [{ status: "open" }, { status: { $in: ["late", "blocked"] } }],
 * };
 * ```
 */
export type EntityFilterQuery<T> = {
  [K in keyof T]?: EntityFilterValue<T[K]>;
} & {
  $and?: EntityFilterQuery<T>[];
  $or?: EntityFilterQuery<T>[];
  $nor?: EntityFilterQuery<T>[];
};
